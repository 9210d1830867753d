"""People mentioned in the story, from the NER model's person spans, cleaned and merged.

A statistical model gives spans, not people. The post-filters:

- titles in front of a name are stripped ("Mr.", "président", "Cumhurbaşkanı");
- spans that are not names are dropped: no capital, digits, a line break inside, more
  than five words, or a name the place/organisation gazetteers know ("Kazakhstan");
- the item's own credits (byline, translator, contributors) are not people *mentioned*;
- mentions of one person are merged: "Poutine" and "Vladimir Poutine" are one person
  named by the fullest form, and a single surname covered by one full name is folded into
  it (covered by two full names, it is ambiguous and dropped);
- the model sometimes labels a person's full name as a place or organisation in one
  sentence and as a person in another; a span whose text is a person's full name is
  counted as that person whatever its label;
- a lone single-word name (never given in full) needs two mentions to be kept.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from pipeline.enrich.ner import Span
from pipeline.enrich.phrases import letter_count
from pipeline.enrich.text import fold
from pipeline.records import Entity

MAX_WORDS = 5
# Lower-case words that may sit inside a person's name.
_PARTICLES = frozenset(
    "al bin ibn ben bint da das de del della der di do dos du el la le van von ter ten y zu".split()  # noqa: SIM905
)
_TRIM = " \t\n.,;:!?'\"«»“”‘’()[]-–—"
_POSSESSIVE = re.compile(r"['’]s$")


@cache
def titles(language: str | None) -> tuple[tuple[str, ...], ...]:
    """Folded titles (as word tuples) for the language, longest first."""
    with (resources.files("pipeline.enrich") / "data" / "person_titles.toml").open("rb") as handle:
        data = tomllib.load(handle)
    lang = (language or "").split("-")[0].lower()
    words = [*data.get("all", {}).get("titles", []), *data.get(lang, {}).get("titles", [])]
    return tuple(sorted({tuple(fold(w).split()) for w in words}, key=len, reverse=True))


@cache
def _titles_by_first_word(language: str | None) -> dict[str, tuple[tuple[str, ...], ...]]:
    """``titles(language)`` by their first word, longest first as there (a name is compared
    with the titles it may begin with, not with all of them)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for title in titles(language):
        out.setdefault(title[0] if title else "", []).append(title)
    return {first: tuple(group) for first, group in out.items()}


def clean_name(literal: str, language: str | None) -> str:
    """The name in a person span, without titles in front or punctuation around it."""
    name = " ".join(literal.split()).strip(_TRIM)
    name = _POSSESSIVE.sub("", name)
    words = name.split()
    stripped = True
    by_first = _titles_by_first_word(language)
    while stripped and words:
        stripped = False
        folded = [fold(w) for w in words]
        for title in (*by_first.get(folded[0], ()), *by_first.get("", ())):
            if tuple(folded[: len(title)]) == title and len(words) > len(title):
                words = words[len(title) :]
                stripped = True
                break
    return " ".join(words).strip(_TRIM)


def _is_name(name: str) -> bool:
    words = name.split()
    if not words or len(words) > MAX_WORDS or letter_count(name) < 2:
        return False
    if any(c.isdigit() for c in name):
        return False
    # Every word of a name starts with a capital, bar particles ("de", "van", "bin", "al-").
    for word in words:
        if not word[:1].isupper() and fold(word).split("-")[0] not in _PARTICLES:
            return False
    if not words[0][:1].isupper():
        return False
    return not (len(words) > 1 and name == name.upper())  # "ASSOCIATED PRESS" in caps


def _tokens(name: str) -> tuple[str, ...]:
    # "Kassym-Jomart Tokayev" -> ("kassym", "jomart", "tokayev")
    return tuple(t for t in re.split(r"[\s\-]+", fold(name)) if t)


@dataclass
class _Person:
    name: str
    tokens: tuple[str, ...]
    first: int
    mentions: int = 0
    literals: list[str] = field(default_factory=list)


def find_people(
    spans: Sequence[Span],
    language: str | None,
    *,
    exclude: Iterable[str] = (),
    not_people: frozenset[str] = frozenset(),
) -> tuple[Entity, ...]:
    """People named in the text, most mentioned first.

    ``exclude``: names of the item's credits (byline, translator); ``not_people``: folded
    names the place and organisation gazetteers know.
    """
    excluded = {_tokens(n) for n in exclude if n}
    names: list[tuple[Span, str]] = []
    for span in spans:
        if span.kind != "person":
            continue
        name = clean_name(span.text, language)
        if _is_name(name) and fold(name) not in not_people and _tokens(name) not in excluded:
            names.append((span, name))

    # A full name the model once called a person is that person under any other label too.
    full_names = {fold(n) for _, n in names if len(_tokens(n)) > 1}
    for span in spans:
        if span.kind != "person":
            name = clean_name(span.text, language)
            if fold(name) in full_names:
                names.append((span, name))
    names.sort(key=lambda item: item[0].start)

    people: dict[tuple[str, ...], _Person] = {}
    for span, name in names:
        key = _tokens(name)
        person = people.setdefault(key, _Person(name, key, span.start))
        person.mentions += 1
        person.literals.append(name)

    # Fold shorter forms into the one longer name that contains all their words.
    for key in sorted(people, key=len, reverse=True):
        if key not in people:
            continue
        person = people[key]
        wider = [p for k, p in people.items() if len(k) > len(key) and set(key) <= set(k)]
        if len(wider) == 1:
            target = wider[0]
            target.mentions += person.mentions
            target.literals += person.literals
            target.first = min(target.first, person.first)
            del people[key]
        elif len(wider) > 1:
            del people[key]  # "Smith" next to "John Smith" and "Jane Smith": ambiguous

    out = [p for p in people.values() if len(p.tokens) > 1 or p.mentions >= 2]
    out.sort(key=lambda p: (-p.mentions, p.first))
    return tuple(
        Entity(name=p.name, kind="person", literal=p.literals[0], mentions=p.mentions, confidence=80) for p in out
    )
