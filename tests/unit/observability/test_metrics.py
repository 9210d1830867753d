"""The worker's metrics, counted from a finished batch's outcomes and the pool's timings."""

from __future__ import annotations

from prometheus_client import generate_latest

from pipeline.delivery.pool import Timings
from pipeline.observability import metrics
from pipeline.records import Outcome, Provenance, RawDispatch
from pipeline.topics import TopicNames

NAMES = TopicNames.with_prefix("t1.")


def _value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def _raw(offset: int, agency: str | None, ms: int = 1_700_000_000_000) -> RawDispatch:
    headers = (("wf_agency", agency.encode()),) if agency else ()
    return RawDispatch(f"dispatch {offset}".encode(), headers, provenance=Provenance("t1.wire.raw", 0, offset, ms))


def _dead(raw: RawDispatch, stage: str, error: str) -> Outcome:
    headers = (("wf_stage", stage.encode()), ("wf_error_class", error.encode()))
    return Outcome(NAMES.deadletter, None, b"{}", headers, raw.ref())


def test_a_finished_batch_counts_each_record_in_and_each_outcome_out() -> None:
    """Records in by agency, outcomes out by kind, dead letters by failing stage and class, topics published."""
    stage = metrics.StageMetrics("parse-clean", NAMES, "t1.")
    before = {
        "in": _value("wirefeed_dispatches_in_total", stage="parse-clean", agency="agency-m1"),
        "parsed": _value("wirefeed_dispatches_total", stage="parse-clean", agency="agency-m1", outcome="parsed"),
        "dead": _value("wirefeed_deadletters_total", stage="parse", **{"class": "ParseError"}),
        "routed": _value("wirefeed_published_total", topic="wire.sport.m1"),
    }
    first, second = _raw(1, "agency-m1"), _raw(2, "agency-m1", ms=1_700_000_005_000)
    two_items = [Outcome(NAMES.parsed, b"k", b"{}", (), first.ref(), part, 2) for part in (1, 2)]
    routed = Outcome("t1.wire.sport.m1", b"k", b"{}", (), first.ref())
    stage.done([first, second], [[*two_items, routed], [_dead(second, "parse", "ParseError")]])
    assert _value("wirefeed_dispatches_in_total", stage="parse-clean", agency="agency-m1") - before["in"] == 2
    parsed = _value("wirefeed_dispatches_total", stage="parse-clean", agency="agency-m1", outcome="parsed")
    assert parsed - before["parsed"] == 2
    assert _value("wirefeed_deadletters_total", stage="parse", **{"class": "ParseError"}) - before["dead"] == 1
    # a routed copy is published, not an outcome of its own
    assert _value("wirefeed_published_total", topic="wire.sport.m1") - before["routed"] == 1
    assert _value("wirefeed_dispatches_total", stage="parse-clean", agency="agency-m1", outcome="wire.sport.m1") == 0
    assert _value("wirefeed_last_dispatch_timestamp_seconds", agency="agency-m1") == 1_700_000_005.0


def test_a_later_stage_takes_the_agency_from_its_outcome_or_the_raw_record() -> None:
    """Internal records carry no raw headers: the agency comes from the outcome (detected) or its raw record."""
    stage = metrics.StageMetrics("enrich-emit", NAMES)
    raw = _raw(3, "agency-m2")
    internal = RawDispatch(b"{}", (), provenance=Provenance("t1.wire.cleaned", 0, 7, 1))
    article = Outcome(NAMES.articles, b"u", b"{}", (("wf_agency", b"agency-m3"),), raw.ref())
    before = _value("wirefeed_dispatches_total", stage="enrich-emit", agency="agency-m3", outcome="article")
    stage.done([internal, internal], [[article], [_dead(raw, "enrich", "UnexpectedError")]])
    assert _value("wirefeed_dispatches_total", stage="enrich-emit", agency="agency-m3", outcome="article") == before + 1
    assert _value("wirefeed_dispatches_in_total", stage="enrich-emit", agency="agency-m2") >= 1
    # the arrival time is the raw record's, not the internal record's
    assert _value("wirefeed_last_dispatch_timestamp_seconds", agency="agency-m2") == 1_700_000_000.0


def test_stage_seconds_are_each_records_own_time_plus_its_share_of_the_batch_phase() -> None:
    stage = metrics.StageMetrics("stage-m4", NAMES)
    stage.timed(Timings(batch=0.3, records=[0.001, 2.0, None]), 3)  # the third was abandoned: not observed
    assert _value("wirefeed_stage_seconds_count", stage="stage-m4") == 2
    assert abs(_value("wirefeed_stage_seconds_sum", stage="stage-m4") - (0.001 + 0.1 + 2.0 + 0.1)) < 1e-9
    assert _value("wirefeed_stage_seconds_bucket", stage="stage-m4", le="0.25") == 1


def test_label_values_from_the_input_are_bounded() -> None:
    """A feed sending a new agency on every dispatch cannot grow the series without end."""
    bounded = metrics.Bounded(limit=3)
    assert [bounded(f"a{n}") for n in range(5)] == ["a0", "a1", "a2", "other", "other"]
    assert bounded("a1") == "a1" and bounded(None) == "unknown" and bounded("") == "unknown"
    assert bounded("x" * 100) == "other"


def test_the_duplicate_and_version_counters_exist_for_story_identity() -> None:
    """Issue 10's duplicates and versions: counted through these functions, in the worker process."""
    before = _value("wirefeed_duplicates_total", agency="agency-m5", kind="near")
    metrics.duplicate("agency-m5", "near")
    metrics.version("agency-m5")
    assert _value("wirefeed_duplicates_total", agency="agency-m5", kind="near") == before + 1
    assert _value("wirefeed_versions_total", agency="agency-m5") >= 1
    assert b"wirefeed_duplicates_total" in generate_latest(metrics.REGISTRY)
