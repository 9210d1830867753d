"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds: one ParsedItem per <item> / <entry>, in order.

Agencies and their partners syndicate headlines and full text as feeds; a feed document
with N items is N dispatches. Each item keeps what the feed says about it: title, link,
guid/id, dates with their zone (RFC 822 in RSS, RFC 3339 in Atom and dc:date), authors,
categories, the HTML body (content:encoded / Atom content, else description / summary)
as blocks, enclosures and Media RSS objects as associations, and the channel's language.

XML is read with the project's safe reader (``pipeline.parsers._xml``): no entities, no
external DTDs, depth and size limits.
"""

from __future__ import annotations

import email.utils
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import urlsplit

from lxml import etree

from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers._agencies import agency_of
from pipeline.parsers._iptc import scheme_uri, split_qcode, with_mediatopics
from pipeline.parsers._xml import local_name, parse_xml, root_name
from pipeline.parsers.base import Parser, registry
from pipeline.parsers.html import clean_text, html_fragment_blocks, site_data
from pipeline.records import Association, Block, Headers, ParsedItem, Party, Rendition, Subject, When

log = logging.getLogger(__name__)

ATOM = "http://www.w3.org/2005/Atom"
RSS1 = "http://purl.org/rss/1.0/"
DC = "http://purl.org/dc/elements/1.1/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
MEDIA = "http://search.yahoo.com/mrss/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"

_FEED_ROOTS = frozenset({"rss", "feed", "RDF"})


# --------------------------------------------------------------------------- small helpers


def _children(node: etree._Element, name: str, ns: str | None = None) -> list[etree._Element]:
    """Direct children by local name (and namespace when given; RSS 2.0 elements have none)."""
    out = []
    for child in node:
        if not isinstance(child.tag, str) or local_name(child) != name:
            continue
        child_ns = etree.QName(child).namespace
        if (ns is None and child_ns in (None, RSS1)) or child_ns == ns:
            out.append(child)
    return out


def _child(node: etree._Element, name: str, ns: str | None = None) -> etree._Element | None:
    found = _children(node, name, ns)
    return found[0] if found else None


def _text(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    return clean_text("".join(node.itertext())) or None


def _markup(node: etree._Element | None) -> str | None:
    """The HTML a text construct carries: escaped HTML as text, or inline XHTML children."""
    if node is None:
        return None
    if node.get("type") == "xhtml" or any(isinstance(c.tag, str) for c in node):
        parts = [node.text or ""]
        for child in node:
            parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
        html = "".join(parts)
        # serialised XHTML carries its namespace prefixes; HTML readers want plain tags
        return re.sub(r"<(/?)[\w.-]+:", r"<\1", re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", html))
    return node.text or ""


def _plain(node: etree._Element | None) -> str | None:
    """A title as plain text (Atom titles may be type="html")."""
    if node is None:
        return None
    if node.get("type") == "html":
        blocks = html_fragment_blocks(node.text or "")
        return " ".join(b.text for b in blocks) or None
    return _text(node)


def parse_feed_date(text: str | None) -> When | None:
    """RFC 822 (RSS pubDate) or RFC 3339 (Atom, dc:date); None when it is neither."""
    if not text or not text.strip():
        return None
    original = text.strip()
    value = original.replace("Z", "+00:00").replace("z", "+00:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            parsed = email.utils.parsedate_to_datetime(original)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        # "-0000" in RFC 822 and offset-less ISO both mean "UTC, zone unknown"
        return When(parsed.replace(tzinfo=UTC), "second", "UTC", original)
    return When(parsed, "second", "", original)


def _author_name(text: str) -> str:
    """RSS <author> is "email (Name)" or just an address; keep the name when there is one."""
    match = re.match(r"^\s*\S+@\S+\s*\((?P<name>[^)]+)\)\s*$", text)
    return clean_text(match["name"]) if match else clean_text(text)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


_MEDIUM_TYPE = {"image": "picture", "video": "video", "audio": "audio"}


def _assoc_type(medium: str | None, mime: str | None) -> str:
    if medium in _MEDIUM_TYPE:
        return _MEDIUM_TYPE[medium]
    major = (mime or "").split("/", 1)[0]
    return _MEDIUM_TYPE.get(major, "picture" if not mime else "composite")


# --------------------------------------------------------------------------- items


def _media(item: etree._Element) -> list[Association]:
    """Media RSS objects (media:content, also inside media:group) and RSS enclosures."""
    found: list[Association] = []
    contents = _children(item, "content", MEDIA)
    for group in _children(item, "group", MEDIA):
        contents.extend(_children(group, "content", MEDIA))
    for node in contents:
        url = node.get("url")
        caption = _text(_child(node, "description", MEDIA)) or _text(_child(item, "description", MEDIA))
        found.append(
            Association(
                name=f"media{len(found) + 1}",
                type=_assoc_type(node.get("medium"), node.get("type")),
                uri=url,
                headline=_text(_child(node, "title", MEDIA)),
                caption=caption,
                credit=_text(_child(node, "credit", MEDIA)) or _text(_child(item, "credit", MEDIA)),
                renditions=(
                    Rendition(
                        "original",
                        url,
                        node.get("type"),
                        _int(node.get("width")),
                        _int(node.get("height")),
                        _int(node.get("fileSize")),
                        _float(node.get("duration")),
                    ),
                )
                if url
                else (),
            )
        )
    for node in _children(item, "enclosure"):
        url = node.get("url")
        if url and all(a.uri != url for a in found):
            found.append(
                Association(
                    name=f"media{len(found) + 1}",
                    type=_assoc_type(None, node.get("type")),
                    uri=url,
                    renditions=(Rendition("original", url, node.get("type"), size_bytes=_int(node.get("length"))),),
                )
            )
    return found


def _agency(link: str | None, names: Sequence[str | None] = ()) -> str | None:
    """The agency of the item's web site, else the one its id or the feed's author names."""
    host = urlsplit(link).hostname if link else None
    site = site_data().site_for(host, None)
    return site.agency if site else agency_of(names)


#: IPTC NewsCodes scheme URIs an Atom category may name, by their qcode alias
_IPTC_CATEGORY_SCHEMES = ("medtop", "subj")


def _iptc_category(node: etree._Element) -> Subject | None:
    """An Atom category in an IPTC NewsCodes scheme ("medtop:20000157") as a Subject."""
    scheme = (node.get("scheme") or "").strip()
    term = (node.get("term") or "").strip()
    for alias in _IPTC_CATEGORY_SCHEMES:
        base = scheme_uri(alias)
        if base and term and scheme.rstrip("/") == base.rstrip("/"):
            code = split_qcode(term)[1]
            return Subject(name=node.get("label") or None, uri=base + code, code=code, scheme=alias)
    return None


def _body_and_summary(full: str | None, short: str | None) -> tuple[tuple[Block, ...], str | None]:
    """Body from the full content (else the description); the description as summary when distinct."""
    body = html_fragment_blocks(full) if full and full.strip() else ()
    summary_blocks = html_fragment_blocks(short) if short and short.strip() else ()
    summary_text = " ".join(b.text for b in summary_blocks) or None
    if not body:
        return summary_blocks, None
    if summary_text and summary_text == " ".join(b.text for b in body):
        summary_text = None
    return body, summary_text


def _rss_item(
    item: etree._Element, language: str | None, channel_link: str | None, channel_title: str | None
) -> ParsedItem:
    link = _text(_child(item, "link")) or item.get(RDF_ABOUT)
    guid = _text(_child(item, "guid")) or link
    published = parse_feed_date(_text(_child(item, "pubDate"))) or parse_feed_date(_text(_child(item, "date", DC)))
    updated = parse_feed_date(_text(_child(item, "updated", ATOM)))
    authors = [_author_name(t) for n in _children(item, "author") if (t := _text(n))]
    authors += [t for n in _children(item, "creator", DC) if (t := _text(n))]
    keywords = [t for n in _children(item, "category") if (t := _text(n))]
    keywords += [t for n in _children(item, "subject", DC) if (t := _text(n))]
    full = _markup(_child(item, "encoded", CONTENT))
    body, summary = _body_and_summary(full, _markup(_child(item, "description")))
    return ParsedItem(
        format="feed",
        guid=guid,
        agency=_agency(link or channel_link, [guid, channel_title]),
        language=_text(_child(item, "language", DC)) or language,
        headline=_plain(_child(item, "title")),
        summary=summary,
        body=body,
        byline=", ".join(dict.fromkeys(authors)) or None,
        first_created=published,
        version_created=updated,
        keywords=tuple(dict.fromkeys(keywords)),
        associations=tuple(_media(item)),
        contributors=tuple(Party(a, "author") for a in dict.fromkeys(authors)),
        copyright_notice=_text(_child(item, "rights", DC)),
        url=link,
        extra=(("feed.kind", "rss"),),
    )


def _atom_link(entry: etree._Element, rel: str) -> list[etree._Element]:
    return [n for n in _children(entry, "link", ATOM) if (n.get("rel") or "alternate") == rel]


def _atom_entry(
    entry: etree._Element, language: str | None, feed_rights: str | None, feed_names: Sequence[str | None] = ()
) -> ParsedItem:
    alternate = _atom_link(entry, "alternate")
    link = alternate[0].get("href") if alternate else None
    authors = [t for a in _children(entry, "author", ATOM) if (t := _text(_child(a, "name", ATOM)))]
    contributors = [Party(a, "author") for a in authors]
    contributors += [
        Party(t, "contributor") for c in _children(entry, "contributor", ATOM) if (t := _text(_child(c, "name", ATOM)))
    ]
    categories = _children(entry, "category", ATOM)
    subjects = [s for s in (_iptc_category(c) for c in categories) if s is not None]
    keywords = [c.get("label") or c.get("term") or "" for c in categories if _iptc_category(c) is None]
    content = _child(entry, "content", ATOM)
    full = None
    if content is not None and not content.get("src"):
        full = _markup(content) if content.get("type") in ("html", "xhtml") else _text(content)
    body, summary = _body_and_summary(full, _markup(_child(entry, "summary", ATOM)))
    associations: list[Association] = []
    for node in _atom_link(entry, "enclosure"):
        href = node.get("href")
        associations.append(
            Association(
                name=f"media{len(associations) + 1}",
                type=_assoc_type(None, node.get("type")),
                uri=href,
                headline=node.get("title"),
                renditions=(Rendition("original", href, node.get("type"), size_bytes=_int(node.get("length"))),)
                if href
                else (),
            )
        )
    associations.extend(_media(entry))
    entry_id = _text(_child(entry, "id", ATOM))
    return ParsedItem(
        format="feed",
        guid=entry_id or link,
        agency=_agency(link, [entry_id, *feed_names]),
        language=entry.get(XML_LANG) or language,
        headline=_plain(_child(entry, "title", ATOM)),
        summary=summary,
        body=body,
        byline=", ".join(authors) or None,
        first_created=parse_feed_date(_text(_child(entry, "published", ATOM)))
        or parse_feed_date(_text(_child(entry, "updated", ATOM))),
        version_created=parse_feed_date(_text(_child(entry, "updated", ATOM))),
        keywords=tuple(dict.fromkeys(k for k in keywords if k)),
        subjects=with_mediatopics(subjects),
        associations=tuple(associations),
        contributors=tuple(contributors),
        copyright_notice=_text(_child(entry, "rights", ATOM)) or feed_rights,
        url=link,
        extra=(("feed.kind", "atom"),),
    )


@registry.register
class FeedParser(Parser):
    """RSS 2.0 / RSS 1.0 / Atom documents -> one item per <item> or <entry>."""

    name: ClassVar[str] = "feed"
    content_types: ClassVar[tuple[str, ...]] = (
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
    )
    priority: ClassVar[int] = 40

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        return root_name(raw) in _FEED_ROOTS

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        root = parse_xml(raw, format=self.name)
        kind = local_name(root)
        if kind == "feed":
            language = root.get(XML_LANG)
            rights = _text(_child(root, "rights", ATOM))
            feed_names = [
                _text(_child(root, "id", ATOM)),
                *(_text(_child(a, "name", ATOM)) for a in _children(root, "author", ATOM)),
            ]
            items = [_atom_entry(e, language, rights, feed_names) for e in _children(root, "entry", ATOM)]
        elif kind in ("rss", "RDF"):
            channel = _child(root, "channel") if kind == "rss" else _child(root, "channel", RSS1)
            if channel is None:
                raise ParseError(f"<{kind}> feed without a <channel>", format=self.name)
            language = _text(_child(channel, "language")) or _text(_child(channel, "language", DC))
            link = _text(_child(channel, "link"))
            title = _text(_child(channel, "title"))
            # RSS 2.0 items sit in the channel; RSS 1.0 items are the channel's siblings.
            holder = channel if kind == "rss" else root
            items = [_rss_item(i, language, link, title) for i in _children(holder, "item")]
        else:
            raise ParseError(f"root element <{kind}> is not RSS or Atom", format=self.name)
        if not items:
            raise EmptyDispatchError(f"{kind} feed holds no items", format=self.name)
        empty = [i for i, item in enumerate(items, 1) if not item.headline and not item.body]
        if empty:
            log.info("feed items without title or text: %s", empty)
        return items


__all__ = ["FeedParser", "parse_feed_date"]
