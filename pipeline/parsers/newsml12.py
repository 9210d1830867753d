"""NewsML 1.2: AFP (English, French, Arabic) and ANA-MPA items.

A ``<NewsML>`` document holds one or more ``NewsItem``s; each becomes a ``ParsedItem``.
An item is a tree of ``NewsComponent``s: the top one carries ``NewsLines`` (headline,
dateline, slug, credit, copyright) and the metadata blocks; text sits in
``ContentItem``s whose ``DataContent`` is NITF (``<nitf>`` or bare ``<p>``s, AFP) or
HTML in CDATA (ANA-MPA). A component holding a photo (AFP's ``Duid="photo0"`` with
HighDef/Quicklook/Thumbnail renditions and a Caption component) becomes an association.

The ``Location`` of the descriptive metadata (HowPresent="Origin": where the item was
filed, with AFP's coordinates) is an entity; IPTC subject codes also yield their media topic.

Identification gives the guid (``PublicIdentifier``) and version (``RevisionId``);
``NewsManagement`` the dates, status and urgency. Timestamps are basic ISO 8601 with an
offset, or without one (read in the agency's home zone).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lxml import etree

from pipeline.errors import ParseError
from pipeline.parsers._agencies import agency_of, home_zone
from pipeline.parsers._dateline import parse_dateline
from pipeline.parsers._dates import parse_when
from pipeline.parsers._entities import country_code, entity, merge, number
from pipeline.parsers._iptc import iptc_subject, is_subject_code, is_subject_scheme_name, pub_status, with_mediatopics
from pipeline.parsers._text import blocks_from_string, blocks_from_tree, element_text, require_text
from pipeline.parsers._xml import attr, child, children, descendants, local_name, parse_xml, path, root_name, xml_lang
from pipeline.parsers.base import Parser, registry
from pipeline.parsers.nitf import read_nitf_body
from pipeline.records import Association, Block, Dateline, Entity, Headers, ParsedItem, Party, Rendition, Subject

log = logging.getLogger(__name__)

#: ninjs type of a NewsML 1.2 MediaType FormalName
MEDIA_TYPES = {
    "text": "text",
    "photo": "picture",
    "image": "picture",
    "graphic": "graphic",
    "video": "video",
    "audio": "audio",
}
#: content type of a NewsML 1.2 Format FormalName, when no MimeType is given
FORMAT_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "mp4": "video/mp4"}


def _formal(node: etree._Element | None) -> str | None:
    return attr(node, "FormalName")


def _property(node: etree._Element | None, name: str) -> str | None:
    wanted = name.casefold()
    for prop in children(node, "Property"):
        if (_formal(prop) or "").casefold() == wanted:
            return attr(prop, "Value")
    return None


def _int(text: str | None) -> int | None:
    try:
        return int(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


def _media_type(item: etree._Element) -> str | None:
    """The ninjs type of a ContentItem (None when it declares none).

    Producers write the media type as a NewsML name ("Text", "Photo") or as a MIME type
    ("text/plain", "image/jpeg"); anything else ("ComplexData") is a "component".
    """
    kind = _formal(child(item, "MediaType"))
    if not kind:
        return None
    folded = kind.casefold()
    return MEDIA_TYPES.get(folded) or MEDIA_TYPES.get(folded.split("/", 1)[0]) or "component"


_MEDIA = frozenset(MEDIA_TYPES.values()) - {"text"}


def _is_media_component(component: etree._Element) -> bool:
    """True for a component whose content is a photo/video/graphic, not article text."""
    kinds = {_media_type(ci) for ci in descendants(component, "ContentItem")}
    return bool(kinds & _MEDIA)


def _is_text(item: etree._Element) -> bool:
    """A ContentItem read as text: declared text (or nothing), or of an unknown kind with text in it."""
    kind = _media_type(item)
    if kind in (None, "text"):
        return True
    data = child(item, "DataContent")
    return kind == "component" and data is not None and bool("".join(data.itertext()).strip())


def data_content_blocks(content: etree._Element | None) -> list[Block]:
    """Blocks of a ``DataContent``: NITF, bare NITF paragraphs, or HTML/text in CDATA."""
    if content is None:
        return []
    elements = [c for c in content if isinstance(c.tag, str)]
    if elements:
        nitf = child(content, "nitf")
        if nitf is not None:
            return list(read_nitf_body(nitf).blocks)
        return blocks_from_tree(content)
    return blocks_from_string(content.text or "")


def _renditions(component: etree._Element) -> list[Rendition]:
    """Files of a media component: one per ContentItem with an Href, named by its Role."""
    found = []
    taken: set[str] = set()
    for n, item in enumerate(descendants(component, "ContentItem"), 1):
        href = attr(item, "Href")
        if not href or _media_type(item) == "text":
            continue
        holder = item.getparent()
        name = _formal(child(holder, "Role")) if holder is not None else None
        name = name or f"rendition{n}"
        if name in taken:
            name = f"{name}-{n}"
        taken.add(name)
        traits = child(item, "Characteristics")
        fmt = (_formal(child(item, "Format")) or "").casefold()
        found.append(
            Rendition(
                name=name,
                href=href,
                content_type=_formal(child(item, "MimeType")) or FORMAT_TYPES.get(fmt),
                width=_int(_property(traits, "Width")),
                height=_int(_property(traits, "Height")),
                size_bytes=_int(element_text(child(traits, "SizeInBytes"))),
            )
        )
    return found


def _caption(component: etree._Element) -> str | None:
    """The text of the component's Caption (a sub-component with Role Caption)."""
    for sub in descendants(component, "NewsComponent"):
        if (_formal(child(sub, "Role")) or "").casefold() == "caption":
            for item in children(sub, "ContentItem"):
                text = " ".join(b.text for b in data_content_blocks(child(item, "DataContent")))
                if text:
                    return text
    return None


