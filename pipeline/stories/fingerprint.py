"""Fingerprints of an item's text: what duplicate detection and version decisions compare.

    exact     sha256 of the normalised text (case, accents kept; punctuation, spacing,
              agency tickers like "<BAC>" and sign-offs folded): the same story re-sent
              with other bytes, markup or spacing has the same exact hash
    signature ``PERM`` MinHash permutations over word 4-shingles of the normalised text,
              for the Jaccard similarity of near duplicates, kept as the low 8 bits
              of each value (b-bit minwise hashing: PERM bytes). The values are
              datasketch's (2.x, "affine32" scheme, seed 1: sha1 of each shingle,
              the MurmurHash3 finalizer, ``a * h + b`` mod 2^32), computed here
              without it: signatures stored by earlier versions still compare
    facts     the figures and names the text states, hashed to 32 bits each: a re-send
              that adds or changes one (a new death toll, a new name) is a version, not a
              duplicate, however similar the words

Everything is computed from the parsed (cleaned) item alone, so a replay computes the
same fingerprint. The parse-clean stage process computes it (``TextPrint`` on the internal
record), so the worker's event loop does not; the learned-boilerplate stage drops it when
it changes the item, and the story desk then computes it itself.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np

from pipeline.records import ParsedItem, TextPrint

#: MinHash permutations: 128 x 4 bytes per story; the LSH bands are cut from them
PERM = 128
#: words per shingle
SHINGLE = 4

_TICKER = re.compile(r"<[^<>\n]{1,40}>")  # Reuters' "<BAC>", "<Transalta Utilities Corp>"
_WORD = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"(?<![\w])[-+]?\d[\d.,/:]*\d|(?<![\w])\d(?![\w])")
_NAME = re.compile(r"(?<![\w])[A-ZÀ-ÖØ-ÞĀ-Ž\u0400-\u042f][\w'’-]{2,}", re.UNICODE)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n)(\S+)")
_UPPER_WORD = re.compile(r"^[^\W\d_]+$")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the duplicate index and the version decision compare."""

    exact: str  # hex sha256 of the normalised text (first 32 hex digits)
    signature: bytes  # PERM bytes: the low 8 bits of each MinHash value; b"" for a text too short to shingle
    facts: frozenset[int]  # 32-bit hashes of the figures and names stated
    words: int  # words in the normalised text
    #: the day the story is dated (days since 1970-01-01, in the agency's time zone; 0: unknown)
    day: int = 0

    def to_print(self) -> TextPrint:
        """As carried on an internal record."""
        return TextPrint(self.exact, self.signature, tuple(sorted(self.facts)), self.words, self.day)

    @classmethod
    def of_print(cls, found: TextPrint) -> Fingerprint:
        return cls(found.exact, found.signature, frozenset(found.facts), found.words, found.day)

    def new_facts(self, earlier: Fingerprint) -> frozenset[int]:
        """Figures and names this text states that ``earlier`` did not."""
        return self.facts - earlier.facts


def text_of(item: ParsedItem) -> str:
    """The words a fingerprint is taken over: headline, summary and body."""
    return "\n".join(p for p in (item.headline or "", item.summary or "", item.body_text()) if p)


def normalise(text: str) -> str:
    """Lower case, tickers and punctuation out, one space between words (digits kept)."""
    return " ".join(w.casefold() for w in _WORD.findall(_prepared(text)))


def _prepared(text: str) -> str:
    """The text both the words and the facts are read from: NFKC, tickers out."""
    return _TICKER.sub(" ", unicodedata.normalize("NFKC", text))


def _h32(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=4).digest(), "big")


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """``a`` (odd) and ``b`` of the PERM permutations ``a * h + b`` mod 2^32, drawn as datasketch
    2.x draws them for seed 1 (a unit test compares both)."""
    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, PERM, dtype=np.uint32)
    return a, b


_M1, _M2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)
_S16, _S13 = np.uint32(16), np.uint32(13)


def _minimums(words: list[str]) -> np.ndarray | None:
    """The PERM MinHash values (uint32) of the word shingles; None for fewer than SHINGLE words."""
    if len(words) < SHINGLE:
        return None
    encoded = [w.encode("utf-8") for w in words]
    shingles = {b" ".join(s) for s in zip(*(encoded[i:] for i in range(SHINGLE)), strict=False)}  # the shorter ends it
    sha1 = hashlib.sha1
    # each shingle's hash: the first 4 bytes of its sha1, little-endian (every 5th uint32 of the digests)
    hv = np.frombuffer(b"".join([sha1(s).digest() for s in shingles]), "<u4")[::5].astype(np.uint32)
    # the MurmurHash3 finalizer (a fixed bijection), in place; uint32 arithmetic wraps: mod 2^32
    hv ^= hv >> _S16
    hv *= _M1
    hv ^= hv >> _S13
    hv *= _M2
    hv ^= hv >> _S16
    a, b = _permutations()
    values = np.multiply.outer(hv, a)
    values += b
    return values.min(axis=0)


