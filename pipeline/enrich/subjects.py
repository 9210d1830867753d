"""Subjects: IPTC Media Topics with a confidence, from three kinds of evidence.

1. The source's own codes (``item.subjects``): IPTC media topics as they are, IPTC
   subject codes by their top-level branch (subject code 11xxxxxx -> media topic
   11000000), other schemes through ``data/subject_evidence.toml`` ``[sources]``
   (Reuters-21578 TOPICS -> economy; ANPA category "s" -> sport).
2. The section label the page printed ("Monde", "Dünya", "Economy").
3. Keywords per language and topic, counted on whole words (stems allowed) of the folded
   text; a hit in the headline, summary or lead weighs twice a hit further down.

Each piece of evidence has a probability-like weight w; a topic's confidence is
1 - prod(1 - w) over its evidence (its children's evidence counts for it too), as 0-100.
Top-level topics at ``MIN_CONFIDENCE`` or more and within half of the best are kept (at
most ``MAX_TOP``), with their second-level topics that reach ``MIN_CONFIDENCE`` on their own.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pipeline.enrich.text import CENTRAL_KINDS, Text, fold
from pipeline.records import Subject

MEDIATOPIC_URI = "http://cv.iptc.org/newscodes/mediatopic/{}"
CREATOR = "wirefeed"

MIN_CONFIDENCE = 50
MAX_TOP = 3

# Evidence weights (probability that the evidence alone makes the topic right).
W_SOURCE_IPTC = 0.95
W_SOURCE_MAPPED = 0.7
W_SOURCE_DEFAULT = 0.6
W_SECTION = 0.5
W_KEYWORD = 0.12
W_KEYWORD_CENTRAL = 0.24
#: occurrences of one keyword counted at most (a word repeated is not new evidence)
MAX_HITS_PER_KEYWORD = 3

_EIGHT_DIGITS = re.compile(r"^\d{8}$")
_ARABIC_PREFIX = "(?:[وفبلك]?(?:ال)?)"


@dataclass(frozen=True, slots=True)
class Topic:
    code: str
    parent: str | None
    names: dict[str, str]

    @property
    def top(self) -> str:
        return self.parent or self.code

    def name(self) -> str:
        """The English name (ninjs subjects carry one name; the others are in the data)."""
        return self.names.get("en", self.code)


#: the words a keyword match begins with: (whole words, prefixes of a word)
Openings = tuple[frozenset[str], tuple[str, ...]]


@dataclass(frozen=True)
class Evidence:
    topics: dict[str, Topic]
    sections: dict[str, dict[str, tuple[str, ...]]]  # lang -> folded label -> codes
    sources: dict[str, tuple[str | None, dict[str, str]]]  # scheme -> (default, code map)
    keywords: dict[str, tuple[tuple[str, re.Pattern[str]], ...]]  # lang -> ((code, regex), ...)
    #: lang -> per code of ``keywords``, the words its matches can begin with (``_openings``)
    openings: dict[str, tuple[Openings | None, ...]]
    #: lang -> the openings of all its keywords at once (``_Index``)
    index: dict[str, _Index]


def _read(name: str) -> dict[str, Any]:
    with (resources.files("pipeline.enrich") / "data" / name).open("rb") as handle:
        return tomllib.load(handle)


def _openings(words: Iterable[str], language: str) -> Openings | None:
    """The words a match of the keywords can begin with (folded): the first run of word
    characters of each keyword, in full, or as a prefix for a one-word stem ("econom*");
    None where a match may begin otherwise (Arabic prefixes, a non-word first character)."""
    whole: set[str] = set()
    prefixes: set[str] = set()
    for word in words:
        stem = fold(word.strip())
        first = stem.rstrip("*").split()
        run = _WORD_RUN.match(first[0]) if first and language != "ar" else None
        if run is None:
            return None
        if run.group(0) == stem.rstrip("*") and stem.endswith("*"):
            prefixes.add(run.group(0))
        else:
            whole.add(run.group(0))
    return frozenset(whole), tuple(sorted(prefixes))


def _keyword_pattern(words: Iterable[str], language: str) -> re.Pattern[str]:
    parts = []
    for word in words:
        stem = fold(word.strip())
        star = stem.endswith("*")
        stem = stem.rstrip("*")
        body = r"\s+".join(re.escape(w) for w in stem.split())
        parts.append(body + (r"\w*" if star else ""))
    prefix = _ARABIC_PREFIX if language == "ar" else ""
    # No "(?<!\w)" in front: a pattern that opens with its words' letters lets the regex
    # engine skip to the positions where one of them starts (1.6x faster on Reuters);
    # ``_hits`` checks the word boundary before each match instead.
    return re.compile(rf"{prefix}(?:{'|'.join(parts)})(?!\w)")


_WORD_CHAR = re.compile(r"\w")
_WORD_RUN = re.compile(r"\w+")


def _hits(pattern: re.Pattern[str], folded: str) -> Iterator[re.Match[str]]:
    r"""The matches of a keyword pattern that begin a word: what ``(?<!\w)pattern`` finds."""
    pos = 0
    while (match := pattern.search(folded, pos)) is not None:
        start = match.start()
        if start and _WORD_CHAR.match(folded, start - 1):
            pos = start + 1  # inside a word: no match begins here, try the next position
            continue
        yield match
        pos = match.end() if match.end() > start else start + 1


@dataclass(frozen=True)
class _Index:
    """One language's openings (``Openings``) inverted: which keywords a word may begin.

    ``scan`` finds, in one pass of the regex engine, the runs of word characters that begin
    with a whole opening word or a prefix (its alternatives a tree of common prefixes, so
    the engine skips the other words by their letters); only those runs are looked up."""

    scan: re.Pattern[str]
    whole: dict[str, tuple[int, ...]]  # word -> numbers of the keywords (per code) it opens
    prefixes: dict[str, tuple[int, ...]]  # prefix -> numbers of the keywords
    lengths: tuple[int, ...]  # the prefixes' lengths, ascending


def _index(openings: Iterable[Openings | None]) -> _Index:
    whole: dict[str, list[int]] = {}
    prefixes: dict[str, list[int]] = {}
    for n, opening in enumerate(openings):
        if opening is None:
            continue
        for word in opening[0]:
            whole.setdefault(word, []).append(n)
        for prefix in opening[1]:
            prefixes.setdefault(prefix, []).append(n)
    keys = [*whole, *prefixes]
    # at a word boundary only, when every key begins with a word character (a run inside a
    # word is no opening: ``_positions`` skips it), so the engine does not walk the tree at
    # every letter of every word (half the scan's time on Reuters texts)
    boundary = r"\b" if all(_WORD_CHAR.match(key) for key in keys) else ""
    return _Index(
        re.compile(rf"{boundary}{_prefix_tree(keys)}\w*"),
        {k: tuple(v) for k, v in whole.items()},
        {k: tuple(v) for k, v in prefixes.items()},
        tuple(sorted({len(p) for p in prefixes})),
    )


def _prefix_tree(keys: Iterable[str]) -> str:
    """A pattern matching any of ``keys`` as a tree of common prefixes; a key that another
    one begins with makes the longer one needless (what follows is matched by ``\\w*``)."""
    tree: dict[str, Any] = {}
    for key in sorted(set(keys), key=len):
        node = tree
        for char in key:
            if "" in node:
                break  # a shorter key already ends here
            node = node.setdefault(char, {})
        else:
            node.clear()
            node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        if "" in node:
            return ""
        branches = [re.escape(char) + emit(child) for char, child in node.items()]
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    return emit(tree) if tree else "(?!)"


def _positions(index: _Index, folded: str) -> dict[int, list[int]]:
    """Per keyword (its number), where a word it may begin with begins in ``folded``, in order."""
    found: dict[int, list[int]] = {}
    whole, prefixes, lengths = index.whole, index.prefixes, index.lengths
    for run in index.scan.finditer(folded):
        start = run.start()
        if start and _WORD_CHAR.match(folded, start - 1):
            continue  # inside a word: the run that contains it began earlier
        word = run.group()
        numbers = list(whole.get(word, ()))
        for length in lengths:
            if length > len(word):
                break
            numbers += prefixes.get(word[:length], ())
        for n in numbers:
            where = found.setdefault(n, [])
            if not where or where[-1] != start:
                where.append(start)
    return found


def _hits_at(pattern: re.Pattern[str], folded: str, positions: list[int]) -> Iterator[re.Match[str]]:
    """``_hits`` when every match begins at one of ``positions`` (sorted): the words whose
    first letters one of the pattern's keywords starts with. A keyword begins with a word
    character, so a match that begins a word begins a run of them; the same matches come
    out, in order, without scanning the text once per topic."""
    pos = 0
    for start in positions:
        if start < pos:
            continue
        match = pattern.match(folded, start)
        if match is not None:
            yield match
            pos = match.end() if match.end() > start else start + 1


def build() -> Evidence:
    vocabulary = _read("mediatopics.toml")
    topics = {
        code: Topic(code, row.get("parent"), {k: v for k, v in row.items() if k != "parent"})
        for code, row in vocabulary.items()
    }
    data = _read("subject_evidence.toml")
    sections = {
        lang: {fold(label): tuple(codes) for label, codes in labels.items()}
        for lang, labels in data.get("sections", {}).items()
    }
    sources = {
        scheme: (row.get("default"), {str(k): str(v) for k, v in row.get("codes", {}).items()})
        for scheme, row in data.get("sources", {}).items()
    }
    keywords: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    openings: dict[str, list[Openings | None]] = {}
    for code, per_language in data.get("keywords", {}).items():
        if code not in topics:
            raise ValueError(f"subject_evidence.toml: keywords for {code}, which mediatopics.toml does not define")
        for lang, words in per_language.items():
            keywords.setdefault(lang, []).append((code, _keyword_pattern(words, lang)))
            openings.setdefault(lang, []).append(_openings(words, lang))
    return Evidence(
        topics,
        sections,
        sources,
        {lang: tuple(v) for lang, v in keywords.items()},
        {lang: tuple(v) for lang, v in openings.items()},
        {lang: _index(v) for lang, v in openings.items()},
    )


_lock = threading.Lock()


@cache
def _load() -> Evidence:
    return build()


def load() -> Evidence:
    """The process-wide vocabulary and evidence tables, read on first use."""
    with _lock:
        return _load()


def _source_codes(subject: Subject, evidence: Evidence) -> list[tuple[str, float]]:
    """(media topic, weight) for one of the source's own subjects."""
    code = (subject.code or "").strip()
    if not code and subject.uri:
        code = subject.uri.rstrip("/").rsplit("/", 1)[-1]
    scheme = (subject.scheme or "").lower()
    uri = subject.uri or ""
    if _EIGHT_DIGITS.match(code):
        if "mediatopic" in uri or scheme in {"medtop", "mediatopic", "iptc:mediatopic"}:
            return [(code, W_SOURCE_IPTC)] if code in evidence.topics else _top_of(code, evidence)
        if "subjectcode" in uri or scheme in {"subj", "subjectcode", "iptc:subjectcode"} or not scheme:
            return _top_of(code, evidence)
    mapping = evidence.sources.get(subject.scheme or "")
    if mapping is None:
        return []
    default, codes = mapping
    if code in codes:
        return [(codes[code], W_SOURCE_MAPPED)]
    if code.lower() in codes:
        return [(codes[code.lower()], W_SOURCE_MAPPED)]
    return [(default, W_SOURCE_DEFAULT)] if default else []


