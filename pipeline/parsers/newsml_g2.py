"""NewsML-G2: ``newsItem``, ``packageItem`` and ``newsMessage`` (dpa, Reuters, AP, STT, ANSA, Scoop).

A ``newsMessage`` carries several items; each becomes one ``ParsedItem``, in document
order. Text items have their body inline: XHTML (``inlineXML`` html), NITF (``inlineXML``
nitf) or text (``inlineData``, plain or HTML in CDATA). Picture, video, audio and
graphic items become items of that ``type`` with their caption and renditions
(``remoteContent``); packages become ``composite`` items whose associations are the
referenced items.

Concepts the item codes become records, not text: subjects in IPTC schemes stay subjects
(with the media topic each subject code maps to), typed subjects (people, organisations,
places, POIs, events) and ``located`` become ``entities``, with their position and ISO
country when the item says (an ``assert`` or a ``sameAs``/``broader`` ISO 3166 code).

Agencies differ in vocabulary, not in structure, so the variants are data: role names
(``data/newsml_g2.json``), agency identifiers and home time zones
(``data/agencies.json``), IPTC scheme URIs (``data/iptc.json``). Element names are
matched case-insensitively and without namespace, which also covers BusinessDesk's
non-conforming ``Header``/``ednote`` and NITF bodies that inherit the G2 namespace.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from pipeline.errors import ParseError
from pipeline.parsers._agencies import agency_of, home_zone
from pipeline.parsers._dateline import parse_dateline
from pipeline.parsers._dates import parse_when
from pipeline.parsers._entities import country_code, entity, merge, number
from pipeline.parsers._iptc import pub_status, qcode_uri, split_qcode, subject_from_qcode, with_mediatopics
from pipeline.parsers._text import blocks_from_string, blocks_from_tree, element_text, require_text
from pipeline.parsers._xml import (
    attr,
    child,
    children,
    descendants,
    local_name,
    namespace,
    parse_xml,
    root_name,
    xml_lang,
)
from pipeline.parsers.base import Parser, registry
from pipeline.parsers.nitf import NitfBody, read_nitf_body
from pipeline.records import Association, Block, Entity, Headers, ParsedItem, Party, Rendition, Subject, When

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"

ROOTS = frozenset({"newsItem", "newsMessage", "packageItem"})
#: inlineXML roots read as an XHTML body (STT sends <html> without the XHTML namespace)
XHTML_ROOTS = frozenset({"html", "body", "div", "section", "article", "p"})
XHTML_NS = "http://www.w3.org/1999/xhtml"
#: item types whose description is a caption and may stand in for the summary
MEDIA_TYPES = frozenset({"picture", "video", "audio", "graphic"})
#: ninjs types an itemClass may name ("ninat:picture", Reuters' "icls:picture")
ITEM_TYPES = frozenset({"text", "picture", "video", "audio", "graphic", "composite", "event", "planning"})
#: association type by the media type of a rendition
_MEDIA_PREFIX = {"image": "picture", "video": "video", "audio": "audio"}
#: an ISO 3166-2 subdivision code ("DE-HE")
_SUBDIVISION = re.compile(r"^(?P<country>[A-Za-z]{2})-[A-Za-z0-9]{1,3}$")


@dataclass(frozen=True)
class G2Config:
    summary_roles: frozenset[str]
    caption_roles: frozenset[str]
    subheadline_roles: frozenset[str]
    entity_subject_types: dict[str, str]
    inline_data_skip_renditions: frozenset[str]
    body_skip_classes: frozenset[str]
    body_summary_classes: frozenset[str]
    ed_note_skip_roles: frozenset[str]
    place_features: dict[str, str]
    country_schemes: frozenset[str]
    byline_creator_roles: frozenset[str]


@cache
def config() -> G2Config:
    """The role tables of ``data/newsml_g2.json``, loaded once."""
    data = json.loads((DATA / "newsml_g2.json").read_text(encoding="utf-8"))

    def folded(key: str) -> frozenset[str]:
        return frozenset(v.casefold() for v in data[key])

    return G2Config(
        summary_roles=folded("summary_roles"),
        caption_roles=folded("caption_roles"),
        subheadline_roles=folded("subheadline_roles"),
        entity_subject_types={k.casefold(): v for k, v in data["entity_subject_types"].items()},
        inline_data_skip_renditions=folded("inline_data_skip_renditions"),
        body_skip_classes=folded("body_skip_classes"),
        body_summary_classes=folded("body_summary_classes"),
        ed_note_skip_roles=folded("ed_note_skip_roles"),
        place_features={k.casefold(): v for k, v in data["place_features"].items()},
        country_schemes=folded("country_schemes"),
        byline_creator_roles=folded("byline_creator_roles"),
    )


def _role(node: etree._Element | None) -> str:
    return (attr(node, "role") or "").casefold()


def _int(text: str | None) -> int | None:
    try:
        return int(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


def item_type(item_class: str | None, *, package: bool = False) -> str:
    """ninjs type of an itemClass qcode ("ninat:picture" -> "picture"); packages are composite."""
    if package:
        return "composite"
    if item_class:
        _, code = split_qcode(item_class)
        code = code.casefold()
        if code in ITEM_TYPES:
            return code
    return "text"


def _lang_matches(node: etree._Element, language: str | None) -> bool:
    lang = xml_lang(node)
    return bool(lang and language and lang.split("-")[0].casefold() == language.split("-")[0].casefold())


def concept_name(node: etree._Element | None, language: str | None) -> str | None:
    """The best ``name`` child of a concept: in the item's language, else unlabelled, else first."""
    names = [n for n in children(node, "name") if element_text(n)]
    if not names:
        return None
    display = [n for n in names if _role(n) in ("", "nrol:display", "nrol:full")] or names
    for pick in (
        [n for n in display if _lang_matches(n, language)],
        [n for n in display if xml_lang(n) is None],
        display,
    ):
        if pick:
            return element_text(pick[0]) or None
    return None


