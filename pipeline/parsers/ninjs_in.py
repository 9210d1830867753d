"""ninjs (IPTC News in JSON) 1.x, 2.x and 3.x in, and the AP Media API JSON that extends 1.x.

The versions name the same things differently:

    1.x  headline, body_html / body_text, description_text, subject, place, person,
         versioncreated, embargoed, located (a string); superdesk also sends guid, byline
    2.x  headlines[], bodies[], descriptions[], subjects[], places[], people[], by,
         versioncreated, pubstatus, contenttype (all lower-case)
    3.x  the 2.x structure in camelCase: versionCreated, pubStatus, contentType,
         embargoedUntil, altIds, infoSources
    AP Media API  {"api_version": .., "data": {"item": {..}}} or {"data": {"items": [..]}}:
         1.x-like names plus bylines[], headline_extended, datelinelocation

So keys are compared lower-cased, and both the singular 1.x and the plural 2.x/3.x forms
are read. The detected version is kept in ``extra`` ("ninjs:version"). Bodies in HTML
(or NITF) become Blocks; non-text items (picture, video, audio, graphic, event) keep
their type and renditions. Source-coded people, organisations, places and events become
``entities`` (rel as the source gives it, else "subject"); IPTC subject codes also yield
the media topic they map to. The agency is the ``wf_agency`` header's, else the one the
item's copyright holder, info sources or identifier name (``data/agencies.json``).
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson

from pipeline.decoding import decode_text
from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers._agencies import agency_of
from pipeline.parsers._entities import entity, merge, number
from pipeline.parsers._iptc import iptc_subject, is_subject_code, with_mediatopics
from pipeline.parsers._markup import html_blocks, html_text, text_blocks
from pipeline.parsers._teletype import agency_header, anpa_category_name, collapse
from pipeline.parsers.base import Parser, declared_charset, registry
from pipeline.records import (
    Association,
    Block,
    Dateline,
    Entity,
    Headers,
    ParsedItem,
    Party,
    Rendition,
    Subject,
    When,
)

log = logging.getLogger(__name__)

NAME = "ninjs"
#: how much of a wide-character (UTF-16/32) dispatch is decoded to sniff it
SNIFF_BYTES = 16384
#: byte-order marks of the wide encodings JSON may arrive in (UTF-32 first: its LE mark starts like UTF-16's)
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: largest JSON dispatch we read (an item with its associations is tens of KB)
MAX_BYTES = 20 * 1024 * 1024
NINJS_TYPES = frozenset({"text", "audio", "video", "picture", "graphic", "composite", "component", "event", "planning"})
# Source types with another name for a ninjs type (superdesk "preformatted" text).
TYPE_ALIASES = {"preformatted": "text", "image": "picture", "photo": "picture"}
PUB_STATUS = {"usable": "usable", "withheld": "withheld", "canceled": "canceled", "cancelled": "canceled"}
# Keys only ninjs 3.x spells in camelCase; any of them marks a 3.x document.
_V3_KEYS = frozenset(
    {
        "versionCreated",
        "firstCreated",
        "contentCreated",
        "pubStatus",
        "embargoedUntil",
        "copyrightHolder",
        "copyrightNotice",
        "usageTerms",
        "edNote",
        "altIds",
        "infoSources",
        "representationType",
        "eventDetails",
        "rightsInfo",
        "trustIndicators",
        "plannedCoverage",
        "digitalSourceType",
    }
)
_V2_KEYS = frozenset(
    {
        "headlines",
        "bodies",
        "descriptions",
        "subjects",
        "altids",
        "infosources",
        "people",
        "places",
        "organisations",
        "genres",
    }
)
_ID_KEYS = (b'"uri"', b'"guid"', b'"altids"')
_CONTENT_KEYS = (b'"headline', b'"bodies"', b'"body_', b'"eventDetails"', b'"descriptions"', b'"title"')
# Body content types in order of preference: markup carries paragraph structure.
_HTML_TYPES = ("text/html", "application/xhtml+xml", "xhtml")
#: description roles that carry the article's text itself, not a summary (NTB: "text")
_TEXT_ROLES = frozenset({"text", "body", "fulltext"})
_XML_TYPES = ("nitf", "application/xml", "text/xml")


@registry.register
class NinjsParser(Parser):
    """ninjs 1.x/2.x/3.x JSON (and AP Media API item JSON) into ParsedItems."""

    name: ClassVar[str] = NAME
    content_types: ClassVar[tuple[str, ...]] = ("application/json", "application/ninjs+json", "text/json")
    priority: ClassVar[int] = 40

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        raw = _sniffable(raw)
        head = raw[:256].lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head.startswith((b"{", b"[")):
            return False
        if b'"api_version"' in raw[:4096] and b'"item' in raw:
            return True
        return any(k in raw for k in _ID_KEYS) and any(k in raw for k in _CONTENT_KEYS)

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        if len(raw) > MAX_BYTES:
            raise ParseError(f"JSON dispatch of {len(raw)} bytes exceeds the {MAX_BYTES}-byte limit", format=NAME)
        text = decode_text(raw, declared_charset(headers)).text
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"malformed JSON: {exc}", format=NAME) from None
        agency = agency_header(headers)
        objects = list(_objects(document))
        if not objects:
            raise ParseError("JSON holds no ninjs object (expected an object with uri and headline/body)", format=NAME)
        items: list[ParsedItem] = []
        for shape, obj in objects:
            item = _ap_media(obj, agency) if shape == "ap-media" else _ninjs(obj, agency)
            if item.headline or item.body or item.summary or item.renditions:
                items.append(item)
        if not items:
            raise EmptyDispatchError("ninjs item holds no headline, description, body or rendition", format=NAME)
        return items


def _sniffable(raw: bytes) -> bytes:
    """UTF-16/32 JSON (with its byte-order mark) as UTF-8 bytes for sniffing; other bytes as they are."""
    for bom, codec in _WIDE_BOMS:
        if raw.startswith(bom):
            return raw[len(bom) : len(bom) + SNIFF_BYTES * 4].decode(codec, errors="ignore").encode("utf-8")
    return raw


# ----------------------------------------------------------------------------- shapes


def _lower(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in obj.items()}


def _objects(document: Any) -> Iterable[tuple[str, dict[str, Any]]]:
    """(shape, object) for every item: one object, a list of them, or an AP Media envelope."""
    if isinstance(document, list):
        for entry in document:
            yield from _objects(entry)
        return
    if not isinstance(document, dict):
        return
    data = document.get("data")
    if "api_version" in document and isinstance(data, dict):
        entries = [data] if isinstance(data.get("item"), dict) else data.get("items") or []
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("item"), dict):
                yield "ap-media", {**entry["item"], "_nitf": document.get("nitf")}
        return
    yield "ninjs", document


def version_of(obj: Mapping[str, Any]) -> str:
    """The ninjs major version by key spelling ("3", "2", "1"), or the one ``standard`` declares."""
    standard = obj.get("standard")
    if isinstance(standard, dict) and "ninjs" in str(standard.get("name", "")).lower() and standard.get("version"):
        return str(standard["version"])
    keys = set(obj)
    if keys & _V3_KEYS:
        return "3"
    if {k.lower() for k in keys} & _V2_KEYS:
        return "2"
    return "1"


# ----------------------------------------------------------------------------- values


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value if v)
    text = str(value).strip()
    return text or None


def _when(value: Any) -> When | None:
    """An ISO 8601 date-time as printed ("2019-03-25T08:54:09+0000", "...Z", no zone)."""
    text = _str(value)
    if not text:
        return None
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)  # "+0000" -> "+00:00"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        log.debug("not an ISO date-time: %r", text)
        return None
    if len(text) <= 10:  # a date without a time
        return When(moment.replace(tzinfo=moment.tzinfo or UTC), "day", "" if moment.tzinfo else "UTC", text)
    if moment.tzinfo is None:
        # ninjs requires an offset; a source that omits it is read as UTC, and says so.
        return When(moment.replace(tzinfo=UTC), "second", "UTC", text)
    return When(moment, "second", "", text)


def _first(values: Any, roles: Sequence[str] = ()) -> tuple[str | None, list[str]]:
    """(main value, other values) of a ninjs headlines/descriptions list, by role."""
    if not isinstance(values, list):
        return None, []
    entries = [_lower(v) for v in values if isinstance(v, dict) and _str(v.get("value"))]
    if not entries:
        return None, []
    chosen = next((e for role in roles for e in entries if str(e.get("role", "")).lower() == role), entries[0])
    others = [_plain(e) for e in entries if e is not chosen]
    return _plain(chosen), [o for o in others if o]


def _plain(entry: Mapping[str, Any]) -> str:
    value = str(entry.get("value", ""))
    kind = str(entry.get("contenttype", "")).lower()
    return html_text(value) if "html" in kind or value.lstrip().startswith("<") else collapse(value)


def _body(obj: Mapping[str, Any]) -> tuple[Block, ...]:
    """The body blocks: HTML first, then NITF/XML, then plain text."""
    bodies = obj.get("bodies")
    if isinstance(bodies, list):
        entries = [_lower(b) for b in bodies if isinstance(b, dict) and _str(b.get("value"))]
        for wanted, reader in (
            (_HTML_TYPES, html_blocks),
            (_XML_TYPES, html_blocks),
            (("text/plain", ""), text_blocks),
        ):
            for entry in entries:
                kind = f"{entry.get('contenttype', '')} {entry.get('role', '')}".lower()
                if any(w and w in kind for w in wanted):
                    blocks = reader(str(entry["value"]))
                    if blocks:
                        return blocks
        for entry in entries:  # no content type: sniff
            value = str(entry["value"])
            blocks = html_blocks(value) if value.lstrip().startswith("<") else text_blocks(value)
            if blocks:
                return blocks
        return ()
    if _str(obj.get("body_html")):
        return html_blocks(str(obj["body_html"]))
    if _str(obj.get("body_text")):
        return text_blocks(str(obj["body_text"]))
    return ()


def _blocks_of(entry: Mapping[str, Any]) -> tuple[Block, ...]:
    """Blocks of a description/body entry: by its content type, else by its look."""
    value = str(entry.get("value") or "")
    kind = str(entry.get("contenttype", "")).lower()
    markup = any(t in kind for t in (*_HTML_TYPES, *_XML_TYPES)) or value.lstrip().startswith("<")
    return html_blocks(value) if markup else text_blocks(value)


def _concepts(values: Any, *, bare_codes_are_iptc: bool = False) -> tuple[Subject, ...]:
    """ninjs subjects/genres (2.x/3.x: name, uri, literal, rel; 1.x: code, name, scheme).

    ``bare_codes_are_iptc``: superdesk's ninjs 1.x ``subject`` lists IPTC subject codes
    without a scheme (custom vocabularies carry one), so an eight-digit code without a
    scheme there is read as an IPTC subject code.
    """
    if isinstance(values, dict):
        values = [values]
    if not isinstance(values, list):
        return ()
    out: list[Subject] = []
    for raw in values:
        if not isinstance(raw, dict):
            continue
        entry = _lower(raw)
        confidence = entry.get("confidence")
        rels = entry.get("rels")
        rel = entry.get("rel") or (rels[0] if isinstance(rels, list) and rels else None)
        code = _str(entry.get("literal") or entry.get("code") or entry.get("qcode"))
        scheme = _str(entry.get("scheme"))
        uri = _str(entry.get("uri"))
        if not uri and scheme and scheme.startswith(("http://", "https://")) and code:
            uri = scheme + code
        if bare_codes_are_iptc and not uri and not scheme and code and is_subject_code(code):
            subject_code = iptc_subject(code)
            uri, scheme = subject_code.uri, subject_code.scheme
        subject = Subject(
            name=_str(entry.get("name")),
            uri=uri,
            code=code,
            scheme=scheme,
            rel=_str(rel),
            confidence=int(confidence) if isinstance(confidence, (int, float)) and 0 <= confidence <= 100 else None,
            creator=_str(entry.get("creator")),
        )
        if subject.name or subject.uri or subject.code:
            out.append(subject)
    return tuple(out)


def _renditions(values: Any) -> tuple[Rendition, ...]:
    """Renditions as a 2.x/3.x list or a 1.x/AP name -> object map."""
    pairs: list[tuple[str, Mapping[str, Any]]] = []
    if isinstance(values, dict):
        pairs = [(str(k), v) for k, v in values.items() if isinstance(v, dict)]
    elif isinstance(values, list):
        pairs = [(str(v.get("name") or f"r{i}"), v) for i, v in enumerate(values, 1) if isinstance(v, dict)]
    out = []
    for name, raw in pairs:
        entry = _lower(raw)

        def number(key: str, entry: dict[str, Any] = entry) -> int | None:
            value = entry.get(key)
            return int(value) if isinstance(value, (int, float)) and value >= 0 else None

        duration = entry.get("duration")
        out.append(
            Rendition(
                name=name,
                href=_str(entry.get("href")),
                content_type=_str(entry.get("contenttype") or entry.get("mimetype") or entry.get("mime_type")),
                width=number("width"),
                height=number("height"),
                size_bytes=number("sizeinbytes"),
                duration=float(duration) if isinstance(duration, (int, float)) else None,
            )
        )
    return tuple(out)


def _associations(values: Any) -> tuple[Association, ...]:
    pairs: list[tuple[str, Mapping[str, Any]]] = []
    if isinstance(values, dict):
        pairs = [(str(k), v) for k, v in values.items() if isinstance(v, dict)]
    elif isinstance(values, list):
        pairs = [(str(v.get("name") or f"a{i}"), v) for i, v in enumerate(values, 1) if isinstance(v, dict)]
    out = []
    for name, raw in pairs:
        entry = _lower(raw)
        headline, _ = _first(entry.get("headlines"), ("main",))
        caption, _ = _first(entry.get("descriptions"), ("caption", "summary", "text"))
        kind = _type(entry.get("type"), "picture")
        out.append(
            Association(
                name=name,
                type=kind,
                uri=_str(entry.get("uri") or entry.get("guid")),
                headline=headline or _str(entry.get("headline")),
                caption=caption or _str(entry.get("description_text")) or _html_or_none(entry.get("description_html")),
                credit=_str(entry.get("by") or entry.get("byline") or entry.get("credit")),
                renditions=_renditions(entry.get("renditions")),
            )
        )
    return tuple(out)


def _html_or_none(value: Any) -> str | None:
    text = _str(value)
    return html_text(text) or None if text else None


def _type(value: Any, default: str = "text") -> str:
    kind = str(value or default).strip().lower()
    kind = TYPE_ALIASES.get(kind, kind)
    return kind if kind in NINJS_TYPES else default


def _parties(values: Any, role: str | None = None) -> tuple[Party, ...]:
    if isinstance(values, dict):
        values = [values]
    if not isinstance(values, list):
        return ()
    out = []
    for raw in values:
        if isinstance(raw, dict):
            entry = _lower(raw)
            name = _str(entry.get("name"))
            if name:
                out.append(Party(name=name, role=_str(entry.get("role")) or role, uri=_str(entry.get("uri"))))
    return tuple(out)


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")


def _located(value: Any) -> Dateline | None:
    if isinstance(value, dict):
        value = _lower(value).get("name")
    text = _str(value)
    return Dateline(raw=text, place=text) if text else None


def _pub_status(value: Any, extra: list[tuple[str, str]]) -> str:
    status = str(value or "usable").strip().lower()
    if status not in PUB_STATUS:
        extra.append(("ninjs:pubstatus", status))
        return "usable"
    return PUB_STATUS[status]


def _urgency(value: Any) -> int | None:
    try:
        level = int(value)
    except (TypeError, ValueError):
        return None
    return level if 1 <= level <= 9 else None


# ----------------------------------------------------------------------------- items

# Keys kept verbatim (as JSON) in extra: what the source coded that ParsedItem cannot hold.
_EXTRA_JSON = (
    "eventdetails",
    "altids",
    "rightsinfo",
    "objects",
    "service",
    "expires",
)
_EXTRA_TEXT = ("profile", "representationtype", "title", "source", "mimetype", "priority")


#: ninjs keys (2.x/3.x plural, 1.x and AP Media singular) that list coded concepts, and their kind
_ENTITY_KEYS = (
    ("people", "person"),
    ("person", "person"),
    ("organisations", "organisation"),
    ("organisation", "organisation"),
    ("organizations", "organisation"),
    ("places", "place"),
    ("place", "place"),
    ("events", "event"),
)
#: AP Media API location types that name an Entity feature
_LOCATION_FEATURES = {"city": "city", "country": "country", "state": "region", "province": "region", "region": "region"}


def _point(value: Any) -> tuple[float | None, float | None]:
    """(latitude, longitude) of a GeoJSON Point ("coordinates": [longitude, latitude])."""
    if not isinstance(value, dict) or str(value.get("type", "")).lower() != "point":
        return None, None
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        return None, None
    lon, lat = (number(str(c)) if isinstance(c, (int, float)) else None for c in coordinates[:2])
    return lat, lon


def _coded_entities(obj: Mapping[str, Any]) -> tuple[Entity, ...]:
    """people / organisations / places / events (any ninjs version, AP Media) as entities."""
    found: list[Entity | None] = []
    for key, kind in _ENTITY_KEYS:
        values = obj.get(key)
        if isinstance(values, dict):
            values = [values]
        if not isinstance(values, list):
            continue
        for raw in values:
            if not isinstance(raw, dict):
                continue
            entry = _lower(raw)
            rels = entry.get("rels")
            rel = _str(entry.get("rel")) or (_str(rels[0]) if isinstance(rels, list) and rels else None)
            code = _str(entry.get("literal") or entry.get("code") or entry.get("qcode"))
            scheme = _str(entry.get("scheme"))
            uri = _str(entry.get("uri"))
            if not uri and scheme and scheme.startswith(("http://", "https://")) and code:
                uri = scheme + code
            latitude, longitude = _point(entry.get("geojson") or entry.get("geometry_geojson"))
            location_type = _lower(entry["locationtype"]) if isinstance(entry.get("locationtype"), dict) else {}
            confidence = entry.get("confidence")
            found.append(
                entity(
                    _str(entry.get("name")),
                    kind,
                    rel or "subject",
                    uri=uri,
                    literal=code,
                    latitude=latitude,
                    longitude=longitude,
                    feature=_LOCATION_FEATURES.get(str(location_type.get("name", "")).casefold()),
                    confidence=int(confidence) if isinstance(confidence, (int, float)) else None,
                )
            )
    return merge(found)


def _agency_of_item(obj: Mapping[str, Any]) -> str | None:
    """The agency the item's copyright holder, info sources or identifier name, if any."""
    sources = obj.get("infosources") or obj.get("infosource") or []
    if isinstance(sources, dict):
        sources = [sources]
    names = [_str(_lower(s).get("name")) for s in sources if isinstance(s, dict)] if isinstance(sources, list) else []
    return agency_of([_str(obj.get("copyrightholder")), *names, _str(obj.get("uri") or obj.get("guid"))])


