"""IPTC 7901 teletype dispatches (SOH/STX/ETX/EOT framing), with the dpa variant as data.

IPTC 7901 is the frame agencies used on leased lines before XML, and dpa's English
service still sends it:

    SOH heading line (service+number, priority, category, word count, optional fields) CRLF
    keyword lines ("Germany-football/Munich/Mueller/")
    STX header block (flags, headline, byline, ending with " =") and the text
    ETX post-text time stamp ("131137 GMT Nov 13", no year)  EOT

On top of the frame, dpa appends a notebook ("# Notebook", "## Note to editors",
"## Internet links") and an editors-only part after "The following information is not
(intended) for publication" (contacts: "Reporting by:", "Editing by:"). Those become
``ed_note``, ``contributors`` and ``extra`` here, never body text. The wording of each
marker is data (``pipeline/parsers/data/iptc7901.toml``), per agency and language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, ClassVar

from pipeline.errors import EmptyDispatchError, ParseError
from pipeline.parsers._dates import zone_info
from pipeline.parsers._teletype import (
    agency_header,
    collapse,
    compiled,
    decode_wire,
    load_data,
    month_number,
    nearest_date,
    received_at,
    split_names,
)
from pipeline.parsers.base import Parser, declared_charset, registry
from pipeline.records import Block, Dateline, Headers, ParsedItem, Party, Subject, When

log = logging.getLogger(__name__)

NAME = "iptc7901"
SOH, STX, ETX, EOT = "\x01", "\x02", "\x03", "\x04"
_SNIFF = re.compile(rb"\A[\r\n\x16 ]*\x01[A-Za-z]*\d+[ \t]+\d[ \t]+[A-Za-z]{1,3}[ \t]+\d+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # BEL padding of flashes, DEL fill
_MARKDOWN_LINK = re.compile(r"\[(?P<label>[^\]]*)\]\((?P<url>[^)\s]+)\)")


@dataclass
class _Profile:
    """The agency's conventions (data) resolved for one dispatch."""

    agency: str | None
    table: Mapping[str, Any]
    language: str | None = None
    words: Mapping[str, Any] = field(default_factory=dict)

    def pattern(self, key: str, *, case: bool = False) -> re.Pattern[str] | None:
        value = self.words.get(key, self.table.get(key))
        if not value:
            return None
        return compiled(str(value), 0 if case else re.IGNORECASE)


@dataclass
class _Tail:
    """What the notebook and the editors-only part hold."""

    ed_note: list[str] = field(default_factory=list)
    contributors: list[Party] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@registry.register
