"""HTML article pages: one web page of an agency (or any news site) -> one ParsedItem.

Agencies publish on their own sites and partners scrape them; a page carries the article
wrapped in site chrome (navigation, share buttons, related news, subscription notices, ads,
cookie banners). This parser reads what the page says about itself first, because it is
exact, and falls back to the DOM only for what structured data lacks:

1. JSON-LD (``NewsArticle`` and kin): headline, dates, authors, section, articleBody;
2. ``og:`` / ``article:`` / plain ``<meta>`` tags, ``<link rel=canonical>``, ``<html lang>``;
3. the DOM, with per-site selectors from ``data/html_sites.toml`` (content root, byline,
   dateline, standfirst, chrome to remove), or for an unknown site the paragraph cluster
   that holds the most text (a small text-density search).

Body text is handed over as plain-text blocks in document order. Agency datelines and
trailers inside the text ("ANKARA (AA) -", "Reporting by ...") stay for the clean stage;
page chrome is removed here and recorded in ``ParsedItem.removed``.

Pages may arrive gzip-compressed (the corpus stores ``.html.gz``); gzip bytes are
accepted directly.
"""

from __future__ import annotations

import html as html_lib
import json
import logging
import re
import tomllib
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ftfy
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from pipeline.decoding import decode_text, normalise_charset
from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers._agencies import agency_of
from pipeline.parsers._page import trim
from pipeline.parsers._xml import root_name
from pipeline.parsers.base import Parser, declared_charset, registry
from pipeline.records import (
    Association,
    Block,
    Dateline,
    Headers,
    ParsedItem,
    Party,
    Removed,
    Rendition,
    Translation,
    When,
)

log = logging.getLogger(__name__)

SITES_FILE = Path(__file__).parent / "data" / "html_sites.toml"
#: largest page we read after decompression (real pages are < 1 MB; this bounds gzip bombs)
MAX_BYTES = 20 * 1024 * 1024
#: a paragraph cluster right after the page's title is the article when it holds at least
#: this share of the largest cluster's text
TITLE_CLUSTER_SHARE = 0.33
GZIP_MAGIC = b"\x1f\x8b"

# Tags that end a text block; everything else is inline and joins the running text.
_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "div"),
        *("dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5"),
        *("h6", "header", "hgroup", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section"),
        *("summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    }
)
# Block tags that name the kind of the text they hold (Block.kind).
_KIND_OF = {
    "p": "p",
    "h1": "h",
    "h2": "h",
    "h3": "h",
    "h4": "h",
    "h5": "h",
    "h6": "h",
    "li": "li",
    "blockquote": "quote",
    "pre": "pre",
    "dd": "p",
    "dt": "p",
}
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "title", "iframe", "object"})
# Whitespace as HTML renders it (U+202F narrow no-break space is kept: French typography).
_SPACE_RUN = re.compile(r"[ \t\n\r\f\v\xa0\u2028\u2029]+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\xad]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_TAG = re.compile(r"<[^>]+>")


# --------------------------------------------------------------------------- site data


@dataclass(frozen=True)
class CreditLabel:
    pattern: re.Pattern[str]
    role: str


@dataclass(frozen=True)
class Site:
    """What we know about one publisher's pages (one ``[sites.X]`` table, or ``generic``)."""

    name: str
    hosts: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    agency: str | None = None
    zone: str | None = None
    language_from_path: re.Pattern[str] | None = None
    content: tuple[str, ...] = ()
    dateline: tuple[str, ...] = ()
    summary: tuple[str, ...] = ()
    byline: tuple[str, ...] = ()
    credits: tuple[str, ...] = ()
    credit_labels: tuple[CreditLabel, ...] = ()
    date: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    copyright: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    drop_lines: tuple[re.Pattern[str], ...] = ()
    captions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteData:
    """The whole of ``html_sites.toml``, compiled once per process."""

    generic: Site
    sites: tuple[Site, ...]
    chrome_words: frozenset[str]
    drop_inline: re.Pattern[str] | None
    ld_article_types: tuple[str, ...]  # in order of preference
    author_noise: tuple[re.Pattern[str], ...]
    author_split: re.Pattern[str]
    byline_prefix: re.Pattern[str]
    credit_patterns: tuple[re.Pattern[str], ...]
    date_patterns: tuple[re.Pattern[str], ...]
    date_attributes: tuple[tuple[str, str, str], ...]
    months: dict[str, int] = field(default_factory=dict)

    def site_for(self, host: str | None, publisher: str | None) -> Site | None:
        if host:
            host = host.lower().removeprefix("www.")
            for site in self.sites:
                if any(host == h or host.endswith("." + h) for h in site.hosts):
                    return site
        if publisher:
            wanted = publisher.strip().casefold()
            for site in self.sites:
                if any(p.casefold() == wanted for p in site.publishers):
                    return site
        return None


def _rx(patterns: Iterable[str], flags: int = re.I) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, flags) for p in patterns)


