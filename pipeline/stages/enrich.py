"""Enrich stage: a cleaned item -> its language, people, organisations, places, subjects,
dates and quotes.

Pure: the same item and config always give the same ``Enrichment``. What it runs with is
one frozen ``EnrichConfig`` (languages, spaCy models, GeoNames city file, detector mode,
cache directory), passed in by the caller; nothing here reads the environment.

    enricher = build_enricher(EnrichConfig.from_settings(settings))   # once per process
    enricher.warm_up()                     # load models and gazetteers before the first item
    enricher(item)                         # one item
    enricher.batch(items)                  # many: spaCy reads them in one nlp.pipe stream

``enrich(item)``, ``enrich_batch(items)`` and ``warm_up()`` do the same with the default
config. Models and gazetteers are loaded once per process and shared by every enricher
that needs them; the place gazetteer is read from the disk cache when it is there.

Order of the work, and why:

    text        headline + summary + body as one string with segments (pipeline.enrich.text)
    language    lingua over the text; decides which NER model and word lists apply
    ner         spaCy NER (only for languages with a model): person/org/place spans
    places      gazetteer hits, minus those inside a person's name or an organisation's
                name, resolved and ranked (dateline / about / mentioned)
    organisations  gazetteer (multilingual, with ids) + model ORG spans
    people      model person spans, cleaned and merged; credits and place names out
    subjects    IPTC media topics from source codes, section label and keywords
    dates       relative dates ("jeudi", "yesterday") resolved against the dispatch date
    quotes      direct quotations and their speakers

``Enrichment.timings`` holds the seconds each step took, for the benchmark (in a batch,
the NER time of the batch is shared evenly among its items).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache, partial
from typing import TypeVar

from pipeline.enrich import dates, gazetteer, language, ner, organisations, places, quotes, subjects
from pipeline.enrich.config import EnrichConfig
from pipeline.enrich.gazetteer import Gazetteer
from pipeline.enrich.language import LanguageResult
from pipeline.enrich.people import find_people
from pipeline.enrich.text import Text, fold, item_text
from pipeline.records import Enrichment, Entity, ParsedItem

log = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = ["EnrichConfig", "Enricher", "build_enricher", "enrich", "enrich_batch", "warm_up"]


def _credits(item: ParsedItem) -> list[str]:
    """Names credited on the item (author, translator...): not people the story mentions."""
    names = [p.name for p in item.contributors]
    if item.byline:
        names.append(item.byline)
    if item.translation and item.translation.translator:
        names.append(item.translation.translator)
    return names


def _language(item: ParsedItem, text: str, config: EnrichConfig) -> LanguageResult:
    """The item's language: its text, its declared language, its source's hint."""
    hint = language.item_hint(item.extra, item.agency)
    return language.detect(text, item.language, config, source=item.agency, hint=hint)


class _Clock:
    """Seconds per step, in the order the steps ran."""

    def __init__(self) -> None:
        self.timings: list[tuple[str, float]] = []

    def __call__(self, name: str, step: Callable[[], T]) -> T:
        started = time.perf_counter()
        result = step()
        self.timings.append((name, time.perf_counter() - started))
        return result


class Enricher:
    """The enrich stage for one config: call it on an item, or ``batch`` on many."""

    def __init__(self, config: EnrichConfig) -> None:
        self.config = config

    @property
    def gazetteer(self) -> Gazetteer:
        return gazetteer.load(self.config)

    def warm_up(self) -> None:
        """Load every model and gazetteer this config uses (idempotent)."""
        started = time.perf_counter()
        language.detector(self.config)
        self.gazetteer  # noqa: B018 -- the property loads it
        organisations.load()
        subjects.load()
        for lang in self.config.models:
            ner.model(lang, self.config)
            places.stopwords(lang)
        log.info("enrichment warmed up in %.1f s", time.perf_counter() - started)

    def __call__(self, item: ParsedItem) -> Enrichment:
        return self.batch([item])[0]

    def batch(self, items: Sequence[ParsedItem]) -> list[Enrichment]:
        """The enrichments of ``items``, in order; the NER model reads each language's
        items in one stream, which is what makes a batch cheaper than one call per item."""
        clocks = [_Clock() for _ in items]
        texts: list[Text] = []
        langs: list[LanguageResult] = []
        for clock, item in zip(clocks, items, strict=True):
            text = clock("text", partial(item_text, item))
            texts.append(text)
            langs.append(clock("language", partial(_language, item, text.value, self.config)))
        spans: list[list[ner.Span]] = [[] for _ in items]
        by_language: dict[str | None, list[int]] = {}
        for n, lang in enumerate(langs):
            by_language.setdefault(lang.language, []).append(n)
        for lang_code, members in by_language.items():
            begun = time.perf_counter()
            found = ner.entities_many([texts[n] for n in members], lang_code, self.config)
            share = (time.perf_counter() - begun) / len(members)
            for n, item_spans in zip(members, found, strict=True):
                spans[n] = item_spans
                clocks[n].timings.append(("ner", share))
        out = []
        for n, item in enumerate(items):
            result = self._finish(item, texts[n], langs[n], spans[n], clocks[n])
            clocks[n].timings.append(("total", sum(seconds for _, seconds in clocks[n].timings)))
            out.append(replace(result, timings=tuple(clocks[n].timings)))
        return out

    def places(self, item: ParsedItem) -> tuple[Entity, ...]:
        """The places of ``item`` alone (what the Reuters-21578 evaluation scores)."""
        text = item_text(item)
        lang = _language(item, text.value, self.config)
        spans = ner.entities(text, lang.language, self.config)
        org_hits = organisations.gazetteer_hits(text, lang.language, places.stopwords(lang.language))
        return self._places(item, text, lang, spans, org_hits)

    def _places(
        self,
        item: ParsedItem,
        text: Text,
        lang: LanguageResult,
        spans: Sequence[ner.Span],
        org_hits: Sequence[organisations.OrgHit],
    ) -> tuple[Entity, ...]:
        person_spans = [(s.start, s.end) for s in spans if s.kind == "person"]
        return places.find_places(
            text,
            dateline=item.dateline,
            language=lang.language,
            veto=[*person_spans, *((h.start, h.end) for h in org_hits)],
            support=[(s.start, s.end) for s in spans if s.kind == "place"],
            not_cities=[(s.start, s.end) for s in spans if s.kind in ("person", "organisation")],
            gazetteer=self.gazetteer,
        )

    def _place_names(self, names: list[str]) -> frozenset[str]:
        """The folded names among ``names`` that the place gazetteer knows as a country, or as a
        one-word city or region (a "person" called "Kazakhstan" or "Almaty" is a tagging slip)."""
        g = self.gazetteer
        out = set()
        for name in names:
            candidates = [g.places[i] for i in g.candidates(name)]
            if any(p.feature == "country" for p in candidates) or (candidates and len(name.split()) == 1):
                out.add(fold(name))
        return frozenset(out)

    def _finish(
        self, item: ParsedItem, text: Text, lang: LanguageResult, spans: Sequence[ner.Span], timed: _Clock
    ) -> Enrichment:
        person_spans = [(s.start, s.end) for s in spans if s.kind == "person"]
        stop = places.stopwords(lang.language)

        def places_and_org_hits() -> tuple[tuple[Entity, ...], list[organisations.OrgHit]]:
            # the organisation gazetteer's hits, read once: places give way to them, and
            # they are the item's organisations (timed with the places, which need them first)
            hits = organisations.gazetteer_hits(text, lang.language, stop)
            return self._places(item, text, lang, spans, hits), hits

        found_places, org_hits = timed("places", places_and_org_hits)
        place_names = self._place_names([s.text for s in spans])
        found_orgs = timed(
            "organisations",
            lambda: organisations.find_organisations(
                text,
                spans,
                lang.language,
                people=person_spans,
                place_names=place_names,
                stopwords=stop,
                hits=org_hits,
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
        found_dates = timed("dates", lambda: dates.find_dates(text, lang.language, dates.reference_date(item)))
        # Places and organisations are never speakers, nor part of a speaker's name.
        not_speakers = org_names | frozenset(
            fold(word) for p in found_places for n in (p.name, p.literal) if n for word in (n, *n.split())
        )
        found_quotes = timed("quotes", lambda: quotes.find_quotes(text, lang.language, found_people, not_speakers))
        return Enrichment(
            language=lang.language,
            language_detected=lang.detected,
            language_confidence=lang.confidence,
            people=found_people,
            organisations=found_orgs,
            places=found_places,
            subjects=found_subjects,
            quotes=found_quotes,
            dates=found_dates,
        )


@cache
def build_enricher(config: EnrichConfig | None = None) -> Enricher:
    """The enricher for ``config`` (the default config when None); one per config and process."""
    return Enricher(config or EnrichConfig())


def warm_up(config: EnrichConfig | None = None) -> None:
    """Load every model and gazetteer enrichment uses (idempotent; the default config when None)."""
    build_enricher(config).warm_up()


def enrich(item: ParsedItem) -> Enrichment:
    """The enrichment of one cleaned item, with the default config."""
    return build_enricher()(item)


def enrich_batch(items: Sequence[ParsedItem]) -> list[Enrichment]:
    """The enrichments of several cleaned items, with the default config."""
    return build_enricher().batch(items)
