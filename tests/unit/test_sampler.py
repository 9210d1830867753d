"""The sampling profiler sees work on any thread, and waits as idle."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import orjson

from pipeline.observability.sampler import Sampler


def _spin(until: float) -> int:
    n = 0
    while time.monotonic() < until:
        n += sum(range(200))
    return n


def test_busy_and_idle_threads_are_told_apart(tmp_path: Path) -> None:
    sampler = Sampler(tmp_path / "profile.json", interval=0.002).start()
    until = time.monotonic() + 0.6
    worker = threading.Thread(target=_spin, args=(until,), name="spinner")
    sleeper = threading.Thread(target=time.sleep, args=(0.6,), name="sleeper")
    worker.start()
    sleeper.start()
    worker.join()
    sleeper.join()
    sampler.stop()
    report = orjson.loads((tmp_path / "profile.json").read_bytes())["threads"]
    spinner = report["spinner"]
    assert spinner["cpu_s"] > 0.2  # it spun ~0.6 s (less on a loaded machine)
    assert any(where.endswith(":_spin") for where, _ in spinner["inclusive"])
    assert report["sleeper"]["cpu_s"] < 0.05 * spinner["cpu_s"]
