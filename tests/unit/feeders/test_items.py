"""Feed documents split into items: each item's dispatch is the document with only that item."""

from __future__ import annotations

import orjson
import pytest

from pipeline.feeders.items import split_document
from pipeline.records import RawDispatch
from pipeline.stages.flow import parse_dispatch
from tests.feed_documents import atom, rss


def _parse(value: bytes, content_type: str = "application/xml") -> list:
    return list(parse_dispatch(RawDispatch(value=value, headers=(("content-type", content_type.encode()),))))


def test_rss_items_keep_the_channel_and_lose_their_siblings() -> None:
    """Each RSS item is the feed's bytes minus the other items; its parser reads it with the channel's language."""
    document = rss([("a-1", "First"), ("a-2", "Second"), ("a-3", "Third")], language="fr")
    items = split_document("https://x.example/rss", document, "application/rss+xml")
    assert [i.key for i in items] == ["id:a-1", "id:a-2", "id:a-3"]
    for item, title in zip(items, ("First", "Second", "Third"), strict=True):
        assert item.dispatch.value.count(b"<item>") == 1 and title.encode() in item.dispatch.value
        assert item.dispatch.content_type == "application/rss+xml"
        (parsed,) = _parse(item.dispatch.value)
        assert parsed.headline == title and parsed.language == "fr"
    assert [i.dispatch.input for i in items] == [f"https://x.example/rss#{n}" for n in (1, 2, 3)]
    # the bytes outside the items are the document's own
    assert items[0].dispatch.value.startswith(document[: document.index(b"<item>")])


def test_atom_entries_carry_their_revision() -> None:
    """Atom: the key is the entry id, the revision its <updated>."""
    items = split_document(
        "feed.atom", atom([("urn:e:1", "2026-03-02T10:00:00Z", "A"), ("urn:e:2", "2026-03-03T09:00:00Z", "B")])
    )
    assert [(i.key, i.revision) for i in items] == [
        ("id:urn:e:1", "2026-03-02T10:00:00Z"),
        ("id:urn:e:2", "2026-03-03T09:00:00Z"),
    ]
    assert [p.headline for i in items for p in _parse(i.dispatch.value)] == ["A", "B"]


def test_an_item_without_guid_is_known_by_its_link_then_by_its_bytes() -> None:
    """No guid: the link; neither: the sha256 of the item's document."""
    document = (
        b"<rss><channel><title>T</title>"
        b"<item><title>Linked</title><link>https://x.example/a</link></item>"
        b"<item><title>Bare</title><description>No id at all.</description></item></channel></rss>"
    )
    linked, bare = split_document("f.xml", document)
    assert linked.key == "link:https://x.example/a"
    assert bare.key == f"sha256:{bare.digest}" and bare.digest != linked.digest


def test_json_api_pages_are_split_keeping_the_envelope() -> None:
    """Items in one list: each dispatch is the page with that list holding its item; ids and versions read."""
    story = {
        "uri": "urn:ex:1",
        "version": "3",
        "headline": "Port reopens",
        "body_text": "The port reopened today after the storm. Ships queued.",
    }
    other = {
        "uri": "urn:ex:2",
        "version": "1",
        "headline": "Rail strike ends",
        "body_text": "Trains run again from Friday. Unions agreed.",
    }
    page = {"lang": "en", "total": 2, "data": {"items": [story, other]}}
    items = split_document("https://api.example/v1/latest", orjson.dumps(page), "application/json")
    assert [(i.key, i.revision) for i in items] == [("id:urn:ex:1", "3"), ("id:urn:ex:2", "1")]
    assert [orjson.loads(i.dispatch.value) for i in items] == [
        {"lang": "en", "total": 2, "data": {"items": [story]}},
        {"lang": "en", "total": 2, "data": {"items": [other]}},
    ]
    # a bare list keeps its shape too, and one object is one item
    listed = split_document("a.json", orjson.dumps([story, other]))
    assert [orjson.loads(i.dispatch.value) for i in listed] == [[story], [other]]
    (single,) = split_document("b.json", orjson.dumps(story))
    assert (single.key, single.dispatch.value) == ("id:urn:ex:1", orjson.dumps(story))


def test_newsml_g2_is_one_dispatch_known_by_its_guids_and_versions() -> None:
    """A newsMessage stays whole (its parser splits it); its identity is its items' guids and versions."""
    message = (
        b'<?xml version="1.0"?><newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">'
        b"<header><sent>2026-03-02T10:00:00Z</sent></header>"
        b'<itemSet><newsItem guid="urn:ex:b" version="2"/><newsItem guid="urn:ex:a" version="5"/></itemSet>'
        b"</newsMessage>"
    )
    (item,) = split_document("g2.xml", message)
    assert (item.key, item.revision, item.dispatch.value) == ("g2:urn:ex:a urn:ex:b", "5 2", message)
    resent = message.replace(b"10:00:00Z</sent>", b"10:05:00Z</sent>")
    (again,) = split_document("g2.xml", resent)
    assert (again.key, again.revision) == (item.key, item.revision) and again.digest != item.digest


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\x01garbage\xff" * 50,
        b"<html><body><p>Service unavailable</p></body></html>",
        b"{not json",
        b"<rss><channel><item>unclosed",
    ],
    ids=["binary", "html-error-page", "broken-json", "broken-rss"],
)
def test_what_is_no_feed_is_one_dispatch_known_by_its_bytes(body: bytes) -> None:
    """Garbage, pages and broken feeds are sent whole (the pipeline dead-letters what it cannot read)."""
    (item,) = split_document("https://x.example/feed", body, "application/octet-stream")
    assert item.dispatch.value == body and item.key == f"sha256:{item.digest}"


def test_archives_are_unpacked_as_ingest_does() -> None:
    """A zip from a URL: one dispatch per member, as `wirefeed ingest` reads it."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("b.xml", b"<nitf/>")
        archive.writestr("a.txt", b"text")
    items = split_document("https://x.example/daily.zip", buffer.getvalue())
    assert [i.dispatch.input for i in items] == [
        "https://x.example/daily.zip:a.txt",
        "https://x.example/daily.zip:b.xml",
    ]
