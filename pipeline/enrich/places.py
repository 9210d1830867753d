"""Places: gazetteer names found in the text, resolved to one GeoNames feature each, ranked.

One name can denote several places ("Moscow": Russia's capital, a town in Idaho;
"Georgia": a country, a US state; "Armenia": a country, a city in Colombia). Each hit is
resolved by a score (log10 of the population, plus a prior for the kind of feature, plus
the context: a candidate in a country the text names or the dateline sits in, or in the
country of places already resolved with confidence, a city in a US state the text or the
dateline names; minus a little for a city named by an alternate name) — so "Moscow" is
Moscow, Russia, unless the text says Idaho.

Word filters before that (``data/place_stopwords.toml``): city names that are ordinary
words of the text's language ("March", "White House", "كورونا") and names the NER model
labelled as a person or an organisation are not cities; all-caps headlines name only
countries, regions, places also named in mixed case, and big cities by their own name.
After it, a city must be believable: at least ``SMALL_CITY`` people or backed by its
country in the text, the dateline or the NER; named by an alternate name, both big enough
and backed (or ``BIG_CITY``).

Then each place gets its ``rel``:

- ``dateline``: the place of the dateline ("AA / Moscou");
- ``about``: named in the headline, summary or lead, or named at least ``ABOUT_MIN_MENTIONS``
  times;
- ``mentioned``: anything else.

The country of every dateline/about city or region is listed too, with the same rel.
"""

from __future__ import annotations

import importlib
import logging
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from pipeline.enrich.gazetteer import Gazetteer, Place, load
from pipeline.enrich.phrases import Hit
from pipeline.enrich.text import CENTRAL_KINDS, Text, fold
from pipeline.records import Dateline, Entity

log = logging.getLogger(__name__)

#: a place named this many times is what the story is about, wherever it is named
ABOUT_MIN_MENTIONS = 2
#: cities smaller than this need support: their country in the text, or the NER saying "place"
SMALL_CITY = 100_000
#: a city named by one of its alternate names (not its GeoNames name: "Moscou", "موسكو") must
#: be at least SMALL_CITY and supported, unless it is this big. GeoNames alternate names hold
#: ordinary words of many languages ("دولة", "Kişi", "Spire").
BIG_CITY = 1_000_000

# Feature priors on the log10-population scale: a name that is a country's is that country
# unless the context says otherwise; a US state loses to a same-named big city (Washington).
_FEATURE_PRIOR = {"country": 2.0, "region": -1.0, "city": 0.0}
_COUNTRY_IN_TEXT = 2.0
_COUNTRY_IMPLIED = 1.0
_ALTERNATE_NAME = -1.0
_DATELINE_COUNTRY = 1.5
_REGION_IN_TEXT = 3.0

_REL_RANK = {"dateline": 0, "about": 1, "mentioned": 2}


@cache
def _stoplist() -> dict[str, dict[str, list[str]]]:
    with (resources.files("pipeline.enrich") / "data" / "place_stopwords.toml").open("rb") as handle:
        return tomllib.load(handle)


@cache
def stopwords(language: str | None) -> frozenset[str]:
    """Folded words that are not a place where casing cannot tell (sentence start, all caps).

    spaCy's stop-word list of the language (shipped with spaCy, no model needed) plus the
    ``words`` of ``data/place_stopwords.toml`` for the language: city names that are
    ordinary words ("Reading", "Mobile", "Split").
    """
    data = _stoplist()
    lang = language.split("-")[0] if language else "en"
    words: set[str] = set(data.get("all", {}).get("words", [])) | set(data.get(lang, {}).get("words", []))
    try:
        module = importlib.import_module(f"spacy.lang.{lang}.stop_words")
    except ImportError:
        pass
    else:
        words.update(getattr(module, "STOP_WORDS", ()))
    return frozenset(fold(w) for w in words)


@cache
def never_places(language: str | None) -> frozenset[str]:
    """Folded names that, in this language, denote a city or region almost never ("March",
    "White House"): the ``never`` lists of ``data/place_stopwords.toml``. Countries are exempt."""
    data = _stoplist()
    lang = language.split("-")[0] if language else "en"
    words = set(data.get("all", {}).get("never", [])) | set(data.get(lang, {}).get("never", []))
    return frozenset(fold(w) for w in words)


@dataclass
class _Found:
    index: int
    literal: str
    first: int
    mentions: int = 0
    central: bool = False
    dateline: bool = False
    confidence: int = 100
    positions: list[int] = field(default_factory=list)


def _inside(hit: Hit[int], spans: Sequence[tuple[int, int]], strictly: bool) -> bool:
    for start, end in spans:
        if start <= hit.start and hit.end <= end and (not strictly or end - start > hit.end - hit.start):
            return True
    return False


