"""Language of an item: the one the feed declares, the one lingua detects, and which wins.

The detector is restricted to the agencies' languages (``WIREFEED_LANGUAGES``, a comma
list of ISO 639-1 codes; ``DEFAULT_LANGUAGES`` otherwise): fewer candidates is both faster
and more accurate. Codes are BCP-47 primary subtags ("fr", "nb").

lingua runs in its low-accuracy mode (trigrams only) unless ``WIREFEED_LANGUAGE_ACCURACY``
is "high": on news items (a headline and paragraphs) both modes agree, and the high mode
holds ~450 MB of n-gram models in every worker against ~25 MB.

Decision:

- nothing detected (text too short, or no letters) -> the declared language;
- declared and detected agree on the primary subtag -> the declared tag (it may carry a
  region, "fr-CA");
- they disagree -> the detected one, if its confidence is at least ``OVERRIDE_CONFIDENCE``
  on a text of at least ``MIN_CHARS`` letters; the declared one otherwise (feeds get
  their own language wrong more often than a detector gets a long text wrong, but a
  headline of three words proves little).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from functools import cache

from lingua import IsoCode639_1, IsoCode639_3, Language, LanguageDetector, LanguageDetectorBuilder

log = logging.getLogger(__name__)

DEFAULT_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "tr", "ar", "ru", "el", "da", "nb", "sv", "fi", "pl")
#: a detection overrides the declared language from this confidence on (0..1)
OVERRIDE_CONFIDENCE = 0.8
#: ... and only on texts with at least this many letters
MIN_CHARS = 40
#: enough text to be sure; the rest is not read (lingua's cost is linear in the length)
MAX_CHARS = 3000


@dataclass(frozen=True, slots=True)
class LanguageResult:
    language: str | None  # what the article is published as
    detected: str | None
    confidence: float | None


def configured_languages() -> tuple[str, ...]:
    value = os.environ.get("WIREFEED_LANGUAGES", "")
    codes = tuple(c.strip().lower() for c in value.split(",") if c.strip())
    return codes or DEFAULT_LANGUAGES


_lock = threading.Lock()


@cache
def _detector(codes: tuple[str, ...]) -> LanguageDetector:
    isos = []
    for code in codes:
        try:
            isos.append(IsoCode639_1.from_str(code))
        except ValueError:
            log.warning("WIREFEED_LANGUAGES: %r is not an ISO 639-1 code lingua knows; ignored", code)
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*isos)
    if os.environ.get("WIREFEED_LANGUAGE_ACCURACY", "low").lower() != "high":
        builder = builder.with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


def detector() -> LanguageDetector:
    """The process-wide detector over the configured languages."""
    with _lock:
        return _detector(configured_languages())


def normalise_tag(tag: str | None) -> str | None:
    """A declared language as BCP-47: "FR" -> "fr", "fr_FR" -> "fr-FR", "fre"/"fra" -> "fr"."""
    if not tag:
        return None
    parts = tag.strip().replace("_", "-").split("-")
    primary = parts[0].lower()
    if not primary.isalpha():
        return None
    if len(primary) == 3:
        primary = _from_639_3(primary) or _BIBLIOGRAPHIC.get(primary, primary)
    rest = [p.upper() if len(p) == 2 else p for p in parts[1:] if p]
    return "-".join([primary, *rest])


# ISO 639-2/B codes that differ from 639-3 (feeds use them: NewsML 1.2 "fre", "ger").
_BIBLIOGRAPHIC = {
    "fre": "fr",
    "ger": "de",
    "dut": "nl",
    "gre": "el",
    "chi": "zh",
    "per": "fa",
    "cze": "cs",
    "alb": "sq",
}


def _from_639_3(code: str) -> str | None:
    try:
        language = Language.from_iso_code_639_3(IsoCode639_3.from_str(code))
    except ValueError:
        return None
    return str(language.iso_code_639_1.name).lower()


def detect(text: str, declared: str | None) -> LanguageResult:
    """Detected language and confidence of ``text``, and the language the item is published in."""
    declared = normalise_tag(declared)
    sample = text[:MAX_CHARS]
    letters = sum(1 for c in sample if c.isalpha())
    if letters == 0:
        return LanguageResult(declared, None, None)
    values = detector().compute_language_confidence_values(sample)
    if not values or values[0].value <= 0:
        return LanguageResult(declared, None, None)
    best = values[0]
    detected = best.language.iso_code_639_1.name.lower()
    confidence = float(best.value)
    if declared is None:
        return LanguageResult(detected, detected, confidence)
    if declared.split("-")[0] == detected:
        return LanguageResult(declared, detected, confidence)
    if confidence >= OVERRIDE_CONFIDENCE and letters >= MIN_CHARS:
        log.debug("declared language %s overridden by detected %s (%.2f)", declared, detected, confidence)
        return LanguageResult(detected, detected, confidence)
    return LanguageResult(declared, detected, confidence)
