"""Where a lost input was lost: its records hop by hop, against the group's committed offsets.

The verifier says *that* an input has no outcome; this says at which hop it stopped. For
each lost input it follows the internal records that stem from it (``wire.parsed``,
``wire.cleaned``: decoded with the worker's own record type, which is fine for a diagnosis
-- the verdict itself stays independent of the worker's code) and compares every record
with its partition's committed offset:

    wire.raw[1]@142 (committed 186) -> wire.parsed[0]@150 (committed 215) -> none

reads "the learn-boilerplate hop committed wire.parsed[0] past 150 without an output":
the hop that lost it is the last one with a record, and "committed past it" means the
ledger counted it done.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from pipeline.chaos.verify import read_all
from pipeline.errors import ContractError
from pipeline.kafka import Consumer, client_options
from pipeline.stages.flow import decode_cleaned
from pipeline.topics import TopicNames

log = logging.getLogger(__name__)

Coord = tuple[int, int]


async def trace_lost(bootstrap: str, group: str, names: TopicNames, lost: Sequence[Coord]) -> list[str]:
    """One line per lost raw record (at most 20): its records at each hop and the commits there."""
    if not lost:
        return []
    lost = list(lost)[:20]
    wanted = set(lost)
    hops: dict[Coord, list[tuple[str, int, int]]] = defaultdict(list)
    try:
        internal = await read_all(bootstrap, [names.parsed, names.cleaned], quiet_for=0.5)
        for record in internal:
            try:
                cleaned = decode_cleaned(record.value)
            except ContractError:
                continue
            prov = cleaned.raw.provenance
            if prov is not None and (prov.partition, prov.offset) in wanted:
                hops[(prov.partition, prov.offset)].append((record.topic, record.partition, record.offset))
        committed = await _committed(bootstrap, group, [names.raw, names.parsed, names.cleaned])
    except Exception as exc:  # a diagnosis, never a reason for the run to fail
        log.warning("tracing the lost inputs failed: %r", exc)
        return [f"(no trace: {exc!r})"]

    def where(topic: str, partition: int, offset: int) -> str:
        mark = committed.get((topic, partition))
        return f"{names.logical(topic)}[{partition}]@{offset} (committed {mark})"

    lines = []
    for partition, offset in lost:
        steps = [where(names.raw, partition, offset)]
        for topic in (names.parsed, names.cleaned):
            found = sorted((p, o) for t, p, o in hops.get((partition, offset), ()) if t == topic)
            steps.append(", ".join(where(topic, p, o) for p, o in found) if found else f"{names.logical(topic)}: none")
        lines.append(" -> ".join(steps))
    return lines


async def _committed(bootstrap: str, group: str, topics: Sequence[str]) -> dict[tuple[str, int], Any]:
    consumer = Consumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **client_options())
    await consumer.start()
    await admin.start()
    try:
        parts = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        # the partitions named: the embedded broker drops the connection on "all of them"
        offsets = await admin.list_consumer_group_offsets(group, partitions=parts)
        return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()}
    finally:
        await consumer.stop()
        await admin.close()
