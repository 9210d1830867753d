"""Where an agent's stage runs: a process of its own, so that a stuck record can be abandoned.

One ``ProcessRunner`` per agent stage (parse-clean, enrich-emit) keeps one child process
(spawned, not forked: the worker has threads) that loads the stages once and then takes
batches. For each batch the child reports the phase it is in -- the shared batch work
(batch enrichment), then each record -- and each record's outcomes as soon as they exist:

    parent ──("batch", records, batched)──▶ child
           ◀──("prepare",) ("start", 0) ("done", i, outcomes, seconds) ... ("end", seconds)

so the parent always knows which record is running and since when (record i + 1 starts
when record i is done: one message per record; the parent takes every message waiting in
one wake-up of its reading thread); the seconds (each
record's, and the batch phase's at the end) are the child's own timings of the stage,
kept in ``timings`` for the worker's metrics. A record that runs
longer than the time limit (``WIREFEED_STAGE_TIME_LIMIT``) is abandoned: the child is
killed, the record gets a dead letter (``TimeLimitError``, with the reason), the batch
goes on in a fresh child. A batch phase over the limit is not any one record's fault: the
batch is done again record by record. A child that dies under a record (a crash in a
native library, the kernel's OOM killer) is replaced and the record tried again; after
``max_crashes`` deaths under the same record (by its topic, partition and offset) it is
quarantined: a dead letter (``QuarantinedError``) instead of a third try. A failure the
child reports as an exception (the stages cannot load, a bug) fails the batch: the agent
tries it again and eventually stops the worker, as for any failure of a batch.

``ThreadRunner`` is the same contract in a thread of the worker (no time limit: a thread
cannot be stopped); ``WIREFEED_STAGE_POOL=thread`` selects it, for comparison in
``bench/throughput.py`` and for debugging.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from pipeline.errors import QuarantinedError, TimeLimitError
from pipeline.records import Outcome, RawDispatch
from pipeline.settings import Settings
from pipeline.work import Work, make_work

log = logging.getLogger(__name__)


@dataclass
class Timings:
    """Seconds the stage spent on the last batch: the shared batch phase, and each record
    (None: abandoned, or run by a child that did not say)."""

    batch: float = 0.0
    records: list[float | None] = field(default_factory=list)


class StageFailed(Exception):
    """The stage failed a whole batch (it could not load, or raised): the batch is not done."""


class Runner(Protocol):
    #: the timings of the last batch ``run`` returned
    timings: Timings

    async def start(self) -> None: ...

    async def run(self, records: Sequence[RawDispatch]) -> list[list[Outcome]]: ...

    def close(self) -> None: ...


class ThreadRunner:
    """The stage in a thread of the worker: no time limit (for comparison and debugging)."""

    def __init__(self, kind: str, settings: Settings) -> None:
        self.kind = kind
        self.work = make_work(kind, settings)
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"wirefeed-{kind}")
        self.timings = Timings()

    async def start(self) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(self.executor, self.work.warm_up)
        except Exception:  # the first batch tries again, and fails where it belongs
            log.exception("%s: warming up the stages failed", self.kind)

    async def run(self, records: Sequence[RawDispatch]) -> list[list[Outcome]]:
        timings = Timings()
        try:
            out = await asyncio.get_running_loop().run_in_executor(
                self.executor, _timed_batch, self.work, records, timings
            )
        except Exception as exc:
            raise StageFailed(f"{self.kind}: {type(exc).__name__}: {exc}") from exc
        self.timings = timings
        return out

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class ProcessRunner:
    """The stage in a child process, abandoned and replaced when a record runs too long."""

    def __init__(
        self,
        kind: str,
        settings: Settings,
        *,
        time_limit: float,
        max_crashes: int = 2,
        start_timeout: float = 900.0,
    ) -> None:
        self.kind = kind
        self.settings = settings
        self.time_limit = time_limit
        self.max_crashes = max_crashes
        self.start_timeout = start_timeout
        self.work = make_work(kind, settings)  # in the parent: only for fallbacks (no stages loaded)
        self.proc: BaseProcess | None = None
        self.conn: Connection | None = None
        self.crashes: OrderedDict[tuple[str, int, int], int] = OrderedDict()
        self.replaced = 0  # children killed or dead, since start
        self._starting: asyncio.Future[None] | None = None
        self.timings = Timings()

    # ------------------------------------------------------------------------ the child

    async def start(self) -> None:
        """Spawn the child and wait until it has loaded the stages (models, gazetteers)."""
        while self._starting is not None:  # another caller is starting it: wait for that
            with contextlib.suppress(Exception):
                await asyncio.shield(self._starting)
        if self.proc is not None and self.proc.is_alive():
            return
        starting = self._starting = asyncio.get_running_loop().create_future()
        try:
            await self._spawn()
            starting.set_result(None)
        except BaseException as exc:
            starting.set_exception(exc)
            starting.exception()  # retrieved here: the caller gets it raised
            raise
        finally:
            self._starting = None

    async def _spawn(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        # the settings travel by field name: robust to a child importing a newer settings module
        values = {f.name: getattr(self.settings, f.name) for f in fields(self.settings)}
        proc = ctx.Process(target=_child_main, args=(child, self.kind, values), name=f"wirefeed-{self.kind}")
        proc.daemon = True
        started = time.monotonic()
        proc.start()
        child.close()
        message = await _recv(parent, self.start_timeout)
        if message is None or message[0] != "ready":
            parent.close()
            proc.kill()
            proc.join(5)
            raise StageFailed(f"{self.kind}: the stage process did not start ({message!r})")
        if message[1]:
            log.error("%s: the stage process could not warm up: %s", self.kind, message[1])
        # only a ready child is the runner's: nobody sends it a batch before
        self.proc, self.conn = proc, parent
        log.info("%s: stage process %d ready in %.1f s", self.kind, proc.pid, time.monotonic() - started)

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        conn, self.conn = self.conn, None
        if conn is not None:
            conn.close()
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(5)
        self.replaced += 1

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if self.conn is not None:
            self.conn.close()  # the child ends at EOF
            self.conn = None
        if proc is not None:
            proc.join(2)
            if proc.is_alive():
                proc.kill()

    async def _recv(self, timeout: float) -> Any:
        """The child's next message; None when it died or said nothing for ``timeout`` s."""
        if self.conn is None:
            return None
        return await _recv(self.conn, timeout)

    async def _recv_some(self, timeout: float) -> list[Any]:
        """The child's messages waiting now (at least one: waits ``timeout`` s for it), in order;
        ("timeout",) alone after ``timeout`` s of silence; None last when the child is gone."""
        if self.conn is None:
            return [None]
        return await _recv_some(self.conn, timeout)

    # ------------------------------------------------------------------------ a batch

    async def run(self, records: Sequence[RawDispatch]) -> list[list[Outcome]]:
        results: dict[int, list[Outcome]] = {}
        pending = list(range(len(records)))
        batched = True
        timings = Timings(records=[None] * len(records))
        while pending:
            await self.start()
            assert self.conn is not None
            batch = [records[i] for i in pending]
            self.conn.send(("batch", batch, batched))
            current: int | None = None  # index into ``pending`` of the running record
            since = time.monotonic()
            ended = False
            while not ended:
                messages = await self._recv_some(max(self.time_limit - (time.monotonic() - since), 0.01))
                for message in messages:
                    if message is None or message[0] == "timeout":
                        died = message is None
                        self._kill()
                        if current is None:  # the batch phase: nobody's fault, go record by record
                            log.warning("%s: the batch phase %s; record by record now", self.kind, _how(died, self))
                            batched = False
                            ended = True
                            break
                        if current >= len(pending):  # after its last record: every outcome is here
                            pending = [i for i in pending if i not in results]
                            ended = True
                            break
                        index = pending[current]
                        outcomes = self._abandon(records[index], died)
                        if outcomes is not None:
                            results[index] = outcomes
                            pending = pending[current + 1 :]
                        else:  # tried again in a fresh child
                            pending = pending[current:]
                        pending = [i for i in pending if i not in results]
                        ended = True
                        break
                    kind = message[0]
                    if kind == "start":
                        current, since = message[1], time.monotonic()
                    elif kind == "done":
                        results[pending[message[1]]] = message[2]
                        if len(message) > 3:
                            timings.records[pending[message[1]]] = message[3]
                        # the next record runs from now (its index may be past the batch's end)
                        current, since = message[1] + 1, time.monotonic()
                    elif kind == "prepare":
                        since = time.monotonic()
                    elif kind == "end":
                        timings.batch += message[1] if len(message) > 1 else 0.0
                        pending = []
                        ended = True
                        break
                    elif kind == "failed":
                        raise StageFailed(f"{self.kind}: {message[1]}")
        self.timings = timings
        return [results[i] for i in range(len(records))]

    def _abandon(self, record: RawDispatch, died: bool) -> list[Outcome] | None:
        """The outcome of a record the child ran too long on, or died under (None: try it again)."""
        where = record.where()
        if not died:
            error = TimeLimitError(
                f"the {self.kind} stage ran longer than the {self.time_limit:g} s limit on this dispatch "
                "(WIREFEED_STAGE_TIME_LIMIT); it was abandoned and the stage process replaced",
                stage=self.kind,
            )
            log.error("%s: %s", where, error.reason)
            return self.work.fallback(record, error)
        key = _coordinates(record)
        count = self.crashes.pop(key, 0) + 1
        self.crashes[key] = count
        while len(self.crashes) > 10_000:  # bounded: the oldest go
            self.crashes.popitem(last=False)
        if count < self.max_crashes:
            log.error(
                "%s: the %s stage process died under this dispatch (%d); trying it again", where, self.kind, count
            )
            return None
        quarantined = QuarantinedError(
            f"the {self.kind} stage process died {count} times under this dispatch; it is set aside",
            stage=self.kind,
        )
        log.error("%s: %s", where, quarantined.reason)
        return self.work.fallback(record, quarantined)


