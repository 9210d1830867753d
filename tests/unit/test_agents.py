"""The agents' safety net for records the Faust consumer skips (see agents.Continuity)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from pipeline.agents import Continuity


@dataclass
class _Consumer:
    """Stands in for Faust's consumer: committed offsets it read at assignment, and seeks."""

    _committed_offset: dict[Any, int] = field(default_factory=dict)
    seeks: list[tuple[Any, int]] = field(default_factory=list)

    async def seek(self, tp: Any, offset: int) -> None:
        self.seeks.append((tp, offset))


@dataclass
class _App:
    consumer: _Consumer
    consumer_generation_id: int = 1


@dataclass
class _Message:
    tp: Any
    offset: int


@dataclass
class _Event:
    message: _Message


TP = TopicPartition("wire.raw", 0)


def _events(*offsets: int) -> list[_Event]:
    return [_Event(_Message(TP, o)) for o in offsets]


async def test_a_hole_in_a_partition_seeks_back_once() -> None:
    """Offsets 12..13 never arrived: seek back to 12; the same hole seen again is a real gap."""
    app = _App(_Consumer({TP: 10}))
    continuity = Continuity(app)  # type: ignore[arg-type]
    await continuity.check(_events(10, 11, 14, 15))
    assert app.consumer.seeks == [(TP, 12)]
    await continuity.check(_events(12, 13, 14, 15, 16))
    await continuity.check(_events(17, 18))
    assert app.consumer.seeks == [(TP, 12)]


async def test_skipped_first_records_of_an_assignment_are_read_again() -> None:
    """The first record after an assignment must be the committed offset."""
    app = _App(_Consumer({TP: 40}))
    continuity = Continuity(app)  # type: ignore[arg-type]
    await continuity.check(_events(43, 44))
    assert app.consumer.seeks == [(TP, 40)]


async def test_redelivered_records_and_new_generations_are_not_holes() -> None:
    """Going back (redelivery after a rebalance) is normal; a new generation starts from its committed offset."""
    app = _App(_Consumer({TP: 0}))
    continuity = Continuity(app)  # type: ignore[arg-type]
    await continuity.check(_events(0, 1, 2, 3))
    await continuity.check(_events(2, 3, 4))
    app.consumer_generation_id = 2
    app.consumer._committed_offset[TP] = 5
    await continuity.check(_events(5, 6))
    assert app.consumer.seeks == []
