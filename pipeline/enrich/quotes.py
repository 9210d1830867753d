"""Direct quotations and, where the text makes it clear, who said them.

A quotation is text between double quotation marks of any typographic convention
(“…”, «…», „…“, "…", also mismatched pairs such as "…” that scraped pages produce), of at
least ``MIN_WORDS`` words — shorter quoted phrases are titles, nicknames or scare quotes —
and not title-cased (the quoted name of a plan or a law is no speech).

Who said it, looked for in the quotation's own sentence, outside the quotation:

1. candidates: the people the people step found (full name or surname); for languages
   without a NER model (es, tr, ...), names read from the text — two to four capitalised
   words ("Deniz Aras"), or a title and a capitalised word ("Cumhurbaşkanı Erdoğan",
   titles from ``data/person_titles.toml``);
2. with an attribution word of the language nearby ("said", "a déclaré", "dijo", "dedi",
   "قال", ``data/quote_verbs.toml``): the candidate nearest to it; two candidates side by
   side ("A et B ont salué") share the quotation, which then has no single speaker;
3. with no attribution word: a name introducing the quotation with a colon ("Aras: «…»"),
   or the only candidate of the sentence;
4. an attribution word with no name (a pronoun, "he said", "a-t-il ajouté", or none at
   all, "dijo", "dedi"): the quotation continues the previous one of the same or the
   previous paragraph, and takes its speaker; else the one person named in the sentence
   before, if only one is.

Otherwise the speaker is left empty: "peut-on lire", a communiqué, "the two leaders" are
not guessed at. Quotations travel in ``Enrichment.quotes``; ninjs 3.1 has no field for
them, so where they appear in the published event is the normaliser's choice.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pipeline.enrich.people import titles
from pipeline.enrich.stopwords import spacy_stop_words
from pipeline.enrich.text import Segment, Text, fold
from pipeline.records import Entity, Quote

MIN_WORDS = 4
#: how far (characters) on either side of a quotation its speaker may be named
WINDOW = 160

_OPEN = '"“„«'
_CLOSE = '"”“»'
_QUOTE = re.compile(rf"[{_OPEN}]\s*([^{_OPEN}{_CLOSE}\n]+?)\s*[{_CLOSE}]")
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"“„«(]*\s*[^\W\d_])")
# What stands between two names that speak together: "A and B", "A et B", "A, B ve C".
_TOGETHER = re.compile(r"^\s*(?:,|and|et|y|e|ve|ile|und|و)?\s*$")
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# Lower-case words that may sit inside a name ("Osama bin Laden", "Luiz Inácio da Silva").
_PARTICLES = frozenset("al bin ibn de del da do dos van von ter".split())  # noqa: SIM905


@dataclass(frozen=True, slots=True)
class _Words:
    verbs: re.Pattern[str] | None
    pronouns: re.Pattern[str] | None


@cache
def _words(language: str | None) -> _Words:
    with (resources.files("pipeline.enrich") / "data" / "quote_verbs.toml").open("rb") as handle:
        data = tomllib.load(handle)
    lang = (language or "").split("-")[0].lower()
    return _Words(_alternatives(data.get(lang, [])), _alternatives(data.get("pronouns", {}).get(lang, [])))


def _alternatives(words: Sequence[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in fold(word).split()) for word in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def verbs(language: str | None) -> re.Pattern[str] | None:
    """Attribution words of the language as one pattern over folded text, or None."""
    return _words(language).verbs


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int  # in the segment
    end: int
    name: str


def _person_patterns(people: Sequence[Entity]) -> list[tuple[str, re.Pattern[str]]]:
    """Each person with a pattern for their full name or surname, on folded text."""
    out = []
    for person in people:
        forms = {fold(person.name)}
        words = person.name.split()
        if len(words) > 1 and len(words[-1]) >= 3:
            forms.add(fold(words[-1]))
        if person.literal:
            forms.add(fold(person.literal))
        alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
        out.append((person.name, re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")))
    return out


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and word != word.upper()


@cache
def _name_rules(language: str | None) -> tuple[frozenset[str], tuple[str, ...]]:
    """Words and last-word endings that are no part of a person's name (person_titles.toml)."""
    with (resources.files("pipeline.enrich") / "data" / "person_titles.toml").open("rb") as handle:
        data = tomllib.load(handle)
    row = data.get((language or "").split("-")[0].lower(), {})
    return frozenset(fold(w) for w in row.get("not_names", [])), tuple(fold(e) for e in row.get("not_name_endings", []))


