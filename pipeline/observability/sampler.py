"""Where a worker process spends its time: a sampling profiler over every thread.

``WIREFEED_SAMPLE_PROFILE=<path>`` makes a worker sample the stack of each of its threads
every ``interval`` seconds (``sys._current_frames``: the event loop, aiokafka's consumer
thread, the stage runners' threads), and write the counts to ``<path>`` (JSON) every 10 s
and at exit. cProfile sees one thread and slows it several times; sampling sees all of
them at a cost of a few per cent (one stack walk per thread per sample).

Each sample is weighed by the CPU time its thread spent since the previous one (the
thread's own CPU clock, ``pthread_getcpuclockid``): a thread waiting in a selector, a lock
or a sleep adds nothing, so the counts are CPU seconds, not wall time. (Where a thread's
clock cannot be read, a sample whose innermost frame is a known wait counts as idle.) For
each thread the report gives its CPU seconds and, per function (``file:function``), the
CPU seconds of the samples that had it anywhere on the stack (inclusive) and on top
(self). ``bench/throughput.py --sample`` prints the top of the worker's report beside its
figures.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType

import orjson

#: innermost functions that mean "waiting", not working
IDLE = frozenset(
    {
        "select",
        "poll",
        "epoll",
        "wait",
        "_wait_for_tstate_lock",
        "acquire",
        "sleep",
        "get",
        "accept",
        "recv",
        "recv_into",
        "read",
        "readinto",
        "_recv_bytes",
        "_poll",
        "run_forever",
    }
)


def _where(frame: FrameType) -> str:
    code = frame.f_code
    name = code.co_filename
    for marker in ("site-packages/", "/pipeline/", "/lib/python"):
        at = name.rfind(marker)
        if at >= 0:
            name = name[at + len(marker) :] if marker != "/pipeline/" else "pipeline/" + name[at + len(marker) :]
            break
    return f"{name}:{code.co_name}"


def _top(counts: dict[str, float], n: int) -> list[tuple[str, float]]:
    return [(k, round(v, 3)) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:n]]


class Sampler:
    """Samples every thread's stack on a daemon thread of its own; ``report()`` the counts."""

    def __init__(self, path: Path, interval: float = 0.005, depth: int = 40) -> None:
        self.path = path
        self.interval = interval
        self.depth = depth
        self.samples: Counter[str] = Counter()  # thread -> samples
        self.busy: dict[str, float] = {}  # thread -> CPU seconds
        self.inclusive: dict[str, dict[str, float]] = {}
        self.self_: dict[str, dict[str, float]] = {}
        self._cpu: dict[int, float] = {}  # thread -> its CPU clock at the previous sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wirefeed-sampler", daemon=True)
        self.started = time.monotonic()

    def start(self) -> Sampler:
        self._thread.start()
        atexit.register(self.write)
        return self

    def _run(self) -> None:
        me = threading.get_ident()
        last_write = time.monotonic()
        while not self._stop.wait(self.interval):
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                self._sample(names.get(ident, str(ident)), frame, self._spent(ident, frame))
            if time.monotonic() - last_write > 10.0:
                self.write()
                last_write = time.monotonic()

    def _spent(self, ident: int, frame: FrameType) -> float:
        """CPU seconds the thread spent since its previous sample (the interval if unknown)."""
        try:
            now = time.clock_gettime(time.pthread_getcpuclockid(ident))
        except (AttributeError, OSError, OverflowError):
            return 0.0 if frame.f_code.co_name in IDLE else self.interval
        before = self._cpu.get(ident)
        self._cpu[ident] = now
        return 0.0 if before is None else max(now - before, 0.0)

    def _sample(self, thread: str, frame: FrameType, spent: float) -> None:
        self.samples[thread] += 1
        if spent <= 0.0:
            return
        self.busy[thread] = self.busy.get(thread, 0.0) + spent
        top = _where(frame)
        mine = self.self_.setdefault(thread, {})
        mine[top] = mine.get(top, 0.0) + spent
        seen: set[str] = set()
        inclusive = self.inclusive.setdefault(thread, {})
        depth: FrameType | None = frame
        for _ in range(self.depth):
            if depth is None:
                break
            where = _where(depth)
            if where not in seen:
                seen.add(where)
                inclusive[where] = inclusive.get(where, 0.0) + spent
            depth = depth.f_back

    def report(self, top: int = 80) -> dict[str, object]:
        seconds = time.monotonic() - self.started
        threads = {}
        for thread, n in self.samples.most_common():
            busy = self.busy.get(thread, 0.0)
            threads[thread] = {
                "samples": n,
                "cpu_s": round(busy, 3),
                "cpu_share": round(busy / seconds, 4) if seconds else 0.0,  # of one core, over the run
                "inclusive": _top(self.inclusive.get(thread, {}), top),
                "self": _top(self.self_.get(thread, {}), top),
            }
        return {"interval_s": self.interval, "seconds": round(seconds, 1), "threads": threads}

    def write(self) -> None:
        with contextlib.suppress(OSError):  # a profile is never worth a crash
            self.path.write_bytes(orjson.dumps(self.report(), option=orjson.OPT_INDENT_2))

    def stop(self) -> None:
        self._stop.set()
        self.write()


def from_environment() -> Sampler | None:
    """A started sampler when ``WIREFEED_SAMPLE_PROFILE`` names a file, else None."""
    target = os.environ.get("WIREFEED_SAMPLE_PROFILE")
    if not target:
        return None
    return Sampler(Path(target)).start()
