"""Multi-pattern name matching (Aho-Corasick) with word boundaries and casing rules.

Gazetteers hold hundreds of thousands of names in many languages; one pass of an
Aho-Corasick automaton over the folded text finds them all. A raw hit is kept only if

- it sits on word boundaries in the original text (an apostrophe or hyphen is a boundary,
  so "L'Arménie" and "Moskova'da" match; in Arabic, a one-letter proclitic such as و or ب
  may be glued to the front);
- its casing fits: an acronym form ("OTSC", "U.S.") must appear exactly as written; any
  other form in a cased script must start with a capital letter (or appear exactly as the
  gazetteer spells it) — "nice" and "van" are words, "Nice" and "Van" may be places;
- it is not a stop word of the text's language where casing proves nothing (sentence
  start, all-caps headlines).

Overlapping hits are resolved longest first ("Fédération de Russie" over "Russie").
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import ahocorasick

from pipeline.enrich.text import Text, fold, is_word_char

P = TypeVar("P")

# Arabic conjunctions/prepositions written as one letter glued to the next word.
_ARABIC_PROCLITICS = frozenset("وبلفك")


_LETTER = re.compile(r"[^\W\d_]")


def letter_count(text: str) -> int:
    return len(_LETTER.findall(text))


def is_acronym(form: str) -> bool:
    """Whether ``form`` is an acronym ("OTSC", "U.S.", "DSÖ", "G20", "EE.UU."): short, all capitals."""
    if form != form.upper() or form == form.lower() or " " in form:
        return False
    letters = letter_count(form)
    return 1 <= letters <= 7 and letters + sum(c.isdigit() for c in form) >= 2


def is_cased(form: str) -> bool:
    """Whether the name is written in a script with capital letters (Latin, Greek, Cyrillic...)."""
    return form.lower() != form.upper()


@dataclass(frozen=True, slots=True)
class Entry(Generic[P]):
    payload: P
    form: str  # the name as the gazetteer spells it
    acronym: bool
    cased: bool


@dataclass(frozen=True, slots=True)
class Hit(Generic[P]):
    """A name found in the text: ``text.value[start:end]``, with every entry it may denote."""

    start: int
    end: int
    literal: str
    entries: tuple[Entry[P], ...]

    @property
    def payloads(self) -> tuple[P, ...]:
        return tuple(dict.fromkeys(e.payload for e in self.entries))


# An entry as stored: (payload, form, acronym, cased). Plain tuples, not ``Entry`` objects:
# 170k frozen dataclasses take a second to create when the matcher is read from the disk
# cache, and only the few entries a text hits are ever needed as ``Entry``.
_Row = tuple[Any, str, bool, bool]


#: the rows of at most this many keys are kept made (``_Rows.of``)
MADE_ROWS = 20_000


class _Rows:
    """Every key's entries as flat columns: its key's length, its rows' payloads, forms
    (one newline-joined string) and flags. A built gazetteer of 168k keys held them as
    tuples of tuples, ~38 MB of Python objects, and a tuple per key in the automaton,
    ~14 MB more; a hit's rows are made again when a text hits the key."""

    def __init__(self) -> None:
        self.lengths = array("H")  # key number -> length of the key
        self.first = array("L", [0])  # key number -> its first row (and the next key's)
        self.payloads: list[Any] | array[int] = []
        self.flags = bytearray()  # per row: 1 acronym, 2 cased
        self.form_at = array("L", [0])  # row -> where its form starts in ``forms`` (and the next's)
        self._forms: list[str] = []
        self.forms = ""
        self._made: dict[int, tuple[_Row, ...]] = {}
        self._entries: dict[int, tuple[Entry[Any], ...]] = {}

    def append(self, length: int, rows: Iterable[_Row]) -> None:
        self.lengths.append(length)
        for payload, form, acronym, cased in rows:
            assert isinstance(self.payloads, list)
            self.payloads.append(payload)
            self.flags.append(int(acronym) | int(cased) << 1)
            self._forms.append(form)
            self.form_at.append(self.form_at[-1] + len(form))
        self.first.append(len(self.flags))

    def frozen(self) -> _Rows:
        """Done appending: the forms joined, integer payloads packed in an array."""
        self.forms = "".join(self._forms)
        self._forms = []
        if all(type(p) is int for p in self.payloads):
            self.payloads = array("q", self.payloads)
        return self

    def __len__(self) -> int:
        return len(self.lengths)

    def of(self, index: int) -> tuple[_Row, ...]:
        """The rows of key number ``index`` (the keys texts hit are few: kept once made)."""
        made = self._made.get(index)
        if made is not None:
            return made
        payloads, flags, form_at, forms = self.payloads, self.flags, self.form_at, self.forms
        made = tuple(
            (payloads[r], forms[form_at[r] : form_at[r + 1]], bool(flags[r] & 1), bool(flags[r] & 2))
            for r in range(self.first[index], self.first[index + 1])
        )
        if len(self._made) >= MADE_ROWS:
            self._made.clear()
        self._made[index] = made
        return made

    def entries(self, index: int) -> tuple[Entry[Any], ...]:
        """The rows of key number ``index`` as entries (kept once made, as the rows are)."""
        made = self._entries.get(index)
        if made is not None:
            return made
        made = _as_entries(self.of(index))
        if len(self._entries) >= MADE_ROWS:
            self._entries.clear()
        self._entries[index] = made
        return made

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_made", "_entries", "_forms")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _made={}, _entries={}, _forms=[])


