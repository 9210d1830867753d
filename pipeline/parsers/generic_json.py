"""Any JSON news item no specific parser claims: read by key names and structure.

Agencies and platforms serve articles as JSON of their own: dpa's digitalwires
(``headline``, ``teaser``, ``article_html``, ``dateline``, ``urn``, ``version_created``;
a wireQ response lists them under ``entries``), a GraphQL news API
(``{"data": {"item": {"headLine", "bodyXhtml", "versionedGuid", ...}}}``, search results
under ``data.search.items``), CMS exports. They differ in names, not in what they carry.
This parser finds the articles and their fields from names alone (``_fields``: a
vocabulary in several languages and conventions, and the words of unlisted names), and
from structure where names fail:

- **items**: the objects that have a headline-like key with a headline-like value, or a
  body-like key with text. An item that carries other items but no body of its own
  (a feed with a title, a response envelope) stands for its list: its items are read.
  Objects nested inside an item (associations, media) are not items.
- **fields**: every key of the item (and of the plain objects inside it, a few levels
  deep, never under keys whose content is not the article: notes, links, media,
  classification) is a candidate for the field its name means; the most trusted name
  wins (listed names before names read from their words, then the shallowest, then the
  first). A body is the most trusted body-named value that holds at least half as much
  text as the longest one; HTML is read as HTML, plain text by its paragraphs.
- **no body name**: the longest string of the item that reads as prose (several
  sentences) is the body.

It is registered last (``fallback``): the ninjs and scrape-record parsers claim their
formats first, and it reads what they claim but find no item in. Items are marked
``wf_format: generic-json``; ``extra`` records which key gave each field.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from pipeline.decoding import decode_text
from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers._agencies import agency_of, home_zone
from pipeline.parsers._dateline import parse_dateline
from pipeline.parsers._fields import (
    DATE_FIELDS,
    classify,
    clean_line,
    guid_value,
    headline_value,
    language_tag,
    skipped,
    urgency_value,
    version_value,
    when,
)
from pipeline.parsers._iptc import pub_status
from pipeline.parsers._teletype import agency_header
from pipeline.parsers._text import blocks_from_string, blocks_from_tree, clean_inline, has_text
from pipeline.parsers._xml import parse_html_fragment
from pipeline.parsers.base import Parser, declared_charset, registry
from pipeline.records import Block, Dateline, Headers, ParsedItem, When

log = logging.getLogger(__name__)

NAME = "generic-json"
#: largest JSON dispatch read (an API page of items is a few MB at most)
MAX_BYTES = 20 * 1024 * 1024
#: deepest nesting searched for items, and for an item's fields below it
MAX_ITEM_DEPTH = 12
MAX_FIELD_DEPTH = 3
#: characters of text that make a value a body (an item's own text, not a label)
MIN_BODY_CHARS = 80
#: a prose string, for the body when no key is named like one: this many sentence ends
MIN_PROSE_SENTENCES = 2

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_SENTENCE_END = re.compile(r"[.!?…。！？](?:\s|$)")
_TAG = re.compile(r"<[^<>]+>")
_CLOSING_TAG = re.compile(r"</[A-Za-z][\w.:-]*\s*>")
#: keys of a {"value": ...}-like wrapper, in the order they are read
_VALUE_KEYS = ("value", "text", "#text", "content", "main", "default", "plain", "name", "html", "xhtml")
#: keys of a person or place object
_NAME_KEYS = ("name", "fullname", "displayname", "literal", "value", "text", "by")
_PLACE_KEYS = ("city", "place", "location", "name", "literal")
#: roles that mark a list entry as the main one ("headlines": [{"role": "main", ...}])
_MAIN_ROLES = ("main", "headline", "default", "primary", "text", "body")
_STATUS_KEYS = frozenset({"pubstatus", "status", "publicationstatus"})


@dataclass(frozen=True)
class Candidate:
    field: str
    rank: int
    depth: int
    order: int
    key: str
    value: Any


# --------------------------------------------------------------------------- values


def _lower_keys(obj: dict[str, Any]) -> dict[str, Any]:
    return {str(k).casefold(): v for k, v in obj.items()}


def text_of(value: Any) -> str | None:
    """The text a value carries: a string, a wrapper's value, the main entry of a list."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, dict):
        lowered = _lower_keys(value)
        for key in _VALUE_KEYS:
            found = text_of(lowered.get(key))
            if found:
                return found
        return None
    if isinstance(value, list):
        entries = [v for v in value if text_of(v)]
        for entry in entries:
            if isinstance(entry, dict) and str(_lower_keys(entry).get("role", "")).casefold().split(":")[-1] in (
                _MAIN_ROLES
            ):
                return text_of(entry)
        return text_of(entries[0]) if entries else None
    return None


