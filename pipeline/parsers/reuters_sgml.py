"""Reuters-21578 SGML: archive replay of the 1987 Reuters newswire, one story per <REUTERS>.

The corpus is SGML, not XML: "&" appears raw, control characters are written as numeric
references (``&#2;`` STX, ``&#3;`` ETX, ``&#22;&#22;&#1;`` the ANPA frame kept in
``<UNKNOWN>``), and one raw 0xFC byte sits in reut2-017.sgm. So it is read with regular
expressions over decoded text, never an XML parser. One element (what ``wirefeed ingest``
sends, with or without the file's ``<!DOCTYPE lewis ...>`` line) gives one item; a whole
.sgm file gives one item per element.

    <REUTERS NEWID=.. OLDID=..>  -> guid "urn:wirefeed:reuters21578:<NEWID>", OLDID in extra
    <DATE>                       -> first/version created, US Eastern time (see the data file)
    <TOPICS>                     -> subjects, scheme "reuters21578:topics"
    <PLACES> <PEOPLE> <ORGS> <EXCHANGES> <COMPANIES>
                                 -> extra only: they are the gold labels our enrichment is
                                    evaluated against, so they must not leak into entities
    <UNKNOWN>                    -> ANPA header: priority (urgency), keyword (slugline)
    <TEXT> <TITLE> <AUTHOR> <DATELINE> <BODY>
                                 -> headline, byline, dateline (place + date), body blocks;
                                    TYPE="BRIEF": headline only; TYPE="UNPROC": the raw
                                    text is the body.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pipeline.decoding import decode_text
from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers._teletype import (
    anpa_urgency,
    collapse,
    compiled,
    day_number,
    load_data,
    month_number,
    nearest_date,
    parse_anpa_heading,
    strip_controls,
)
from pipeline.parsers.base import Parser, declared_charset, registry
from pipeline.records import Block, Dateline, Headers, ParsedItem, Subject, When

log = logging.getLogger(__name__)

NAME = "reuters21578"
PREFIX = "reuters21578"
_SNIFF = re.compile(rb"\A\s*(?:<!DOCTYPE\s+lewis\b[^>]*>\s*)?<REUTERS\b", re.I)
_ATTR = re.compile(r'(?P<name>[A-Za-z]+)\s*=\s*"(?P<value>[^"]*)"')
_D = re.compile(r"<D>(.*?)</D>", re.S | re.I)
_TAG = re.compile(r"</?[A-Z]+\b[^>]*>")
_REF = re.compile(r"&(?:#(?P<dec>\d{1,7})|#[xX](?P<hex>[0-9a-fA-F]{1,6})|(?P<name>lt|gt|amp|quot|apos));")
# A line of a table: columns aligned with runs of spaces, or dot leaders.
_TABULAR = re.compile(r"\S {3,}\S|\.{4,}|\S\t+\S")
_MONTH = r"[A-Za-z]{3,9}(?:\s[a-z](?=\d))?\.?"
# Letters typed for digits ("2O", "l7") count only next to a digit or after a blank ("April l").
_DAY = r"(?:\d{1,3}|\d[lIO]|[lIO]\d|(?<=[\s,])[lIO])"
_DATE_PARTS = (
    re.compile(rf"^(?P<month>{_MONTH})\s*,?\s*(?P<day>{_DAY})$"),
    re.compile(rf"^(?P<day>{_DAY})\s+(?P<month>{_MONTH})$"),
    re.compile(rf"^(?P<month>{_MONTH})$"),
)
LABEL_FIELDS = ("PLACES", "PEOPLE", "ORGS", "EXCHANGES", "COMPANIES")


@dataclass(frozen=True, slots=True)
class ParsedDateline:
    """A <DATELINE> read: the dateline, the date it means, and body text it swallowed."""

    dateline: Dateline
    resolved: date | None = None  # the printed month and day, with the year of the story's stamp
    rest: str = ""  # text after the dateline dash that belongs to the body


@registry.register
class ReutersSGMLParser(Parser):
    """Reuters-21578 ``<REUTERS>`` elements (SGML, Distribution 1.0)."""

    name: ClassVar[str] = NAME
    content_types: ClassVar[tuple[str, ...]] = ("application/sgml", "text/sgml", "text/x-reuters21578")
    priority: ClassVar[int] = 30

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        return bool(_SNIFF.match(raw[:512]))

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        decoded = decode_text(raw, declared_charset(headers))
        elements = list(_elements(decoded.text, "REUTERS"))
        if not elements:
            if re.search(r"<REUTERS\b", decoded.text, re.I):
                raise ParseError("Reuters-21578: <REUTERS> element is not closed (truncated dispatch?)", format=NAME)
            raise ParseError("Reuters-21578: no <REUTERS> element", format=NAME)
        repaired = f"{decoded.encoding}, repaired" if decoded.repaired else None
        items: list[ParsedItem] = []
        empty: list[EmptyDispatchError] = []
        for element in elements:
            try:
                items.append(_story(*element, repaired))
            except EmptyDispatchError as exc:
                empty.append(exc)
        if not items:
            # Only stories without any text: the first one says why.
            raise empty[0]
        for skipped in empty:
            log.info("skipped an empty story of a multi-story dispatch: %s", skipped.reason)
        return items


# ----------------------------------------------------------------------------- one story


def _data() -> Mapping[str, Any]:
    return load_data("reuters21578")


def _refs(text: str) -> str:
    """SGML character references decoded (``&#3;`` -> ETX, ``&lt;`` -> "<"); raw "&" kept."""

    def one(found: re.Match[str]) -> str:
        if found["name"]:
            return html.unescape(found.group(0))
        number = int(found["dec"]) if found["dec"] else int(found["hex"], 16)
        if number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
            return ""
        return chr(number)

    return _REF.sub(one, text)


# compiled once (a module-level re call looks its pattern up, and ORs the flags, each time)
_UNKNOWN = re.compile(r"<UNKNOWN>(.*?)</UNKNOWN\s*>", re.S | re.I)
_MKNOTE = re.compile(r"<MKNOTE>(.*?)</MKNOTE>", re.S | re.I)
_LETTER = re.compile(r"[^\W\d_]")
_LETTER_HYPHEN_END = re.compile(r"[^\W\d_]-$")
# a stray character before the place ("0    LONDON, April 29 - ")
_STRAY_CHARACTER = re.compile(r"^\s*\S\s{3,}(?=\S)")
_TRAILING_DASH = re.compile(r"\s*[-–]+\s*$")
_SPACE_COMMA = re.compile(r"\s+,")


@cache
def _tag_patterns(tag: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The opening (its attributes in group 1) and the closing tag of an element, in any case."""
    return re.compile(rf"<{tag}\b([^>]*)>", re.I), re.compile(rf"</{tag}\s*>", re.I)


def _elements(text: str, tag: str) -> Iterator[tuple[str, str]]:
    """(attributes, content) of each ``<tag ...>content</tag>`` in ``text``, in order: what
    ``<tag\\b([^>]*)>(.*?)</tag\\s*>`` (case-insensitive, dot-all) finds, found as an opening
    tag, then the first closing tag after it. The lazy ``.*?`` tried the closing tag at
    every character of the content, a whole story's ``<BODY>`` (~8 us each): the closing
    tag's search skips to each "</". An opening without a closing after it ends the
    search: every later opening has less text after it."""
    opening, closing = _tag_patterns(tag)
    pos = 0
    while (found := opening.search(text, pos)) is not None:
        end = closing.search(text, found.end())
        if end is None:
            return
        yield found[1], text[found.end() : end.start()]
        pos = end.end()


def _field(inner: str, tag: str) -> str | None:
    return next((content for _, content in _elements(inner, tag)), None)


def _story(attrs_text: str, inner: str, repaired: str | None) -> ParsedItem:
    data = _data()
    attrs = {m["name"].upper(): m["value"] for m in _ATTR.finditer(attrs_text)}
    newid = attrs.get("NEWID", "").strip()
    if not newid:
        raise ParseError("Reuters-21578: <REUTERS> element without a NEWID attribute", format=NAME)
    extra: list[tuple[str, str]] = []
    for attr in ("OLDID", "LEWISSPLIT", "CGISPLIT", "TOPICS"):
        if attrs.get(attr):
            extra.append((f"{PREFIX}:{attr.lower()}", attrs[attr]))
    for label in LABEL_FIELDS:
        values = [collapse(_refs(v)) for v in _D.findall(_field(inner, label) or "")]
        if values:
            extra.append((f"{PREFIX}:{label.lower()}", ";".join(values)))
    topics = [collapse(_refs(v)) for v in _D.findall(_field(inner, "TOPICS") or "")]

    stamp = _date(_refs(_field(inner, "DATE") or ""), extra)
    unknown = "\n".join(_UNKNOWN.findall(inner))
    priority, keyword = _unknown(_refs(unknown), extra)

    text_element = next(_elements(inner, "TEXT"), None)
    text_attrs = {m["name"].upper(): m["value"] for m in _ATTR.finditer(text_element[0])} if text_element else {}
    kind = text_attrs.get("TYPE", "NORM").upper()
    extra.append((f"{PREFIX}:text_type", kind))
    text = text_element[1] if text_element else ""

    title = _field(text, "TITLE")
    author = _field(text, "AUTHOR")
    dateline_text = _field(text, "DATELINE")
    body_text = _field(text, "BODY")
    stamp_day = stamp.value.date() if stamp else None
    parsed = parse_dateline(_refs(dateline_text), stamp_day) if dateline_text is not None else None
    if parsed and parsed.rest and body_text is not None:
        # the DATELINE element swallowed the start of the body: give it back
        glue = "" if _LETTER_HYPHEN_END.search(parsed.rest) else " "
        body_text = parsed.rest + glue + body_text.lstrip()
    if body_text is None:
        # No <BODY> (UNPROC stories, some BRIEFs): the text outside the inner elements.
        rest = re.sub(r"<(TITLE|AUTHOR|DATELINE)\b[^>]*>.*?</\1\s*>", "", text, flags=re.S | re.I)
        body_text = _TAG.sub("", rest)
    headline = collapse(_refs(title)) if title else None
    body = _blocks(_refs(body_text))
    if body and compiled(data["placeholder_body"], 0).match("\n\n".join(b.text for b in body)):
        body = []  # BRIEF stories: "Blah blah blah." stands in for the missing body
    if not headline and not body:
        raise EmptyDispatchError(
            f'Reuters-21578 story NEWID={newid} has no text at all: its <TEXT TYPE="{kind}"> holds '
            "no title and no body",
            format=NAME,
        )

    byline = None
    if author:
        found = compiled(data["author"]).match(collapse(_refs(author)))
        byline = found["by"].strip() if found else collapse(_refs(author))
    dateline = None
    if parsed is not None:
        dateline = parsed.dateline
        if parsed.resolved:
            extra.append((f"{PREFIX}:dateline_date", parsed.resolved.isoformat()))
    for note in _MKNOTE.findall(inner):
        extra.append((f"{PREFIX}:mknote", collapse(_refs(note))))
    if repaired:
        extra.append((f"{PREFIX}:decoded", repaired))

    return ParsedItem(
        format=NAME,
        guid=str(data["guid"]).format(newid=newid),
        agency=str(data["agency"]),
        language=str(data["language"]),
        headline=headline,
        body=tuple(body),
        byline=byline,
        dateline=dateline,
        first_created=stamp,
        version_created=stamp,
        urgency=anpa_urgency(priority),
        slugline=_slug(keyword),
        subjects=tuple(Subject(code=t, scheme=f"{PREFIX}:topics") for t in topics),
        extra=tuple(extra),
    )


def _date(text: str, extra: list[tuple[str, str]]) -> When | None:
    """<DATE> in US Eastern time (the corpus' zone); a garbled time keeps the day."""
    data = _data()
    found = compiled(data["date"]).match(text)
    original = collapse(text)
    if not found:
        if original:
            extra.append((f"{PREFIX}:date", original))
        return None
    suffix = collapse(text[found.end() :])
    if suffix:
        extra.append((f"{PREFIX}:date_note", suffix))
    month = month_number(found["month"])
    if month is None:
        return None
    zone_name = str(data["timezone"])
    zone = ZoneInfo(zone_name)
    printed = collapse(found.group(0))
    try:
        day = date(int(found["year"]), month, int(found["day"]))
    except ValueError:
        return None
    hour, minute, second = int(found["hour"]), int(found["minute"]), int(found["second"])
    if hour > 23 or minute > 59 or second > 59:
        # "31-MAR-1987 605:12:19.12": the day is sure, the time is not.
        return When(datetime(day.year, day.month, day.day, tzinfo=zone), "day", zone_name, printed)
    fraction = (found["fraction"] or "").ljust(6, "0")[:6]
    value = datetime(day.year, day.month, day.day, hour, minute, second, int(fraction or 0), tzinfo=zone)
    return When(value, "second", zone_name, printed)


def _unknown(text: str, extra: list[tuple[str, str]]) -> tuple[str | None, str | None]:
    """The teletype header kept in <UNKNOWN>: routing codes, ANPA lines -> (priority, keyword)."""
    routing = re.search(r"\x05+(?P<codes>[^\n\x16\x01]*)", text)
    if routing and collapse(routing["codes"]):
        extra.append((f"{PREFIX}:routing", collapse(routing["codes"])))
    start = min((i for i in (text.find("\x16"), text.find("\x01")) if i >= 0), default=-1)
    if start < 0:
        return None, None
    heading = parse_anpa_heading(text[start:])
    if heading is None:
        return None, None
    extra.extend(heading.extra(f"{PREFIX}:anpa"))
    if heading.category:
        extra.append((f"{PREFIX}:anpa:category", heading.category))
    return heading.priority, heading.keyword


def _slug(keyword: str | None) -> str | None:
    """The slug of an ANPA keyword: "BC-BAHIA-COCOA-REVIEW" -> "BAHIA-COCOA-REVIEW"."""
    if not keyword:
        return None
    found = compiled(load_data("anpa1312")["format"]["keyword"], 0).match(keyword)
    slug = (found["slug"] if found else keyword).strip("*- ")
    return slug or None


def _lines(text: str) -> list[str]:
    """Body lines: controls out, typed "^M" noise and the sign-off off the end."""
    data = _data()
    noise = compiled(data["noise"])
    lines = [noise.sub("", strip_controls(line)).rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    signoff = compiled(data["signoff"])
    while lines:  # some stories are signed twice ("REUTER" then " Reuter")
        last = signoff.sub("", lines[-1]).rstrip()
        if last == lines[-1]:
            break
        lines[-1] = last
        while lines and not lines[-1].strip():
            lines.pop()
    return lines


def _blocks(text: str) -> list[Block]:
    """Paragraphs (a line indented 4+ spaces starts one) and tables ("pre", spacing kept)."""
    lines = _lines(text)
    # a line without 3 spaces, 4 dots or a tab in a row cannot be tabular (no regex call)
    tabular = [
        ("   " in line or "...." in line or "\t" in line) and bool(_TABULAR.search(line.strip())) for line in lines
    ]
    # A table is 2+ consecutive tabular lines; an untabular line between two of them
    # ("Baltimore/" wrapping a row label) belongs to the table too.
    in_table = [False] * len(lines)
    i = 0
    while i < len(lines):
        if not tabular[i]:
            i += 1
            continue
        j = i
        while (
            j + 1 < len(lines)
            and lines[j + 1].strip()
            and (tabular[j + 1] or (j + 2 < len(lines) and tabular[j + 2] and lines[j + 1].startswith(" ")))
        ):
            j += 1
        if j > i:
            for k in range(i, j + 1):
                in_table[k] = True
        i = j + 1

    blocks: list[Block] = []
    prose: list[str] = []
    table: list[str] = []

    def flush_prose() -> None:
        if prose:
            blocks.append(Block(collapse(" ".join(prose))))
            prose.clear()

    def flush_table() -> None:
        if table:
            blocks.append(Block("\n".join(table), "pre"))
            table.clear()

    for line, is_table in zip(lines, in_table, strict=True):
        if not line.strip():
            flush_prose()
            flush_table()
            continue
        if is_table:
            flush_prose()
            table.append(line.rstrip())
            continue
        flush_table()
        if line.startswith("    ") or line.startswith("\t"):
            flush_prose()
        prose.append(line.strip())
    flush_prose()
    flush_table()
    # "******" alone is the flash marker of a BRIEF, not text
    return [b for b in blocks if b.text.strip(" *\n")]


# ----------------------------------------------------------------------------- datelines


def _known_place(name: str) -> bool:
    """Whether the place gazetteer knows ``name`` (any language, folded): the keys of its
    names alone (``gazetteer.names``), as the dateline grammar reads them."""
    from pipeline.enrich import gazetteer
    from pipeline.enrich.phrases import phrase_key

    return phrase_key(name) in gazetteer.names()


@cache
def _pattern(key: str) -> re.Pattern[str]:
    template = str(_data()[key])
    return compiled(template.replace("{month}", _MONTH).replace("{day}", _DAY))


def _date_of(text: str, reference: date | None) -> tuple[bool, date | None]:
    """(is a date, resolved date) for a printed dateline date ("Feb 26", "2 March", "Narch 2")."""
    for rx in _DATE_PARTS:
        found = rx.match(text.strip())
        if not found:
            continue
        month = month_number(found["month"].replace(" ", "").rstrip("."))
        if month is None:
            return False, None
        token = found.groupdict().get("day") or ""
        if not token or reference is None:
            return True, None
        day = day_number(token)
        if day is not None:
            return True, nearest_date(month, day, reference)
        return True, _repair_day(month, token, reference)
    return False, None


def _repair_day(month: int, token: str, reference: date) -> date | None:
    """A three-digit day ("March 119", "June 219") read as the two-digit day it can be.

    Deleting one digit gives the candidates; the one closest to the story's stamp wins
    (ties: the earlier day), as a dateline names the day the story was filed.
    """
    if not (len(token) == 3 and token.isdigit()):
        return None
    candidates = set()
    for cut in range(3):
        day = day_number(token[:cut] + token[cut + 1 :])
        if day is not None:
            found = nearest_date(month, day, reference)
            if found is not None:
                candidates.add(found)
    return min(candidates, key=lambda d: (abs((reference - d).days), d), default=None)


def parse_dateline(text: str, reference: date | None) -> ParsedDateline:
    """A <DATELINE> as printed -> place, date text (and the date it means), agency.

    ``reference`` is the story's stamp date, which gives the year.
    """
    raw = collapse(strip_controls(text))
    # a stray character before the place ("0    LONDON, April 29 - ") is line noise
    cleaned = collapse(_STRAY_CHARACTER.sub("", strip_controls(text)))
    prefix = _pattern("dateline_prefix").match(cleaned)
    if prefix and _LETTER.search(prefix["rest"]):
        head = parse_dateline(prefix["head"], reference)
        if head.dateline.place and head.dateline.date_text:
            read = head.dateline
            return ParsedDateline(
                Dateline(raw=raw, place=read.place, agency=read.agency, date_text=read.date_text),
                head.resolved,
                prefix["rest"],
            )
    core = _TRAILING_DASH.sub("", cleaned).strip()
    dateline = Dateline(raw=raw)
    if not core:
        return ParsedDateline(dateline)
    for key in ("dateline_date_only", "dateline_place_date", "dateline_place_month"):
        found = _pattern(key).match(core)
        if not found:
            continue
        is_date, resolved = _date_of(found["date"], reference)
        if not is_date:
            continue
        groups = found.groupdict()
        place = _SPACE_COMMA.sub(",", groups.get("place") or "").strip(" ,-") or None  # "ATLANTA , Ga."
        agency = groups.get("agency")
        return ParsedDateline(Dateline(raw=raw, place=place, agency=agency, date_text=found["date"].strip()), resolved)
    found = _pattern("dateline_place_only").match(core)
    if found:
        place = _SPACE_COMMA.sub(",", found["place"]).strip(" ,-")
        if "--" not in found["place"] and ("," in place or (len(place) > 2 and _known_place(place))):
            return ParsedDateline(Dateline(raw=raw, place=place))
    return ParsedDateline(dateline)