class _Resolver:
    """Scores the candidates of a name against what the rest of the item says."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.g = gazetteer
        self.countries: set[str] = set()  # named in the text (or printed in the dateline)
        self.implied: set[str] = set()  # countries of places already resolved with confidence
        self.regions: set[tuple[str, str]] = set()
        self.dateline_country: str | None = None
        self.dateline_region: tuple[str, str] | None = None

    def score(self, place: Place, *, for_dateline: bool = False, literal: str | None = None) -> float:
        score = place.weight + _FEATURE_PRIOR[place.feature]
        if for_dateline and place.feature == "city":
            score += 2.0  # datelines name cities
        if literal is not None and place.feature == "city" and fold(literal) != fold(place.name):
            score += _ALTERNATE_NAME  # "Perth" is Perth, not Perth Amboy (alternate name "Perth")
        if place.feature != "country":
            if place.country in self.countries:
                score += _COUNTRY_IN_TEXT
            elif place.country in self.implied:
                score += _COUNTRY_IMPLIED
            if place.country == self.dateline_country:
                score += _DATELINE_COUNTRY
            if place.feature == "city" and (place.country, place.admin1) in self.regions:
                score += _REGION_IN_TEXT
            # The dateline city's own region ("Georgia" under an ATLANTA dateline), and its
            # neighbours in that region.
            if self.dateline_region and (place.country, place.admin1) == self.dateline_region:
                score += _REGION_IN_TEXT
        return score

    def best(
        self, candidates: Sequence[int], *, for_dateline: bool = False, literal: str | None = None
    ) -> tuple[int, int]:
        """(place index, confidence 0-100) of the best-scoring candidate."""
        if len(candidates) == 1:
            return candidates[0], 100
        scored = sorted(
            ((self.score(self.g.places[i], for_dateline=for_dateline, literal=literal), i) for i in candidates),
            reverse=True,
        )
        margin = scored[0][0] - scored[1][0]
        return scored[0][1], 95 if margin >= 2 else 80 if margin >= 1 else 60


def _dateline_parts(dateline: Dateline | str) -> list[str]:
    """The place first, then the context printed after it ("SAN MATEO, Calif., Feb 26 -")."""
    if isinstance(dateline, str):
        dateline = Dateline(raw=dateline, place=dateline)
    place = (dateline.place or "").strip()
    raw_parts = [p.strip(" -–—") for p in re.split(r"[,/()]", dateline.raw or "")]
    parts = [p.strip() for p in re.split(r"[,/()]", place) if p.strip()] if place else []
    if not parts:
        parts = [p for p in raw_parts[:1] if p]
    # Context: the region the parser read, else the raw dateline's other parts that are not
    # the date, the agency or the place itself.
    context = [dateline.region] if dateline.region else raw_parts[1:]
    for part in context:
        if part and not any(c.isdigit() for c in part) and fold(part) not in {fold(p) for p in parts}:
            parts.append(part)
    return parts


def _dateline_index(gazetteer: Gazetteer, resolver: _Resolver, dateline: Dateline | str) -> int | None:
    parts = _dateline_parts(dateline)
    if not parts:
        return None
    # "Moscow, Idaho", "PORTLAND, Ore.", "Nicosia (Cyprus)": what follows the city is context.
    for extra in parts[1:]:
        for i in gazetteer.context_candidates(extra):
            p = gazetteer.places[i]
            resolver.countries.add(p.country)
            if p.feature == "region":
                resolver.regions.add((p.country, p.admin1))
    candidates = gazetteer.candidates(parts[0])
    if not candidates:
        return None
    return resolver.best(candidates, for_dateline=True)[0]


def resolve_dateline(dateline: Dateline | str, text_countries: set[str] | None = None) -> Place | None:
    """The GeoNames feature a dateline names ("Moscou", "MOSCOW", "PORTLAND, Ore., Feb 26 -")."""
    gazetteer = load()
    resolver = _Resolver(gazetteer)
    resolver.countries = set(text_countries or ())
    index = _dateline_index(gazetteer, resolver, dateline)
    return gazetteer.places[index] if index is not None else None


def _city_supported(place: Place, hit: Hit[int], resolver: _Resolver, support: Sequence[tuple[int, int]]) -> bool:
    """Whether a resolved city is believable: big enough, or backed by its context."""
    backed = (
        place.country in resolver.countries
        or place.country == resolver.dateline_country
        or _inside(hit, support, strictly=False)
    )
    if fold(hit.literal) == fold(place.name):
        return place.population >= SMALL_CITY or backed
    return place.population >= SMALL_CITY and (backed or place.population >= BIG_CITY)


def _candidates(
    gazetteer: Gazetteer,
    text: Text,
    language: str | None,
    veto: Sequence[tuple[int, int]],
    not_cities: Sequence[tuple[int, int]] = (),
) -> list[tuple[Hit[int], list[int]]]:
    """Each gazetteer hit with the places it may still denote after the word filters."""
    never = never_places(language)
    exact_not_cities = set(not_cities)
    raw = [h for h in gazetteer.matcher.find(text, stopwords(language)) if not _inside(h, veto, strictly=True)]
    # Places named in mixed-case text: an all-caps headline may repeat them freely.
    confirmed: set[int] = set()
    for hit in raw:
        segment = text.segment_at(hit.start)
        if segment and not segment.upper:
            confirmed.update(hit.payloads)
    out = []
    for hit in raw:
        folded = fold(hit.literal)
        segment = text.segment_at(hit.start)
        upper = bool(segment and segment.upper)
        candidates = []
        for index in hit.payloads:
            place = gazetteer.places[index]
            if place.feature != "country" and (folded in never or (hit.start, hit.end) in exact_not_cities):
                continue  # "in March"; "Tucker said" (the model read a person there)
            # In all caps ("BAHIA COCOA REVIEW") any word may be a name: only countries,
            # regions, places also named in mixed case, and big cities by their own name.
            if (
                upper
                and place.feature == "city"
                and index not in confirmed
                and not (place.population >= SMALL_CITY and folded == fold(place.name))
            ):
                continue
            candidates.append(index)
        if candidates:
            out.append((hit, candidates))
    return out


def find_places(
    text: Text,
    *,
    dateline: Dateline | None = None,
    language: str | None = None,
    veto: Sequence[tuple[int, int]] = (),
    support: Sequence[tuple[int, int]] = (),
    not_cities: Sequence[tuple[int, int]] = (),
) -> tuple[Entity, ...]:
    """The places of an item, most central first.

    ``veto``: spans that are something else (a person "George Washington", an organisation
    "Bank of England"): a place strictly inside one is dropped. ``support``: spans the NER
    model labelled as places; they vouch for small or uncertain cities. ``not_cities``:
    spans the model labelled as something else; a name exactly there is no city or region
    (a country stays a country).
    """
    gazetteer = load()
    hits = _candidates(gazetteer, text, language, veto, not_cities)

    resolver = _Resolver(gazetteer)
    for _, candidates in hits:
        places = [gazetteer.places[i] for i in candidates]
        if len(places) == 1 and places[0].feature == "country":
            resolver.countries.add(places[0].country)
        if len(places) == 1 and places[0].feature == "region":
            resolver.regions.add((places[0].country, places[0].admin1))
            resolver.countries.add(places[0].country)

    dateline_index = None
    if dateline:
        context = _Resolver(gazetteer)
        context.countries, context.regions = set(resolver.countries), set(resolver.regions)
        dateline_index = _dateline_index(gazetteer, context, dateline)
    if dateline_index is not None:
        dateline_place = gazetteer.places[dateline_index]
        resolver.dateline_country = dateline_place.country
        if dateline_place.admin1:
            resolver.dateline_region = (dateline_place.country, dateline_place.admin1)

    # First pass: the countries of confidently resolved places are context for the rest
    # ("Perth" next to Sydney and Melbourne is in Australia).
    for hit, candidates in hits:
        index, confidence = resolver.best(candidates, literal=hit.literal)
        place = gazetteer.places[index]
        if confidence >= 95 and (place.feature != "city" or place.population >= SMALL_CITY):
            resolver.implied.add(place.country)

    found: dict[int, _Found] = {}
    for hit, candidates in hits:
        index, confidence = resolver.best(candidates, literal=hit.literal)
        place = gazetteer.places[index]
        segment = text.segment_at(hit.start)
        central = bool(segment and segment.kind in CENTRAL_KINDS)
        if place.feature == "city" and not _city_supported(place, hit, resolver, support):
            log.debug("dropped city %s (%s) without support", place.name, hit.literal)
            continue
        entry = found.setdefault(index, _Found(index, hit.literal, hit.start, confidence=confidence))
        entry.mentions += 1
        entry.central = entry.central or central
        entry.confidence = min(entry.confidence, confidence)

    if dateline_index is not None:
        literal = (dateline.place or "") if dateline else ""
        entry = found.setdefault(dateline_index, _Found(dateline_index, literal, -1))
        entry.dateline = True
        entry.mentions += 1

    rel: dict[int, str] = {}
    for index, entry in found.items():
        if entry.dateline:
            rel[index] = "dateline"
        elif entry.central or entry.mentions >= ABOUT_MIN_MENTIONS:
            rel[index] = "about"
        else:
            rel[index] = "mentioned"
    # The country of a central city or region is central too (Moscou -> Russia, dateline).
    for index in list(found):
        place = gazetteer.places[index]
        if place.feature == "country" or rel[index] == "mentioned":
            continue
        country_index = gazetteer.country_index(place.country)
        if country_index is None:
            continue
        if country_index not in found:
            found[country_index] = _Found(country_index, "", found[index].first, mentions=0)
            rel[country_index] = rel[index]
        elif _REL_RANK[rel[index]] < _REL_RANK[rel[country_index]]:
            rel[country_index] = rel[index]

    ordered = sorted(found.values(), key=lambda f: (_REL_RANK[rel[f.index]], -f.mentions, f.first))
    return tuple(_entity(gazetteer.places[f.index], rel[f.index], f) for f in ordered)


def _entity(place: Place, rel: str, found: _Found) -> Entity:
    return Entity(
        name=place.name,
        kind="place",
        rel=rel,
        uri=place.uri,
        literal=found.literal or None,
        country=place.country,
        latitude=place.latitude,
        longitude=place.longitude,
        feature=place.feature,
        mentions=found.mentions,
        confidence=found.confidence,
    )
