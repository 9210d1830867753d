"""Idle-feed watch: cadences configured or learned, a quiet source alerted once, its return announced."""

from __future__ import annotations

import itertools

import orjson
import pytest

from pipeline.observability.idle import Policy, Sighting, SourceState, Watch, parse_cadences, sightings
from pipeline.records import Provenance, RawDispatch
from pipeline.schemas import errors

T0 = 1_800_000_000.0


_offsets = itertools.count()


def _sighting(source: str, at: float, count: int = 1) -> Sighting:
    """``count`` new records of ``source`` on raw partition 0, arrived at ``at``."""
    return Sighting(source, "agency-x", tuple((0, next(_offsets), int(at * 1000)) for _ in range(count)))


def test_a_source_quiet_past_its_cadence_is_alerted_once_and_its_return_announced() -> None:
    store: dict = {}
    watch = Watch(Policy({"feed-a": 60.0}), store)
    assert watch.seen(_sighting("feed-a", T0), partition=1, now=T0) is None
    assert watch.due(T0 + 59) == []
    (idle,) = watch.due(T0 + 61)
    assert idle["type"] == "feed-idle" and idle["source"] == "feed-a" and idle["cadence_from"] == "configured"
    assert idle["quiet_seconds"] == 61 and errors("wire.alerts", "value", idle) == []
    assert watch.due(T0 + 120) == []  # announced once
    resumed = watch.seen(_sighting("feed-a", T0 + 300), partition=1, now=T0 + 300)
    assert resumed is not None and resumed["type"] == "feed-resumed" and resumed["quiet_seconds"] == 300
    assert errors("wire.alerts", "value", resumed) == []
    assert watch.snapshot() == {"feed-a": (False, 60.0)}
    assert SourceState.from_json(store[b"1:feed-a"]).idle_since is None


def test_an_alert_not_published_is_due_again() -> None:
    """The idle mark of a feed-idle record the broker did not take is taken back: the next check sends it."""
    watch = Watch(Policy({"feed-f": 10.0}))
    watch.seen(_sighting("feed-f", T0), partition=0, now=T0)
    (first,) = watch.due(T0 + 11)
    watch.unmark([first["source"]])
    assert watch.snapshot()["feed-f"] == (False, 10.0)
    (again,) = watch.due(T0 + 12)
    assert again["quiet_seconds"] == 12 and watch.due(T0 + 13) == []


def test_the_idle_state_survives_a_restart_through_the_store() -> None:
    """A new watch over the same store (the table after recovery): no second alert, the return still announced."""
    store: dict = {}
    first = Watch(Policy({"feed-b": 10.0}), store)
    first.seen(_sighting("feed-b", T0), partition=0, now=T0)
    assert len(first.due(T0 + 11)) == 1
    second = Watch(Policy({"feed-b": 10.0}), store)
    second.rebuild([0])
    assert second.snapshot() == {"feed-b": (True, 10.0)}
    assert second.due(T0 + 100) == []
    resumed = second.seen(_sighting("feed-b", T0 + 100), partition=0, now=T0 + 100)
    assert resumed is not None and resumed["type"] == "feed-resumed"
    third = Watch(Policy({"feed-b": 10.0}), store)
    third.rebuild([1])  # another worker's partitions: not held here
    assert third.snapshot() == {}


def test_a_cadence_is_learned_from_the_gaps_between_deliveries() -> None:
    watch = Watch(Policy(learn_after=8, factor=3.0, minimum=30.0))
    at = T0
    for gap in [20, 25, 20, 30, 20, 25, 20, 20]:
        watch.seen(_sighting("feed-c", at), 0, at)
        watch.seen(_sighting("feed-c", at + 0.2), 0, at + 0.2)  # the same delivery: no gap
        at += gap
    assert watch.snapshot()["feed-c"] == (False, None)  # 7 gaps: not learned yet
    watch.seen(_sighting("feed-c", at), 0, at)
    idle, cadence = watch.snapshot()["feed-c"]
    # a gap runs from the end of one delivery to the next: 3 x the 90th percentile (30 - 0.2 s)
    assert not idle and cadence == pytest.approx(89.4)
    assert watch.due(at + 89) == [] and watch.due(at + 90)[0]["cadence_from"] == "learned"
    quick = Watch(Policy(learn_after=2, factor=3.0, minimum=300.0))
    for n in range(3):
        quick.seen(_sighting("feed-d", T0 + 2 * n), 0, T0 + 2 * n)
    assert quick.snapshot()["feed-d"] == (False, 300.0)  # never below the minimum


