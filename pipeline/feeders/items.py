"""Feed documents as items: one dispatch per item, each with the identity dedup needs.

A feed (RSS, Atom, a page of a JSON API) lists items, and the next poll lists most of them
again. So a feeder sends each item as its own dispatch, once, and sends it again only when
the item itself changed. An item's dispatch is the feed document *with only that item*:

- RSS / RSS 1.0 (RDF) / Atom: the document's own bytes with the other ``<item>`` /
  ``<entry>`` elements cut out (the channel or feed metadata -- title, link, language,
  rights -- stays, so the parser reads the item as it would inside the whole feed). Each
  cut is checked by parsing it (exactly one item, the same one); when any check fails the
  document is sent whole, as one dispatch.
- JSON: the items are found by structure (``generic_json.find_items``: objects with a
  headline or a body); when they all sit in one list, each dispatch is the document with
  that list holding only its item (envelopes such as ``{"data": {"items": [...]}}`` keep
  their shape and their other keys), re-serialised.
- Archives are unpacked and split as ``wirefeed ingest`` does (``sources.from_bytes``).
- Anything else -- a NewsML-G2 newsMessage, NITF, a page, garbage -- is one dispatch: its
  parser finds its items (a newsMessage's packages refer to the items beside them).

Identity (``FeedItem.key``): the item's own id -- RSS guid, else its link; Atom id; the
best id-like JSON key (``_fields``: uri, guid, id, urn...); the guids of a NewsML-G2
document's items -- else the sha256 of the item's bytes. ``revision`` is what the item
says changes when it is updated: Atom ``updated``, a JSON version or version-created
stamp, G2 ``version`` attributes; "" when it says nothing. ``digest`` is the sha256 of
the dispatch bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import orjson
from lxml import etree

from pipeline.errors import PipelineError
from pipeline.parsers._fields import classify, guid_value, version_value
from pipeline.parsers._xml import child, local_name, parse_xml, root_name
from pipeline.parsers.generic_json import find_items
from pipeline.sources import SourceDispatch, from_bytes

#: root element -> the element that is one item of it
_FEED_ITEMS = {"rss": "item", "RDF": "item", "feed": "entry"}
_ITEM_PATTERNS = {
    name: re.compile(rb"<(?P<p>[A-Za-z_][\w.\-]*:)?" + name.encode() + rb"(?=[\s>])[^>]*>.*?</(?P=p)?"
                     + name.encode() + rb"\s*>", re.S)
    for name in set(_FEED_ITEMS.values())
}  # fmt: skip
#: NewsML-G2 item elements: a document of them is identified by their guids and versions
_G2_ITEMS = frozenset({"newsItem", "packageItem", "conceptItem", "knowledgeItem", "planningItem", "catalogItem"})
_ID_CHILDREN = ("guid", "id", "identifier")
_REVISION_CHILDREN = ("updated", "modified")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One item of a feed document: the dispatch to send and how to recognise it later."""

    dispatch: SourceDispatch
    key: str  # "id:<the item's id>" or "sha256:<hex>"
    revision: str = ""
    digest: str = ""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def split_document(name: str, data: bytes, content_type: str | None = None) -> list[FeedItem]:
    """The items of one fetched document or delivered file (``name``: its URL or path)."""
    dispatches = list(from_bytes(name, data))
    if len(dispatches) == 1 and dispatches[0].value is data:
        # not an archive, not a multi-dispatch file by its name: what the server said it is
        single = dispatches[0]
        if content_type:
            single = replace(single, content_type=content_type)
        return list(_items_of(single))
    return [_whole(d) for d in dispatches]


def _items_of(dispatch: SourceDispatch) -> Iterator[FeedItem]:
    head = dispatch.value[:256].lstrip(b"\xef\xbb\xbf \t\r\n")
    found: list[FeedItem] | None = None
    if head.startswith(b"<"):
        found = _xml_items(dispatch)
    elif head.startswith((b"{", b"[")):
        found = _json_items(dispatch)
    yield from found if found else [_whole(dispatch)]


def _whole(dispatch: SourceDispatch, key: str | None = None, revision: str = "") -> FeedItem:
    digest = sha256(dispatch.value)
    return FeedItem(dispatch, key or f"sha256:{digest}", revision, digest)


# --------------------------------------------------------------------------- XML


