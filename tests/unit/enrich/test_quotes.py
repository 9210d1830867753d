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


@pytest.mark.parametrize(
    ("language", "paragraph", "expected"),
    [
        (
            "es",
            "Marta Ibarzábal dijo: “La biblioteca inventada abrirá todos los domingos”. "
            "“También habrá talleres para niños los sábados”, añadió.",
            [("La biblioteca inventada abrirá todos los domingos", "Marta Ibarzábal"),
             ("También habrá talleres para niños los sábados", "Marta Ibarzábal")],
        ),
        (
            "tr",
            'Bakan Deniz Aras, "Hayali festival bu yıl iki gün sürecek" dedi. '
            'Aras, "Bilet satışları yarın başlayacak ve çok ilgi bekliyoruz" diye konuştu.',
            [("Hayali festival bu yıl iki gün sürecek", "Deniz Aras"),
             ("Bilet satışları yarın başlayacak ve çok ilgi bekliyoruz", "Deniz Aras")],
        ),
        (
            "es",
            "El ministro inventado de Cultura, Pablo Ruiz Soto, afirmó que “la biblioteca abrirá en junio”.",
            [("la biblioteca abrirá en junio", "Pablo Ruiz Soto")],
        ),
        (
            "tr",
            "Hayali Kültür Bakanı Deniz Aras törene katıldı. "
            'Törende konuşan Bakan Aras, "Festival bu yıl iki gün sürecek ve herkes davetli" dedi.',
            [("Festival bu yıl iki gün sürecek ve herkes davetli", "Deniz Aras")],
        ),
    ],
    ids=["es-continued-quotation", "tr-title-and-surname-later", "es-name-between-commas", "tr-surname-in-full"],
)  # fmt: skip
def test_speakers_without_a_ner_model_are_read_from_the_text(
    language: str, paragraph: str, expected: list[tuple[str, str]]
) -> None:
    """No NER model for es and tr: names are read from the capitalised words by the
    attribution verb; a later quotation with no name continues the previous speaker's."""
    found = find_quotes(make_text([("lead", paragraph)]), language, [])
    assert [(q.text, q.speaker) for q in found] == expected


@pytest.mark.parametrize(
    ("language", "paragraph", "people", "speaker"),
    [
        (
            "en",
            'Mayor Lena Fairbrook opened the invented fair. "We expect more visitors than ever before," she said.',
            ["Lena Fairbrook"],
            "Lena Fairbrook",
        ),
        (
            "fr",
            "Arno Vilks a visité le musée. « Nous rouvrirons le musée imaginaire en juin », a-t-il ajouté.",
            ["Arno Vilks"],
            "Arno Vilks",
        ),
        (
            "en",
            'Lena Fairbrook met Tom Quill. "The invented fair will be the best one yet," he said.',
            ["Lena Fairbrook", "Tom Quill"],
            None,
        ),
        (
            "en",
            '"The invented fair opens on Monday," Tom Quill said, adding that Lena Fairbrook would attend.',
            ["Lena Fairbrook", "Tom Quill"],
            "Tom Quill",
        ),
        ("fr", "Arno Vilks : « Nous rouvrirons le musée imaginaire en juin ».", ["Arno Vilks"], "Arno Vilks"),
        (
            "es",
            "El alcalde inventado de Villaluz dijo en Puerto Claro que “las obras terminarán en junio”.",
            [],
            None,
        ),
    ],
    ids=["pronoun-after-one-name", "fr-inverted-pronoun", "pronoun-after-two-names", "name-by-the-verb-wins",
         "colon-introduction", "place-is-no-speaker"],
)  # fmt: skip
def test_pronouns_colons_and_places(language: str, paragraph: str, people: list[str], speaker: str | None) -> None:
    """ "she said" takes the one person named just before (none if two); "Name : «…»" is
    that person's; a place by the verb is no speaker."""
    found = find_quotes(
        make_text([("lead", paragraph)]), language, [person(n) for n in people], frozenset({"puerto claro"})
    )
    assert [q.speaker for q in found] == [speaker]
