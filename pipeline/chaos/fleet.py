"""Worker processes under fault injection: start, kill, stop, freeze, scale, and what they logged.

Each worker is a real ``wirefeed worker`` process in a *slot*. A fault that takes a worker
away (SIGKILL, SIGTERM) is followed by a replacement in the same slot, as a supervisor
(systemd, Kubernetes) would start one; scaling out opens a new slot, scaling in closes
one with SIGTERM. Every process gets its own log file (``slot<N>-<restart>.log``), so
a crash can be traced to the process that had it. Every fault is recorded with the time
it was applied, relative to the start of the run.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.broker import die_with_parent

log = logging.getLogger(__name__)

#: the faults a run can apply, in their default rotation
FAULTS = ("kill", "term", "stop", "scale-out", "scale-in")

#: what a worker log line must match to count as a crash of one of its services (Faust's
#: mode logs "Crashed reason=..." when an agent, task or service dies and is restarted)
CRASH = re.compile(r"Crashed reason=")
TRACEBACK = re.compile(r"^Traceback \(most recent call last\)", re.M)
#: the worker's own warnings that it had to read records again (faust-streaming skipped them)
REREAD = re.compile(r"were (?:skipped by the consumer|fetched but never processed)")


@dataclass
class Worker:
    slot: int
    restart: int  # 0 for the slot's first process, 1 for its first replacement...
    proc: subprocess.Popen[bytes]
    log_path: Path
    started: float
    stopped_at: float | None = None
    how: str | None = None  # why it ended: "kill", "term", "scale-in", "end of run"
    exit_code: int | None = None
    frozen: bool = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def name(self) -> str:
        return f"slot{self.slot}.{self.restart}"

    def alive(self) -> bool:
        return self.proc.poll() is None


@dataclass
class Fault:
    at: float  # seconds since the run started
    kind: str
    worker: str  # slot.restart of the worker it hit ("-" for a scale-out)
    pid: int
    detail: str = ""
    progress: float = 0.0  # share of the inputs with an outcome when it was applied


@dataclass
class Fleet:
    """The worker processes of one run, all with the same environment."""

    env: Mapping[str, str]
    log_dir: Path
    t0: float = field(default_factory=time.monotonic)
    cwd: Path | None = None
    workers: list[Worker] = field(default_factory=list)  # every process ever started
    faults: list[Fault] = field(default_factory=list)
    next_slot: int = 1

    def now(self) -> float:
        return time.monotonic() - self.t0

    def live(self) -> list[Worker]:
        return [w for w in self.workers if w.stopped_at is None]

    def start(self, slot: int | None = None) -> Worker:
        if slot is None:
            slot, self.next_slot = self.next_slot, self.next_slot + 1
        restart = sum(1 for w in self.workers if w.slot == slot)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"slot{slot}-{restart}.log"
        with log_path.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "pipeline", "worker"],
                env=dict(self.env),
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
            )
        worker = Worker(slot, restart, proc, log_path, self.now())
        self.workers.append(worker)
        log.info("started worker %s (pid %d)", worker.name, proc.pid)
        return worker

    def start_many(self, count: int) -> list[Worker]:
        return [self.start() for _ in range(count)]

    # ------------------------------------------------------------------ faults

    def victim(self, index: int) -> Worker | None:
        """A live, not frozen worker, chosen in rotation (``index``)."""
        candidates = [w for w in self.live() if not w.frozen and w.alive()]
        return candidates[index % len(candidates)] if candidates else None

    def kill(self, worker: Worker, progress: float = 0.0, replace: bool = True) -> Worker | None:
        """SIGKILL, then a replacement in the same slot."""
        self._record("kill", worker, progress)
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait()
        self._ended(worker, "kill")
        return self.start(worker.slot) if replace else None

    def term(self, worker: Worker, progress: float = 0.0, replace: bool = True, timeout: float = 60.0) -> Worker | None:
        """SIGTERM (a graceful stop), wait for it to exit, then a replacement in the same slot."""
        self._record("term", worker, progress)
        took = self._terminate(worker, timeout)
        self.faults[-1].detail = f"exited {worker.exit_code} after {took:.1f} s"
        self._ended(worker, "term")
        return self.start(worker.slot) if replace else None

    def freeze(self, worker: Worker, seconds: float, progress: float = 0.0) -> None:
        """SIGSTOP now; ``thaw`` (SIGCONT) is due ``seconds`` later."""
        self._record("stop", worker, progress, detail=f"SIGSTOP for {seconds:.0f} s")
        worker.proc.send_signal(signal.SIGSTOP)
        worker.frozen = True

    def thaw(self, worker: Worker) -> None:
        if worker.frozen and worker.alive():
            worker.proc.send_signal(signal.SIGCONT)
            self.faults.append(Fault(self.now(), "cont", worker.name, worker.pid))
        worker.frozen = False

    def scale_out(self, progress: float = 0.0) -> Worker:
        worker = self.start()
        self.faults.append(Fault(self.now(), "scale-out", worker.name, worker.pid, progress=progress))
        return worker

    def scale_in(self, worker: Worker, progress: float = 0.0, timeout: float = 60.0) -> None:
        self._record("scale-in", worker, progress)
        took = self._terminate(worker, timeout)
        self.faults[-1].detail = f"exited {worker.exit_code} after {took:.1f} s"
        self._ended(worker, "scale-in")

    def reap(self) -> list[Worker]:
        """Workers that exited on their own (no fault of ours): recorded, and replaced in their
        slot as a supervisor (systemd, Kubernetes) would. Returns the ones that died."""
        died = []
        for worker in self.live():
            if worker.frozen or worker.alive():
                continue
            worker.exit_code = worker.proc.returncode
            self.faults.append(Fault(self.now(), "died", worker.name, worker.pid, f"exit {worker.exit_code}"))
            self._ended(worker, f"died on its own (exit {worker.exit_code})")
            log.warning("worker %s (pid %d) exited with %s on its own", worker.name, worker.pid, worker.exit_code)
            self.start(worker.slot)
            died.append(worker)
        return died

    def dump_stacks(self, settled: float = 30.0) -> None:
        """SIGUSR1 to every live worker: each logs where its tasks and threads wait.

        Only to workers older than ``settled`` seconds: a worker installs its handler once
        its app runs, and until then SIGUSR1 would end it.
        """
        for worker in self.live():
            if worker.alive() and self.now() - worker.started >= settled:
                if worker.frozen:
                    self.thaw(worker)
                worker.proc.send_signal(signal.SIGUSR1)

    def stop_all(self, timeout: float = 60.0) -> None:
        """SIGTERM every live worker (end of run); SIGKILL what is still running after ``timeout``."""
        for worker in self.live():
            if worker.frozen:
                self.thaw(worker)
            if worker.alive():
                worker.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for worker in self.live():
            try:
                worker.exit_code = worker.proc.wait(max(deadline - time.monotonic(), 0.1))
                worker.how = worker.how or "end of run"
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                worker.proc.wait()
                worker.exit_code = worker.proc.returncode
                worker.how = f"end of run: no exit within {timeout:.0f} s of SIGTERM, killed"
            worker.stopped_at = self.now()

    def _terminate(self, worker: Worker, timeout: float) -> float:
        started = time.monotonic()
        worker.proc.send_signal(signal.SIGTERM)
        try:
            worker.exit_code = worker.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            # a worker that ignores SIGTERM is a finding in itself; the run must go on
            worker.proc.kill()
            worker.proc.wait()
            worker.exit_code = worker.proc.returncode
            worker.how = f"no exit within {timeout:.0f} s of SIGTERM, killed"
        return time.monotonic() - started

    def _record(self, kind: str, worker: Worker, progress: float, detail: str = "") -> None:
        self.faults.append(Fault(self.now(), kind, worker.name, worker.pid, detail, progress))
        log.info("fault %s on worker %s (pid %d) %s", kind, worker.name, worker.pid, detail)

    def _ended(self, worker: Worker, how: str) -> None:
        worker.stopped_at = self.now()
        worker.how = worker.how or how
        if worker.exit_code is None:
            worker.exit_code = worker.proc.returncode

    # ------------------------------------------------------------------ what they logged

    def log_report(self) -> list[dict[str, object]]:
        """Per process: slot, restarts, how it ended, crashes and tracebacks found in its log."""
        out: list[dict[str, object]] = []
        for worker in self.workers:
            text = worker.log_path.read_text(errors="replace") if worker.log_path.exists() else ""
            crashes = [line.strip()[:300] for line in text.splitlines() if CRASH.search(line)]
            out.append(
                {
                    "worker": worker.name,
                    "pid": worker.pid,
                    "started_s": round(worker.started, 1),
                    "stopped_s": round(worker.stopped_at, 1) if worker.stopped_at is not None else None,
                    "how": worker.how,
                    "exit_code": worker.exit_code,
                    "agent_crashes": len(crashes),
                    "crash_lines": crashes[:5],
                    "tracebacks": len(TRACEBACK.findall(text)),
                    "rereads": len(REREAD.findall(text)),
                    "log": str(worker.log_path),
                }
            )
        return out


def worker_env(base: Mapping[str, str], **settings: object) -> dict[str, str]:
    """The environment of the workers: ``base`` plus WIREFEED_<NAME> for each setting."""
    env = dict(base)
    for name, value in settings.items():
        if value is None:
            continue
        env["WIREFEED_" + name.upper()] = ",".join(value) if isinstance(value, tuple) else str(value)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
