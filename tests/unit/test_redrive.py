"""Redrive without a broker: which dead letters a selection picks, what a dead letter says of its
original, and the headers a redriven record carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import ConsumerRecord

from pipeline.errors import DecodeError, UnexpectedError
from pipeline.records import Provenance, RawDispatch
from pipeline.redrive import REDRIVE_OF, REDRIVEN_FROM, Selection, candidate_from, parse_time
from pipeline.stages.outcome import dead_letter
from pipeline.topics import TopicNames

NAMES = TopicNames.with_prefix("p.")
RAW = RawDispatch(
    value=b"<nitf>invented</nitf>",
    headers=(("content-type", b"application/xml"), ("x-feed", b"\xff\x00")),
    key=b"story-1",
    provenance=Provenance(NAMES.raw, 2, 41, 1_700_000_000_000),
)


def _record(value: bytes, offset: int = 7, timestamp: int = 1_700_000_100_000) -> ConsumerRecord:
    return ConsumerRecord(
        topic=NAMES.deadletter,
        partition=0,
        offset=offset,
        timestamp=timestamp,
        timestamp_type=0,
        key=None,
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(value),
        headers=[],
    )


def test_a_dead_letter_with_its_bytes_gives_the_original_record() -> None:
    """Bytes, key and headers (binary ones too) as received; the redrive headers name both places."""
    letter = dead_letter(RAW, DecodeError("binary data"))
    candidate = candidate_from(_record(letter.value), NAMES)
    assert candidate is not None and candidate.problem is None
    assert (candidate.value, candidate.key, candidate.headers) == (RAW.value, RAW.key, RAW.headers)
    assert (candidate.stage, candidate.error_class) == ("decode", "DecodeError")
    assert candidate.source == (NAMES.raw, 2, 41)
    assert candidate.redrive_headers == (
        *RAW.headers,
        (REDRIVEN_FROM, f"{NAMES.deadletter}[0]@7".encode()),
        (REDRIVE_OF, f"{NAMES.raw}[2]@41".encode()),
    )


def test_a_dead_letter_without_bytes_needs_wire_raw_and_a_redrive_replaces_earlier_redrive_headers() -> None:
    """No bytes inside: they are to be fetched by coordinates; an earlier redrive's headers are replaced."""
    again = RawDispatch(
        RAW.value, (*RAW.headers, (REDRIVEN_FROM, b"p.wire.deadletter[0]@1"), (REDRIVE_OF, b"p.wire.raw[0]@3")),
        provenance=RAW.provenance,
    )  # fmt: skip
    letter = dead_letter(again.ref(inline_max=4), UnexpectedError(MemoryError(), stage="enrich"))
    candidate = candidate_from(_record(letter.value, offset=9), NAMES)
    assert candidate is not None and candidate.value is None and candidate.problem is None
    assert candidate.sha256 == RAW.sha256 and candidate.source == (NAMES.raw, 2, 41)
    names = [name for name, _ in candidate.redrive_headers]
    assert names.count(REDRIVEN_FROM) == 1 and names.count(REDRIVE_OF) == 1
    assert dict(candidate.redrive_headers)[REDRIVEN_FROM] == f"{NAMES.deadletter}[0]@9".encode()


def test_a_dead_letter_of_an_internal_record_cannot_be_redriven() -> None:
    """Its original is not a wire.raw record: listed with the reason, never sent to wire.raw."""
    internal = RawDispatch(b"{not a cleaned record", provenance=Provenance(NAMES.cleaned, 0, 5))
    candidate = candidate_from(_record(dead_letter(internal, DecodeError("bad")).value), NAMES)
    assert candidate is not None and candidate.problem is not None and NAMES.cleaned in candidate.problem
    assert candidate_from(_record(b"not json"), NAMES) is None


def test_a_selection_picks_by_stage_class_time_and_id() -> None:
    """Every given criterion must hold; none given selects everything."""
    t = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert Selection().matches("parse", "ParseError", None, "abc")
    chosen = Selection(stages=("enrich",), classes=("OSError",), since=t, until=t + timedelta(hours=1))
    assert chosen.matches("enrich", "OSError", t + timedelta(minutes=5), "abc")
    assert not chosen.matches("parse", "OSError", t + timedelta(minutes=5), "abc")
    assert not chosen.matches("enrich", "ValueError", t + timedelta(minutes=5), "abc")
    assert not chosen.matches("enrich", "OSError", t - timedelta(seconds=1), "abc")
    assert not chosen.matches("enrich", "OSError", t + timedelta(hours=1), "abc")
    assert Selection(dispatch_ids=("ab",)).matches("x", "y", None, "abc123")
    assert not Selection(dispatch_ids=("zz",)).matches("x", "y", None, "abc123")


def test_times_are_iso_or_a_duration_ago() -> None:
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert parse_time("2h", now) == now - timedelta(hours=2)
    assert parse_time("90s", now) == now - timedelta(seconds=90)
    assert parse_time("2026-05-01T10:00:00Z") == datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert parse_time("2026-05-01") == datetime(2026, 5, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_time("yesterday")
