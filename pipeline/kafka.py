"""Plain aiokafka clients for the commands around the worker: ingest, tail, audit, run.

The worker itself is Faust (``pipeline.app``); these commands only produce raw records
or read topics from end to end, so they use aiokafka directly, without a consumer group
(reading never moves the pipeline's committed offsets).

Security (SASL, TLS) comes from the settings: ``configure(settings)`` once per process
(the CLI does it), and every client made here connects with those options.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner, murmur2

from pipeline.delivery.breaks import Follower

if TYPE_CHECKING:
    from pipeline.settings import Settings

log = logging.getLogger(__name__)

#: the largest record these clients send or fetch: the highest size limit wirefeed allows
#: (16 MiB, WIREFEED_MAX_MESSAGE_BYTES) plus framing
MAX_RECORD_BYTES = 16 * 1024 * 1024 + 64 * 1024

#: security options every client of this module connects with (``configure``)
_options: dict[str, Any] = {}


def configure(settings: Settings) -> None:
    """Use ``settings``' Kafka security (SASL/TLS) for every client made by this module."""
    _options.clear()
    _options.update(settings.kafka_client_options())


def faust_credentials(settings: Settings) -> Any:
    """The same security as Faust's ``broker_credentials`` (None for PLAINTEXT)."""
    options = settings.kafka_client_options()
    if not options:
        return None
    import faust

    if "sasl_mechanism" in options:
        return faust.SASLCredentials(
            username=options["sasl_plain_username"],
            password=options["sasl_plain_password"],
            mechanism=options["sasl_mechanism"],
            ssl_context=options.get("ssl_context"),
        )
    return faust.SSLCredentials(options["ssl_context"])


class KeyHashPartitioner:
    """aiokafka's ``DefaultPartitioner`` (the Java client's: murmur2 of the key), with the hashes
    of the most recent keys remembered. murmur2 is pure Python in aiokafka (~10 us a key), and
    the worker sends one key to several topics (an article's uri: wire.articles, its latest
    copy, wire.clusters, routed topics). The same partition for every key, cached or not."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.hashes: dict[bytes, int] = {}
        self.default = DefaultPartitioner()  # for records without a key

    def __call__(self, key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        if key is None:
            return int(self.default(key, all_partitions, available))
        found = self.hashes.get(key)
        if found is None:
            if len(self.hashes) >= self.size:
                self.hashes.clear()  # bounded; the next keys fill it again
            found = self.hashes[key] = murmur2(key) & 0x7FFFFFFF
        return all_partitions[found % len(all_partitions)]


def client_options() -> dict[str, Any]:
    """The security options of this process's clients (for clients made elsewhere)."""
    return dict(_options)


class Consumer(AIOKafkaConsumer):
    """An ``AIOKafkaConsumer`` with this process's security options (``configure``), for the consumers
    made outside this module (redrive, the chaos verifier); options given here win."""

    def __init__(self, *topics: str, **options: Any) -> None:
        super().__init__(*topics, **{**_options, **options})


async def ensure_topics(
    bootstrap: str,
    topics: Iterable[str],
    partitions: int,
    replication: int = 1,
    config: Mapping[str, str] | None = None,
    configs: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Create the topics that do not exist yet (a no-op for the ones that do), with ``config``
    for all of them and ``configs`` (topic name -> settings, see ``topics.topic_configs``) per topic."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **_options)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            per_topic = configs or {}
            new = [
                NewTopic(
                    name=t,
                    num_partitions=partitions,
                    replication_factor=replication,
                    topic_configs={**(config or {}), **per_topic.get(t, {})},
                )
                for t in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):  # a worker created it meanwhile
                await admin.create_topics(new)
            log.info("created topics %s (%d partitions)", ", ".join(missing), partitions)
    finally:
        await admin.close()


async def partition_counts(bootstrap: str, topics: Iterable[str]) -> dict[str, int]:
    """The number of partitions of each of ``topics`` that exists."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **_options)
    await admin.start()
    try:
        wanted = list(topics)
        existing = set(await admin.list_topics())
        present = [t for t in wanted if t in existing]
        if not present:
            return {}
        return {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(present)}
    finally:
        await admin.close()


@asynccontextmanager
async def producer(bootstrap: str, **options: object) -> AsyncIterator[AIOKafkaProducer]:
    prod = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=5,
        max_request_size=MAX_RECORD_BYTES,
        **{**_options, **options},
    )
    await prod.start()
    try:
        yield prod
    finally:
        await prod.stop()


async def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    """The current end offset of every partition of ``topics`` (missing topics: none)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **_options)
    await consumer.start()
    try:
        parts = _partitions(consumer, topics)
        return dict(await consumer.end_offsets(parts)) if parts else {}
    finally:
        await consumer.stop()


