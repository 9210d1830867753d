"""``wirefeed run``: the whole pipeline in one command.

1. a broker: the configured one (WIREFEED_BROKER) or an embedded tansu on a free port;
2. N worker processes (``wirefeed worker``), logging to .wirefeed/logs/;
3. a replay of the sample firehose (or --sample PATH) into wire.raw;
4. live output: a progress line, and a line per article (agency, language, headline);
5. with --once: when every replayed dispatch has its outcome, the audit summary (the same
   JSON as ``wirefeed audit``) is printed last, and everything is stopped;
6. with --twice (implies --once): the same dispatches replayed a second time once the first
   replay is accounted for; the summary gets ``second_replay`` (its outcomes by topic) and
   the command fails when it published any article: a replayed feed is all duplicates.

Child processes never outlive the command: they are stopped on exit, Ctrl-C and SIGTERM,
and the kernel stops them if this process dies (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from pipeline.audit import Reconciler, audit
from pipeline.broker import EmbeddedBroker, die_with_parent
from pipeline.console import Progress, article_line, headers_dict, value_json
from pipeline.ingest import produce_dispatches
from pipeline.settings import PREFIX, Settings
from pipeline.topics import TopicNames, topic_configs

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "firehose"

#: consumer-group timings for the embedded broker, unless the environment sets them:
#: tansu makes a join wait about the rebalance timeout, so keep it short
EMBEDDED_TIMINGS = {"session_timeout": 10.0, "heartbeat_interval": 1.0, "rebalance_timeout": 3.0}


def _settings_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env[PREFIX + "BROKER"] = settings.broker or ""
    for name in ("session_timeout", "heartbeat_interval", "rebalance_timeout", "partitions", "app_id", "topic_prefix"):
        env[PREFIX + name.upper()] = str(getattr(settings, name))
    return env


class Workers:
    """The worker child processes."""

    def __init__(self, count: int, settings: Settings, log_dir: Path) -> None:
        self.count, self.settings, self.log_dir = count, settings, log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = _settings_env(self.settings)
        for n in range(1, self.count + 1):
            log_path = self.log_dir / f"worker-{n}.log"
            with log_path.open("ab") as out:
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "pipeline", "worker"],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        preexec_fn=die_with_parent,
                    )
                )

    def dead(self) -> list[int]:
        return [p.returncode for p in self.procs if p.poll() is not None]

    def stop(self, timeout: float = 20.0) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _follow(
    bootstrap: str,
    names: TopicNames,
    wanted: set[tuple[int, int]],
    *,
    once: bool,
    quiet: bool,
    workers: Workers,
    timeout: float,
) -> bool:
    """Print outcomes as they arrive; with ``once``, return when ``wanted`` are accounted for."""
    from pipeline.kafka import read

    reconciler = Reconciler(names.raw, names.articles)
    progress = Progress("outcomes", len(wanted))
    pending = set(wanted)
    deadline = time.monotonic() + timeout
    # The reader runs as its own task feeding a queue: a timeout while waiting for the next
    # record must not cancel (and so close) the consumer's async generator.
    queue: asyncio.Queue[Any] = asyncio.Queue()

    async def pump() -> None:
        async for record in read(bootstrap, names.outcomes(), follow=True, idle_timeout=0.5):
            await queue.put(record)

    reader = asyncio.create_task(pump())
    try:
        while True:
            if once and not pending:
                return True
            if once and time.monotonic() > deadline:
                _print(f"wirefeed run: timed out after {timeout:.0f} s with {len(pending)} dispatches unaccounted for")
                return False
            if len(workers.dead()) == workers.count:
                _print(f"wirefeed run: every worker exited (codes {workers.dead()}); see {workers.log_dir}")
                return False
            if reader.done():
                reader.result()  # raises what stopped the reader
                return not pending
            try:
                record = await asyncio.wait_for(queue.get(), timeout=1.0)
            except TimeoutError:
                continue
            coord = reconciler.add(record)
            if coord is not None and reconciler.is_accounted(coord) and coord in pending:
                pending.discard(coord)
                progress.update()
            if not quiet:
                if progress.tty:
                    sys.stderr.write("\r\033[K")
                _print(article_line(headers_dict(record.headers), value_json(record.value)))
    finally:
        progress.close()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def outcomes_by_topic(bootstrap: str, names: TopicNames, coords: set[tuple[int, int]]) -> dict[str, int]:
    """How many outcome records of the raw records at ``coords`` each outcome topic holds."""
    from pipeline.kafka import read

    counts: dict[str, int] = {}
    async for record in read(bootstrap, names.outcomes(), idle_timeout=1.0):
        headers = headers_dict(record.headers)
        try:
            coord = (int(headers["wf_raw_partition"]), int(headers["wf_raw_offset"]))
        except (KeyError, ValueError):
            continue
        if coord in coords:
            topic = names.logical(record.topic)
            counts[topic] = counts.get(topic, 0) + 1
    return dict(sorted(counts.items()))


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.kafka import ensure_topics
    from pipeline.sources import iter_dispatches

    names = TopicNames.with_prefix(settings.topic_prefix)
    log_dir = settings.data_dir / "logs"
    broker: EmbeddedBroker | None = None
    workers: Workers | None = None
    try:
        if settings.embedded:
            broker = EmbeddedBroker(settings.embedded_listen, log_file=log_dir / "broker.log").start()
            overrides = {k: v for k, v in EMBEDDED_TIMINGS.items() if PREFIX + k.upper() not in os.environ}
            settings = replace(settings, broker=broker.url, **overrides)  # type: ignore[arg-type]
            _print(f"embedded broker on {broker.bootstrap}")
            _print(f"  more dispatches: WIREFEED_BROKER={broker.url} wirefeed ingest PATH")
        else:
            _print(f"broker {settings.broker}")
        bootstrap = settings.bootstrap_servers
        configs = topic_configs(settings)
        await ensure_topics(bootstrap, names.all(), settings.partitions, settings.replication, configs=configs)
        # one worker per core by default: each runs its stages in processes of its own
        count = args.workers if args.workers is not None else (os.cpu_count() or 1)
        workers = Workers(max(count, 1), settings, log_dir)
        workers.start()
        _print(f"{workers.count} worker(s) started; logs in {log_dir}/")

        paths = args.sample or [str(SAMPLES)]
        dispatches = list(iter_dispatches(paths, exclude=["MANIFEST.json", "README.md"]))

        async def replay(label: str) -> list[tuple[int, int]]:
            return await produce_dispatches(
                bootstrap,
                names,
                settings,
                dispatches,
                source="sample-firehose" if not args.sample else None,
                agency=None,
                rate=getattr(args, "rate", None),
                progress=Progress(label, len(dispatches)),
            )

        coords = await replay("replay")
        _print(f"replayed {len(coords)} dispatches into {names.raw}")
        once = args.once or getattr(args, "twice", False)
        ok = await _follow(
            bootstrap, names, set(coords), once=once, quiet=args.quiet, workers=workers, timeout=args.timeout
        )
        second: dict[str, int] | None = None
        if ok and getattr(args, "twice", False):
            again = await replay("replay again")
            _print(f"replayed the same {len(again)} dispatches again")
            ok = await _follow(
                bootstrap, names, set(again), once=True, quiet=True, workers=workers, timeout=args.timeout
            )
            second = await outcomes_by_topic(bootstrap, names, set(again))
        summary: dict[str, Any] = await audit(bootstrap, names)
        if second is not None:
            summary["second_replay"] = second
            ok = ok and second.get(names.logical(names.articles), 0) == 0
        _print(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
        return 0 if ok and summary["missing"] == 0 else 1
    finally:
        if workers is not None:
            workers.stop()
        if broker is not None:
            broker.stop()


def run(args: argparse.Namespace, settings: Settings) -> int:
    loop = asyncio.new_event_loop()
    main_task = loop.create_task(_main(args, settings))
    # SIGTERM (and Ctrl-C) cancel the main task, whose finally blocks stop the children
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, main_task.cancel)
    try:
        return loop.run_until_complete(main_task)
    except asyncio.CancelledError:
        _print("wirefeed run: stopped")
        return 130
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