def plain(text: str) -> str:
    """A one-line field as plain text: tags out, entities and whitespace cleaned."""
    if "<" in text and _TAG.search(text):
        blocks = blocks_from_string(text)
        return clean_line(" ".join(b.text for b in blocks))
    return clean_inline(text)


def body_blocks(value: Any) -> list[Block]:
    """Blocks of a body value: HTML or plain text, a list of paragraphs or of content blocks."""
    if isinstance(value, str):
        if _CLOSING_TAG.search(value):
            return blocks_from_tree(parse_html_fragment(value))  # any markup, even inline only
        return blocks_from_string(value) if value.strip() else []
    if isinstance(value, list):
        alternatives = _renderings(value)
        if alternatives:
            return body_blocks(alternatives[0])
        blocks: list[Block] = []
        for entry in value:
            blocks.extend(body_blocks(entry if isinstance(entry, str) else text_of(entry)))
        return blocks
    if isinstance(value, dict):
        found = text_of(value)
        return body_blocks(found) if found else []
    return []


def _renderings(value: list[Any]) -> list[Any]:
    """Entries of a list that are renderings of one text (ninjs-like ``bodies``: each a value
    with a content type), markup first; [] when the entries are parts of the text."""
    entries = [_lower_keys(v) for v in value if isinstance(v, dict)]
    if len(entries) < 2 or len(entries) != len(value):
        return []
    kinds = [str(e.get("contenttype") or e.get("mimetype") or e.get("format") or "").casefold() for e in entries]
    if not all(kinds) or len(set(kinds)) != len(kinds):
        return []
    ranked = sorted(range(len(entries)), key=lambda n: 0 if "html" in kinds[n] else 1 if "xml" in kinds[n] else 2)
    return [value[n] for n in ranked]


def names_of(value: Any) -> list[str]:
    """People named by a byline value: a string, a list of names, person objects."""
    if isinstance(value, str):
        line = plain(value)
        return [line] if line else []
    if isinstance(value, dict):
        lowered = _lower_keys(value)
        for key in _NAME_KEYS:
            if isinstance(lowered.get(key), str) and lowered[key].strip():
                return [plain(lowered[key])]
        return []
    if isinstance(value, list):
        return [name for entry in value for name in names_of(entry)]
    return []


def dateline_of(value: Any) -> Dateline | None:
    """A dateline: printed text ("Berlin (dpa) - "), or a place object ({"city": ...})."""
    if isinstance(value, str):
        return parse_dateline(plain(value))
    if isinstance(value, dict):
        lowered = _lower_keys(value)
        place = next((plain(v) for k in _PLACE_KEYS if isinstance(v := lowered.get(k), str) and v.strip()), None)
        if place:
            return Dateline(raw=place, place=place)
    return None


def keywords_of(value: Any) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    if isinstance(value, list):
        return [k for entry in value for k in ([plain(entry)] if isinstance(entry, str) else names_of(entry)) if k]
    return []


def text_length(value: Any) -> int:
    """Characters of text in a body value (tags not counted)."""
    found = value if isinstance(value, str) else None
    if isinstance(value, (list, dict)):
        return sum(text_length(v) for v in (value if isinstance(value, list) else value.values()))
    if found is None:
        return 0
    return len(_TAG.sub(" ", found).strip())


# --------------------------------------------------------------------------- items


