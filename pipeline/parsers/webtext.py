"""Plain text scraped from agency web pages: the fallback parser for text no format claims.

Scrapers turn an article page into lines of text. What survives is the page's furniture
in reading order, then the article:

    Monde                                   section label
    Vladimir Poutine discute ...            headline
    - Les dirigeants ont abordé ...         standfirst line(s)
    Elena Teslova   | 13.01.2022            byline | date
    Vladimir Poutine discute ...            the headline again
    Moscow City                             photo caption(s)
    AA / Moscou                             dateline
    Le président russe, ...                 body paragraphs ...
    * Traduit de l'anglais par ...          credits, notices, widgets (left to ``clean``)

This parser segments that header zone with the detected agency's profile patterns
(``pipeline.profiles``) and generic structural cues (a short line without a final full
stop before the body is a title; "- " lines after it are the standfirst; short lines
between the byline and a dateline line are captions). Hard-wrapped text (fixed-width
lines) is re-flowed into paragraphs. Body furniture (credits, notices, share widgets,
datelines glued to the lead) is the clean stage's job, which runs on every format.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import ClassVar

from pipeline.decoding import decode_text, looks_binary
from pipeline.errors import EmptyDispatchError
from pipeline.parsers.base import Parser, declared_charset, registry
from pipeline.profiles import (
    AgencyProfile,
    DatelineMatch,
    all_profiles,
    detect_agency,
    get_profile,
    match_byline,
    match_dateline,
)
from pipeline.records import Association, Block, Dateline, Headers, ParsedItem, Removed, When, header_value

log = logging.getLogger(__name__)

# ------------------------------------------------------------------ sniffing

_SNIFF_BYTES = 4096
# 1f 8b gzip, PK zip, %PDF, and the control bytes that frame IPTC 7901 (SOH, STX) and
# ANPA-1312 (SYN): those belong to other parsers.
_BINARY_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"%PDF")
_FRAMING = (b"\x01", b"\x02", b"\x16")
_MARKUP_HINT = re.compile(
    rb"<(?:\?xml|!DOCTYPE|html|head|body|REUTERS|nitf|newsMessage|newsItem|NewsML|rss|feed)\b", re.I
)
_WORD = re.compile(r"[^\W\d_]{2,}")
#: a dispatch must hold at least this many words to be taken for text
MIN_WORDS = 3

# ------------------------------------------------------------------ segmentation

# Whitespace that scrapers leave: no-break and typographic spaces become plain spaces;
# invisible marks go. The narrow no-break space (U+202F) stays: French typography uses it.
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u00ad\ufeff\u2060]")
_TERMINAL = ".!?…:;"
_CLOSERS = "\"'”’»)]"
_BULLET = re.compile(r"^[-–—•]\s+")
# what follows the title in a caption that repeats it: "Name Surname - AA", "Name/AA"
_CREDIT_TAIL = re.compile(r"^\s+(?P<credit>[^\W\d_][\w.'’ -]{1,60}?\s*[-–/]\s*(?P<agency>[A-Z][A-Za-z.]{1,12}))\s*$")
_SUBHEAD_DASHES = re.compile(r"^-\s*(?P<text>[^-\n].{0,80}?)\s*-$")
#: how many units after the headline may still belong to the header zone
HEADER_WINDOW = 12
#: captions and titles are short
MAX_CAPTION = 150
MAX_HEADLINE = 250


def _clean_line(line: str) -> str:
    line = _INVISIBLE.sub("", line)
    return _SPACES.sub(" ", line).strip()


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSERS)[-1:] in _TERMINAL if text else False


def _is_wrapped(lines: list[str]) -> bool:
    """True for fixed-width text: several lines, most of them close to the same width."""
    if len(lines) < 3:
        return False
    width = max(len(line) for line in lines)
    if not 40 <= width <= 100:
        return False
    body = lines[:-1]
    full = sum(1 for line in body if len(line) >= 0.7 * width)
    return full >= 0.6 * len(body)


def _unwrap(lines: list[str]) -> list[str]:
    """Re-flow hard-wrapped lines into paragraphs.

    A paragraph ends after a line that ends a sentence well short of the wrap width, or
    after a short line (a subheading); words hyphenated across a break are rejoined.
    """
    width = max(len(line) for line in lines)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not current:
            current = line
        elif current[-1:] == "-" and current[-2:-1].isalpha() and line[:1].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}"
        short = len(line) < 0.6 * width
        if (_ends_sentence(line) and len(line) < 0.9 * width) or short or _SUBHEAD_DASHES.match(line):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def segment(text: str) -> list[str]:
    """The text as units: lines, or re-flowed paragraphs for hard-wrapped chunks."""
    units: list[str] = []
    chunk: list[str] = []

    def flush() -> None:
        if chunk:
            units.extend(_unwrap(chunk) if _is_wrapped(chunk) else chunk)
            chunk.clear()

    for raw_line in text.splitlines():
        line = _clean_line(raw_line)
        if line:
            chunk.append(line)
        else:
            flush()
    flush()
    return units


def _same_text(a: str, b: str) -> bool:
    """Equal up to case, spacing and punctuation (a repeated headline)."""

    def key(s: str) -> str:
        return "".join(ch for ch in s.casefold() if ch.isalnum())

    return bool(a and b) and key(a) == key(b)


def _matches(profile: AgencyProfile, kind: str, text: str) -> str | None:
    """The reason of the first line-mode pattern of ``kind`` matching all of ``text``."""
    for pattern in profile.patterns(kind):
        if pattern.mode == "line" and pattern.regex.fullmatch(text):
            return pattern.reason
    return None


def _section(profile: AgencyProfile, text: str) -> tuple[bool, str | None]:
    """Is ``text`` a section label, and in which language's list.

    With no known agency, every agency's labels are tried: a lone "Monde" or "Dünya"
    above a title is a section label whoever published it. A label several languages
    share ("Sport", "Europa") names no language, unless one of them is the agency's
    first language ("Ekonomi": Turkish for AA, though its Indonesian edition has it too).
    """
    profiles = all_profiles() if profile.is_generic else (profile,)
    languages = {
        pattern.language
        for candidate in profiles
        for pattern in candidate.patterns("section")
        if pattern.regex.fullmatch(text)
    }
    if not languages:
        return False, None
    if len(languages) == 1:
        return True, languages.pop()
    home = profile.languages[0] if profile.languages else None
    return True, home if home in languages else None


def _title_like(text: str, profile: AgencyProfile) -> bool:
    """A line that can be a headline: short, several words, not a sentence, not furniture."""
    if not 8 <= len(text) <= MAX_HEADLINE or len(text.split()) < 2:
        return False
    if _BULLET.match(text) or (text.rstrip(_CLOSERS)[-1:] in ".;:," and not text.endswith("...")):
        return False
    if match_dateline(text, profile) or match_byline(text, profile):
        return False
    return not (_matches(profile, "boilerplate", text) or _section(profile, text)[0])


def _caption_like(text: str) -> bool:
    return len(text) <= MAX_CAPTION and not _ends_sentence(text) and not _BULLET.match(text)


@dataclass
class _Header:
    """What the header zone yields; filled in reading order."""

    section: str | None = None
    headline: str | None = None
    summary: list[str] = field(default_factory=list)
    byline: str | None = None
    when: When | None = None
    updated: When | None = None
    dateline: Dateline | None = None
    reporter: str | None = None  # named in the dateline ("City/ Reporter/ الأناضول")
    captions: list[tuple[str, str | None]] = field(default_factory=list)  # (caption, credit)
    removed: list[Removed] = field(default_factory=list)
    language_hint: str | None = None


def _whole_dateline(unit: str, profile: AgencyProfile) -> DatelineMatch | None:
    """A dateline that is the whole unit ("AA / Moscou", "ANKARA", "City/ Name/ الأناضول")."""
    found = match_dateline(unit, profile, modes=("line", "prefix"))
    return found if found and found.end >= len(unit.rstrip()) else None


def _headline_with_credit(unit: str, headline: str | None, profile: AgencyProfile) -> str | None:
    """The credit of a photo caption that repeats the title: "<title> Name Surname - AA"."""
    if not headline or len(unit) <= len(headline) or not unit.casefold().startswith(headline.casefold()):
        return None
    m = _CREDIT_TAIL.match(unit[len(headline) :])
    if m and m.group("agency").strip(".") in {a.strip(".") for a in profile.aliases}:
        return m.group("credit")
    return None


def _read_header(units: list[str], profile: AgencyProfile) -> tuple[_Header, list[str]]:
    """Classify the header zone; returns it and the body units."""
    head = _Header()
    i = 0
    is_section, language = _section(profile, units[0]) if len(units) > 1 else (False, None)
    if is_section:
        head.section = units[0]
        head.language_hint = language
        head.removed.append(Removed(units[0], "section-label"))
        i = 1
    # date stamps and widgets above the title ("Tuesday, December 30, 2008", "• 11/13/2024")
    while i < len(units) - 1 and (reason := _matches(profile, "boilerplate", units[i])):
        head.removed.append(Removed(units[i], reason))
        i += 1
    if i < len(units) - 1 and _title_like(units[i], profile):
        head.headline = units[i]
        i += 1
    if head.headline is None and head.section is None:
        return head, units[i:]

    pending: list[int] = []  # caption candidates; confirmed only by a dateline line after them
    taken: set[int] = set()  # units the header zone used (removed or moved to a field)
    end = min(len(units), i + HEADER_WINDOW)
    while i < end:
        unit = units[i]
        following = units[i + 1] if i + 1 < len(units) else ""
        if head.headline and _same_text(unit, head.headline):
            head.removed.append(Removed(unit, "repeated-headline"))
        elif _BULLET.match(unit) and head.headline and head.byline is None and not pending:
            head.summary.append(_BULLET.sub("", unit))
        elif head.byline is None and (by := match_byline(unit, profile)) and by.date_text:
            # only a byline with a date is safe to take here; "By X" lines are left to clean
            head.byline, head.when, head.updated = by.name, by.when, by.updated
            head.removed.append(Removed(unit, "byline"))
        elif credit := _headline_with_credit(unit, head.headline, profile):
            head.captions.append((head.headline or "", credit))
            head.removed.append(Removed(unit, "caption"))
        elif (dl := _whole_dateline(unit, profile)) and not _whole_dateline(following, profile):
            # a place line followed by the real dateline ("Saint-Louis", "AA / Saint-Louis")
            # is a caption; the last dateline-shaped line before the body is the dateline
            head.captions.extend((units[j], None) for j in pending)
            head.removed.extend(Removed(units[j], "caption") for j in pending)
            head.dateline = Dateline(dl.raw, dl.place, dl.agency, dl.date_text, dl.region)
            head.reporter = dl.reporter
            head.removed.append(Removed(unit, "dateline"))
            return head, [u for j, u in enumerate(units[i + 1 :], start=i + 1) if j not in taken]
        elif reason := _matches(profile, "boilerplate", unit):
            head.removed.append(Removed(unit, reason))
        elif _caption_like(unit):
            pending.append(i)
            i += 1
            continue
        elif head.byline is None and head.headline and not pending and _dated_byline(following, profile):
            # a standfirst printed as a sentence, without a "- " bullet, just above the byline
            head.summary.append(unit)
        else:
            break
        taken.add(i)
        i += 1
    # no dateline line closed the header: the caption candidates were body after all
    first = pending[0] if pending else i
    return head, [unit for j, unit in enumerate(units[first:], start=first) if j not in taken]


def _dated_byline(unit: str, profile: AgencyProfile) -> bool:
    by = match_byline(unit, profile) if unit else None
    return bool(by and by.date_text)


def _body_blocks(units: Sequence[str]) -> tuple[Block, ...]:
    blocks: list[Block] = []
    for n, unit in enumerate(units):
        sub = _SUBHEAD_DASHES.match(unit)
        if sub:
            blocks.append(Block(sub.group("text"), "h"))
        elif 0 < n < len(units) - 1 and _caption_like(unit) and len(unit) <= 100 and _ends_sentence(units[n + 1]):
            blocks.append(Block(unit, "h"))
        else:
            blocks.append(Block(unit, "p"))
    return tuple(blocks)


@registry.register
class WebTextParser(Parser):
    """Web-scraped agency text (and any other plain text no specific format claims)."""

    name: ClassVar[str] = "webtext"
    content_types: ClassVar[tuple[str, ...]] = ("text/plain",)
    priority: ClassVar[int] = 900

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        sample = raw[:_SNIFF_BYTES]
        if not sample or sample.startswith(_BINARY_MAGIC):
            return False
        if any(mark in sample[:512] for mark in _FRAMING) or looks_binary(sample):
            return False
        stripped = sample.lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped[:1] in (b"<", b"{", b"[") or _MARKUP_HINT.search(sample[:1024]):
            return False
        # A UTF-16 text has NUL bytes and is refused by looks_binary above; a cut in the
        # middle of a UTF-8 sequence at the sample's end is harmless with "ignore".
        text = sample.decode("utf-8", errors="ignore")
        return sum(1 for _ in islice(_WORD.finditer(text), MIN_WORDS)) >= MIN_WORDS

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        decoded = decode_text(raw, declared_charset(headers))
        text = unicodedata.normalize("NFC", decoded.text)
        agency = detect_agency(text, headers)
        profile = get_profile(agency)
        units = segment(text)
        if not units:
            raise EmptyDispatchError("the text holds nothing but whitespace", format=self.name)

        head, body_units = _read_header(units, profile)
        body = _body_blocks(body_units)
        if not head.headline and not body:
            raise EmptyDispatchError("no headline and no body text in the dispatch", format=self.name)

        language = header_value(headers, "content-language") or header_value(headers, "wf_language")
        extra: list[tuple[str, str]] = [("encoding", decoded.encoding)]
        if decoded.repaired:
            extra.append(("encoding_repaired", "true"))
        if head.language_hint:
            extra.append(("language_hint", head.language_hint))
        associations = tuple(
            Association(name=f"picture-{n}", type="picture", caption=caption, credit=credit)
            for n, (caption, credit) in enumerate(head.captions, start=1)
        )
        item = ParsedItem(
            format=self.name,
            agency=agency,
            language=language.strip().lower() if language and language.strip() else None,
            headline=head.headline,
            summary="\n".join(head.summary) or None,
            body=body,
            byline=head.byline or head.reporter,
            dateline=head.dateline,
            content_created=head.when,
            version_created=head.updated,
            section=head.section,
            associations=associations,
            removed=tuple(head.removed),
            extra=tuple(extra),
        )
        log.debug("webtext: agency=%s headline=%r blocks=%d", agency, head.headline, len(body))
        return [item]