def _ninjs(raw: Mapping[str, Any], agency: str | None) -> ParsedItem:
    version = version_of(raw)
    obj = _lower(raw)
    extra: list[tuple[str, str]] = [("ninjs:version", version)]
    headline, subheadlines = _first(obj.get("headlines"), ("main", "headline"))
    headline = headline or _str(obj.get("headline"))
    kind = _type(obj.get("type"), "event" if "eventdetails" in obj else "text")
    if not headline and kind in ("event", "planning"):
        headline = _str(obj.get("title"))  # events are named by their title
    descriptions = obj.get("descriptions")
    body = _body(obj)
    if not body and kind == "text" and isinstance(descriptions, list):
        # NTB sends a text item's whole text as a description with role "text" and no bodies
        # (pictures and events describe themselves the same way: that stays their description)
        text = [
            d for d in descriptions if isinstance(d, dict) and str(_lower(d).get("role", "")).lower() in _TEXT_ROLES
        ]
        body = tuple(b for d in text for b in _blocks_of(_lower(d)))
        if body:
            descriptions = [d for d in descriptions if not any(d is t for t in text)]
    summary, _ = _first(descriptions, ("summary", "abstract", "lead", "caption", "text", "description"))
    summary = summary or _str(obj.get("description_text")) or _html_or_none(obj.get("description_html"))
    for key in _EXTRA_TEXT:
        if _str(obj.get(key)) and not isinstance(obj.get(key), (dict, list)):
            extra.append((f"ninjs:{key}", str(_str(obj.get(key)))))
    for key in _EXTRA_JSON:
        if obj.get(key):
            extra.append((f"ninjs:{key}", _json(obj[key])))
    keywords = tuple(str(k).strip() for k in obj.get("keywords") or () if isinstance(k, str) and k.strip())
    return ParsedItem(
        format=NAME,
        type=kind,
        guid=_str(obj.get("uri") or obj.get("guid")),
        version=_str(obj.get("version")),
        agency=agency or _agency_of_item(obj),
        language=_str(obj.get("language")),
        headline=headline,
        subheadlines=tuple(subheadlines),
        summary=summary,
        body=body,
        byline=_str(obj.get("by") or obj.get("byline")),
        dateline=_located(obj.get("located")),
        first_created=_when(obj.get("firstcreated")),
        version_created=_when(obj.get("versioncreated")),
        content_created=_when(obj.get("contentcreated")),
        embargoed_until=_when(obj.get("embargoeduntil") or obj.get("embargoed")),
        pub_status=_pub_status(obj.get("pubstatus"), extra),
        urgency=_urgency(obj.get("urgency")),
        slugline=_str(obj.get("slugline")),
        ed_note=_str(obj.get("ednote")),
        keywords=keywords,
        subjects=with_mediatopics(
            _concepts(obj.get("subjects"))
            if obj.get("subjects")
            else _concepts(obj.get("subject"), bare_codes_are_iptc=version == "1")
        ),
        genres=_concepts(obj.get("genres") or obj.get("genre")),
        copyright_holder=_str(obj.get("copyrightholder")),
        copyright_notice=_str(obj.get("copyrightnotice")),
        usage_terms=_str(obj.get("usageterms")),
        associations=_associations(obj.get("associations")),
        renditions=_renditions(obj.get("renditions")),
        contributors=_parties(obj.get("authors")),
        info_sources=_parties(obj.get("infosources") or obj.get("infosource"), "source"),
        entities=_coded_entities(obj),
        extra=tuple(extra),
    )


