"""Language of an item: the one the feed declares, the one the text shows, and which wins.

The detector chooses among every language it knows (``EnrichConfig.languages`` empty, the
default): lingua's 75 languages, plus the languages lingua has no model for but whose
function words are known (Kurdish, Luxembourgish, Nepali, ...: ``data/language_groups.toml``).
A deployment may still restrict the candidates, for every source (``languages``) or per
source (``source_languages``, "aa=tr|en|fr|ar"): fewer candidates is faster, and the
restriction is a fact about the source. ``bench/language_detection.py`` measures the cost
of choosing among all of them. Codes are BCP-47 primary subtags ("fr", "nb").

lingua runs in its low-accuracy mode (trigrams only) unless ``EnrichConfig.language_accuracy``
is "high": on news items (a headline and paragraphs) both modes agree, and the high mode
holds several hundred MB of n-gram models in every worker.

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
script among the candidates (Greek) needs no function words.

Closely related languages (``data/language_groups.toml``) share function words: one's are
no evidence against another's, and a language without a list of its own (Bosnian) borrows
its group's. Mixed text (a page whose widgets are in another language than its article)
is read by paragraphs: when they disagree, the language of most of the letters is the
text's.

Bosnian, Croatian and Serbian, and Indonesian and Malay, are standards of one language
each; lingua cannot tell them apart reliably. The policy, from evidence in the text:
Cyrillic writing is Serbian; otherwise the markers of each standard (the ekavian or
ijekavian reflex of yat, standard vocabulary such as tisuća/hiljada, tijekom/tokom,
historija/istorija, karena/kerana, and the CLDR month and weekday names only one of them
writes) decide when one standard is clearly ahead. When the text cannot tell, the
language the source declares wins if it is one of the group, and lingua's choice
otherwise (``Identified.settled`` is False then).

``decide`` chooses the published language:

- nothing detected (no letters, or no evidence) -> the declared language, else the
  source's weaker hint (a language the parser inferred from page labels);
- declared and detected agree on the primary subtag -> the declared tag (it may carry a
  region, "fr-CA");
- declared and detected are of one group the text could not settle -> the declared one;
- they disagree -> the detected one, if its confidence is at least ``OVERRIDE_CONFIDENCE``
  on a text of at least ``MIN_CHARS`` letters; the declared one otherwise (feeds get
  their own language wrong more often than a detector gets a long text wrong, but a
  headline of three words proves little).
"""

from __future__ import annotations

import logging
import re
import threading
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from itertools import chain
from typing import Any

from babel.dates import get_day_names, get_month_names
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
from pipeline.enrich.text import count_digits, count_letters

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_LANGUAGES",
    "Identified",
    "LanguageResult",
    "candidate_languages",
    "decide",
    "detect",
    "detector",
    "function_words",
    "identify",
    "item_hint",
    "known_languages",
    "language_words",
    "normalise_tag",
    "same_group",
]

#: a detection overrides the declared language from this confidence on (0..1)
OVERRIDE_CONFIDENCE = 0.8
#: ... and only on texts with at least this many letters
MIN_CHARS = 40
#: enough text to be sure; the rest is not read (lingua's cost is linear in the length)
MAX_CHARS = 3000
#: what is read first (a headline and a lead); the rest only when this does not settle it
FIRST_CHARS = 1000
#: function words of the detected language a text must contain for the detection to count
MIN_FUNCTION_WORDS = 2
#: different language words that make a text prose, not a table or a list
RICH_TEXT = 10
#: different function words that back a detection lingua is unsure of (confidence < 0.5)
STRONG_EVIDENCE = 3
#: lingua's confidence that lets a language without a stop-word list stand unchecked
UNLISTED_CONFIDENCE = 0.9
#: a paragraph with fewer letters says nothing on its own about a mixed text's language
BLOCK_LETTERS = 30
#: a standard of a group is chosen when its markers lead the next one's by this much
MARKER_LEAD = 2
#: lingua weighs the languages with the most function words in the text, this many (and
#: their close relatives, see ``_shortlist``)
SHORTLIST = 4
#: the answer without lingua (``_quick``): this many different function words
#: of one language, making at least this share of the text's different words, this many
#: times as many as any other language's
QUICK_WORDS = 6
QUICK_DENSITY = 0.2
QUICK_LEAD = 2


@dataclass(frozen=True, slots=True)
class LanguageResult:
    language: str | None  # what the article is published as
    detected: str | None
    confidence: float | None


# --------------------------------------------------------------------------- candidates


