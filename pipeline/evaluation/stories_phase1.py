"""The phase-1 story decisions (commit 59d6fbb), frozen: the baseline of ``wirefeed eval stories``.

The issue asks for the first version's figures beside the final ones in the same run, so
the first version's fingerprint (facts), duplicate index, version decision and cluster
index (every item embedded, facts as the worker computes them) are kept here as they
were, unchanged, and used only by the evaluation. Nothing in the worker
imports this module.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np
from datasketch import MinHash

from pipeline.records import ParsedItem
from pipeline.stories.signals import Signals

# ---------------------------------------------------------------- fingerprint.py (phase 1)

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
    minhash: tuple[int, ...]  # PERM 32-bit values; () for a text too short to shingle
    facts: frozenset[int]  # 32-bit hashes of the figures and names stated
    words: int  # words in the normalised text

    def jaccard(self, other: Fingerprint) -> float:
        """Estimated Jaccard similarity of the two texts' shingles (0 when either has none)."""
        if not self.minhash or not other.minhash:
            return 1.0 if self.exact == other.exact else 0.0
        a, b = np.asarray(self.minhash, dtype=np.uint32), np.asarray(other.minhash, dtype=np.uint32)
        return float(np.count_nonzero(a == b)) / len(a)

    def new_facts(self, earlier: Fingerprint) -> frozenset[int]:
        """Figures and names this text states that ``earlier`` did not."""
        return self.facts - earlier.facts


def text_of(item: ParsedItem) -> str:
    """The words a fingerprint is taken over: headline, summary and body."""
    return "\n".join(p for p in (item.headline or "", item.summary or "", item.body_text()) if p)


def normalise(text: str) -> str:
    """Lower case, tickers and punctuation out, one space between words (digits kept)."""
    text = unicodedata.normalize("NFKC", text)
    text = _TICKER.sub(" ", text)
    return " ".join(w.casefold() for w in _WORD.findall(text))


def _h32(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=4).digest(), "big")


@cache
def _seed_minhash() -> MinHash:
    return MinHash(num_perm=PERM, seed=1)


def minhash_of(words: list[str]) -> tuple[int, ...]:
    """PERM 32-bit MinHash values of the word shingles (datasketch, seed 1: stable across runs)."""
    if len(words) < SHINGLE:
        return ()
    shingles = {" ".join(words[i : i + SHINGLE]).encode("utf-8") for i in range(len(words) - SHINGLE + 1)}
    found = _seed_minhash().copy()
    found.update_batch(list(shingles))
    return tuple(int(v) for v in found.hashvalues.astype(np.uint32))


def facts_of(text: str) -> frozenset[int]:
    """The figures ("3", "1,250", "6-1/4") and names (capitalised words not opening a sentence) stated."""
    text = _TICKER.sub(" ", unicodedata.normalize("NFKC", text))
    found = {"#" + re.sub(r"[.,]", "", n) for n in _NUMBER.findall(text)}
    starts = {m.group(1) for m in _SENTENCE_START.finditer(text)}
    capitals = sum(1 for w in text.split() if _UPPER_WORD.match(w) and w.isupper())
    if capitals < 0.5 * max(1, len(text.split())):  # a text in capitals names nothing by case
        for match in _NAME.finditer(text):
            word = match.group(0).rstrip("'’-")
            if word not in starts:
                found.add("@" + word.casefold())
    return frozenset(_h32(f) for f in found)


def fingerprint(item: ParsedItem) -> Fingerprint:
    """The item's fingerprint. Pure and deterministic."""
    raw = text_of(item)
    norm = normalise(raw)
    words = norm.split()
    return Fingerprint(
        exact=hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32],
        minhash=minhash_of(words),
        facts=facts_of(raw),
        words=len(words),
    )


# ---------------------------------------------------------------- dedup.py (phase 1)

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


# ---------------------------------------------------------------- versions.py (phase 1)

NEW, VERSION, DUPLICATE, STALE, KILL = "new", "version", "duplicate", "stale", "kill"
#: what the compacted latest topic gets for a decision
PUBLISH, TOMBSTONE, HOLD, NOTHING = "publish", "tombstone", "hold", "nothing"


@dataclass(frozen=True, slots=True)
class VersionPolicy:
    """Thresholds of the decision (``WIREFEED_STORIES_*``)."""

    #: Jaccard of word shingles at or above which a re-send without a source number and
    #: without new figures or names is a duplicate of the latest version
    near_duplicate: float = 0.8
    #: a story's state is forgotten this long after it was last seen (ms)
    story_ttl_ms: int = 30 * 86400 * 1000


DEFAULT_POLICY = VersionPolicy()


