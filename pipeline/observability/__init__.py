"""Running wirefeed as a service: metrics, health probes, structured logs, idle-feed alerts.

    metrics.py   the wirefeed_* Prometheus metrics, counted from the typed outcomes and the
                 stage timings the pool hands back (nothing is counted in a stage process)
    probes.py    liveness and readiness from the worker's real state
    web.py       /metrics, /healthz, /readyz on WIREFEED_WEB_HOST:WIREFEED_WEB_PORT, a
                 thread of its own, serving from the worker's first second
    logs.py      JSON log lines with the dispatch's coordinates as fields (WIREFEED_LOG_FORMAT)
    idle.py      idle-feed alerts: sources quiet past their cadence, on wire.alerts

One ``Observer`` per worker process (``observer()``) holds them. The agents call it in a
line each: ``obs.stage(name, runner)`` wraps a stage runner (its timings),
``obs.done(name)`` is the hook ``serve`` calls for every finished batch (the counts). The
``wirefeed worker`` command starts the endpoint first (``obs.serve``) and the probes with
the worker's loop (``obs.service()``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

import mode
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from pipeline.delivery.breaker import Breaker
from pipeline.delivery.pool import Runner
from pipeline.observability import metrics
from pipeline.observability.probes import Probes
from pipeline.observability.web import Endpoint
from pipeline.records import Outcome, RawDispatch
from pipeline.settings import Settings
from pipeline.topics import TopicNames

log = logging.getLogger(__name__)

Stage = Callable[[list[RawDispatch]], Awaitable[list[list[Outcome]]]]
Observe = Callable[[list[RawDispatch], list[list[Outcome]]], None]


class Observer:
    """The worker's metrics, probes and endpoint."""

    def __init__(self) -> None:
        self.probes = Probes()
        self.endpoint: Endpoint | None = None
        self.names = TopicNames.with_prefix("")
        self.prefix = ""
        self.runners: dict[str, Runner] = {}
        self.stages: dict[str, metrics.StageMetrics] = {}
        #: more hooks for finished batches, by stage (idle-feed sightings, ...)
        self.on_done: dict[str, list[Observe]] = {}
        #: the sources whose idle state this worker holds: source -> (idle, cadence in s or None)
        self.sources: Callable[[], Mapping[str, tuple[bool, float | None]]] = dict

    # ------------------------------------------------------------------ the worker's start

    def serve(self, settings: Settings) -> Endpoint | None:
        """Start the web endpoint (when WIREFEED_WEB_PORT is set), before anything else."""
        self.probes = Probes(
            loop_stall=settings.health_loop_stall,
            stall_after=settings.health_stall_after,
            broker_stale=settings.health_broker_stale,
        )
        if settings.web_port and self.endpoint is None:
            self.endpoint = Endpoint(
                settings.web_host, settings.web_port, metrics.REGISTRY, self.probes.live, self.probes.ready
            ).start()
        return self.endpoint

    def service(self) -> mode.Service:
        """The probes' ticking, as a service the Faust worker starts before the app."""
        return _ProbeService(self.probes)

    def attach(
        self,
        app: Any,
        settings: Settings,
        consumer: Any,
        breakers: Mapping[str, Breaker],
        stage_of: Mapping[str, str],
    ) -> None:
        """What the probes watch and how topics are named (called when the agents are wired)."""
        self.names = TopicNames.with_prefix(settings.topic_prefix)
        self.prefix = settings.topic_prefix
        self.probes.attach(app, consumer, breakers, stage_of)

        @app.task
        async def running() -> None:  # app tasks start once the tables are recovered
            self.probes.set_phase("running")

    def watch_sources(self, app: Any, topic: Any, settings: Settings, publisher: Any, alerts_topic: str) -> None:
        """The idle-feed watch (``idle.py``): its table, agent and timer; parse-clean's batches send sightings."""
        from pipeline.observability import idle

        hook = idle.wire(app, topic, settings, publisher.publish, alerts_topic)
        self.on_done.setdefault("parse-clean", []).append(hook)

    # ------------------------------------------------------------------ the agents' hooks

    def metrics_of(self, name: str) -> metrics.StageMetrics:
        found = self.stages.get(name)
        if found is None:
            found = self.stages[name] = metrics.StageMetrics(name, self.names, self.prefix)
        return found

    def stage(self, name: str, runner: Runner) -> Stage:
        """``runner.run``, with each record's stage time observed (the child's own timings)."""
        self.runners[name] = runner
        stage_metrics = self.metrics_of(name)

        async def run(records: list[RawDispatch]) -> list[list[Outcome]]:
            per_record = await runner.run(records)
            stage_metrics.timed(runner.timings, len(records))
            return per_record

        return run

    def timed(self, name: str, stage: Stage) -> Stage:
        """A stage that runs on the event loop, timed as a whole batch."""
        stage_metrics = self.metrics_of(name)

        async def run(records: list[RawDispatch]) -> list[list[Outcome]]:
            started = time.perf_counter()
            per_record = await stage(records)
            stage_metrics.spent(time.perf_counter() - started, len(records))
            return per_record

        return run

    def done(self, name: str) -> Observe:
        """The hook for ``serve(observe=...)``: count a finished batch (never raises)."""
        stage_metrics = self.metrics_of(name)
        hooks = self.on_done.setdefault(name, [])

        def observe(records: list[RawDispatch], per_record: list[list[Outcome]]) -> None:
            try:
                stage_metrics.done(records, per_record)
                for hook in hooks:
                    hook(records, per_record)
            except Exception:  # metrics must never cost a batch
                log.exception("%s: counting a finished batch failed", name)

        return observe

    # ------------------------------------------------------------------ scraped state

    def collect(self) -> Iterator[Metric]:
        """The metrics computed from the worker's state when scraped."""
        state = self.probes.state
        lag = GaugeMetricFamily(
            "wirefeed_consumer_lag",
            "Records of each input partition this worker holds not yet done (high watermark - done)",
            labels=["topic", "partition"],
        )
        for part in (state.health or {}).get("partitions") or ():
            if part.get("lag") is not None:
                lag.add_metric([part["topic"], str(part["partition"])], part["lag"])
        yield lag
        yield GaugeMetricFamily("wirefeed_ready", "1 when /readyz answers ready", value=int(self.probes.ready().ok))
        yield GaugeMetricFamily("wirefeed_live", "1 when /healthz answers alive", value=int(self.probes.live().ok))
        breakers = GaugeMetricFamily(
            "wirefeed_breaker_open", "1 while a stage's circuit breaker is open", labels=["stage"]
        )
        for name, breaker in ((state.health or {}).get("breakers") or {}).items():
            breakers.add_metric([name], int(bool(breaker.get("open"))))
        yield breakers
        replaced = CounterMetricFamily(
            "wirefeed_stage_processes_replaced",
            "Stage processes killed or dead and replaced (time limits, crashes)",
            labels=["stage"],
        )
        for name, runner in self.runners.items():
            replaced.add_metric([name], getattr(runner, "replaced", 0))
        yield replaced
        idle = GaugeMetricFamily(
            "wirefeed_source_idle",
            "1 while a source is quiet past its cadence (held by this worker)",
            labels=["source"],
        )
        cadence = GaugeMetricFamily(
            "wirefeed_source_cadence_seconds", "Seconds of quiet after which a source is idle", labels=["source"]
        )
        for source, (quiet, seconds) in self.sources().items():
            idle.add_metric([source], int(quiet))
            if seconds is not None:
                cadence.add_metric([source], seconds)
        yield idle
        yield cadence


class _ProbeService(mode.Service):
    """Ticks the probes on the worker's loop from its first start (before the app recovers)."""

    def __init__(self, probes: Probes, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probes = probes

    async def on_start(self) -> None:
        self.probes.set_phase("starting")

    async def on_stop(self) -> None:
        self.probes.stop()

    @mode.Service.task
    async def _tick(self) -> None:
        await self.probes.run()


_observer: Observer | None = None


def observer() -> Observer:
    """The process's observer (one worker per process; the metrics are the process's)."""
    global _observer
    if _observer is None:
        _observer = Observer()
        metrics.REGISTRY.register(_Collector(_observer))
    return _observer


class _Collector:
    def __init__(self, owner: Observer) -> None:
        self.owner = owner

    def collect(self) -> Iterator[Metric]:
        return self.owner.collect()

    def describe(self) -> Sequence[Metric]:
        return []
