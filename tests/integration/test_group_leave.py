"""A group member that stops while it leads a forming generation must not wedge the group.

On the embedded broker, a leader that sends LeaveGroup while the next generation forms is
never replaced: the other members re-join the same generation for good and read nothing
(chaos run s39). Our workers' consumers leave only when no rebalance is under way
(``leave_only_when_settled``); the broker then drops the stopped member when its session
times out and the group forms again. Real broker, real aiokafka consumers, one process.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

from pipeline.broker import EmbeddedBroker
from pipeline.delivery.consumer import leave_only_when_settled
from pipeline.kafka import ensure_topics

pytestmark = [pytest.mark.broker, pytest.mark.asyncio]

SESSION_MS = 6000


def _consumer(broker: EmbeddedBroker, topic: str, group: str, assignor: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=broker.bootstrap,
        group_id=group,
        session_timeout_ms=SESSION_MS,
        heartbeat_interval_ms=500,
        rebalance_timeout_ms=3000,
        partition_assignment_strategy=[assignor],
    )


async def test_a_leader_stopping_while_the_next_generation_forms_does_not_wedge_the_group(
    broker: EmbeddedBroker,
) -> None:
    topic, group = f"leave-{uuid.uuid4().hex[:8]}", f"leave-{uuid.uuid4().hex[:8]}"
    await ensure_topics(broker.bootstrap, [topic], 4)
    stopped = asyncio.Event()
    leader: list[AIOKafkaConsumer] = []

    class StopsWhenItLeadsAgain(RoundRobinPartitionAssignor):
        """Leads the first generation alone; asked to lead the next one (a second member joined),
        it stops instead -- a worker getting SIGTERM at that moment."""

        calls = 0

        @classmethod
        def assign(cls, cluster: Any, members: Any) -> Any:
            cls.calls += 1
            if cls.calls == 1:
                return super().assign(cluster, members)

            async def stop() -> None:
                leave_only_when_settled(leader[0]._coordinator, lambda: False)
                await leader[0].stop()
                stopped.set()

            asyncio.get_running_loop().create_task(stop())
            raise RuntimeError("stopping")

    first = _consumer(broker, topic, group, StopsWhenItLeadsAgain)
    leader.append(first)
    await first.start()
    deadline = time.monotonic() + 30
    while not first.assignment() and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert len(first.assignment()) == 4, "the first member never got the partitions"

    second = _consumer(broker, topic, group, RoundRobinPartitionAssignor)
    try:
        start = asyncio.get_running_loop().create_task(second.start())
        await asyncio.wait_for(stopped.wait(), 30)
        started = time.monotonic()
        # the stopped leader's session times out, the group forms again with the second member
        while len(second.assignment()) < 4 and time.monotonic() - started < 10 * SESSION_MS / 1000:
            await asyncio.sleep(0.5)
        assert len(second.assignment()) == 4, (
            f"the group never formed again within {10 * SESSION_MS / 1000:.0f} s of the leader's stop"
        )
        await start
    finally:
        await second.stop()