@dataclass(frozen=True, slots=True)
class StoryState:
    """What is remembered of a story between its items."""

    uri: str
    version: int  # the last published ninjs version (ours: always grows)
    source_version: int | None  # the source's ordinal of the latest version, if it numbers them
    version_ms: int | None  # versionCreated of the latest version (epoch ms)
    exact: str  # exact hash of the latest version's text
    facts: frozenset[int]  # fact hashes of the latest version
    killed: bool = False
    withheld: bool = False
    first_seen_ms: int = 0
    last_seen_ms: int = 0

    def expired(self, now_ms: int, policy: VersionPolicy = DEFAULT_POLICY) -> bool:
        return now_ms - self.last_seen_ms > policy.story_ttl_ms


@dataclass(frozen=True, slots=True)
class Incoming:
    """An item of a story, as the decision sees it."""

    uri: str
    fingerprint: Fingerprint
    signals: Signals
    now_ms: int  # the record's time
    source_version: int | None = None
    version_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What the item is to its story, the version to publish, and the story's new state."""

    kind: str
    version: int
    state: StoryState | None  # None: the state is unchanged
    latest: str = PUBLISH
    reason: str = ""
    #: for ``latest == HOLD``: when the embargo lifts (epoch ms)
    hold_until_ms: int | None = None

    @property
    def published(self) -> bool:
        """True when the item goes out on ``wire.articles`` (new, version, kill)."""
        return self.kind in (NEW, VERSION, KILL)


def _order(state: StoryState, incoming: Incoming) -> int:
    """-1 older than the latest version, 0 the same, 1 newer."""
    if incoming.source_version is not None and state.source_version is not None:
        a, b = incoming.source_version, state.source_version
    elif incoming.version_ms is not None and state.version_ms is not None:
        a, b = incoming.version_ms, state.version_ms
    else:
        return 1  # arrival order: what comes later is newer
    return (a > b) - (a < b)


def _latest(incoming: Incoming) -> tuple[str, int | None]:
    if incoming.signals.withheld:
        return TOMBSTONE, None
    if incoming.signals.embargoed_at(incoming.now_ms):
        return HOLD, incoming.signals.embargo_ms
    return PUBLISH, None


def _next_state(state: StoryState | None, incoming: Incoming, version: int, killed: bool) -> StoryState:
    return StoryState(
        uri=incoming.uri,
        version=version,
        source_version=incoming.source_version
        if incoming.source_version is not None
        else (state.source_version if state else None),
        version_ms=incoming.version_ms,
        exact=incoming.fingerprint.exact,
        facts=incoming.fingerprint.facts,
        killed=killed,
        withheld=incoming.signals.withheld,
        first_seen_ms=state.first_seen_ms if state else incoming.now_ms,
        last_seen_ms=incoming.now_ms,
    )


def _published_version(state: StoryState | None, incoming: Incoming) -> int:
    last = state.version if state else 0
    if incoming.source_version is not None and incoming.source_version > last:
        return incoming.source_version
    return last + 1


def decide(state: StoryState | None, incoming: Incoming, policy: VersionPolicy = DEFAULT_POLICY) -> Decision:
    """What ``incoming`` is to its story, given the story's state (None: never seen). Pure."""
    if state is not None and state.expired(incoming.now_ms, policy):
        state = None
    signals = incoming.signals
    if state is None:
        version = _published_version(None, incoming)
        if signals.ends_story:
            return Decision(KILL, version, _next_state(None, incoming, version, True), TOMBSTONE, signals.reasons[0])
        latest, hold = _latest(incoming)
        return Decision(NEW, version, _next_state(None, incoming, version, False), latest, "first item", hold)

    seen = replace(state, last_seen_ms=max(state.last_seen_ms, incoming.now_ms))
    order = _order(state, incoming)
    if state.killed:
        if signals.ends_story:
            return Decision(DUPLICATE, state.version, seen, NOTHING, "kill of a killed story")
        if not (order > 0 and incoming.source_version is not None):
            return Decision(STALE, state.version, seen, NOTHING, "story was killed")
    if signals.ends_story:
        version = state.version + 1
        return Decision(KILL, version, _next_state(state, incoming, version, True), TOMBSTONE, signals.reasons[0])
    if order < 0:
        return Decision(STALE, state.version, seen, NOTHING, "older than the latest version")
    fingerprint = incoming.fingerprint
    changed_status = state.withheld != signals.withheld
    says_changed = any(k in ("correction", "update") for k in signals.kinds) or changed_status
    if fingerprint.exact == state.exact and not changed_status:
        return Decision(DUPLICATE, state.version, seen, NOTHING, "same text as the latest version")
    if order == 0 and incoming.source_version is not None and not says_changed:
        # the source's own number again, other bytes: a re-send of that version
        return Decision(DUPLICATE, state.version, seen, NOTHING, "same source version as the latest")
    if incoming.source_version is None and not says_changed and not fingerprint.new_facts(_facts_only(state)):
        near = fingerprint.exact == state.exact or _near_by_facts(state, fingerprint, policy)
        if near:
            return Decision(DUPLICATE, state.version, seen, NOTHING, "re-send without new facts")
    version = _published_version(state, incoming)
    latest, hold = _latest(incoming)
    reason = signals.reasons[0] if signals.reasons else "newer version"
    return Decision(VERSION, version, _next_state(state, incoming, version, False), latest, reason, hold)


