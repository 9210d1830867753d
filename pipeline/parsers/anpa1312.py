"""ANPA-1312 dispatches (AP's classic wire format), with AP's conventions as data.

The frame (see ``pipeline/parsers/data/anpa1312.toml`` for every code):

    SYN SYN SOH "W2870" US "asian"                          message number, selector
    "f l" DC3 DC1 " BC-LT--Argentina-CancerB  11-13 1049"   priority, category, format,
                                                            keyword, date, word count
    STX "^BC-LT--Argentina-Cancer Beauty,466<"              keyword line
        "^headline<" "^AP Photo ...<" "^Eds: ...<" "^By ...=" "^Associated Press="
        TAB "   BUENOS AIRES, Argentina (AP) _ text..."     one body paragraph per line
        BS "^;W;L;Pct<"                                     agate (tabular) rows
    ETX "AP-WF-11-13-13 1509GMT<"  FF EOT                   time stamp

Flush-left lines before the first body line are the header (headline, abstract, photo
and editor's notes, byline); after it they are subheadings. Agate rows (BS lines, or
body lines of ";"-separated cells) become "pre" blocks with tab-separated cells.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers._iptc import with_mediatopics
from pipeline.parsers._teletype import (
    AnpaHeading,
    agency_header,
    anpa_category_name,
    anpa_urgency,
    apply_codes,
    collapse,
    compiled,
    decode_wire,
    first_match,
    load_data,
    parse_anpa_heading,
)
from pipeline.parsers.base import Parser, declared_charset, registry
from pipeline.records import Block, Dateline, Headers, ParsedItem, Subject, When

log = logging.getLogger(__name__)

NAME = "anpa1312"
STX, ETX, EOT = "\x02", "\x03", "\x04"
TAB, LEDGE, TLI = "\t", "^", "\x08"
_SNIFF = re.compile(rb"\A[\r\n ]*\x16*\x01[A-Za-z]?\d{4}\x1f")
# "^*9006< ^AP-Top-..." : several flush-left segments on one line
_SEGMENTS = re.compile(r"<\s*\^")
# Quadding codes at the end of a line: "<" flush left, "=" centred (with stray blanks).
_LINE_END = " <=\r\t"
_CELL_PADDING = re.compile(r"[\x1e\x1f][\x1e\x1f ]*")
IPTC_SUBJECTCODE = "http://cv.iptc.org/newscodes/subjectcode/"


@dataclass
class _Header:
    """What the flush-left header lines said."""

    keyword: str | None = None
    take: str | None = None
    words: str | None = None
    headline: str | None = None
    summary: list[str] = field(default_factory=list)
    ed_note: list[str] = field(default_factory=list)
    byline: str | None = None
    headings: list[str] = field(default_factory=list)  # flush-left lines after the byline
    extra: list[tuple[str, str]] = field(default_factory=list)


@registry.register
class ANPA1312Parser(Parser):
    """ANPA-1312 (SYN SYN SOH framing); agency conventions from ``data/anpa1312.toml``."""

    name: ClassVar[str] = NAME
    content_types: ClassVar[tuple[str, ...]] = ("application/octet-stream", "text/plain", "text/x-anpa")
    priority: ClassVar[int] = 10

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        return bool(_SNIFF.match(raw[:64]))

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        decoded = decode_wire(raw, declared_charset(headers) or "latin-1")
        text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
        heading = parse_anpa_heading(text)
        if heading is None:
            raise ParseError("ANPA-1312: no header line (SYN SYN SOH, message number, US, selector)", format=NAME)
        stx = text.find(STX)
        if stx < 0:
            raise ParseError("ANPA-1312: no STX (start of text) byte after the header lines", format=NAME)
        etx = text.find(ETX, stx)
        zone = text[stx + 1 : etx if etx >= 0 else len(text)]
        trailer = ""
        if etx >= 0:
            eot = text.find(EOT, etx)
            trailer = collapse(text[etx + 1 : eot if eot >= 0 else len(text)].split("\n", 1)[0].rstrip(_LINE_END))

        fmt = load_data("anpa1312")["format"]
        agency, table, words = _profile(text, headers)
        zone = apply_codes(zone, fmt["text_codes"])
        lines = zone.split("\n")
        start = next((i for i, line in enumerate(lines) if line and not line.startswith(LEDGE)), len(lines))
        header = _read_header(lines[:start], words)
        blocks = [Block(h, "h") for h in header.headings] + _body(lines[start:])

        prose: Mapping[str, str] = fmt["prose_codes"]
        dateline: Dateline | None = None
        dateline_rx = compiled(str(words["dateline"]), 0) if words.get("dateline") else None
        first_p = next((i for i, b in enumerate(blocks) if b.kind == "p"), None)
        if dateline_rx and first_p is not None:
            found = dateline_rx.match(blocks[first_p].text)
            if found:
                dateline = Dateline(raw=found.group(0).strip(), place=found["place"].strip(), agency=found["agency"])
                rest = blocks[first_p].text[found.end() :].strip()
                blocks[first_p] = Block(rest, "p")
        blocks = [Block(apply_codes(b.text, prose) if b.kind != "pre" else b.text, b.kind) for b in blocks if b.text]

        headline = apply_codes(header.headline, prose) if header.headline else None
        summary = [apply_codes(s, prose) for s in header.summary]
        if not any(b.kind != "h" for b in blocks) and summary:
            # A list (top headlines) with no body lines: its flush-left lines are the body.
            blocks += [Block(s) for s in summary]
            summary = []
        if not headline and blocks:
            # Alerts carry no headline line: the alert sentence is the headline.
            headline = next((b.text for b in blocks if b.kind == "p"), None)
        if not headline and not blocks:
            raise EmptyDispatchError("ANPA-1312 dispatch holds no text between STX and ETX", format=NAME)

        extra = heading.extra(NAME) + header.extra
        if header.keyword:
            extra.append((f"{NAME}:keyword_line", header.keyword))
        if header.take:
            extra.append((f"{NAME}:take", header.take))
        kind = _format_kind(heading, fmt)
        if kind:
            extra.append((f"{NAME}:format", kind))
        if decoded.repaired:
            extra.append((f"{NAME}:decoded", f"{decoded.encoding}, repaired"))
        stamp = _trailer_time(trailer, fmt, extra)

        keyword = header.keyword or heading.keyword or ""
        parts = compiled(fmt["keyword"], 0).match(keyword)
        slug = parts["slug"].strip() if parts else (keyword or None)
        subjects: list[Subject] = []
        if heading.category:
            subjects.append(
                Subject(name=anpa_category_name(heading.category), code=heading.category, scheme=f"{NAME}:category")
            )
        desk = parts["desk"] if parts else None
        code = table.get("desk_subjects", {}).get(desk.upper()) if desk else None
        if code:
            subjects.append(Subject(code=str(code), scheme="iptc:subjectcode", uri=IPTC_SUBJECTCODE + str(code)))

        item = ParsedItem(
            format=NAME,
            agency=agency,
            language=words.get("_language"),
            headline=headline,
            summary=" ".join(summary) or None,
            body=tuple(blocks),
            byline=header.byline,
            dateline=dateline,
            version_created=stamp,
            urgency=anpa_urgency(heading.priority),
            slugline=slug,
            ed_note=apply_codes("\n".join(header.ed_note), prose) or None,
            subjects=with_mediatopics(subjects),
            extra=tuple(extra),
        )
        return [item]


# ----------------------------------------------------------------------------- steps


def _profile(text: str, headers: Headers) -> tuple[str | None, Mapping[str, Any], dict[str, Any]]:
    """(agency id, agency table, language words) for this dispatch."""
    agencies: Mapping[str, Any] = load_data("anpa1312").get("agencies", {})
    wanted = agency_header(headers)
    chosen: str | None = wanted if wanted in agencies else None
    if chosen is None:
        chosen = next((a for a, t in agencies.items() if first_match(t.get("signatures", ()), text)), None)
    if chosen is None:
        return wanted, {}, {}
    table = agencies[chosen]
    languages: Mapping[str, Any] = table.get("languages", {})
    code, words = next(iter(languages.items()), (None, {}))
    return chosen, table, {**words, "_language": code}


def _segments(line: str) -> list[str]:
    """The flush-left segments of a "^" line, without the caret and the quadding codes."""
    out = []
    for segment in _SEGMENTS.split(line):
        segment = segment.lstrip().lstrip(LEDGE).rstrip(_LINE_END)
        if segment.strip():
            out.append(collapse(segment))
    return out


def _read_header(lines: list[str], words: Mapping[str, Any]) -> _Header:
    """Classify the flush-left lines before the first body line."""
    fmt = load_data("anpa1312")["format"]
    header = _Header()
    rx = {
        key: compiled(str(words[key]))
        for key in ("photo", "eds", "editors_note", "byline", "byline_title")
        if words.get(key)
    }
    after_byline = False
    for line in lines:
        for segment in _segments(line):
            if compiled(fmt["routing_code"]).match(segment):
                header.extra.append((f"{NAME}:routing", segment))
                continue
            if header.keyword is None and not header.headline:
                found = compiled(fmt["keyword_line"], 0).match(segment)
                if found:
                    header.keyword = found["keyword"].strip()
                    header.take = (found["version"] or "").strip() or None
                    header.words = found["words"]
                    continue
            if "photo" in rx and rx["photo"].match(segment):
                header.extra.append((f"{NAME}:photo", segment))
                continue
            note = next((m for m in (rx[k].match(segment) for k in ("editors_note", "eds") if k in rx) if m), None)
            if note:
                header.ed_note.append(note["note"].strip())
                continue
            if "byline" in rx and (found := rx["byline"].match(segment)):
                header.byline = found["by"].strip()
                after_byline = True
                continue
            if after_byline and "byline_title" in rx and rx["byline_title"].match(segment):
                header.extra.append((f"{NAME}:byline_title", segment))
                continue
            if after_byline:
                header.headings.append(segment)
            elif header.headline is None:
                header.headline = segment
            else:
                header.summary.append(segment)
    return header


def _row(content: str) -> str:
    """An agate row as tab-separated cells ("Boston;24;14" or RS/US-padded columns)."""
    if ";" in content:
        return "\t".join(cell.strip() for cell in content.split(";")).rstrip()
    if "\x1e" in content or "\x1f" in content:
        return "\t".join(cell.strip() for cell in _CELL_PADDING.split(content)).rstrip()
    return content.rstrip()


def _body(lines: list[str]) -> list[Block]:
    """Body blocks: one paragraph per indented line, agate rows grouped into "pre" blocks."""
    fmt = load_data("anpa1312")["format"]
    end_rx = compiled(fmt["end_marker"])
    separator_rx = compiled(fmt["separator"])
    blocks: list[Block] = []
    rows: list[str] = []

    def flush() -> None:
        if rows:
            blocks.append(Block("\n".join(rows), "pre"))
            rows.clear()

    continues = False  # the previous line was text a bare continuation line may extend
    for line in lines:
        if line.startswith(TLI):
            rows.append(_row(line[1:].lstrip(LEDGE).rstrip(_LINE_END)))
            continues = False
            continue
        if line.startswith(LEDGE):
            flush()
            for segment in _segments(line):
                if not end_rx.match(segment) and not compiled(fmt["routing_code"]).match(segment):
                    blocks.append(Block(segment, "h"))
            continues = False
            continue
        content = line[1:] if line.startswith(TAB) else line
        stripped = content.strip().rstrip(_LINE_END).strip()
        if not stripped or separator_rx.match(stripped):
            flush()
            continues = False
            continue
        if stripped.count(";") >= 2:
            rows.append(_row(stripped))
            continues = False
            continue
        flush()
        if not line.startswith(TAB) and continues and blocks and blocks[-1].kind == "p":
            blocks[-1] = Block(collapse(f"{blocks[-1].text} {stripped}"), "p")
        else:
            blocks.append(Block(collapse(stripped), "p"))
        continues = True
    flush()
    return blocks


def _format_kind(heading: AnpaHeading, fmt: Mapping[str, Any]) -> str | None:
    codes: Mapping[str, str] = fmt["codes"]
    kinds = [codes[c] for c in heading.codes if c in codes]
    return "tabular" if "tabular" in kinds else (kinds[0] if kinds else None)


def _trailer_time(trailer: str, fmt: Mapping[str, Any], extra: list[tuple[str, str]]) -> When | None:
    """The time stamp after ETX ("AP-WF-11-13-13 1509GMT") as a When."""
    if not trailer:
        return None
    extra.append((f"{NAME}:transmitted", trailer))
    found = compiled(fmt["trailer"], 0).search(trailer)
    if not found:
        return None
    year = int(found["year"])
    year += 2000 if year < 69 else 1900  # POSIX %y pivot
    try:
        value = datetime(
            year, int(found["month"]), int(found["day"]), int(found["hour"]), int(found["minute"]), tzinfo=UTC
        )
    except ValueError:
        log.debug("ANPA time stamp out of range: %r", trailer)
        return None
    zone = "" if found["zone"] else str(fmt.get("trailer_zone", "UTC"))
    return When(value=value, precision="second", zone=zone, original=found.group(0))