def pick_by_language(nodes: list[etree._Element], language: str | None) -> str | None:
    """The text of the node in ``language`` (else the first with text)."""
    with_text = [n for n in nodes if element_text(n)]
    if not with_text:
        return None
    chosen = next((n for n in with_text if _lang_matches(n, language)), with_text[0])
    return element_text(chosen) or None


def _party(node: etree._Element, language: str | None, default_role: str) -> Party | None:
    name = concept_name(node, language) or attr(node, "literal")
    if not name:
        return None
    return Party(name=name, role=attr(node, "role") or default_role, uri=attr(node, "uri"))


def rendition_of(node: etree._Element, index: int, taken: set[str]) -> Rendition:
    """A ``remoteContent`` as a rendition, named after its rendition code ("rnd:highRes" -> "highRes")."""
    code = attr(node, "rendition")
    name = split_qcode(code)[1] if code else f"rendition{index}"
    if name in taken:
        name = f"{name}-{index}"
    taken.add(name)
    duration = attr(node, "duration")
    try:
        seconds = float(duration) if duration else None
    except ValueError:
        seconds = None
    return Rendition(
        name=name,
        href=attr(node, "href") or attr(node, "residref"),
        content_type=attr(node, "contenttype"),
        width=_int(attr(node, "width")),
        height=_int(attr(node, "height")),
        size_bytes=_int(attr(node, "size")),
        duration=seconds,
    )


@dataclass
class _Body:
    blocks: list[Block]
    summary: str | None = None
    nitf: NitfBody | None = None


def _xhtml_body(root: etree._Element) -> _Body:
    """Blocks of an inline XHTML document; dpa's ``p.teaser`` is the summary, not body."""
    cfg = config()

    def classes(node: etree._Element) -> set[str]:
        return {c.casefold() for c in (node.get("class") or "").split()}

    def skip(node: etree._Element) -> bool:
        return bool(classes(node) & cfg.body_skip_classes)

    body = root if local_name(root).lower() == "body" else (descendants(root, "body") or [root])[0]
    summary = next(
        (element_text(n) for n in body.iter() if isinstance(n.tag, str) and classes(n) & cfg.body_summary_classes),
        None,
    )
    return _Body(blocks_from_tree(body, skip=skip), summary or None)


