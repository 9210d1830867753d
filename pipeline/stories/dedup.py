"""Duplicates across stories: exact and near copies, in a bounded memory budget.

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

about 280 bytes with a 60-character uri. The index (``FingerprintIndex``) holds them in a
ring of ``max_fingerprints`` slots (the oldest is overwritten first): columns in anonymous
mappings sized for every slot but written slot after slot, so only what is held is resident,
and hash tables of slot numbers (the exact hash; one key per band: ``_Chains``) whose
entries sit beside the slots and whose buckets double with what they hold -- never a page
written at random that holds nothing. Memory follows what is held, about 500 bytes a
fingerprint with 10 bands (uri strings included): a few KB empty, ~60 MB at 100,000,
``budget_bytes`` at capacity (1 M fingerprints ~ 500 MB). A fingerprint leaves the tables
only when its slot is overwritten. A fingerprint older than ``window`` is never matched.

Order: a copy is a duplicate only of a fingerprint that is earlier in the total order
(time, uri). Two copies decided at once on different workers can then never both be
duplicates of each other (the earlier is published), whatever each has seen.
"""

from __future__ import annotations

import hashlib
import mmap
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from pipeline.stories.fingerprint import PERM, Fingerprint, split_new

if TYPE_CHECKING:
    from pipeline.settings import Settings

MAX_FACTS = 40
_HEAD = struct.Struct(">BqQHBB")  # format version, ms, exact hash, story day, signature length, facts count
_VERSION = 1
_FACT_BYTES = 2 * MAX_FACTS
_SLOT_BYTES = 8 + 8 + 2 + 1 + 1 + PERM + _FACT_BYTES + 8  # the ring's columns and the uri's list pointer
_MIN_BUCKETS = 1024  # a hash table's first heads (a power of two)
_REBUILD_SLICE = 1 << 20  # ids chained again at once when the heads double


def _buckets_for(entries: int) -> int:
    """The heads a table of ``entries`` ends with: the power of two it doubles to."""
    buckets = _MIN_BUCKETS
    while buckets < entries:
        buckets *= 2
    return buckets


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
        return cls(uri, ms, int(fp.exact[:16], 16), fp.signature, fact_sample(fp.facts), fp.day & 0xFFFF)

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


def _zeros(items: int, fmt: Literal["B", "H", "i", "I", "q", "Q"]) -> memoryview[int]:
    """``items`` zeros of struct format ``fmt`` in an anonymous mapping of their own: no page is
    resident before it is written (numpy's zeros ask for huge pages: 2 MB resident a write)."""
    size = max(1, items) * struct.calcsize(fmt)
    return memoryview(mmap.mmap(-1, size)).cast(fmt)


