"""The sampling profiler sees work on any thread, and waits as idle."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import orjson

from pipeline.observability.sampler import Sampler


def _spin(cpu_seconds: float) -> int:
    """Work until this thread has had ``cpu_seconds`` of CPU (however loaded the machine is)."""
    n, start = 0, time.thread_time()
    while time.thread_time() - start < cpu_seconds:
        n += sum(range(200))
    return n


def test_busy_and_idle_threads_are_told_apart(tmp_path: Path) -> None:
    sampler = Sampler(tmp_path / "profile.json", interval=0.002).start()
    worker = threading.Thread(target=_spin, args=(0.4,), name="spinner")
    sleeper = threading.Thread(target=time.sleep, args=(0.6,), name="sleeper")
    worker.start()
    sleeper.start()
    worker.join()
    sleeper.join()
    sampler.stop()
    report = orjson.loads((tmp_path / "profile.json").read_bytes())["threads"]
    spinner = report["spinner"]
    assert spinner["cpu_s"] > 0.2  # it had 0.4 CPU s; the samples see most of it
    assert any(where.endswith(":_spin") for where, _ in spinner["inclusive"])
    assert report["sleeper"]["cpu_s"] < 0.05 * spinner["cpu_s"]
