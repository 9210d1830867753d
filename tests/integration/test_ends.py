"""Partition ends for table recovery: the embedded broker's ListOffsets falls short after a batch of
several records; the fetch-checked end does not (chaos-findings F4)."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from pipeline.broker import EmbeddedBroker
from pipeline.delivery.ends import fetched_ends
from pipeline.kafka import end_offsets, ensure_topics, producer

pytestmark = pytest.mark.broker


async def test_the_end_of_a_partition_is_the_fetched_high_watermark(broker: EmbeddedBroker) -> None:
    """Three batches of five records, and an empty partition: ends 15 and 0, whatever ListOffsets says."""
    topic = "ends-test-changelog"
    await ensure_topics(broker.bootstrap, [topic], 2)
    async with producer(broker.bootstrap) as prod:
        for _ in range(3):
            sent = [await prod.send(topic, b"state", key=b"k", partition=0) for _ in range(5)]
            await asyncio.gather(*sent)
    full, empty = TopicPartition(topic, 0), TopicPartition(topic, 1)
    listed = await end_offsets(broker.bootstrap, [topic])
    ends = await fetched_ends(broker.bootstrap, [full, empty], listed)
    assert ends == {full: 15, empty: 0}
    assert listed[full] <= 15  # (tansu lists 11: the base offset of the last batch + 1)
