"""Organisations: one id for the same body in every language; acronyms in their language only."""

from __future__ import annotations

import pytest

from pipeline.enrich.ner import Span
from pipeline.enrich.organisations import clean_org, find_organisations, gazetteer_hits, org_key
from pipeline.enrich.text import make_text


def ids(text: str, language: str) -> list[str]:
    return [h.org_id for h in gazetteer_hits(make_text([("lead", text)]), language)]


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("fr", "Une réunion inventée de l'OTSC et de l'ONU a eu lieu.", ["csto", "un"]),
        ("en", "An invented CSTO and UN meeting took place.", ["csto", "un"]),
        ("tr", "Hayali bir KGAÖ ve BM toplantısı yapıldı; AB ve DSÖ de katıldı.", ["csto", "un", "eu", "who"]),
        ("es", "Una reunión inventada de la OTAN y la OMS se celebró.", ["nato", "who"]),
        ("ar", "عقد اجتماع خيالي لحلف الناتو ومنظمة الصحة العالمية.", ["nato", "who"]),
        ("en", "The invented Birleşmiş Milletler report was cited.", ["un"]),
    ],
    ids=["fr", "en", "tr", "es", "ar", "full-name-anywhere"],
)
def test_aliases_in_every_language_share_one_id(language: str, text: str, expected: list[str]) -> None:
    """OTSC = CSTO = KGAÖ, ONU = UN = BM, OTAN = NATO = الناتو, OMS = WHO = DSÖ."""
    assert ids(text, language) == expected


def test_language_acronyms_do_not_match_in_other_languages() -> None:
    """The acronym "AB" is the EU in Turkish, but not in English text (a Swedish company suffix)."""
    assert ids("The invented Nordhavn AB shipyard grew.", "en") == []
    assert ids("Hayali bir AB programı açıklandı.", "tr") == ["eu"]


def test_gazetteer_organisations_carry_canonical_name_and_wikidata_uri() -> None:
    """The entity is named canonically, with our stable id as literal and a Wikidata URI."""
    text = make_text([("lead", "Un sommet inventé de l'OTAN suivra. L'OTAN a confirmé.")])
    (nato,) = find_organisations(text, [], "fr")
    assert (nato.name, nato.literal, nato.uri, nato.mentions) == (
        "North Atlantic Treaty Organization",
        "nato",
        "http://www.wikidata.org/entity/Q7184",
        2,
    )


def test_model_org_spans_are_filtered_and_merged() -> None:
    """Model ORG spans: gazetteer ones merged, units and places dropped, "X Co" = "X"."""
    value = "Harbin Lantern Co said. Harbin Lantern gained. NATO agreed. Dlrs/Bu rose. Kazakhstan grew."
    text = make_text([("lead", value)])

    def span(literal: str) -> Span:
        start = value.index(literal)
        return Span(start, start + len(literal), "organisation", "ORG", literal)

    spans = [span("Harbin Lantern Co"), span("Harbin Lantern"), span("NATO"), span("Dlrs/Bu"), span("Kazakhstan")]
    found = find_organisations(text, spans, "en", place_names=frozenset({"kazakhstan"}))
    assert [(o.name, o.mentions, o.uri is not None) for o in found] == [
        ("Harbin Lantern Co", 2, False),
        ("North Atlantic Treaty Organization", 1, True),
    ]


def test_clean_org_and_org_key() -> None:
    """Articles, possessives and trailing words go; legal forms do not split one company."""
    assert clean_org("The U.S. Agriculture Department") == "U.S. Agriculture Department"
    assert clean_org("Stephens Inc and") == "Stephens Inc"
    assert org_key("Marlow Ferries Ltd") == org_key("Marlow Ferries") == "marlow ferries"
