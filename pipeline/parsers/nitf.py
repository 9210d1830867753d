"""NITF 3.x (News Industry Text Format): PA, EFE, AAP, Canadian Press, Ritzau, NTB, AP.

One ``<nitf>`` document is one item. The head carries the metadata (``docdata``:
identifier, urgency, issue/release dates, copyright, editor's message, keywords;
``tobject``: IPTC subject codes and the genre-like property; ``meta``: whatever the
producer adds, named per producer in ``data/nitf.json``), the body carries
``body.head`` (headline, byline, dateline, abstract) and ``body.content``.

What the producer coded becomes ``entities``: ``evloc`` (where the event took place),
``identified-content`` (what the item is about) and the ``<person>``, ``<org>``,
``<location>`` and ``<event>`` markup in the text (what it mentions).

``read_nitf_body`` is shared with the NewsML parsers, which carry NITF inside
``inlineXML`` (NewsML-G2) or ``DataContent`` (NewsML 1.2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from pipeline.errors import ParseError
from pipeline.parsers._agencies import agency_of, home_zone
from pipeline.parsers._dateline import parse_dateline
from pipeline.parsers._dates import parse_when
from pipeline.parsers._entities import country_code, entity, merge
from pipeline.parsers._iptc import iptc_subject, is_subject_code, pub_status, with_mediatopics
from pipeline.parsers._text import blocks_from_tree, clean_inline, element_text, join_words, require_text
from pipeline.parsers._xml import attr, child, children, descendants, local_name, parse_xml, path, root_name, xml_lang
from pipeline.parsers.base import Parser, registry
from pipeline.records import Association, Block, Dateline, Entity, Headers, ParsedItem, Rendition, Subject

DATA = Path(__file__).resolve().parent / "data"

#: location parts of an NITF dateline, most specific first
_LOCATION_PARTS = ("sublocation", "city", "state", "region", "country")
#: NITF elements that mark up a named concept, and the Entity kind each is
_ENTITY_ELEMENTS = {"person": "person", "org": "organisation", "location": "place", "event": "event"}
#: evloc attributes, most specific first, and the Entity feature each names
_EVLOC_PARTS = (("city", "city"), ("county-dist", "region"), ("state-prov", "region"))


@cache
def _config() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((DATA / "nitf.json").read_text(encoding="utf-8"))
    return config


@dataclass(frozen=True)
class NitfBody:
    """What an NITF ``body`` holds, format-neutral."""

    headline: str | None = None
    title: str | None = None  # head/title: producers without a hedline put the headline there
    subheadlines: tuple[str, ...] = ()
    byline: str | None = None
    byline_title: str | None = None
    dateline: Dateline | None = None
    story_date: str | None = None  # the dateline's story.date (``norm`` when given)
    abstract: str | None = None
    blocks: tuple[Block, ...] = ()
    associations: tuple[Association, ...] = ()
    distributor: str | None = None
    rights_owner: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: people, organisations, places and events the producer marked up in the text
    entities: tuple[Entity, ...] = ()


def _text_without(node: etree._Element, skip: set[str]) -> str:
    """The text of ``node`` minus the subtrees named in ``skip``; pieces joined by spaces."""
    pieces: list[str] = []

    def walk(el: etree._Element) -> None:
        if el.text:
            pieces.append(el.text)
        for kid in el:
            if isinstance(kid.tag, str) and local_name(kid).lower() not in skip:
                walk(kid)
            if kid.tail:
                pieces.append(kid.tail)

    walk(node)
    return clean_inline(join_words(pieces))


def _dateline(node: etree._Element | None) -> tuple[Dateline | None, str | None]:
    """(dateline, story date) of an NITF ``dateline``: structured ``location`` or plain text."""
    if node is None:
        return None, None
    story = child(node, "story.date")
    story_date = (attr(story, "norm") or element_text(story) or None) if story is not None else None
    raw = _text_without(node, {"story.date"})
    location = child(node, "location")
    if location is not None:
        parts = [element_text(p) for p in children(location, *_LOCATION_PARTS)]
        place = ", ".join(p for p in parts if p) or element_text(location) or None
        full = element_text(node, words=True) or raw
        return Dateline(raw=full, place=place, date_text=element_text(story) or None), story_date
    if raw:
        parsed = parse_dateline(raw)
        return parsed, story_date
    if story_date:
        return Dateline(raw=element_text(story) or story_date, date_text=element_text(story) or story_date), story_date
    return None, None


def media_associations(container: etree._Element) -> list[Association]:
    """NITF ``media`` elements (pictures, video, audio) as associations with captions."""
    found = []
    for n, media in enumerate(descendants(container, "media"), 1):
        kind = (attr(media, "media-type") or "image").lower()
        refs = children(media, "media-reference")
        renditions = []
        for i, ref in enumerate(refs, 1):
            href = attr(ref, "source") or attr(ref, "data-location")
            renditions.append(
                Rendition(
                    name=f"rendition{i}",
                    href=href,
                    content_type=attr(ref, "mime-type"),
                    width=_int(attr(ref, "width")),
                    height=_int(attr(ref, "height")),
                )
            )
        caption = element_text(child(media, "media-caption")) or None
        credit = element_text(child(media, "media-producer")) or None
        alt = next((attr(r, "alternate-text") for r in refs if attr(r, "alternate-text")), None)
        if not (caption or credit or alt or any(r.href for r in renditions)):
            continue
        found.append(
            Association(
                name=f"media{n}",
                type=_MEDIA_TYPES.get(kind, "picture"),
                headline=alt,
                caption=caption,
                credit=credit,
                renditions=tuple(r for r in renditions if r.href),
            )
        )
    return found


_MEDIA_TYPES = {"image": "picture", "photo": "picture", "video": "video", "audio": "audio", "graphic": "graphic"}


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def read_nitf_body(nitf: etree._Element) -> NitfBody:
    """The ``body`` of an ``<nitf>`` element (or of a bare ``body``)."""
    body = nitf if local_name(nitf).lower() == "body" else child(nitf, "body")
    if body is None:
        return NitfBody()
    head = child(body, "body.head")
    hedline = child(head, "hedline")
    headline = element_text(child(hedline, "hl1")) or None
    subheadlines = tuple(t for t in (element_text(h) for h in children(hedline, "hl2")) if t)
    byline_el = child(head, "byline")
    byline = byline_title = None
    if byline_el is not None:
        # "By Meredith Jameson, <byttl>Staff Reporter</byttl>": the comma belonged to the title.
        byline = _text_without(byline_el, {"byttl"}).rstrip(",;:/ ") or None
        byline_title = element_text(child(byline_el, "byttl"), words=True) or None
    dateline, story_date = _dateline(child(head, "dateline"))
    abstract_el = child(head, "abstract")
    abstract = None
    if abstract_el is not None:
        abstract = " ".join(b.text for b in blocks_from_tree(abstract_el, skip=_is_media)) or None
    notes = tuple(t for t in (element_text(n, words=True) for n in children(head, "note")) if t)
    content = child(body, "body.content")
    blocks = tuple(blocks_from_tree(content)) if content is not None else ()
    mentioned = merge(_markup_entity(node, "mentioned") for node in descendants(content, *_ENTITY_ELEMENTS))
    associations = tuple(media_associations(content)) if content is not None else ()
    rights = child(head, "rights")
    return NitfBody(
        headline=headline,
        title=element_text(path(nitf, "head", "title")) or None,
        subheadlines=subheadlines,
        byline=byline or byline_title,
        byline_title=byline_title if byline else None,
        dateline=dateline,
        story_date=story_date,
        abstract=abstract,
        blocks=blocks,
        associations=associations,
        distributor=element_text(child(head, "distributor"), words=True) or None,
        rights_owner=element_text(child(rights, "rights.owner")) or None,
        notes=notes,
        entities=mentioned,
    )


def _markup_entity(node: etree._Element, rel: str) -> Entity | None:
    """``<person>``, ``<org>``, ``<location>`` or ``<event>`` as an Entity (its ``value`` is the code)."""
    kind = _ENTITY_ELEMENTS[local_name(node).lower()]
    literal = attr(node, "value") or attr(node, "location-code") or attr(node, "idsrc")
    source = attr(node, "code-source")
    if literal and source and attr(node, "location-code"):
        literal = f"{source}:{literal}"
    country = element_text(child(node, "country")) if kind == "place" else None
    return entity(element_text(node, words=True), kind, rel, literal=literal, country=country_code(country))


def _evloc_entity(evloc: etree._Element) -> Entity | None:
    """``evloc``: where the event the story reports took place."""
    name, feature = next(
        ((attr(evloc, key), feat) for key, feat in _EVLOC_PARTS if attr(evloc, key)),
        (attr(evloc, "iso-cc"), "country"),
    )
    return entity(name, "place", "about", country=country_code(attr(evloc, "iso-cc")), feature=feature)


def coded_entities(docdata: etree._Element | None, body: NitfBody) -> tuple[Entity, ...]:
    """What the NITF head codes (evloc, identified-content) and the body marks up."""
    found: list[Entity | None] = [_evloc_entity(e) for e in children(docdata, "evloc")]
    for content in children(docdata, "identified-content"):
        found += [_markup_entity(node, "subject") for node in children(content, *_ENTITY_ELEMENTS)]
    return merge([*found, *body.entities])


@cache
def _initials() -> re.Pattern[str]:
    return re.compile(str(_config()["initials_byline"]))


def _is_media(node: etree._Element) -> bool:
    return local_name(node).lower() == "media"


def _subjects(tobject: etree._Element | None) -> list[Subject]:
    """``tobject.subject`` codes: IPTC subject codes as such, producer codes with their ``ipr``."""
    subjects: list[Subject] = []
    seen: set[tuple[str | None, str]] = set()
    for subject in children(tobject, "tobject.subject"):
        code = attr(subject, "tobject.subject.refnum")
        if not code:
            continue
        name = (
            attr(subject, "tobject.subject.detail")
            or attr(subject, "tobject.subject.matter")
            or attr(subject, "tobject.subject.type")
        )
        ipr = attr(subject, "tobject.subject.ipr")
        if is_subject_code(code) and (ipr is None or ipr.upper() == "IPTC"):
            item = iptc_subject(code, name)
        else:
            item = Subject(name=name, code=code, scheme=(ipr or "nitf").lower())
        key = (item.scheme, code)
        if key not in seen:
            seen.add(key)
            subjects.append(item)
    return subjects


@registry.register
class NitfParser(Parser):
    """NITF 3.x documents (``<nitf>`` root, any namespace)."""

    name = "nitf"
    content_types = ("application/nitf+xml", "application/xml", "text/xml")
    priority = 30

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        return root_name(raw) == "nitf"

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        root = parse_xml(raw, format=self.name)
        if local_name(root) != "nitf":
            raise ParseError(f"root element <{local_name(root)}> is not <nitf>", format=self.name)
        return require_text([self.read(root)], format=self.name)

    def read(self, root: etree._Element) -> ParsedItem:
        """One NITF document as a ``ParsedItem``."""
        config = _config()
        head = child(root, "head")
        docdata = child(head, "docdata")
        meta: list[tuple[str, str]] = [
            (attr(m, "name") or "", (m.get("content") or "").strip()) for m in children(head, "meta")
        ]

        def meta_value(names: list[str]) -> str | None:
            wanted = {n.casefold() for n in names}
            return next((v for k, v in meta if k.casefold() in wanted and v), None)

        body = read_nitf_body(root)
        doc_id = child(docdata, "doc-id")
        copyright_el = child(docdata, "doc.copyright")
        sources = [attr(s, "src-name") for s in descendants(docdata, "from-src")]
        agency = agency_of(
            [
                meta_value(config["agency_meta"]),
                attr(doc_id, "regsrc"),
                *sources,
                body.distributor,
                attr(copyright_el, "holder"),
                body.rights_owner,
                attr(doc_id, "id-string"),
            ]
        )
        zone = home_zone(agency)

        issued = parse_when(attr(child(docdata, "date.issue"), "norm"), zone)
        released = parse_when(attr(child(docdata, "date.release"), "norm"), zone)
        embargo = released if released and issued and released.value > issued.value else None
        status = attr(docdata, "management-status")

        urgency_el = child(docdata, "urgency") if child(docdata, "urgency") is not None else child(head, "urgency")
        du_key = child(docdata, "du-key")
        keywords = [attr(k, "key") or element_text(k) for k in descendants(child(docdata, "key-list"), "keyword")]
        tobject = child(head, "tobject")
        genres = [
            Subject(name=t, scheme="nitf:tobject.property")
            for t in (attr(p, "tobject.property.type") for p in children(tobject, "tobject.property"))
            if t
        ]
        ed_notes = [attr(m, "info") for m in children(docdata, "ed-msg")]
        ed_notes += list(body.notes)
        language = attr(root, "baselang") or xml_lang(root) or xml_lang(child(root, "body"))
        title = element_text(child(head, "title")) or None

        extra: list[tuple[str, str]] = []
        if tobject is not None and attr(tobject, "tobject.type"):
            extra.append(("tobject.type", attr(tobject, "tobject.type") or ""))
        byline = body.byline
        if byline and _initials().match(byline):
            # EFE's byline element holds the desk's initials ("mrc/lfp/jgb"), not an author
            extra.append(("nitf.initials", byline))
            byline = None
        expire = parse_when(attr(child(docdata, "date.expire"), "norm"), zone)
        if expire is not None:
            extra.append(("expires", expire.value.isoformat()))
        category = meta_value(config["category_meta"])
        if category:
            extra.append(("category", category))
        if body.story_date:
            extra.append(("story.date", body.story_date))

        rights = child(docdata, "doc.rights")
        return ParsedItem(
            format=self.name,
            guid=attr(doc_id, "id-string"),
            version=attr(du_key, "version"),
            agency=agency,
            language=language,
            headline=body.headline or title,
            subheadlines=body.subheadlines,
            summary=body.abstract,
            body=body.blocks,
            byline=byline,
            dateline=body.dateline,
            version_created=issued,
            content_created=parse_when(body.story_date, zone) if body.story_date else None,
            embargoed_until=embargo,
            pub_status=pub_status(status) or "usable",
            urgency=_int(attr(urgency_el, "ed-urg")),
            slugline=meta_value(config["slugline_meta"]) or attr(du_key, "key"),
            ed_note="\n".join(n for n in ed_notes if n) or None,
            keywords=tuple(k for k in keywords if k),
            subjects=with_mediatopics(_subjects(tobject)),
            genres=tuple(genres),
            copyright_holder=attr(copyright_el, "holder") or body.rights_owner,
            usage_terms=attr(rights, "type"),
            associations=body.associations,
            entities=coded_entities(docdata, body),
            extra=tuple(extra),
        )