class _Chains:
    """A hash table of numbered entries whose buckets double with what it holds; nothing is lost.

    An entry is an id below ``ids`` (a ring slot, or slot x bands + band) under a 64-bit key::

        tags[id]    the key's low 32 bits
        nexts[id]   0: not in the table; else the next entry of its chain + 2 (1: the chain ends)
        heads[b]    the newest entry of bucket b's chain + 1 (0: empty); b = tag & mask

    ``tags`` and ``nexts`` are mapped for every id and written id by id (the ring's order: they
    become resident as it fills); ``heads`` is a power of two at least as large as the entries
    held (one to two cells an entry), doubled and rebuilt as they come, so chains are about one
    entry long.
    """

    def __init__(self, ids: int) -> None:
        self.tags = _zeros(ids, "I")
        self.nexts = _zeros(ids, "i")
        self.heads = _zeros(_MIN_BUCKETS, "i")
        self.mask = _MIN_BUCKETS - 1
        self.count = 0
        self.top = 0  # the highest id ever held + 1 (the ids below it were written)

    def nbytes(self) -> int:
        """The bytes written: the entries below ``top`` and the heads."""
        return 8 * self.top + 4 * len(self.heads)

    def find(self, key: int) -> list[int]:
        """The ids held under ``key`` (or a key with the same low 32 bits)."""
        tag = key & 0xFFFFFFFF
        tags, nexts = self.tags, self.nexts
        found = []
        at = self.heads[tag & self.mask] - 1
        while at >= 0:
            if tags[at] == tag:
                found.append(at)
            at = nexts[at] - 2
        return found

    def put(self, key: int, at: int) -> None:
        """Hold id ``at`` (not held) under ``key``."""
        if self.count >= len(self.heads):
            self._rebuild(2 * len(self.heads))
        tag = key & 0xFFFFFFFF
        bucket = tag & self.mask
        self.tags[at] = tag
        self.nexts[at] = self.heads[bucket] + 1
        self.heads[bucket] = at + 1
        self.count += 1
        self.top = max(self.top, at + 1)

    def remove(self, at: int) -> None:
        """Drop id ``at`` from the table (nothing when it is not held)."""
        nexts = self.nexts
        if not nexts[at]:
            return
        bucket = self.tags[at] & self.mask
        before, cur = -1, self.heads[bucket] - 1
        while cur != at:  # the ring drops its oldest: usually the end of a short chain
            if cur < 0:
                raise RuntimeError(f"duplicate index: entry {at} is not in its bucket's chain")
            before, cur = cur, nexts[cur] - 2
        if before < 0:
            self.heads[bucket] = nexts[at] - 1
        else:
            nexts[before] = nexts[at]
        nexts[at] = 0
        self.count -= 1

    def _rebuild(self, buckets: int) -> None:
        """``buckets`` heads, every held id chained again: vectorised, a slice of ids at a time
        (~0.1 s and a few MB of scratch per million entries)."""
        heads = _zeros(buckets, "i")
        into = np.frombuffer(heads, dtype=np.int32)  # views: written through, released below
        nexts = np.frombuffer(self.nexts, dtype=np.int32)
        tags = np.frombuffer(self.tags, dtype=np.uint32)
        mask = np.uint32(buckets - 1)
        for start in range(0, self.top, _REBUILD_SLICE):
            ids = np.flatnonzero(nexts[start : start + _REBUILD_SLICE]) + start
            homes = tags[ids] & mask
            while len(ids):
                # of the ids sharing a bucket one wins it and links to the head it had; the
                # others try again, and link to the winner
                before = into[homes]
                into[homes] = ids + 1
                won = into[homes] == ids + 1
                nexts[ids[won]] = before[won] + 1
                ids, homes = ids[~won], homes[~won]
        del into, nexts, tags
        self.heads, self.mask = heads, buckets - 1