def media_association(component: etree._Element, index: int) -> Association:
    """A photo (or other media) component as an association with caption and renditions."""
    lines = child(component, "NewsLines")
    kinds = [k for k in (_media_type(ci) for ci in descendants(component, "ContentItem")) if k and k != "text"]
    return Association(
        name=attr(component, "Duid") or f"{kinds[0] if kinds else 'media'}{index}",
        type=kinds[0] if kinds else "picture",
        headline=element_text(child(lines, "HeadLine")) or None,
        caption=_caption(component),
        credit=element_text(child(lines, "CreditLine")) or element_text(child(lines, "ByLine")) or None,
        renditions=tuple(_renditions(component)),
    )


def _collect(component: etree._Element, blocks: list[Block], associations: list[Association]) -> None:
    """Text blocks and media associations of a component tree, in document order."""
    for node in component:
        name = local_name(node)
        if name == "ContentItem" and _is_text(node):
            blocks.extend(data_content_blocks(child(node, "DataContent")))
        elif name == "NewsComponent":
            if _is_media_component(node):
                associations.append(media_association(node, len(associations) + 1))
            else:
                _collect(node, blocks, associations)


def _subjects(meta: etree._Element | None, component: etree._Element, language: str | None) -> list[Subject]:
    """SubjectCode entries (IPTC when the scheme says so), named from a TopicSet when it has names."""
    names: dict[str, str] = {}
    for topic in descendants(component, "Topic"):
        code = element_text(child(topic, "FormalName"))
        descriptions = [d for d in children(topic, "Description") if (attr(d, "Variant") or "").casefold() == "name"]
        chosen = next(
            (d for d in descriptions if language and (xml_lang(d) or "").split("-")[0] == language.split("-")[0]),
            None,
        )
        if chosen is None:
            chosen = next((d for d in descriptions if (xml_lang(d) or "") == "en"), None)
        if code and chosen is not None and element_text(chosen):
            names[code] = element_text(chosen)
    subjects: list[Subject] = []
    seen: set[tuple[str | None, str]] = set()
    codes = [
        (_formal(s), attr(s, "Scheme"))
        for sc in children(meta, "SubjectCode")
        for s in sc
        if isinstance(s.tag, str) and local_name(s) in ("Subject", "SubjectMatter", "SubjectDetail")
    ]
    for subject_code, scheme in codes:
        if not subject_code:
            continue
        if is_subject_code(subject_code) and is_subject_scheme_name(scheme):
            subject = iptc_subject(subject_code, names.get(subject_code))
        else:
            subject = Subject(name=names.get(subject_code), code=subject_code, scheme=scheme)
        key = (subject.scheme, subject_code)
        if key not in seen:
            seen.add(key)
            subjects.append(subject)
    return subjects