async def _recv(conn: Connection, timeout: float) -> Any:
    """The next message on ``conn``; ("timeout",) after ``timeout`` s of silence; None at its end."""

    def wait() -> Any:
        try:
            if not conn.poll(timeout):
                return ("timeout",)
            return conn.recv()
        except (EOFError, OSError):
            return None

    return await asyncio.to_thread(wait)


#: at most this many messages per wake-up of the reading thread
_DRAIN = 256


async def _recv_some(conn: Connection, timeout: float) -> list[Any]:
    """The messages on ``conn`` now, in order: one thread hop for all that are waiting."""

    def wait() -> list[Any]:
        messages: list[Any] = []
        try:
            if not conn.poll(timeout):
                return [("timeout",)]
            messages.append(conn.recv())
            while len(messages) < _DRAIN and conn.poll(0):
                messages.append(conn.recv())
        except (EOFError, OSError):
            messages.append(None)
        return messages

    return await asyncio.to_thread(wait)


def _timed_batch(work: Work, records: Sequence[RawDispatch], timings: Timings) -> list[list[Outcome]]:
    """``run_batch``, with the stage's timings."""
    started = time.perf_counter()
    work.prepare(records, True)
    timings.batch = time.perf_counter() - started
    out = []
    for index, record in enumerate(records):
        started = time.perf_counter()
        out.append(work.run(index, record))
        timings.records.append(time.perf_counter() - started)
    return out


