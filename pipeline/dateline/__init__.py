"""Datelines of every agency: one grammar, composed from data.

Agencies print where a story was filed, and by whom, in a handful of shapes, each in its
own language and script:

    KAZAN, October 5. /TASS/.        BEIJING, Dec. 26 (Xinhua) --     BELGRADE, Serbia (AP) —
    Madrid, 15 ene (EFE).-           (ANSA) - ROMA, 15 AGO -          İSTANBUL (AA) -
    AA - Ankara - <reporter>         AA / Istanbul                    رام الله/ <reporter>/ الأناضول-
    غزة- قنا- الأناضول-              ANKARA. KAZINFORM                Hamburg (dpa/lno).
    12.12.2018, Warszawa (PAP) –     (Bernama) –                      LONDON, March 3 -
    ... said. - İSTANBUL             ANKARA-BHA (at the end)

The shapes are the grammar (``_PRODUCTIONS``): place, region, date, agency and reporter
slots around separators. What fills a slot is data, not a pattern per sample:

- agency: the names, aliases and acronyms of news agencies in every script
  (``data/grammar.toml``, plus every profile's ``aliases``); between brackets any short
  name is an agency when the rest of the dateline holds;
- date: day and month in the month names and abbreviations of every agency language
  (CLDR, through babel), or in figures ("14/3", "12.12.2018");
- place: a capitalised (or upper-case) run of words in the place slot, or words of a
  script without case; resolved against the GeoNames gazetteer the enrich stage builds
  (``pipeline.enrich.gazetteer``) and the profile's ``dateline_places``.

How much a shape must prove depends on what else it holds. A dateline naming its agency
(or a date and a place) is strong: a plausible place is enough. A bare "PLACE -" or a
place alone on a line is weak: the place must be printed in capitals and known to the
gazetteer (``prefix``), or, at the start of a lead followed by a sentence, in capitals
and not a wire label ("UPDATE -"), or known and capitalised (``lead``). Whatever follows
a dateline must start a sentence, so that "Acme Corp (ACME) - shares fell" is no
dateline, and no slot runs past a few words, so that a dateline never eats the lead.

Modes (a caller asks for the ones that fit where it looks): ``line`` (the whole text is
the dateline), ``prefix`` (at the start of a text), ``lead`` (weak shapes at the start of
a lead paragraph), ``suffix`` (a dateline closing the last paragraph: "... dedi. -
İSTANBUL", or a last line "ANKARA-BHA").

``find`` returns a ``pipeline.profiles.DatelineMatch``; ``pipeline.profiles.match_dateline``
asks the agency's own patterns first and this grammar after them.
"""

from __future__ import annotations

import logging
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.profiles import AgencyProfile, DatelineMatch, Pattern

log = logging.getLogger(__name__)

__all__ = ["MODES", "agency_names", "find", "known_agency", "resolved", "upper_case"]

#: where a caller may look for a dateline (see the module docstring)
MODES = ("line", "prefix", "lead", "suffix")
#: a place has at most this many words (particles aside)
MAX_PLACE_WORDS = 4
#: a lead after a weak dateline is a sentence of at least this many words
MIN_LEAD_WORDS = 6


# --------------------------------------------------------------------------- vocabulary


