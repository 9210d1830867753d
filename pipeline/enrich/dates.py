"""Relative dates in the text ("jeudi", "on Thursday", "yesterday", "le 2 janvier"),
resolved against the dispatch date where that is unambiguous.

The dispatch date is the item's ``content_created``, else ``version_created``, else
``first_created``, as a calendar date in the zone the source gave (AA: Europe/Istanbul).

Words come from CLDR (babel), in every locale: weekday and month names, the relative day
names ("yesterday", "hier", "ayer", "dün", "gestern", "avant-hier") and the weekday
phrases ("last Monday", "lundi dernier", "el próximo lunes", "geçen pazartesi"); the
tense cues are ``data/date_cues.toml``. What resolves, and how:

- a relative day name -> the dispatch date plus its offset ("hier" -> the day before);
- "last/next <weekday>" (in the locale's words) -> the previous / next such day, strictly
  before or after the dispatch date; "this <weekday>" -> that day of the dispatch's week;
- a bare weekday: the dispatch's own weekday is the dispatch date ("a discuté jeudi" in a
  Thursday dispatch); another weekday is the previous such day in a clearly past sentence,
  the next one in a clearly future sentence, and unresolved otherwise;
- a day and month without a year ("le 2 janvier", "Jan 13", "2 Ocak") -> that day in the
  year that puts it nearest the dispatch date. A date with its year is not relative and is
  left alone.

Matches never overlap; the longest wins ("lundi dernier" over "lundi").
"""

from __future__ import annotations

import logging
import re
import tomllib
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale, UnknownLocaleError

from pipeline.dateline import prefix_tree
from pipeline.enrich.text import Text
from pipeline.records import DateMention, ParsedItem

log = logging.getLogger(__name__)

_WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_ORDINAL = r"(?:er|re|st|nd|rd|th|\.|º|ª)?"


def reference_date(item: ParsedItem) -> date | None:
    """The dispatch date: content, else version, else first creation, in the source's zone."""
    for when in (item.content_created, item.version_created, item.first_created):
        if when is not None:
            return when.value.date()
    return None


@dataclass(frozen=True, slots=True)
class _Words:
    """One language's date words, compiled."""

    language: str
    relative_days: dict[str, int]  # folded phrase -> day offset
    weekday_phrases: dict[str, tuple[int, int]]  # folded phrase -> (weekday 0=Mon, -1/0/1)
    weekdays: dict[str, int]  # folded name -> weekday
    months: dict[str, int]  # folded name or abbreviation -> month
    pattern: re.Pattern[str]
    screen: re.Pattern[str]  # finds a date word wherever ``pattern`` would (and more)
    # ``screen`` in lower-case ASCII text, without IGNORECASE (see ``_screened``): at the
    # start of the text, and after a non-word character
    ascii_head: re.Pattern[str]
    ascii_after: re.Pattern[str]
    future: re.Pattern[str] | None
    past: re.Pattern[str] | None
    not_after: frozenset[str]
    exact_case: frozenset[str]


@cache
def _cues() -> dict[str, dict[str, Any]]:
    with (resources.files("pipeline.enrich") / "data" / "date_cues.toml").open("rb") as handle:
        return tomllib.load(handle)


def _norm(phrase: str) -> str:
    return " ".join(phrase.replace("\u2019", "'").lower().split())


def _alternatives(phrases: list[str]) -> str:
    """The phrases as one alternation, longest first, any spacing between their words: as a
    tree of common prefixes (the regex engine skips the phrases a letter rules out; tried at
    every word of every sentence, the plain alternation was most of the dates' cost)."""
    return prefix_tree(phrases, ignore_case=True, spaces=r"\s+")


#: what lower-case ASCII text is made of: ASCII, capitals aside
_ASCII_LOWER = [chr(c) for c in range(128) if not "A" <= chr(c) <= "Z"]


@cache
def _ascii_of(char: str) -> str | None:
    """The character of lower-case ASCII text that ``char`` matches under IGNORECASE, as the
    regex engine itself decides ("K" the Kelvin sign: "k"; "é": none)."""
    found = [c for c in _ASCII_LOWER if re.fullmatch(f"(?i:{re.escape(char)})", c)]
    if len(found) > 1:  # two ASCII characters that are one another's case: none are
        raise ValueError(f"{char!r} matches {found} under IGNORECASE")
    return found[0] if found else None