def _text_names(value: str, language: str | None, exclude: frozenset[str]) -> list[_Mention]:
    """Names read from the text itself: runs of two to four capitalised words (particles
    allowed inside), or one capitalised word after a title ("Bakan Aras", "Milli Savunma
    Bakanı Güler": the name follows the last title of the run). A run with a word of an
    institution ("Bakanlığı", "Ministry"), a place or an organisation the item names, is
    no person's name."""
    tokens = list(_TOKEN.finditer(value))
    title_words = {t[-1] for t in titles(language)}
    stop = spacy_stop_words(language)
    words, endings = _name_rules(language)
    not_names = words | exclude
    lower_words = {t.group() for t in tokens if t.group() == t.group().lower()}
    out: list[_Mention] = []
    i = 0
    while i < len(tokens):
        if not _capitalised(tokens[i].group()):
            i += 1  # most words: no run starts here
            continue
        run = [tokens[i]]
        j = i + 1
        while j < len(tokens) and value[tokens[j - 1].end() : tokens[j].start()] == " ":
            word = tokens[j].group()
            particle = (
                word in _PARTICLES
                and j + 1 < len(tokens)
                and value[tokens[j].end() : tokens[j + 1].start()] == " "
                and _capitalised(tokens[j + 1].group())
            )
            if _capitalised(word) or particle:
                run.append(tokens[j])
                j += 1
            else:
                break
        i = j
        folded = [fold(t.group()) for t in run]
        last_title = max((k for k, w in enumerate(folded) if w in title_words), default=-1)
        kept = run[last_title + 1 :]
        # "The", "Le", "Dolayısıyla" at a sentence start: a word the text also writes in
        # lower case, or a stop word, is not the first name.
        while len(kept) > 1 and (fold(kept[0].group()) in stop or kept[0].group().lower() in lower_words):
            kept = kept[1:]
        if not kept or len(kept) > 4 or (len(kept) < 2 and last_title < 0):
            continue
        if any(fold(t.group()) in not_names or len(t.group()) < 2 for t in kept):
            continue
        if endings and fold(kept[-1].group()).endswith(endings):
            continue
        name = value[kept[0].start() : kept[-1].end()]
        if fold(name) not in exclude:
            out.append(_Mention(kept[0].start(), kept[-1].end(), name))
    return out


