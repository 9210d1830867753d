"""A worker's health from real progress, not from "the loop runs".

For every partition the worker holds, from the ledger: how far outcomes are done, how far
the client has seen the partition (the high watermark of its last fetch), and when ``done``
last moved. A partition is

    idle      nothing to do (done at the high watermark)
    ok        work waiting, and done moved within ``stall_after`` seconds
    stalled   work waiting, and done has not moved for ``stall_after`` seconds
    paused    its stage's circuit breaker is open

and the worker is as bad as its worst partition (plus "paused" when a breaker is open). The
snapshot is plain data for a health endpoint (``snapshot()``) and is written to
``<data dir>/<app id>/health-<pid>.json`` every few seconds by the worker.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson

from pipeline.delivery.breaker import Breaker
from pipeline.delivery.ledger import Ledger
from pipeline.settings import Settings

log = logging.getLogger(__name__)

ORDER = {"idle": 0, "ok": 1, "paused": 2, "stalled": 3}


def snapshot(
    ledger: Ledger,
    assignment: Iterable[Any],
    highwater: Callable[[Any], int | None],
    breakers: Mapping[str, Breaker],
    *,
    stage_of: Mapping[str, str],
    stall_after: float = 120.0,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """The health of every partition the worker holds and of the worker (``status``).

    ``stage_of`` maps an input topic to the stage (breaker) that reads it.
    """
    now = clock()
    partitions = []
    status = "idle"
    for tp in sorted(assignment, key=lambda t: (t.topic, t.partition)):
        if not ledger.tracks(tp):
            continue
        state = ledger.parts.get(tp)
        done = state.done if state else None
        end = highwater(tp)
        lag = max(end - done, 0) if end is not None and done is not None else None
        since = now - state.last_progress if state else None
        breaker = breakers.get(stage_of.get(tp.topic, ""))
        if breaker is not None and breaker.is_open:
            verdict = "paused"
        elif not lag:
            verdict = "idle"
        elif since is not None and since > stall_after:
            verdict = "stalled"
        else:
            verdict = "ok"
        status = max(status, verdict, key=ORDER.__getitem__)
        partitions.append(
            {
                "topic": tp.topic,
                "partition": tp.partition,
                "done": done,
                "highwater": end,
                "lag": lag,
                "seconds_since_progress": round(since, 1) if since is not None else None,
                "status": verdict,
            }
        )
    return {
        "status": status,
        "partitions": partitions,
        "breakers": {
            name: {"open": b.is_open, "signature": b.opened_by, "trips": b.trips} for name, b in breakers.items()
        },
        "ledger": vars(ledger.stats).copy(),
    }


def report(consumer: Any, breakers: Mapping[str, Breaker], stage_of: Mapping[str, str], settings: Settings) -> None:
    """Write the worker's snapshot to ``<data dir>/<app id>/health-<pid>.json`` (never raises:
    a timer that raised would stop the worker)."""
    try:
        state = snapshot(
            consumer.ledger,
            consumer.assignment(),
            _highwater(consumer),
            breakers,
            stage_of=stage_of,
            stall_after=settings.health_stall_after,
        )
        path = settings.data_dir / settings.app_id / f"health-{os.getpid()}.json"
        path.write_bytes(orjson.dumps(state, option=orjson.OPT_INDENT_2))
    except Exception:
        log.exception("writing the health snapshot failed")


def _highwater(consumer: Any) -> Callable[[Any], int | None]:
    def highwater(tp: Any) -> int | None:
        try:
            value = consumer.highwater(tp)
        except Exception:  # not fetched yet
            return None
        return value if isinstance(value, int) and value >= 0 else None

    return highwater
