"""Every topic wirefeed reads or writes, with its key, value and headers, in one place.

    wire.raw         key: none or the feed's own id     value: the dispatch bytes, exactly as received
                     headers: content-type, wf_agency, wf_received_at, wf_source (schemas/wire.raw/)
    wire.parsed      key: source (feed or agency:format) value: CleanedDispatch as JSON (internal)
                     co-partitions a source's dispatches for the learned-boilerplate table
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

    def logical(self, name: str) -> str:
        """The unprefixed name of a concrete topic ("t1.wire.articles" -> "wire.articles")."""
        for concrete, base in zip(self.all(), ALL, strict=True):
            if name == concrete:
                return base
        return name
