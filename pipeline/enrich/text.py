"""The text an item is enriched from, and the folding used to match names in it.

Every component looks at the same string: the item's headline, sub-headlines, summary and
body blocks joined by blank lines (captions and credits are not article text). Each piece
is a ``Segment``, so a match can say whether it was in the headline, the lead or further
down — which is what makes a place ``about`` rather than ``mentioned``.

``fold`` maps one character to one character (lower case, accents and Arabic hamza seats
stripped, typographic quotes and dashes unified), so an offset in the folded string is the
same offset in the original: gazetteers are matched on the folded text and the casing of
the original is checked afterwards.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property

from pipeline.records import ParsedItem

#: segment kinds that make a mention central to the story
CENTRAL_KINDS = frozenset({"headline", "summary", "lead"})

# Characters whose fold is not "lower case, then drop the accent".
_SPECIAL = {
    "\u2019": "'",  # right single quotation mark: "L’Arménie", "Moskova’da"
    "\u2018": "'",
    "\u02bc": "'",
    "\u02bb": "'",
    "\u00b4": "'",
    "`": "'",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u0130": "i",  # Turkish dotted capital I: str.lower() would give two characters
    "\u0131": "i",  # Turkish dotless i
    "\u0629": "\u0647",  # Arabic ta marbuta -> ha: spelled either way in names
    "\u0649": "\u064a",  # Arabic alef maksura -> ya
}


def _fold_char(char: str) -> str:
    if char in _SPECIAL:
        return _SPECIAL[char]
    low = char.lower()
    if len(low) != 1:
        low = char
    decomposed = unicodedata.normalize("NFD", low)
    if len(decomposed) > 1 and all(unicodedata.category(c) == "Mn" for c in decomposed[1:]):
        return decomposed[0]
    return low


@cache
def _fold_table() -> dict[int, str]:
    # Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic and Latin Extended Additional, plus
    # the punctuation block: everything the gazetteers keep (see gazetteer.allowed_script).
    table: dict[int, str] = {}
    for codepoint in (*range(0x0000, 0x0700), *range(0x1E00, 0x2070), 0x2212):
        char = chr(codepoint)
        folded = _fold_char(char)
        if folded != char:
            table[codepoint] = folded
    return table


def fold(text: str) -> str:
    """Lower-cased, accent-free, quote/dash-normalised ``text`` of exactly the same length."""
    if text.isascii():
        # in ASCII the table only lowers letters and makes the backtick a quote (a unit
        # test checks every ASCII character): str.lower is several times faster
        return text.lower().replace("`", "'")
    return text.translate(_fold_table())


def is_word_char(char: str) -> bool:
    """Letters, digits and combining marks continue a word; everything else bounds one."""
    return char.isalnum() or unicodedata.category(char) == "Mn"


# Counting characters of a kind: ``sum(map(str.isalpha, text))`` calls a method per
# character (~40 us for a 2,500-character lead); ASCII text, most of it, is counted in C
# by deleting every other byte (the same counts: ASCII letters, digits and cases are
# exactly what these tests say).
_NOT_ALPHA = bytes(b for b in range(256) if b >= 128 or not chr(b).isalpha())
_NOT_DIGIT = bytes(b for b in range(256) if b >= 128 or not chr(b).isdigit())
_NOT_UPPER = bytes(b for b in range(256) if b >= 128 or not chr(b).isupper())
_NOT_LOWER = bytes(b for b in range(256) if b >= 128 or not chr(b).islower())


def count_letters(text: str) -> int:
    """``sum(map(str.isalpha, text))``."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _NOT_ALPHA))
    return sum(map(str.isalpha, text))


def count_digits(text: str) -> int:
    """``sum(map(str.isdigit, text))``."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _NOT_DIGIT))
    return sum(map(str.isdigit, text))


def count_cases(text: str) -> tuple[int, int]:
    """(upper-case, lower-case) characters: ``sum(map(str.isupper, text))``, ``sum(map(str.islower, text))``."""
    if text.isascii():
        data = text.encode("ascii")
        return len(data.translate(None, _NOT_UPPER)), len(data.translate(None, _NOT_LOWER))
    return sum(map(str.isupper, text)), sum(map(str.islower, text))


def mostly_upper(text: str) -> bool:
    """True for all-caps text ("MOSCOW, Jan 13"), where casing cannot tell a name from a word."""
    # cased letters are upper- or lower-case (title-case letters such as "ǅ" aside)
    upper, lower = count_cases(text)
    cased = upper + lower
    if cased < 8:
        return False
    return upper >= 0.8 * cased


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of the item inside ``Text.value``: ``value[start:end]``."""

    kind: str  # "headline", "summary", "lead", "body"
    start: int
    end: int
    upper: bool


@dataclass(frozen=True)
class Text:
    """The item's text, its folded twin and the segments it is made of."""

    value: str
    folded: str
    segments: tuple[Segment, ...]

    @cached_property
    def _starts(self) -> list[int]:
        # where each segment starts: every name hit asks which segment it is in
        return [s.start for s in self.segments]

    def segment_at(self, pos: int) -> Segment | None:
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and self.segments[i].start <= pos < self.segments[i].end:
            return self.segments[i]
        return None

    def sentence_start(self, pos: int) -> bool:
        """Whether ``pos`` begins a sentence (so a capital letter there proves nothing)."""
        segment = self.segment_at(pos)
        floor = segment.start if segment else 0
        i = pos - 1
        while i >= floor and self.value[i].isspace():
            i -= 1
        if i < floor:
            return True
        prev = self.value[i]
        return not (is_word_char(prev) or prev in ",;")


def make_text(pieces: list[tuple[str, str]]) -> Text:
    """A ``Text`` from (kind, text) pieces, in reading order; empty pieces are skipped."""
    parts: list[str] = []
    segments: list[Segment] = []
    pos = 0
    for kind, piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        if parts:
            parts.append("\n\n")
            pos += 2
        segments.append(Segment(kind, pos, pos + len(piece), mostly_upper(piece)))
        parts.append(piece)
        pos += len(piece)
    value = "".join(parts)
    return Text(value, fold(value), tuple(segments))


def item_text(item: ParsedItem) -> Text:
    """The enrichment text of an item: headline, sub-headlines, summary, then the body."""
    pieces: list[tuple[str, str]] = []
    if item.headline:
        pieces.append(("headline", item.headline))
    pieces += [("summary", sub) for sub in item.subheadlines if sub]
    if item.summary:
        pieces.append(("summary", item.summary))
    lead_seen = False
    for block in item.body:
        if not block.text.strip():
            continue
        # The lead is the first real paragraph; a sub-heading before it does not count.
        if not lead_seen and block.kind == "p":
            pieces.append(("lead", block.text))
            lead_seen = True
        else:
            pieces.append(("body", block.text))
    return make_text(pieces)