def _ascii_spelled(phrases: list[str]) -> set[str]:
    """Each phrase as lower-case ASCII text must spell it to match the phrase under
    IGNORECASE (a space stays a space: any spacing); a phrase no such text can spell left out."""
    spelled = set()
    for phrase in phrases:
        chars = [char if char == " " else _ascii_of(char) for char in phrase]
        if all(chars):
            spelled.add("".join(typing.cast(list[str], chars)))
    return spelled


def _ascii_alternatives(phrases: list[str]) -> str:
    """``_alternatives(phrases)`` for lower-case ASCII text, case-sensitive: the same matches
    there, without IGNORECASE, which keeps the regex engine from ruling out a branch by its
    first character (it compared each in turn, at every word)."""
    spelled = _ascii_spelled(phrases)
    return prefix_tree(spelled, spaces=r"\s+") if spelled else "(?!)"


def _screened(w: _Words, value: str) -> bool:
    """``w.screen.search(value)``: in ASCII text, the lower-case text searched with the
    ASCII patterns (IGNORECASE reads a character as its lower case: the same matches), a
    date word after a non-word character (the screen's ``(?<!\\w)``) found from that
    character, which the regex engine skips to; at the start of the text, matched there."""
    if not value.isascii():
        return w.screen.search(value) is not None
    low = value.lower()
    return w.ascii_head.match(low) is not None or w.ascii_after.search(low) is not None


@cache
def words(language: str | None) -> _Words | None:
    """The date words of ``language`` (primary subtag) from CLDR, or None for a locale babel lacks."""
    lang = (language or "").split("-")[0].lower()
    if not lang:
        return None
    try:
        locale = Locale.parse(lang)
    except (ValueError, UnknownLocaleError):
        return None
    fields = locale._data["date_fields"]  # CLDR "relative" day and weekday names
    relative_days = {_norm(v): int(k) for k, v in dict(fields["day"].get("relative", {})).items()}
    weekday_phrases: dict[str, tuple[int, int]] = {}
    for weekday, key in enumerate(_WEEKDAY_KEYS):
        for offset, phrase in dict(fields.get(key, {}).get("relative", {})).items():
            weekday_phrases[_norm(phrase)] = (weekday, int(offset))
    weekdays: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for weekday, name in locale.days[context]["wide"].items():
            weekdays[_norm(name)] = int(weekday)
    months: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for month, name in locale.months[context][width].items():
                name = _norm(name).rstrip(".")
                if len(name) >= 3:
                    months[name] = int(month)
    if lang == "en":
        months["sept"] = 9  # the agencies' abbreviation, not CLDR's "Sep"
    cues = _cues().get(lang, {})
    words_pattern = _date_words(months, [*relative_days, *weekday_phrases], list(weekdays), _alternatives)
    ascii_words = _date_words(months, [*relative_days, *weekday_phrases], list(weekdays), _ascii_alternatives)
    names = [*months, *relative_days, *weekday_phrases, *weekdays]
    first = {spelled[0] for spelled in _ascii_spelled(names)} | set("0123456789l")
    pattern = re.compile(rf"(?<!\w){words_pattern}(?!\w)", re.IGNORECASE)
    # the pattern without its closing (?!\w): it finds something in a segment wherever the
    # pattern finds a date word in one of the segment's sentences (a sentence's own match
    # is there, with the same characters before it), so a segment it finds nothing in has
    # no date word; most segments have none
    screen = re.compile(rf"(?<!\w){words_pattern}", re.IGNORECASE)
    return _Words(
        lang,
        relative_days,
        weekday_phrases,
        weekdays,
        months,
        pattern,
        screen,
        re.compile(ascii_words),
        # a non-word character of lower-case ASCII text (the regex engine skips to the next
        # one), then a character a date word can begin with: a name's first letter, the day's
        # figure, "le"
        re.compile(rf"[^0-9a-z_](?=[{re.escape(''.join(sorted(first)))}]){ascii_words}"),
        re.compile(cues["future"], re.IGNORECASE) if cues.get("future") else None,
        re.compile(cues["past"], re.IGNORECASE) if cues.get("past") else None,
        frozenset(_norm(w) for w in cues.get("not_after", [])),
        frozenset(cues.get("exact_case", [])),
    )