def _ap_media(raw: Mapping[str, Any], agency: str | None) -> ParsedItem:
    """An AP Media API item: ninjs 1.x names plus AP's own (bylines, datelinelocation)."""
    obj = _lower(raw)
    extra: list[tuple[str, str]] = [("ninjs:version", "ap-media-api")]
    altids = _lower(obj.get("altids") or {})
    for key in ("itemid", "etag", "friendlykey", "referenceid", "transref"):
        if altids.get(key):
            extra.append((f"ap:{key}", str(altids[key])))
    for key in ("title", "editorialpriority", "textformat", "provider"):
        if _str(obj.get(key)):
            extra.append((f"ap:{key}", str(_str(obj.get(key)))))
    for key in ("signals",):
        if obj.get(key):
            extra.append((f"ninjs:{key}", _json(obj[key])))
    bylines = [_lower(b) for b in obj.get("bylines") or () if isinstance(b, dict)]
    names = [re.sub(r"^By\s+", "", str(b.get("by") or b.get("name") or ""), flags=re.I).strip() for b in bylines]
    byline = ", ".join(n for n in names if n) or None
    location = _lower(obj.get("datelinelocation") or {})
    dateline = None
    if _str(location.get("city")):
        printed = ", ".join(
            str(location[k]) for k in ("city", "countryareaname", "countryname") if _str(location.get(k))
        )
        dateline = Dateline(raw=printed, place=_str(location.get("city")))
    subjects = []
    for subject in _concepts(obj.get("subject")):
        if subject.rel == "category":
            # AP's ANPA category letter ("s" sports), with its name where the feed only repeats the code
            name = anpa_category_name(subject.code) if subject.name in (None, subject.code) else subject.name
            subject = Subject(name=name, code=subject.code, scheme="ap:category", rel=subject.rel)
        subjects.append(subject)
    nitf = raw.get("_nitf")
    body: tuple[Block, ...] = ()
    if isinstance(nitf, dict) and _str(nitf.get("body_html")):
        body = html_blocks(str(nitf["body_html"]))
    itemid = _str(altids.get("itemid"))
    return ParsedItem(
        format=NAME,
        type=_type(obj.get("type")),
        # the "uri" carries a per-request query token; the item id is the stable identity
        guid=itemid or _str(obj.get("uri")),
        version=_str(obj.get("version")),
        agency=agency or "ap",
        language=_str(obj.get("language")),
        headline=_str(obj.get("headline")),
        summary=_str(obj.get("headline_extended")),
        body=body,
        byline=byline,
        dateline=dateline,
        first_created=_when(obj.get("firstcreated")),
        version_created=_when(obj.get("versioncreated")),
        pub_status=_pub_status(obj.get("pubstatus"), extra),
        urgency=_urgency(obj.get("urgency")),
        slugline=_str(obj.get("slugline")),
        ed_note=re.sub(r"^Eds?:\s*", "", _str(obj.get("ednote")) or "") or None,
        keywords=tuple(str(k) for k in obj.get("keywords") or () if isinstance(k, str)),
        subjects=with_mediatopics(subjects),
        copyright_notice=_str(obj.get("copyrightnotice")),
        usage_terms=_str(obj.get("usageterms")),
        associations=_associations(obj.get("associations")),
        renditions=_renditions(obj.get("renditions")),
        info_sources=_parties(obj.get("infosource"), "source"),
        entities=_coded_entities(obj),
        extra=tuple(extra),
    )
