"""The worker's Prometheus metrics, all named ``wirefeed_*``, counted in the worker process.

The stages run in a process of their own (``pipeline.delivery.pool``), so nothing is
counted there: the worker counts from what the pool hands back -- the typed outcomes of
every record (``Outcome``: topic, headers, the raw record it stems from) and the child's
own timings (``pool.Timings``) -- once a batch is done (every outcome acknowledged). A
batch that is tried again is counted once, when it is done; its stage time is observed
every time it runs (that is what it cost).

    wirefeed_dispatches_in_total{stage,agency}           records each agent finished
    wirefeed_dispatches_total{stage,agency,outcome}      what they became: parsed, cleaned,
                                                         article, deadletter (per outcome record)
    wirefeed_stage_seconds{stage}                        per record: its own time in the stage
                                                         plus its share of the batch phase
    wirefeed_deadletters_total{stage,class}              the failing stage (wf_stage) and error class
    wirefeed_published_total{topic}                      every record published, by logical topic
                                                         (routed topics by their name)
    wirefeed_duplicates_total{agency,kind}, wirefeed_versions_total{agency}
                                                         story identity (issue 10): ``duplicate()``
                                                         and ``version()`` count them
    wirefeed_last_dispatch_timestamp_seconds{agency}     arrival time (record timestamp) of the
                                                         newest raw dispatch of each agency
    wirefeed_alerts_total{type}                          records this worker put on wire.alerts

and, computed when scraped from the worker's state (``pipeline.observability.probes``):
``wirefeed_consumer_lag{topic,partition}``, ``wirefeed_ready``, ``wirefeed_live``,
``wirefeed_breaker_open{stage}``, ``wirefeed_stage_processes_replaced_total{stage}``,
``wirefeed_source_idle{source}`` and ``wirefeed_source_cadence_seconds{source}``.

Label values that come from the input (agency, error class) are bounded: after
``MAX_VALUES`` distinct values of a label, further ones are counted as "other", so a feed
with a broken header cannot grow the worker's memory or Prometheus's series without end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

from pipeline.delivery.pool import Timings
from pipeline.records import Outcome, RawDispatch
from pipeline.topics import ARTICLES, CLEANED, DEADLETTER, PARSED, TopicNames

log = logging.getLogger(__name__)

# no wirefeed_*_created series: one more series per label set, which nobody plots
disable_created_metrics()

#: every wirefeed metric lives here (not in prometheus_client's global registry: no process
#: and platform collectors of its own, and tests can read exactly ours)
REGISTRY = CollectorRegistry(auto_describe=True)

#: distinct values a label taken from the input may have before the rest count as "other"
MAX_VALUES = 200
#: what an outcome on a pipeline topic is, for ``wirefeed_dispatches_total{outcome}``; topics
#: not listed (routed copies, alerts) are only in ``wirefeed_published_total``
OUTCOME_KINDS = {
    PARSED: "parsed",
    CLEANED: "cleaned",
    ARTICLES: "article",
    DEADLETTER: "deadletter",
    "wire.duplicates": "duplicate",  # story identity (issue 10): a duplicate is a record's outcome
}
#: seconds: from a fast parse (a millisecond) to a record near the stage time limit
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

DISPATCHES_IN = Counter(
    "wirefeed_dispatches_in",
    "Records an agent finished (every outcome acknowledged), by stage and agency",
    ["stage", "agency"],
    registry=REGISTRY,
)
DISPATCHES = Counter(
    "wirefeed_dispatches",
    "Outcome records of each stage, by agency and outcome (parsed, cleaned, article, deadletter)",
    ["stage", "agency", "outcome"],
    registry=REGISTRY,
)
STAGE_SECONDS = Histogram(
    "wirefeed_stage_seconds",
    "Seconds a stage spent per record (its own time plus its share of the batch phase)",
    ["stage"],
    buckets=BUCKETS,
    registry=REGISTRY,
)
DEADLETTERS = Counter(
    "wirefeed_deadletters",
    "Dead letters published, by the stage that failed (wf_stage) and the error class",
    ["stage", "class"],
    registry=REGISTRY,
)
PUBLISHED = Counter(
    "wirefeed_published",
    "Records published by the agents, by logical topic (routed topics by their name)",
    ["topic"],
    registry=REGISTRY,
)
DUPLICATES = Counter(
    "wirefeed_duplicates",
    "Dispatches recognised as duplicates of a story already published, by agency and kind",
    ["agency", "kind"],
    registry=REGISTRY,
)
VERSIONS = Counter(
    "wirefeed_versions",
    "Articles published as a new version of a known story, by agency",
    ["agency"],
    registry=REGISTRY,
)
LAST_DISPATCH = Gauge(
    "wirefeed_last_dispatch_timestamp_seconds",
    "Arrival time (record timestamp, Unix seconds) of the newest raw dispatch of each agency",
    ["agency"],
    registry=REGISTRY,
)
ALERTS = Counter(
    "wirefeed_alerts",
    "Records this worker published on wire.alerts, by type",
    ["type"],
    registry=REGISTRY,
)


class Bounded:
    """Label values from the input, at most ``limit`` distinct ones (then "other")."""

    def __init__(self, limit: int = MAX_VALUES) -> None:
        self.limit = limit
        self.seen: set[str] = set()

    def __call__(self, value: str | None) -> str:
        if not value:
            return "unknown"
        if value in self.seen:
            return value
        if len(self.seen) >= self.limit:
            return "other"
        value = value[:64]
        self.seen.add(value)
        return value


_agencies = Bounded()
_classes = Bounded()


def duplicate(agency: str | None, kind: str) -> None:
    """Count a dispatch recognised as a duplicate (``kind``: e.g. "exact", "near"); call it in the worker process."""
    DUPLICATES.labels(_agencies(agency), kind).inc()


def version(agency: str | None) -> None:
    """Count an article published as a new version of a known story; call it in the worker process."""
    VERSIONS.labels(_agencies(agency)).inc()


def alert(kind: str) -> None:
    ALERTS.labels(kind).inc()


class StageMetrics:
    """The counters of one agent's stage, with their labelled children cached (a dict lookup per count)."""

    def __init__(self, stage: str, names: TopicNames, prefix: str = "") -> None:
        self.stage = stage
        self.names = names
        self.prefix = prefix
        self._in: dict[str, Any] = {}
        self._out: dict[tuple[str, str], Any] = {}
        self._dead: dict[tuple[str, str], Any] = {}
        self._published: dict[str, Any] = {}
        self._kinds: dict[str, tuple[str, str | None]] = {}  # concrete topic -> (logical, outcome kind)
        self._seconds = STAGE_SECONDS.labels(stage)
        self._last_arrival: dict[str, float] = {}

    def timed(self, timings: Timings, count: int) -> None:
        """Observe each record's stage time: its own, plus its share of the batch phase."""
        share = timings.batch / count if count else 0.0
        records = timings.records
        for index in range(count):
            own = records[index] if index < len(records) else None
            if own is not None:
                self._seconds.observe(own + share)

    def spent(self, seconds: float, count: int) -> None:
        """Observe a batch that was timed as a whole (a stage on the event loop): each record its share."""
        if count:
            share = seconds / count
            for _ in range(count):
                self._seconds.observe(share)

    def done(self, records: Sequence[RawDispatch], per_record: Sequence[Sequence[Outcome]]) -> None:
        """Count a finished batch: each record in, each of its outcomes out."""
        newest: dict[str, int] = {}  # agency -> the newest arrival (ms) of its raw dispatches here
        for record, outcomes in zip(records, per_record, strict=False):
            agency = _agency(record, outcomes)
            counter = self._in.get(agency)
            if counter is None:
                counter = self._in[agency] = DISPATCHES_IN.labels(self.stage, agency)
            counter.inc()
            for outcome in outcomes:
                self._outcome(outcome, agency)
            arrived = _arrival(record, outcomes)
            if arrived > newest.get(agency, 0):
                newest[agency] = arrived
        if newest:
            self._arrivals(newest)

    def _outcome(self, outcome: Outcome, agency: str) -> None:
        logical, kind = self._kind(outcome.topic)
        published = self._published.get(logical)
        if published is None:
            published = self._published[logical] = PUBLISHED.labels(logical)
        published.inc()
        if kind is None:
            return
        key = (agency, kind)
        counter = self._out.get(key)
        if counter is None:
            counter = self._out[key] = DISPATCHES.labels(self.stage, agency, kind)
        counter.inc()
        if kind == "deadletter":
            stage, error = outcome.header("wf_stage") or "unknown", _classes(outcome.header("wf_error_class"))
            dead = self._dead.get((stage, error))
            if dead is None:
                dead = self._dead[(stage, error)] = DEADLETTERS.labels(_classes(stage), error)
            dead.inc()

    def _kind(self, topic: str) -> tuple[str, str | None]:
        known = self._kinds.get(topic)
        if known is None:
            logical = self.names.logical(topic)
            if logical == topic and self.prefix and topic.startswith(self.prefix):
                logical = topic[len(self.prefix) :]  # a routed topic, or one added since
            known = self._kinds[topic] = (logical, OUTCOME_KINDS.get(logical))
        return known

    def _arrivals(self, newest: dict[str, int]) -> None:
        """The newest arrival time of each agency's raw dispatches (their record timestamps)."""
        now = time.time()
        for agency, arrived_ms in newest.items():
            # a producer's clock ahead of ours says nothing newer than now
            arrived = min(arrived_ms / 1000, now)
            if arrived > self._last_arrival.get(agency, 0.0):
                self._last_arrival[agency] = arrived
                LAST_DISPATCH.labels(agency).set(arrived)


def _agency(record: RawDispatch, outcomes: Sequence[Outcome]) -> str:
    """The agency of a record: its own header (raw records), else its outcome's (articles carry the
    detected one), else the raw record's its outcome stems from."""
    agency = record.header("wf_agency") if record.headers else None
    if not agency and outcomes:
        first = outcomes[0]
        agency = first.header("wf_agency") if first.headers else None
        if not agency and first.source is not None:
            agency = first.source.header("wf_agency")
    return _agencies(agency)


def _arrival(record: RawDispatch, outcomes: Sequence[Outcome]) -> int:
    """When the raw dispatch a record stems from reached wire.raw (its record timestamp, ms; 0: unknown)."""
    source = outcomes[0].source if outcomes else None
    prov = source.provenance if source is not None and source.provenance is not None else record.provenance
    return prov.timestamp_ms or 0 if prov is not None else 0