def _date_words(
    months: dict[str, int], phrases: list[str], weekdays: list[str], alternatives: Callable[[list[str]], str]
) -> str:
    """A date word (what follows the ``(?<!\\w)`` of the screen and the pattern), its names'
    alternations made by ``alternatives``."""
    month_names = alternatives(list(months))
    day_first = rf"(?:\ble\s+)?(?P<d1>\d{{1,2}}){_ORDINAL}\s+(?:de\s+)?(?P<m1>{month_names})\.?"
    month_first = rf"(?P<m2>{month_names})\.?\s+(?P<d2>\d{{1,2}}){_ORDINAL}"
    return (
        rf"(?:(?P<phrase>{alternatives(phrases)})"
        rf"|{day_first}|{month_first}"
        rf"|(?P<weekday>{alternatives(weekdays)}))"
    )


def _sentences(value: str) -> Iterator[tuple[int, str]]:
    for match in _SENTENCE.finditer(value):
        yield match.start(), match.group()


def _tense(sentence: str, w: _Words) -> int:
    """+1 clearly future, -1 clearly past, 0 neither or both."""
    future = bool(w.future and w.future.search(sentence))
    past = bool(w.past and w.past.search(sentence))
    return 1 if future and not past else -1 if past and not future else 0


def _weekday_date(reference: date, weekday: int, direction: int) -> date:
    """The previous (-1) or next (+1) such weekday, strictly; 0: that day of the reference's week."""
    if direction == 0:
        return reference + timedelta(days=weekday - reference.weekday())
    if direction < 0:
        return reference - timedelta(days=(reference.weekday() - weekday) % 7 or 7)
    return reference + timedelta(days=(weekday - reference.weekday()) % 7 or 7)


def _day_month(reference: date, day: int, month: int) -> date | None:
    """The date with this day and month nearest ``reference`` (last, this or next year)."""
    candidates = []
    for year in (reference.year - 1, reference.year, reference.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    return min(candidates, key=lambda d: abs(d - reference)) if candidates else None


def _followed_by_year(value: str, end: int) -> bool:
    return re.match(r"\s*,?\s*(?:\d{4}|'\d{2})(?!\d)", value[end:]) is not None


def _resolve(match: re.Match[str], sentence: str, reference: date, w: _Words) -> date | None:
    phrase = match.group("phrase")
    if phrase is not None:
        key = _norm(phrase)
        if key in w.relative_days:
            return reference + timedelta(days=w.relative_days[key])
        weekday, offset = w.weekday_phrases[key]
        return _weekday_date(reference, weekday, offset)
    weekday_name = match.group("weekday")
    if weekday_name is not None:
        weekday = w.weekdays[_norm(weekday_name)]
        if weekday == reference.weekday():
            return reference
        tense = _tense(sentence, w)
        return _weekday_date(reference, weekday, tense) if tense else None
    day = match.group("d1") or match.group("d2")
    month_name = match.group("m1") or match.group("m2")
    month = w.months.get(_norm(month_name).rstrip("."))
    if not day or month is None:
        return None
    return _day_month(reference, int(day), month)


def find_dates(text: Text, language: str | None, reference: date | None) -> tuple[DateMention, ...]:
    """The relative dates of ``text`` resolved against ``reference``, in text order."""
    w = words(language)
    if w is None or reference is None:
        return ()
    out: list[DateMention] = []
    for segment in text.segments:
        value = text.value[segment.start : segment.end]
        if not _screened(w, value):
            continue
        for _, sentence in _sentences(value):
            for match in w.pattern.finditer(sentence):
                literal = match.group(0)
                if _rejected(match, sentence, w):
                    continue
                resolved = _resolve(match, sentence, reference, w)
                if resolved is not None:
                    out.append(DateMention(text=" ".join(literal.split()), date=resolved.isoformat()))
    return tuple(out)


def _rejected(match: re.Match[str], sentence: str, w: _Words) -> bool:
    literal = match.group(0)
    if match.group("d1") or match.group("d2"):
        return _followed_by_year(sentence, match.end())  # an absolute date, not a relative one
    key = _norm(literal)
    if key in w.exact_case and literal != key and sentence[: match.start()].strip():
        return True  # "am Morgen" (in the morning), not "morgen" (tomorrow)
    before = sentence[: match.start()].split()
    return bool(before) and _norm(before[-1]) in w.not_after and key in w.relative_days
