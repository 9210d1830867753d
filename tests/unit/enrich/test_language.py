"""Language: detection restricted to the agency languages, and the declared-vs-detected rule."""

from __future__ import annotations

import pytest

from pipeline.enrich.language import DEFAULT_LANGUAGES, configured_languages, detect, normalise_tag

FR = (
    "Une association de jardiniers inventée a inauguré samedi un potager partagé sur le toit "
    "d'une ancienne gare, où les habitants cultiveront des tomates et des herbes aromatiques."
)
TR = (
    "Hayali bir bahçıvanlar derneği cumartesi günü eski bir tren istasyonunun çatısında ortak "
    "bir sebze bahçesi açtı; mahalle sakinleri burada domates ve otlar yetiştirecek."
)
AR = "افتتحت جمعية خيالية للبستانيين يوم السبت حديقة خضروات مشتركة على سطح محطة قطار قديمة."
ES = (
    "Una asociación inventada de jardineros inauguró el sábado un huerto compartido en la azotea "
    "de una antigua estación de tren, donde los vecinos cultivarán tomates y hierbas."
)
EN = (
    "An invented gardeners' association opened a shared vegetable garden on Saturday on the roof "
    "of a former railway station, where residents will grow tomatoes and herbs."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(FR, "fr"), (TR, "tr"), (AR, "ar"), (ES, "es"), (EN, "en")],
    ids=["fr", "tr", "ar", "es", "en"],
)
def test_detects_the_language_of_a_paragraph(text: str, expected: str) -> None:
    """Without a declared language, the detected one is published, with its confidence."""
    result = detect(text, None)
    assert (result.language, result.detected) == (expected, expected)
    assert result.confidence is not None and result.confidence > 0.9


def test_declared_language_with_a_region_is_kept_when_it_agrees() -> None:
    """A declared "fr-CA" is kept as is when the text is French."""
    assert detect(FR, "fr_CA").language == "fr-CA"


def test_detected_language_wins_a_conflict_on_a_long_text() -> None:
    """A feed that says "en" over a Turkish paragraph is overruled."""
    result = detect(TR, "en")
    assert (result.language, result.detected) == ("tr", "tr")


def test_declared_language_wins_on_a_short_text() -> None:
    """Three words prove little: the declared language stays."""
    result = detect("Le président parle", "en")
    assert result.language == "en"
    assert result.detected == "fr"


def test_text_without_letters_keeps_the_declared_language() -> None:
    """Figures only: nothing to detect."""
    result = detect("12 345 678 -- 90", "de")
    assert (result.language, result.detected, result.confidence) == ("de", None, None)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("FR", "fr"),
        ("fr_FR", "fr-FR"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("ger", "de"),
        ("tur", "tr"),
        ("en-us", "en-US"),
        ("", None),
    ],
)
def test_declared_tags_become_bcp47(tag: str, expected: str | None) -> None:
    """ISO 639-2/3 codes and underscores are normalised to BCP-47."""
    assert normalise_tag(tag) == expected


def test_language_set_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    """WIREFEED_LANGUAGES overrides the default agency languages."""
    monkeypatch.setenv("WIREFEED_LANGUAGES", "fr, tr ,ar")
    assert configured_languages() == ("fr", "tr", "ar")
    monkeypatch.delenv("WIREFEED_LANGUAGES")
    assert configured_languages() == DEFAULT_LANGUAGES