class IPTC7901Parser(Parser):
    """IPTC 7901 framed text; agency variants (dpa) from ``data/iptc7901.toml``."""

    name: ClassVar[str] = NAME
    content_types: ClassVar[tuple[str, ...]] = ("text/plain", "application/octet-stream", "text/x-iptc7901")
    priority: ClassVar[int] = 20

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        # SOH, then the heading layout (number, priority digit, category, word count), and
        # an STX somewhere after it; ANPA's SOH is followed by "<letter><4 digits><US>".
        head = raw[:4096]
        return bool(_SNIFF.match(head)) and b"\x02" in head and b"\x1f" not in head[:16]

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        decoded = decode_wire(raw, declared_charset(headers) or "latin-1")
        text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
        soh = text.find(SOH)
        if soh < 0:
            raise ParseError("IPTC 7901: no SOH (start of heading) byte", format=NAME)
        stx = text.find(STX, soh)
        if stx < 0:
            raise ParseError("IPTC 7901: no STX (start of text) byte after the heading", format=NAME)
        etx = text.find(ETX, stx)
        end = etx if etx >= 0 else len(text)
        eot = text.find(EOT, end)
        trailer = text[end + 1 : eot if eot >= 0 else len(text)] if etx >= 0 else ""

        fmt = load_data("iptc7901")["format"]
        heading_lines = [line.strip() for line in text[soh + 1 : stx].split("\n")]
        heading = compiled(fmt["heading"], 0).match(heading_lines[0]) if heading_lines else None
        keywords_lines = [line for line in heading_lines[1:] if line]
        extra: list[tuple[str, str]] = [("iptc7901:heading", heading_lines[0] if heading_lines else "")]
        if not heading:
            log.debug("IPTC 7901 heading line not in the standard layout: %r", heading_lines[:1])

        profile = _profile(heading["optional"] if heading else "", headers)
        body_lines = [line.rstrip().replace("\x7f", "") for line in text[stx + 1 : end].split("\n")]
        profile = _with_language(profile, body_lines)

        header, rest = _header_block(body_lines, profile)
        flags, headline, byline, notes = _read_header(header, profile)
        paragraphs, tail_lines = _paragraphs(rest, profile)
        tail = _read_tail(tail_lines, profile)

        dateline: Dateline | None = None
        summary: str | None = None
        dateline_rx = profile.pattern("dateline")
        if (
            dateline_rx
            and profile.table.get("teaser_before_dateline")
            and len(paragraphs) > 1
            and not dateline_rx.match(paragraphs[0])
            and dateline_rx.match(paragraphs[1])
        ):
            summary = paragraphs.pop(0)
        if paragraphs and dateline_rx:
            found = dateline_rx.match(paragraphs[0])
            if found:
                dateline = Dateline(
                    raw=found.group(0).strip(), place=found["place"].strip(), agency=found["agency"].strip()
                )
                paragraphs[0] = paragraphs[0][found.end() :].strip()
                paragraphs = [p for p in paragraphs if p]

        body = tuple(Block(p) for p in paragraphs)
        if not headline and not body:
            raise EmptyDispatchError("IPTC 7901 dispatch holds no text between STX and ETX", format=NAME)

        urgency: int | None = None
        subjects: tuple[Subject, ...] = ()
        if heading:
            extra += [
                ("iptc7901:service", heading["service"]),
                ("iptc7901:number", heading["number"]),
                ("iptc7901:word_count", heading["words"]),
            ]
            if heading["optional"]:
                extra.append(("iptc7901:optional", heading["optional"]))
            level = fmt["priorities"].get(heading["priority"])
            urgency = int(level) if level is not None else None
            subjects = (Subject(code=heading["category"], scheme="iptc7901:category"),)
        for flag in tail.flags:  # "## Refile" repeats the "REFILE" flag of the header
            if flag.casefold() not in {f.casefold() for f in flags}:
                flags.append(flag)
        if flags:
            extra.append(("iptc7901:flags", "; ".join(flags)))
        extra += [("iptc7901:note", note) for note in notes]
        extra += tail.extra
        if decoded.repaired:
            extra.append(("iptc7901:decoded", f"{decoded.encoding}, repaired"))

        stamp = _trailer_time(trailer, profile, headers, extra)
        slug = "/".join(part.strip("/ ") for part in keywords_lines).strip("/")
        keywords = tuple(k.strip() for k in slug.split("/") if k.strip()) if slug else ()
        item = ParsedItem(
            format=NAME,
            agency=profile.agency,
            language=profile.language,
            headline=headline or None,
            summary=summary,
            body=body,
            byline=byline,
            dateline=dateline,
            version_created=stamp,
            urgency=urgency,
            slugline=slug or None,
            ed_note="\n".join([*notes, *tail.ed_note]) or None,
            keywords=keywords,
            subjects=subjects,
            contributors=tuple(tail.contributors),
            extra=tuple(extra),
        )
        return [item]


# ----------------------------------------------------------------------------- steps


def _profile(optional: str, headers: Headers) -> _Profile:
    """The agency whose conventions apply: ``wf_agency`` header, else the heading's source."""
    data = load_data("iptc7901")
    agencies: Mapping[str, Any] = data.get("agencies", {})
    wanted = agency_header(headers)
    if wanted and wanted in agencies:
        return _Profile(wanted, agencies[wanted])
    for agency_id, table in agencies.items():
        rx = compiled(str(table.get("sources", "")) or r"(?!)")
        if any(rx.match(token) for token in optional.split()):
            return _Profile(agency_id, table)
    return _Profile(wanted, data.get("generic", {}))


