"""Liveness and readiness of a worker, from what it really does.

The worker's event loop gathers its state every second (``Probes.tick``) into one frozen
``State``; the web endpoint (a thread of its own, ``pipeline.observability.web``) judges
the latest one. A loop that stops ticking is itself the finding: the judgement is made
outside the loop, so a wedged worker answers "not alive, the loop has not run for N s"
instead of not answering.

``/healthz`` (liveness: restart me if this fails) fails only for what a restart can fix:

* the event loop has not run for ``loop_stall`` seconds (a stuck callback, a deadlock);
* a partition has work waiting and no progress for ``stall_after`` seconds
  (``pipeline.delivery.health``: "stalled") while the broker answers and no circuit
  breaker is open -- the worker, not its surroundings, is stuck.

While the worker starts (topics checked, group joined, tables recovered) it is alive.

``/readyz`` (readiness: this worker is doing its job) needs all of:

* broker: a metadata request answered within the last ``broker_stale`` seconds;
* assigned: the group gave this worker its partitions (possibly none) and no rebalance
  is under way;
* recovered: table recovery finished for the partitions it holds;
* progressing: no partition stalled (work waiting, no progress);
* no circuit breaker open (a stage paused: its records wait).

Both answer JSON with every check and why it failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.delivery import health
from pipeline.delivery.breaker import Breaker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class State:
    """What the worker's loop last saw (monotonic seconds)."""

    #: "preparing" (checking topics), "starting" (joining, recovering), "running", "stopping"
    phase: str = "preparing"
    started: float = field(default_factory=time.monotonic)
    #: when the loop last ran the tick (None: the worker's loop is not running yet)
    beat: float | None = None
    broker_ok: float | None = None
    broker_error: str | None = None
    assignments: int = 0
    rebalancing: bool = False
    recovered: bool = False
    #: pipeline.delivery.health.snapshot(): partitions, breakers, ledger counters
    health: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Verdict:
    ok: bool
    status: str
    checks: dict[str, dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "checks": self.checks}


def liveness(state: State, now: float, *, loop_stall: float = 60.0, broker_stale: float = 15.0) -> Verdict:
    """Is the worker alive (a restart would not help)?"""
    checks: dict[str, dict[str, Any]] = {}
    if state.beat is None:
        checks["loop"] = {"ok": True, "detail": f"{state.phase} for {now - state.started:.0f} s"}
    else:
        quiet = now - state.beat
        checks["loop"] = {
            "ok": quiet <= loop_stall,
            "detail": f"ran {quiet:.1f} s ago" if quiet <= loop_stall else f"has not run for {quiet:.0f} s",
        }
    stalled = _stalled(state)
    broker = state.broker_ok is not None and now - state.broker_ok <= broker_stale
    wedged = bool(stalled) and broker
    checks["progress"] = {
        "ok": not wedged,
        "detail": (
            f"no progress with work waiting on {', '.join(stalled)} while the broker answers"
            if wedged
            else ("stalled, but the broker does not answer: " + ", ".join(stalled) if stalled else "ok")
        ),
    }
    ok = all(c["ok"] for c in checks.values())
    status = ("starting" if state.phase in ("preparing", "starting") else "ok") if ok else "failing"
    return Verdict(ok, status, checks)


def readiness(state: State, now: float, *, broker_stale: float = 15.0) -> Verdict:
    """Is the worker doing its job?"""
    checks: dict[str, dict[str, Any]] = {}
    if state.broker_ok is not None and now - state.broker_ok <= broker_stale:
        checks["broker"] = {"ok": True, "detail": f"answered {now - state.broker_ok:.1f} s ago"}
    else:
        never = state.broker_ok is None
        detail = "not reached yet" if never else f"no answer for {now - (state.broker_ok or now):.0f} s"
        checks["broker"] = {"ok": False, "detail": detail + (f": {state.broker_error}" if state.broker_error else "")}
    assigned = state.assignments > 0 and not state.rebalancing
    checks["assigned"] = {
        "ok": assigned,
        "detail": "rebalancing"
        if state.rebalancing
        else (f"{_count(state)} partitions" if assigned else "not yet joined the group"),
    }
    checks["recovered"] = {
        "ok": state.recovered,
        "detail": "tables recovered" if state.recovered else "table recovery not finished",
    }
    stalled = _stalled(state)
    checks["progressing"] = {
        "ok": not stalled,
        "detail": f"no progress with work waiting: {', '.join(stalled)}" if stalled else "ok",
    }
    open_breakers = [name for name, b in ((state.health or {}).get("breakers") or {}).items() if b.get("open")]
    checks["breakers"] = {
        "ok": not open_breakers,
        "detail": f"paused: {', '.join(open_breakers)}" if open_breakers else "closed",
    }
    ok = state.phase == "running" and all(c["ok"] for c in checks.values())
    return Verdict(ok, "ready" if ok else "not ready", checks)


