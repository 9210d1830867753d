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
from pipeline.parsers._frontmatter import FrontMatter, looks_like_markdown, markdown_to_text, split_front_matter
from pipeline.parsers._page import (
    BAD,
    GOOD,
    NEAR,
    PROSE_WORDS,
    SENTENCE_WORDS,
    SHORT,
    Page,
    chrome_reason,
    classify,
    comments_label,
    ends_sentence,
    names_picture,
    repeats,
    shows_picture,
    split_credit,
    strip_title_suffix,
    text_key,
    title_like,
    title_words,
    vocabulary,
    words_of,
)
from pipeline.parsers._spacing import despace, has_spaced_run
from pipeline.parsers.base import Parser, declared_charset, registry
from pipeline.parsers.html import parse_iso
from pipeline.profiles import (
    AgencyProfile,
    DatelineMatch,
    all_profiles,
    detect_agency,
    get_profile,
    looks_like_name,
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
#: a dispatch must hold at least this many words to be taken for text ...
MIN_WORDS = 3
#: ... or this many letters (letter-spaced scrapes have no word of two letters)
MIN_LETTERS = 40

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
# an item of a list: "• item", "* item", "1. item", "[01] item"
_LIST_MARK = re.compile(r"^(?:[•▪►·*]\s|\d{1,2}[.)]\s|\[\d{1,3}\]\s)")
# fields separated by bars, the last one a date and time, glued before a paragraph
_META_PREFIX = re.compile(
    r"^(?:[^|\n]{1,40}\|\s*)+[^|\n]{0,40}?\d{1,2}[:.h]\d{2}(?::\d{2})?(?:\s*(?:AM|PM|am|pm|[A-Z]{2,4}))?\s+(?=[A-Z\"“«])"
)
# the first and second items of a numbered list: "1- Title", "1. Title", "1) Title"
_FIRST_ITEM = re.compile(r"^\s*1\s?[-.)]\s+\S")
_SECOND_ITEM = re.compile(r"^\s*2\s?[-.)]\s+\S")
_SUBHEAD_DASHES = re.compile(r"^-\s*(?P<text>[^-\n].{0,80}?)\s*-$")
# markup starts with a tag: "<p>", "<!DOCTYPE", "<?xml", "</div>" (a lone "<" line is text)
_MARKUP_START = re.compile(rb"<[A-Za-z!?/]")
# a crawler's stamp before the first line: "date 2020-04", "date 2025-08-28"
_STAMP = re.compile(
    r"^\s*(?:date|dated|crawled|fetched)\s*:?\s*\d{4}-\d{2}(?:-\d{2})?(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?\s+", re.I
)
# a desk's sign-off in parentheses after the last sentence: ". (WDY)", ". (GUS /ika)", ". (ANSA)."
_SIGN_OFF_TAIL = re.compile(
    r"(?<=[.!?…\"”»])\s*(?P<code>\(\s*[^\W\d_][^()\n]{0,14}\)\.?(?:\s*[a-z]{1,4}(?:\s*/\s*[a-z]{1,4})*)?)$"
)
# a source credit in parentheses opening the text, naming a feed and an agency with a dash
_SOURCE_PREFIX = re.compile(r"^\(\s*[^()\n]{1,40}\s[-–—]\s[^()\n]{1,60}(?:\([^()\n]{1,20}\)[^()\n]{0,20})?\)\s+(?=\S)")
# a scraper's mark where it cut the text: "... and [...]"
#: what may follow the text: a link to the rest of the story (the vocabulary's), a cut mark, a sign-off
_CUT_MARK = re.compile(r"\s*[\[(](?:\.{3}|…)[\])]$")
#: header units that went to a field (kept out of the body even when nothing else is read)
_FIELDS = frozenset({"headline", "repeated-headline", "byline", "dateline", "section-label"})
#: header markers of units moved to a field (the title, a standfirst, a tag), not removed
_MOVED = frozenset({"headline", "standfirst", "tag"})
#: how many units after the headline may still belong to the header zone
HEADER_WINDOW = 12
#: captions and titles are short
MAX_CAPTION = 150
MAX_HEADLINE = 250
#: header phenomena (titles, captions opening with the title, summary lines) are looked for
#: among this many first lines of a page
HEADER_SCAN = 60
#: a line made of other lines is at least this long; a long line is looked for by its start
COMPOSITE_MIN_CHARS = 60
COMPOSITE_PROBE = 60
#: a title has at least this many words (shorter header lines are labels and breadcrumbs)
TITLE_MIN_WORDS = 3
#: hard-wrapped text is wrapped at most this wide
MAX_WRAP_WIDTH = 100
#: a line this much longer than the wrap width was not wrapped
WRAP_SLACK = 1.15
#: a line restates the text when this share of its content words is printed elsewhere in it ...
RESTATE_SHARE = 0.9
#: ... words compared by their first letters (inflections differ: "Turske", "Turska")
RESTATE_PREFIX = 5


def _clean_line(line: str) -> str:
    line = _INVISIBLE.sub("", line)
    return _SPACES.sub(" ", line).strip()


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSERS)[-1:] in _TERMINAL if text else False