@cache
def known_languages() -> tuple[str, ...]:
    """Every language the detector knows: lingua's models, then the function-word-only ones."""
    lingua = sorted(str(lang.iso_code_639_1.name).lower() for lang in Language.all())
    extra = sorted(set(_function_words_only()) - set(lingua))
    return (*lingua, *extra)


@cache
def _lingua_codes() -> frozenset[str]:
    return frozenset(str(lang.iso_code_639_1.name).lower() for lang in Language.all())


def candidate_languages(config: EnrichConfig, source: str | None = None) -> tuple[str, ...]:
    """The languages the detector chooses among for ``source`` (an agency id): the source's
    own restriction, else the config's, else every language it knows."""
    restricted = config.languages_for(source)
    return restricted or known_languages()


_lock = threading.Lock()


@lru_cache(maxsize=1024)
def _detector(codes: tuple[str, ...], accuracy: str, preload: bool = True) -> LanguageDetector:
    isos = []
    for code in codes:
        if code not in _lingua_codes():
            continue  # known by its function words only (see _function_words_only)
        try:
            isos.append(IsoCode639_1.from_str(code))
        except ValueError:
            log.warning("languages: %r is not an ISO 639-1 code lingua knows; ignored", code)
    if len(isos) < 2:
        raise ValueError(f"the language detector needs at least two languages lingua knows, got {codes}")
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*isos)
    if accuracy != "high":
        builder = builder.with_low_accuracy_mode()
    # The models are shared by every detector of the process: a detector for a short list
    # of languages is built in a fraction of a millisecond once they are loaded. Preloading
    # makes a new detector's first call slow; only the full set is preloaded (warm-up).
    return (builder.with_preloaded_language_models() if preload else builder).build()


def detector(config: EnrichConfig | None = None, source: str | None = None) -> LanguageDetector:
    """The process-wide detector over the candidate languages (the default config when None)."""
    config = config or EnrichConfig()
    codes = candidate_languages(config, source)
    with _lock:
        return _detector(tuple(sorted(codes)), config.language_accuracy)


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
    "kur": "ku",
    "kmr": "ku",
    "ckb": "ku",
}


def _from_639_3(code: str) -> str | None:
    try:
        language = Language.from_iso_code_639_3(IsoCode639_3.from_str(code))
    except ValueError:
        return None
    return str(language.iso_code_639_1.name).lower()


def _primary(tag: str | None) -> str | None:
    return tag.split("-")[0].lower() if tag else None


# --------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class _Group:
    """Closely related languages (see data/language_groups.toml)."""

    name: str
    members: frozenset[str]
    #: languages close enough to share function words, but not decided among (Slovene)
    relatives: frozenset[str]
    decide: bool
    scripts: Mapping[str, str]  # script name -> the member it decides
    words: Mapping[str, frozenset[str]]  # marker word -> members that write it
    stems: tuple[tuple[str, frozenset[str]], ...]  # marker beginning -> members
    #: marker word or beginning -> what it counts for, where that is not 1 (``weight``)
    weights: Mapping[str, int] = field(default_factory=dict)