def _partitions(consumer: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    parts = []
    for topic in topics:
        for p in sorted(consumer.partitions_for_topic(topic) or ()):
            parts.append(TopicPartition(topic, p))
    return parts


async def read(
    bootstrap: str,
    topics: Iterable[str],
    *,
    from_beginning: bool = True,
    follow: bool = False,
    idle_timeout: float = 1.0,
    start: Mapping[TopicPartition, int] | None = None,
) -> AsyncIterator[ConsumerRecord]:
    """Every record of ``topics``, partition by partition in offset order.

    Without ``follow`` it stops once every partition is at its end as of the first fetch
    that reached it: the high watermark of that fetch response. (The embedded broker's
    ListOffsets reports the base offset of the last batch, not the end, and an empty fetch
    proves nothing when the broker is slow: a reader that stopped on either would miss
    records.) ``TimeoutError`` when ``idle_timeout`` x 100 passes without progress. With
    ``follow`` it goes on until cancelled. ``start``: the offset to begin at for some
    partitions (the others begin as ``from_beginning`` says).
    """
    topics = list(topics)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        max_partition_fetch_bytes=MAX_RECORD_BYTES,
        fetch_max_bytes=64 * 1024 * 1024,
        **_options,
    )
    await consumer.start()
    try:
        parts = await _wait_partitions(consumer, topics, wait=follow)
        if not parts:
            return
        consumer.assign(parts)
        if from_beginning:
            await consumer.seek_to_beginning(*parts)
        else:
            await consumer.seek_to_end(*parts)
        targets: dict[TopicPartition, int] = {}  # partition -> the end to read up to
        idle = 0
        for tp, offset in (start or {}).items():
            if tp in parts:
                consumer.seek(tp, offset)
        follower = Follower(consumer)  # nothing skipped where the broker hands a batch out late
        while True:
            batch = follower.complete(await consumer.getmany(timeout_ms=int(idle_timeout * 1000), max_records=5000))
            for records in batch.values():
                for record in records:
                    yield record
            if follow:
                continue
            idle = 0 if batch else idle + 1
            for tp in parts:
                highwater = consumer.highwater(tp)
                if tp not in targets and highwater is not None:
                    targets[tp] = highwater
            if len(targets) == len(parts):
                positions = [await consumer.position(tp) for tp in parts]
                if all(pos >= targets[tp] for tp, pos in zip(parts, positions, strict=True)):
                    return
            if idle >= 100:
                raise TimeoutError(f"reading {', '.join(topics)}: no progress for {idle * idle_timeout:.0f} s")
    finally:
        await consumer.stop()


async def _wait_partitions(consumer: AIOKafkaConsumer, topics: list[str], wait: bool) -> list[TopicPartition]:
    for _ in range(50 if wait else 3):
        with contextlib.suppress(KafkaError):
            await consumer._client.force_metadata_update()
        parts = _partitions(consumer, topics)
        if parts and (not wait or len({tp.topic for tp in parts}) == len(topics)):
            return parts
        await asyncio.sleep(0.2)
    return _partitions(consumer, topics)