class PhraseMatcher(Generic[P]):
    """Names -> payloads; ``find`` returns the non-overlapping hits in a ``Text``.

    Picklable once built (the disk cache of the place gazetteer relies on it).
    """

    def __init__(self) -> None:
        self._keys: dict[str, list[_Row]] = {}
        self._automaton: ahocorasick.Automaton | None = None
        self._rows = _Rows()

    def __getstate__(self) -> dict[str, Any]:
        if self._automaton is None:
            raise RuntimeError("only a built PhraseMatcher can be pickled")
        return {"automaton": self._automaton, "rows": self._rows}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._keys = {}
        self._automaton = state["automaton"]
        self._rows = state["rows"]

    def add(self, form: str, payload: P) -> None:
        if self._automaton is not None:
            raise RuntimeError("PhraseMatcher.add() after build()")
        form = " ".join(form.split())
        key = fold(form)
        if not key.strip():
            return
        entries = self._keys.setdefault(key, [])
        acronym = is_acronym(form)
        # One entry per payload and kind is enough: forms differing only by accents or
        # case fold to the same key.
        if not any(e[0] == payload and e[2] == acronym for e in entries):
            entries.append((payload, form, acronym, is_cased(form)))

    def __contains__(self, name: str) -> bool:
        return bool(self.lookup(name))

    def keys(self) -> frozenset[str]:
        """Every name's key (``phrase_key``): what ``lookup`` finds something for."""
        if self._automaton is None:
            return frozenset(self._keys)
        return frozenset(self._automaton.keys())

    def lookup(self, name: str) -> tuple[Entry[P], ...]:
        """Every entry whose folded form equals the folded ``name`` (no casing rules)."""
        key = phrase_key(name)
        if self._automaton is None:
            return _as_entries(tuple(self._keys.get(key, ())))
        found = self._automaton.get(key, None)
        return self._rows.entries(found) if found is not None else ()

    def build(self) -> None:
        """Compile the automaton; call once after the last ``add``.

        The key dictionary is dropped afterwards (the automaton answers exact lookups too):
        a gazetteer of 200k names is a few hundred MB of Python objects otherwise. The
        automaton stores each key's number (a C integer, no Python object per key); the
        entries are kept in flat columns (``_Rows``).
        """
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        rows = _Rows()
        for index, (key, entries) in enumerate(self._keys.items()):
            automaton.add_word(key, index)
            rows.append(len(key), entries)
        automaton.make_automaton()
        self._automaton = automaton
        self._rows = rows.frozen()
        self._keys = {}

    def __len__(self) -> int:
        return len(self._rows) if self._automaton is not None else len(self._keys)

    def find(self, text: Text, stopwords: frozenset[str] = frozenset()) -> list[Hit[P]]:
        """Hits in ``text`` that pass the boundary, casing and stop-word rules, longest first."""
        hits: list[Hit[P]] = []
        value = text.value
        rows = self._rows
        if self._automaton is None:
            raise RuntimeError("PhraseMatcher.build() was not called")
        if not len(rows):
            return hits  # pyahocorasick cannot search an automaton without words
        lengths, size = rows.lengths, len(value)
        # every key in the folded text, boundaries unchecked: a Reuters text has ~50 such raw
        # hits of the place gazetteer, ~7 of them on word boundaries
        for end_index, index in self._automaton.iter(text.folded):
            end = end_index + 1
            start = end - lengths[index]
            # most raw hits: a key inside a longer word (its entries are not made); letters
            # or digits on both sides of either end rule it out before ``_bounded`` is asked
            if end < size and value[end].isalnum() and value[end - 1].isalnum():
                continue
            if (
                start
                and value[start].isalnum()
                and value[start - 1].isalnum()
                and value[start - 1] not in _ARABIC_PROCLITICS
            ):
                continue
            if not _bounded(value, start, end):
                continue
            literal = value[start:end]
            casing = _Casing(literal, text, start, stopwords)
            kept = tuple(e for e in rows.entries(index) if casing.ok(e))
            if kept:
                hits.append(Hit(start, end, literal, kept))
        return longest_first(hits)