def read_content_set(content_set: etree._Element | None) -> tuple[_Body, list[Rendition]]:
    """The body of an item (first inline rendition that has text) and its remote renditions."""
    cfg = config()
    found: _Body | None = None
    fallback: _Body | None = None
    renditions: list[Rendition] = []
    taken: set[str] = set()
    for node in children(content_set, "inlineXML", "inlineData", "remoteContent"):
        kind = local_name(node).lower()
        if kind == "remotecontent":
            renditions.append(rendition_of(node, len(renditions) + 1, taken))
            continue
        if found is not None:
            continue
        if kind == "inlinexml":
            roots = [c for c in node if isinstance(c.tag, str)]
            if roots:
                root_tag = local_name(roots[0]).lower()
                if root_tag == "nitf":
                    nitf = read_nitf_body(roots[0])
                    found = _Body(list(nitf.blocks), nitf.abstract, nitf)
                elif root_tag in XHTML_ROOTS or namespace(roots[0]) == XHTML_NS:
                    found = _xhtml_body(roots[0])
                else:
                    # Structured payloads (IPTC events, financial data) are not article text.
                    log.debug("inlineXML <%s> is not a text body; skipped", root_tag)
                    continue
            elif (node.text or "").strip():
                found = _Body(blocks_from_string(node.text or ""))
            if found is not None and not found.blocks:
                fallback, found = fallback or found, None
        elif _role_skipped(attr(node, "rendition"), cfg) or not (node.text or "").strip():
            continue
        else:
            found = _Body(blocks_from_string(node.text or ""))
            if not found.blocks:
                fallback, found = fallback or found, None
    return found or fallback or _Body([]), renditions


def _role_skipped(rendition: str | None, cfg: G2Config) -> bool:
    return bool(rendition) and (rendition or "").casefold() in cfg.inline_data_skip_renditions


def _association_type(content_type: str | None) -> str:
    prefix = (content_type or "").split("/", 1)[0].casefold()
    return _MEDIA_PREFIX.get(prefix, "picture")


def package_associations(package: etree._Element, language: str | None) -> list[Association]:
    """The items a package references (``groupSet/group/itemRef``), named group-index."""
    found = []
    counters: dict[str, int] = {}
    for ref in descendants(package, "itemRef"):
        group = ref.getparent()
        group_id = attr(group, "id") if group is not None and local_name(group).lower() == "group" else None
        key = group_id or "item"
        counters[key] = counters.get(key, 0) + 1
        headline = element_text(child(ref, "headline")) or element_text(child(ref, "title")) or None
        found.append(
            Association(
                name=f"{key}-{counters[key]}",
                type=item_type(attr(child(ref, "itemClass"), "qcode")),
                uri=attr(ref, "residref") or attr(ref, "href"),
                headline=headline,
                caption=pick_by_language(children(ref, "description"), language),
            )
        )
    return found


def _fill_references(items: list[ParsedItem]) -> list[ParsedItem]:
    """Share what items of one message know about each other.

    Package references get the headline/caption of the item they point to (Reuters video
    packages reference items without metadata), and a media item without a headline of
    its own gets the headline of the package that carries it (the video, audio and
    keyframe components of such a package have none).
    """
    package_of: dict[str, ParsedItem] = {}
    for item in items:
        if item.type == "composite":
            for assoc in item.associations:
                if assoc.uri and item.headline:
                    package_of.setdefault(assoc.uri, item)
    items = [_package_headline(item, package_of) for item in items]
    by_guid = {item.guid: item for item in items if item.guid}
    filled = []
    for item in items:
        if any(a.uri in by_guid and not (a.headline and a.caption) for a in item.associations):
            associations = []
            for assoc in item.associations:
                target = by_guid.get(assoc.uri or "")
                if target is not None:
                    assoc = dataclasses.replace(
                        assoc,
                        headline=assoc.headline or target.headline,
                        caption=assoc.caption or (target.summary if target.type in MEDIA_TYPES else None),
                    )
                associations.append(assoc)
            item = dataclasses.replace(item, associations=tuple(associations))
        filled.append(item)
    return filled


def _package_headline(item: ParsedItem, package_of: dict[str, ParsedItem]) -> ParsedItem:
    package = package_of.get(item.guid or "")
    if item.type in MEDIA_TYPES and not item.headline and package is not None:
        return dataclasses.replace(item, headline=package.headline)
    return item