def _xml_items(dispatch: SourceDispatch) -> list[FeedItem] | None:
    root = root_name(dispatch.value)
    if root in _G2_ITEMS or root == "newsMessage":
        return [_g2_document(dispatch)]
    tag = _FEED_ITEMS.get(root or "")
    if tag is None:
        return None
    data = dispatch.value
    spans = [m.span() for m in _ITEM_PATTERNS[tag].finditer(data)]
    if not spans:
        return None
    head, tail = data[: spans[0][0]], data[spans[-1][1] :]
    items = []
    for number, (start, end) in enumerate(spans, start=1):
        value = data if len(spans) == 1 else head + data[start:end] + tail
        try:
            element = _only_item(parse_xml(value), tag)
        except PipelineError:
            return None  # the cut is not a document of one item: send the feed whole
        if element is None:
            return None
        key, revision = _xml_identity(element)
        single = replace(dispatch, value=value, input=f"{dispatch.input}#{number}")
        items.append(_whole(single, key, revision))
    return items


def _only_item(root: etree._Element, tag: str) -> etree._Element | None:
    found = [e for e in root.iter() if isinstance(e.tag, str) and local_name(e) == tag]
    return found[0] if len(found) == 1 else None


def _xml_identity(item: etree._Element) -> tuple[str | None, str]:
    key = None
    for name in _ID_CHILDREN:
        node = child(item, name)
        if node is not None and (node.text or "").strip():
            key = f"id:{node.text.strip()}"
            break
    if key is None:
        link = child(item, "link")
        href = None if link is None else (link.get("href") or (link.text or "").strip())
        key = f"link:{href}" if href else None
    revision = ""
    for name in _REVISION_CHILDREN:
        node = child(item, name)
        if node is not None and (node.text or "").strip():
            revision = node.text.strip()
            break
    return key, revision


def _g2_document(dispatch: SourceDispatch) -> FeedItem:
    """A NewsML-G2 document, whole: known by the guids and versions of its items."""
    try:
        root = parse_xml(dispatch.value)
    except PipelineError:
        return _whole(dispatch)
    pairs = sorted(
        (e.get("guid", ""), e.get("version", ""))
        for e in root.iter()
        if isinstance(e.tag, str) and local_name(e) in _G2_ITEMS and e.get("guid")
    )
    if not pairs:
        return _whole(dispatch)
    return _whole(dispatch, "g2:" + " ".join(g for g, _ in pairs), " ".join(v for _, v in pairs))


# --------------------------------------------------------------------------- JSON

Path = tuple[str | int, ...]


def _json_items(dispatch: SourceDispatch) -> list[FeedItem] | None:
    try:
        document = orjson.loads(dispatch.value.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        return None
    items = find_items(document)
    if not items:
        return None
    if len(items) == 1:
        key, revision = _json_identity(items[0])
        return [_whole(dispatch, key, revision)]
    paths = dict(_dict_paths(document, ()))
    located = []
    for item in items:
        path = paths.get(id(item))
        cut = _last_list(path) if path is not None else None
        if cut is None:
            return None
        located.append((item, cut))
    lists = {cut[0] for _, cut in located}
    indexes = [cut[1] for _, cut in located]
    if len(lists) != 1 or len(set(indexes)) != len(indexes):
        return None  # items in several lists, or nested in one another: send the page whole
    out = []
    for number, (item, (list_path, index)) in enumerate(located, start=1):
        value = orjson.dumps(_with_only(document, list_path, index))
        key, revision = _json_identity(item)
        out.append(_whole(replace(dispatch, value=value, input=f"{dispatch.input}#{number}"), key, revision))
    return out


def _dict_paths(node: Any, path: Path) -> Iterator[tuple[int, Path]]:
    if isinstance(node, dict):
        yield id(node), path
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                yield from _dict_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, (dict, list)):
                yield from _dict_paths(value, (*path, index))


def _last_list(path: Path) -> tuple[Path, int] | None:
    """(path of the list, index in it) of the innermost list on ``path``."""
    for i in range(len(path) - 1, -1, -1):
        if isinstance(path[i], int):
            return path[:i], int(path[i])
    return None


def _with_only(node: Any, list_path: Path, index: int) -> Any:
    if not list_path:
        return [node[index]]
    step = list_path[0]
    copy: Any = list(node) if isinstance(node, list) else dict(node)
    copy[step] = _with_only(node[step], list_path[1:], index)
    return copy


def _json_identity(item: dict[str, Any]) -> tuple[str | None, str]:
    best: dict[str, tuple[int, str]] = {}
    for name, value in item.items():
        field = classify(str(name))
        if field is None or field[0] not in ("guid", "version", "version_created"):
            continue
        text = guid_value(value) if field[0] == "guid" else version_value(value) or guid_value(value)
        if text and (field[0] not in best or field[1] < best[field[0]][0]):
            best[field[0]] = (field[1], text)
    key = f"id:{best['guid'][1]}" if "guid" in best else None
    revision = (best.get("version") or best.get("version_created") or (0, ""))[1]
    return key, revision
