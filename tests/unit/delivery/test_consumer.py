"""The Faust consumer subclass: pinned to the Faust it was written against; commits follow the ledger."""

from __future__ import annotations

import inspect
from collections import defaultdict
from importlib.metadata import version

import pytest
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from intervaltree import IntervalTree

from pipeline.delivery.consumer import LedgerConsumer
from pipeline.delivery.ledger import Ledger


def test_pinned_to_the_faust_and_aiokafka_it_was_written_against() -> None:
    """The hooks rely on Faust internals (see pipeline/delivery/consumer.py): re-read them before upgrading."""
    assert version("faust-streaming") == "0.15.3"
    assert version("aiokafka").startswith("0.14.")


def test_every_hook_overrides_a_method_faust_has() -> None:
    """A renamed Faust method would silently bypass the ledger: every override must exist in the base class."""
    base = faust_aiokafka.Consumer
    own = {
        name
        for name, value in vars(LedgerConsumer).items()
        if callable(value) and not name.startswith(("__", "_wf_"))  # _wf_: our own helpers
    }
    assert own, "no hooks?"
    for name in own:
        original = getattr(base, name, None)
        assert original is not None, f"{name} is not a Faust consumer method"
        ours = getattr(LedgerConsumer, name)
        assert list(inspect.signature(ours).parameters)[:2] == list(inspect.signature(original).parameters)[:2], name


@pytest.fixture
def consumer() -> LedgerConsumer:
    """The commit bookkeeping of a consumer, without an app or a loop (those would open connections)."""
    consumer = object.__new__(LedgerConsumer)
    consumer.ledger = Ledger(["wire.raw"])
    consumer._acked = defaultdict(list)
    consumer._acked_index = defaultdict(set)
    consumer._committed_offset = defaultdict(lambda: None)
    consumer._gap = defaultdict(IntervalTree)
    return consumer


def test_commits_are_what_the_ledger_says_not_what_faust_acked(consumer: LedgerConsumer) -> None:
    """Faust acked 10..19 (a finally: block does that), the ledger saw outcomes up to 14: commit 15."""
    tp = TP("wire.raw", 0)
    ledger = consumer.ledger
    ledger.assigned(tp, 10)
    ledger.sought(tp, 10)
    ledger.fetched(tp, list(range(10, 20)), trusted=True)
    for offset in range(10, 20):
        ledger.admit(tp, offset)
    ledger.complete(tp, 14)
    consumer._acked[tp].extend(range(10, 20))
    consumer._acked_index[tp].update(range(10, 20))
    consumer._committed_offset[tp] = 10
    assert consumer._filter_committable_offsets(list(consumer._filter_tps_with_pending_acks())) == {tp: 15}
    assert consumer._acked[tp] == list(range(15, 20))  # Faust's own list does not grow without end


async def test_a_hole_faust_would_commit_over_is_not_committed(consumer: LedgerConsumer) -> None:
    """Faust's guard lets a one-record hole through (min(acked) - committed == 1); the ledger does not."""
    tp = TP("wire.raw", 1)
    consumer.ledger.assigned(tp, 10)
    consumer._committed_offset[tp] = 10
    consumer._acked[tp].extend([11, 12, 13])
    await consumer._add_gap(tp, 10, 10)  # what Faust records when the fetcher skips 10
    assert faust_aiokafka.Consumer._new_offset(consumer, tp) == 14  # Faust alone: commits past 10
    consumer._acked[tp][:] = [11, 12, 13]
    assert consumer._new_offset(tp) == 10
    assert consumer._filter_committable_offsets([tp]) == {}


def test_nothing_is_committed_for_a_partition_before_its_start_is_known(consumer: LedgerConsumer) -> None:
    """Faust's commit loop runs during recovery with no committed offset known for a newly assigned
    partition (``_should_commit`` then allows any offset): the ledger offers none until the start is
    settled, so the group's offset never goes back to 0 (chaos-findings F9)."""
    tp = TP("wire.raw", 2)
    consumer.ledger.reassigned([tp])
    assert consumer._filter_committable_offsets(list(consumer._filter_tps_with_pending_acks())) == {}
    consumer.ledger.assigned(tp, 199)
    assert consumer._filter_committable_offsets(list(consumer._filter_tps_with_pending_acks())) == {tp: 199}
