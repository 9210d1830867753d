"""Quotes: direct quotations and their speakers, in several languages (invented text)."""

from __future__ import annotations

import pytest

from pipeline.enrich.quotes import find_quotes
from pipeline.enrich.text import make_text
from pipeline.records import Entity, Quote


def person(name: str) -> Entity:
    return Entity(name=name, kind="person", literal=name)


@pytest.mark.parametrize(
    ("language", "paragraph", "people", "expected"),
    [
        (
            "en",
            '"The harvest festival will go ahead as planned," Mayor Lena Fairbrook said on Monday.',
            ["Lena Fairbrook", "Tom Quill"],
            Quote("The harvest festival will go ahead as planned,", "Lena Fairbrook"),
        ),
        (
            "fr",
            "« Nous rouvrirons le musée imaginaire en juin », a déclaré Arno Vilks, son directeur.",
            ["Arno Vilks"],
            Quote("Nous rouvrirons le musée imaginaire en juin", "Arno Vilks"),
        ),
        (
            "es",
            "Marta Ibarzábal dijo: “La biblioteca inventada abrirá todos los domingos”.",
            ["Marta Ibarzábal"],
            Quote("La biblioteca inventada abrirá todos los domingos", "Marta Ibarzábal"),
        ),
        (
            "tr",
            'Deniz Aras, "Hayali festival bu yıl iki gün sürecek" dedi.',
            ["Deniz Aras"],
            Quote("Hayali festival bu yıl iki gün sürecek", "Deniz Aras"),
        ),
    ],
    ids=["en", "fr", "es", "tr"],
)
def test_quote_with_attributed_speaker(language: str, paragraph: str, people: list[str], expected: Quote) -> None:
    """The person named next to the attribution verb is the speaker."""
    found = find_quotes(make_text([("lead", paragraph)]), language, [person(n) for n in people])
    assert found == (expected,)


def test_surname_alone_identifies_the_speaker() -> None:
    """A later "Fairbrook said" is attributed to Lena Fairbrook."""
    text = make_text([("body", 'Fairbrook said: "We expect more visitors than ever before."')])
    assert find_quotes(text, "en", [person("Lena Fairbrook")]) == (
        Quote("We expect more visitors than ever before.", "Lena Fairbrook"),
    )


def test_unattributed_quotes_and_scare_quotes() -> None:
    """A communiqué quote has no speaker; two-word quoted phrases are not quotations."""
    text = make_text(
        [
            (
                "body",
                "Le texte salue « une coopération exemplaire entre les deux villes inventées », peut-on lire. "
                "Le projet dit « pont vert » avance.",
            )
        ]
    )
    assert find_quotes(text, "fr", [person("Arno Vilks")]) == (
        Quote("une coopération exemplaire entre les deux villes inventées", None),
    )


def test_a_name_inside_the_quotation_is_not_its_speaker() -> None:
    """A quotation naming Arno Vilks, without attribution, has no speaker."""
    text = make_text([("body", "« Arno Vilks a tout changé pour le musée », peut-on lire dans le rapport.")])
    assert find_quotes(text, "fr", [person("Arno Vilks")]) == (Quote("Arno Vilks a tout changé pour le musée", None),)
