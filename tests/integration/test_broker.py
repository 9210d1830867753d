"""The embedded broker: starts, serves Kafka clients, and never outlives its owner."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.broker import EmbeddedBroker, free_port
from pipeline.kafka import ensure_topics, producer, read

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def _wait_dead(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


async def test_embedded_broker_round_trips_records_with_headers() -> None:
    """A record produced with headers comes back byte for byte."""
    with EmbeddedBroker() as broker:
        await ensure_topics(broker.bootstrap, ["t.raw"], 2)
        async with producer(broker.bootstrap) as prod:
            await (await prod.send("t.raw", b"\x00bytes", headers=[("h", b"\xff")]))
        records = [r async for r in read(broker.bootstrap, ["t.raw"], idle_timeout=0.3)]
        assert [(r.value, list(r.headers)) for r in records] == [(b"\x00bytes", [("h", b"\xff")])]
        pid = broker.proc.pid if broker.proc else -1
    assert _wait_dead(pid)


def test_broker_dies_with_a_killed_parent(tmp_path: Path) -> None:
    """SIGKILL the process that started the broker: the kernel stops the broker too (no orphan)."""
    script = (
        "import sys, time\n"
        "from pipeline.broker import EmbeddedBroker\n"
        "b = EmbeddedBroker().start()\n"
        "print(b.proc.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    broker_pid = int(owner.stdout.readline())
    assert _alive(broker_pid)
    owner.send_signal(signal.SIGKILL)
    owner.wait(10)
    owner.stdout.close()
    assert _wait_dead(broker_pid), "the broker outlived its killed parent"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_wirefeed_broker_command_stops_cleanly(sig: int) -> None:
    """`wirefeed broker --listen` serves on the port and exits 0 on SIGTERM / Ctrl-C, child gone."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "broker", "--listen", f"127.0.0.1:{port}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert f"127.0.0.1:{port}" in line
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert children, "tansu should run as a child of wirefeed broker"
    proc.send_signal(sig)
    assert proc.wait(15) == 0
    proc.stdout.close()
    assert all(_wait_dead(int(pid)) for pid in children)