@registry.register
class NewsMLG2Parser(Parser):
    """NewsML-G2 items and messages (IPTC ``http://iptc.org/std/nar/2006-10-01/``)."""

    name = "newsml-g2"
    content_types = (
        "application/vnd.iptc.g2.newsitem+xml",
        "application/vnd.iptc.g2.newsmessage+xml",
        "application/vnd.iptc.g2.packageitem+xml",
        "application/xml",
        "text/xml",
    )
    priority = 20

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        return root_name(raw) in ROOTS

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        root = parse_xml(raw, format=self.name)
        kind = local_name(root)
        header: etree._Element | None = None
        if kind == "newsMessage":
            header = child(root, "header")
            elements = children(child(root, "itemSet"), "newsItem", "packageItem")
        elif kind in ("newsItem", "packageItem"):
            elements = [root]
        else:
            raise ParseError(f"root element <{kind}> is not a NewsML-G2 item or message", format=self.name)
        # A package with no identity and no metadata (BusinessDesk's bare itemRef wrapper)
        # is packaging, not an item.
        elements = [e for e in elements if attr(e, "guid") or child(e, "itemMeta") is not None]
        message_lang = xml_lang(root) or attr(root, "lang")
        items = [self.read_item(e, header, message_lang) for e in elements]
        return require_text(_fill_references(items), format=self.name)

    def read_item(
        self, item: etree._Element, header: etree._Element | None = None, message_lang: str | None = None
    ) -> ParsedItem:
        """One ``newsItem`` or ``packageItem``."""
        cfg = config()
        package = local_name(item) == "packageItem"
        item_meta = child(item, "itemMeta")
        content_meta = child(item, "contentMeta")
        rights = child(item, "rightsInfo")
        ntype = item_type(attr(child(item_meta, "itemClass"), "qcode"), package=package)
        language = attr(child(content_meta, "language"), "tag") or xml_lang(item) or message_lang

        provider = child(item_meta, "provider")
        holder = child(rights, "copyrightHolder")
        guid = attr(item, "guid")
        agency = agency_of(
            [
                attr(provider, "qcode"),
                attr(provider, "literal"),
                attr(provider, "uri"),
                concept_name(provider, language),
                guid,
                element_text(child(header, "sender")),
                attr(holder, "qcode"),
                attr(holder, "literal"),
                concept_name(holder, language),
                *(attr(s, "literal") or concept_name(s, language) for s in children(content_meta, "infoSource")),
            ]
        )
        zone = home_zone(agency)

        def when(node: etree._Element | None) -> When | None:
            return parse_when(element_text(node) or None, zone)

        body, renditions = read_content_set(child(item, "contentSet"))
        nitf = body.nitf

        headlines = children(content_meta, "headline")
        main = [h for h in headlines if _role(h) not in cfg.subheadline_roles and element_text(h)]
        headline = (
            (element_text(main[0]) if main else None)
            or element_text(child(item_meta, "title"))
            or (nitf.headline if nitf else None)
            or (nitf.title if nitf else None)
            or None
        )
        subheadlines = tuple(
            element_text(h) for h in headlines if _role(h) in cfg.subheadline_roles and element_text(h)
        ) or (nitf.subheadlines if nitf else ())

        summaries: list[str] = []
        captions: list[str] = []
        for desc in children(content_meta, "description"):
            text = element_text(desc)
            role = _role(desc)
            if not text:
                continue
            if role in cfg.caption_roles:
                captions.append(text)
            elif role in cfg.summary_roles or not role:
                summaries.append(text)
        summary = summaries[0] if summaries else body.summary
        if ntype in MEDIA_TYPES and not summary and captions:
            summary = captions[0]

        byline = (
            element_text(child(content_meta, "by"), words=True)
            or (nitf.byline if nitf else None)
            or _creator_byline(content_meta, language)
        )
        dateline = parse_dateline(element_text(child(content_meta, "dateline"))) or (nitf.dateline if nitf else None)

        ed_notes = [
            element_text(n)
            for n in children(item_meta, "edNote")
            if _role(n) not in cfg.ed_note_skip_roles and not any(isinstance(c.tag, str) for c in n)
        ]

        asserts = _asserts(item)
        subjects, entities = self._subjects(content_meta, language, asserts)
        located = child(content_meta, "located")
        if located is not None:
            entities.insert(0, _concept_entity(located, "place", "located", language, asserts))
        if nitf is not None:
            entities.extend(nitf.entities)
        genres = [
            subject_from_qcode(attr(g, "qcode") or "", concept_name(g, language))
            if attr(g, "qcode")
            else Subject(name=concept_name(g, language) or attr(g, "literal"))
            for g in children(content_meta, "genre")
        ]
        genres = [g for g in genres if g.code or g.name]

        contributors = [
            p
            for p in (
                *(_party(c, language, "creator") for c in children(content_meta, "creator")),
                *(_party(c, language, "contributor") for c in children(content_meta, "contributor")),
            )
            if p is not None
        ]
        info_sources = [
            p for p in (_party(s, language, "source") for s in children(content_meta, "infoSource")) if p is not None
        ]

        associations: list[Association] = []
        if package:
            associations = package_associations(item, language)
        elif ntype == "text":
            associations = [
                Association(
                    name=f"{_association_type(r.content_type)}{i}",
                    type=_association_type(r.content_type),
                    uri=r.href,
                    renditions=(r,),
                )
                for i, r in enumerate(renditions, 1)
            ]
        if nitf is not None:
            associations.extend(nitf.associations)

        extra: list[tuple[str, str]] = []
        for signal in children(item_meta, "signal"):
            if attr(signal, "qcode"):
                extra.append(("signal", attr(signal, "qcode") or ""))
        for service in children(item_meta, "service"):
            if attr(service, "qcode"):
                extra.append(("service", attr(service, "qcode") or ""))
        credit = element_text(child(content_meta, "creditline"))
        if credit:
            extra.append(("creditline", credit))
        sent = element_text(child(header, "sent"))
        if sent:
            extra.append(("message.sent", sent))

        return ParsedItem(
            format=self.name,
            type=ntype,
            guid=guid,
            version=attr(item, "version"),
            agency=agency,
            language=language,
            headline=headline,
            subheadlines=subheadlines,
            summary=summary,
            body=tuple(body.blocks),
            byline=byline,
            dateline=dateline,
            first_created=when(child(item_meta, "firstCreated")),
            version_created=when(child(item_meta, "versionCreated")),
            content_created=when(child(content_meta, "contentCreated")),
            embargoed_until=when(child(item_meta, "embargoed")),
            pub_status=pub_status(attr(child(item_meta, "pubStatus"), "qcode")) or "usable",
            urgency=_int(element_text(child(content_meta, "urgency"))),
            slugline=element_text(child(content_meta, "slugline")) or None,
            ed_note="\n".join(n for n in ed_notes if n) or None,
            keywords=tuple(k for k in (element_text(k) for k in children(content_meta, "keyword")) if k),
            subjects=with_mediatopics(subjects),
            genres=tuple(genres),
            copyright_holder=concept_name(holder, language) or attr(holder, "literal"),
            copyright_notice=pick_by_language(children(rights, "copyrightNotice"), language),
            usage_terms=pick_by_language(children(rights, "usageTerms"), language),
            associations=tuple(associations),
            renditions=tuple(renditions) if ntype != "text" else (),
            contributors=tuple(contributors),
            info_sources=tuple(info_sources),
            entities=merge(entities),
            extra=tuple(extra),
        )

    @staticmethod
    def _subjects(
        content_meta: etree._Element | None, language: str | None, asserts: dict[str, etree._Element]
    ) -> tuple[list[Subject], list[Entity | None]]:
        """Topic subjects, and typed concepts (people, organisations, places, events) as entities.

        IPTC codes a subject declares ``sameAs`` (dpa: its own code sameAs ``subj:``/``medtop:``)
        are added as subjects of their own, once.
        """
        cfg = config()
        subjects: list[Subject] = []
        entities: list[Entity | None] = []
        seen: set[tuple[str | None, str | None]] = set()

        def add(subject: Subject) -> None:
            key = (subject.scheme, subject.code) if subject.code else (None, subject.name)
            if key not in seen:
                seen.add(key)
                subjects.append(subject)

        for node in children(content_meta, "subject"):
            qcode = attr(node, "qcode")
            literal = attr(node, "literal")
            name = concept_name(node, language)
            kind = cfg.entity_subject_types.get((attr(node, "type") or "").casefold())
            if kind:
                entities.append(_concept_entity(node, kind, "subject", language, asserts))
                continue
            if qcode:
                add(subject_from_qcode(qcode, name, creator=attr(node, "creator")))
            elif name or literal:
                add(Subject(name=name or literal, creator=attr(node, "creator")))
            for same in children(node, "sameAs"):
                same_qcode = attr(same, "qcode")
                if same_qcode:
                    candidate = subject_from_qcode(same_qcode, concept_name(same, language) or name)
                    if candidate.uri and candidate.uri.startswith("http://cv.iptc.org/"):
                        add(candidate)
        return subjects, entities


