"""Duplicates across stories: exact and near copies, in a fixed memory budget.

A duplicate is a copy of a story already published under another uri -- the same
dispatch from two feeds, an agency's re-send under a new id, one item rendered in
several formats. It is recorded (``wire.duplicates``, with the uri of the first copy)
and not published again. A copy that *states new facts* (a figure or a name the first
did not) is news, not a copy.

    exact   the normalised text's hash (``fingerprint.exact``): an exact copy
    near    MinHash LSH over the compact signature: ``bands`` bands of ``rows`` rows;
            two texts whose shingles' Jaccard similarity is s share a band with
            probability 1 - (1 - s^rows)^bands (10 x 3: s = 0.8 -> 0.999, s = 0.5 ->
            0.74); the candidate's stored signature then confirms s >= ``threshold``
            and its stored facts that nothing new was stated.

What is kept of a fingerprint (``Entry``; the same bytes on ``wire.fingerprints``)::

    ms (8 B) | exact hash (8 B) | story day (2 B) | signature (128 B: the low 8 bits of each MinHash
    value, b-bit minwise hashing) | facts (up to 40 x 16 bits, the smallest: a bottom-k
    sample) | the story uri (UTF-8)

about 280 bytes with a 60-character uri. The index holds them in preallocated arrays
(``FingerprintIndex``): ``max_fingerprints`` slots used as a ring (the oldest is
overwritten first), and per band a bucketed hash table of slot numbers (4 ways, half
full at capacity). Memory is fixed by ``max_fingerprints``, whatever arrives:
``budget_bytes`` gives it (about 520 bytes a fingerprint with 10 bands, uri strings
included: 1 M fingerprints ~ 520 MB; arrays are zero pages until used). A fingerprint
older than ``window`` is never matched.

Order: a copy is a duplicate only of a fingerprint that is earlier in the total order
(time, uri). Two copies decided at once on different workers can then never both be
duplicates of each other (the earlier is published), whatever each has seen.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pipeline.stories.fingerprint import PERM, Fingerprint, split_new

if TYPE_CHECKING:
    from pipeline.settings import Settings

MAX_FACTS = 40
_HEAD = struct.Struct(">BqQHBB")  # format version, ms, exact hash, story day, signature length, facts count
_VERSION = 1
_WAYS = 4


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Settings of the index (``WIREFEED_DEDUP_*``)."""

    threshold: float = 0.75  # Jaccard of shingles for a near duplicate
    window_ms: int = 7 * 86400 * 1000  # how far back a copy is looked for
    max_fingerprints: int = 1_000_000  # slots of the index (every worker holds all)
    bands: int = 10
    rows: int = 3
    #: a copy may state this many facts the first did not and still be a duplicate
    new_facts_allowed: int = 0
    #: at or above this similarity, up to ``names_allowed`` new names (not figures) are a
    #: spelling fixed or a name written out, not news
    names_near: float = 0.85
    names_allowed: int = 1
    #: texts dated this many days apart are different days' stories, however alike (a
    #: standing report: a daily fixing, a weekly auction); 0: no such rule
    other_day: int = 2

    @classmethod
    def from_settings(cls, settings: Settings) -> DedupConfig:
        return cls(
            threshold=settings.dedup_threshold,
            window_ms=int(settings.dedup_window_hours * 3600 * 1000),
            max_fingerprints=settings.dedup_max_fingerprints,
            bands=settings.dedup_bands,
            rows=settings.dedup_rows,
            new_facts_allowed=settings.dedup_new_facts_allowed,
            names_near=settings.dedup_names_near,
            names_allowed=settings.dedup_names_allowed,
            other_day=settings.dedup_other_day,
        )


@dataclass(frozen=True, slots=True)
class Match:
    """The first copy a fingerprint duplicates."""

    uri: str
    first_seen_ms: int
    similarity: float  # 1.0 for an exact copy
    exact: bool


def _h64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def compact_signature(minhash: tuple[int, ...]) -> bytes:
    """b-bit minwise hashing: the low 8 bits of each value (b"" for a text too short to shingle)."""
    if len(minhash) != PERM:
        return b""
    return np.asarray(minhash, dtype=np.uint32).astype(np.uint8).tobytes()


