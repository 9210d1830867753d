"""A circuit breaker per stage: when most recent records fail the same way, pause and alert.

A missing model, a full disk, a dependency that went away: every dispatch then fails at
the same stage with the same error, and without a breaker each would become a dead letter
and its offset would be committed -- the whole feed dead-lettered for what is not its
fault. The breaker watches the outcome of each record of its stage: only failures that are
not the input's fault count (an unexpected exception, a stage over its time limit or
crashing, a broken output contract); a bad dispatch (undecodable, unknown format,
malformed, empty, too large) never does. When at least ``threshold`` of the last
``window`` records -- and at least ``min_failures`` -- failed with the same signature
(stage, error class and reason, digits blurred), it opens: the batch that tripped it is
not published (it will be read again), the stage takes nothing more, and an alert says why
(log and ``wire.alerts``). It probes the first record that failed that way, at growing
intervals, after a fresh start of the stage (so a model installed meanwhile is loaded);
when the probe no longer fails that way, it closes, says so, and the stage goes on.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import orjson

from pipeline.records import Outcome, RawDispatch
from pipeline.stages.outcome import PIPELINE

if TYPE_CHECKING:
    from pipeline.settings import Settings

#: error classes that are the dispatch's own fault: they never open the breaker
INPUT_ERRORS = frozenset(
    {"DecodeError", "UnknownFormatError", "ParseError", "UnsafeXMLError", "EmptyDispatchError", "OversizeError"}
)
_DIGITS = re.compile(r"\d+")


def signature(outcomes: Sequence[Outcome]) -> str | None:
    """How a record failed, when not the input's fault ("enrich/OSError: [E#] Can't find model ..."), else None."""
    for outcome in outcomes:
        error_class = outcome.header("wf_error_class")
        if error_class is None or error_class in INPUT_ERRORS:
            continue
        stage = outcome.header("wf_stage") or "?"
        reason = _reason(outcome.value or b"")
        return f"{stage}/{error_class}: {_DIGITS.sub('#', reason)[:160]}"
    return None


def _reason(value: bytes) -> str:
    try:
        return str(orjson.loads(value)["error"]["reason"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return ""


@dataclass
class Breaker:
    stage: str
    window: int = 20
    threshold: float = 0.8
    min_failures: int = 10
    probe_first: float = 2.0
    probe_max: float = 60.0
    clock: Callable[[], float] = time.monotonic
    recent: deque[str | None] = field(default_factory=deque)
    open_since: float | None = None
    opened_by: str | None = None
    trips: int = 0

    @property
    def is_open(self) -> bool:
        return self.open_since is not None

    def observe(self, per_record: Sequence[Sequence[Outcome]]) -> tuple[str, int] | None:
        """Take a batch's outcomes, record by record; (signature, index of its first record) when
        they open the breaker."""
        first: dict[str, int] = {}
        for index, outcomes in enumerate(per_record):
            sig = signature(outcomes)
            if sig is not None:
                first.setdefault(sig, index)
            self.recent.append(sig)
            while len(self.recent) > self.window:
                self.recent.popleft()
        counts = Counter(sig for sig in self.recent if sig is not None)
        if not counts:
            return None
        sig, count = counts.most_common(1)[0]
        if count >= self.min_failures and count >= self.threshold * len(self.recent) and sig in first:
            self.open_since, self.opened_by = self.clock(), sig
            self.trips += 1
            return sig, first[sig]
        return None

    @classmethod
    def from_settings(cls, stage: str, settings: Settings) -> Breaker:
        return cls(
            stage,
            window=settings.breaker_window,
            threshold=settings.breaker_threshold,
            min_failures=settings.breaker_min_failures,
            probe_first=settings.breaker_probe_first,
            probe_max=settings.breaker_probe_max,
        )

    def still_failing(self, outcomes: Sequence[Outcome]) -> bool:
        """Does a probe's outcome still fail the way that opened the breaker?"""
        return signature(outcomes) == self.opened_by

    def close(self) -> None:
        self.open_since = self.opened_by = None
        self.recent.clear()

    def probe_delays(self) -> list[float]:
        """Seconds between probes: doubling from ``probe_first`` up to ``probe_max``, then steady."""
        delays, delay = [], self.probe_first
        while delay < self.probe_max:
            delays.append(delay)
            delay *= 2
        return [*delays, self.probe_max]


def alert_record(topic: str, kind: str, tripped: Breaker, record: RawDispatch) -> Outcome:
    """The ``wire.alerts`` record (schemas/wire.alerts/): a stage paused (``breaker-open``) or
    resumed (``breaker-closed``), why, and the record that showed it."""
    prov = record.provenance
    value = {
        "type": kind,
        "stage": tripped.stage,
        "signature": tripped.opened_by,
        "window": tripped.window,
        "failures": sum(1 for s in tripped.recent if s == tripped.opened_by),
        "example": {
            "topic": prov.topic if prov else None,
            "partition": prov.partition if prov else None,
            "offset": prov.offset if prov else None,
            "dispatch_id": record.dispatch_id,
        },
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "time": datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "pipeline": PIPELINE,
    }
    return Outcome(topic, tripped.stage.encode(), orjson.dumps(value), (("content-type", b"application/json"),))