# --------------------------------------------------------------------------- coded concepts


def _asserts(item: etree._Element) -> dict[str, etree._Element]:
    """The item's ``assert`` elements by the qcode or literal they describe (positions, addresses)."""
    found: dict[str, etree._Element] = {}
    for node in children(item, "assert"):
        key = attr(node, "qcode") or attr(node, "literal")
        if key:
            found.setdefault(key, node)
    return found


def _own_codes(node: etree._Element) -> list[str]:
    """The concept's qcode and those it declares ``sameAs``."""
    codes = [attr(node, "qcode")]
    codes += [attr(same, "qcode") for same in children(node, "sameAs")]
    return [c for c in codes if c]


def _iso_code(qcode: str) -> tuple[str | None, bool]:
    """(ISO country, is a subdivision) of a qcode in an ISO 3166 scheme; (None, False) otherwise.

    dpa writes subdivisions in the country scheme ("iso3166-1a2:DE-HE", ISO 3166-2): the
    country is the part before the hyphen.
    """
    scheme, code = split_qcode(qcode)
    if not scheme or scheme.casefold() not in config().country_schemes:
        return None, False
    subdivision = _SUBDIVISION.match(code)
    if subdivision:
        return country_code(subdivision["country"]), True
    return country_code(code), False


def _country(nodes: list[etree._Element]) -> str | None:
    """The ISO country of a place: its own code, else one of its broader concepts' codes."""
    for node in nodes:
        for element in node.iter():
            qcode = attr(element, "qcode") if isinstance(element.tag, str) else None
            found = _iso_code(qcode)[0] if qcode else None
            if found:
                return found
    return None