def test_sightings_group_a_batch_by_source_with_arrival_times() -> None:
    def raw(source: str | None, agency: str | None, ms: int) -> RawDispatch:
        headers = tuple((k, v.encode()) for k, v in (("wf_source", source), ("wf_agency", agency)) if v)
        return RawDispatch(b"x", headers, provenance=Provenance("wire.raw", 0, ms, ms))

    found = sightings([raw("s1", "aa", 5000), raw("s1", "aa", 3000), raw(None, "dpa", 4000), raw(None, None, 1)], 9)
    assert sorted(found, key=lambda s: s.source) == [
        Sighting("dpa", "dpa", ((0, 4000, 4000),)),
        Sighting("s1", "aa", ((0, 5000, 5000), (0, 3000, 3000))),
    ]
    assert Sighting.decode(found[0].encode()) == found[0]
    for sighting in found:  # the contract of wire.sources
        assert errors("wire.sources", "value", orjson.loads(sighting.encode())) == []


def test_a_source_that_is_only_the_dispatch_input_is_no_feed() -> None:
    """``wirefeed ingest file.sgm`` without --source: wf_source is each dispatch's own input.
    Those are watched by agency (or not at all), not as one source per dispatch."""

    def raw(n: int, agency: str | None) -> RawDispatch:
        headers = [("wf_source", f"reut2-000.sgm#{n}".encode()), ("wf_input", f"reut2-000.sgm#{n}".encode())]
        headers += [("wf_agency", agency.encode())] if agency else []
        return RawDispatch(b"x", tuple(headers), provenance=Provenance("wire.raw", 0, n, 1000 + n))

    assert sightings([raw(n, None) for n in range(5)], 9) == []
    (found,) = sightings([raw(n, "reuters") for n in range(5)], 9)
    assert found.source == "reuters" and len(found.records) == 5
    named = RawDispatch(b"x", (("wf_source", b"aa-rss"), ("wf_input", b"https://aa.example/rss")))
    assert [s.source for s in sightings([named], 9)] == ["aa-rss"]
    polled = RawDispatch(b"x", (("wf_source", b"https://aa.example/rss"), ("wf_input", b"https://aa.example/rss")))
    assert [s.source for s in sightings([polled], 9)] == ["https://aa.example/rss"]  # wirefeed poll URL


def test_cadences_are_configured_with_units_and_mistakes_named() -> None:
    assert parse_cadences(["aa-rss=15m", "dpa=300", "x=1.5h", "y=2d", "z=90s"]) == {
        "aa-rss": 900.0, "dpa": 300.0, "x": 5400.0, "y": 172800.0, "z": 90.0,
    }  # fmt: skip
    for wrong in ("aa", "=5", "aa=0", "aa=5w"):
        with pytest.raises(ValueError, match="WIREFEED_IDLE_CADENCES"):
            parse_cadences([wrong])


def test_records_read_again_neither_count_nor_wake_an_idle_source() -> None:
    """Delivery is at least once: a sighting of records already taken (by their raw offsets) is no news; one
    mixing re-read and new records counts only the new ones."""
    watch = Watch(Policy({"feed-e": 10.0}))
    first = Sighting("feed-e", None, ((0, 10, 1000), (1, 4, 1200)))
    watch.seen(first, 0, T0)
    assert len(watch.due(T0 + 11)) == 1
    assert watch.seen(first, 0, T0 + 20) is None  # a replay after a restart: still idle, not resumed
    assert watch.due(T0 + 40) == [] and watch.snapshot()["feed-e"] == (True, 10.0)
    mixed = Sighting("feed-e", None, ((0, 9, 900), (0, 10, 1000), (0, 11, 30_000)))
    resumed = watch.seen(mixed, 0, T0 + 50)
    assert resumed is not None and resumed["type"] == "feed-resumed" and resumed["dispatches"] == 3
    assert watch.sources["feed-e"].read_to == {"0": 11, "1": 4}
    # its gap runs from the newest arrival before to the first new one: 28.8 s
    assert watch.sources["feed-e"].gaps == [pytest.approx(28.8)]
