"""The embedded broker hands out a producer batch after later ones while several producers
write one partition; a reader that follows the partition is told nothing of the batch it
skipped. Every such jump must be reported as a break (``pipeline.delivery.breaks``), which
keeps the ledger from taking it for a gap (and the records in it for absent)."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pipeline.broker import EmbeddedBroker
from pipeline.delivery import breaks

pytestmark = pytest.mark.broker

PRODUCERS = 4
SECONDS = 20.0


async def test_every_jump_a_reader_sees_is_reported_as_a_break(broker: EmbeddedBroker) -> None:
    """4 producers on 1 partition for up to 20 s, a reader following them: each jump in the
    offsets it is handed lies in a reported break, and a re-read finds every skipped record."""
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

        await asyncio.gather(follow(), *[produce() for _ in range(PRODUCERS)])
        consumer.seek(tp, 0)
        offsets: list[int] = []
        while got := (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
            offsets += [record.offset for record in got]
    finally:
        await consumer.stop()

    assert offsets == list(range(sent)), "a re-read from 0 returns every record, in order"
    if not jumps:
        pytest.skip(f"the broker handed out no batch late this time ({sent} records): nothing to check")
    unreported = [(lo, hi) for lo, hi in jumps if not any(b_lo < hi and b_hi > lo for b_lo, b_hi in reported)]
    assert not unreported, (jumps, reported)
