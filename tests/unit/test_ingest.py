"""Keys of wire.raw at ingest: a story's identity where the dispatch gives one, else its feed."""

from __future__ import annotations

from pathlib import Path

from pipeline.ingest import story_key
from pipeline.records import RawDispatch
from pipeline.sources import iter_dispatches
from pipeline.stages import flow
from pipeline.stages.normalise import story_uri

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "firehose"


def _dispatch(name: str, source: str | None = None) -> tuple[bytes, tuple[tuple[str, bytes], ...]]:
    (dispatch,) = iter_dispatches([str(SAMPLES / name)])
    return dispatch.value, dispatch.headers(source=source)


def test_a_dispatch_with_the_sources_id_is_keyed_by_its_article_uri() -> None:
    """Every version of the story gets this key, and the article itself is keyed the same."""
    value, headers = _dispatch("g2-newsitem-reuters-en-santiago-copper.xml")
    (item,) = flow.parse_dispatch(RawDispatch(value, headers))
    assert item.guid
    assert story_key(value, headers) == story_uri(item).encode()


def test_without_an_id_or_with_several_items_the_feed_is_the_key() -> None:
    value, headers = _dispatch("aa-fr-lyon-tramway.txt", source="aa-web")
    assert story_key(value, headers) == b"feed:aa-web"
    value, headers = _dispatch("g2-newsmessage-dpa-de-2items.xml", source="dpa-g2")
    assert story_key(value, headers) == b"feed:dpa-g2"


def test_what_cannot_be_parsed_is_keyed_by_its_feed_and_left_to_the_worker() -> None:
    value, headers = _dispatch("malformed-g2-unclosed-tag.xml", source="broken")
    assert story_key(value, headers) == b"feed:broken"
    assert story_key(b"\x00\x01\x02", ()) is None