def _headline_key(obj: dict[str, Any]) -> bool:
    for key, value in obj.items():
        found = classify(str(key))
        if found and found[0] == "headline" and not skipped(str(key)):
            text = text_of(value)
            if text and headline_value(plain(text)):
                return True
    return False


def own_body(obj: dict[str, Any]) -> bool:
    """Whether the object has a body-named key of its own with text."""
    for key, value in obj.items():
        found = classify(str(key))
        if (
            found
            and found[0] == "body"
            and not skipped(str(key))
            and text_length(text_of(value) or value) >= (MIN_BODY_CHARS)
        ):
            return True
    return False


def is_item(obj: dict[str, Any]) -> bool:
    """An article: a headline-like key with a headline, or a body-like key with text."""
    return _headline_key(obj) or own_body(obj)


def find_items(node: Any, depth: int = 0) -> list[dict[str, Any]]:
    """The articles of a JSON document, outermost first (see the module docstring)."""
    if depth > MAX_ITEM_DEPTH:
        return []
    if isinstance(node, list):
        return [item for entry in node for item in find_items(entry, depth + 1)]
    if not isinstance(node, dict):
        return []
    inner = [
        item
        for key, value in node.items()
        if isinstance(value, (dict, list)) and not skipped(str(key))
        for item in find_items(value, depth + 1)
    ]
    if is_item(node):
        # a titled envelope of items (a feed, a search result) stands for its items
        return inner if inner and not own_body(node) else [node]
    return inner


def candidates(obj: dict[str, Any]) -> list[Candidate]:
    """Every key of the item (and of plain objects inside it) that names a field."""
    found: list[Candidate] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        for key, value in node.items():
            name = str(key)
            if skipped(name):
                continue
            field = classify(name)
            if field is not None:
                found.append(Candidate(field[0], field[1], depth, len(found), name, value))
            if isinstance(value, dict) and depth < MAX_FIELD_DEPTH and not is_item(value):
                walk(value, depth + 1)

    walk(obj, 0)
    return found


def _best(cands: list[Candidate], field: str) -> list[Candidate]:
    """The candidates for ``field``, most trusted first."""
    return sorted((c for c in cands if c.field == field), key=lambda c: (c.rank, c.depth, c.order))


def _prose(obj: dict[str, Any], used: set[int]) -> str | None:
    """The longest string of the item that reads as prose, for a body no key names."""
    best: str | None = None

    def walk(node: Any, depth: int) -> None:
        nonlocal best
        if depth > MAX_FIELD_DEPTH + 1:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                if not skipped(str(key)):
                    walk(value, depth + 1)
        elif isinstance(node, list):
            for value in node:
                walk(value, depth + 1)
        elif isinstance(node, str) and id(node) not in used:
            length = text_length(node)
            prose = len(_SENTENCE_END.findall(_TAG.sub(" ", node))) >= MIN_PROSE_SENTENCES
            if length >= MIN_BODY_CHARS and prose and (best is None or length > text_length(best)):
                best = node

    walk(obj, 0)
    return best


