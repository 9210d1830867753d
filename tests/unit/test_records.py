"""Records survive the trip through the internal topic unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import orjson
import pytest

from pipeline.records import (
    Association,
    Block,
    CleanedDispatch,
    Dateline,
    ParsedItem,
    Provenance,
    RawDispatch,
    RawRef,
    Rendition,
    Subject,
    Translation,
    When,
    dumps,
    from_jsonable,
    header_value,
    to_jsonable,
)


def _item() -> ParsedItem:
    return ParsedItem(
        format="webtext",
        agency="aa",
        headline="Tramway extension opens in Lyon",
        summary="Eight new stations",
        body=(Block("LYON - The extension opened on Monday."), Block("Details", kind="h")),
        dateline=Dateline("AA / Lyon", place="Lyon", agency="AA"),
        content_created=When(
            datetime(2026, 3, 2, tzinfo=timezone(timedelta(hours=3))), "day", "Europe/Istanbul", "02.03.2026"
        ),
        subjects=(Subject(name="transport", uri="http://cv.iptc.org/newscodes/mediatopic/20000380", confidence=80),),
        associations=(
            Association(
                "photo-1", caption="A tram", renditions=(Rendition("thumb", href="https://x.invalid/t.jpg", width=90),)
            ),
        ),
        translation=Translation("* Translated by ...", "en", "A. Person"),
        extra=(("k", "v"),),
    )


def test_cleaned_dispatch_round_trips_through_json() -> None:
    """to_jsonable then from_jsonable gives back an equal record, bytes and datetimes included."""
    cleaned = CleanedDispatch(
        story_id="urn:wirefeed:aa:abc",
        item=_item(),
        raw=RawDispatch(
            b"\x00\xffraw bytes",
            (("content-type", b"text/plain"), ("x", b"\xff")),
            provenance=Provenance("wire.raw", 1, 42, 1_700_000_000_000),
        ).ref(),
        part=2,
        parts=3,
    )
    assert from_jsonable(CleanedDispatch, to_jsonable(cleaned)) == cleaned


def test_dumps_writes_the_bytes_to_jsonable_gives() -> None:
    """The one-pass encoder writes exactly what orjson writes for to_jsonable's values."""
    raw = RawDispatch(b"\x00\xffraw", (("x", b"\xff"),), provenance=Provenance("wire.raw", 1, 42, 7)).ref()
    when = When(datetime(2026, 3, 2, 9, 5, 1, 250, tzinfo=timezone(timedelta(hours=-5))), original="x")
    item = replace(_item(), first_created=When(datetime(2026, 3, 2, 9, 5)), version_created=when)
    cleaned = CleanedDispatch(story_id="urn:x", item=item, raw=raw, part=2, parts=3, source="aa/1")
    assert dumps(cleaned) == orjson.dumps(to_jsonable(cleaned))
    assert from_jsonable(CleanedDispatch, orjson.loads(dumps(cleaned))) == cleaned


def test_from_jsonable_takes_defaults_for_missing_fields_and_rejects_bad_items() -> None:
    """A field left out gets its default; a list item of the wrong type is an error."""
    assert from_jsonable(Block, {"text": "x"}) == Block("x")
    data = to_jsonable(_item())
    data["keywords"] = ["a", 3]
    with pytest.raises(TypeError):
        from_jsonable(ParsedItem, data)
    data = to_jsonable(_item())
    data["body"] = "not a list"
    with pytest.raises(TypeError):
        from_jsonable(ParsedItem, data)
    with pytest.raises(TypeError):
        from_jsonable(ParsedItem, {"headline": "no format"})


def test_a_raw_reference_carries_the_bytes_only_when_small() -> None:
    """Above the inline limit a reference keeps coordinates, size and sha256, not the bytes."""
    raw = RawDispatch(b"x" * 100, provenance=Provenance("wire.raw", 0, 7))
    assert raw.ref(inline_max=100).value == raw.value
    big = raw.ref(inline_max=99)
    assert big.value is None
    assert (big.size, big.sha256, big.provenance, big.dispatch_id) == (100, raw.sha256, raw.provenance, raw.dispatch_id)


def test_from_jsonable_rejects_wrong_types() -> None:
    """A value of the wrong type is an error, not a silently wrong record."""
    data = to_jsonable(_item())
    data["headline"] = 12
    with pytest.raises(TypeError):
        from_jsonable(ParsedItem, data)


def test_a_header_pair_of_the_wrong_shape_is_an_error() -> None:
    """A header must be a [name, base64] pair: another length or type is an error."""
    ref = {"sha256": "0" * 64, "size": 1}
    assert from_jsonable(RawRef, {**ref, "headers": [["a", "eA=="]]}).headers == (("a", b"x"),)
    for bad in (["a"], ["a", "eA==", "b"], [1, "eA=="], "a"):
        with pytest.raises((TypeError, ValueError)):
            from_jsonable(RawRef, {**ref, "headers": [bad]})


def test_dispatch_id_is_a_content_address() -> None:
    """The same bytes always get the same id; other bytes another one."""
    a = RawDispatch(b"hello", (("h", b"1"),))
    b = RawDispatch(b"hello", (), provenance=Provenance("wire.raw", 0, 5))
    assert a.dispatch_id == b.dispatch_id and len(a.dispatch_id) == 24
    assert RawDispatch(b"hello!").dispatch_id != a.dispatch_id
    assert b.where() == f"wire.raw[0]@5 {b.dispatch_id}"


def test_header_value_is_case_insensitive_and_last_wins() -> None:
    """Kafka headers may repeat; the last one counts."""
    headers = (("Content-Type", b"text/plain"), ("content-type", b"text/html"))
    assert header_value(headers, "CONTENT-TYPE") == "text/html"
    assert header_value(headers, "missing") is None
