"""Ritzau RBNews XML: Ritzau's own flat format (a .NET serialisation), one item or a feed.

Not NITF: each field is a child of ``<RBNews>`` (``NewsID``, ``PublishDate``,
``headline``, ``subtitle``, ``strapline``, ``town``, ``origin``, ``section``), empty
values are ``xsi:nil``, the body (``content``) and the note to editors
(``TilRedaktionen``) are HTML carried as escaped text - sometimes escaped twice
(``&amp;amp;apos;``), which the shared text rules undo. IPTC subject codes come as
``IPTCList/int``. A feed response (``XMLNewsQueuedResponse``) wraps several ``RBNews``.
Timestamps have no offset and are read in Copenhagen time (the agency table's zone).
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from pipeline.errors import ParseError
from pipeline.parsers._agencies import agency_of, home_zone
from pipeline.parsers._dates import parse_when
from pipeline.parsers._iptc import iptc_subject, is_subject_code, with_mediatopics
from pipeline.parsers._text import blocks_from_string, element_text, require_text
from pipeline.parsers._xml import child, children, descendants, is_nil, local_name, parse_xml, root_name
from pipeline.parsers.base import Parser, registry
from pipeline.records import Dateline, Headers, ParsedItem

ROOTS = frozenset({"RBNews", "XMLNewsQueuedResponse"})
#: the producer of the format, named for the agency table when an item names no origin
FORMAT_PRODUCER = "Ritzau"


def _text(record: etree._Element, name: str) -> str | None:
    node = child(record, name)
    if node is None or is_nil(node):
        return None
    return element_text(node) or None


def _raw(record: etree._Element, name: str) -> str | None:
    """A field's text before whitespace collapsing (HTML bodies keep their line structure)."""
    node = child(record, name)
    if node is None or is_nil(node):
        return None
    return node.text if node.text and node.text.strip() else None


def _flag(record: etree._Element, name: str) -> bool:
    return (_text(record, name) or "").casefold() == "true"


@registry.register
class RitzauParser(Parser):
    """Ritzau RBNews XML items and feed responses."""

    name = "ritzau-rbnews"
    content_types = ("application/xml", "text/xml")
    priority = 30

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        return root_name(raw) in ROOTS

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        root = parse_xml(raw, format=self.name)
        if local_name(root) == "RBNews":
            records = [root]
        elif local_name(root) == "XMLNewsQueuedResponse":
            records = descendants(root, "RBNews")
        else:
            raise ParseError(f"root element <{local_name(root)}> is not a Ritzau RBNews document", format=self.name)
        return require_text([self.read(r) for r in records], format=self.name)

    def read(self, record: etree._Element) -> ParsedItem:
        """One ``RBNews`` record."""
        origin = _text(record, "origin")
        agency = agency_of([origin, FORMAT_PRODUCER])
        zone = home_zone(agency)
        town = _text(record, "town")
        dateline = None
        if town or origin:
            dateline = Dateline(
                raw=" ".join(p for p in (town, origin) if p),
                place=town,
                agency=origin.strip("/").strip() if origin else None,
            )
        content = _raw(record, "content")
        note = _raw(record, "TilRedaktionen")
        codes = [element_text(c) for c in children(child(record, "IPTCList"), "int", "string")]
        keywords = [element_text(c) for c in children(child(record, "SubjectKeyword"), "string")]
        subtitle = _text(record, "subtitle")
        extra: list[tuple[str, str]] = []
        for name in ("format", "HistID", "Status", "Topstory"):
            value = _text(record, name)
            if value:
                extra.append((f"ritzau.{name}", value))
        for name in ("Korrektion", "NyVersion", "InfoFlash"):
            if _flag(record, name):
                extra.append(("signal", f"ritzau:{name}"))
        isins = [element_text(c) for c in children(child(record, "ISIN"), "string")]
        extra.extend(("isin", i) for i in isins if i)
        priority = _text(record, "Priority")
        return ParsedItem(
            format=self.name,
            guid=_text(record, "NewsID"),
            version=_text(record, "version"),
            agency=agency,
            headline=_text(record, "headline"),
            subheadlines=(subtitle,) if subtitle else (),
            body=tuple(blocks_from_string(content)) if content else (),
            byline=_text(record, "byLine"),
            dateline=dateline,
            version_created=parse_when(_text(record, "PublishDate"), zone),
            pub_status="canceled" if _flag(record, "Annuleret") else "usable",
            urgency=int(priority) if priority and priority.isdigit() else None,
            slugline=_text(record, "strapline"),
            ed_note="\n".join(b.text for b in blocks_from_string(note)) or None if note else None,
            section=_text(record, "section"),
            keywords=tuple(k for k in keywords if k),
            subjects=with_mediatopics(iptc_subject(c.zfill(8)) for c in codes if c and is_subject_code(c.zfill(8))),
            extra=tuple(extra),
        )
