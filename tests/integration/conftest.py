"""Real parts for integration tests: the embedded broker, real workers, real clients.

One tansu broker serves the whole session (it starts in milliseconds; memory storage).
Each test gets its own topic prefix and Faust app id, so tests never see each other's
records or consumer groups. Workers are real ``wirefeed worker`` processes.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiokafka import ConsumerRecord

from pipeline.broker import EmbeddedBroker, die_with_parent
from pipeline.kafka import ensure_topics, producer, read
from pipeline.records import Headers
from pipeline.topics import TopicNames

ROOT = Path(__file__).resolve().parents[2]
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """The embedded broker, started once for the session (a plain fixture, not async)."""
    log_file = tmp_path_factory.mktemp("broker") / "broker.log"
    with EmbeddedBroker("127.0.0.1:0", log_file=log_file) as running:
        yield running


@dataclass
class Pipeline:
    """One isolated pipeline on the shared broker: its names, env and worker processes."""

    broker: EmbeddedBroker
    prefix: str
    env: dict[str, str]
    log_dir: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def names(self) -> TopicNames:
        return TopicNames.with_prefix(self.prefix)

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    def start_worker(self) -> subprocess.Popen[bytes]:
        n = len(self.workers) + 1
        out = (self.log_dir / f"worker-{n}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "worker"],
            env=self.env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        out.close()
        self.workers.append(proc)
        return proc

    def worker_log(self, n: int = 1) -> str:
        return (self.log_dir / f"worker-{n}.log").read_text(errors="replace")

    def stop_workers(self, sig: int = signal.SIGTERM) -> list[int]:
        codes = []
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(sig)
        for proc in self.workers:
            try:
                codes.append(proc.wait(30))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        self.workers.clear()
        return codes

    def cli(self, *args: str, timeout: float = 300, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        """Run ``wirefeed ARGS`` against this pipeline."""
        return subprocess.run(
            [sys.executable, "-m", "pipeline", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            timeout=timeout,
            input=input,
        )

    async def produce(self, dispatches: Sequence[tuple[bytes, Headers]]) -> list[tuple[int, int]]:
        """Produce raw records; returns their (partition, offset)."""
        await ensure_topics(self.bootstrap, self.names.all(), int(self.env["WIREFEED_PARTITIONS"]))
        async with producer(self.bootstrap) as prod:
            futures = [await prod.send(self.names.raw, value, headers=list(headers)) for value, headers in dispatches]
            results = await asyncio.gather(*futures)
        return [(md.partition, md.offset) for md in results]

    async def outcomes_for(self, coords: Sequence[tuple[int, int]], timeout: float = 120.0) -> list[ConsumerRecord]:
        """The outcome records of the raw records at ``coords``, once all of them are accounted for."""
        from pipeline.audit import Reconciler

        deadline = time.monotonic() + timeout
        wanted = set(coords)
        while True:
            reconciler = Reconciler(self.names.raw, self.names.articles)
            mine = []
            async for record in read(self.bootstrap, self.names.outcomes(), idle_timeout=0.3):
                if reconciler.add(record) in wanted:
                    mine.append(record)
            if not reconciler.missing(wanted) or time.monotonic() > deadline:
                return mine
            for proc in self.workers:
                if proc.poll() is not None:
                    raise AssertionError(f"worker exited with {proc.returncode}:\n{self.worker_log()[-3000:]}")
            await asyncio.sleep(0.5)

    async def outcomes(self, expected_raw: int, timeout: float = 120.0) -> list[ConsumerRecord]:
        """Read both outcome topics until ``expected_raw`` raw records are accounted for."""
        from pipeline.audit import Reconciler

        deadline = time.monotonic() + timeout
        while True:
            reconciler = Reconciler(self.names.raw, self.names.articles)
            records = []
            async for record in read(self.bootstrap, self.names.outcomes(), idle_timeout=0.3):
                reconciler.add(record)
                records.append(record)
            done = sum(1 for coord in reconciler.parts_seen if reconciler.is_accounted(coord))
            if done >= expected_raw or time.monotonic() > deadline:
                return records
            for proc in self.workers:
                if proc.poll() is not None:
                    raise AssertionError(f"worker exited with {proc.returncode}:\n{self.worker_log()[-3000:]}")
            await asyncio.sleep(0.5)


def _pipeline(broker: EmbeddedBroker, tmp_path: Path) -> Pipeline:
    prefix = f"t{os.getpid()}n{next(_counter)}."
    env = {
        **os.environ,
        "WIREFEED_BROKER": broker.url,
        "WIREFEED_APP_ID": f"wirefeed-{prefix.rstrip('.')}",
        "WIREFEED_TOPIC_PREFIX": prefix,
        "WIREFEED_PARTITIONS": "2",
        "WIREFEED_SESSION_TIMEOUT": "10",
        "WIREFEED_HEARTBEAT_INTERVAL": "1",
        "WIREFEED_REBALANCE_TIMEOUT": "3",
        "WIREFEED_DATA_DIR": str(tmp_path / "data"),
        "WIREFEED_VALIDATE": "1",
        "WIREFEED_LOG_LEVEL": "info",
    }
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    return Pipeline(broker, prefix, env, log_dir)


@pytest.fixture
def pipeline(broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Pipeline]:
    """An isolated pipeline (topic prefix + app id) with short group timings; workers stopped after."""
    pipe = _pipeline(broker, tmp_path)
    yield pipe
    pipe.stop_workers()


#: the delivery tests are about delivery, not entity recognition: without the statistical NER
#: model a worker starts (and enriches) about twice as fast; the rest of enrichment runs
LEAN = {"WIREFEED_SPACY_MODELS": "none"}


@pytest.fixture
def lean_pipeline(pipeline: Pipeline) -> Pipeline:
    """``pipeline`` with lean enrichment (``LEAN``), for the delivery and fault tests."""
    pipeline.env.update(LEAN)
    return pipeline


@pytest.fixture(scope="module")
def running_pipeline(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """One pipeline with one worker shared by a module's tests (each checks its own records only)."""
    pipe = _pipeline(broker, tmp_path_factory.mktemp("shared"))
    pipe.start_worker()
    yield pipe
    pipe.stop_workers()