class FingerprintIndex:
    """Exact and near-duplicate lookup in memory that follows what is held, up to the config."""

    def __init__(self, config: DedupConfig | None = None) -> None:
        self.cfg = cfg = config or DedupConfig()
        self.capacity = cap = max(1, cfg.max_fingerprints)
        self.nbands = max(cfg.bands, 1)  # band entry ids: slot x nbands + band
        # columns of the ring, one cell (or row of bytes) a slot, written in slot order
        self.ms = _zeros(cap, "q")
        self.exact = _zeros(cap, "Q")
        self.days = _zeros(cap, "H")
        self.nfacts = _zeros(cap, "B")
        self.has_signature = _zeros(cap, "B")
        self.signatures = _zeros(cap * PERM, "B")
        self.facts = _zeros(cap * _FACT_BYTES, "B")  # big-endian uint16, as on the wire
        self.uris: list[str | None] = []  # grows to capacity
        self.by_exact = _Chains(cap)  # id: the slot
        self.by_band = _Chains(cap * self.nbands)  # id: slot x nbands + band
        self.added = 0  # fingerprints ever added (the next slot is added % capacity)

    def __len__(self) -> int:
        return min(self.added, self.capacity)

    def nbytes(self) -> int:
        """The bytes the index has written (about what it holds resident), uri strings not counted."""
        return len(self) * _SLOT_BYTES + self.by_exact.nbytes() + self.by_band.nbytes()

    def budget_bytes(self, uri_chars: int = 60) -> int:
        """The index's memory at capacity: arrays, tables and uri strings of ``uri_chars``."""
        cap, entries = self.capacity, self.capacity * self.nbands
        strings = cap * (49 + uri_chars)  # a str object
        tables = 8 * (cap + entries) + 4 * (_buckets_for(cap) + _buckets_for(entries))
        return cap * _SLOT_BYTES + strings + tables

    # ---------------------------------------------------------------- reading

    def _entry(self, slot: int) -> Entry:
        uri = self.uris[slot] or ""
        signature = bytes(self.signatures[slot * PERM : (slot + 1) * PERM]) if self.has_signature[slot] else b""
        at = slot * _FACT_BYTES
        facts = bytes(self.facts[at : at + 2 * self.nfacts[slot]])
        return Entry(uri, self.ms[slot], self.exact[slot], signature, facts, self.days[slot])

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
            ms = self.ms[slot]
            day = self.days[slot]
            if day and entry.day and abs(day - entry.day) >= self.cfg.other_day:
                return False  # a story dated days apart is another day's story (a standing report)
            return oldest <= ms and (ms, uri) < (entry.ms, entry.uri)

        def better(found: Match) -> bool:
            return best is None or (found.first_seen_ms, found.uri) < (best.first_seen_ms, best.uri)

        for slot in self.by_exact.find(entry.exact):
            if self.exact[slot] == entry.exact and earlier(slot):
                found = Match(self.uris[slot] or "", self.ms[slot], 1.0, True)
                if better(found):
                    best = found
        candidates: set[int] = set()
        for key in self._bands(entry.signature):
            candidates.update(at // self.nbands for at in self.by_band.find(key))
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
            self.uris[slot] == entry.uri and self.exact[slot] == entry.exact for slot in self.by_exact.find(entry.exact)
        )

    # ---------------------------------------------------------------- writing

    def add(self, entry: Entry) -> bool:
        """Keep ``entry`` (overwriting the oldest slot when full); False when it is there already."""
        signature, facts = entry.signature, entry.facts[:_FACT_BYTES]
        if (signature and len(signature) != PERM) or len(facts) % 2:
            raise ValueError(f"fingerprint of {entry.uri}: signature of {len(signature)} bytes, facts of {len(facts)}")
        if self.contains(entry):
            return False
        slot = self.added % self.capacity
        if slot == len(self.uris):
            self.uris.append(None)
        elif self.uris[slot] is not None:
            self._forget(slot)
        self.added += 1
        self.uris[slot] = entry.uri
        self.ms[slot] = entry.ms
        self.exact[slot] = entry.exact
        self.days[slot] = entry.day
        self.has_signature[slot] = 1 if signature else 0
        if signature:
            self.signatures[slot * PERM : (slot + 1) * PERM] = signature
        at = slot * _FACT_BYTES
        self.facts[at : at + len(facts)] = facts
        self.nfacts[slot] = len(facts) // 2
        self.by_exact.put(entry.exact, slot)
        first = slot * self.nbands
        for band, key in enumerate(self._bands(signature)):
            self.by_band.put(key, first + band)
        return True

    def _forget(self, slot: int) -> None:
        self.by_exact.remove(slot)
        if self.has_signature[slot]:
            first = slot * self.nbands
            for at in range(first, first + self.nbands):
                self.by_band.remove(at)
        self.uris[slot] = None
        self.nfacts[slot] = 0
        self.has_signature[slot] = 0

    def live(self, now_ms: int) -> int:
        """Fingerprints within the window at ``now_ms``."""
        oldest = now_ms - self.cfg.window_ms
        return sum(1 for slot in range(len(self)) if self.uris[slot] is not None and self.ms[slot] >= oldest)