def _site(name: str, table: dict[str, Any]) -> Site:
    def strs(key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in table.get(key, ()))

    lang = table.get("language_from_path")
    return Site(
        name=name,
        hosts=strs("hosts"),
        publishers=strs("publishers"),
        agency=table.get("agency"),
        zone=table.get("zone"),
        language_from_path=re.compile(lang) if lang else None,
        content=strs("content"),
        dateline=strs("dateline"),
        summary=strs("summary"),
        byline=strs("byline"),
        credits=strs("credits"),
        credit_labels=tuple(
            CreditLabel(re.compile(c["pattern"], re.I), c["role"]) for c in table.get("credit_labels", ())
        ),
        date=strs("date"),
        section=strs("section"),
        keywords=strs("keywords"),
        copyright=strs("copyright"),
        remove=strs("remove"),
        drop_lines=_rx(strs("drop_lines")),
        captions=strs("captions"),
    )


@cache
def site_data(path: Path = SITES_FILE) -> SiteData:
    """The site knowledge, loaded and compiled once (read-only afterwards)."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    gen = raw["generic"]
    inline = [p for p in gen.get("drop_inline", ())]
    return SiteData(
        generic=_site("generic", gen),
        sites=tuple(_site(name, table) for name, table in raw.get("sites", {}).items()),
        chrome_words=frozenset(w.lower() for w in gen.get("chrome_words", ())),
        drop_inline=re.compile("|".join(inline), re.I) if inline else None,
        ld_article_types=tuple(gen.get("ld_article_types", ())),
        author_noise=_rx(gen.get("author_noise", ())),
        author_split=re.compile("|".join(gen.get("author_separators", [","])), re.I),
        byline_prefix=re.compile(gen.get("byline_prefix", r"^\s*by\s+"), re.I),
        credit_patterns=_rx(gen.get("credit_patterns", ())),
        date_patterns=_rx(gen.get("date_patterns", ())),
        date_attributes=tuple((a[0], a[1], a[2]) for a in gen.get("date_attributes", ())),
        months={str(k).lower(): int(v) for k, v in raw.get("months", {}).items()},
    )


# --------------------------------------------------------------------------- bytes -> text


def gunzip(raw: bytes, *, limit: int = MAX_BYTES) -> bytes:
    """Decompress gzip bytes, refusing more than ``limit`` bytes of output (gzip bombs)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise ParseError(f"gzip-compressed page is corrupt: {exc}", format="html") from None
    if len(out) > limit:
        raise ParseError(f"gzip-compressed page inflates beyond the {limit}-byte limit", format="html")
    if not inflater.eof:
        raise ParseError("gzip-compressed page is truncated", format="html")
    return out


def _peek(raw: bytes, size: int = 2048) -> bytes:
    """The first bytes of the page, inflating a gzip prefix when needed; never raises."""
    if raw.startswith(GZIP_MAGIC):
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw[:8192], size)
        except zlib.error:
            return b""
    return raw[:size]


def page_text(raw: bytes, headers: Headers = ()) -> str:
    """The page as text: gunzip if needed, then the charset from the header or the page.

    A page that decodes cleanly in its declared charset (or UTF-8) is taken as is: running
    the decode stage's whole-text mojibake repair over a megabyte of scripts and styles
    costs ~0.4 s a page, so repair is applied to the extracted text fields instead
    (``_fix``). Anything else (byte-order marks, undeclared cp1252, binary) goes through
    ``decode_text``, which repairs or refuses it.
    """
    if raw.startswith(GZIP_MAGIC):
        raw = gunzip(raw)
    if len(raw) > MAX_BYTES:
        raise ParseError(f"page of {len(raw)} bytes exceeds the {MAX_BYTES}-byte limit", format="html")
    declared = declared_charset(headers)
    if not declared:
        match = _META_CHARSET.search(raw[:4096])
        declared = match.group(1).decode("ascii").lower() if match else None
    codec = normalise_charset(declared) or "utf-8"
    if codec in ("utf-8", "cp1252") and not raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if "\x00" not in text:
                return text
    return decode_text(raw, declared).text


# --------------------------------------------------------------------------- text helpers


def clean_text(text: str) -> str:
    """Collapse whitespace as a browser renders it, drop invisible characters."""
    return _SPACE_RUN.sub(" ", _INVISIBLE.sub("", text)).strip()


def _fix(text: str) -> str:
    """Mojibake repair of one extracted text (cheap on short strings; see ``page_text``)."""
    return ftfy.fix_encoding(text) if text and not text.isascii() else text


def _unescape(text: str) -> str:
    # JSON-LD values are sometimes HTML-escaped twice ("&amp;#39;").
    for _ in range(2):
        if "&" not in text:
            break
        text = html_lib.unescape(text)
    return text


def _node_text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return clean_text(node.text(deep=True, separator=" ", strip=False))


def _words(value: str | None) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", value.lower())) - {""} if value else set()


def _first(tree: LexborHTMLParser, selectors: Sequence[str]) -> LexborNode | None:
    for sel in selectors:
        try:
            node = tree.css_first(sel)
        except SelectolaxError:
            log.warning("bad selector in html_sites.toml: %r", sel)
            continue
        if node is not None and _node_text(node):
            return node
    return None


def _select(root: LexborHTMLParser | LexborNode, selector: str) -> list[LexborNode]:
    try:
        return list(root.css(selector))
    except SelectolaxError:
        log.warning("bad selector in html_sites.toml: %r", selector)
        return []


# --------------------------------------------------------------------------- structured data