def minhash_of(words: list[str]) -> tuple[int, ...]:
    """PERM 32-bit MinHash values of the word shingles (() for a text too short)."""
    found = _minimums(words)
    return () if found is None else tuple(found.tolist())


def signature_of(words: list[str]) -> bytes:
    """The compact signature: the low 8 bits of each MinHash value (b"" for a text too short)."""
    found = _minimums(words)
    return b"" if found is None else found.astype(np.uint8).tobytes()


_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")


_CLOCK = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


def _figure(number: str) -> str:
    """A figure as a value: thousands separators out ("1,250" = "1.250" = "1250"), a decimal
    comma a point ("1,4" = "1.4"); "1.4" and "14" stay different figures. A time of day
    written with a colon is the wire's four digits ("9:40" = "0940", as in "0940 GMT")."""
    if _THOUSANDS.match(number):
        return re.sub(r"[.,]", "", number)
    if ":" in number and (found := _CLOCK.match(number)):
        return f"{int(found.group(1)):02d}{found.group(2)}"
    return number.replace(",", ".")


def _title_case(line: str) -> bool:
    """A line whose words mostly start with a capital (a headline in title case or in capitals):
    its capitals say nothing about names."""
    words = [w for w in line.split() if w[:1].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) > 0.5 * len(words)


def fact_strings(text: str) -> set[str]:
    """The figures ("#1250") and names ("@berg") a text states.

    A figure is any number ("3", "1,250", "6-1/4"). A name is a capitalised word of running
    text that does not open a sentence and that the text never writes in lower case
    ("Stock" in "New York Stock Exchange" is no name where "stock" appears too); lines in
    title case or in capitals (headlines) give figures only. A re-send that rewords its
    headline or fixes a typo in it then states no new fact; one that adds a person, a
    place or a figure does.
    """
    text = _prepared(text)
    return _fact_strings(text, _WORD.findall(text))


def _fact_strings(text: str, found_words: list[str]) -> set[str]:
    """``fact_strings`` of a ``_prepared`` text whose ``_WORD`` matches are ``found_words``."""
    found = {"#" + _figure(n) for n in _NUMBER.findall(text)}
    words = text.split()
    capitals = sum(1 for w in words if w.isupper() and _UPPER_WORD.match(w))
    if capitals >= 0.5 * max(1, len(words)):  # a text in capitals names nothing by case
        return found
    lower = {w.casefold() for w in found_words if w[0].islower()}
    for line in text.splitlines():
        if _title_case(line):
            continue
        starts = {m.group(1) for m in _SENTENCE_START.finditer(line)}
        for match in _NAME.finditer(line):
            word = match.group(0).rstrip("'’-")
            if word not in starts and word.casefold() not in lower:
                found.add("@" + word.casefold())
    return found


def facts_of(text: str) -> frozenset[int]:
    """The hashes of ``fact_strings``; the lowest bit says which are figures (1) and names (0)."""
    return _hashed(fact_strings(text))


def _hashed(facts: set[str]) -> frozenset[int]:
    return frozenset((_h32(f) & ~1) | (f[0] == "#") for f in facts)


def split_new(new: frozenset[int] | set[int]) -> tuple[int, int]:
    """(figures, names) among fact hashes."""
    figures = sum(f & 1 for f in new)
    return figures, len(new) - figures


def fingerprint(item: ParsedItem) -> Fingerprint:
    """The item's fingerprint. Pure and deterministic."""
    text = _prepared(text_of(item))  # normalise and facts_of read the same text: prepared once
    found = _WORD.findall(text)
    words = [w.casefold() for w in found]
    norm = " ".join(words)
    return Fingerprint(
        exact=hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32],
        signature=signature_of(words),
        facts=_hashed(_fact_strings(text, found)),
        words=len(words),
        day=story_day(item),
    )


def story_day(item: ParsedItem) -> int:
    """The day the story is dated, as days since 1970-01-01 (0 when it has no date)."""
    from datetime import date

    from pipeline.stories.identity import _story_day

    found = _story_day(item)
    return (date.fromisoformat(found) - date(1970, 1, 1)).days if found else 0
