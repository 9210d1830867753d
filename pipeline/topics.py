"""Every topic wirefeed reads or writes, with its key, value and headers, in one place.

    wire.raw         key: none or the feed's own id     value: the dispatch bytes, exactly as received
                     headers: content-type, wf_agency, wf_received_at, wf_source (schemas/wire.raw/)
    wire.parsed      key: learning shard of the source   value: CleanedDispatch as JSON (internal; a RawRef
                     to the raw record: coordinates, sha256, headers, bytes only when small)
                     headers: wf_agency (as detected; also on wire.cleaned), for the worker's metrics
                     co-partitions a shard's dispatches with its learned-boilerplate state
    wire.cleaned     key: story id (= article uri)      value: CleanedDispatch as JSON (internal)
                     co-partitions every version of a story for the stateful stages
    wire.articles    key: article uri                   value: IPTC ninjs 3.1 JSON
                     headers: CloudEvents Kafka binding ce_* + wf_* (schemas/wire.articles/)
    wire.deadletter  key: dispatch id                   value: dead-letter envelope JSON, original bytes inside
                     headers: ce_* + wf_* (schemas/wire.deadletter/)
    wire.alerts      key: stage or source               value: an alert JSON (a stage paused / resumed by
                     its circuit breaker, a feed gone quiet / resumed: schemas/wire.alerts/), for operators
    wire.sources     key: source                        value: a sighting JSON (internal: a source's dispatches
                     in one batch, for the idle-feed watch, pipeline/observability/idle.py)
    wire.duplicates  key: article uri                   value: a duplicate record JSON: the item was a copy
                     (or an older version) of a story published under the uri it names, not
                     published again (schemas/wire.duplicates/); an outcome of its raw record
    wire.articles.latest  key: article uri (compacted)  value: the latest version of each story (the
                     wire.articles record), a tombstone when it is killed or withheld
    wire.fingerprints  key: story and text (12 B)       value: a fingerprint (pipeline/stories/dedup.py
                     Entry): internal, read in full by every worker's duplicate index
    wire.clusters    key: article uri                   value: an article's place in its story cluster and
                     its evidence (pipeline/stories/clusters.py Membership): internal, read in
                     full by every worker's cluster index

All values travel as raw bytes through Faust (``value_serializer="raw"``): decoding is
our code's job, so that a record we cannot read is dead-lettered instead of being
logged and skipped inside Faust.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.records import Article, Duplicate, Outcome, Result

if TYPE_CHECKING:  # faust is imported only where topic objects are declared (the worker)
    import faust

    from pipeline.settings import Settings

#: bytes allowed beyond the size limit in requests, fetches and max.message.bytes (framing)
SIZE_MARGIN = 64 * 1024

RAW = "wire.raw"
PARSED = "wire.parsed"
CLEANED = "wire.cleaned"
ARTICLES = "wire.articles"
DEADLETTER = "wire.deadletter"
ALERTS = "wire.alerts"
SOURCES = "wire.sources"
DUPLICATES = "wire.duplicates"
LATEST = "wire.articles.latest"
FINGERPRINTS = "wire.fingerprints"
CLUSTERS = "wire.clusters"

#: topics whose records are outcomes of a raw record
OUTCOME_TOPICS = (ARTICLES, DEADLETTER, DUPLICATES)
ALL = (RAW, PARSED, CLEANED, ARTICLES, DEADLETTER, ALERTS, SOURCES, DUPLICATES, LATEST, FINGERPRINTS, CLUSTERS)


@dataclass(frozen=True, slots=True)
class TopicNames:
    """The concrete names, with the configured prefix applied."""

    raw: str
    parsed: str
    cleaned: str
    articles: str
    deadletter: str
    alerts: str
    sources: str
    duplicates: str
    latest: str
    fingerprints: str
    clusters: str

    @classmethod
    def with_prefix(cls, prefix: str) -> TopicNames:
        return cls(*(prefix + name for name in ALL))

    def all(self) -> tuple[str, ...]:
        return (
            self.raw,
            self.parsed,
            self.cleaned,
            self.articles,
            self.deadletter,
            self.alerts,
            self.sources,
            self.duplicates,
            self.latest,
            self.fingerprints,
            self.clusters,
        )

    def outcomes(self) -> tuple[str, str, str]:
        """The topics whose records are the outcomes of raw records (what ``audit`` reconciles)."""
        return (self.articles, self.deadletter, self.duplicates)

    def outcome(self, result: Result | Duplicate) -> Outcome:
        """The record to publish for a stage result: articles, duplicates and dead letters have their topics."""
        if isinstance(result, Article):
            topic = self.articles
        elif isinstance(result, Duplicate):
            topic = self.duplicates
        else:
            topic = self.deadletter
        return Outcome(topic, result.key, result.value, result.headers, result.raw, result.part, result.parts)

    def logical(self, name: str) -> str:
        """The unprefixed name of a concrete topic ("t1.wire.articles" -> "wire.articles")."""
        for concrete, base in zip(self.all(), ALL, strict=True):
            if name == concrete:
                return base
        return name


def topic_configs(settings: Settings) -> dict[str, dict[str, str]]:
    """The settings of every wirefeed topic, by concrete name, for when wirefeed creates it.

    Records of any size up to the limit fit (``max.message.bytes``, with the framing margin);
    a write is acknowledged by ``min.insync.replicas`` replicas (capped at the replication);
    records are kept ``retention_hours`` (outcomes ``outcome_retention_hours``): the raw topic
    must keep a dispatch long enough for ``wirefeed redrive`` to fetch it back by coordinates.
    """
    names = TopicNames.with_prefix(settings.topic_prefix)
    common = {
        "cleanup.policy": "delete",
        "max.message.bytes": str(settings.max_message_bytes + SIZE_MARGIN),
        "min.insync.replicas": str(max(1, min(settings.min_insync_replicas, settings.replication))),
    }
    hour_ms = 3600 * 1000
    kept = {"retention.ms": str(int(settings.retention_hours * hour_ms))}
    outcomes = {"retention.ms": str(int(settings.outcome_retention_hours * hour_ms))}
    return {
        names.raw: {**common, **kept},
        names.parsed: {**common, **kept},
        names.cleaned: {**common, **kept},
        names.articles: {**common, **outcomes},
        names.deadletter: {**common, **outcomes},
        names.alerts: {**common, **outcomes},
        names.sources: {**common, **kept},
        names.duplicates: {**common, **outcomes},
        # the latest version per uri: compaction keeps one record a story, deletes go after a day
        names.latest: {
            **common,
            "cleanup.policy": "compact",
            "min.cleanable.dirty.ratio": "0.1",
            "segment.ms": str(3600 * 1000),
            "delete.retention.ms": str(86400 * 1000),
        },
        # the duplicate index is rebuilt from this topic: it needs the window, no more
        names.fingerprints: {**common, "retention.ms": str(int(settings.dedup_window_hours * hour_ms))},
        # the cluster index likewise: the cluster window
        names.clusters: {**common, "retention.ms": str(int(settings.cluster_window_hours * hour_ms))},
    }


def changelog_topic(settings: Settings, table: str) -> str:
    """The changelog topic Faust keeps for ``table`` of the app."""
    return f"{settings.app_id}-{table}-changelog"


def partition_problems(settings: Settings, counts: dict[str, int]) -> list[str]:
    """What is wrong with the partition counts of the topics that exist (``counts``: name -> count).

    The learned-boilerplate table is co-partitioned with ``wire.parsed``: its state for a
    shard lives on the changelog partition of the shard's ``wire.parsed`` partition. A
    different count (someone added partitions to one of them, or ``WIREFEED_PARTITIONS``
    changed after the topics were created) would silently put state where no worker looks:
    an error, not a split.
    """
    names = TopicNames.with_prefix(settings.topic_prefix)
    problems = []
    parsed = counts.get(names.parsed)
    changelog_name = changelog_topic(settings, "boilerplate")
    changelog = counts.get(changelog_name)
    if parsed is not None and parsed != settings.partitions:
        problems.append(
            f"{names.parsed} has {parsed} partitions but WIREFEED_PARTITIONS is {settings.partitions}: the learned-"
            f"boilerplate table must have as many partitions as {names.parsed} (set WIREFEED_PARTITIONS={parsed})"
        )
    if parsed is not None and changelog is not None and parsed != changelog:
        problems.append(
            f"{changelog_name} has {changelog} partitions and {names.parsed} {parsed}: the table's state would be "
            "split from its records; give both the same count (and WIREFEED_PARTITIONS)"
        )
    # the idle-feed watch's table (pipeline/observability/idle.py) is co-partitioned with wire.sources
    sources, sources_log = counts.get(names.sources), counts.get(changelog_topic(settings, "sources"))
    if sources is not None and sources_log is not None and sources != sources_log:
        problems.append(
            f"{changelog_topic(settings, 'sources')} has {sources_log} partitions and {names.sources} {sources}: "
            "the idle-feed state would be split from its sightings; give both the same count"
        )
    cleaned = counts.get(names.cleaned)
    stories = counts.get(changelog_topic(settings, "stories"))
    if cleaned is not None and stories is not None and cleaned != stories:
        problems.append(
            f"{changelog_topic(settings, 'stories')} has {stories} partitions and {names.cleaned} {cleaned}: the "
            "story states would be split from their records; give both the same count (and WIREFEED_PARTITIONS)"
        )
    return problems


@dataclass(frozen=True)
class Topics:
    """The Faust topic objects of one app (the worker's side of the names above)."""

    names: TopicNames
    raw: faust.TopicT
    parsed: faust.TopicT
    cleaned: faust.TopicT
    articles: faust.TopicT
    deadletter: faust.TopicT
    alerts: faust.TopicT
    sources: faust.TopicT
    duplicates: faust.TopicT
    latest: faust.TopicT
    fingerprints: faust.TopicT
    clusters: faust.TopicT

    def by_name(self, name: str) -> faust.TopicT:
        every = (self.raw, self.parsed, self.cleaned, self.articles, self.deadletter, self.alerts, self.sources)
        for topic in (*every, self.duplicates, self.latest, self.fingerprints, self.clusters):
            if name in topic.topics:
                return topic
        raise KeyError(name)


def _topic(app: faust.App, name: str, settings: Settings, config: dict[str, str]) -> faust.TopicT:
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.partitions,
        replicas=settings.replication,
        # internal=True: the worker creates the topic at start if it does not exist yet
        internal=True,
        config=config,
    )


def declare_topics(app: faust.App, settings: Settings) -> Topics:
    """Declare every wirefeed topic on ``app``."""
    names = TopicNames.with_prefix(settings.topic_prefix)
    configs = topic_configs(settings)
    return Topics(
        names=names,
        raw=_topic(app, names.raw, settings, configs[names.raw]),
        parsed=_topic(app, names.parsed, settings, configs[names.parsed]),
        cleaned=_topic(app, names.cleaned, settings, configs[names.cleaned]),
        articles=_topic(app, names.articles, settings, configs[names.articles]),
        deadletter=_topic(app, names.deadletter, settings, configs[names.deadletter]),
        alerts=_topic(app, names.alerts, settings, configs[names.alerts]),
        sources=_topic(app, names.sources, settings, configs[names.sources]),
        duplicates=_topic(app, names.duplicates, settings, configs[names.duplicates]),
        latest=_topic(app, names.latest, settings, configs[names.latest]),
        fingerprints=_topic(app, names.fingerprints, settings, configs[names.fingerprints]),
        clusters=_topic(app, names.clusters, settings, configs[names.clusters]),
    )