def _feature(node: etree._Element) -> str | None:
    """ "city", "region" or "country" when the concept's type or own code says so."""
    feature = config().place_features.get((attr(node, "type") or "").casefold())
    if feature:
        return feature
    for qcode in _own_codes(node):
        country, subdivision = _iso_code(qcode)
        if country:
            return "region" if subdivision else "country"
    return None


def _coordinates(nodes: list[etree._Element]) -> tuple[float | None, float | None]:
    for node in nodes:
        for position in descendants(node, "position"):
            lat, lon = number(attr(position, "latitude")), number(attr(position, "longitude"))
            if lat is not None and lon is not None:
                return lat, lon
    return None, None


def _concept_entity(
    node: etree._Element, kind: str, rel: str, language: str | None, asserts: dict[str, etree._Element]
) -> Entity | None:
    """A typed subject or ``located`` as an Entity; details from a matching ``assert`` too."""
    qcode = attr(node, "qcode")
    literal = attr(node, "literal")
    described = [node, *(asserts[key] for key in (qcode, literal) if key and key in asserts)]
    uri = (qcode_uri(qcode) if qcode else None) or attr(node, "uri")
    if uri is None:
        uri = next((u for u in (qcode_uri(c) for c in _own_codes(node)[1:]) if u), None)
    relevance = number(attr(node, "confidence") or attr(node, "relevance"))
    latitude, longitude = _coordinates(described) if kind == "place" else (None, None)
    return entity(
        concept_name(node, language) or literal,
        kind,
        rel,
        uri=uri,
        literal=qcode or literal,
        country=_country(described) if kind == "place" else None,
        latitude=latitude,
        longitude=longitude,
        feature=_feature(node) if kind == "place" else None,
        confidence=int(relevance) if relevance is not None else None,
    )


def _creator_byline(content_meta: etree._Element | None, language: str | None) -> str | None:
    """Names of the creators whose role makes them the byline (a picture's photographer)."""
    roles = config().byline_creator_roles
    names = [
        concept_name(node, language) or attr(node, "literal")
        for node in children(content_meta, "creator")
        if (attr(node, "role") or "").casefold() in roles
    ]
    return ", ".join(n for n in names if n) or None