def _with_language(profile: _Profile, lines: list[str]) -> _Profile:
    """Pick the language table whose markers the text uses; the language is set only then."""
    languages: Mapping[str, Any] = profile.table.get("languages", {})
    best, best_score = None, 0
    for code, words in languages.items():
        score = 0
        for key in ("byline", "notebook", "not_for_publication"):
            rx = compiled(str(words[key])) if words.get(key) else None
            if rx and any(rx.match(line.strip()) for line in lines):
                score += 1
        if score > best_score:
            best, best_score = code, score
    if best is None:
        # No marker seen: use the agency's first table for structure, claim no language.
        first = next(iter(languages.items()), None)
        return _Profile(profile.agency, profile.table, None, first[1] if first else {})
    return _Profile(profile.agency, profile.table, best, languages[best])


def _header_block(lines: list[str], profile: _Profile) -> tuple[list[str], list[str]]:
    """The header block (flags, headline, byline) and the lines after it."""
    end_rx = profile.pattern("headline_end")
    if end_rx:
        for index, line in enumerate(lines[:12]):
            if end_rx.search(line):
                return lines[: index + 1], lines[index + 1 :]
    # No terminator: the first non-empty line is the headline.
    for index, line in enumerate(lines):
        if line.strip():
            return [line], lines[index + 1 :]
    return [], lines


def _read_header(header: list[str], profile: _Profile) -> tuple[list[str], str, str | None, list[str]]:
    """(flags, headline, byline, notes) from the header block lines."""
    end_rx = profile.pattern("headline_end")
    lines = [_CONTROL.sub("", line).strip() for line in header]
    lines = [line for line in lines if line]
    if lines and end_rx:
        lines[-1] = end_rx.sub("", lines[-1]).strip()
    lines, notes = _header_notes(lines, profile)
    byline: str | None = None
    byline_rx = profile.pattern("byline")
    if lines and byline_rx:
        found = byline_rx.match(lines[-1])
        if found and len(lines) > 1:
            byline = found["by"].strip()
            lines = lines[:-1]
    flags: list[str] = []
    flag_rx = profile.pattern("flags", case=True)
    while flag_rx and len(lines) > 1 and flag_rx.match(lines[0]):
        flags.append(lines.pop(0))
    return flags, collapse(" ".join(lines)), byline, notes


def _header_notes(lines: list[str], profile: _Profile) -> tuple[list[str], list[str]]:
    """The header lines without the notes to editors the agency puts there (``header_notes``:
    a note may run over several lines, as a parenthesis opened on one and closed on another)."""
    notes_rx = profile.pattern("header_notes")
    if notes_rx is None:
        return lines, []
    kept: list[str] = []
    notes: list[str] = []
    index = 0
    while index < len(lines):
        group, depth = [lines[index]], lines[index].count("(") - lines[index].count(")")
        end = index
        while depth > 0 and end + 1 < len(lines):
            end += 1
            group.append(lines[end])
            depth += lines[end].count("(") - lines[end].count(")")
        # the BEL padding of a flash leaves a space before the closing parenthesis
        text = re.sub(r"\(\s+|\s+\)", lambda m: m.group(0).strip(), collapse(" ".join(group)))
        if len(group) < len(lines) and notes_rx.match(text):
            notes.append(text)
            index = end + 1
            continue
        kept.append(lines[index])
        index += 1
    return (kept, notes) if kept else (lines, [])


def _paragraphs(lines: list[str], profile: _Profile) -> tuple[list[str], list[str]]:
    """Body paragraphs (wrapped lines joined) and the lines of the notebook tail."""
    stops = [
        rx for rx in (profile.pattern(k) for k in ("notebook", "separator", "not_for_publication", "initials")) if rx
    ]
    paragraphs: list[str] = []
    current: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if any(rx.match(stripped) for rx in stops):
            if current:
                paragraphs.append(collapse(" ".join(current)))
            return paragraphs, lines[index:]
        if not stripped:
            if current:
                paragraphs.append(collapse(" ".join(current)))
                current = []
            continue
        current.append(stripped)
    if current:
        paragraphs.append(collapse(" ".join(current)))
    return paragraphs, []


