"""Language of an item: the one the feed declares, the one lingua detects, and which wins.

The detector is restricted to the agencies' languages (``EnrichConfig.languages``, ISO
639-1 codes): fewer candidates is both faster and more accurate. Codes are BCP-47 primary
subtags ("fr", "nb").

lingua runs in its low-accuracy mode (trigrams only) unless ``EnrichConfig.language_accuracy``
is "high": on news items (a headline and paragraphs) both modes agree, and the high mode
holds ~450 MB of n-gram models in every worker against ~25 MB.

``identify`` says what the text alone says. A detection must be backed by evidence:
function words of the detected language (spaCy's stop-word lists) among the words that
carry language — in mixed-case text the lower-case words and the first word of each
sentence, since names, acronyms and tickers are the same in every language; in all-caps
text or a script without case, every word (see ``_Evidence.backs`` for the thresholds).
A wire table ("Shr 75 cts vs 52 cts") or a list of names has none, and lingua's answer on
it is noise. On a short text lingua hesitates between candidates; the one with more
function words there wins ("TEXACO HAS NO COMMENT ON ..." is 0.73 French to lingua).
When the answer still lacks evidence, or another language has clearly more function
words (names of one language in sentences of another), the detector is asked again on
the language words alone (a results table in English with Portuguese team names is
English); without evidence then, the text is undetermined. A language alone in its
script among the configured ones (Arabic) needs no function words.

``decide`` chooses the published language:

- nothing detected (no letters, or no evidence) -> the declared language;
- declared and detected agree on the primary subtag -> the declared tag (it may carry a
  region, "fr-CA");
- they disagree -> the detected one, if its confidence is at least ``OVERRIDE_CONFIDENCE``
  on a text of at least ``MIN_CHARS`` letters; the declared one otherwise (feeds get
  their own language wrong more often than a detector gets a long text wrong, but a
  headline of three words proves little).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import cache

from lingua import (
    ConfidenceValue,
    IsoCode639_1,
    IsoCode639_3,
    Language,
    LanguageDetector,
    LanguageDetectorBuilder,
)

from pipeline.enrich.config import DEFAULT_LANGUAGES, EnrichConfig
from pipeline.enrich.stopwords import spacy_stop_words

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_LANGUAGES",
    "Identified",
    "LanguageResult",
    "decide",
    "detect",
    "detector",
    "function_words",
    "identify",
    "language_words",
    "normalise_tag",
]

#: a detection overrides the declared language from this confidence on (0..1)
OVERRIDE_CONFIDENCE = 0.8
#: ... and only on texts with at least this many letters
MIN_CHARS = 40
#: enough text to be sure; the rest is not read (lingua's cost is linear in the length)
MAX_CHARS = 3000
#: function words of the detected language a text must contain for the detection to count
MIN_FUNCTION_WORDS = 2
#: different language words that make a text prose, not a table or a list
RICH_TEXT = 10
#: different function words that back a detection lingua is unsure of (confidence < 0.5)
STRONG_EVIDENCE = 3


@dataclass(frozen=True, slots=True)
class LanguageResult:
    language: str | None  # what the article is published as
    detected: str | None
    confidence: float | None


_lock = threading.Lock()


@cache
def _detector(codes: tuple[str, ...], accuracy: str) -> LanguageDetector:
    isos = []
    for code in codes:
        try:
            isos.append(IsoCode639_1.from_str(code))
        except ValueError:
            log.warning("languages: %r is not an ISO 639-1 code lingua knows; ignored", code)
    if len(isos) < 2:
        raise ValueError(f"the language detector needs at least two languages lingua knows, got {codes}")
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*isos)
    if accuracy != "high":
        builder = builder.with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


def detector(config: EnrichConfig | None = None) -> LanguageDetector:
    """The process-wide detector over the config's languages (the default config when None)."""
    config = config or EnrichConfig()
    with _lock:
        return _detector(config.languages, config.language_accuracy)


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


_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_END = frozenset(".!?:\n")