def phrase_key(name: str) -> str:
    """The key a name is looked up by: spacing normalised, folded."""
    return fold(" ".join(name.split()))


def _as_entries(rows: tuple[_Row, ...]) -> tuple[Entry[Any], ...]:
    return tuple(Entry(*row) for row in rows)


def _bounded(value: str, start: int, end: int) -> bool:
    if end < len(value) and is_word_char(value[end]) and is_word_char(value[end - 1]):
        return False
    if start == 0 or not is_word_char(value[start]) or not is_word_char(value[start - 1]):
        return True
    # "وموسكو": a one-letter Arabic proclitic, itself at a word start, may precede the name.
    return value[start - 1] in _ARABIC_PROCLITICS and (start < 2 or not is_word_char(value[start - 2]))


class _Casing:
    """Whether an entry's casing fits a hit (``literal`` at ``start``): the hit's context --
    its segment in capitals, a sentence start, a stop word -- read once for all the entries
    of the key (a place name has up to hundreds: "San José", "Springfield"), and only when
    an entry asks."""

    __slots__ = ("_sentence_start", "_short_acronym", "_stop_word", "literal", "start", "stopwords", "text", "upper")

    def __init__(self, literal: str, text: Text, start: int, stopwords: frozenset[str]) -> None:
        self.literal, self.text, self.start, self.stopwords = literal, text, start, stopwords
        segment = text.segment_at(start)
        self.upper = segment.upper if segment else False
        self._sentence_start: bool | None = None
        self._stop_word: bool | None = None
        self._short_acronym: bool | None = None

    def sentence_start(self) -> bool:
        if self._sentence_start is None:
            self._sentence_start = self.text.sentence_start(self.start)
        return self._sentence_start

    def stop_word(self) -> bool:
        if self._stop_word is None:
            self._stop_word = fold(self.literal) in self.stopwords
        return self._stop_word

    def short_acronym(self) -> bool:
        if self._short_acronym is None:
            self._short_acronym = is_acronym(self.literal) and letter_count(self.literal) <= 4
        return self._short_acronym

    def ok(self, entry: Entry[Any]) -> bool:
        literal, upper = self.literal, self.upper
        if entry.acronym:
            if literal != entry.form:
                return False
            # "WHO" in an all-caps headline is a pronoun as likely as the health organisation.
            return not (upper and literal.lower() in self.stopwords)
        if not entry.cased:
            return not self.stop_word()
        if literal == entry.form and not upper and not self.sentence_start():
            return True
        if not (upper or literal[:1].isupper()):
            return False
        if not upper and self.short_acronym():
            return False  # "ICO", "GOLD" in running text are acronyms or tickers, not Icó or Gold
        return not (self.stop_word() and (upper or self.sentence_start()))


def longest_first(hits: Iterable[Hit[P]]) -> list[Hit[P]]:
    """Non-overlapping hits, preferring longer ones, returned in text order."""
    taken: list[Hit[P]] = []
    occupied: list[tuple[int, int]] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
        if any(hit.start < e and s < hit.end for s, e in occupied):
            continue
        taken.append(hit)
        occupied.append((hit.start, hit.end))
    return sorted(taken, key=lambda h: h.start)