def _facts_only(state: StoryState) -> Fingerprint:
    return Fingerprint(exact=state.exact, minhash=(), facts=state.facts, words=0)


def _near_by_facts(state: StoryState, fingerprint: Fingerprint, policy: VersionPolicy) -> bool:
    """Within a story (no MinHash kept in its state): the same facts, none new or dropped
    beyond ``1 - near_duplicate`` of them, is a re-send with edited wording."""
    if not fingerprint.facts and not state.facts:
        return True
    union = len(fingerprint.facts | state.facts)
    return len(fingerprint.facts & state.facts) / union >= policy.near_duplicate


# ---------------------------------------------------------------- clusters.py (phase 1)


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Thresholds of the phase-1 clusters."""

    window_ms: int = 3 * 86400 * 1000
    evidence: float = 0.35
    embedding: float = 0.9
    combined: tuple[float, float] = (0.86, 0.15)
    max_open: int = 5000


@dataclass(frozen=True, slots=True)
class ClusterFeatures:
    """What phase-1 clustering compares: fact hashes, entity ids, time, a vector."""

    facts: frozenset[int]
    entities: frozenset[str]
    time_ms: int
    vector: np.ndarray | None = None


def cluster_features(item: ParsedItem, time_ms: int, vector: np.ndarray | None = None) -> ClusterFeatures:
    """The phase-1 cluster features of an item (no enrichment: entities empty, as it ran)."""
    from pipeline.stories.fingerprint import facts_of as current_facts

    text = "\n".join(p for p in (item.headline or "", item.summary or "", item.body_text()) if p)
    return ClusterFeatures(current_facts(text), frozenset(), time_ms, vector)


def _set_jaccard(a: frozenset[Any], b: frozenset[Any]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass
class _Cluster:
    id: str
    facts: frozenset[int]
    entities: frozenset[str]
    vector: np.ndarray | None
    last_ms: int
    members: int = 1


class ClusterIndex:
    """Phase-1 single-pass clustering: an article joins the best open cluster it matches, else opens one."""

    def __init__(self, config: ClusterConfig | None = None) -> None:
        self.cfg = config or ClusterConfig()
        self.open: list[_Cluster] = []

    def score(self, feats: ClusterFeatures, cluster: _Cluster) -> float:
        evidence = max(_set_jaccard(feats.facts, cluster.facts), _set_jaccard(feats.entities, cluster.entities))
        best = evidence / self.cfg.evidence
        if feats.vector is not None and cluster.vector is not None:
            cosine = float(feats.vector @ cluster.vector)
            best = max(best, cosine / self.cfg.embedding)
            low_cos, low_evidence = self.cfg.combined
            if cosine >= low_cos and evidence >= low_evidence:
                best = max(best, 1.0)
        return best

    def assign(self, uri: str, feats: ClusterFeatures) -> str:
        oldest = feats.time_ms - self.cfg.window_ms
        best: _Cluster | None = None
        best_score = 1.0
        for cluster in self.open:
            if cluster.last_ms < oldest:
                continue
            found = self.score(feats, cluster)
            if found >= best_score:
                best, best_score = cluster, found
        if best is None:
            digest = hashlib.blake2b(uri.encode("utf-8"), digest_size=10).hexdigest()
            best = _Cluster(f"urn:wirefeed:event:{digest}", feats.facts, feats.entities, feats.vector, feats.time_ms)
            self.open.append(best)
            if len(self.open) > self.cfg.max_open:
                self.open.pop(0)
            return best.id
        best.facts = best.facts | feats.facts
        best.entities = best.entities | feats.entities
        if feats.vector is not None and best.vector is not None:
            mean = best.vector * best.members + feats.vector
            best.vector = mean / float(np.linalg.norm(mean) or 1.0)
        best.members += 1
        best.last_ms = max(best.last_ms, feats.time_ms)
        return best.id