def _read_tail(lines: list[str], profile: _Profile) -> _Tail:
    """Notebook sections and the editors-only part -> ed_note, contributors, links, flags."""
    tail = _Tail()
    sections: Mapping[str, str] = profile.words.get("sections", {})
    roles: Mapping[str, str] = profile.words.get("contributors", {})
    notebook_rx = profile.pattern("notebook")
    separator_rx = profile.pattern("separator")
    nfp_rx = profile.pattern("not_for_publication")
    initials_rx = profile.pattern("initials")
    kind: str | None = None
    editors_only = False
    entries: list[tuple[str | None, bool, str]] = []  # (section kind, editors only, text)
    for line in lines:
        stripped = line.strip()
        if (
            not stripped
            or (notebook_rx and notebook_rx.match(stripped))
            or (separator_rx and separator_rx.match(stripped))
        ):
            continue
        if nfp_rx and nfp_rx.match(stripped):
            editors_only, kind = True, "contacts"
            continue
        if initials_rx and initials_rx.match(stripped):
            tail.extra.append(("iptc7901:initials", stripped.split(None, 1)[1] if " " in stripped else stripped))
            continue
        heading = re.match(r"^#{2,}\s*(?P<name>.+?)\s*$", stripped)
        if heading:
            kind = sections.get(heading["name"].lower(), "ed_note" if editors_only else "other")
            if kind == "flag":
                tail.flags.append(heading["name"])
            continue
        if line[:1].isspace() and entries and not stripped.startswith("-"):
            # a wrapped bullet ("  and Helen Corbett in New York")
            section, only, text = entries[-1]
            entries[-1] = (section, only, f"{text} {stripped}")
            continue
        entries.append((kind, editors_only, stripped[1:].strip() if stripped.startswith("-") else stripped))

    for section, _only, text in entries:
        text = collapse(text)
        if section == "links":
            for found in _MARKDOWN_LINK.finditer(text):
                tail.extra.append(("iptc7901:link", f"{found['label']} <{found['url']}>"))
            if not _MARKDOWN_LINK.search(text):
                tail.extra.append(("iptc7901:link", text))
            continue
        if section == "contacts":
            label, _, value = text.partition(":")
            role = roles.get(label.strip().lower())
            if role and value.strip():
                tail.contributors += [Party(name, role) for name in split_names(value)]
        tail.ed_note.append(text)
    return tail


def _trailer_time(trailer: str, profile: _Profile, headers: Headers, extra: list[tuple[str, str]]) -> When | None:
    """The post-text date-time group as a When (its year from the stamp, else from reception)."""
    text = collapse(trailer.replace("\x7f", " "))
    if not text:
        return None
    extra.append(("iptc7901:transmitted", text))
    found = compiled(load_data("iptc7901")["format"]["trailer"]).match(text)
    if not found:
        return None
    month = month_number(found["month"])
    if month is None:
        return None
    day_number, hour, minute = int(found["day"]), int(found["hour"]), int(found["minute"])
    if hour > 23 or minute > 59:
        return None
    # A printed zone is UTC; otherwise the agency's (or its service language's) documented one.
    zone_name = str(profile.words.get("trailer_zone") or profile.table.get("trailer_zone", "UTC"))
    zone: tzinfo = UTC if found["zone"] else zone_info(zone_name)
    if found["year"]:
        year = int(found["year"])
        year += (2000 if year < 70 else 1900) if year < 100 else 0
        try:
            day = date(year, month, day_number)
        except ValueError:
            return None
    else:
        reference = received_at(headers)
        if reference is None:
            # No year on the wire and none to infer it from: the stamp stays in extra only.
            return None
        found_day = nearest_date(month, day_number, reference.astimezone(zone).date())
        if found_day is None:
            return None
        day = found_day
    value = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return When(value=value, precision="second", zone="" if found["zone"] else zone_name, original=text)
