"""Direct quotations and, where the text makes it clear, who said them.

A quotation is text between double quotation marks of any typographic convention
(“…”, «…», „…“, "…", also mismatched pairs such as "…” that scraped pages produce), of at
least ``MIN_WORDS`` words — shorter quoted phrases are titles, nicknames or scare quotes.

The speaker is looked for in the same paragraph, within ``WINDOW`` characters before and
after the quotation (outside it): the person (one the people step found) named nearest to
an attribution word of the language ("said", "a déclaré", "dedi", "قال",
``data/quote_verbs.toml``); without such a word, the one person named there, if only one
is. Otherwise the speaker is left empty: "peut-on lire", a communiqué, or a pronoun
("he said") are not guessed at.

They travel in ``Enrichment.quotes``; ninjs 3.1 has no field for them, so where they
appear in the published event is the normaliser's choice.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from functools import cache
from importlib import resources

from pipeline.enrich.text import Text, fold
from pipeline.records import Entity, Quote

MIN_WORDS = 4
WINDOW = 160
#: two speakers' names starting this close ("A and B said") share the quotation
_JOINT = 40

_OPEN = '"“„«'
_CLOSE = '"”“»'
_QUOTE = re.compile(rf"[{_OPEN}]\s*([^{_OPEN}{_CLOSE}\n]+?)\s*[{_CLOSE}]")


@cache
def verbs(language: str | None) -> re.Pattern[str] | None:
    """Attribution words of the language as one pattern over folded text, or None."""
    with (resources.files("pipeline.enrich") / "data" / "quote_verbs.toml").open("rb") as handle:
        data = tomllib.load(handle)
    words = data.get((language or "").split("-")[0].lower())
    if not words:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in fold(word).split()) for word in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _name_patterns(people: Sequence[Entity]) -> list[tuple[Entity, re.Pattern[str]]]:
    """Each person with a pattern for their full name or last name, on folded text."""
    out = []
    for person in people:
        forms = {fold(person.name)}
        words = person.name.split()
        if len(words) > 1 and len(words[-1]) >= 3:
            forms.add(fold(words[-1]))
        if person.literal:
            forms.add(fold(person.literal))
        alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
        out.append((person, re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")))
    return out


def find_quotes(text: Text, language: str | None, people: Sequence[Entity]) -> tuple[Quote, ...]:
    """The direct quotations of the text, in order, each with its speaker when attributable."""
    verb = verbs(language)
    names = _name_patterns(people)
    quotes: list[Quote] = []
    for segment in text.segments:
        value = text.value[segment.start : segment.end]
        folded = text.folded[segment.start : segment.end]
        for match in _QUOTE.finditer(value):
            quoted = match.group(1).strip()
            if len(quoted.split()) < MIN_WORDS:
                continue
            before_start = max(0, match.start() - WINDOW)
            after_end = min(len(value), match.end() + WINDOW)
            # Look around the quotation only: a name inside it is not its speaker.
            context = [
                (before_start, folded[before_start : match.start()]),
                (match.end(), folded[match.end() : after_end]),
            ]
            quotes.append(Quote(text=quoted, speaker=_speaker(context, match.start(), match.end(), names, verb)))
    return tuple(quotes)


def _speaker(
    context: list[tuple[int, str]],
    quote_start: int,
    quote_end: int,
    names: list[tuple[Entity, re.Pattern[str]]],
    verb: re.Pattern[str] | None,
) -> str | None:
    mentions: list[tuple[int, str]] = []  # (position in the segment, person name)
    verb_positions: list[int] = []
    for offset, chunk in context:
        # Stop at a sentence end on the far side of the quotation: another sentence, another speaker.
        if offset < quote_start:
            cut = max(chunk.rfind(". "), chunk.rfind("\n"))
            if cut >= 0:
                offset, chunk = offset + cut + 1, chunk[cut + 1 :]
        else:
            end = re.search(r"[.!?]\s", chunk)
            if end and end.start() > 0:
                chunk = chunk[: end.start() + 1]
        for person, pattern in names:
            mentions += [(offset + m.start(), person.name) for m in pattern.finditer(chunk)]
        if verb is not None:
            verb_positions += [offset + m.start() for m in verb.finditer(chunk)]
    speakers = {name for _, name in mentions}
    if not speakers:
        return None
    if verb_positions:
        nearest = min(mentions, key=lambda m: min(abs(m[0] - v) for v in verb_positions))
        # "A et B ont salué « ... »": two people named side by side speak together; the
        # quotation has no single speaker.
        if any(name != nearest[1] and abs(pos - nearest[0]) <= _JOINT for pos, name in mentions):
            return None
        return nearest[1]
    return speakers.pop() if len(speakers) == 1 else None
