"""The agents' safety net for records the Faust consumer skips (see agents.Continuity)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from pipeline.agents import Continuity


@dataclass
class _Consumer:
    """Stands in for Faust's consumer: the offsets it keeps (committed at assignment, last
    handed over by the fetcher, partition ends as of the last fetch), and seeks."""

    _committed_offset: dict[Any, int] = field(default_factory=dict)
    _read_offset: dict[Any, int] = field(default_factory=dict)
    highwaters: dict[Any, int] = field(default_factory=dict)
    seeks: list[tuple[Any, int]] = field(default_factory=list)

    async def seek(self, tp: Any, offset: int) -> None:
        self.seeks.append((tp, offset))
        self._read_offset[tp] = offset

    def assignment(self) -> set[Any]:
        return set(self._committed_offset) | set(self._read_offset)

    def highwater(self, tp: Any) -> int | None:
        return self.highwaters.get(tp)

    async def earliest_offsets(self, *tps: Any) -> dict[Any, int]:
        return {tp: 0 for tp in tps}


@dataclass
class _FlowControl:
    active: bool = True

    def is_active(self) -> bool:
        return self.active


@dataclass
class _App:
    consumer: _Consumer
    consumer_generation_id: int = 1
    rebalancing: bool = False
    flow_control: _FlowControl = field(default_factory=_FlowControl)


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


async def _sweep_after_idle(continuity: Continuity, clock: list[float]) -> None:
    """Three sweeps, 10 s apart: notes the generation, suspects the unseen records, acts."""
    await continuity.sweep()
    for _ in range(2):
        clock[0] += 10.0
        await continuity.sweep()


def _clocked(monkeypatch: Any) -> list[float]:
    clock = [1000.0]
    monkeypatch.setattr("pipeline.agents.time.monotonic", lambda: clock[0])
    return clock


async def test_a_lost_tail_is_read_again_once_the_agent_is_idle(monkeypatch: Any) -> None:
    """Fetched up to 107, processed up to 31: after the idle time, seek back to 32."""
    clock = _clocked(monkeypatch)
    app = _App(_Consumer({TP: 0}, {TP: 107}, {TP: 109}))
    continuity = Continuity(app, [TP.topic], idle_after=5.0)  # type: ignore[arg-type]
    await continuity.check(_events(*range(32)))
    await continuity.sweep()
    assert app.consumer.seeks == []  # not idle long enough yet
    await _sweep_after_idle(continuity, clock)
    assert app.consumer.seeks == [(TP, 32)]


async def test_a_tail_lost_right_after_assignment_is_read_from_the_committed_offset(monkeypatch: Any) -> None:
    """Nothing reached the agent in this generation: the committed offset is where to go back to."""
    clock = _clocked(monkeypatch)
    app = _App(_Consumer({TP: 32}, {TP: 108}, {TP: 109}))
    continuity = Continuity(app, [TP.topic], idle_after=5.0)  # type: ignore[arg-type]
    await _sweep_after_idle(continuity, clock)
    assert app.consumer.seeks == [(TP, 32)]


async def test_a_caught_up_or_busy_or_rebalancing_agent_is_left_alone(monkeypatch: Any) -> None:
    clock = _clocked(monkeypatch)
    other = TopicPartition("wire.other", 0)
    app = _App(_Consumer({TP: 0, other: 0}, {TP: 9, other: 50}, {TP: 10, other: 60}))
    continuity = Continuity(app, [TP.topic], idle_after=5.0)  # type: ignore[arg-type]
    await continuity.check(_events(*range(10)))
    await _sweep_after_idle(continuity, clock)
    assert app.consumer.seeks == []  # caught up; and wire.other is not an agent topic of ours

    app.consumer._read_offset[TP] = 20
    with continuity.processing(TP.topic):
        for _ in range(3):
            clock[0] += 10.0
            await continuity.sweep()
    assert app.consumer.seeks == []  # inside a batch: its queue may hold the records
    app.rebalancing = True
    for _ in range(3):
        clock[0] += 10.0
        await continuity.sweep()
    assert app.consumer.seeks == []
    app.rebalancing = False
    clock[0] += 10.0
    await continuity.sweep()
    assert app.consumer.seeks == []  # first seen unprocessed: probably on its way
    clock[0] += 10.0
    await continuity.sweep()
    assert app.consumer.seeks == [(TP, 10)]


async def test_records_fetched_a_moment_ago_are_not_a_lost_tail(monkeypatch: Any) -> None:
    """A long-idle agent; new records were just fetched and reach it before the next sweep."""
    clock = _clocked(monkeypatch)
    app = _App(_Consumer({TP: 0}, {TP: 9}, {TP: 10}))
    continuity = Continuity(app, [TP.topic], idle_after=5.0)  # type: ignore[arg-type]
    await continuity.check(_events(*range(10)))
    await _sweep_after_idle(continuity, clock)
    app.consumer._read_offset[TP], app.consumer.highwaters[TP] = 16, 17  # fetched just now
    clock[0] += 60.0
    await continuity.sweep()
    clock[0] += 1.0
    await continuity.check(_events(*range(10, 17)))
    with continuity.processing(TP.topic):
        clock[0] += 1.0
    clock[0] += 5.0
    await continuity.sweep()
    assert app.consumer.seeks == []


async def test_a_tail_that_never_comes_back_is_sought_a_bounded_number_of_times(monkeypatch: Any) -> None:
    clock = _clocked(monkeypatch)
    app = _App(_Consumer({TP: 5}, {TP: 5}, {TP: 9}))
    continuity = Continuity(app, [TP.topic], idle_after=5.0)  # type: ignore[arg-type]
    await continuity.sweep()
    for _ in range(20):
        clock[0] += 10.0
        await continuity.sweep()
    assert app.consumer.seeks == [(TP, 5)] * continuity.max_tail_seeks


async def test_records_waiting_behind_another_partitions_batch_are_not_a_lost_tail(monkeypatch: Any) -> None:
    """The agent just finished a batch of partition 1; partition 0's records wait in its queue."""
    clock = _clocked(monkeypatch)
    tp1 = TopicPartition(TP.topic, 1)
    app = _App(_Consumer({TP: 0, tp1: 0}, {TP: 12, tp1: 3}, {TP: 13, tp1: 4}))
    continuity = Continuity(app, [TP.topic], idle_after=5.0)  # type: ignore[arg-type]
    await continuity.sweep()
    clock[0] += 10.0  # a long first batch (models loading), on partition 1 only
    events = [_Event(_Message(tp1, o)) for o in range(4)]
    await continuity.check(events)
    with continuity.processing(TP.topic):
        clock[0] += 10.0
    await continuity.sweep()
    assert app.consumer.seeks == []