def _stalled(state: State) -> list[str]:
    parts = (state.health or {}).get("partitions") or ()
    return [f"{p['topic']}[{p['partition']}]" for p in parts if p.get("status") == "stalled"]


def _count(state: State) -> int:
    return len((state.health or {}).get("partitions") or ())


class Probes:
    """Gathers the worker's ``State`` on its event loop; judged from any thread."""

    def __init__(
        self,
        *,
        loop_stall: float = 60.0,
        stall_after: float = 120.0,
        broker_every: float = 5.0,
        broker_stale: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.loop_stall = loop_stall
        self.stall_after = stall_after
        self.broker_every = broker_every
        self.broker_stale = broker_stale
        self.clock = clock
        self.state = State(started=clock())
        self.app: Any = None
        self.consumer: Any = None
        self.breakers: Mapping[str, Breaker] = {}
        self.stage_of: Mapping[str, str] = {}
        self._assignments = 0
        self._broker_task: asyncio.Task[None] | None = None
        self._last_broker_probe = float("-inf")

    def attach(self, app: Any, consumer: Any, breakers: Mapping[str, Breaker], stage_of: Mapping[str, str]) -> None:
        """What to watch: the Faust app, its (ledger) consumer, the stages' breakers."""
        self.app, self.consumer, self.breakers, self.stage_of = app, consumer, breakers, stage_of

        async def assigned(sender: Any, assigned: Any = None, **kwargs: Any) -> None:
            self._assignments += 1

        app.on_partitions_assigned.connect(assigned)

    def set_phase(self, phase: str) -> None:
        self.state = replace(self.state, phase=phase)

    def live(self) -> Verdict:
        return liveness(self.state, self.clock(), loop_stall=self.loop_stall, broker_stale=self.broker_stale)

    def ready(self) -> Verdict:
        return readiness(self.state, self.clock(), broker_stale=self.broker_stale)

    async def run(self) -> None:
        """Tick every second while the loop runs (a task of the worker, from its first start)."""
        while True:
            self.tick()
            await asyncio.sleep(1.0)

    def tick(self) -> None:
        """Gather the state now (never raises: the probes must outlive what they watch)."""
        now = self.clock()
        state = replace(self.state, beat=now)
        app = self.app
        try:
            if app is not None:
                recovery = app.tables.recovery
                state = replace(
                    state,
                    assignments=self._assignments,
                    rebalancing=bool(app.rebalancing),
                    recovered=recovery.completed.is_set() and not recovery.in_recovery,
                )
                if self.consumer is not None:
                    state = replace(state, health=self._health())
                if now - self._last_broker_probe >= self.broker_every and self._broker_task is None:
                    self._last_broker_probe = now
                    self._broker_task = asyncio.get_running_loop().create_task(self._probe_broker())
        except Exception:  # a half-started app: try again next tick
            log.debug("gathering the worker's state failed", exc_info=True)
        self.state = state

    def _health(self) -> Mapping[str, Any]:
        return health.snapshot(
            self.consumer.ledger,
            self.consumer.assignment(),
            health._highwater(self.consumer),
            self.breakers,
            stage_of=self.stage_of,
            stall_after=self.stall_after,
            clock=self.clock,
        )

    async def _probe_broker(self) -> None:
        """A metadata request through the producer's client: does the cluster answer?"""
        try:
            client = getattr(getattr(self.app.producer, "_producer", None), "client", None)
            if client is None:
                return
            error: str | None
            try:
                answered = await asyncio.wait_for(client.force_metadata_update(), timeout=self.broker_stale)
            except Exception as exc:
                answered, error = False, f"{type(exc).__name__}: {exc}"
            else:
                error = None if answered else "no broker answered a metadata request"
            if answered:
                self.state = replace(self.state, broker_ok=self.clock(), broker_error=None)
            else:
                self.state = replace(self.state, broker_error=error)
        finally:
            self._broker_task = None

    def stop(self) -> None:
        self.set_phase("stopping")
        if self._broker_task is not None:
            with contextlib.suppress(Exception):
                self._broker_task.cancel()
