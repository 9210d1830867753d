"""Where a partition ends, as a fetch says: the high watermark of a fetch response.

Faust's table recovery asks the consumer for the end of each changelog partition
(``Consumer.highwaters`` -> ListOffsets) and then reads up to it, and checks that what a
worker already read is not beyond it. The embedded broker (tansu) answers ListOffsets
with the base offset of the last *batch* plus one, not the last offset plus one: after a
batch of several table writes the end looks earlier than it is, so recovery stopped short
(learned state silently not restored) or a worker that had read the whole batch crashed
with ``ConsistencyError`` ("persisted offset ... higher than the last offset in that topic",
chaos-findings F4). A fetch response carries the right high watermark on every broker, so
the end is the larger of the two. On Apache Kafka both agree; it costs one short fetch per
partition, at rebalances only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from pipeline.kafka import client_options

log = logging.getLogger(__name__)


async def fetched_ends(
    bootstrap: str | list[str],
    partitions: Iterable[Any],
    listed: Mapping[Any, int | None],
    *,
    isolation_level: str = "read_uncommitted",
    timeout: float = 10.0,
) -> dict[Any, int | None]:
    """``listed`` (ListOffsets' ends) corrected by the high watermark of a fetch of each partition.

    ``partitions`` are topic-partitions of any kind with ``.topic`` and ``.partition``; the
    result uses the same keys. A partition no fetch answered within ``timeout`` keeps its
    listed end (logged).
    """
    keys = list(partitions)
    if not keys:
        return {}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        **client_options(),  # the deployment's SASL/TLS (pipeline.kafka.configure)
        enable_auto_commit=False,
        isolation_level=isolation_level,
        auto_offset_reset="latest",
        max_partition_fetch_bytes=64 * 1024,  # the first batch is enough: only its header counts
    )
    await consumer.start()
    try:
        tps = {key: TopicPartition(key.topic, key.partition) for key in keys}
        consumer.assign(list(tps.values()))
        for key, tp in tps.items():
            consumer.seek(tp, max((listed.get(key) or 0) - 1, 0))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(consumer.highwater(tp) is None for tp in tps.values()) and loop.time() < deadline:
            await consumer.getmany(timeout_ms=300, max_records=1)
        ends: dict[Any, int | None] = {}
        for key, tp in tps.items():
            fetched = consumer.highwater(tp)
            before = listed.get(key)
            if fetched is None:
                log.warning("%s[%d]: no fetch answered in %.0f s; keeping the listed end %s", *tp, timeout, before)
                ends[key] = before
            else:
                ends[key] = max(fetched, before or 0)
                if before is not None and fetched > before:
                    log.info(
                        "%s[%d]: the end is %d, not %d as listed (a multi-record last batch)", *tp, fetched, before
                    )
        return ends
    finally:
        await consumer.stop()