def fact_sample(facts: frozenset[int]) -> bytes:
    """The smallest ``MAX_FACTS`` 16-bit fact hashes, ascending (a bottom-k sample)."""
    values = sorted({f & 0xFFFF for f in facts})[:MAX_FACTS]
    return np.asarray(values, dtype=">u2").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Jaccard estimate from two compact signatures (chance agreement of 8 bits removed)."""
    if not a or len(a) != len(b):
        return 0.0
    agree = float(np.count_nonzero(np.frombuffer(a, np.uint8) == np.frombuffer(b, np.uint8))) / len(a)
    chance = 1 / 256
    return max(0.0, (agree - chance) / (1 - chance))


def new_facts(ours: bytes, theirs: bytes) -> tuple[int, int]:
    """(figures, names) of our sampled facts ``theirs`` does not state (only those its sample can judge)."""
    mine = set(np.frombuffer(ours, ">u2").tolist())
    other = np.frombuffer(theirs, ">u2")
    kept = set(other.tolist())
    if len(other) >= MAX_FACTS:
        # a full sample is the smallest MAX_FACTS: a fact above its largest cannot be judged
        ceiling = int(other[-1])
        mine = {f for f in mine if f <= ceiling}
    return split_new(mine - kept)


def is_copy(score: float, new: tuple[int, int], cfg: DedupConfig) -> bool:
    """Near enough, and nothing new: no new figure ever; a new name only when the words are
    nearly the same (a spelling fixed, a name written out) -- ``names_near`` and ``names_allowed``."""
    figures, names = new
    if score < cfg.threshold or figures > cfg.new_facts_allowed:
        return False
    return names <= cfg.new_facts_allowed or (score >= cfg.names_near and names <= cfg.names_allowed)


@dataclass(frozen=True, slots=True)
class Entry:
    """What the index keeps of one fingerprint, and its bytes on ``wire.fingerprints``."""

    uri: str
    ms: int
    exact: int  # the first 64 bits of the exact hash
    signature: bytes  # PERM bytes, or b""
    facts: bytes  # big-endian uint16, ascending
    day: int = 0  # the day the story is dated (0: unknown)

    @classmethod
    def of(cls, fp: Fingerprint, uri: str, ms: int) -> Entry:
        return cls(
            uri, ms, int(fp.exact[:16], 16), compact_signature(fp.minhash), fact_sample(fp.facts), fp.day & 0xFFFF
        )

    def encode(self) -> bytes:
        head = _HEAD.pack(_VERSION, self.ms, self.exact, self.day, len(self.signature) // 8, len(self.facts) // 2)
        return head + self.signature + self.facts + self.uri.encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> Entry:
        version, ms, exact, day, sig8, nfacts = _HEAD.unpack_from(data)
        if version != _VERSION:
            raise ValueError(f"fingerprint record version {version}, expected {_VERSION}")
        at = _HEAD.size
        signature = data[at : at + sig8 * 8]
        at += sig8 * 8
        facts = data[at : at + nfacts * 2]
        at += nfacts * 2
        return cls(data[at:].decode("utf-8"), ms, exact, signature, facts, day)

    def key(self) -> bytes:
        """The record key on ``wire.fingerprints``: the uri and the text (a story's versions are
        distinct fingerprints; the same text of the same story is one)."""
        return hashlib.blake2b(self.uri.encode("utf-8") + struct.pack(">Q", self.exact), digest_size=12).digest()


def band_keys(signature: bytes, bands: int, rows: int) -> list[int]:
    """One 64-bit key per band of the compact signature (none for a text too short)."""
    if not signature:
        return []
    rows = max(1, min(rows, len(signature) // max(bands, 1)))
    return [_h64(bytes([band]) + signature[band * rows : (band + 1) * rows]) for band in range(bands)]


class _Buckets:
    """A fixed hash table of slot numbers: ``buckets`` x 4 ways of (32-bit tag, slot + 1)."""

    def __init__(self, capacity: int) -> None:
        size = max(1, -(-2 * capacity // _WAYS))  # at most half full
        self.size = size
        self.tags = np.zeros((size, _WAYS), dtype=np.uint32)
        self.slots = np.zeros((size, _WAYS), dtype=np.int32)  # slot + 1; 0 = empty

    def nbytes(self) -> int:
        return int(self.tags.nbytes + self.slots.nbytes)

    def find(self, key: int) -> list[int]:
        row = key % self.size
        tag = (key >> 32) & 0xFFFFFFFF
        tags, slots = self.tags[row], self.slots[row]
        return [int(slots[w]) - 1 for w in range(_WAYS) if slots[w] and int(tags[w]) == tag]

    def put(self, key: int, slot: int, age: np.ndarray) -> None:
        """Add ``slot`` under ``key``; a full bucket loses its oldest entry (``age``: ms per slot)."""
        row = key % self.size
        slots = self.slots[row]
        free = [w for w in range(_WAYS) if not slots[w]]
        way = free[0] if free else min(range(_WAYS), key=lambda w: int(age[int(slots[w]) - 1]))
        self.tags[row, way] = (key >> 32) & 0xFFFFFFFF
        slots[way] = slot + 1

    def remove(self, key: int, slot: int) -> None:
        row = key % self.size
        for w in range(_WAYS):
            if self.slots[row, w] == slot + 1:
                self.slots[row, w] = 0


class FingerprintIndex:
    """Exact and near-duplicate lookup in preallocated arrays: memory fixed by the config."""

    def __init__(self, config: DedupConfig | None = None) -> None:
        self.cfg = cfg = config or DedupConfig()
        cap = max(1, cfg.max_fingerprints)
        self.capacity = cap
        self.ms = np.zeros(cap, dtype=np.int64)
        self.exact = np.zeros(cap, dtype=np.uint64)
        self.days = np.zeros(cap, dtype=np.uint16)
        self.signatures = np.zeros((cap, PERM), dtype=np.uint8)
        self.has_signature = np.zeros(cap, dtype=np.bool_)
        self.facts = np.zeros((cap, MAX_FACTS), dtype=np.uint16)
        self.nfacts = np.zeros(cap, dtype=np.uint8)
        self.uris: list[str | None] = [None] * cap
        self.by_exact = _Buckets(cap)
        self.by_band = _Buckets(cap * max(cfg.bands, 1))
        self.added = 0  # fingerprints ever added (the next slot is added % capacity)

    def __len__(self) -> int:
        return min(self.added, self.capacity)

    def budget_bytes(self, uri_chars: int = 60) -> int:
        """The index's memory at capacity: arrays, tables and uri strings of ``uri_chars``."""
        arrays = sum(
            a.nbytes
            for a in (self.ms, self.exact, self.days, self.signatures, self.has_signature, self.facts, self.nfacts)
        )
        strings = self.capacity * (49 + uri_chars + 8)  # a str object and its list pointer
        return int(arrays + self.by_exact.nbytes() + self.by_band.nbytes() + strings)

    # ---------------------------------------------------------------- reading

    def _entry(self, slot: int) -> Entry:
        uri = self.uris[slot] or ""
        signature = self.signatures[slot].tobytes() if self.has_signature[slot] else b""
        facts = self.facts[slot, : int(self.nfacts[slot])].astype(">u2").tobytes()
        return Entry(uri, int(self.ms[slot]), int(self.exact[slot]), signature, facts, int(self.days[slot]))

    def _bands(self, signature: bytes) -> list[int]:
        return band_keys(signature, self.cfg.bands, self.cfg.rows)

    def probe(self, entry: Entry) -> Match | None:
        """The earliest live copy ``entry`` duplicates, earlier than it in (time, uri); None when none."""
        oldest = entry.ms - self.cfg.window_ms
        best: Match | None = None

        def earlier(slot: int) -> bool:
            uri = self.uris[slot]
            if uri is None or uri == entry.uri:
                return False
            ms = int(self.ms[slot])
            day = int(self.days[slot])
            if day and entry.day and abs(day - entry.day) >= self.cfg.other_day:
                return False  # a story dated days apart is another day's story (a standing report)
            return oldest <= ms and (ms, uri) < (entry.ms, entry.uri)

        def better(found: Match) -> bool:
            return best is None or (found.first_seen_ms, found.uri) < (best.first_seen_ms, best.uri)

        for slot in self.by_exact.find(entry.exact):
            if int(self.exact[slot]) == entry.exact and earlier(slot):
                found = Match(self.uris[slot] or "", int(self.ms[slot]), 1.0, True)
                if better(found):
                    best = found
        candidates: set[int] = set()
        for key in self._bands(entry.signature):
            candidates.update(self.by_band.find(key))
        for slot in candidates:
            if not self.has_signature[slot] or not earlier(slot):
                continue
            theirs = self._entry(slot)
            score = similarity(entry.signature, theirs.signature)
            if not is_copy(score, new_facts(entry.facts, theirs.facts), self.cfg):
                continue
            found = Match(theirs.uri, theirs.ms, round(score, 4), False)
            if better(found):
                best = found
        return best

    def contains(self, entry: Entry) -> bool:
        """True when this very fingerprint (uri and text) is in the index."""
        return any(
            self.uris[slot] == entry.uri and int(self.exact[slot]) == entry.exact
            for slot in self.by_exact.find(entry.exact)
        )

    # ---------------------------------------------------------------- writing

    def add(self, entry: Entry) -> bool:
        """Keep ``entry`` (overwriting the oldest slot when full); False when it is there already."""
        if self.contains(entry):
            return False
        slot = self.added % self.capacity
        if self.uris[slot] is not None:
            self._forget(slot)
        self.added += 1
        self.uris[slot] = entry.uri
        self.ms[slot] = entry.ms
        self.exact[slot] = entry.exact
        self.days[slot] = entry.day
        self.has_signature[slot] = bool(entry.signature)
        if entry.signature:
            self.signatures[slot] = np.frombuffer(entry.signature, np.uint8)
        facts = np.frombuffer(entry.facts, ">u2")[:MAX_FACTS]
        self.facts[slot, : len(facts)] = facts
        self.nfacts[slot] = len(facts)
        self.by_exact.put(entry.exact, slot, self.ms)
        for key in self._bands(entry.signature):
            self.by_band.put(key, slot, self.ms)
        return True

    def _forget(self, slot: int) -> None:
        old = self._entry(slot)
        self.by_exact.remove(old.exact, slot)
        for key in self._bands(old.signature):
            self.by_band.remove(key, slot)
        self.uris[slot] = None
        self.nfacts[slot] = 0
        self.has_signature[slot] = False

    def live(self, now_ms: int) -> int:
        """Fingerprints within the window at ``now_ms``."""
        held = [i for i in range(len(self)) if self.uris[i] is not None]
        return sum(1 for i in held if int(self.ms[i]) >= now_ms - self.cfg.window_ms)