async def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int | None]:
    """The consumer group's committed offset per partition of ``topic`` (without joining the group)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        return {p: await consumer.committed(TopicPartition(topic, p)) for p in partitions}
    finally:
        await consumer.stop()


async def assert_commits_have_outcomes(pipeline: Pipeline) -> None:
    """No offset is committed before its outcome exists, hop by hop: every record of an agent's input
    topic below the group's committed offset has its outputs -- the next internal record, an article or
    a dead letter -- identified by the raw record (coordinates) and item (part) they stem from."""
    from pipeline.stages.flow import decode_cleaned

    names = pipeline.names
    group = pipeline.env["WIREFEED_APP_ID"]

    def _item(record: ConsumerRecord) -> tuple[int, int, int]:
        if record.topic in names.outcomes():
            h = {k: v.decode() for k, v in record.headers}
            return int(h["wf_raw_partition"]), int(h["wf_raw_offset"]), int(h["wf_part"].split("/")[0])
        cleaned = decode_cleaned(record.value)
        assert cleaned.raw.provenance is not None
        return cleaned.raw.provenance.partition, cleaned.raw.provenance.offset, cleaned.part

    async def _records(topic: str) -> list[ConsumerRecord]:
        return [r async for r in read(pipeline.bootstrap, [topic], idle_timeout=0.3)]

    # the commits first: an output is acknowledged before its input's offset is committed, so
    # everything a commit read now promises is readable afterwards (reading the outputs first
    # would race with the worker publishing and committing in between)
    committed = {topic: await committed_offsets(pipeline.bootstrap, group, topic) for topic in names.all()[:3]}
    outcomes = {_item(r) for topic in names.outcomes() for r in await _records(topic)}
    parsed, cleaned = await _records(names.parsed), await _records(names.cleaned)
    hops = (
        (names.raw, await _records(names.raw), {i[:2] for i in outcomes | {_item(r) for r in parsed}}),
        (names.parsed, parsed, outcomes | {_item(r) for r in cleaned}),
        (names.cleaned, cleaned, outcomes),
    )
    for topic, records, outputs in hops:
        for record in records:
            offset = committed[topic].get(record.partition)
            if offset is None or record.offset >= offset:
                continue
            key = (record.partition, record.offset) if topic == names.raw else _item(record)
            assert key in outputs, f"{topic}[{record.partition}]@{offset} committed, but {record.offset} has no output"