def _read() -> dict[str, Any]:
    text = resources.files("pipeline.dateline").joinpath("data", "grammar.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split())).replace("İ", "I").casefold()


@dataclass(frozen=True)
class _Vocabulary:
    agencies: Mapping[str, str]  # folded name -> agency id
    labels: frozenset[str]  # folded
    particles: frozenset[str]
    corporate: frozenset[str]
    outlet_words: frozenset[str]  # folded words of an agency's or outlet's own name
    suffixes: str  # alternation of case endings written after an apostrophe on a name
    months: frozenset[str]  # folded month names and abbreviations
    agency_pattern: str  # alternation of agency names
    month_pattern: str  # alternation of month names


def _alternation(names: Iterable[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))


def prefix_tree(names: Iterable[str], ignore_case: bool = False, spaces: str | None = None) -> str:
    """``_alternation(names)`` as a tree of common prefixes: the same matches, tried in the
    same order (at a position, the longest name that matches first), without trying the
    names one by one. The month names are ~900 alternatives; under ``(?i:...)`` the regex
    engine cannot skip an alternative by its first letter, and the dateline shapes try
    them at every place a word may end (a Reuters lead cost up to 20 ms).

    With ``ignore_case`` the pattern goes inside ``(?i:...)`` and letters the engine takes
    for one another there (its own judgement: "σ" and "ς", "s" and "ſ") share a branch. With
    ``spaces``, a space in a name is that pattern instead (any spacing between its words)."""
    names = {n for n in names if n}
    same: dict[str, str] = {}
    if ignore_case:
        for char in sorted({c for n in names for c in n}):
            same[char] = next((k for k in same.values() if re.fullmatch(re.escape(k), char, re.IGNORECASE)), char)
    tree: dict[str, Any] = {}
    for name in names:
        node = tree
        for char in name:
            node = node.setdefault(same.get(char, char), {})
        node[""] = {}  # a name ends here

    def emit(node: dict[str, Any]) -> str:
        # longer names first: every branch that goes on before the one that ends here
        branches = [
            (spaces if spaces is not None and char == " " else re.escape(char)) + emit(child)
            for char, child in node.items()
            if char
        ]
        if not branches:
            return ""
        ends = "" in node
        if len(branches) == 1 and not ends:
            return branches[0]
        return f"(?:{'|'.join(branches)}{'|' if ends else ''})"

    return emit(tree)


def _month_names(locales: Iterable[str], extra: Iterable[str]) -> set[str]:
    from babel.dates import get_month_names

    names: set[str] = set(extra)
    for locale in locales:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                try:
                    found = get_month_names(width, context, locale)
                except (ValueError, LookupError):
                    log.warning("dateline grammar: babel has no months for %r", locale)
                    continue
                for name in found.values():
                    name = name.strip().rstrip(".")
                    if len(name) >= 3 and not any(c.isdigit() for c in name):
                        names.add(name)
    return names


#: the month names of ``month_locales`` and ``month_extra`` (grammar.toml), one a line
MONTHS_FILE = "months.txt"


def month_names() -> list[str]:
    """The source of ``data/months.txt``: the month names and abbreviations of the grammar's
    locales (CLDR, through babel), sorted. Reading 51 locales' CLDR data holds ~55 MB in the
    parse stage's process for good (babel keeps every locale it loaded); the file, nothing.
    A test checks the file is current."""
    data = _read()
    return sorted(_month_names(data.get("month_locales", ("en",)), data.get("month_extra", ())))


def _months_file() -> list[str]:
    text = resources.files("pipeline.dateline").joinpath("data", MONTHS_FILE).read_text(encoding="utf-8")
    return [line for line in text.split("\n") if line]


@cache
def _vocabulary() -> _Vocabulary:
    from pipeline.profiles import all_profiles  # the profiles' aliases join the agency names

    data = _read()
    agencies: dict[str, str] = {}
    printed: set[str] = set()
    # a profile's own names first: "APA" is the Austrian agency's, which has a profile
    for profile in all_profiles():
        for name in (*profile.aliases, profile.id.upper()):
            agencies.setdefault(_fold(name.strip(".")), profile.id)
            printed.add(name)
    for agency_id, names in data.get("agencies", {}).items():
        for name in names:
            agencies.setdefault(_fold(name), agency_id)
            printed.add(name)
    months = _months_file()
    # short acronyms in capitals only ("AA", "AP"); longer names in any case
    short = {n for n in printed if len(n) <= 3}
    longer = {n for n in printed if len(n) > 3}
    agency_pattern = f"(?:{prefix_tree(short)}|(?i:{prefix_tree(longer, ignore_case=True)}))"
    return _Vocabulary(
        agencies=agencies,
        labels=frozenset(_fold(x) for x in data.get("labels", ())),
        particles=frozenset(data.get("particles", ())),
        corporate=frozenset(data.get("corporate", ())),
        outlet_words=frozenset(_fold(w) for w in data.get("outlet_words", ())),
        suffixes=_alternation(s for endings in data.get("place_suffixes", {}).values() for s in endings),
        months=frozenset(_fold(m) for m in months),
        agency_pattern=agency_pattern,
        month_pattern=f"(?i:{prefix_tree(months, ignore_case=True)})",
    )


def agency_names() -> Mapping[str, str]:
    """Every agency name the grammar knows (case-folded) and the agency it names."""
    return _vocabulary().agencies


def known_agency(text: str | None) -> bool:
    """Whether ``text`` names a known agency, alone or with a desk ("dpa/lno", "Antara Bali")."""
    if not text:
        return False
    agencies = _vocabulary().agencies
    if _fold(text) in agencies:
        return True
    return any(_fold(part) in agencies for part in re.split(r"[/\s,-]+", text) if part)


# --------------------------------------------------------------------------- the grammar

# A word of a place: letters first, then letters, apostrophes, dots and hyphens
# ("SAINT-ÉTIENNE", "N'Djamena", "St.Louis").
_W = r"[^\W\d_][\w'’.\-]*(?<![.\-])"
_WORDS = r"{w}(?:[ \u00a0]+{w}){{0,{n}}}"


def _grammar_parts() -> dict[str, str]:
    v = _vocabulary()
    particle = _alternation(v.particles)
    words = rf"{_W}(?:[ \u00a0]+(?:(?:{particle})[ \u00a0]+)*{_W}){{0,{MAX_PLACE_WORDS + 2}}}"
    place = rf"(?P<place>{words}(?:\s*/\s*{words})?)"  # "GAZA/JERUSALEM", "Tel Aviv/Beirut"
    month = v.month_pattern
    day_after = r"\d{1,2}(?:st|nd|rd|th)?"  # "March 3", "Sept 28th"
    day_before = r"\d{1,2}(?:er|º|°)?\.?"  # "15 ene", "1er mars", "29. rujna"
    year = r"\d{4}"
    date = (
        r"(?P<date>"
        rf"{month}\.?[ \u00a0]+{day_after}(?:,?[ \u00a0]+{year})?"  # Dec. 26, March 3, 2014
        rf"|{day_before}[ \u00a0]*(?:de[ \u00a0]+)?{month}(?:\.(?=[ \u00a0]*\d))?(?:[ \u00a0]+(?:de[ \u00a0]+)?{year})?"
        r"|\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?"  # 14/3, 26/02, 12.12.2018
        r"|\d{4}-\d{2}-\d{2}"
        r"|\d{1,2}(?=\s*\()"  # the day alone, before the agency: "CITY, 2 (EUROPA PRESS)"
        r")(?![\w/])"
    )
    region = rf"(?P<region>(?!{month}\b){_W}(?:[ \u00a0]+{_W}){{0,2}}\.?)"
    known = v.agency_pattern
    return {
        "PLACE1": rf"(?P<place>{words})",  # one place, where a slash separates slots
        "PLACE": place,
        "DATE": date,
        "REGION": region,
        # any short name between brackets; whether it is an agency is checked afterwards
        "AGP": r"\(\s*(?P<agency>[^\W\d_][^()\n]{0,30}?)\s*\)",
        "AGS": rf"/\s*(?P<agency2>{known})\s*/",
        "AGB": rf"(?P<agency>{known})(?![\w])",
        "KNOWN": rf"(?:{known})(?![\w])",
        # a news site's address used as its name: "EXAMPLE.COM", "Example.co.id"
        "OUTLET": r"(?P<agency>[^\W\d_][\w-]*(?:\.[\w-]+)*\.(?i:com|net|org|info|news|[a-z]{2})(?:\.(?i:[a-z]{2}))?)",
        # credits before a place, separated by bars: "AGENCY | OUTLET | "
        "CREDITS": r"(?P<credits>(?:[^|\n]{2,40}?\s*\|\s*){1,5})",
        # a word in capitals, its case ending in lower case after an apostrophe: "HATAY'ın"
        "INWORD": rf"(?P<place>[^\W\d_](?:[^\W\d_]|[ \u00a0](?=[^\W\d_]{{2}})){{2,30}})(?=['’](?:{v.suffixes})\s)",
        "SEP": r"(?:\s*\.?\s*[-–—_=]+|\s*:|\s*\.(?!\w))",
        "DASH": r"\s*[-–—]+",
    }


@dataclass(frozen=True)
class _Production:
    name: str
    mode: str  # line, prefix, lead, suffix
    strength: str  # "strong": holds an agency, or a place and a date; "weak": a place alone
    regex: re.Pattern[str]
    #: a character the dateline's window must hold for the shape to be tried at all
    needs: re.Pattern[str] | None = None


#: the shapes of a dateline; slots in braces (see ``_grammar_parts``); order matters
_SHAPES: tuple[tuple[str, str, str, str], ...] = (
    # BEIJING, Dec. 26 (Xinhua) --   Madrid, 15 ene (EFE).-   KAZAN, October 5. /TASS/.
    # BELGRADE, Serbia (AP) —   Cuenca (Ecuador), 3 mar (EFE).-   Hamburg (dpa/lno).
    (
        "place-agency",
        "prefix",
        "strong",
        r"^{PLACE}(?:,\s*{REGION}|\s*\((?P<region2>[^()\n\d]{2,30})\))?(?:,?\s*{DATE})?\.?\s*(?:{AGP}|{AGS})(?P<sep>{SEP})?\s*",
    ),
    # (ANSA) - ROMA, 15 AGO -
    ("agency-place", "prefix", "strong", r"^{AGP}{DASH}\s*{PLACE}(?:,\s*{DATE})?{DASH}\s*"),
    # 12.12.2018, Warszawa (PAP) –
    ("date-place-agency", "prefix", "strong", r"^{DATE},?\s+{PLACE}\s*{AGP}(?P<sep>{SEP})?\s*"),
    # Mar 3 (Opta) -
    ("date-agency", "prefix", "strong", r"^{DATE}\s*{AGP}{DASH}\s*"),
    # (Bernama) –
    ("agency", "prefix", "strong", r"^{AGP}(?:{DASH}|\s*:)\s*"),
    # ANKARA. KAZINFORM   Москва. 23 января. INTERFAX.RU -
    ("place-dot-agency", "prefix", "strong", r"^{PLACE}\.\s+(?:{DATE}\.\s+)?{AGB}(?:{SEP})?\s*"),
    # HOBART, Mar 3 AAP -   LONDON, March 3 -
    ("place-date", "prefix", "strong", r"^{PLACE}(?:,\s*{REGION})?,\s*{DATE}\.?(?:\s+{AGB})?{DASH}\s*"),
    # رام الله/ <reporter>/ الأناضول-   غزة- قنا- الأناضول-   غزة/ الأناضول
    (
        "place-chain",
        "prefix",
        "strong",
        r"^{PLACE1}\s*[/\-–—]\s*(?:(?P<reporter>[^/\n\-–—]{2,60}?)\s*/\s*)?(?:{KNOWN}\s*[/\-–—]\s*)*{AGB}\s*[-–—:]?\s*",
    ),
    # AA - Ankara - <reporter>   AA / Istanbul
    (
        "agency-place-line",
        "line",
        "strong",
        r"^{AGB}\s*[-–—/]\s*{PLACE}(?:\s*[-–—]\s*(?P<reporter>[^\W\d_][^\n\-–—]{2,60}))?\s*$",
    ),
    # Istanbul / AA   ANKARA-BHA
    ("place-agency-line", "line", "strong", r"^{PLACE}\s*[-–—/]\s*{AGB}\.?\s*$"),
    # EXAMPLE.COM, JAKARTA - ...   JAKARTA, Example.com - ...   (a news site names itself)
    ("outlet-place", "prefix", "strong", r"^{OUTLET},\s*{PLACE}(?:,\s*{REGION})?{DASH}\s*"),
    ("place-outlet", "prefix", "strong", r"^{PLACE},\s*{OUTLET}{DASH}\s*"),
    # AGENCY | OUTLET | BOGOTÁ   (a credit line ending with the place)
    ("credit-chain", "line", "strong", r"^{CREDITS}{PLACE1}\s*$"),
    # HATAY'ın Altınözü ilçesinde ...   (the lead's first word, the place in capitals)
    ("place-in-word", "prefix", "inword", r"^{INWORD}"),
    # HALIFAX - ...   Praha - ...   TENOM – ...
    ("place-dash", "prefix", "weak", r"^{PLACE}(?:,\s*{REGION})?\s+[-–—]+\s+(?=[^\W\d_]|[\"“«„'‘])"),
    # ANKARA   GIRESUN, Türkiye   (alone on a line)
    ("place-alone", "line", "weak", r"^{PLACE}(?:,\s*{REGION})?\s*$"),
    # ... dedi. - İSTANBUL
    ("end-dash-place", "suffix", "weak", r"(?<=[.!?\"”»…)])\s*[-–—]\s*{PLACE}\s*$"),
    # ... (a last line) ANKARA-BHA
    ("end-place-agency", "suffix", "strong", r"(?:^|\n)\s*{PLACE1}\s*[-–—/]\s*{AGB}\.?\s*$"),
)


@cache
def _productions() -> tuple[_Production, ...]:
    parts = _grammar_parts()
    out = []
    for name, mode, strength, shape in _SHAPES:
        pattern = shape
        for key, value in parts.items():
            pattern = pattern.replace("{" + key + "}", value)
        needs = _NEEDS.get(name)
        if needs is not None:
            v = _vocabulary()
            marks = {c for particle in v.particles for c in particle if not (c.isalnum() or c.isspace())}
            needs = needs.replace("{PARTICLE_MARKS}", re.escape("".join(sorted(marks))))
            # a word of a place begins with a letter; so does every particle of the data (else
            # a figure may begin one: the need lets it)
            figure = r"(?!\d)" if not any(p[:1].isdigit() for p in v.particles) else ""
            needs = needs.replace("{NO_FIGURE}", figure).replace("{KNOWN}", v.agency_pattern)
        out.append(_Production(name, mode, strength, re.compile(pattern), re.compile(needs) if needs else None))
    return tuple(out)


@cache
def _plan(modes: tuple[str, ...]) -> tuple[tuple[tuple[_Production, int], ...], int, int]:
    """The productions ``find`` tries for ``modes``, in the grammar's order (a lead starts a
    text: "lead" brings "prefix"), each with the number of its need among the different
    (need, mode) pairs (-1: none; productions share a need's answer); how many needs there
    are; and how many productions it takes to reach the last that may name an agency."""
    wanted = set(modes) | ({"prefix"} if "lead" in modes else set())
    numbers: dict[tuple[int, str], int] = {}  # by id: a Pattern's hash reads its whole code
    plan = []
    naming = 0
    for production in _productions():
        if production.mode not in wanted:
            continue
        need = -1
        if production.needs is not None:
            need = numbers.setdefault((id(production.needs), production.mode), len(numbers))
        plan.append((production, need))
        if _AGENCY_SLOTS & set(production.regex.groupindex):
            naming = len(plan)
    return tuple(plan), len(numbers), naming


#: the groups a dateline's agency is read from (``find``): a shape without any names none
_AGENCY_SLOTS = frozenset({"agency", "agency2", "credits"})


#: what a shape cannot do without (a cheap test before the full pattern, which backtracks
#: over the place's words on a long line)
_NEEDS = {
    # the agency in brackets (AGP), or a known one between slashes (AGS)
    "place-agency": r"\(\s*[^\W\d_][^()\n]{0,30}?\s*\)|/\s*(?:{KNOWN})\s*/",
    "date-place-agency": r"\(",
    "date-agency": r"\(",
    # a known agency (AGB) after the dot and spacing that end the place or the date
    "place-dot-agency": r"\.\s+(?:{KNOWN})(?![\w])",
    # a comma, a date (every shape of which has a digit), a dash: after the first comma, as
    # that has whatever a later one has after it (each run taken whole: no backtracking)
    "place-date": r"^[^,]*+,\D*+\d[^-–—]*+[-–—]",
    # the agency (AGB) comes right after a separator and spacing, whatever comes between
    # the place and it (a reporter, other agencies)
    "place-chain": r"[/\-–—]\s*(?:{KNOWN})(?![\w])",
    # (a need opens with the rarest character it needs, which the regex engine scans for,
    # and looks behind it for what comes before: the same texts pass)
    "place-dash": r"[-–—](?<=\s[-–—])[-–—]*\s+(?:[^\W\d_]|[\"“«„'‘])",
    # a site's address: its last dot and the first two letters of its domain
    "outlet-place": r"\.(?<=[\w-]\.)(?i:[a-z]{2})",
    "place-outlet": r"\.(?<=[\w-]\.)(?i:[a-z]{2})",
    "credit-chain": r"\|",
    "place-in-word": r"['’]",
    "place-agency-line": r"[-–—/]\s*(?:{KNOWN})(?![\w])\.?\s*$",
    # a line of place words and nothing else ({PARTICLE_MARKS}: what the particles add),
    # none of them opening with a figure ({NO_FIGURE}: a word, a particle or a region
    # begins after the start, spacing, a slash or a comma)
    # (runs taken whole, possessively: no backtracking on a line that fails)
    "place-alone": r"^{NO_FIGURE}(?:[\w'’.\-{PARTICLE_MARKS}]++|[\s/,]++{NO_FIGURE})++$",
}
#: a dateline is within this many characters of the start of a text (or of its end)
WINDOW = 160


@cache
def _pattern_of(name: str) -> Pattern:
    from pipeline.profiles import Pattern

    return Pattern(kind="dateline", regex=re.compile(""), name=f"grammar:{name}", profile="grammar")


# --------------------------------------------------------------------------- the slots


def _cased(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and letters[0].lower() != letters[0].upper()


_DOMAIN = re.compile(r"[^\W\d_]{2,}\.(?:com|net|org|info|news|co|[a-z]{2})$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _plausible_place(place: str) -> bool:
    """A capitalised (or upper-case) run of words, or words of a script without case.
    (Kept per place: a wire's datelines name the same few places again and again.)"""
    v = _vocabulary()
    words = [w for w in re.split(r"[\s/]+", place) if w]
    if not words or len([w for w in words if w not in v.particles]) > MAX_PLACE_WORDS + 1:
        return False
    if _fold(place) in v.labels or _fold(place) in v.months or _fold(place) in v.agencies:
        return False
    if any(w.strip(".") in v.corporate or _DOMAIN.search(w) for w in words):
        return False  # a company ("Acme Corp") or a web address ("EXAMPLE.COM") is no place
    if any(_fold(w) in v.outlet_words for w in words):
        return False  # an agency's own name ("BULGARIAN TELEGRAPH AGENCY") is no place
    for word in words:
        if word in v.particles:
            continue
        if _cased(word) and not word[0].isupper():
            return False
    return True


def upper_case(place: str) -> bool:
    """Printed in capitals ("İSTANBUL", "GAZA CITY"); False for scripts without case."""
    if place.isascii():  # every ASCII letter has a case: what str.isupper says
        return place.isupper()
    letters = [c for c in place if c.isalpha()]
    cased = [c for c in letters if c.lower() != c.upper()]
    return bool(cased) and len(cased) == len(letters) and all(c.isupper() for c in cased)


def resolved(place: str, profile: AgencyProfile | None = None) -> bool:
    """Whether ``place`` (each part of "GAZA/JERUSALEM") is a place the gazetteer or the
    agency's profile knows."""
    from pipeline.enrich import gazetteer  # the place gazetteer of the enrich stage (cached on disk)
    from pipeline.enrich.phrases import phrase_key

    # its names alone: whether a word is a place (the whole gazetteer is for enrichment)
    known = gazetteer.names()
    for part in re.split(r"\s*/\s*", place):
        part = part.strip(" .,")
        if not part:
            return False
        if (profile is not None and part in profile.dateline_places) or _profile_place(part):
            continue
        if phrase_key(part) not in known:
            return False
    return True


@cache
def _profile_places() -> frozenset[str]:
    """Places the agencies' profiles print that the gazetteer lacks (provinces named after no city), folded."""
    from pipeline.profiles import all_profiles

    return frozenset(_fold(p) for profile in all_profiles() for p in profile.dateline_places)


def _profile_place(name: str) -> bool:
    return _fold(name) in _profile_places()


def _starts_sentence(rest: str) -> bool:
    """What follows a dateline starts a sentence: not a lower-case word."""
    rest = rest.lstrip(" \u00a0\"'“”«»„‘’(")
    if not rest:
        return True
    return not (rest[0].isalpha() and rest[0].islower())


def _words(text: str) -> int:
    return len(text.split())


def _sentence(rest: str) -> bool:
    return _starts_sentence(rest) and len(rest.split()) >= MIN_LEAD_WORDS


# --------------------------------------------------------------------------- matching


def _group(m: re.Match[str], name: str) -> str | None:
    if name not in m.re.groupindex:
        return None
    value = m.group(name)
    if value is None:
        return None
    value = " ".join(value.split()).strip(" ,/")
    return value or None


def _accept(production: _Production, m: re.Match[str], text: str, profile: AgencyProfile, lead: bool) -> bool:
    place = _group(m, "place")
    agency = _group(m, "agency") or _group(m, "agency2")
    date = _group(m, "date")
    rest = text[m.end() :]
    if place is not None and not _plausible_place(place):
        return False
    if production.mode == "suffix":
        # closing the text: a place in capitals, known (a weak shape) or with its agency
        if place is None or not upper_case(place) or len(place.split()) > 3:
            return False
        return production.strength == "strong" or resolved(place, profile)
    if production.strength == "inword":
        # the word stays in its sentence: a known place in capitals opening a lead
        return lead and place is not None and upper_case(place) and resolved(place, profile) and _words(rest) >= 6
    if production.name in ("outlet-place", "place-outlet"):
        return place is not None and _starts_sentence(rest) and (upper_case(place) or resolved(place, profile))
    if production.name == "credit-chain":
        credits = [c.strip() for c in (_group(m, "credits") or "").split("|")]
        return place is not None and any(known_agency(c) for c in credits) and resolved(place, profile)
    if production.mode != "line" and not _starts_sentence(rest):
        return False
    if production.strength == "weak":
        assert place is not None
        if upper_case(place) and resolved(place, profile):
            return production.mode == "line" or _starts_sentence(rest)
        if not lead or production.mode == "line":
            return False
        # at the start of a lead: a known place, or a run of capitals that is no label
        return _sentence(rest) and (upper_case(place) or resolved(place, profile))
    if production.name == "place-date" and agency is None:
        # "LONDON, March 3 -": no agency; the place in capitals, or known
        return place is not None and (upper_case(place) or resolved(place, profile))
    if production.name == "agency":
        return known_agency(agency)
    if "(" in m.group(0) and agency is not None and not known_agency(agency):
        # an unknown name in brackets: a dateline if the rest of it says so (a date, a
        # place in capitals or known; at the start of a lead, a place before a sentence),
        # not a company and its ticker ("Acme Corp (ACME) - The ...")
        if date is not None:
            return True
        if place is None:
            return False
        return upper_case(place) or resolved(place, profile) or (lead and _sentence(rest))
    return True


def find(
    text: str,
    profile: AgencyProfile,
    modes: tuple[str, ...] = ("line", "prefix"),
    named_agency: bool = False,
) -> DatelineMatch | None:
    """The dateline of ``text`` in one of ``modes`` (see the module docstring), or None.

    ``named_agency``: the caller keeps a dateline only if it names its agency. The first
    shape that holds is still the answer, but once past the last shape that may name one,
    none that follows can be kept: they are not tried (None).
    """
    from pipeline.profiles import DatelineMatch

    if not text or not text.strip():
        return None
    lead = "lead" in modes
    stripped = text.rstrip()
    head = text[:WINDOW]
    plan, needs, naming = _plan(modes)
    needed: list[bool | None] = [None] * needs
    for production, need in plan[:naming] if named_agency else plan:
        # the shapes are matched in a window at the start (the end) of the text (a line is
        # the whole text, stripped): what follows a dateline is checked on the whole text
        if production.mode == "line":
            if len(stripped) > WINDOW:
                continue
            target = window = stripped
        elif production.mode == "suffix":
            target, window = stripped, stripped[-WINDOW:]
        else:
            target, window = text, head
        if need >= 0:
            found = needed[need]
            if found is None:
                assert production.needs is not None
                found = needed[need] = production.needs.search(window) is not None
            if not found:
                continue
        if production.mode == "suffix":
            m = production.regex.search(target, max(0, len(target) - WINDOW))
        else:
            m = production.regex.match(target, 0, WINDOW)
        if not m or not _accept(production, m, target, profile, lead):
            continue
        place = _group(m, "place")
        region = _group(m, "region") or _group(m, "region2")
        agency = _group(m, "agency") or _group(m, "agency2")
        if agency and region is None and "(" in m.group(0) and not known_agency(agency) and resolved(agency, profile):
            agency, region = None, agency  # "PRIEGO DE CÓRDOBA (CÓRDOBA) -": a province, no agency
        if production.name == "credit-chain":
            credits = [c.strip() for c in (_group(m, "credits") or "").split("|")]
            agency = next((c for c in credits if known_agency(c)), None)
        if production.strength == "inword":
            # the place is a word of the lead's first sentence: nothing is taken from the text
            return DatelineMatch(
                raw=place or "",
                place=place,
                agency=None,
                date_text=None,
                reporter=None,
                end=0,
                pattern=_pattern_of(production.name),
            )
        if production.mode == "suffix":
            # closing the text: ``end`` is where the dateline starts (the text before it stays)
            return DatelineMatch(
                raw=target[m.start() :].strip(" -–—\n"),
                place=place,
                agency=_group(m, "agency"),
                date_text=None,
                reporter=None,
                end=m.start(),
                pattern=_pattern_of(production.name),
            )
        return DatelineMatch(
            raw=target[: m.end()].strip(),
            place=place,
            agency=agency,
            date_text=_group(m, "date"),
            reporter=_group(m, "reporter"),
            end=m.end(),
            pattern=_pattern_of(production.name),
            region=region,
        )
    return None