def read_item(obj: dict[str, Any], agency_hint: str | None, language_hint: str | None) -> ParsedItem:
    """One article object as a ParsedItem."""
    cands = candidates(obj)
    used: set[int] = set()
    extra: list[tuple[str, str]] = []

    def pick(field: str, read: Any) -> Any:
        for cand in _best(cands, field):
            value = read(cand.value)
            if value:
                extra.append((f"generic:{field}", cand.key))
                if isinstance(cand.value, str):
                    used.add(id(cand.value))
                return value
        return None

    def one_line(value: Any) -> str | None:
        text = text_of(value)
        return plain(text) if text else None

    headline = pick("headline", lambda v: headline_value(plain(t)) if (t := text_of(v)) else None)
    summary = pick("summary", one_line)
    blocks = _pick_body(cands, extra, used)
    if not blocks:
        prose = _prose(obj, used)
        if prose is not None:
            blocks = blocks_from_string(prose)
            extra.append(("generic:body", "(prose)"))
    byline_names = pick("byline", names_of)
    credits = [one_line(c.value) for c in _best(cands, "credit") + _best(cands, "copyright")]
    guid = pick("guid", guid_value)
    agency = agency_hint or agency_of([*credits, guid])
    zone = home_zone(agency)
    dates: dict[str, When | None] = {}
    for field in DATE_FIELDS:
        dates[field] = pick(field, lambda v: when(v, zone))
    language = pick("language", lambda v: language_tag(text_of(v) if not isinstance(v, str) else v)) or language_hint
    status = next(
        (
            pub_status(str(v))
            for k, v in obj.items()
            if str(k).casefold().replace("_", "") in _STATUS_KEYS and isinstance(v, str)
        ),
        None,
    )
    copyright_notice = next((c for c in (one_line(c.value) for c in _best(cands, "copyright")) if c), None)
    return ParsedItem(
        format=NAME,
        guid=guid,
        version=pick("version", version_value),
        agency=agency,
        language=language,
        headline=headline,
        subheadlines=tuple(s for s in [pick("subheadline", one_line)] if s),
        summary=summary,
        body=tuple(blocks),
        byline=", ".join(dict.fromkeys(byline_names)) if byline_names else None,
        dateline=pick("dateline", dateline_of),
        first_created=dates["first_created"],
        version_created=dates["version_created"],
        content_created=dates["content_created"],
        embargoed_until=dates["embargoed"],
        pub_status=status or "usable",
        urgency=pick("urgency", urgency_value),
        slugline=pick("slugline", one_line),
        keywords=tuple(pick("keywords", keywords_of) or ()),
        copyright_notice=copyright_notice,
        extra=tuple(extra),
    )


def _pick_body(cands: list[Candidate], extra: list[tuple[str, str]], used: set[int]) -> list[Block]:
    """The body: the most trusted body-named value holding at least half the longest one's text."""
    bodies = [(c, text_length(c.value)) for c in _best(cands, "body")]
    bodies = [(c, n) for c, n in bodies if n > 0]
    if not bodies:
        return []
    longest = max(n for _, n in bodies)
    for cand, length in bodies:
        if length * 2 < longest:
            continue
        blocks = body_blocks(cand.value)
        if blocks:
            extra.append(("generic:body", cand.key))
            if isinstance(cand.value, str):
                used.add(id(cand.value))
            return blocks
    return []


def _language_hint(document: Any) -> str | None:
    """A language the envelope declares for all its items (a feed's "language")."""
    if isinstance(document, dict):
        for key, value in document.items():
            found = classify(str(key))
            if found and found[0] == "language" and isinstance(value, str):
                return language_tag(value)
    return None


@registry.register
class GenericJSONParser(Parser):
    """JSON articles of any dialect, read by key names and structure (``generic-json``)."""

    name: ClassVar[str] = NAME
    content_types: ClassVar[tuple[str, ...]] = ("application/json", "text/json")
    priority: ClassVar[int] = 900  # last, with webtext (which never claims markup or JSON)
    fallback: ClassVar[bool] = True

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        head = raw[:64]
        for bom, codec in _BOMS:
            if head.startswith(bom):
                head = head[len(bom) :].decode(codec, errors="ignore").encode("utf-8")
                break
        return head.lstrip(b" \t\r\n")[:1] in (b"{", b"[")

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        if len(raw) > MAX_BYTES:
            raise ParseError(f"JSON dispatch of {len(raw)} bytes exceeds the {MAX_BYTES}-byte limit", format=NAME)
        text = decode_text(raw, declared_charset(headers)).text.lstrip("\ufeff")
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"malformed JSON: {exc}", format=NAME) from None
        objects = find_items(document)
        if not objects:
            raise EmptyDispatchError("no object in the JSON has a headline or a body text", format=NAME)
        agency, language = agency_header(headers), _language_hint(document)
        items = [read_item(obj, agency, language) for obj in objects]
        items = [item for item in items if has_text(item)]
        if not items:
            raise EmptyDispatchError("the JSON objects hold no headline, summary or body text", format=NAME)
        log.debug("generic-json: %d item(s); fields from %s", len(items), dict(items[0].extra))
        return items


__all__ = ["GenericJSONParser", "find_items", "read_item"]
