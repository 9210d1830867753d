"""Relative dates resolved against the dispatch date, in fr, en, es, tr and de (invented text)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from pipeline.enrich.dates import _screened, find_dates, reference_date, words
from pipeline.enrich.text import make_text
from pipeline.records import DateMention, ParsedItem, When

THURSDAY = date(2022, 1, 13)


def dates(language: str, paragraph: str, reference: date = THURSDAY) -> list[tuple[str, str]]:
    return [(d.text, d.date) for d in find_dates(make_text([("lead", paragraph)]), language, reference)]


@pytest.mark.parametrize(
    ("language", "paragraph", "expected"),
    [
        (
            "fr",
            "Le maire inventé a inauguré jeudi un pont. Il avait visité le chantier lundi. "
            "Hier, la fanfare a répété. La fête du 2 janvier était réussie.",
            [("jeudi", "2022-01-13"), ("lundi", "2022-01-10"), ("Hier", "2022-01-12"), ("2 janvier", "2022-01-02")],
        ),
        (
            "en",
            "The invented mayor opened a bridge on Thursday. He visited the site on Tuesday. "
            "The band will play on Monday. Yesterday it rehearsed. The party on Jan 2 went well.",
            [("Thursday", "2022-01-13"), ("Tuesday", "2022-01-11"), ("Monday", "2022-01-17"),
             ("Yesterday", "2022-01-12"), ("Jan 2", "2022-01-02")],
        ),
        (
            "es",
            "El alcalde inventado inauguró el jueves un puente. Lo visitó el martes. Mañana tocará la banda. "
            "Por la mañana hubo ensayo. La fiesta del 2 de enero salió bien.",
            [("jueves", "2022-01-13"), ("martes", "2022-01-11"), ("Mañana", "2022-01-14"),
             ("2 de enero", "2022-01-02")],
        ),
        (
            "tr",
            "Hayali belediye başkanı perşembe günü köprüyü açtı. Şantiyeyi salı günü gezdi. "
            "Dün bando prova yaptı. Yarın konser verilecek. 2 Ocak günkü şenlik güzeldi.",
            [("perşembe", "2022-01-13"), ("salı", "2022-01-11"), ("Dün", "2022-01-12"), ("Yarın", "2022-01-14"),
             ("2 Ocak", "2022-01-02")],
        ),
        (
            "de",
            "Der erfundene Bürgermeister eröffnete am Donnerstag eine Brücke. Am Morgen regnete es. "
            "Morgen spielt die Kapelle. Gestern war Probe.",
            [("Donnerstag", "2022-01-13"), ("Morgen", "2022-01-14"), ("Gestern", "2022-01-12")],
        ),
    ],
    ids=["fr", "en", "es", "tr", "de"],
)  # fmt: skip
def test_relative_days_resolve_against_the_dispatch_date(
    language: str, paragraph: str, expected: list[tuple[str, str]]
) -> None:
    """The dispatch's own weekday, past and future weekdays by tense, yesterday/tomorrow, a
    day and month without year; "por la mañana" and "am Morgen" are mornings, not dates."""
    assert dates(language, paragraph) == expected


@pytest.mark.parametrize(
    ("language", "phrase", "expected"),
    [
        ("fr", "Lundi dernier, il pleuvait.", "2022-01-10"),
        ("fr", "Lundi prochain, il pleuvra.", "2022-01-17"),
        ("en", "It rained last Thursday.", "2022-01-06"),
        ("es", "El próximo jueves habrá sol.", "2022-01-20"),
        ("tr", "Geçen perşembe yağmur yağdı.", "2022-01-06"),
        ("fr", "Avant-hier, il neigeait.", "2022-01-11"),
    ],
)
def test_last_and_next_weekday_are_strictly_before_and_after(language: str, phrase: str, expected: str) -> None:
    """CLDR's "last/next <weekday>" phrases in each language skip the dispatch's own day."""
    assert [d for _, d in dates(language, phrase)] == [expected]


def test_ambiguous_and_absolute_dates_are_left_alone() -> None:
    """A weekday in a sentence without clear tense, or a date with its year, is not resolved."""
    assert dates("en", "Tuesday's invented parade and next year's fair.") == []
    assert dates("fr", "La foire du 13 janvier 2022 est imaginaire.") == []
    assert dates("en", "The fair opens on Jan. 20, 2022, organisers said.") == []


def test_a_day_and_month_take_the_nearest_year() -> None:
    """ "28 décembre" in a dispatch of 3 January is last year's; "2 janvier" in December next year's."""
    assert dates("fr", "La fête du 28 décembre était réussie.", date(2022, 1, 3)) == [("28 décembre", "2021-12-28")]
    assert dates("fr", "La fête du 2 janvier sera réussie.", date(2021, 12, 20)) == [("2 janvier", "2022-01-02")]


def test_the_dispatch_date_is_content_then_version_then_first_creation() -> None:
    """The reference is the content date when there is one, as a date in the source's zone."""
    first = When(datetime(2022, 1, 12, 23, 30, tzinfo=UTC))
    content = When(datetime(2022, 1, 13, 1, 0, tzinfo=UTC))
    assert reference_date(ParsedItem(format="x", first_created=first)) == date(2022, 1, 12)
    assert reference_date(ParsedItem(format="x", first_created=first, content_created=content)) == date(2022, 1, 13)
    assert reference_date(ParsedItem(format="x")) is None
    assert find_dates(make_text([("lead", "Hier, rien.")]), "fr", None) == ()
    assert find_dates(make_text([("lead", "Hier, rien.")]), "fr", THURSDAY) == (DateMention("Hier", "2022-01-12"),)


@pytest.mark.parametrize("language", ["en", "fr", "es", "tr", "de"])
def test_the_ascii_screen_finds_what_the_screen_finds(language: str) -> None:
    """In ASCII text, the lower-case case-sensitive screen agrees with the IGNORECASE one (5,000 seeded strings)."""
    w = words(language)
    assert w is not None
    names = [*w.relative_days, *w.weekday_phrases, *w.months, *w.weekdays]
    pieces = [
        *names, *(n.upper() for n in names), *(n.title() for n in names),
        " ", "  ", "\n", ",", ".", "-", "1", "12", "3rd", "le", "de", "x", "K", "I", "'",
    ]  # fmt: skip
    rnd = random.Random(2022)
    for _ in range(5_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 8)))
        if text.isascii():
            assert _screened(w, text) == (w.screen.search(text) is not None), text
