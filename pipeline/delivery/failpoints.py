"""Failure injection for the fault tests: make a named path fail, as it could in production.

``WIREFEED_FAILPOINTS`` holds comma-separated entries:

    stage           the stage runner of every agent raises, every time
    checkpoint:3    the learned-boilerplate checkpoint raises the first 3 times
    drop=T:P:O      the consumer drops the record of topic T (without prefix), partition P,
                    offset O the first time it is fetched -- as Faust drops records;
                    ``drop=T:P:O*N``: the first N times

Points: ``stage`` (running an agent's stage: what get_stages() failing looks like),
``checkpoint`` (the table write after a batch), ``validate`` (schema validation under
WIREFEED_VALIDATE), ``publish`` (before sending a batch's outcomes), ``drop``. Empty in
production; a point costs one dict lookup.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)


class InjectedFault(RuntimeError):
    """Raised by an armed failpoint."""


class Failpoints:
    def __init__(self, spec: Iterable[str] = ()) -> None:
        self.remaining: dict[str, float] = {}
        self.drops: dict[tuple[str, int, int], int] = {}
        for entry in spec:
            entry = entry.strip()
            if not entry:
                continue
            if entry.startswith("drop="):
                where, _, times = entry[5:].partition("*")
                topic, partition, offset = where.rsplit(":", 2)
                self.drops[(topic, int(partition), int(offset))] = int(times or 1)
                continue
            name, _, count = entry.partition(":")
            self.remaining[name] = float(count) if count else float("inf")

    def hit(self, name: str) -> None:
        """Raise ``InjectedFault`` if ``name`` is armed (and count it down)."""
        left = self.remaining.get(name)
        if left is None or left <= 0:
            return
        self.remaining[name] = left - 1
        log.warning("failpoint %s: injecting a failure", name)
        raise InjectedFault(f"failpoint {name}")

    def drop(self, topic: str, partition: int, offset: int) -> bool:
        """Should this fetched record be dropped (once)? ``topic`` is matched by its suffix."""
        for entry, times in self.drops.items():
            if entry[1] == partition and entry[2] == offset and topic.endswith(entry[0]):
                if times <= 1:
                    del self.drops[entry]
                else:
                    self.drops[entry] = times - 1
                log.warning("failpoint drop: dropping %s[%d]@%d as Faust would", topic, partition, offset)
                return True
        return False


NONE = Failpoints()
