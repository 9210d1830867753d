"""The embedded broker hands out a producer batch after later ones while several producers
write one partition; a reader that follows the partition is told nothing of the batch it
skipped. Every such jump must be reported as a break (``pipeline.delivery.breaks``), which
keeps the ledger from taking it for a gap (and the records in it for absent), and a reader
of ``pipeline.kafka.read`` meets none: it gets every record, in offset order."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pipeline.broker import EmbeddedBroker
from pipeline.delivery import breaks
from pipeline.kafka import read

pytestmark = pytest.mark.broker

PRODUCERS = 4
SECONDS = 20.0


async def test_every_jump_a_reader_sees_is_reported_and_kafka_read_misses_nothing(broker: EmbeddedBroker) -> None:
    """4 producers on 1 partition for up to 20 s, a plain reader and ``kafka.read`` following
    them: each jump in the offsets the plain reader is handed lies in a reported break, a re-read
    finds every skipped record, and ``kafka.read`` yielded every offset once, in order."""
    breaks.install()
    topic = f"breaks-{uuid.uuid4().hex[:8]}"
    tp = TopicPartition(topic, 0)
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    stop = time.monotonic() + SECONDS
    jumps: list[tuple[int, int]] = []
    reported: list[tuple[int, int]] = []
    sent = 0

    async def produce() -> None:
        nonlocal sent
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=5)
        await producer.start()
        try:
            while time.monotonic() < stop and len(jumps) < 3:
                acks = [await producer.send(topic, b"x" * 2000, partition=0) for _ in range(20)]
                await asyncio.gather(*acks)
                sent += len(acks)
        finally:
            await producer.stop()

    consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50)
    await consumer.start()
    try:
        consumer.assign([tp])
        consumer.seek(tp, 0)

        async def follow() -> None:
            expected = 0
            while time.monotonic() < stop + 2 and (expected < sent or time.monotonic() < stop):
                got = await consumer.getmany(tp, timeout_ms=200)
                reported.extend(breaks.take(topic, 0))
                for record in got.get(tp, []):
                    if record.offset > expected:
                        jumps.append((expected, record.offset))
                    expected = record.offset + 1

        followed: list[int] = []

        async def follow_with_read() -> None:
            async def collect() -> None:
                async for record in read(broker.bootstrap, [topic], follow=True):
                    followed.append(record.offset)

            task = asyncio.ensure_future(collect())
            while time.monotonic() < stop + 2 and (len(followed) < sent or time.monotonic() < stop):
                await asyncio.sleep(0.2)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        await asyncio.gather(follow(), follow_with_read(), *[produce() for _ in range(PRODUCERS)])
        consumer.seek(tp, 0)
        offsets: list[int] = []
        while got := (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
            offsets += [record.offset for record in got]
    finally:
        await consumer.stop()

    assert offsets == list(range(sent)), "a re-read from 0 returns every record, in order"
    assert followed == list(range(sent)), "kafka.read, following the writers, yielded every record once, in order"
    if not jumps:
        pytest.skip(f"the broker handed out no batch late this time ({sent} records): nothing to check")
    unreported = [(lo, hi) for lo, hi in jumps if not any(b_lo < hi and b_hi > lo for b_lo, b_hi in reported)]
    assert not unreported, (jumps, reported)
