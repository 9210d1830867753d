"""Story clusters: evidence joins, and the representation is computed only where it can decide."""

from __future__ import annotations

import numpy as np

from pipeline.stories.clusters import ClusterConfig, ClusterFeatures, ClusterIndex

T0 = 1_900_000_000_000


class Recorder:
    """An embedder that gives every text the same direction (any two texts are the same event by
    cosine) and records what it was asked: the calls are what the test is about."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.ones((len(texts), 4), dtype=np.float32) / 2.0


def _feats(*facts: int, at: int = 0) -> ClusterFeatures:
    return ClusterFeatures(facts=frozenset(facts), entities=frozenset(), time_ms=T0 + at)


def test_evidence_alone_joins_without_embedding() -> None:
    """Enough shared facts join a cluster; nothing is embedded."""
    embedder = Recorder()
    index = ClusterIndex(ClusterConfig(embed="candidates"), embedder=embedder)
    first = index.assign("a", _feats(1, 2, 3, 4), text="first")
    assert index.assign("b", _feats(1, 2, 3, 5, at=1000), text="second") == first
    assert embedder.calls == [] and index.embedded == 0


def test_nothing_shared_opens_a_cluster_without_embedding() -> None:
    """An item sharing no evidence with any open cluster is a new event: no representation needed."""
    embedder = Recorder()
    index = ClusterIndex(ClusterConfig(embed="candidates"), embedder=embedder)
    first = index.assign("a", _feats(1, 2, 3), text="first")
    assert index.assign("b", _feats(7, 8, 9, at=1000), text="second") != first
    assert embedder.calls == []


def test_undecided_candidates_are_embedded_in_one_batch() -> None:
    """Some shared evidence, not enough: the item and the candidate cluster are embedded together,
    once; the cosine decides (here: the same event)."""
    embedder = Recorder()
    index = ClusterIndex(ClusterConfig(embed="candidates"), embedder=embedder)
    first = index.assign("a", _feats(1, 2, 3, 4, 5, 6, 7, 8), text="first")
    assert index.assign("b", _feats(1, 20, 30, 40, 50, 60, at=1000), text="second") == first
    assert embedder.calls == [["second", "first"]] and index.embedded == 2
    # the cluster keeps its vector: a third undecided item embeds only itself
    index.assign("c", _feats(2, 21, 31, 41, 51, 61, at=2000), text="third")
    assert embedder.calls[-1] == ["third"]


def test_off_never_embeds_and_clusters_by_evidence() -> None:
    """embed="off": language-independent evidence only."""
    embedder = Recorder()
    index = ClusterIndex(ClusterConfig(embed="off"), embedder=embedder)
    first = index.assign("a", _feats(1, 2, 3, 4, 5, 6, 7, 8), text="first")
    assert index.assign("b", _feats(1, 20, 30, 40, 50, 60, at=1000), text="second") != first
    assert embedder.calls == []