#: NewsML 1.2 Location properties, most specific first, and the Entity feature each names
_LOCATION_PARTS = (("city", "city"), ("area", "region"), ("countryarea", "region"), ("country", "country"))


def _location(location: etree._Element) -> Entity | None:
    """A ``Location`` as a place: HowPresent="Origin" is where the item was filed ("located")."""
    props = {(_formal(p) or "").casefold(): attr(p, "Value") for p in children(location, "Property")}
    name, feature = next(((props[key], feat) for key, feat in _LOCATION_PARTS if props.get(key)), (None, None))
    how = (attr(location, "HowPresent") or "").casefold()
    return entity(
        name,
        "place",
        "located" if how in ("", "origin") else how,
        country=country_code(props.get("country")),
        latitude=number(props.get("latitude")),
        longitude=number(props.get("longitude")),
        feature=feature,
    )


def _origin_dateline(meta: etree._Element | None) -> Dateline | None:
    """No printed DateLine, but a DateLineDate: the dateline's place is the Location of origin's city.

    NewsML 1.2 gives a dateline in parts: its date (``DateLineDate``) and where the item
    originated (``Location HowPresent="Origin"``). Without a DateLineDate the item declares
    no dateline (a Location alone is where a picture was taken).
    """
    if not element_text(child(meta, "DateLineDate")):
        return None
    for location in children(meta, "Location"):
        if (attr(location, "HowPresent") or "").casefold() != "origin":
            continue
        props = {(_formal(p) or "").casefold(): attr(p, "Value") for p in children(location, "Property")}
        city = (props.get("city") or "").strip()
        if city:
            return Dateline(raw=city, place=city)
    return None


class _NewsLines:
    """The ``NewsLines`` of an item: the top component's, then those of its text components.

    Most producers put them on the top ``NewsComponent``; Europa Press puts them on the
    "Main Text" component inside it. A value is taken from the first that has it, so the
    top component wins and a media component's lines never stand in for the item's.
    """

    def __init__(self, component: etree._Element | None) -> None:
        found = children(component, "NewsLines")
        for sub in descendants(component, "NewsComponent"):
            if not _is_media_component(sub):
                found += children(sub, "NewsLines")
        self.nodes = found

    def first(self, name: str) -> etree._Element | None:
        """The first ``name`` element with text (or the first at all, when none has text)."""
        found = [node for lines in self.nodes for node in children(lines, name)]
        return next((node for node in found if element_text(node)), found[0] if found else None)

    def all(self, name: str) -> list[etree._Element]:
        """Every ``name`` element of the first NewsLines that has one."""
        return next((kids for lines in self.nodes if (kids := children(lines, name))), [])


def _parties(node: etree._Element | None, role: str) -> list[Party]:
    return [Party(name=n, role=role) for n in (_formal(p) for p in children(node, "Party")) if n]