def _how(died: bool, runner: ProcessRunner) -> str:
    return "killed its process" if died else f"ran longer than {runner.time_limit:g} s"


def _coordinates(record: RawDispatch) -> tuple[str, int, int]:
    prov = record.provenance
    return (prov.topic, prov.partition, prov.offset) if prov else (record.dispatch_id, -1, -1)


def runner(kind: str, settings: Settings) -> Runner:
    """The runner ``WIREFEED_STAGE_POOL`` asks for."""
    if settings.stage_pool == "thread":
        return ThreadRunner(kind, settings)
    return ProcessRunner(kind, settings, time_limit=settings.stage_time_limit, max_crashes=settings.stage_max_crashes)


# ------------------------------------------------------------------------------ the child


def _child_main(conn: Connection, kind: str, values: dict[str, Any]) -> None:
    """The stage process: load the stages, then run batches until the parent goes away."""
    from pipeline.broker import die_with_parent

    die_with_parent()
    settings = Settings(**values)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the worker's to handle
    from pipeline.observability import logs

    text = f"%(asctime)s %(levelname)s [{kind} stage] %(name)s: %(message)s"
    logs.configure(settings.log_level, settings.log_format, process=f"{kind} stage", text_format=text)
    work: Work = make_work(kind, settings)
    try:
        _serve_parent(conn, kind, work)
    except _ParentGone:
        # the worker stopped or was killed mid-batch: nobody to report to, nothing to say
        return


class _ParentGone(Exception):
    """The worker's end of the pipe is closed."""


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    try:
        conn.send(message)
    except (BrokenPipeError, ConnectionResetError, EOFError) as exc:
        raise _ParentGone() from exc


def _serve_parent(conn: Connection, kind: str, work: Work) -> None:
    """Warm up, then run the batches the worker sends until it goes away (``_ParentGone``)."""
    try:
        work.warm_up()
        _send(conn, ("ready", None))
    except _ParentGone:
        raise
    except Exception as exc:  # each batch fails (and says why) until the cause is fixed
        _send(conn, ("ready", f"{type(exc).__name__}: {exc}"))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] != "batch":
            continue
        _, records, batched = message
        try:
            _send(conn, ("prepare",))
            started = time.perf_counter()
            work.prepare(records, batched)
            prepared = time.perf_counter() - started
            _send(conn, ("start", 0))  # the batch phase is over; record i + 1 starts when i is done
            for index, record in enumerate(records):
                started = time.perf_counter()
                outcomes = work.run(index, record)
                _send(conn, ("done", index, outcomes, time.perf_counter() - started))
            _send(conn, ("end", prepared))
        except _ParentGone:
            raise
        except Exception as exc:
            logging.getLogger(__name__).exception("%s: the batch failed", kind)
            _send(conn, ("failed", f"{type(exc).__name__}: {exc}"))
