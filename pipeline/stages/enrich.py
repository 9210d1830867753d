"""Enrich stage: a cleaned item -> its language, people, organisations, places, subjects, quotes.

Pure: the same item always gives the same ``Enrichment``. The models and gazetteers it
needs are loaded once per process, on first use; ``warm_up()`` loads them all up front
(a worker calls it at start, so the first dispatch does not pay ~20 s of loading).

Order of the work, and why:

    text        headline + summary + body as one string with segments (pipeline.enrich.text)
    language    lingua over the text; decides which NER model and word lists apply
    ner         spaCy NER (only for languages with a model): person/org/place spans
    organisations  gazetteer (multilingual, with ids) + model ORG spans
    places      gazetteer hits, minus those inside a person's name or an organisation's
                name, resolved and ranked (dateline / about / mentioned)
    people      model person spans, cleaned and merged; credits and place names out
    subjects    IPTC media topics from source codes, section label and keywords
    quotes      direct quotations and their speakers

``Enrichment.timings`` holds the seconds each step took, for the benchmark.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from pipeline.enrich import gazetteer, language, ner, organisations, places, quotes, subjects
from pipeline.enrich.people import find_people
from pipeline.enrich.text import fold, item_text
from pipeline.records import Enrichment, ParsedItem

log = logging.getLogger(__name__)

T = TypeVar("T")


def warm_up() -> None:
    """Load every model and gazetteer enrichment uses (idempotent; ~20 s the first time)."""
    started = time.perf_counter()
    language.detector()
    gazetteer.load()
    organisations.load()
    subjects.load()
    for lang in ner.models():
        ner.model(lang)
        places.stopwords(lang)
    log.info("enrichment warmed up in %.1f s", time.perf_counter() - started)


def _credits(item: ParsedItem) -> list[str]:
    """Names credited on the item (author, translator...): not people the story mentions."""
    names = [p.name for p in item.contributors]
    if item.byline:
        names.append(item.byline)
    if item.translation and item.translation.translator:
        names.append(item.translation.translator)
    return names


def _place_names(names: list[str]) -> frozenset[str]:
    """The folded names among ``names`` that the place gazetteer knows as a country, or as a
    one-word city or region (a "person" called "Kazakhstan" or "Almaty" is a tagging slip)."""
    g = gazetteer.load()
    out = set()
    for name in names:
        candidates = [g.places[i] for i in g.candidates(name)]
        if any(p.feature == "country" for p in candidates) or (candidates and len(name.split()) == 1):
            out.add(fold(name))
    return frozenset(out)


def enrich(item: ParsedItem) -> Enrichment:
    """The enrichment of one cleaned item."""
    timings: list[tuple[str, float]] = []

    def timed(name: str, step: Callable[[], T]) -> T:
        started = time.perf_counter()
        result = step()
        timings.append((name, time.perf_counter() - started))
        return result

    started = time.perf_counter()
    text = timed("text", lambda: item_text(item))
    lang = timed("language", lambda: language.detect(text.value, item.language))
    spans = timed("ner", lambda: ner.entities(text, lang.language))

    person_spans = [(s.start, s.end) for s in spans if s.kind == "person"]
    stop = places.stopwords(lang.language)
    org_hits = organisations.gazetteer_hits(text, lang.language, stop)
    found_places = timed(
        "places",
        lambda: places.find_places(
            text,
            dateline=item.dateline,
            language=lang.language,
            veto=[*person_spans, *((h.start, h.end) for h in org_hits)],
            support=[(s.start, s.end) for s in spans if s.kind == "place"],
            not_cities=[(s.start, s.end) for s in spans if s.kind in ("person", "organisation")],
        ),
    )
    place_names = _place_names([s.text for s in spans])
    found_orgs = timed(
        "organisations",
        lambda: organisations.find_organisations(
            text,
            spans,
            lang.language,
            people=person_spans,
            place_names=place_names,
            stopwords=stop,
        ),
    )
    org_names = frozenset(
        key for e in found_orgs for key in (fold(e.name), fold(e.literal or e.name), organisations.org_key(e.name))
    )
    found_people = timed(
        "people",
        lambda: find_people(spans, lang.language, exclude=_credits(item), not_people=place_names | org_names),
    )
    found_subjects = timed(
        "subjects",
        lambda: subjects.find_subjects(text, lang.language, section=item.section, source_subjects=item.subjects),
    )
    found_quotes = timed("quotes", lambda: quotes.find_quotes(text, lang.language, found_people))
    timings.append(("total", time.perf_counter() - started))

    return Enrichment(
        language=lang.language,
        language_detected=lang.detected,
        language_confidence=lang.confidence,
        people=found_people,
        organisations=found_orgs,
        places=found_places,
        subjects=found_subjects,
        quotes=found_quotes,
        timings=tuple(timings),
    )
