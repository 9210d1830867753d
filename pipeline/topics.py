"""Every topic wirefeed reads or writes, with its key, value and headers, in one place.

    wire.raw         key: none or the feed's own id     value: the dispatch bytes, exactly as received
                     headers: content-type, wf_agency, wf_received_at, wf_source (schemas/wire.raw/)
    wire.parsed      key: learning shard of the source   value: CleanedDispatch as JSON (internal; a RawRef
                     to the raw record: coordinates, sha256, headers, bytes only when small)
                     co-partitions a shard's dispatches with its learned-boilerplate state
    wire.cleaned     key: story id (= article uri)      value: CleanedDispatch as JSON (internal)
                     co-partitions every version of a story for the stateful stages
    wire.articles    key: article uri                   value: IPTC ninjs 3.1 JSON
                     headers: CloudEvents Kafka binding ce_* + wf_* (schemas/wire.articles/)
    wire.deadletter  key: dispatch id                   value: dead-letter envelope JSON, original bytes inside
                     headers: ce_* + wf_* (schemas/wire.deadletter/)

All values travel as raw bytes through Faust (``value_serializer="raw"``): decoding is
our code's job, so that a record we cannot read is dead-lettered instead of being
logged and skipped inside Faust.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.records import Article, Outcome, Result

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

#: topics whose records are outcomes of a raw record
OUTCOME_TOPICS = (ARTICLES, DEADLETTER)
ALL = (RAW, PARSED, CLEANED, ARTICLES, DEADLETTER)


@dataclass(frozen=True, slots=True)
class TopicNames:
    """The concrete names, with the configured prefix applied."""

    raw: str
    parsed: str
    cleaned: str
    articles: str
    deadletter: str

    @classmethod
    def with_prefix(cls, prefix: str) -> TopicNames:
        return cls(prefix + RAW, prefix + PARSED, prefix + CLEANED, prefix + ARTICLES, prefix + DEADLETTER)

    def all(self) -> tuple[str, ...]:
        return (self.raw, self.parsed, self.cleaned, self.articles, self.deadletter)

    def outcomes(self) -> tuple[str, str]:
        return (self.articles, self.deadletter)

    def outcome(self, result: Result) -> Outcome:
        """The record to publish for a stage result: articles and dead letters have their topics."""
        topic = self.articles if isinstance(result, Article) else self.deadletter
        return Outcome(topic, result.key, result.value, result.headers, result.raw, result.part, result.parts)

    def logical(self, name: str) -> str:
        """The unprefixed name of a concrete topic ("t1.wire.articles" -> "wire.articles")."""
        for concrete, base in zip(self.all(), ALL, strict=True):
            if name == concrete:
                return base
        return name


@dataclass(frozen=True)
class Topics:
    """The Faust topic objects of one app (the worker's side of the names above)."""

    names: TopicNames
    raw: faust.TopicT
    parsed: faust.TopicT
    cleaned: faust.TopicT
    articles: faust.TopicT
    deadletter: faust.TopicT

    def by_name(self, name: str) -> faust.TopicT:
        for topic in (self.raw, self.parsed, self.cleaned, self.articles, self.deadletter):
            if name in topic.topics:
                return topic
        raise KeyError(name)


def _topic(app: faust.App, name: str, settings: Settings) -> faust.TopicT:
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
    )


def declare_topics(app: faust.App, settings: Settings) -> Topics:
    """Declare every wirefeed topic on ``app``."""
    names = TopicNames.with_prefix(settings.topic_prefix)
    return Topics(
        names=names,
        raw=_topic(app, names.raw, settings),
        parsed=_topic(app, names.parsed, settings),
        cleaned=_topic(app, names.cleaned, settings),
        articles=_topic(app, names.articles, settings),
        deadletter=_topic(app, names.deadletter, settings),
    )