def _top_of(code: str, evidence: Evidence) -> list[tuple[str, float]]:
    # Subject codes and media topics share their 17 top-level codes: NN000000.
    top = f"{code[:2]}000000"
    return [(top, W_SOURCE_IPTC)] if top in evidence.topics else []


def find_subjects(
    text: Text,
    language: str | None,
    *,
    section: str | None = None,
    source_subjects: Iterable[Subject] = (),
) -> tuple[Subject, ...]:
    """Media topics of the item with their confidence, most confident first."""
    evidence = load()
    lang = (language or "").split("-")[0].lower()
    weights: dict[str, list[float]] = {}

    def add(code: str, weight: float) -> None:
        topic = evidence.topics.get(code)
        if topic is None:
            return
        weights.setdefault(code, []).append(weight)
        if topic.parent:
            weights.setdefault(topic.parent, []).append(weight)

    for subject in source_subjects:
        for code, weight in _source_codes(subject, evidence):
            add(code, weight)
    if section:
        for code in evidence.sections.get(lang, {}).get(fold(section.strip()), ()):
            add(code, W_SECTION)
    folded = text.folded
    index = evidence.index.get(lang)
    positions = _positions(index, folded) if index is not None else {}
    for n, ((code, pattern), opening) in enumerate(
        zip(evidence.keywords.get(lang, ()), evidence.openings.get(lang, ()), strict=True)
    ):
        if opening is None:
            hits = _hits(pattern, folded)
        else:
            if n not in positions:
                continue
            hits = _hits_at(pattern, folded, positions[n])
        seen: dict[str, int] = {}
        for match in hits:
            word = match.group(0)
            seen[word] = seen.get(word, 0) + 1
            if seen[word] > MAX_HITS_PER_KEYWORD:
                continue
            segment = text.segment_at(match.start())
            central = segment is not None and segment.kind in CENTRAL_KINDS
            add(code, W_KEYWORD_CENTRAL if central else W_KEYWORD)

    confidence = {code: _combine(ws) for code, ws in weights.items()}
    tops = sorted(
        (c for c in confidence if evidence.topics[c].parent is None and confidence[c] >= MIN_CONFIDENCE),
        key=lambda c: -confidence[c],
    )
    if tops:
        best = confidence[tops[0]]
        tops = [c for c in tops if confidence[c] * 2 >= best][:MAX_TOP]
    chosen: list[str] = []
    for top in tops:
        chosen.append(top)
        children = [
            c for c, topic in evidence.topics.items() if topic.parent == top and confidence.get(c, 0) >= MIN_CONFIDENCE
        ]
        chosen += sorted(children, key=lambda c: -confidence[c])
    return tuple(
        Subject(
            name=evidence.topics[code].name(),
            uri=MEDIATOPIC_URI.format(code),
            code=code,
            scheme="medtop",
            confidence=confidence[code],
            creator=CREATOR,
        )
        for code in chosen
    )


def _combine(weights: list[float]) -> int:
    miss = 1.0
    for weight in weights:
        miss *= 1.0 - weight
    return min(99, round(100 * (1.0 - miss)))
