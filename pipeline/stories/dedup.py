"""Duplicates across stories: exact and near copies, over a key-value store with a budget.

A duplicate is a copy of a story already published under another uri -- the same
dispatch from two feeds, an agency's re-send under a new id, a client re-posting wire
copy. It is recorded (``wire.duplicates``, with the uri of the first copy) and not
published again. A copy that *adds facts* (a figure or a name the first did not state)
is not a duplicate: it is news (a new version when it is the same story).

    exact   the normalised text's hash (``fingerprint.exact``)
    near    MinHash LSH: ``BANDS`` bands of ``ROWS`` rows of the 128-value MinHash; two
            texts whose shingles' Jaccard similarity is s share a band with probability
            1 - (1 - s^ROWS)^BANDS (s = 0.8: 0.9996; s = 0.5: 0.06), then the candidate's
            stored signature confirms s >= ``threshold`` (a setting, default 0.8) and its
            facts that nothing new was stated.

Store layout (``MutableMapping[bytes, Any]``: a Faust table with a compacted changelog
in the worker, a dict in tests and ``wirefeed process``); one small key per fact::

    X <exact, 16 B>            -> [uri, first seen ms]                      exact copies
    B <band, 1 B><hash, 8 B>   -> [[uri hash, ms], ...] (<= bucket_max)     LSH buckets
    S <uri hash, 8 B>          -> [uri, ms, sig (256 B, b64), facts]        signature, facts
    T <hour>                   -> [[uri hash, exact hash], ...]             expiry index

Budget (measured on 2,000 Reuters-21578 stories, key + JSON value; checked by
``tests/unit/stories/test_dedup.py``): a story costs ~1.4 KB -- its X key 88 B, its
``BANDS`` bucket entries 733 B, its S key 526 B (128 16-bit signature values and up to
``MAX_FACTS`` 32-bit fact hashes, each base64) and 56 B in its hour's T key -- so 1 M
fingerprints (7 days of ~140 k stories a day) take ~1.4 GB of table store over all
partitions, ~175 MB per partition at 8 (RocksDB on disk; a memory store holds the same
as Python objects, several times more).
A fingerprint older than ``window`` (default 7 days) is ignored when read and deleted by
``expire`` (its hour's T key names what to delete); beyond ``max_fingerprints`` the
oldest hours are dropped first, so the store never grows past its budget.

Spread over partitions (the table wiring is the worker's, phase 2 of issue 10): every key
above is independent, so each can live on the partition its own hash picks; an item
*probes* its X key and its BANDS B keys there (a scatter: one small record per key on a
topic keyed by the key, read by the agent that owns the table partition), the answers are
gathered by story uri, and the first copy is the earliest (ms, uri) among them -- a total
order, so two copies decided on different partitions at once agree on which is first.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.stories.fingerprint import PERM, Fingerprint

BANDS, ROWS = 16, 8  # BANDS * ROWS == PERM
MAX_FACTS = 40
HOUR_MS = 3600 * 1000

_EXACT, _BAND, _SIG, _HOUR = b"X", b"B", b"S", b"T"


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """Settings of the index (``WIREFEED_DEDUP_*``)."""

    threshold: float = 0.8  # Jaccard of shingles for a near duplicate
    window_ms: int = 7 * 86400 * 1000  # how far back a copy is looked for
    max_fingerprints: int = 1_000_000  # over all partitions the store serves
    bucket_max: int = 64  # stories per LSH bucket (a boilerplate-only text fills one)
    #: a copy may add this many facts and still be a duplicate (a dateline's date, a
    #: ticker): 0 = any new figure or name makes it news
    new_facts_allowed: int = 0


@dataclass(frozen=True, slots=True)
class Match:
    """The first copy a fingerprint duplicates."""

    uri: str
    first_seen_ms: int
    similarity: float  # 1.0 for an exact copy
    exact: bool


def _key(prefix: bytes, *parts: bytes) -> bytes:
    return prefix + b"".join(parts)


def _uri_hash(uri: str) -> bytes:
    return hashlib.blake2b(uri.encode("utf-8"), digest_size=8).digest()


def band_hashes(minhash: tuple[int, ...]) -> list[bytes]:
    """The LSH band keys of a signature (empty for a text too short to shingle)."""
    if len(minhash) != PERM:
        return []
    # bands over the 16-bit values kept in the S key, so expiry can find a story's buckets
    values = np.asarray(minhash, dtype=np.uint32).astype(np.uint16)
    return [
        bytes([band]) + hashlib.blake2b(values[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8).digest()
        for band in range(BANDS)
    ]


def _pack_signature(minhash: tuple[int, ...]) -> str:
    # b-bit minwise hashing: the low 16 bits of each value (collisions 1 in 65536: the
    # Jaccard estimate moves by < 0.001)
    return base64.b64encode(np.asarray(minhash, dtype=np.uint32).astype(np.uint16).tobytes()).decode("ascii")


def _similarity(minhash: tuple[int, ...], packed: str) -> float:
    if not packed or not minhash:
        return 0.0
    theirs = np.frombuffer(base64.b64decode(packed), dtype=np.uint16)
    ours = np.asarray(minhash, dtype=np.uint32).astype(np.uint16)
    return float(np.count_nonzero(ours == theirs)) / len(ours) if len(theirs) == len(ours) else 0.0


class DuplicateIndex:
    """Exact and near-duplicate lookup over ``store``, bounded and expiring."""

    def __init__(self, store: MutableMapping[bytes, Any] | None = None, config: DedupConfig | None = None) -> None:
        self.store: MutableMapping[bytes, Any] = {} if store is None else store
        self.cfg = config or DedupConfig()

    # ---------------------------------------------------------------- lookups

    def probe(self, fp: Fingerprint, uri: str, now_ms: int) -> Match | None:
        """The earliest live copy ``fp`` duplicates (not ``uri`` itself), or None."""
        oldest = now_ms - self.cfg.window_ms
        exact = self.store.get(_key(_EXACT, bytes.fromhex(fp.exact[:32])))
        if exact and exact[0] != uri and exact[1] >= oldest:
            return Match(exact[0], exact[1], 1.0, True)
        best: Match | None = None
        seen: set[str] = set()
        mine = _uri_hash(uri).hex()
        for band in band_hashes(fp.minhash):
            for other, ms in self.store.get(_key(_BAND, band)) or ():
                if other == mine or other in seen or ms < oldest:
                    continue
                seen.add(other)
                found = self._confirm(fp, other)
                if found and (best is None or (found.first_seen_ms, found.uri) < (best.first_seen_ms, best.uri)):
                    best = found
        return best

    def _confirm(self, fp: Fingerprint, other: str) -> Match | None:
        record = self.store.get(_key(_SIG, bytes.fromhex(other)))
        if not record:
            return None
        similarity = _similarity(fp.minhash, record[2])
        if similarity < self.cfg.threshold:
            return None
        theirs = frozenset(int(v) for v in np.frombuffer(base64.b64decode(record[3]), dtype=np.uint32))
        if len(theirs) >= MAX_FACTS:
            # the stored facts are the smallest MAX_FACTS hashes (a bottom-k sample): a fact
            # above the largest kept one cannot be judged, one below it can
            ceiling = max(theirs)
            new = frozenset(f for f in fp.facts if f <= ceiling) - theirs
        else:
            new = fp.facts - theirs
        if len(new) > self.cfg.new_facts_allowed:
            return None  # similar words, new facts: news, not a copy
        return Match(str(record[0]), int(record[1]), similarity, False)

    def similar(self, fp: Fingerprint, uri: str, now_ms: int) -> list[tuple[str, float]]:
        """Live stories sharing a band with ``fp`` and at or above the threshold, facts aside."""
        oldest = now_ms - self.cfg.window_ms
        out: dict[str, float] = {}
        mine = _uri_hash(uri).hex()
        for band in band_hashes(fp.minhash):
            for other, ms in self.store.get(_key(_BAND, band)) or ():
                if other == mine or ms < oldest:
                    continue
                record = self.store.get(_key(_SIG, bytes.fromhex(other)))
                if record and record[0] not in out:
                    out[str(record[0])] = _similarity(fp.minhash, record[2])
        return sorted(((u, s) for u, s in out.items() if s >= self.cfg.threshold), key=lambda x: -x[1])

    # ---------------------------------------------------------------- writes

    def add(self, fp: Fingerprint, uri: str, now_ms: int) -> None:
        """Remember ``fp`` as published under ``uri`` (the first copy keeps its place)."""
        exact_key = _key(_EXACT, bytes.fromhex(fp.exact[:32]))
        if not self.store.get(exact_key):
            self.store[exact_key] = [uri, now_ms]
        mine = _uri_hash(uri).hex()
        for band in band_hashes(fp.minhash):
            key = _key(_BAND, band)
            bucket = [e for e in (self.store.get(key) or ()) if e[0] != mine]
            bucket.append([mine, now_ms])
            self.store[key] = bucket[-self.cfg.bucket_max :]
        packed = _pack_signature(fp.minhash) if fp.minhash else ""
        facts = base64.b64encode(np.asarray(sorted(fp.facts)[:MAX_FACTS], dtype=np.uint32).tobytes()).decode("ascii")
        self.store[_key(_SIG, _uri_hash(uri))] = [uri, now_ms, packed, facts]
        hour = _key(_HOUR, str(now_ms // HOUR_MS).encode())
        entries = list(self.store.get(hour) or ())
        entries.append([mine, fp.exact[:32]])
        self.store[hour] = entries

    def expire(self, now_ms: int) -> int:
        """Delete fingerprints older than the window, then the oldest beyond the budget; returns how many."""
        hours = sorted(int(k[1:]) for k in list(self.store.keys()) if k[:1] == _HOUR)
        live = sum(len(self.store.get(_key(_HOUR, str(h).encode())) or ()) for h in hours)
        dropped = 0
        for hour in hours:
            too_old = (hour + 1) * HOUR_MS < now_ms - self.cfg.window_ms
            if not too_old and live <= self.cfg.max_fingerprints:
                break
            entries = self.store.get(_key(_HOUR, str(hour).encode())) or ()
            self._forget(entries)
            del self.store[_key(_HOUR, str(hour).encode())]
            live -= len(entries)
            dropped += len(entries)
        return dropped

    def _forget(self, entries: Iterable[list[str]]) -> None:
        """Delete the keys of the (uri hash, exact hash) entries of one hour."""
        for uhash, exact in entries:
            sig_key = _key(_SIG, bytes.fromhex(uhash))
            record = self.store.get(sig_key)
            exact_key = _key(_EXACT, bytes.fromhex(exact))
            if record and (self.store.get(exact_key) or [None])[0] == record[0]:
                del self.store[exact_key]
            if not record:
                continue
            del self.store[sig_key]
            signature = np.frombuffer(base64.b64decode(record[2]), dtype=np.uint16) if record[2] else ()
            for band in band_hashes(tuple(int(v) for v in signature)):
                key = _key(_BAND, band)
                bucket = [e for e in (self.store.get(key) or ()) if e[0] != uhash]
                if bucket:
                    self.store[key] = bucket
                elif key in self.store:
                    del self.store[key]