def _read_groups() -> dict[str, Any]:
    text = resources.files("pipeline.enrich").joinpath("data", "language_groups.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


#: babel locales that write each member's month and weekday names (Serbian in Latin letters)
_CLDR_LOCALES = {"sr": ("sr_Latn", "sr"), "bs": ("bs",), "hr": ("hr",), "id": ("id",), "ms": ("ms",)}


def _calendar_words(language: str) -> set[str]:
    words: set[str] = set()
    for locale in _CLDR_LOCALES.get(language, (language,)):
        # wide names only: abbreviations ("aug", "mar") are words of other languages too
        for width in ("wide",):
            for context in ("format", "stand-alone"):
                for names in (get_month_names(width, context, locale), get_day_names(width, context, locale)):
                    for name in names.values():
                        words.update(w.casefold() for w in _WORD.findall(name) if len(w) > 2)
    return words


@cache
def _groups() -> tuple[_Group, ...]:
    out = []
    for entry in _read_groups().get("group", ()):
        members = frozenset(entry["members"])
        words: dict[str, set[str]] = {}
        stems: dict[str, set[str]] = {}
        weights: dict[str, int] = {}
        for marker in entry.get("marker", ()):
            langs = set(marker["languages"])
            weight = int(marker.get("weight", 1))
            for word in marker.get("words", ()):
                words.setdefault(word.casefold(), set()).update(langs)
                if weight != 1:
                    weights[word.casefold()] = weight
            for stem in marker.get("stems", ()):
                stems.setdefault(stem.casefold(), set()).update(langs)
                if weight != 1:
                    weights[stem.casefold()] = weight
        if entry.get("decide"):
            # CLDR month and weekday names written by one member only ("rujna", "Agustus")
            calendar = {lang: _calendar_words(lang) for lang in members}
            for lang, names in calendar.items():
                others = set().union(*(calendar[o] for o in members if o != lang))
                for name in names - others:
                    words.setdefault(name, set()).add(lang)
        out.append(
            _Group(
                name=str(entry["name"]),
                members=members,
                relatives=frozenset(entry.get("relatives", ())),
                decide=bool(entry.get("decide", False)),
                scripts=dict(entry.get("script", {})),
                words={w: frozenset(v) for w, v in words.items()},
                stems=tuple(sorted(((s, frozenset(v)) for s, v in stems.items()), key=lambda kv: -len(kv[0]))),
                weights=weights,
            )
        )
    return tuple(out)


@cache
def _group_of(language: str) -> _Group | None:
    for group in _groups():
        if language in group.members:
            return group
    return None


@lru_cache(maxsize=4096)
def same_group(a: str | None, b: str | None) -> bool:
    """Whether two language tags name closely related languages (or the same one)."""
    pa, pb = _primary(a), _primary(b)
    if not pa or not pb:
        return False
    if pa == pb:
        return True
    group = _group_of(pa)
    if group is not None and pb in group.members | group.relatives:
        return True
    group = _group_of(pb)
    return group is not None and pa in group.relatives


@cache
def _function_words_only() -> Mapping[str, str]:
    """ISO 639-1 code -> spaCy code, of the languages known by their function words only."""
    return dict(_read_groups().get("function_words_only", {}))


# --------------------------------------------------------------------------- function words

_WORD = re.compile(r"[^\W\d_]+")
_WORD_SPLIT = re.compile(r"([^\W\d_]+)")
_group = re.Match.group
_APOSTROPHES = frozenset("'’")
_COMPANY_WORDS = frozenset({"co", "inc", "corp", "ltd", "plc", "llc", "sa", "ag", "nv", "spa", "gmbh", "bhd", "pty"})
_COLUMNS = re.compile(r"^.*\S {3,}\S.*$", re.MULTILINE)
#: lines with aligned columns that make a text a table
TABLE_LINES = 3
_PARAGRAPH_END = frozenset(".!?…؟।。\"”»'’)")
#: the letters of a Latin-letter word without a vowel ("cts", "mln", "shrs")
_CONSONANTS = "bcdfghjklmnpqrstvwxz"
_SENTENCE_END = frozenset(".!?:\n")


def language_words(sample: str) -> list[str]:
    """The words of ``sample`` that carry language evidence, lower-cased (see the module doc).

    A text mostly in capitals (a list of titles under one mixed-case line) is read line by
    line: its lines in capitals count every word."""
    lines = [line for line in sample.split("\n") if line.strip()]
    if len(lines) > 1:
        caps = sum(_letters(line) for line in lines if _in_capitals(line))
        if caps * 2 > _letters(sample):
            return [w for line in lines for w in _line_words(line)]
    return _line_words(sample)


def _letters(text: str) -> int:
    return count_letters(text)


def _in_capitals(line: str) -> bool:
    # str.isupper: every cased character upper-case, and at least one
    return line.isupper()


def _line_words(sample: str) -> list[str]:
    # the words and what is printed before each: [before, word, before, word, ..., after]
    # (one split in C; a word's context is its ``before``, no positions to look up)
    parts = _WORD_SPLIT.split(sample)
    words = parts[1::2]
    if not any(w.islower() for w in words):  # all caps, or a script without case: every word counts
        return [w.lower() for w in words]
    befores = parts[::2]  # (the text after the last word aside)
    # a suffix on a name ("Özen'in", "Ankara'da") is not a word of its own: a word printed
    # right after an apostrophe that follows a capitalised word
    names = (
        {
            n
            for n in range(1, len(words))
            if befores[n] in _APOSTROPHES and len(words[n - 1]) > 1 and words[n - 1][0].isupper()
        }
        if "'" in sample or "’" in sample
        else ()
    )
    # a lower-case word (most) is kept as it is, without a call
    kept = [
        word if word.islower() else _odd_word(word, before, n == 0)
        for n, (word, before) in enumerate(zip(words, befores, strict=False))
        if n not in names
    ]
    return [word for word in kept if word is not None]


def _odd_word(word: str, before: str, first: bool) -> str | None:
    """What ``_line_words`` keeps of a word not in lower case: a word of a script without
    case, or capitalised at the start of a sentence, lower-cased; None for the others."""
    low = word.lower()
    if low == word.upper() or word == low:
        return low
    if word[1:] == word[1:].lower() and _sentence_start(before, first):
        return low  # "Le président parle": the first word is a word
    return None


def _sentence_start(before: str, first: bool) -> bool:
    """Whether a word printed after ``before`` starts a sentence (``first``: the text's first word)."""
    before = before.rstrip(" \t\"'«“(")
    return before[-1] in _SENTENCE_END if before else first


@cache
def _stop_words(language: str) -> frozenset[str]:
    """The function words of ``language``: its own list, or its group's when it has none."""
    own = spacy_stop_words(_function_words_only().get(language, language))
    if own:
        return own
    group = _group_of(language)
    if group is None:
        return frozenset()
    return frozenset().union(*(spacy_stop_words(m) for m in group.members if m != language))


def function_words(words: list[str], language: str) -> int | None:
    """How many different stop words of ``language`` are among ``words``; None when no list
    is known for it. Different ones: a table repeating "ex" or "six" says little."""
    stop = _stop_words(language)
    if not stop:
        return None
    return len({w for w in words if w in stop})


@cache
def _stop_index(languages: tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    """Function word -> the languages (of ``languages``) whose list holds it."""
    index: dict[str, list[str]] = {}
    for lang in languages:
        for word in _stop_words(lang):
            index.setdefault(word, []).append(lang)
    return {w: tuple(langs) for w, langs in index.items()}


@cache
def _listed(languages: tuple[str, ...]) -> frozenset[str]:
    return frozenset(lang for lang in languages if _stop_words(lang))


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


# Scripts and the languages written in them: a detection in one needs no function words
# when no other language in that script is a candidate, or lingua sees none in the text
# (Greek text is Greek; Arabic-script text lingua finds no Persian or Urdu in is Arabic).
_SCRIPTS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("arabic", "\u0600-\u06ff", frozenset({"ar", "fa", "ur", "ku", "ps", "sd", "ug"})),
    ("greek", "\u0370-\u03ff", frozenset({"el"})),
    ("cyrillic", "\u0400-\u04ff", frozenset({"ru", "uk", "bg", "sr", "mk", "be", "kk", "mn", "ky", "tt", "tg"})),
    ("hebrew", "\u0590-\u05ff", frozenset({"he", "yi"})),
    ("armenian", "\u0530-\u058f", frozenset({"hy"})),
    ("georgian", "\u10a0-\u10ff", frozenset({"ka"})),
    ("devanagari", "\u0900-\u097f", frozenset({"hi", "mr", "ne"})),
    ("bengali", "\u0980-\u09ff", frozenset({"bn"})),
    ("gurmukhi", "\u0a00-\u0a7f", frozenset({"pa"})),
    ("gujarati", "\u0a80-\u0aff", frozenset({"gu"})),
    ("tamil", "\u0b80-\u0bff", frozenset({"ta"})),
    ("telugu", "\u0c00-\u0c7f", frozenset({"te"})),
    ("thai", "\u0e00-\u0e7f", frozenset({"th"})),
    ("hangul", "\uac00-\ud7af\u1100-\u11ff", frozenset({"ko"})),
    ("kana", "\u3040-\u30ff", frozenset({"ja"})),
    ("han", "\u4e00-\u9fff", frozenset({"zh", "ja"})),
)
#: Latin-script languages lingua knows that have no stop-word list: on prose, always
#: among lingua's candidates (they cannot be shortlisted by their function words)
_UNLISTED_LATIN = ("cy", "eo", "mi", "sn", "so", "st", "sw", "ts", "xh", "zu")
_ALWAYS_LATIN = ("en",)
_SCRIPT_PATTERNS = tuple((name, re.compile(f"[{chars}]"), langs) for name, chars, langs in _SCRIPTS)


#: any letter of one of ``_SCRIPTS``: one scan finds them, Latin text has none
_NON_LATIN = re.compile("[" + "".join(chars for _, chars, _ in _SCRIPTS) + "]")


@lru_cache(maxsize=64)
def _script_counts(sample: str) -> tuple[int, tuple[int, ...]]:
    """Letters of ``sample``, and how many are in each of ``_SCRIPTS`` (in their order).

    Asked several times per text (shortlist, evidence, groups): counted once, in one scan
    for the letters of every script (the scripts' counts are then taken over those alone)."""
    letters = count_letters(sample)
    found = "".join(_NON_LATIN.findall(sample))
    if not found:
        return letters, (0,) * len(_SCRIPT_PATTERNS)
    return letters, tuple(len(pattern.findall(found)) for _, pattern, _ in _SCRIPT_PATTERNS)


def _script_of(sample: str) -> str | None:
    """The script of most of the letters, when it is one of ``_SCRIPTS``."""
    letters, counts = _script_counts(sample)
    for (name, _, _), count in zip(_SCRIPT_PATTERNS, counts, strict=True):
        if count * 2 > letters:
            return name
    return None


def _alone_in_its_script(sample: str, language: str, languages: Iterable[str]) -> bool:
    letters, counts = _script_counts(sample)
    for (_, _, members), count in zip(_SCRIPT_PATTERNS, counts, strict=True):
        if language in members and count * 2 > letters:
            return members & set(languages) == {language}
    return False


class _Evidence:
    """Function words per language in a text's language words, and what they back."""

    def __init__(self, sample: str, languages: tuple[str, ...], plausible: Iterable[str] = ()) -> None:
        self.sample = sample
        self.languages = languages
        #: what lingua finds possible in the text (its candidates); empty: every language
        self.plausible = frozenset(plausible)
        # One-letter words are table codes as often as words ("7-APR ... 12450B"), and so
        # are Latin-letter words without a vowel ("cts", "mln", "shrs"); company designators
        # ("Co", "Inc", "SA") are part of names, in every language.
        self.words = [
            w for w in language_words(sample) if len(w) > 1 and w.strip(_CONSONANTS) and w not in _COMPANY_WORDS
        ]
        self.distinct = len(set(self.words))
        # Running text in a cased script: its language words are lower-case words.
        # (words read one by one: running text shows one within its first few)
        self.running = any(w != w.upper() and w == w.lower() for w in map(_group, _WORD.finditer(sample)))
        # Figures outweighing letters, or columns aligned with runs of spaces on several
        # lines: a table ("Shr 75 cts vs 52 cts"), not prose.
        self.tabular = count_digits(sample) * 2 >= _script_counts(sample)[0] or (
            "   " in sample and len(_COLUMNS.findall(sample)) >= TABLE_LINES
        )
        index = _stop_index(languages)
        # per language, its different function words here (counted in C)
        counts = Counter(chain.from_iterable(filter(None, map(index.get, set(self.words)))))
        #: the languages with a list of function words (``function_words`` for the others)
        self.listed = _listed(languages)
        #: the listed languages with at least one function word here (the others have none)
        self.found = {lang: n for lang, n in counts.items() if lang in self.listed}

    def others(self, language: str) -> int:
        """The most function words any language outside ``language``'s group has here. In
        prose, one short word of a list ("ve", "a", "de") turns up by accident in texts of
        many languages and makes no rival: only ``MIN_FUNCTION_WORDS`` or more count."""
        most = max((n for k, n in self.found.items() if not same_group(k, language)), default=0)
        if self.running and not self.tabular and self.distinct >= RICH_TEXT and most < MIN_FUNCTION_WORDS:
            return 0
        return most

    @property
    def prose(self) -> bool:
        """Running text of many different words, not a table: what a detection without a
        stop-word list may stand on."""
        return self.running and not self.tabular and self.distinct >= 2 * RICH_TEXT

    def backs(self, language: str, confidence: float | None = None) -> bool:
        """Whether the text is evidence enough for ``language``.

        Different function words of the language, more than any unrelated language has
        there (a table's "six" and "net" are French and Dutch words by accident), and either
        at least ``MIN_FUNCTION_WORDS`` making a fifth of the different words, or
        ``STRONG_EVIDENCE`` + 1 (prose around a long table). In running mixed-case text of
        ``RICH_TEXT`` different words (prose, where agglutinative languages such as Turkish
        or Finnish use few separate function words), one is enough if lingua's
        ``confidence`` in the text as printed is high, two otherwise. A language alone in its
        script needs none; a language without any list stands on lingua's ``confidence`` in
        prose.
        """
        if _alone_in_its_script(self.sample, language, self.plausible or self.languages):
            return True
        found = self.found.get(language, 0) if language in self.listed else function_words(self.words, language)
        if found is None:  # no list to check against: only a confident detection on prose
            return self.prose and confidence is not None and confidence >= UNLISTED_CONFIDENCE
        if found <= self.others(language):
            return False
        sure = confidence is not None and confidence >= UNLISTED_CONFIDENCE
        if self.running and not self.tabular and self.distinct >= RICH_TEXT and (found >= MIN_FUNCTION_WORDS or sure):
            # one function word is enough when lingua is sure of the text as printed (its
            # letters say more than its words); a table's lower-case codes pass for prose, so
            # an unsure answer needs two
            return True
        if found >= STRONG_EVIDENCE + 1:
            return True
        return found >= MIN_FUNCTION_WORDS and found * 5 >= self.distinct

    def count(self, language: str) -> int:
        return self.found.get(language, 0)

    def rival(self, language: str) -> bool:
        """Whether an unrelated language has clearly more function words (a mixed text: names
        of one language in the sentences of another)."""
        own = self.count(language)
        return any(
            n >= MIN_FUNCTION_WORDS and n >= own + 2 and not same_group(k, language) for k, n in self.found.items()
        )

    def function_words_only(self) -> str | None:
        """A language known by its function words alone that the text clearly writes in:
        ``STRONG_EVIDENCE`` of its function words or more, ``MIN_FUNCTION_WORDS`` more than
        any other language has there, in prose (or making a fifth of a short text's words)."""
        extras = [lang for lang in self.languages if lang not in _lingua_codes()]
        if not extras:
            return None
        best = max(extras, key=self.count)
        found = self.count(best)
        ahead = found - max((n for k, n in self.found.items() if k != best), default=0)
        if found < STRONG_EVIDENCE or ahead < MIN_FUNCTION_WORDS:
            return None
        # as for lingua's languages (``backs``): prose needs no density, a short text does
        prose = self.running and not self.tabular and self.distinct >= RICH_TEXT
        return best if prose or found * 5 >= self.distinct else None


# --------------------------------------------------------------------------- mixed text


def _main_text(sample: str, lingua: LanguageDetector) -> str:
    """The paragraphs of the language most of the letters are in, when they disagree.

    A page's widgets or a list of other stories' titles may be in another language than
    its article; lingua, given the whole, can rule the article's language out (a letter
    such as "đ" exists in no English model). Paragraphs too short to tell are left out of
    the vote.
    """
    letters_all = _letters(sample)
    if count_digits(sample) * 2 >= letters_all or sample.upper() == sample:
        return sample  # a table or a text in capitals: no paragraphs of prose to vote
    # a paragraph of prose has letters enough and ends a sentence (a table has neither)
    blocks = [
        b for b in re.split(r"\n\s*\n", sample) if _letters(b) >= BLOCK_LETTERS and b.rstrip()[-1:] in _PARAGRAPH_END
    ]
    if len(blocks) < 2:
        return sample
    letters: Counter[str] = Counter()
    of: list[str | None] = []
    for block in blocks:
        found = lingua.detect_language_of(block)
        code = str(found.iso_code_639_1.name).lower() if found is not None else None
        of.append(code)
        if code is not None:
            letters[code] += _letters(block)
    if len(letters) < 2:
        return sample
    top, count = letters.most_common(1)[0]
    if count * 2 <= sum(letters.values()):
        return sample
    return "\n\n".join(b for b, code in zip(blocks, of, strict=True) if code == top)


# --------------------------------------------------------------------------- groups' policy


def _markers(sample: str, group: _Group) -> Counter[str]:
    """Per member, how many different marker words of the group the text writes."""
    scores: Counter[str] = Counter()
    seen: set[str] = set()
    for word in _WORD.findall(sample):
        folded = word.casefold()
        if folded in seen:
            continue
        seen.add(folded)
        langs, marker = group.words.get(folded), folded
        if langs is None:
            for stem, members in group.stems:
                if folded.startswith(stem):
                    langs, marker = members, stem
                    break
        if langs:
            weight = group.weights.get(marker, 1)
            scores.update({lang: weight for lang in langs})
    return scores


def _settle(language: str, sample: str, candidates: Iterable[str]) -> tuple[str, bool]:
    """The member of ``language``'s group the text shows, and whether the text settled it."""
    group = _group_of(language)
    if group is None or not group.decide:
        return language, True
    members = group.members & set(candidates)
    if len(members) < 2:
        return language, True
    script = _script_of(sample)
    if script and script in group.scripts and group.scripts[script] in members:
        return group.scripts[script], True
    scores = _markers(sample, group)
    ranked = sorted(members, key=lambda m: -scores[m])
    first, second = scores[ranked[0]], scores[ranked[1]]
    if first - second >= MARKER_LEAD or (first > 0 and second == 0):
        return ranked[0], True
    return language, False


# --------------------------------------------------------------------------- identify


@dataclass(frozen=True, slots=True)
class Identified:
    """What the text alone says: its language (None: no evidence) and lingua's confidence.

    ``settled`` is False when the text names a group of closely related languages but
    cannot tell which of them it is in (see the module docstring): a declared member wins.
    """

    language: str | None
    confidence: float | None
    letters: int
    settled: bool = True


def _head(sample: str) -> str:
    """The first ``FIRST_CHARS`` of ``sample``, cut after a word."""
    if len(sample) <= FIRST_CHARS:
        return sample
    cut = sample.rfind(" ", FIRST_CHARS // 2, FIRST_CHARS)
    return sample[: cut if cut > 0 else FIRST_CHARS]


def _shortlist(evidence: _Evidence, candidates: tuple[str, ...]) -> tuple[str, ...]:
    """The candidates lingua needs to weigh for a text: a detection must be backed by
    function words (or by a script few languages write, or, without a stop-word list, by
    prose), so the languages with the most function words there, their close relatives,
    the languages of the text's script and, on prose, the Latin-script languages without a
    list are all that can win. Choosing among every language costs a multiple of choosing
    among a few: lingua's time grows with its candidates."""
    usable = set(candidates) & _lingua_codes()
    if len(usable) <= 2 * SHORTLIST:
        return tuple(sorted(usable)) if len(usable) >= 2 else ()  # a restricted set: all of it
    ranked = sorted((-n, lang) for lang, n in evidence.found.items())
    chosen: set[str] = set()
    for _, lang in ranked[:SHORTLIST]:
        group = _group_of(lang)
        chosen.update(group.members if group else (lang,))
    script = _script_of(evidence.sample)
    for name, _, members in _SCRIPT_PATTERNS:
        if name == script:
            chosen.update(members)
    if script is None:
        # English, the language of tables, tickers and codes the world over, is always a
        # rival of a Latin-script text (so that "SHR 3.26 DLRS VS 3.17" is no Italian)
        chosen.update(_ALWAYS_LATIN)
    if script is None and evidence.prose and (-ranked[0][0] if ranked else 0) * 10 < evidence.distinct:
        # prose with few function words of any listed language: perhaps one without a list
        chosen.update(_UNLISTED_LATIN)
    chosen &= usable
    for _, lang in ranked[SHORTLIST:]:  # lingua weighs two languages at least
        if len(chosen) >= 2:
            break
        if lang in usable:
            chosen.add(lang)
    return tuple(sorted(chosen)) if len(chosen) >= 2 else ()


def _attempt(
    sample: str, config: EnrichConfig, candidates: tuple[str, ...], evidence: _Evidence | None = None
) -> tuple[tuple[str, float] | None, _Evidence]:
    """lingua's answer on ``sample`` if the text backs it (see the module docstring)."""
    evidence = evidence or _Evidence(sample, candidates)
    shortlist = _shortlist(evidence, candidates)
    if not shortlist:
        return None, evidence  # no language could be backed: no need to ask lingua
    with _lock:
        lingua = _detector(shortlist, config.language_accuracy, False)
    values = lingua.compute_language_confidence_values(sample)
    evidence.plausible = frozenset(
        str(v.language.iso_code_639_1.name).lower() for v in values if v.value >= CANDIDATE_CONFIDENCE
    )
    best = _best(values, evidence)
    if best is not None and (not evidence.backs(*best) or evidence.rival(best[0])):
        # A table, a list of names, names of one language in the sentences of another:
        # ask again on the words that carry language alone.
        common = " ".join(evidence.words)
        best = _best(lingua.compute_language_confidence_values(common), evidence) if common else None
        if best is not None and not evidence.backs(best[0]):
            best = None
    if best is not None and best[1] < 0.5 and evidence.count(best[0]) < STRONG_EVIDENCE:
        best = None  # lingua unsure, the text not saying more
    return best, evidence


def _quick(evidence: _Evidence, full: str, candidates: tuple[str, ...]) -> tuple[str, bool] | None:
    """The language the head of a text shows beyond doubt without lingua, and whether its
    group's standard is settled; None when lingua must be asked.

    Two cheap signals, each only where it cannot mislead: a script that exactly one
    candidate writes (Greek, Georgian, Hangul...), and in running prose of a cased
    script, function words -- ``QUICK_WORDS`` different ones of one language, at least
    ``QUICK_DENSITY`` of the text's different words, ``QUICK_LEAD`` times as many as any
    other language has there (a closely related one too: Spanish and Portuguese share
    many). A group of standards (Bosnian, Croatian, Serbian) shares its lists: the group
    leads, and its markers must settle the standard. Anything less clear, tables, lists,
    short texts and languages known by their function words alone go to lingua.
    """
    sample = evidence.sample
    script = _script_of(sample)
    if script is not None:
        members = next(m for name, _, m in _SCRIPT_PATTERNS if name == script) & set(candidates)
        if len(members) == 1 and next(iter(members)) in _lingua_codes():
            return next(iter(members)), True
    if not (evidence.running and not evidence.tabular and evidence.distinct >= RICH_TEXT):
        return None
    # the listed languages without a function word here rank last and rival nothing
    ranked = sorted(((n, lang) for lang, n in evidence.found.items()), reverse=True)
    if not ranked:
        return None
    found, best = ranked[0]
    if best not in _lingua_codes() or found < QUICK_WORDS or found < QUICK_DENSITY * evidence.distinct:
        return None
    group = _group_of(best)
    standards = group.members if group is not None and group.decide else frozenset({best})
    rival = max((n for n, lang in ranked if lang not in standards), default=0)
    if found < QUICK_LEAD * rival:
        return None
    language, settled = _settle(best, full, candidates)
    if len(standards) > 1 and not settled:
        return None  # lingua's choice among the standards, as on the full path
    return language, settled


def identify(
    text: str, config: EnrichConfig | None = None, source: str | None = None, declared: str | None = None
) -> Identified:
    """The language of ``text`` when the text backs it (see the module docstring), else None.

    lingua's cost grows with the text and with the number of candidates: the head of the
    text (``FIRST_CHARS``: headline and lead) is read first, and the rest (up to
    ``MAX_CHARS``, by paragraphs when they disagree) only when the head does not settle it.

    What the head shows beyond doubt without lingua (``_quick``) is the answer, when it
    agrees with the ``declared`` language (or none is declared); its confidence is None (it
    is not lingua's). Both profiles identify the language so: on Reuters-21578 lingua is
    asked for a quarter of the texts (short ones, tables, prose with few function words),
    and the answers are the same languages as lingua's on every text (it cost the full
    profile ~1.5 ms per item).
    """
    full = text[:MAX_CHARS]
    letters = _letters(full)
    if letters == 0:
        return Identified(None, None, 0)
    config = config or EnrichConfig()
    candidates = candidate_languages(config, source)
    head = _head(full)
    evidence = _Evidence(head, candidates)
    quick = _quick(evidence, full, candidates)
    if quick is not None and (declared is None or _primary(declared) == quick[0]):
        return Identified(quick[0], None, letters, quick[1])
    best, evidence = _attempt(head, config, candidates, evidence)
    if head != full and (best is None or evidence.count(best[0]) <= STRONG_EVIDENCE):
        # the head did not settle it (a page may open with code or a widget): read it all,
        # by paragraphs when they disagree; the head's answer stands if the whole says nothing
        sample = _main_text(full, detector(config, source))
        found, found_evidence = _attempt(sample, config, candidates)
        if found is not None or best is None:
            best, evidence = found, found_evidence
    if best is None:
        return Identified(evidence.function_words_only(), None, letters)
    language, settled = _settle(best[0], full, candidates)
    return Identified(language, best[1], letters, settled)


def decide(found: Identified, declared: str | None, hint: str | None = None) -> LanguageResult:
    """The language an item is published in, from what its text says, what its feed
    declares and (weaker) what its source hints."""
    declared = normalise_tag(declared)
    hint = normalise_tag(hint)
    detected, confidence = found.language, found.confidence
    if detected is None:
        return LanguageResult(declared or hint, None, None)
    if declared is None:
        if hint and not found.settled and same_group(hint, detected):
            return LanguageResult(hint, detected, confidence)
        return LanguageResult(detected, detected, confidence)
    if declared.split("-")[0] == detected:
        return LanguageResult(declared, detected, confidence)
    if not found.settled and same_group(declared, detected):
        return LanguageResult(declared, detected, confidence)
    if confidence is not None and confidence >= OVERRIDE_CONFIDENCE and found.letters >= MIN_CHARS:
        log.debug("declared language %s overridden by detected %s (%.2f)", declared, detected, confidence)
        return LanguageResult(detected, detected, confidence)
    return LanguageResult(declared, detected, confidence)


def item_hint(extra: Iterable[tuple[str, str]], agency: str | None) -> str | None:
    """A source's weak word on its language: what the parser inferred from the page's labels
    (``language_hint``), else the only language the agency's profile lists."""
    for key, value in extra:
        if key == "language_hint" and value:
            return value
    if agency:
        from pipeline.profiles import get_profile  # the profiles are data of the clean stage

        languages = get_profile(agency).languages
        if len(languages) == 1:
            return languages[0]
    return None


def detect(
    text: str,
    declared: str | None,
    config: EnrichConfig | None = None,
    *,
    source: str | None = None,
    hint: str | None = None,
) -> LanguageResult:
    """Detected language and confidence of ``text``, and the language the item is published in."""
    return decide(identify(text, config, source, normalise_tag(declared)), declared, hint)
