"""Safe XML reading shared by every XML-based parser (NewsML-G2, NewsML 1.2, NITF, RSS, Atom).

Wire XML comes from outside; we refuse the constructs behind the classic attacks
instead of trusting a parser's defaults:
- entity declarations in an internal DTD subset (billion laughs, XXE, parameter-entity
  fetches of an external DTD) -> ``UnsafeXMLError``;
- external DTDs and entities are never loaded or fetched (``load_dtd=False``,
  ``no_network=True``); a plain ``<!DOCTYPE nitf SYSTEM "nitf.dtd">`` is harmless and
  ignored;
- nesting deeper than ``MAX_DEPTH`` or documents larger than ``MAX_BYTES`` are refused.
"""

from __future__ import annotations

import re

from lxml import etree

from pipeline.errors import ParseError, UnsafeXMLError

#: largest XML dispatch we read (agency items are KBs; a newsMessage a few MB at most)
MAX_BYTES = 20 * 1024 * 1024
#: deepest element nesting we accept (NewsML-G2 items nest about 10 deep)
MAX_DEPTH = 100

_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[(.*?)\]\s*>", re.S | re.I)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.I)


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers are not safe to share across threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


def check_safe(raw: bytes) -> None:
    """Raise ``UnsafeXMLError`` for constructs we refuse, before any parsing."""
    if len(raw) > MAX_BYTES:
        raise UnsafeXMLError(f"XML dispatch of {len(raw)} bytes exceeds the {MAX_BYTES}-byte limit")
    head = raw[:65536]
    if _ENTITY_DECL.search(head) or _DOCTYPE_SUBSET.search(head):
        raise UnsafeXMLError(
            "XML declares entities in its DTD (entity expansion / external entity / external DTD "
            "fetch); refused for safety"
        )


def parse_xml(raw: bytes, *, format: str | None = None) -> etree._Element:
    """The root element of ``raw``; ``UnsafeXMLError`` or ``ParseError`` with a readable reason."""
    check_safe(raw)
    try:
        root = etree.fromstring(raw, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"malformed XML: {exc}", format=format) from None
    if root is None:
        raise ParseError("empty XML document", format=format)
    depth = _depth(root)
    if depth > MAX_DEPTH:
        raise UnsafeXMLError(f"XML nesting depth {depth} exceeds the limit of {MAX_DEPTH}", format=format)
    return root


def _depth(root: etree._Element) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            stack.extend((child, level + 1) for child in node)
    return deepest


def local_name(node: etree._Element) -> str:
    """Tag without namespace ("newsItem" for "{http://iptc.org/std/nar/2006-10-01/}newsItem")."""
    tag = node.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def root_name(raw: bytes) -> str | None:
    """The local name of the root element, sniffed from the first bytes without parsing."""
    head = raw[:4096]
    pos = 0
    while True:
        start = head.find(b"<", pos)
        if start < 0 or start + 1 >= len(head):
            return None
        nxt = head[start + 1 : start + 2]
        if nxt in (b"?", b"!"):
            end = head.find(b">", start)
            if end < 0:
                return None
            pos = end + 1
            continue
        match = re.match(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)", head[start:])
        return match.group(2).decode("ascii") if match else None
