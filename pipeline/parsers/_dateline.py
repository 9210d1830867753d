"""Datelines as the XML formats print them, split into place, date text and agency.

Sources print "STOCKHOLM, Aug 29, 2014 (AFP) -", "London (dpa) - ", "Strasbourg, 10 juil
2024 (AFP)", "نيويورك (أ ف ب)", "FORT WASHINGTON, Pa.", "PRIEGO DE CÓRDOBA (CÓRDOBA)" (a
province in brackets: a known place that names no agency is the region), or only a date ("4/4/2018",
Reuters' "2014-07-16 15:53:10 GMT+00:00", "MARCH 04, 2013"). The shape is general: an
optional agency in parentheses (or between slashes, "/ritzau/") at the end, and a place
followed by a date after the first comma. Whether a piece is a date is decided by its
words: digits, time and zone tokens, and month and weekday names in the languages the
agencies write (from babel's CLDR data, not a hand list).
"""

from __future__ import annotations

import re
from functools import cache

from babel.dates import get_day_names, get_month_names

from pipeline.records import Dateline

#: languages whose month and weekday names mark a date in a dateline
DATE_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "da", "nb", "sv", "fi", "tr", "ar", "el", "ru")
#: small words that may sit inside a printed date ("2 de enero de 2017", "the 4th")
_DATE_GLUE = frozenset(
    {"de", "del", "of", "the", "le", "den", "der", "am", "pm", "gmt", "utc", "z", "st", "nd", "rd", "th"}
)

_WS = re.compile(r"\s+")
_AGENCY_PARENS = re.compile(r"\(([^()]{1,40})\)\s*[-–—:.]*\s*$")
_AGENCY_SLASHES = re.compile(r"(/[^/\s][^/]{0,30}/)\s*[-–—:.]*\s*$")
_TRAILER = re.compile(r"[\s\-–—:]+$")
_TOKEN = re.compile(r"[^\W\d_]+|\d+", re.U)


@cache
def _date_words() -> frozenset[str]:
    words: set[str] = set(_DATE_GLUE)
    for lang in DATE_LANGUAGES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for names in (get_month_names(width, context, lang), get_day_names(width, context, lang)):
                    for name in names.values():
                        words.update(w.casefold() for w in _TOKEN.findall(name))
    words.add("sept")
    return frozenset(words)


def is_date_text(text: str) -> bool:
    """True when every word of ``text`` belongs to a printed date and one is a number or month/day name."""
    tokens = _TOKEN.findall(text)
    if not tokens:
        return False
    words = _date_words()
    meaningful = False
    for token in tokens:
        if token.isdigit():
            meaningful = True
        elif token.casefold() in words:
            meaningful = meaningful or token.casefold() not in _DATE_GLUE
        else:
            return False
    return meaningful


def parse_dateline(raw: str | None) -> Dateline | None:
    """A ``Dateline`` from its printed text; None for empty text."""
    if raw is None:
        return None
    text = _WS.sub(" ", raw).strip()
    if not text:
        return None
    agency = region = None
    rest = text
    match = _AGENCY_PARENS.search(rest) or _AGENCY_SLASHES.search(rest)
    if match:
        agency = match.group(1).strip().strip("/").strip() or None
        rest = rest[: match.start()]
        if agency and match.re is _AGENCY_PARENS and _region_not_agency(agency):
            # "PRIEGO DE CÓRDOBA (CÓRDOBA)": a province in brackets, not an agency
            agency, region = None, agency
    rest = _TRAILER.sub("", rest).strip().rstrip(",").strip()
    place = date_text = None
    if rest:
        if is_date_text(rest):
            date_text = rest
        else:
            head, sep, tail = rest.partition(",")
            if sep and is_date_text(tail):
                place, date_text = head.strip() or None, tail.strip()
            else:
                place = rest
            place, date_text = _date_inside_place(place, date_text)
    return Dateline(raw=text, place=place, agency=agency, date_text=date_text, region=region)


def _date_inside_place(place: str | None, date_text: str | None) -> tuple[str | None, str | None]:
    """A date printed at the end of the place part ("SAID TO BE DECEMBER 31, 2015") is the date's.

    What stands before it is a place only if the gazetteer knows it ("LONDON MARCH 3"):
    "SAID TO BE" is a hedge, not a place.
    """
    if not place:
        return place, date_text
    words = place.split()
    for k in range(len(words) - 1):
        tail = " ".join(words[k:])
        if any(ch.isdigit() for ch in tail) and is_date_text(tail):
            from pipeline import dateline  # the place gazetteer

            head = " ".join(words[:k]).strip(" ,") or None
            date = f"{tail}, {date_text}" if date_text else tail
            return (head if head and dateline.resolved(head) else None), date
    return place, date_text


def _region_not_agency(text: str) -> bool:
    """Bracketed text that is a known place and names no agency (see ``pipeline.dateline``)."""
    from pipeline import dateline  # the grammar's agency names and the place gazetteer

    return not dateline.known_agency(text) and dateline.resolved(text)