def _wrap_width(lines: list[str]) -> int:
    """The width text was wrapped at: most lines reach it, a few (unwrapped ones) pass it."""
    lengths = sorted(len(line) for line in lines)
    return lengths[min(len(lengths) - 1, int(0.8 * len(lengths)))]


def _is_wrapped(lines: list[str]) -> bool:
    """True for fixed-width text: several lines, most of them close to the same width.

    A line far longer than the others (a lead printed unwrapped above its wrapped copy)
    does not set the width.
    """
    if len(lines) < 3:
        return False
    width = _wrap_width(lines)
    if not 40 <= width <= MAX_WRAP_WIDTH:
        return False
    if sum(1 for line in lines if _LIST_MARK.match(line)) >= len(lines) / 2:
        return False  # a list, one item per line
    body = [line for line in lines[:-1] if len(line) <= WRAP_SLACK * width]
    full = sum(1 for line in body if len(line) >= 0.7 * width)
    return len(body) >= 2 and full >= 0.6 * len(body)


def _unwrap(lines: list[str]) -> list[str]:
    """Re-flow hard-wrapped lines into paragraphs.

    A paragraph ends after a line that ends a sentence well short of the wrap width, or
    after a short line (a subheading); words hyphenated across a break are rejoined. A
    line longer than the wrap width was never wrapped: it is a paragraph of its own.
    """
    width = _wrap_width(lines)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if len(line) > WRAP_SLACK * width:
            if current:
                paragraphs.append(current)
                current = ""
            paragraphs.append(line)
            continue
        if _LIST_MARK.match(line) and current:
            paragraphs.append(current)  # a list item starts a paragraph of its own
            current = ""
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
    """The text as units: lines, or re-flowed paragraphs for hard-wrapped chunks.

    Hard-wrapped text printed double-spaced (a blank line after every wrapped line) is a
    run of one-line chunks of the wrap width whose lines go on in lower case: such a run
    is re-flowed like a chunk.
    """
    chunks: list[list[str]] = [[]]
    for raw_line in text.splitlines():
        line = _clean_line(raw_line)
        if line:
            chunks[-1].append(line)
        elif chunks[-1]:
            chunks.append([])
    units: list[str] = []
    singles: list[str] = []

    def flush_singles() -> None:
        # runs of lines no longer than a wrap width; a longer line is a paragraph of its own
        run: list[str] = []
        for line in [*singles, None]:
            if line is not None and len(line) <= MAX_WRAP_WIDTH:
                run.append(line)
                continue
            units.extend(_rejoin(run) if _double_spaced(run) else run)
            run = []
            if line is not None:
                units.append(line)
        singles.clear()

    for chunk in chunks:
        if len(chunk) == 1:
            singles.append(chunk[0])
            continue
        flush_singles()
        units.extend(_unwrap(chunk) if _is_wrapped(chunk) else chunk)
    flush_singles()
    return units


def _rejoin(lines: list[str]) -> list[str]:
    """Double-spaced wrapped lines as paragraphs: a line goes on from the one before when it
    starts in lower case, or when the one before reaches the wrap width without ending a
    sentence (the first line, a title above the text, starts a paragraph)."""
    width = _wrap_width(lines)
    paragraphs: list[str] = []
    for n, line in enumerate(lines):
        prev = lines[n - 1] if n else ""
        goes_on = line[:1].islower() or (n > 1 and len(prev) >= 0.7 * width and not _ends_sentence(prev))
        if paragraphs and goes_on:
            if paragraphs[-1][-1:] == "-" and paragraphs[-1][-2:-1].isalpha() and line[:1].islower():
                paragraphs[-1] = paragraphs[-1][:-1] + line  # a word split at the wrap
            else:
                paragraphs[-1] = f"{paragraphs[-1]} {line}"
        else:
            paragraphs.append(line)
    return paragraphs