def language_words(sample: str) -> list[str]:
    """The words of ``sample`` that carry language evidence, lower-cased (see the module doc)."""
    matches = list(_WORD.finditer(sample))
    cased = [m.group() for m in matches if m.group().lower() != m.group().upper()]
    lower_case = [w for w in cased if w == w.lower()]
    if not lower_case:  # all caps, or a script without case: every word counts
        return [m.group().lower() for m in matches]
    out = []
    previous: re.Match[str] | None = None
    for m in matches:
        word = m.group()
        glued = previous is not None and previous.end() + 1 == m.start() and sample[previous.end()] in "'’"
        if glued and previous is not None and len(previous.group()) > 1 and previous.group()[0].isupper():
            previous = m
            continue  # a suffix on a name ("Özen'in", "Ankara'da"), not a word of its own
        previous = m
        if word.lower() == word.upper() or word == word.lower():
            out.append(word.lower())
        elif word[1:] == word[1:].lower() and _sentence_start(sample, m.start()):
            out.append(word.lower())  # "Le président parle": the first word is a word
    return out


def _sentence_start(sample: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and sample[i] in " \t\"'«“(":
        i -= 1
    return i < 0 or sample[i] in _SENTENCE_END


def function_words(words: list[str], language: str) -> int | None:
    """How many different stop words of ``language`` are among ``words``; None when no list
    is known for it. Different ones: a table repeating "ex" or "six" says little."""
    stop = spacy_stop_words(language)
    if not stop:
        return None
    return len({w for w in words if w in stop})


#: lingua's candidates for a text: the languages it gives at least this confidence
CANDIDATE_CONFIDENCE = 0.01


def _best(values: list[ConfidenceValue], evidence: _Evidence) -> tuple[str, float] | None:
    """lingua's language for the text, unless another of its candidates has more function
    words there (on a short text lingua hesitates: "TEXACO HAS NO COMMENT ON ..." is 0.73
    French, 0.25 English; its three English function words against two French ones decide)."""
    # lingua's confidences vary in the last bits from call to call; rounded, the same
    # text always gets the same value.
    candidates = [
        (v.language.iso_code_639_1.name.lower(), round(float(v.value), 4))
        for v in values
        if v.value >= CANDIDATE_CONFIDENCE
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (evidence.count(c[0]), c[1]))


# Scripts written by few languages: a detection in one of them needs no function words
# when it is the only configured language in that script (Arabic text in a config
# without Persian or Urdu is Arabic).
_SCRIPTS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("arabic", "\u0600-\u06ff", frozenset({"ar", "fa", "ur"})),
    ("greek", "\u0370-\u03ff", frozenset({"el"})),
    ("cyrillic", "\u0400-\u04ff", frozenset({"ru", "uk", "bg", "sr", "mk", "be", "kk", "mn"})),
    ("hebrew", "\u0590-\u05ff", frozenset({"he"})),
    ("armenian", "\u0530-\u058f", frozenset({"hy"})),
    ("georgian", "\u10a0-\u10ff", frozenset({"ka"})),
)
_SCRIPT_PATTERNS = tuple((name, re.compile(f"[{chars}]"), langs) for name, chars, langs in _SCRIPTS)


def _alone_in_its_script(sample: str, language: str, languages: tuple[str, ...]) -> bool:
    letters = sum(1 for c in sample if c.isalpha())
    for _, pattern, members in _SCRIPT_PATTERNS:
        if language in members and len(pattern.findall(sample)) * 2 > letters:
            return members & set(languages) == {language}
    return False


