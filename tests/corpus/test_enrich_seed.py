"""Enrichment of real agency text, read in place from the corpus (never copied).

- the seed (``seed/000_562c3f23ca94c5ff.txt``, Anadolu Agency, French) through the webtext
  parser, the clean stage and the enrich stage: every point of issue 2 (6) and issue 5 on
  language, people, places (GeoNames ids and rel), organisations and subjects;
- the language of every excerpt of ``web/pages-corpus-agency-excerpts/excerpts.jsonl``
  (each carries its language) and of the Turkish AA scrapes in ``web/aritespit-aa-news-tr``.
"""

from __future__ import annotations

import csv
import json

import pytest

from pipeline.enrich.language import detect
from pipeline.parsers.webtext import WebTextParser
from pipeline.records import Enrichment
from pipeline.stages.clean import clean
from pipeline.stages.enrich import enrich
from tests.corpus_files import corpus_available, corpus_root, require_corpus

pytestmark = pytest.mark.corpus

GEONAMES = "https://sws.geonames.org/{}/"


@pytest.fixture(scope="module")
def seed() -> Enrichment:
    raw = require_corpus("seed", "000_562c3f23ca94c5ff.txt").read_bytes()
    items = WebTextParser().parse(raw, ())
    assert len(items) == 1
    return enrich(clean(items[0]))


def test_seed_language_is_french(seed: Enrichment) -> None:
    """The seed is published, and detected, as French."""
    assert (seed.language, seed.language_detected) == ("fr", "fr")


def test_seed_people_are_exactly_the_three_leaders(seed: Enrichment) -> None:
    """Putin, Tokayev and Mirziyoyev, each once; not the author nor the translator."""
    assert sorted(p.name for p in seed.people) == ["Kassym-Jomart Tokayev", "Shavkat Mirziyoyev", "Vladimir Poutine"]


@pytest.mark.parametrize(
    ("geonameid", "name", "country", "feature", "rel"),
    [
        (524901, "Moscou", "RU", "city", "dateline"),
        (2017370, "Russie", "RU", "country", "dateline"),
        (1522867, "Kazakhstan", "KZ", "country", "about"),
        (1512440, "Ouzbékistan", "UZ", "country", "about"),  # "ouzbek" in the headline
        (630336, "Biélorussie", "BY", "country", "mentioned"),
        (174982, "Arménie", "AM", "country", "mentioned"),
        (1220409, "Tadjikistan", "TJ", "country", "mentioned"),
        (1526384, "Almaty", "KZ", "city", "mentioned"),
        (607610, "Zhanaozen", "KZ", "city", "mentioned"),
    ],
    ids=lambda value: str(value),
)
def test_seed_places_have_geonames_ids_and_rel(
    seed: Enrichment, geonameid: int, name: str, country: str, feature: str, rel: str
) -> None:
    """Each expected place: its GeoNames URI, its name as a French article writes it
    (issue 2: Russie, Ouzbékistan, Moscou, Kazakhstan, Almaty), country, feature,
    coordinates and rel."""
    by_uri = {p.uri: p for p in seed.places}
    place = by_uri[GEONAMES.format(geonameid)]
    assert (place.name, place.kind, place.country, place.feature, place.rel) == (name, "place", country, feature, rel)
    assert place.latitude is not None and place.longitude is not None


def test_seed_has_no_other_places(seed: Enrichment) -> None:
    """Nothing else is taken for a place (no "Moscow City" caption, no "Kremlin")."""
    assert len(seed.places) == 9


def test_seed_organisations_include_the_csto(seed: Enrichment) -> None:
    """The acronym "OTSC" and its spelled-out French name are one organisation, the CSTO."""
    csto = [o for o in seed.organisations if o.name == "Collective Security Treaty Organization"]
    assert len(csto) == 1
    assert csto[0].mentions == 5  # the full name once, "OTSC" four times


def test_seed_subjects_include_politics(seed: Enrichment) -> None:
    """Media topic politics (11000000) comes first, with its URI and a confidence."""
    politics = seed.subjects[0]
    assert (politics.code, politics.uri) == ("11000000", "http://cv.iptc.org/newscodes/mediatopic/11000000")
    assert politics.confidence is not None and politics.confidence >= 90


def _excerpts() -> list:
    path = corpus_root() / "web" / "pages-corpus-agency-excerpts" / "excerpts.jsonl"
    if not corpus_available() or not path.is_file():
        return [pytest.param(None, None, id="corpus-absent", marks=pytest.mark.skip(reason=f"{path} not found"))]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [pytest.param(r["excerpt"], r["lang"], id=f"excerpts.jsonl#{i}") for i, r in enumerate(rows, start=1)]


@pytest.mark.parametrize(("text", "language"), _excerpts())
def test_excerpt_language_is_detected(text: str, language: str) -> None:
    """Every agency excerpt is detected in the language its record gives."""
    assert detect(text, None).language == language


def test_turkish_aa_scrapes_are_detected_as_turkish() -> None:
    """All 60 rows of the AA Turkish scrapes (two CSV files) are Turkish."""
    folder = require_corpus("web", "aritespit-aa-news-tr")
    texts = []
    for name in ("aa_news.csv", "aa_news.c2a19a28.csv"):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            texts += [row["Content"] for row in csv.DictReader(handle) if row.get("Content", "").strip()]
    assert len(texts) == 60
    assert {detect(text, None).language for text in texts} == {"tr"}


def test_seed_relative_dates_resolve_against_the_dispatch_date(seed: Enrichment) -> None:
    """ "jeudi" in a dispatch of Thursday 13 January 2022 is that day; "Le 2 janvier" is 2022's."""
    assert [(d.text, d.date, d.precision) for d in seed.dates] == [
        ("jeudi", "2022-01-13", "day"),
        ("Le 2 janvier", "2022-01-02", "day"),
    ]


def test_seed_quotations_have_no_attributable_speaker(seed: Enrichment) -> None:
    """Four quotations: a communiqué ("peut-on lire"), two leaders together, "Ils": no speaker."""
    assert len(seed.quotes) == 4
    assert [q.speaker for q in seed.quotes] == [None, None, None, None]