def _double_spaced(lines: list[str]) -> bool:
    """One-line paragraphs that are wrapped lines: a third of them go on in lower case from the
    line before, and many reach one width (the lower-case evidence makes a looser width test enough)."""
    if len(lines) < 3:
        return False
    goes_on = sum(1 for n in range(1, len(lines)) if lines[n][:1].islower() and not _ends_sentence(lines[n - 1]))
    if goes_on < max(2, len(lines) // 3):
        return False
    width = _wrap_width(lines)
    return 40 <= width <= MAX_WRAP_WIDTH and sum(1 for line in lines if len(line) >= 0.7 * width) >= 0.4 * len(lines)


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
    keywords: list[str] = field(default_factory=list)  # tags printed as "- tag" lines
    created: When | None = None  # the front matter's publication date
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


def _profile_line(profile: AgencyProfile, text: str) -> str | None:
    """The reason of a line-mode rule of the profile that the clean stage applies to ``text``, if any."""
    for kind in ("boilerplate", "trailer", "credit", "contributors", "ed_note", "translation"):
        for pattern in profile.patterns(kind):
            if pattern.mode == "line" and pattern.regex.fullmatch(text):
                return pattern.reason or kind
    closing = match_dateline(text, profile, modes=("suffix",))
    if closing is not None and closing.end == 0:
        return "dateline"  # a line that is a dateline closing the text ("ANKARA-BHA"): clean takes it
    return None


def _take_meta_prefix(units: list[str]) -> tuple[list[str], list[Removed]]:
    """Fields glued before a paragraph's text: "AGENCY | Published: <date> | Updated: <date> Text ..."."""
    out: list[str] = []
    removed: list[Removed] = []
    for unit in units:
        m = _META_PREFIX.match(unit)
        if m and len(unit) - m.end() >= 40:
            removed.append(Removed(m.group().strip(), "date-line"))
            unit = unit[m.end() :]
        out.append(unit)
    return out, removed


def _take_stamp(units: list[str]) -> tuple[list[str], list[Removed]]:
    """A crawler's date stamp before the page's first line ("date 2020-04 Title ...") is no text."""
    if not units:
        return units, []
    m = _STAMP.match(units[0])
    if not m:
        return units, []
    rest = units[0][m.end() :].strip()
    return ([rest] if rest else []) + units[1:], [Removed(m.group().strip(), "date-stamp")]


@dataclass
class _Layout:
    """Header, article and tail of a page's units, decided once per page.

    ``keep`` are the units of the body in order; ``head`` holds what the header gave;
    everything else is in ``head.removed`` (with the header's) in reading order.
    """

    units: list[str]
    profile: AgencyProfile
    head: _Header = field(default_factory=_Header)
    keep: list[int] = field(default_factory=list)
    removed: dict[int, str] = field(default_factory=dict)
    last: int | None = None  # the article's last prose unit
    inline: list[Removed] = field(default_factory=list)  # pieces taken from inside kept units


def _candidates(units: list[str], page: Page, fields: list[str | None], end: int) -> list[int]:
    """Header units that can be the title: title-shaped, not a field or furniture (a repeat may be)."""
    # a title is near the top of the page or just above the text
    near = [i for i in range(end) if i < HEADER_SCAN or i >= end - HEADER_SCAN // 4]
    return [
        i
        for i in near
        if fields[i] is None
        and (page.lines[i].chrome in (None, "repeated") or (i < 2 and _dated_title(units[i], page.lines[i].chrome)))
        and title_like(units[i])
        and not _BULLET.match(units[i])
    ]


def _dated_title(unit: str, reason: str | None) -> bool:
    """A title carrying its date at the top of a page: "Daily News Digest | 28 August 2025"."""
    if reason != "date-line" or " | " not in unit:
        return False
    head = unit.split(" | ", 1)[0]
    return title_like(head) and len(words_of(head)) >= TITLE_MIN_WORDS


def _printed_again(units: list[str], i: int) -> bool:
    """The unit is printed elsewhere on the page: again, inside a longer line, or shorter (without a suffix)."""
    key = text_key(units[i])
    if len(key) < 8:
        return False
    for j, other in enumerate(units):
        if j == i:
            continue
        other_key = text_key(other)
        if other_key == key or (key in other_key and len(other_key) < 4 * len(key)):
            return True
        if len(other_key) >= 0.6 * len(key) and key.startswith(other_key) and title_like(other):
            return True
    return False


def _choose_headline(units: list[str], page: Page, candidates: list[int], lead: int) -> int | None:
    """The page's title among the header's title-shaped units.

    A line right under a title that is longer and reads as text is its standfirst, not a
    title. Then, in order: printed twice (pages repeat their title above the text, or
    glue it into a caption or a summary line), three words or more (section labels and
    breadcrumbs are shorter), no site name after it (the document's title, when the page
    prints the article's own), the first. A header of short labels only has no title,
    unless the line right above the text is a short "Kicker: Subject" title.
    """
    taken = set(candidates)
    candidates = [
        i
        for i in candidates
        if not (
            i - 1 in taken
            and title_words(units[i - 1]) >= TITLE_MIN_WORDS
            and page.kinds[i] in (NEAR, GOOD)
            and len(words_of(units[i])) > len(words_of(units[i - 1]))
        )
    ]
    if not candidates:
        return None

    def score(i: int) -> tuple[bool, bool, bool, bool, int]:
        text = units[i]
        plain = strip_title_suffix(text) == text
        return _printed_again(units, i), title_words(text) >= TITLE_MIN_WORDS, plain, _dates_itself(text), -i

    best = max(candidates, key=score)
    if score(best)[:2] != (False, False):
        return best
    # only short lines: a "Kicker: Subject" title right above the text is one, a label is not
    above = candidates[-1]
    if above == lead - 1 and ":" in units[above].rstrip(":"):
        return above
    return None


_TITLE_DATE = re.compile(
    r"(?:,|:|\|)\s*(?:\d{1,4}[-./]\d{1,2}[-./]\d{1,4}|\d{1,2}\.?\s+[^\W\d_]{3,}\.?\s+\d{4}|[^\W\d_]{3,}\.?\s+\d{1,2},?\s+\d{4})\s*$"
)


def _dates_itself(text: str) -> bool:
    """A title ending with its issue's date ("Harbour Wire: News in English, 01-09-11", "Digest | 3 May 2031").

    A dated file (a digest, a daily news file) names itself so; a site's masthead does not.
    """
    return bool(_TITLE_DATE.search(text))


def _title_text(units: list[str], h: int) -> str:
    """The title as printed without a site name: a shorter printing of it, or the suffix stripped."""
    title = units[h]
    key = text_key(title)
    for j, other in enumerate(units):
        other_key = text_key(other)
        if j != h and title_like(other) and 0.6 * len(key) <= len(other_key) < len(key) and key.startswith(other_key):
            title = other
            break
    return strip_title_suffix(title)


def _meta_byline(unit: str) -> str | None:
    """The name part of a "Name, Name | date" line (a byline without the profile's exact form)."""
    first = re.split(r"\s+[|•·]\s+|\s*\|\s*", unit, maxsplit=1)[0].strip()
    if first != unit.strip() and not re.search(r"\d", first) and looks_like_name(first):
        return first
    return None


def _lay_out(units: list[str], profile: AgencyProfile) -> _Layout:
    """Decide, for every unit, whether it is header, article text or page furniture.

    The generic layout (``pipeline.parsers._page``) finds the article's lead and last
    prose line; the profile's patterns name what it knows (section labels, bylines,
    datelines, its own furniture). The header gives the title and the fields; furniture
    the profile describes is left in the body for the clean stage, which records it with
    the profile's reasons (tags become keywords there).
    """
    lay = _Layout(units, profile)
    n = len(units)
    repeated = repeats(units)
    # what the profile knows about each unit: its reason, or a field tag
    known = [_profile_line(profile, u) for u in units]
    counts = [len(words_of(u)) for u in units]
    chrome: list[str | None] = [
        known[i]
        or ("repeated" if repeated[i] is not None else None)
        or ("byline" if _dated_byline(units[i], profile) else None)
        # captions that open with the title and summary lines glued from others are header lines
        or ("caption" if i < HEADER_SCAN and _opens_with_title(units, i) else None)
        or ("repeated" if i < HEADER_SCAN and _composite(units, i, counts) else None)
        for i in range(n)
    ]
    page = classify(units, chrome)
    lead = page.lead()
    if lead is None and any(k == NEAR and line.sentence for k, line in zip(page.kinds, page.lines, strict=True)):
        # no paragraph of prose, but sentences (a short dispatch): they are the text
        page = Page(
            page.lines,
            [GOOD if k == NEAR and line.sentence else k for k, line in zip(page.kinds, page.lines, strict=True)],
            page.level,
            page.stoplist,
        )
        lead = page.lead()
    if lead is None:
        # no prose at all (a digest, a list of titles): the run of lines between furniture
        # that holds the most words of longer lines
        lead, last = _densest_run(page)
    else:
        last = page.last() or lead
        # sentences printed right above the lead belong to the text ("Police came. / He said ...")
        while (
            lead > 0
            and page.kinds[lead - 1] != BAD
            and page.lines[lead - 1].sentence
            and page.lines[lead - 1].words >= SENTENCE_WORDS
        ):
            lead -= 1
    # a numbered list that runs into the text starts with its first item ("1- ...", later "2- ...")
    first_item = next((i for i in range(lead) if _FIRST_ITEM.match(units[i])), None)
    if first_item is not None and any(_SECOND_ITEM.match(units[i]) for i in range(lead, n)):
        lead = first_item
    # readers' comments are not the article: the text ends before their label
    opened = next((i for i in range(lead + 1, n) if comments_label(units[i])), None)
    if opened is not None and opened <= last:
        last = max((i for i in range(lead, opened) if page.kinds[i] in (GOOD, NEAR)), default=lead)
    _read_header(lay, page, lead)
    lay.last = last if last < n and page.kinds[last] in (GOOD, NEAR) else None
    for i in range(lead, min(last + 1, n)):
        if i in lay.removed:
            continue
        reason = page.lines[i].chrome
        if known[i]:
            lay.keep.append(i)  # the profile's furniture: the clean stage takes it out
        elif reason == "caption" and _keep_captioned(lay, page, i):
            continue
        elif reason == "date-line" and _BULLET.match(units[i]):
            lay.keep.append(i)  # a time in a list inside the text: an agenda's "- At 14:00"
        elif reason and reason != "byline":
            lay.removed[i] = "repeated-paragraph" if reason == "repeated" else reason
        elif page.kinds[i] == SHORT and page.neighbour(i, -1) == BAD and page.neighbour(i, +1) == BAD:
            lay.removed[i] = "page-chrome"
        elif lead < i < last and _restates(lay, page, i, range(lead, last + 1)):
            lay.removed[i] = "caption"
            lay.head.captions.append((units[i], None))
        else:
            lay.keep.append(i)
    _read_tail(lay, page, last + 1, known)
    if lay.head.dateline is None:
        lay.head.dateline = _first_story_dateline(lay, page, lead)
    if not lay.keep:
        # nothing read as text: the page is one the layout cannot read; never give no article
        # for a page with words, keep what is not the title or a field
        lay.keep = [i for i in range(n) if lay.removed.get(i) not in _FIELDS and page.lines[i].words >= SENTENCE_WORDS]
        for i in lay.keep:
            lay.removed.pop(i, None)
    return lay


def _first_story_dateline(lay: _Layout, page: Page, lead: int) -> Dateline | None:
    """A complete dateline (place, date, agency) opening a line from the lead to the first prose line.

    A digest prints its contents (a list of titles) before its first story: that story's
    dateline ("Sofia, February 28 (BTA) - ...") is the digest's, however far down it
    stands. Once a prose line without one has begun the text, there is none to find.
    """
    for i in range(lead, len(lay.units)):
        if page.kinds[i] == BAD:
            continue
        found = match_dateline(lay.units[i], lay.profile, modes=("prefix",))
        if found is not None and found.place and found.agency and found.date_text:
            return Dateline(found.raw, found.place, found.agency, found.date_text, found.region)
        if page.kinds[i] == GOOD:
            return None  # the text has begun without a dateline
    return None


def _densest_run(page: Page) -> tuple[int, int]:
    """(first, last) of the run of non-furniture lines with the most words in lines of four or more."""
    best, best_words = (len(page.kinds), len(page.kinds) - 1), 0
    start, words = 0, 0
    for i in range(len(page.kinds) + 1):
        if i == len(page.kinds) or page.kinds[i] == BAD:
            if words > best_words:
                best, best_words = (start, i - 1), words
            start, words = i + 1, 0
        elif page.lines[i].words >= TITLE_MIN_WORDS + 1:
            words += page.lines[i].words
    return best


def _composite(units: list[str], i: int, counts: list[int]) -> bool:
    """A line made of other lines of the page (a title, a site name and the lead glued into a summary).

    It holds the whole text of two other lines of four words or more, or of one and the
    start of another.
    """
    unit = units[i]
    if len(unit) < COMPOSITE_MIN_CHARS:
        return False
    inside = 0
    for j, other in enumerate(units):
        if j == i or len(other) >= len(unit) or counts[j] < TITLE_MIN_WORDS + 1:
            continue
        probe = other if len(other) <= COMPOSITE_PROBE else other[:COMPOSITE_PROBE]
        if probe in unit:
            inside += 1
            if inside >= 2:
                return True
    return False


def _opens_with_title(units: list[str], i: int) -> bool:
    """A caption that opens with an earlier title line: "<title> <caption text> (<credit>".

    The rest starts a new sentence with a capital, and the unit does not end as a
    sentence does: a lead that begins with the title's words goes on in lower case or
    ends with a full stop.
    """
    unit = units[i]
    if ends_sentence(unit):
        return False
    for j in range(i):
        title = units[j]
        if len(title) + 10 < len(unit) and unit.startswith(title) and title_like(title):
            rest = unit[len(title) :].lstrip(" -–—:|")
            if rest[:1].isupper() and len(words_of(title)) >= TITLE_MIN_WORDS:
                return True
    return False


def _restates(lay: _Layout, page: Page, i: int, text: range) -> bool:
    """A long line inside the text that is no sentence and says nothing the text does not: a caption.

    A photo's caption printed between paragraphs describes what the story tells ("Name,
    the president, said that ..." above "The president said that ..."); a subheading is
    shorter. Every word of the line that is not a function word is printed elsewhere in
    the text or the title (a word's first letters: its inflections differ), so taking the
    line out loses nothing the article says.
    """
    line = page.lines[i]
    if page.kinds[i] != NEAR or line.sentence or line.words < PROSE_WORDS or line.text.rstrip()[-1:] in ":,;":
        return False
    stop = page.stoplist
    own = {w[:RESTATE_PREFIX] for w in words_of(line.text) if w not in stop and len(w) >= 3}
    if len(own) < SENTENCE_WORDS:
        return False
    key = text_key(line.text)
    elsewhere: set[str] = set()
    for source in [*(lay.units[j] for j in text if j != i), lay.head.headline or ""]:
        if key not in text_key(source):  # a printing of the line itself (a repeated title) is no evidence
            elsewhere.update(w[:RESTATE_PREFIX] for w in words_of(source))
    return len(own - elsewhere) <= len(own) * (1 - RESTATE_SHARE)


def _keep_captioned(lay: _Layout, page: Page, i: int) -> bool:
    """A prose line closed by a picture credit: closing the text (a photo page's text) it stays, the credit goes.

    With text after it, the line is a picture's caption above or inside the text: it goes
    whole (and becomes the picture's caption), as a caption above the text does.
    """
    line = page.lines[i]
    split = split_credit(lay.units[i])
    if split is None or line.words < PROSE_WORDS:
        return False
    text, credit = split
    if shows_picture(text):
        return False  # "... in this photo taken on Monday": the caption of a picture, not text
    if any(k == GOOD and page.lines[j].chrome is None for j, k in enumerate(page.kinds) if j > i):
        lay.head.captions.append((text, credit))
        return False
    lay.units[i] = text
    lay.inline.append(Removed(credit, "photo-credit"))
    lay.keep.append(i)
    return True


def _read_tail(lay: _Layout, page: Page, start: int, known: list[str | None]) -> None:
    """After the last prose line: short sentences that close the text stay, the rest is furniture.

    Lines the profile knows stay for the clean stage, and so do the items after a tags
    or related-links label the profile knows (clean makes keywords of the tags); lines of
    a furniture shape among them go here. A picture printed right after the text keeps
    its caption when the caption is prose (a photo page), without the credit.
    """
    units = lay.units
    listed = False
    gap = False  # furniture the profile does not know ends the text: no sentence after it is kept
    for j in range(start, len(units)):
        if known[j]:
            lay.keep.append(j)
            listed = listed or known[j] in ("tags", "read-also")
            continue
        reason = page.lines[j].chrome
        if listed and reason is None:
            lay.keep.append(j)  # an item of the profile's list: clean reads it (a tag, a related title)
            continue
        if not gap and page.closing(j):
            lay.keep.append(j)
            continue
        if not gap and reason == "caption" and _keep_captioned(lay, page, j):
            continue
        gap = True
        if reason == "repeated":
            reason = "repeated-paragraph"
        lay.removed[j] = reason or ("other-title" if title_like(units[j]) else "page-chrome")


def _read_header(lay: _Layout, page: Page, lead: int) -> None:
    """The units before the lead: title, section, standfirst, byline, captions, dateline, furniture."""
    units, profile, head = lay.units, lay.profile, lay.head
    fields: list[str | None] = [None] * lead
    for i in range(lead):
        unit = units[i]
        if _section(profile, unit)[0] and not _BULLET.match(unit):
            fields[i] = "section"
        elif _dated_byline(unit, profile):
            fields[i] = "byline"
        elif _whole_dateline(unit, profile):
            fields[i] = "dateline"
    h = _choose_headline(units, page, _candidates(units, page, fields, lead), lead)
    if h is not None:
        head.headline = _title_text(units, h)
    title_key = text_key(head.headline) if head.headline else ""
    # the dateline is the last dateline-shaped unit before the lead; place lines above it are captions
    dateline_at = max((i for i in range(lead) if fields[i] == "dateline" and (h is None or i > h)), default=None)
    pending: list[int] = []
    for i in range(lead):
        unit = units[i]
        key = text_key(unit)
        line = page.lines[i]
        if i == h:
            lay.removed[i] = "headline"
        elif fields[i] == "section" and (h is None or i < h or head.section is None):
            if head.section is None:
                head.section = unit
                head.language_hint = _section(profile, unit)[1]
            lay.removed[i] = "section-label"
        elif title_key and title_key in (key, text_key(strip_title_suffix(unit))):
            lay.removed[i] = "repeated-headline"
        elif fields[i] == "byline" and head.byline is None:
            by = match_byline(unit, profile)
            if by is not None:
                head.byline, head.when, head.updated = by.name, by.when, by.updated
            lay.removed[i] = "byline"
        elif i == dateline_at:
            dl = _whole_dateline(unit, profile)
            if dl is not None:
                head.dateline = Dateline(dl.raw, dl.place, dl.agency, dl.date_text, dl.region)
                head.reporter = dl.reporter
            lay.removed[i] = "dateline"
            for j in pending:
                head.captions.append((units[j], None))
                lay.removed[j] = "caption"
            pending.clear()
        elif credit := _headline_with_credit(unit, head.headline, profile):
            head.captions.append((head.headline or "", credit))
            lay.removed[i] = "caption"
        elif title_key and len(key) > len(title_key) and key.startswith(title_key):
            # a photo caption that opens with the title (AA: "<title> <caption> (<credit>)")
            head.captions.append((unit[len(head.headline or "") :].strip(), None))
            lay.removed[i] = "caption"
        elif _BULLET.match(unit):
            text = _BULLET.sub("", unit)
            if len(words_of(text)) >= 4:
                head.summary.append(text)
                lay.removed[i] = "standfirst"
            else:
                head.keywords.append(text)
                lay.removed[i] = "tag"
        elif line.chrome == "date-line" and head.byline is None and (name := _meta_byline(unit)):
            head.byline = name
            lay.removed[i] = "byline"
        elif line.chrome:
            lay.removed[i] = "repeated-headline" if line.chrome == "repeated" else line.chrome
            if line.chrome == "caption":
                text, credit = split_credit(unit) or (unit, None)
                head.captions.append((text, credit))
        elif page.kinds[i] in (GOOD, NEAR) and _is_photo_credit(units[i + 1] if i + 1 < len(units) else ""):
            head.captions.append((unit, None))
            lay.removed[i] = "caption"
        elif page.kinds[i] in (GOOD, NEAR) or (h is not None and i == h + 1 and len(words_of(unit)) >= 6):
            # prose above the lead, or the line under the title: the standfirst
            head.summary.append(unit)
            lay.removed[i] = "standfirst"
        elif h is not None and i > h and dateline_at is not None and i < dateline_at and _caption_like(unit):
            pending.append(i)  # confirmed as a caption by the dateline line after it
        elif h is None or i < h:
            lay.removed[i] = "section-label" if len(words_of(unit)) <= 3 else "page-chrome"
        else:
            lay.removed[i] = "other-title" if title_like(unit) else "page-chrome"
    for j in pending:
        lay.removed.setdefault(j, "page-chrome")


def _is_photo_credit(text: str) -> bool:
    """A credit line of a picture: "(Name/AFP via Getty Images)", "(AA Photo)", "Photo: Name"."""
    reason = chrome_reason(text)
    return reason in ("credit", "label") and names_picture(text)


def _dated_byline(unit: str, profile: AgencyProfile) -> bool:
    by = match_byline(unit, profile) if unit else None
    return bool(by and by.date_text)


def _body_blocks(units: Sequence[str]) -> tuple[Block, ...]:
    blocks: list[Block] = []
    for n, unit in enumerate(units):
        sub = _SUBHEAD_DASHES.match(unit)
        if sub:
            blocks.append(Block(sub.group("text"), "h"))
        elif 0 < n < len(units) - 1 and _caption_like(unit) and len(unit) <= 100 and ends_sentence(units[n + 1]):
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
        if any(mark in sample[:512] for mark in _FRAMING):
            return False
        # Cyrillic or Arabic UTF-8 is full of bytes a single-byte code page would not
        # hold: valid UTF-8 is text, whatever looks_binary says of it
        if b"\x00" in sample or (not _utf8(sample) and looks_binary(sample)):
            return False
        stripped = sample.lstrip(b"\xef\xbb\xbf \t\r\n")
        if stripped[:1] in (b"{", b"[") or _MARKUP_START.match(stripped) or _MARKUP_HINT.search(sample[:1024]):
            return False
        # A UTF-16 text has NUL bytes and is refused above; a cut in the middle of a
        # UTF-8 sequence at the sample's end is harmless with "ignore".
        text = sample.decode("utf-8", errors="ignore")
        if sum(1 for _ in islice(_WORD.finditer(text), MIN_WORDS)) >= MIN_WORDS:
            return True
        # letter-spaced text ("R o m a , 9 o t t .") has letters but no word of two
        return sum(1 for ch in text[:1024] if ch.isalpha()) >= MIN_LETTERS

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        decoded = decode_text(raw, declared_charset(headers))
        text = unicodedata.normalize("NFC", decoded.text)
        # a Markdown scrape: its front matter is metadata, its marks are no text
        front, text = split_front_matter(text)
        markdown = markdown_to_text(text) if front is not None or looks_like_markdown(text) else None
        if markdown is not None:
            text = markdown.text
        despaced = has_spaced_run(text)
        if despaced:
            text = despace(text)  # "R o m a , 9 o t t ." -> "Roma, 9 ott."
        agency = detect_agency(text, headers)
        profile = get_profile(agency)
        units, stamp = _take_stamp(segment(text))
        units, glued = _take_meta_prefix(units)
        stamp += glued
        if not units:
            raise EmptyDispatchError("the text holds nothing but whitespace", format=self.name)

        lay = _lay_out(units, profile)
        head = lay.head
        removed = [*stamp, *(Removed(units[i], r) for i, r in sorted(lay.removed.items()) if r not in _MOVED)]
        removed += lay.inline
        if lay.last is not None:
            units[lay.last] = _end_of_text(units[lay.last], removed)
        if lay.keep and (credited := _SOURCE_PREFIX.match(units[lay.keep[0]])):
            # an aggregator's credit before the lead: "(FEED - Example News Agency (ENA)) CITY, ..."
            removed.append(Removed(credited.group().strip(), "credit"))
            units[lay.keep[0]] = units[lay.keep[0]][credited.end() :]
        body = list(_body_blocks([units[i] for i in lay.keep]))
        if front is not None:
            _apply_front_matter(head, front, removed)
        if markdown is not None:
            head.captions.extend((alt, None) for alt in markdown.captions)
            removed.extend(Removed(text, reason) for text, reason in markdown.removed)
        if not head.headline and not body:
            raise EmptyDispatchError("no headline and no body text in the dispatch", format=self.name)

        language = header_value(headers, "content-language") or header_value(headers, "wf_language")
        extra: list[tuple[str, str]] = [("encoding", decoded.encoding)]
        if decoded.repaired:
            extra.append(("encoding_repaired", "true"))
        if despaced:
            extra.append(("letter_spacing_repaired", "true"))
        if head.language_hint:
            extra.append(("language_hint", head.language_hint))
        associations = tuple(
            Association(name=f"picture-{n}", type="picture", caption=caption, credit=credit)
            for n, (caption, credit) in enumerate(head.captions, start=1)
        )
        language = language or (front.language if front else None)
        item = ParsedItem(
            format=self.name,
            agency=agency,
            language=language.strip().lower() if language and language.strip() else None,
            headline=head.headline,
            summary="\n".join(head.summary) or None,
            body=tuple(body),
            byline=head.byline or head.reporter,
            dateline=head.dateline,
            content_created=head.when,
            first_created=head.created,
            version_created=head.updated,
            section=head.section,
            keywords=tuple(dict.fromkeys(head.keywords)),
            associations=associations,
            removed=tuple(removed),
            extra=tuple(extra),
        )
        log.debug("webtext: agency=%s headline=%r blocks=%d", agency, head.headline, len(body))
        return [item]


def _apply_front_matter(head: _Header, front: FrontMatter, removed: list[Removed]) -> None:
    """The front matter's fields, over what the page's lines gave (it is the site's own metadata)."""
    if front.title:
        if head.headline and text_key(head.headline) != text_key(front.title):
            removed.append(Removed(head.headline, "other-title"))
        head.headline = " ".join(front.title.split())
    if front.author:
        head.byline = front.author
    if front.summary and not head.summary:
        head.summary.append(front.summary)
    if front.section and not head.section:
        head.section = front.section
    head.keywords.extend(k for k in front.keywords if k not in head.keywords)
    head.created = parse_iso(front.created, None) if front.created else None
    if front.modified:
        head.updated = parse_iso(front.modified, None) or head.updated
    removed.extend(Removed(other, "front-matter") for other in front.other)


def _end_of_text(text: str, removed: list[Removed]) -> str:
    """The text's last paragraph without what a site or desk glued to its end.

    "... said. (ABC)", "... BiH. (end) ab/cd" (sign-offs), "... and [...]" (a scraper's
    mark of a cut), "... … Continue reading <title>" (a link to the rest).
    """
    endings = ((vocabulary().read_on, "read-more"), (_CUT_MARK, "truncation-mark"), (_SIGN_OFF_TAIL, "sign-off"))
    for pattern, reason in endings:
        found = pattern.search(text)
        if found and found.start() > 0:
            removed.append(Removed(found.group().strip(), reason))
            text = text[: found.start()].rstrip()
    return text


def _utf8(sample: bytes) -> bool:
    """Valid UTF-8, allowing a sequence cut at the sample's end."""
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data"
    return True