@dataclass
class PageMeta:
    """What the page says about itself in <meta>, <link> and JSON-LD."""

    meta: dict[str, list[str]]
    article: dict[str, Any] | None
    ld_all: list[dict[str, Any]]
    lang: str | None
    canonical: str | None

    def get(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name, ()):
                value = clean_text(value)
                if value:
                    return value
        return None

    def all(self, name: str) -> list[str]:
        return [clean_text(v) for v in self.meta.get(name, ()) if clean_text(v)]


def _ld_objects(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _ld_objects(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _ld_objects(data["@graph"])


def _ld_types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()


def read_meta(tree: LexborHTMLParser, data: SiteData) -> PageMeta:
    meta: dict[str, list[str]] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = attrs.get("content")
        if key and content is not None:
            meta.setdefault(key.strip().lower(), []).append(content)
    ld_all: list[dict[str, Any]] = []
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            parsed = json.loads(node.text(deep=True, strip=True), strict=False)
        except ValueError as exc:
            log.debug("unreadable JSON-LD block skipped: %s", exc)
            continue
        ld_all.extend(_ld_objects(parsed))
    article = None
    # The first object of the most specific article type wins ("WebPage" only as a last resort).
    for kind in data.ld_article_types:
        article = next((o for o in ld_all if kind in _ld_types(o)), None)
        if article is not None:
            break
    html_node = tree.css_first("html")
    lang = html_node.attributes.get("lang") if html_node is not None else None
    link = tree.css_first('link[rel="canonical"]')
    canonical = link.attributes.get("href") if link is not None else None
    return PageMeta(meta, article, ld_all, (lang or "").strip() or None, (canonical or "").strip() or None)


def _ld_str(value: Any) -> str | None:
    if isinstance(value, str):
        return clean_text(_unescape(value)) or None
    if isinstance(value, list) and value:
        return _ld_str(value[0])
    if isinstance(value, dict):
        return _ld_str(value.get("name") or value.get("@id"))
    return None


# --------------------------------------------------------------------------- dates


def _zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r in html_sites.toml", name)
        return None


def parse_iso(text: str, zone_name: str | None) -> When | None:
    """An ISO 8601 / RFC 3339 timestamp; a value without offset is read in ``zone_name``."""
    original = text.strip()
    value = original.replace(" ", "T", 1) if re.match(r"\d{4}-\d{2}-\d{2} \d", original) else original
    if value.endswith(("z", "Z")):
        value = value[:-1] + "+00:00"
    # Python 3.11 reads at most 6 fraction digits; some CMSs print 7.
    value = re.sub(r"(\.\d{6})\d+", r"\1", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return None
        return _local_day(day.year, day.month, day.day, zone_name, original)
    precision = "day" if len(value) <= 10 else "second"
    if parsed.tzinfo is not None:
        return When(parsed, precision, "", original)
    zone = _zone(zone_name) or UTC
    return When(parsed.replace(tzinfo=zone), precision, zone_name or "UTC", original)


def _local_day(y: int, m: int, d: int, zone_name: str | None, original: str) -> When | None:
    try:
        value = datetime(y, m, d, tzinfo=_zone(zone_name) or UTC)
    except ValueError:
        return None
    return When(value, "day", zone_name or "UTC", original)


def parse_printed_date(text: str, zone_name: str | None, data: SiteData) -> When | None:
    """A date as printed on the page ("05.04.2025", "April 25, 2023 2:26 PM GMT+2")."""
    for pattern in data.date_patterns:
        match = pattern.search(text)
        if not match:
            continue
        groups = match.groupdict()
        month = int(groups["m"]) if groups.get("m") else data.months.get((groups.get("mon") or "").lower().rstrip("."))
        if not month:
            continue
        y, d = int(groups["y"]), int(groups["d"])
        if not groups.get("H"):
            return _local_day(y, month, d, zone_name, match.group(0))
        hour, minute = int(groups["H"]), int(groups["M"])
        ampm = (groups.get("ampm") or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        second = int(groups["S"]) if groups.get("S") else 0
        tz: tzinfo | None = None
        zone_used = ""
        tz_text = (groups.get("tz") or "").upper()
        try:
            if tz_text in ("UTC", "GMT"):
                tz = UTC
            elif tz_text.startswith("GMT"):
                tz = _fixed(int(tz_text[3:] or 0) * 60)
            elif tz_text:
                sign = -1 if tz_text.startswith("-") else 1
                digits = tz_text[1:].replace(":", "")
                tz = _fixed(sign * (int(digits[:2]) * 60 + int(digits[2:4])))
            else:
                tz = _zone(zone_name) or UTC
                zone_used = zone_name or "UTC"
            value = datetime(y, month, d, hour, minute, second, tzinfo=tz)
        except ValueError:
            continue  # an impossible date or offset ("GMT+42"): try the next pattern
        return When(value, "second", zone_used, match.group(0))
    return None


def _fixed(minutes: int) -> tzinfo:
    from datetime import timezone

    return timezone(timedelta(minutes=minutes))


def _epoch(value: str, kind: str) -> When | None:
    try:
        number = float(value)
    except ValueError:
        return None
    if kind == "epoch-ms":
        number /= 1000
    try:
        return When(datetime.fromtimestamp(number, UTC), "second", "", value)
    except (OverflowError, OSError, ValueError):
        return None


# --------------------------------------------------------------------------- authors


def split_names(text: str, data: SiteData) -> list[str]:
    """Names in a byline ("By A, B and C" -> [A, B, C]), roles and URLs dropped."""
    text = data.byline_prefix.sub("", clean_text(text)).strip(" |,;:-–—")
    names = []
    for part in data.author_split.split(text):
        name = clean_text(part).strip(" |,;:-–—")
        name = data.byline_prefix.sub("", name).strip()
        if name and not any(p.search(name) for p in data.author_noise) and name not in names:
            names.append(name)
    return names


def _ld_authors(article: dict[str, Any], data: SiteData) -> tuple[list[Party], bool]:
    """Authors from JSON-LD; the flag says whether any was a person (not an organisation)."""
    value = article.get("author")
    items = value if isinstance(value, list) else [value] if value else []
    job_titles = {
        clean_text(str(i.get("jobTitle"))).casefold() for i in items if isinstance(i, dict) and i.get("jobTitle")
    }
    parties: list[Party] = []
    person = False
    for item in items:
        if isinstance(item, str):
            for name in split_names(_unescape(item), data):
                parties.append(Party(name, "author"))
                person = True
        elif isinstance(item, dict):
            raw_name = item.get("name") or item.get("byline")
            if not isinstance(raw_name, str):
                continue
            names = split_names(_unescape(raw_name), data)
            is_org = "Organization" in _ld_types(item) or "NewsMediaOrganization" in _ld_types(item)
            for name in names:
                if name.casefold() in job_titles:
                    continue  # a job title listed as if it were a person
                uri = item.get("url") or item.get("sameAs")
                parties.append(Party(name, "author", uri if isinstance(uri, str) else None))
                person = person or not is_org
    return parties, person


# --------------------------------------------------------------------------- body walking


@dataclass
class _Run:
    """Text gathered since the last block boundary."""

    parts: list[str] = field(default_factory=list)
    link_chars: int = 0


@dataclass
class BodyResult:
    blocks: list[Block]
    removed: list[Removed]
    link_heavy: list[bool]


class _Walker:
    """Turns a DOM subtree into blocks: block tags end a block, inline tags join text."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.link_share: list[bool] = []
        self._run = _Run()
        self._kinds: list[str] = []

    def walk(self, node: LexborNode, in_link: bool = False) -> None:
        for child in node.iter(include_text=True):
            if child.is_text_node:
                text = child.text_content or ""
                self._run.parts.append(text)
                if in_link:
                    self._run.link_chars += len(text.strip())
                continue
            tag = child.tag or ""
            if tag.startswith(("-", "!", "_")) or tag in _SKIP_TAGS:
                continue
            if tag == "br":
                self._run.parts.append("\n")
                continue
            if tag in _BLOCK_TAGS:
                self.flush()
                kind = _KIND_OF.get(tag)
                if kind == "p" and "quote" in self._kinds:
                    kind = "quote"  # a paragraph of a blockquote is quoted text
                if kind:
                    self._kinds.append(kind)
                self.walk(child, in_link)
                self.flush()
                if kind:
                    self._kinds.pop()
            else:
                self.walk(child, in_link or tag == "a")

    def flush(self) -> None:
        run, self._run = self._run, _Run()
        raw = "".join(run.parts)
        if not raw.strip():
            return
        kind = self._kinds[-1] if self._kinds else "p"
        # Two line breaks in a row separate paragraphs in pages that use <br><br>.
        pieces = re.split(r"\n[ \t\xa0]*\n", raw) if kind != "pre" else [raw]
        for piece in pieces:
            text = piece.strip("\n") if kind == "pre" else clean_text(piece)
            if text:
                self.blocks.append(Block(text, kind))
                self.link_share.append(run.link_chars > 0.5 * len(text))


def _is_chrome(node: LexborNode, words: frozenset[str]) -> bool:
    attrs = node.attributes
    return bool((_words(attrs.get("class")) | _words(attrs.get("id"))) & words)


# Tags whose text is code, not page text: removed without a Removed record.
_SILENT = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "object", "embed"})


def _holds_article(node: LexborNode) -> bool:
    """True when the node wraps several real paragraphs: never chrome, whatever its class says."""
    return sum(1 for p in node.css("p") if len(_node_text(p)) >= 80) >= 3


def _drop(node: LexborNode, reason: str, removed: list[Removed]) -> None:
    if node.tag not in _SILENT:
        text = _node_text(node)
        if text:
            removed.append(Removed(text[:300], reason))
    node.decompose()


def _remove(
    root: LexborNode, selectors: Sequence[str], reason: str, removed: list[Removed], *, protect: bool = False
) -> None:
    for sel in selectors:
        for node in _select(root, sel):
            if node.mem_id == root.mem_id or (protect and node.tag not in _SILENT and _holds_article(node)):
                continue
            _drop(node, reason, removed)


def _remove_chrome_words(
    root: LexborNode, words: frozenset[str], removed: list[Removed], *, protect: bool = False
) -> None:
    doomed = [n for n in root.css("[class], [id]") if n.mem_id != root.mem_id and _is_chrome(n, words)]
    for node in doomed:
        if protect and _holds_article(node):
            continue
        _drop(node, "page-chrome", removed)


def _article_scope(tree: LexborHTMLParser, body: LexborNode) -> LexborNode:
    """Where to look for the body: the <article>/<main> holding the headline, else the page.

    Pages carry other paragraph clusters (cookie notices, related stories) that can
    outweigh a short article; the element that holds the <h1> is the article's own.
    """
    h1 = tree.css_first("h1")
    node = h1.parent if h1 is not None else None
    while node is not None and node.mem_id != body.mem_id:
        if node.tag in ("article", "main") and len(_node_text(node)) >= 200:
            return node
        node = node.parent
    return body


def _alive(node: LexborNode) -> bool:
    """The node is still in the document (chrome removal did not take it or an ancestor)."""
    while node.parent is not None:
        node = node.parent
    return node.tag in ("html", "-document", "#document")


def _best_cluster(
    body: LexborNode, order: dict[int, int] | None = None, anchor: int | None = None
) -> LexborNode | None:
    """The element whose paragraphs hold the most text (readability-style scoring).

    With the document ``order`` of the page's nodes and the position of its title
    (``anchor``, the <h1>), a cluster that starts soon after the title wins over a larger
    one elsewhere (a stream of other stories' teasers), when it holds at least a third of
    the best cluster's text: the article follows its title.
    """
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    first: dict[int, int] = {}  # cluster -> document position of its first paragraph
    for para in body.css("p, pre, div, td"):
        if para.tag == "div" and any(child.tag in _BLOCK_TAGS for child in para.iter()):
            continue  # a div with block children is a container, not a paragraph
        text = _node_text(para)
        if len(text) < 25:
            continue
        links = sum(len(_node_text(a)) for a in para.css("a"))
        score = len(text) * (1.0 - min(links / len(text), 1.0)) + 5 * text.count(",")
        parent = para.parent
        for weight in (1.0, 0.5):
            if parent is None:
                break
            key = parent.mem_id
            nodes[key] = parent
            scores[key] = scores.get(key, 0.0) + score * weight
            if order is not None and key not in first:
                first[key] = order.get(para.mem_id, -1)
            parent = parent.parent
    if not scores:
        return None
    best = max(scores, key=lambda k: scores[k])
    if order is not None and anchor is not None:
        after = [k for k in scores if first.get(k, -1) > anchor and scores[k] >= TITLE_CLUSTER_SHARE * scores[best]]
        if after:
            best = min(after, key=lambda k: (first[k], -scores[k]))
    return nodes[best]


# --------------------------------------------------------------------------- captions


def split_credit(caption: str, data: SiteData) -> tuple[str | None, str | None]:
    """(caption without credit, credit) for "Text (AFP / NAME)" / "Fotoğraf : NAME/AA"."""
    for pattern in data.credit_patterns:
        match = pattern.search(caption)
        if match:
            credit = clean_text(match.group("credit"))
            rest = clean_text(caption[: match.start()] + caption[match.end() :])
            return (rest or None), (credit or None)
    return caption or None, None


def _img_src(img: LexborNode | None, base: str | None) -> str | None:
    if img is None:
        return None
    attrs = img.attributes
    src = attrs.get("src") or attrs.get("data-src") or attrs.get("data-original")
    if not src or src.startswith("data:"):
        srcset = attrs.get("srcset") or attrs.get("data-srcset") or ""
        src = srcset.split(",")[0].split(" ")[0] if srcset else None
    if not src:
        return None
    return _join(base, src)


def _join(base: str | None, href: str) -> str:
    """``href`` made absolute against the page address, when both are well-formed."""
    if not base:
        return href
    try:
        return urljoin(base, href)
    except ValueError:
        return href


def _captions(
    scope: LexborHTMLParser | LexborNode, selectors: Sequence[str], base: str | None, data: SiteData
) -> list[Association]:
    found: list[Association] = []
    seen: set[str] = set()
    for sel in selectors:
        for node in _select(scope, sel):
            text = _node_text(node)
            if not text or text in seen:
                continue
            seen.add(text)
            holder = node.parent
            while holder is not None and holder.tag not in ("figure", "body") and holder.css_first("img") is None:
                holder = holder.parent
            img = holder.css_first("img") if holder is not None else None
            caption, credit = split_credit(text, data)
            href = _img_src(img, base)
            found.append(
                Association(
                    name=f"picture{len(found) + 1}",
                    type="picture",
                    uri=href,
                    caption=caption,
                    credit=credit,
                    renditions=(Rendition("original", href),) if href else (),
                )
            )
    return found


# --------------------------------------------------------------------------- the parser


def _language(meta: PageMeta, site: Site | None, path: str) -> str | None:
    lang = meta.lang or meta.get("og:locale") or _ld_str(meta.article.get("inLanguage") if meta.article else None)
    if not lang and site and site.language_from_path:
        match = site.language_from_path.match(path)
        lang = match.group("lang") if match else None
    if not lang:
        return None
    # "tr_TR" -> "tr-TR": BCP-47 uses hyphens
    return lang.replace("_", "-")


def _keywords(meta: PageMeta, exclude: set[str]) -> tuple[str, ...]:
    article = meta.article or {}
    raw: list[str] = []
    ld_kw = article.get("keywords")
    if isinstance(ld_kw, list):
        raw.extend(str(k) for k in ld_kw)
    elif isinstance(ld_kw, str):
        raw.extend(ld_kw.split(","))
    if not raw:
        # One article:tag per tag, though some sites pack a comma list into one.
        for value in meta.all("article:tag"):
            raw.extend(value.split(","))
    if not raw:
        for value in meta.all("keywords") or meta.all("news_keywords"):
            raw.extend(value.split(","))
    out: list[str] = []
    for kw in raw:
        kw = clean_text(_unescape(kw))
        if kw and kw.casefold() not in exclude and kw not in out:
            out.append(kw)
    return tuple(out)


def _strip_site_suffix(title: str, site_name: str | None) -> str:
    if site_name:
        for sep in (" | ", " - ", " – ", " — ", " :: "):
            if title.endswith(sep + site_name):
                return title[: -len(sep + site_name)].strip()
    return title


def _norm_key(s: str) -> str:
    return re.sub(r"\W+", " ", s.casefold()).strip()


def _same_text(a: str, b: str) -> bool:
    return _norm_key(a) == _norm_key(b)


@registry.register
class HTMLParser(Parser):
    """A news article web page -> one item (headline, byline, dates, body, captions)."""

    name: ClassVar[str] = "html"
    content_types: ClassVar[tuple[str, ...]] = ("text/html", "application/xhtml+xml")
    priority: ClassVar[int] = 50

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        head = _peek(raw).lstrip(b"\xef\xbb\xbf \t\r\n")
        lower = head[:1024].lower()
        if b"<!doctype html" in lower:
            return True
        root = root_name(head)
        return root is not None and root.lower() in ("html", "head", "body")

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        return [parse_page(page_text(raw, headers), url_hint=None)]


def parse_page(text: str, *, url_hint: str | None = None, data: SiteData | None = None) -> ParsedItem:
    """One HTML page (as text) -> ParsedItem; ``EmptyDispatchError`` when it holds no article."""
    data = data or site_data()
    tree = LexborHTMLParser(text)
    meta = read_meta(tree, data)
    article = meta.article or {}
    main_entity = article.get("mainEntityOfPage")
    url = (
        meta.canonical
        or meta.get("og:url")
        or _ld_str(article.get("url"))
        or (_ld_str(main_entity) if isinstance(main_entity, dict) else None)
        or url_hint
    )
    try:
        parts = urlsplit(url) if url else None
    except ValueError:  # e.g. a malformed IPv6 host in a canonical link
        parts = None
    host = parts.hostname if parts else None
    publisher = _ld_str(article.get("publisher")) or meta.get("og:site_name")
    site = data.site_for(host, publisher)
    zone = site.zone if site else None
    removed: list[Removed] = []
    extra: list[tuple[str, str]] = [("html.site", site.name if site else "generic")]

    # -- headline: JSON-LD, then og:title, then the page's <h1>, then <title>; an og:title
    # that the <h1> and the <title> both contradict is the site's, not the article's
    headline = _ld_str(article.get("headline")) or _ld_str(article.get("name"))
    if not headline:
        og = meta.get("og:title", "twitter:title")
        headline = _strip_site_suffix(og, meta.get("og:site_name")) if og else None
        printed = _node_text(tree.css_first("h1"))
        document = _node_text(tree.css_first("title"))
        # the <title> is the <h1>, perhaps with the site's name after it
        agree = (
            printed
            and document
            and (_same_text(printed, document) or _norm_key(document).startswith(_norm_key(printed)))
        )
        if headline and agree and not _same_text(headline, printed):
            headline = printed
    if not headline:
        headline = _node_text(tree.css_first("h1")) or None
    if not headline:
        headline = _strip_site_suffix(_node_text(tree.css_first("title")), meta.get("og:site_name")) or None

    # -- dates: JSON-LD, then article:* meta, then what the page prints
    first_created = _date_from(article.get("datePublished"), zone) or _date_from(
        meta.get(
            "article:published_time",
            "og:article:published_time",
            "pubdate",
            "publishdate",
            "date",
            "dc.date.issued",
            "sailthru.date",
        ),
        zone,
    )
    if first_created is None:
        first_created = _printed_date(tree, site, zone, data)
    version_created = _date_from(article.get("dateModified"), zone) or _date_from(
        meta.get("article:modified_time", "og:updated_time", "lastmod"), zone
    )

    # -- authors and credits
    contributors: list[Party] = []
    translation: Translation | None = None
    ld_parties, ld_person = _ld_authors(article, data) if article else ([], False)
    if ld_person:
        contributors.extend(ld_parties)
    else:
        dom_parties, translation = _dom_credits(tree, site, data)
        contributors.extend(dom_parties)
        if not any(p.role == "author" for p in contributors):
            author_meta = meta.get("author", "article:author", "byl", "dc.creator")
            names = split_names(author_meta, data) if author_meta else []
            contributors.extend(Party(n, "author") for n in names)
        if not any(p.role == "author" for p in contributors):
            contributors.extend(ld_parties)
    authors = [p.name for p in contributors if p.role == "author"]
    byline = ", ".join(authors) or None

    # -- section, language, keywords
    section = _ld_str(article.get("articleSection")) or meta.get("article:section")
    if not section and site:
        section = _node_text(_first(tree, site.section)) or None
    language = _language(meta, site, parts.path if parts else "")
    exclude = {s.casefold() for s in ((site.publishers if site else ()) + tuple(filter(None, [publisher])))}
    keywords = _keywords(meta, exclude)
    if not keywords and site:
        # Topic tags printed on the page, when the meta tags carry none.
        tags = [_node_text(n) for sel in site.keywords for n in _select(tree, sel)]
        keywords = tuple(dict.fromkeys(t for t in tags if t))

    # -- dateline and standfirst printed outside the body
    dateline = None
    if site:
        node = _first(tree, site.dateline)
        place = _node_text(node)
        if place and len(place) <= 60:
            dateline = Dateline(raw=place, place=place)
    summary = _node_text(_first(tree, site.summary)) if site else ""
    copyright_notice = None
    if site:
        node = _first(tree, site.copyright)
        copyright_notice = _node_text(node) or None

    # -- body and captions
    blocks, how, associations = _body(tree, site, data, url, removed)
    if not blocks:
        ld_body = article.get("articleBody")
        if isinstance(ld_body, str) and ld_body.strip():
            text = _unescape(ld_body)
            blocks = (
                list(html_fragment_blocks(text))
                if _TAG.search(text)
                else [Block(clean_text(p)) for p in re.split(r"\r?\n", text) if clean_text(p)]
            )
            how = "json-ld"
    extra.append(("html.body_source", how))

    blocks = _filter_blocks([Block(_fix(b.text), b.kind) for b in blocks], headline, site, data, removed)

    if not summary:
        description = _ld_str(article.get("description")) or meta.get("og:description", "description")
        if description and not _is_lead(description, blocks):
            summary = description
    lead = _lead_picture(meta, article, url)
    if lead is not None and all(a.uri != lead.uri for a in associations):
        associations.insert(0, lead)

    if not headline and not blocks:
        raise EmptyDispatchError("HTML page has neither a headline nor article text", format="html")

    return ParsedItem(
        format="html",
        guid=url,
        # a page on a host we have no site data for still names its publisher ("The Associated Press")
        agency=site.agency if site else agency_of([publisher, host]),
        language=language,
        headline=_fix(headline) if headline else None,
        summary=_fix(summary) if summary else None,
        body=tuple(blocks),
        byline=byline,
        dateline=dateline,
        first_created=first_created,
        version_created=version_created,
        section=section,
        keywords=keywords,
        copyright_notice=copyright_notice,
        associations=tuple(associations),
        translation=translation,
        contributors=tuple(contributors),
        url=url,
        removed=tuple(removed),
        extra=tuple(extra),
    )


def _date_from(value: Any, zone: str | None) -> When | None:
    text = _ld_str(value)
    return parse_iso(text, zone) if text else None


def _printed_date(tree: LexborHTMLParser, site: Site | None, zone: str | None, data: SiteData) -> When | None:
    for sel, attr, kind in data.date_attributes:
        node = tree.css_first(sel)
        value = node.attributes.get(attr) if node is not None else None
        if value:
            found = _epoch(value, kind) if kind.startswith("epoch") else parse_iso(value, zone)
            if found:
                return found
    if site:
        for sel in site.date:
            for node in _select(tree, sel):
                found = parse_printed_date(_node_text(node), zone, data)
                if found:
                    return found
    return None


def _dom_credits(tree: LexborHTMLParser, site: Site | None, data: SiteData) -> tuple[list[Party], Translation | None]:
    """Credits printed on the page: labelled lines ("Von: ...") or a byline element."""
    parties: list[Party] = []
    translation = None
    if site is None:
        node = _first(tree, ['[rel="author"]', '[itemprop="author"]', ".byline", ".author"])
        return ([Party(n, "author") for n in split_names(_node_text(node), data)] if node else []), None
    for sel in site.credits:
        for node in _select(tree, sel):
            text = _node_text(node)
            for label in site.credit_labels:
                match = label.pattern.match(text)
                if not match:
                    continue
                names = split_names(text[match.end() :], data)
                parties.extend(Party(n, label.role) for n in names)
                if label.role == "translator" and names:
                    translation = Translation(raw=text, translator=", ".join(names))
    if not any(p.role == "author" for p in parties):
        node = _first(tree, site.byline)
        if node is not None:
            parties.extend(Party(n, "author") for n in split_names(_node_text(node), data))
    return parties, translation


def _body(
    tree: LexborHTMLParser, site: Site | None, data: SiteData, base: str | None, removed: list[Removed]
) -> tuple[list[Block], str, list[Association]]:
    """Body blocks, how they were found ("site", "content", "density", "none"), and captions."""
    gen = data.generic
    # Site caption selectors look at the whole page (lead pictures sit outside the body), and
    # run before any chrome removal takes their containers away.
    captions = _captions(tree, site.captions, base, data) if site and site.captions else []
    site_root = _first(tree, site.content) if site else None
    root = site_root or _first(tree, gen.content)
    how = "site" if site_root is not None else "content"
    if root is None:
        body = tree.body
        if body is None:
            return [], "none", captions
        # Unknown layout: find where the title's article is (before chrome removal takes a
        # <header> holding the <h1> away), take chrome out, then find the paragraph cluster.
        scope = _article_scope(tree, body)
        order = {node.mem_id: n for n, node in enumerate(body.traverse())}
        h1 = tree.css_first("h1")
        anchor = order.get(h1.mem_id) if h1 is not None else None
        _remove(body, gen.remove, "page-chrome", removed, protect=True)
        # a class word ("modal", "menu") on a wrapper of the whole page is no proof of chrome
        _remove_chrome_words(body, data.chrome_words, removed, protect=True)
        inside = scope.mem_id != body.mem_id and _alive(scope)
        root = _best_cluster(scope, None) if inside else _best_cluster(body, order, anchor)
        how = "density"
        if root is None:
            return [], "none", captions
    if not captions:
        captions = _captions(root, gen.captions, base, data)
    _remove(root, (site.remove if site else ()), "page-chrome", removed)
    _remove(root, gen.remove, "page-chrome", removed)
    _remove_chrome_words(root, data.chrome_words, removed)
    # Captions are associations, not body text.
    for sel in ("figure", *gen.captions, *(site.captions if site else ())):
        for node in _select(root, sel):
            node.decompose()
    walker = _Walker()
    walker.walk(root)
    walker.flush()
    blocks = walker.blocks
    if how == "density":
        kept = []
        for block, link_heavy in zip(blocks, walker.link_share, strict=True):
            if link_heavy and len(block.text) < 300:
                removed.append(Removed(block.text[:300], "link-list"))
            else:
                kept.append(block)
        blocks = kept
    return blocks, how, captions


def _filter_blocks(
    blocks: list[Block], headline: str | None, site: Site | None, data: SiteData, removed: list[Removed]
) -> list[Block]:
    drop = data.generic.drop_lines + (site.drop_lines if site else ())
    out: list[Block] = []
    for block in blocks:
        text = block.text
        if data.drop_inline is not None:
            text = clean_text(data.drop_inline.sub("", text))
        if not text:
            continue
        if any(p.search(text) for p in drop):
            removed.append(Removed(text[:300], "boilerplate"))
            continue
        if headline and not out and _same_text(text, headline):
            removed.append(Removed(text, "repeated-headline"))
            continue
        out.append(Block(text, block.kind) if text != block.text else block)
    # what the generic page layout finds around and inside the text (the clean stage's
    # profile furniture stays for it; quotes and lists keep their own shape)
    texts = [b.text for b in out]
    agency = site.agency if site else None
    keep = [b.kind in ("pre", "quote", "li") or _profile_furniture(b.text, agency) for b in out]
    furniture = trim(texts, keep)
    for i, reason in sorted(furniture.items()):
        removed.append(Removed(out[i].text[:300], reason))
    return [b for i, b in enumerate(out) if i not in furniture]


def _profile_furniture(text: str, agency: str | None) -> bool:
    """A line the agency's (or the generic) profile's clean rules take out: left for them, with their reasons."""
    from pipeline.profiles import get_profile

    profile = get_profile(agency)
    return any(
        p.mode == "line" and p.regex.fullmatch(text)
        for kind in ("boilerplate", "trailer", "credit", "contributors", "ed_note", "translation")
        for p in profile.patterns(kind)
    )


def _is_lead(description: str, blocks: list[Block]) -> bool:
    """True when the page description only repeats the start of the body (no standfirst)."""
    probe = re.sub(r"\W+", " ", description.casefold()).strip().removesuffix("...").strip()[:120]
    if not probe:
        return True
    return any(probe in re.sub(r"\W+", " ", b.text.casefold()) for b in blocks[:3])


def _lead_picture(meta: PageMeta, article: dict[str, Any], base: str | None) -> Association | None:
    href = meta.get("og:image", "og:image:url", "twitter:image")
    if not href:
        image = article.get("image")
        href = _ld_str(image.get("url") if isinstance(image, dict) else image)
    if not href:
        return None
    href = _join(base, href)
    width = meta.get("og:image:width")
    height = meta.get("og:image:height")
    return Association(
        name="featureimage",
        type="picture",
        uri=href,
        caption=meta.get("og:image:alt"),
        renditions=(
            Rendition(
                "original",
                href,
                meta.get("og:image:type"),
                int(width) if width and width.isdigit() else None,
                int(height) if height and height.isdigit() else None,
            ),
        ),
    )


def html_fragment_blocks(fragment: str) -> tuple[Block, ...]:
    """Blocks of an HTML fragment (a feed item's description / content:encoded).

    Plain text without tags is split into paragraphs on blank lines.
    """
    if not _TAG.search(fragment):
        return tuple(Block(clean_text(p)) for p in re.split(r"\n\s*\n", html_lib.unescape(fragment)) if clean_text(p))
    tree = LexborHTMLParser(f"<html><body>{fragment}</body></html>")
    body = tree.body
    if body is None:
        return ()
    removed: list[Removed] = []
    data = site_data()
    _remove(body, data.generic.remove, "page-chrome", removed)
    for node in body.css("figure, figcaption"):
        node.decompose()
    walker = _Walker()
    walker.walk(body)
    walker.flush()
    return tuple(walker.blocks)


__all__ = ["HTMLParser", "html_fragment_blocks", "page_text", "parse_page", "site_data"]