@registry.register
class NewsML12Parser(Parser):
    """NewsML 1.2 documents (``<NewsML>`` root)."""

    name = "newsml-1.2"
    content_types = ("application/vnd.iptc.newsml+xml", "application/xml", "text/xml")
    priority = 25

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        return root_name(raw) == "NewsML"

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        root = parse_xml(raw, format=self.name)
        if local_name(root) != "NewsML":
            raise ParseError(f"root element <{local_name(root)}> is not <NewsML>", format=self.name)
        envelope = child(root, "NewsEnvelope")
        items = [self.read_item(item, envelope) for item in children(root, "NewsItem")]
        return require_text(items, format=self.name)

    def read_item(self, item: etree._Element, envelope: etree._Element | None = None) -> ParsedItem:
        """One ``NewsItem``."""
        ident = path(item, "Identification", "NewsIdentifier")
        management = child(item, "NewsManagement")
        component = child(item, "NewsComponent")
        lines = _NewsLines(component)
        admin = child(component, "AdministrativeMetadata")
        meta = child(component, "DescriptiveMetadata")
        rights = child(component, "RightsMetadata")

        language = _formal(child(meta, "Language")) or xml_lang(item) or xml_lang(lines.first("HeadLine"))
        if language:
            language = language.lower() if language.casefold() != "x-default" else None

        provider_id = element_text(child(ident, "ProviderId"))
        agency = agency_of(
            [
                provider_id,
                *(_formal(p) for p in descendants(child(admin, "Provider"), "Party")),
                *(_formal(p) for p in descendants(child(admin, "Source"), "Party")),
                element_text(lines.first("CreditLine")),
                element_text(child(ident, "PublicIdentifier")),
            ]
        )
        zone = home_zone(agency)

        status = _formal(child(management, "Status"))
        embargo = None
        will_change = child(management, "StatusWillChange")
        if will_change is not None and (status or "").casefold() == "embargoed":
            embargo = parse_when(element_text(child(will_change, "DateAndTime")), zone)

        blocks: list[Block] = []
        associations: list[Association] = []
        ntype = "text"
        renditions: list[Rendition] = []
        if component is not None:
            if _is_media_component(component) and not descendants(component, "DataContent"):
                ntype = next(
                    (k for k in (_media_type(ci) for ci in descendants(component, "ContentItem")) if k),
                    "picture",
                )
                renditions = _renditions(component)
            else:
                _collect(component, blocks, associations)

        keywords = [
            v
            for p in children(meta, "Property")
            if (_formal(p) or "").casefold() == "keyword" and (v := attr(p, "Value"))
        ]
        keyword_line = element_text(lines.first("KeywordLine"))
        if keyword_line:
            keywords.append(keyword_line)

        extra: list[tuple[str, str]] = []
        item_type = _formal(child(management, "NewsItemType"))
        if item_type:
            extra.append(("newsml.item_type", item_type))
        entities = [_location(loc) for loc in children(meta, "Location")]
        for interest in children(meta, "OfInterestTo"):
            if _formal(interest):
                extra.append(("of_interest_to", _formal(interest) or ""))
        credit = element_text(lines.first("CreditLine"))
        if credit:
            extra.append(("creditline", credit))

        usage = [element_text(u) for u in descendants(rights, "UsageType")]
        holder = next((h for h in (_formal(p) for p in descendants(rights, "CopyrightHolder")) if h), None)
        holder = holder or element_text(child(child(rights, "Copyright"), "CopyrightHolder")) or None
        headline = element_text(lines.first("HeadLine")) or None
        return ParsedItem(
            format=self.name,
            type=ntype,
            guid=element_text(child(ident, "PublicIdentifier")) or None,
            version=element_text(child(ident, "RevisionId")) or None,
            agency=agency,
            language=language,
            headline=headline,
            subheadlines=tuple(t for t in (element_text(s) for s in lines.all("SubHeadLine")) if t),
            body=tuple(blocks),
            byline=element_text(lines.first("ByLine"), words=True) or None,
            dateline=parse_dateline(element_text(lines.first("DateLine"))) or _origin_dateline(meta),
            first_created=parse_when(element_text(child(management, "FirstCreated")), zone),
            version_created=parse_when(element_text(child(management, "ThisRevisionCreated")), zone),
            content_created=parse_when(element_text(child(meta, "DateLineDate")), zone),
            embargoed_until=embargo,
            pub_status=pub_status(status) or "usable",
            urgency=_int(_formal(child(management, "Urgency"))),
            slugline=element_text(lines.first("SlugLine")) or element_text(child(ident, "NameLabel")) or None,
            keywords=tuple(keywords),
            subjects=with_mediatopics(_subjects(meta, component, language) if component is not None else ()),
            genres=tuple(Subject(name=g) for g in (_formal(x) for x in children(meta, "Genre")) if g),
            copyright_holder=holder,
            copyright_notice=element_text(lines.first("CopyrightLine")) or None,
            usage_terms="; ".join(u for u in usage if u) or None,
            associations=tuple(associations),
            renditions=tuple(renditions),
            contributors=tuple(_parties(child(admin, "Creator"), "creator")),
            info_sources=tuple(
                [*_parties(child(admin, "Provider"), "provider"), *_parties(child(admin, "Source"), "source")]
            ),
            entities=merge(entities),
            extra=tuple(extra),
        )