class _Evidence:
    """Function words per language in a text's language words, and what they back."""

    def __init__(self, sample: str, languages: tuple[str, ...]) -> None:
        self.sample = sample
        self.languages = languages
        # One-letter words are table codes as often as words ("7-APR ... 12450B").
        self.words = [w for w in language_words(sample) if len(w) > 1]
        self.distinct = len(set(self.words))
        # Running text in a cased script: its language words are lower-case words.
        self.running = any(w != w.upper() and w == w.lower() for w in _WORD.findall(sample))
        # Figures outweighing letters: a table ("Shr 75 cts vs 52 cts"), not prose.
        self.tabular = sum(c.isdigit() for c in sample) * 2 >= sum(c.isalpha() for c in sample)
        self.counts = {lang: function_words(self.words, lang) for lang in languages}

    def backs(self, language: str) -> bool:
        """Whether the text is evidence enough for ``language``.

        Different function words of the language, more than any other language has there
        (a table's "six" and "net" are French and Dutch words by accident), and either at
        least ``MIN_FUNCTION_WORDS`` making a fifth of the different words, or
        ``STRONG_EVIDENCE`` + 1 (prose around a long table). In running mixed-case text of
        ``RICH_TEXT`` different words (prose, where agglutinative languages such as Turkish
        or Finnish use few separate function words), one is enough. A language alone in its
        script needs none.
        """
        if _alone_in_its_script(self.sample, language, self.languages):
            return True
        found = self.counts.get(language)
        if found is None:
            found = function_words(self.words, language)
        if found is None:
            return True  # no list to check against: trust the detector
        others = max((n for k, n in self.counts.items() if k != language and n is not None), default=0)
        if found <= others:
            return False
        if self.running and not self.tabular and self.distinct >= RICH_TEXT:
            return True
        if found >= STRONG_EVIDENCE + 1:
            return True
        return found >= MIN_FUNCTION_WORDS and found * 5 >= self.distinct

    def count(self, language: str) -> int:
        return self.counts.get(language) or 0

    def rival(self, language: str) -> bool:
        """Whether another language has clearly more function words (a mixed text: names of
        one language in the sentences of another)."""
        own = self.count(language)
        return any(n is not None and n >= MIN_FUNCTION_WORDS and n >= own + 2 for n in self.counts.values())


@dataclass(frozen=True, slots=True)
class Identified:
    """What the text alone says: its language (None: no evidence) and lingua's confidence."""

    language: str | None
    confidence: float | None
    letters: int


def identify(text: str, config: EnrichConfig | None = None) -> Identified:
    """The language of ``text`` when the text backs it (see the module docstring), else None."""
    sample = text[:MAX_CHARS]
    letters = sum(1 for c in sample if c.isalpha())
    if letters == 0:
        return Identified(None, None, 0)
    config = config or EnrichConfig()
    lingua = detector(config)
    evidence = _Evidence(sample, config.languages)
    best = _best(lingua.compute_language_confidence_values(sample), evidence)
    if best is not None and (not evidence.backs(best[0]) or evidence.rival(best[0])):
        # A table, a list of names, names of one language in the sentences of another:
        # ask again on the words that carry language alone.
        common = " ".join(evidence.words)
        best = _best(lingua.compute_language_confidence_values(common), evidence) if common else None
        if best is not None and not evidence.backs(best[0]):
            best = None
    if best is not None and best[1] < 0.5 and evidence.count(best[0]) < STRONG_EVIDENCE:
        best = None  # lingua unsure, the text not saying more
    if best is None:
        return Identified(None, None, letters)
    return Identified(best[0], best[1], letters)


def decide(found: Identified, declared: str | None) -> LanguageResult:
    """The language an item is published in, from what its text says and what its feed declares."""
    declared = normalise_tag(declared)
    detected, confidence = found.language, found.confidence
    if detected is None:
        return LanguageResult(declared, None, None)
    if declared is None:
        return LanguageResult(detected, detected, confidence)
    if declared.split("-")[0] == detected:
        return LanguageResult(declared, detected, confidence)
    if confidence is not None and confidence >= OVERRIDE_CONFIDENCE and found.letters >= MIN_CHARS:
        log.debug("declared language %s overridden by detected %s (%.2f)", declared, detected, confidence)
        return LanguageResult(detected, detected, confidence)
    return LanguageResult(declared, detected, confidence)


def detect(text: str, declared: str | None, config: EnrichConfig | None = None) -> LanguageResult:
    """Detected language and confidence of ``text``, and the language the item is published in."""
    return decide(identify(text, config), declared)
