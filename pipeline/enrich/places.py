"""Places: gazetteer names found in the text, resolved to one GeoNames feature each, ranked.

One name can denote several places ("Moscow": Russia's capital, a town in Idaho;
"Georgia": a country, a US state; "Armenia": a country, a city in Colombia). Each hit is
resolved by a score (log10 of the population, plus a prior for the kind of feature, plus
the context: a candidate in a country the text names or the dateline sits in, or in the
country of places already resolved with confidence, a city in a US state the text or the
dateline names; minus a little for a city named by an alternate name) — so "Moscow" is
Moscow, Russia, unless the text says Idaho. Any hit that can be a country makes its
country context ("Costa Rica" has namesake towns; "SAN JOSE" beside it is Costa Rica's).

The dateline is read first: the place, then what is printed after it ("PORTLAND, Ore.",
"WINDSOR, Ontario", "FARMINGTON Conn."). A namesake in that region or country wins; when
the gazetteer has none there ("GREENWICH, Conn.", "OAK BROOK, Ill."), the dateline is the
region or country itself, never a namesake elsewhere.

Word filters before that (``data/place_stopwords.toml``): city names that are ordinary
words of the text's language ("March", "White House", "كورونا") and names the NER model
labelled as a person or an organisation are not cities; all-caps headlines name only
countries, regions, places also named in mixed case, and big cities by their own name.
After it, a city must be believable: at least ``SMALL_CITY`` people or backed by its
country in the text, the dateline or the NER; named by an alternate name, both big enough
and backed (or ``BIG_CITY``).

Then each place gets its ``rel``:

- ``dateline``: the place of the dateline ("AA / Moscou");
- ``about``: named in the headline; or in the lead (or summary) and again; or at least
  ``ABOUT_MIN_MENTIONS`` times anywhere. For a country, its demonyms count as mentions
  ("JAPANESE EXPORTS RISE", "les dirigeants kazakh et ouzbek": ``data/demonyms.toml``);
  a country only its demonyms name is listed when that makes it ``about``, not otherwise
  (an adjective is no place mention);
- ``mentioned``: anything else.

A name right before a currency word is the currency's, not the place's ("U.S. dlrs",
"ABD doları"): it is no mention at all.

The country of every dateline/about city or region is listed too, with the same rel.

Each place is named as it reads in the article's language: countries by their CLDR name
in that language ("Russie"), cities and regions by the form the text wrote ("Moscou").
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from pipeline.enrich.gazetteer import Gazetteer, Place, country_name, load
from pipeline.enrich.phrases import Hit, PhraseMatcher
from pipeline.enrich.stopwords import spacy_stop_words
from pipeline.enrich.text import CENTRAL_KINDS, Text, fold
from pipeline.records import Dateline, Entity

log = logging.getLogger(__name__)

#: a place named this many times is what the story is about, wherever it is named
ABOUT_MIN_MENTIONS = 3
#: cities smaller than this need support: their country in the text, or the NER saying "place"
SMALL_CITY = 100_000
#: a city named by one of its alternate names (not its GeoNames name: "Moscou", "موسكو") must
#: be at least SMALL_CITY and supported, unless it is this big. GeoNames alternate names hold
#: ordinary words of many languages ("دولة", "Kişi", "Spire").
BIG_CITY = 1_000_000

# Feature priors on the log10-population scale: a name that is a country's is that country
# unless the context says otherwise; a US state loses to a same-named big city (Washington).
_FEATURE_PRIOR = {"country": 2.0, "region": -1.0, "city": 0.0}
_COUNTRY_IN_TEXT = 1.5
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
    words.update(spacy_stop_words(lang))
    return frozenset(fold(w) for w in words)


@cache
def never_places(language: str | None) -> frozenset[str]:
    """Folded names that, in this language, denote a city or region almost never ("March",
    "White House"): the ``never`` lists of ``data/place_stopwords.toml``. Countries are exempt."""
    data = _stoplist()
    lang = language.split("-")[0] if language else "en"
    words = set(data.get("all", {}).get("never", [])) | set(data.get(lang, {}).get("never", []))
    return frozenset(fold(w) for w in words)


@cache
def currency_after(language: str | None) -> re.Pattern[str] | None:
    """What, right after a place name, makes it a currency ("U.S. dlrs"): the ``currency``
    words of ``data/place_stopwords.toml`` for the language, as a pattern on folded text."""
    lang = language.split("-")[0] if language else "en"
    words = _stoplist().get(lang, {}).get("currency", [])
    if not words:
        return None
    alternatives = "|".join(re.escape(fold(w)) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"[\s-]*(?:{alternatives})(?!\w)")


@cache
def _demonym_matcher(language: str | None) -> PhraseMatcher[str]:
    """Demonyms of ``language`` (``data/demonyms.toml``) -> ISO code ("-": no country)."""
    with (resources.files("pipeline.enrich") / "data" / "demonyms.toml").open("rb") as handle:
        data = tomllib.load(handle)
    lang = language.split("-")[0] if language else "en"
    matcher: PhraseMatcher[str] = PhraseMatcher()
    for code, forms in data.get(lang, {}).items():
        for form in forms:
            for inflected in _inflections(form, lang):
                matcher.add(inflected, code)
    matcher.build()
    return matcher


def _inflections(form: str, language: str) -> list[str]:
    """The form and the inflections ``data/demonyms.toml`` leaves to be derived."""
    if language == "fr":
        return [form] if form[-1] in "sxz" else [form, form + "s"]
    if language == "es":
        return [form, form + ("s" if fold(form[-1]) in "aeiou" else "es")]
    if language == "de":
        return [form, *(form + ending for ending in ("e", "en", "er", "es"))]
    return [form]


def demonym_evidence(text: Text, language: str | None, veto: Sequence[tuple[int, int]] = ()) -> dict[str, list[str]]:
    """Country code -> the segment kind of each demonym naming it in ``text``."""
    currency = currency_after(language)
    out: dict[str, list[str]] = {}
    for hit in _demonym_matcher(language).find(text, stopwords(language)):
        if _inside(hit, veto, strictly=True) or (currency and currency.match(text.folded, hit.end)):
            continue
        segment = text.segment_at(hit.start)
        for code in hit.payloads:
            if code != "-":
                out.setdefault(code, []).append(segment.kind if segment else "body")
    return out


def is_about(kinds: Sequence[str]) -> bool:
    """Whether mentions in these segment kinds make a place what the story is about."""
    if "headline" in kinds:
        return True
    if any(kind in CENTRAL_KINDS for kind in kinds) and len(kinds) >= 2:
        return True
    return len(kinds) >= ABOUT_MIN_MENTIONS


@dataclass
class _Found:
    index: int
    literal: str
    first: int
    mentions: int = 0
    dateline: bool = False
    confidence: int = 100
    positions: list[int] = field(default_factory=list)
    written: str = ""  # how the text names it, for its display name
    kinds: list[str] = field(default_factory=list)  # the segment kind of each mention
    evidence: list[str] = field(default_factory=list)  # ... of each demonym (countries)


def _inside(hit: Hit[Any], spans: Sequence[tuple[int, int]], strictly: bool) -> bool:
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
    raw_parts = [p.strip(_DATELINE_JUNK) for p in re.split(r"[,/()]", dateline.raw or "")]
    parts = [p.strip(_DATELINE_JUNK) for p in re.split(r"[,/()]", place)] if place else []
    parts = [p for p in parts if p]
    if not parts:
        parts = [p for p in raw_parts[:1] if p]
    # Context: the region the parser read, else the raw dateline's other parts that are not
    # the date, the agency or the place itself.
    context = [dateline.region] if dateline.region else raw_parts[1:]
    for part in context:
        if part and not any(c.isdigit() for c in part) and fold(part) not in {fold(p) for p in parts}:
            parts.append(part)
    return parts


# Around a dateline's parts: dashes, and the asterisks or bullets some wires put in front.
_DATELINE_JUNK = " -–—*•"


def _within(place: Place, context: Sequence[Place]) -> bool:
    """Whether ``place`` lies in one of the regions or countries of ``context``."""
    return any(place.country == c.country and (c.feature == "country" or place.admin1 == c.admin1) for c in context)


def _dateline_index(gazetteer: Gazetteer, resolver: _Resolver, dateline: Dateline | str) -> tuple[int, str] | None:
    """(place index, the name it was read from) of a dateline, or None."""
    parts = _dateline_parts(dateline)
    if not parts:
        return None
    name, extras = parts[0], parts[1:]
    candidates = gazetteer.candidates(name)
    head, _, tail = name.rpartition(" ")
    if not candidates and not extras and head and gazetteer.context_candidates(tail):
        # "FARMINGTON Conn.": the region glued to the place without a comma.
        name, extras = head, [tail]
        candidates = gazetteer.candidates(name)
    # "Moscow, Idaho", "PORTLAND, Ore.", "Nicosia (Cyprus)": what follows the place is context.
    context: list[int] = []
    for extra in extras:
        for i in gazetteer.context_candidates(extra):
            p = gazetteer.places[i]
            if p.feature == "city":
                continue
            context.append(i)
            resolver.countries.add(p.country)
            if p.feature == "region":
                resolver.regions.add((p.country, p.admin1))
    if context:
        fitting = [i for i in candidates if _within(gazetteer.places[i], [gazetteer.places[c] for c in context])]
        if fitting:
            return resolver.best(fitting, for_dateline=True)[0], name
        # "GREENWICH, Conn.", "OAK BROOK, Ill.": the town is not in the gazetteer (its
        # namesakes elsewhere are); the dateline is at least in the region printed after it.
        return resolver.best(context)[0], ""
    if not candidates:
        return None
    return resolver.best(candidates, for_dateline=True)[0], name


def resolve_dateline(
    dateline: Dateline | str, text_countries: set[str] | None = None, *, gazetteer: Gazetteer | None = None
) -> Place | None:
    """The GeoNames feature a dateline names ("Moscou", "MOSCOW", "PORTLAND, Ore., Feb 26 -")."""
    gazetteer = gazetteer or load()
    resolver = _Resolver(gazetteer)
    resolver.countries = set(text_countries or ())
    found = _dateline_index(gazetteer, resolver, dateline)
    return gazetteer.places[found[0]] if found is not None else None


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
    currency = currency_after(language)
    raw = [
        h
        for h in gazetteer.matcher.find(text, stopwords(language))
        if not _inside(h, veto, strictly=True) and not (currency and currency.match(text.folded, h.end))
    ]
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
    gazetteer: Gazetteer | None = None,
) -> tuple[Entity, ...]:
    """The places of an item, most central first.

    ``veto``: spans that are something else (a person "George Washington", an organisation
    "Bank of England"): a place strictly inside one is dropped. ``support``: spans the NER
    model labelled as places; they vouch for small or uncertain cities. ``not_cities``:
    spans the model labelled as something else; a name exactly there is no city or region
    (a country stays a country). ``gazetteer``: the one to use (the default config's when None).
    """
    gazetteer = gazetteer or load()
    hits = _candidates(gazetteer, text, language, veto, not_cities)

    resolver = _Resolver(gazetteer)
    for _, candidates in hits:
        places = [gazetteer.places[i] for i in candidates]
        # A country's name is the country's whatever else bears it ("Armenia", "Costa Rica").
        resolver.countries.update(p.country for p in places if p.feature == "country")
        if len(places) == 1 and places[0].feature == "region":
            resolver.regions.add((places[0].country, places[0].admin1))
            resolver.countries.add(places[0].country)

    dateline_index, dateline_literal = None, ""
    if dateline:
        context = _Resolver(gazetteer)
        context.countries, context.regions = set(resolver.countries), set(resolver.regions)
        read = _dateline_index(gazetteer, context, dateline)
        if read is not None:
            dateline_index, dateline_literal = read
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
        if place.feature == "city" and not _city_supported(place, hit, resolver, support):
            log.debug("dropped city %s (%s) without support", place.name, hit.literal)
            continue
        entry = found.setdefault(index, _Found(index, hit.literal, hit.start, confidence=confidence))
        entry.mentions += 1
        entry.kinds.append(segment.kind if segment else "body")
        entry.confidence = min(entry.confidence, confidence)
        if not entry.written:
            entry.written = _written_form(hit, index)

    if dateline_index is not None:
        entry = found.setdefault(dateline_index, _Found(dateline_index, dateline_literal, -1))
        entry.dateline = True
        entry.mentions += 1
        if not entry.written and dateline_literal:
            entry.written = _mixed_case(dateline_literal) or gazetteer.form(dateline_literal, dateline_index) or ""

    # Demonyms: evidence for their country's rel; a country they alone name is listed
    # only when they make it "about".
    for code, kinds in demonym_evidence(text, language, veto).items():
        country_index = gazetteer.country_index(code)
        if country_index is None:
            continue
        if country_index in found:
            found[country_index].evidence += kinds
        elif is_about(kinds):
            found[country_index] = _Found(country_index, "", len(text.value), mentions=0, evidence=kinds)

    rel: dict[int, str] = {}
    for index, entry in found.items():
        if entry.dateline:
            rel[index] = "dateline"
        elif is_about(entry.kinds + entry.evidence):
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
    return tuple(_entity(gazetteer.places[f.index], rel[f.index], f, language) for f in ordered)


def _mixed_case(literal: str) -> str | None:
    """``literal`` as printed when its casing can be trusted (not all caps), else None."""
    literal = " ".join(literal.split())
    return literal if literal and literal != literal.upper() else None


def _written_form(hit: Hit[int], index: int) -> str:
    """How the text names place ``index`` at ``hit``: the words as printed, or (for all
    caps, or a script without case) the gazetteer's spelling of them."""
    printed = _mixed_case(hit.literal)
    if printed:
        return printed
    forms = [e.form for e in hit.entries if e.payload == index and not e.acronym]
    return forms[0] if forms else ""


def display_name(place: Place, written: str, language: str | None) -> str:
    """The place's name as it reads in an article in ``language``.

    Countries: their CLDR name in the language ("Russie", "Ouzbékistan", "Rusya"), whatever
    form the text used ("U.S.", "Fédération de Russie", "West Germany" are other names for
    them). Cities and regions: the form the text wrote ("Moscou", "Almaty"), else the
    GeoNames name.
    """
    if place.feature == "country":
        return country_name(place.country, language) or place.name
    return written or place.name


def _entity(place: Place, rel: str, found: _Found, language: str | None) -> Entity:
    return Entity(
        name=display_name(place, found.written, language),
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