def _sentence_bounds(value: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around ``value[start:end]`` (a quotation), quotation marks included."""
    left = 0
    for m in _SENTENCE_END.finditer(value):
        if m.end() > start:
            break
        left = m.end()
    right = len(value)
    after = _SENTENCE_END.search(value, end)
    if after:
        right = after.end()
    return max(left, start - WINDOW), min(right, end + WINDOW)


@dataclass
class _Found:
    quote: Quote
    segment: int  # which segment
    start: int


def find_quotes(
    text: Text, language: str | None, people: Sequence[Entity], exclude: frozenset[str] = frozenset()
) -> tuple[Quote, ...]:
    """The direct quotations of the text, in order, each with its speaker when attributable.

    ``people``: the people found (from NER); without any, names are read from the text.
    ``exclude``: folded names that are places or organisations, never speakers.
    """
    if _QUOTE.search(text.value) is None:
        return ()  # no quotation: the names around quotations need not be read
    words = _words(language)
    patterns = _person_patterns(people)
    found: list[_Found] = []
    full_names: set[str] = set()

    def mentions_of(segment: Segment) -> list[_Mention]:
        value = text.value[segment.start : segment.end]
        folded = text.folded[segment.start : segment.end]
        mentions = _mentions(value, folded, patterns, language, exclude, use_text_names=not people)
        full_names.update(m.name for m in mentions if " " in m.name)
        return mentions

    # The names of a segment without a quotation matter only to complete a speaker named
    # by one word (``_in_full``): read at the end, and only then.
    unread: list[Segment] = []
    for number, segment in enumerate(text.segments):
        value = text.value[segment.start : segment.end]
        folded = text.folded[segment.start : segment.end]
        quoted_here = list(_QUOTE.finditer(value))
        if not quoted_here:
            unread.append(segment)
            continue
        mentions = mentions_of(segment)
        for match in quoted_here:
            quoted = match.group(1).strip()
            if len(quoted.split()) < MIN_WORDS or _title_cased(quoted):
                continue
            left, right = _sentence_bounds(value, match.start(), match.end())
            # Names inside the quotation are not its speaker.
            around = [m for m in mentions if left <= m.start and m.end <= right and not _within(m, match)]
            speaker = _speaker(folded, left, right, match, around, words)
            if speaker is None and _attributed(folded, left, right, match, words):
                speaker = _carried(found, number, value[:left], mentions, left)
            found.append(_Found(Quote(text=quoted, speaker=speaker), number, match.start()))
    if any(f.quote.speaker is not None and " " not in f.quote.speaker for f in found):
        for segment in unread:
            mentions_of(segment)
    return tuple(_in_full(f.quote, full_names) for f in found)


def _in_full(quote: Quote, full_names: set[str]) -> Quote:
    """ "Güler" (after "Bakan") is "Yaşar Güler" when the item names exactly one such person."""
    if quote.speaker is None or " " in quote.speaker:
        return quote
    longer = [n for n in full_names if n.split()[-1] == quote.speaker]
    return Quote(quote.text, longer[0]) if len(longer) == 1 else quote


def _title_cased(quoted: str) -> bool:
    """A quoted name of a plan, a law, an event ("Yeşil Büyüme Teknoloji Yol Haritası"):
    most of its words capitalised. Speech is not written so."""
    words = [w for w in _TOKEN.findall(quoted) if len(w) > 3]
    return len(words) >= 2 and sum(w[:1].isupper() for w in words) * 10 >= len(words) * 7


def _within(mention: _Mention, match: re.Match[str]) -> bool:
    return match.start() <= mention.start and mention.end <= match.end()


def _mentions(
    value: str,
    folded: str,
    patterns: list[tuple[str, re.Pattern[str]]],
    language: str | None,
    exclude: frozenset[str],
    *,
    use_text_names: bool,
) -> list[_Mention]:
    out = [_Mention(m.start(), m.end(), name) for name, pattern in patterns for m in pattern.finditer(folded)]
    if use_text_names:
        out += _text_names(value, language, exclude)
    return sorted(out, key=lambda m: m.start)


def _verb_positions(folded: str, left: int, right: int, match: re.Match[str], words: _Words) -> list[int]:
    if words.verbs is None:
        return []
    return [
        m.start() for m in words.verbs.finditer(folded, left, right) if not (match.start() <= m.start() < match.end())
    ]


def _attributed(folded: str, left: int, right: int, match: re.Match[str], words: _Words) -> bool:
    return bool(_verb_positions(folded, left, right, match, words))


def _speaker(
    folded: str, left: int, right: int, match: re.Match[str], around: list[_Mention], words: _Words
) -> str | None:
    if not around:
        return None
    verbs_at = _verb_positions(folded, left, right, match, words)
    if verbs_at:
        nearest = min(around, key=lambda m: min(abs(m.start - v) for v in verbs_at))
        # "A et B ont salué « ... »": two people named side by side speak together.
        if any(m.name != nearest.name and _together(folded, m, nearest) for m in around):
            return None
        if words.pronouns is not None and _pronoun_nearer(folded, verbs_at, nearest, words.pronouns):
            return None  # "he said": the name nearby is someone else
        return nearest.name
    # "Aras : « ... »": a name introducing the quotation with a colon.
    before = folded[left : match.start()].rstrip()
    if before.endswith(":"):
        introducing = [m for m in around if m.end <= match.start()]
        if introducing:
            return introducing[-1].name
    names = {m.name for m in around}
    return names.pop() if len(names) == 1 else None


def _together(folded: str, a: _Mention, b: _Mention) -> bool:
    first, second = (a, b) if a.start < b.start else (b, a)
    return first.end <= second.start and _TOGETHER.match(folded[first.end : second.start]) is not None


def _pronoun_nearer(folded: str, verbs_at: list[int], nearest: _Mention, pronouns: re.Pattern[str]) -> bool:
    """Whether a subject pronoun sits right by the attribution verb, closer than the name."""
    for verb in verbs_at:
        window = folded[max(0, verb - 12) : verb + 30]
        for p in pronouns.finditer(window):
            position = max(0, verb - 12) + p.start()
            if abs(position - verb) < abs(nearest.start - verb):
                return True
    return False


def _carried(found: list[_Found], segment: int, before: str, mentions: list[_Mention], left: int) -> str | None:
    """The speaker of an attributed quotation that names no one: the previous quotation's
    (same or previous segment), else the one person named just before in the segment."""
    for previous in reversed(found):
        if previous.segment < segment - 1:
            break
        if previous.quote.speaker is not None:
            return previous.quote.speaker
        break
    earlier = {m.name for m in mentions if left - 2 * WINDOW <= m.start and m.end <= left}
    return earlier.pop() if len(earlier) == 1 else None
