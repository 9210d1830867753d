"""The Faust consumer subclass: pinned to the Faust it was written against; commits follow the ledger."""

from __future__ import annotations

import inspect
from collections import defaultdict
from importlib.metadata import version
from typing import Any, cast

import pytest
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from intervaltree import IntervalTree

from pipeline.delivery.consumer import UNKNOWN_MEMBER_ID, LedgerConsumer, LedgerConsumerThread
from pipeline.delivery.ledger import Ledger, Verdict


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


class _ThreadThatFetchesDuringTheSeek:
    """The consumer thread's side of a seek, as it happens under load: it applies the seek, then
    answers a fetch (records from the new position) before the seek returns to the loop."""

    def __init__(self, consumer: LedgerConsumer, tp: TP, answered: list[int]) -> None:
        self.consumer, self.tp, self.answered = consumer, tp, answered

    async def seek_wait(self, partitions: dict[TP, int]) -> None:
        self.consumer.ledger.fetched(self.tp, self.answered, trusted=False)
        self.consumer._fetches += 1


async def test_a_seek_overtaken_by_a_fetch_leaves_the_position_unknown(consumer: LedgerConsumer) -> None:
    """Faust seeks to 135 from another task; the thread answers a fetch of 135..152 before the seek
    returns, and those records never reach the agent (Faust dropped them). The client now reads from
    153: the next fetch must not read as "135..152 hold no record" (that skipped them for good) but
    as a hole, read again by a seek of our own."""
    tp = TP("wire.raw", 0)
    ledger = consumer.ledger
    ledger.assigned(tp, 135)
    consumer._seek_epoch = consumer._seeks_running = consumer._fetches = 0
    consumer._thread = _ThreadThatFetchesDuringTheSeek(consumer, tp, list(range(135, 153)))
    await consumer.seek_wait({tp: 135})
    ledger.fetched(tp, [153, 154], trusted=True)
    assert ledger.admit(tp, 153) is Verdict.HOLE
    assert ledger.due_seeks() == {tp: 135}
    assert ledger.stats.gaps_learned == 0


class _ThreadThatRefusesNegativeOffsets:
    """aiokafka's ``seek`` raises ValueError on a negative offset; the thread records what it is asked."""

    def __init__(self) -> None:
        self.asked: list[dict[TP, int]] = []

    async def seek_wait(self, partitions: dict[TP, int]) -> None:
        if any(not isinstance(offset, int) or offset < 0 for offset in partitions.values()):
            raise ValueError("Offset must be a positive integer")
        self.asked.append(dict(partitions))


async def test_a_recovery_seek_below_minus_one_reads_from_the_start(consumer: LedgerConsumer) -> None:
    """Faust's recovery maps -1 to 0 but may ask for lower ("offset - 1" of an unknown start); that
    crashed the Recovery service and the worker (chaos run s9). Any negative offset is the log start."""
    changelog, data = TP("app-stories-changelog", 1), TP("wire.raw", 0)
    consumer.ledger.assigned(data, 40)
    consumer._seek_epoch = consumer._seeks_running = consumer._fetches = 0
    thread = _ThreadThatRefusesNegativeOffsets()
    consumer._thread = thread
    await consumer.seek_wait({changelog: -2, data: 40})
    assert thread.asked == [{changelog: 0, data: 40}]


async def test_a_recovery_seek_to_an_unknown_offset_reads_from_the_start(consumer: LedgerConsumer) -> None:
    """Faust's recovery may ask for None (no offset known for a changelog partition): that crashed the
    Recovery service and the worker (chaos run s34). An unknown offset is the log start."""
    changelog, data = TP("app-stories-changelog", 2), TP("wire.raw", 0)
    consumer.ledger.assigned(data, 40)
    consumer._seek_epoch = consumer._seeks_running = consumer._fetches = 0
    thread = _ThreadThatRefusesNegativeOffsets()
    consumer._thread = thread
    await consumer.seek_wait(cast(dict[TP, int], {changelog: None, data: 40}))
    assert thread.asked == [{changelog: 0, data: 40}]


class _Coordinator:
    """aiokafka's group coordinator, as far as the commit guard reads it."""

    def __init__(self, member_id: str) -> None:
        self.member_id = member_id
        self._session_timeout_ms = 10_000
        self.beats_ok = True
        self.joined: list[int] = []

    async def _do_heartbeat(self) -> bool:
        return self.beats_ok

    async def _on_join_complete(self, generation: int, *args: object) -> None:
        self.joined.append(generation)


class _AiokafkaConsumer:
    def __init__(self, member_id: str) -> None:
        self._coordinator = _Coordinator(member_id)
        self.committed: list[dict[Any, Any]] = []

    async def commit(self, offsets: dict[Any, Any]) -> None:
        self.committed.append(offsets)


def _thread(member_id: str, assigned: set[TP]) -> tuple[LedgerConsumerThread, _AiokafkaConsumer]:
    thread = object.__new__(LedgerConsumerThread)
    client = _AiokafkaConsumer(member_id)
    thread._ensure_consumer = lambda: client  # type: ignore[method-assign]
    thread.assignment = lambda: assigned  # type: ignore[method-assign]
    thread.tp_last_committed_at = {}
    return thread, client


async def test_a_member_the_group_no_longer_knows_commits_nothing() -> None:
    """A worker back from a pause past the session timeout revokes its partitions; its revocation
    commit would write old offsets over the new owner's (the embedded broker takes it: offsets went
    back in a chaos run). With its member id reset it commits nothing; a member commits as Faust does."""
    tp = TP("wire.parsed", 0)
    expired, client = _thread(UNKNOWN_MEMBER_ID, {tp})
    assert await expired._commit({tp: 116}) is False
    assert client.committed == []
    member, client = _thread("faust-member-1", {tp})
    assert await member._commit({tp: 214}) is True
    assert [{(k.topic, k.partition): v.offset for k, v in c.items()} for c in client.committed] == [
        {("wire.parsed", 0): 214}
    ]


async def test_no_commit_from_a_member_the_group_has_not_confirmed_for_a_session() -> None:
    """A worker resumed after a pause longer than the session timeout commits nothing before the
    group confirms it again (its partitions are another member's by then)."""
    from pipeline.delivery.consumer import UNKNOWN_MEMBER_ID, may_commit, stamp_heartbeats

    now = [100.0]
    coordinator = _Coordinator("member-1")
    stamp_heartbeats(coordinator, clock=lambda: now[0])
    assert may_commit(coordinator, now[0]) is None
    now[0] += 9.0  # within the session: fine
    assert may_commit(coordinator, now[0]) is None
    now[0] += 6.0  # paused (SIGSTOP) past the 10 s session since it was last confirmed
    assert "not confirmed this member for 15.0 s" in (may_commit(coordinator, now[0]) or "")
    coordinator.beats_ok = False
    assert not await coordinator._do_heartbeat()  # a refused heartbeat confirms nothing
    assert may_commit(coordinator, now[0]) is not None
    coordinator.beats_ok = True
    assert await coordinator._do_heartbeat()
    assert may_commit(coordinator, now[0]) is None
    now[0] += 30.0  # a long rebalance: the join that ends it confirms the member
    await coordinator._on_join_complete(7, "member-1", "range", b"")
    assert coordinator.joined == [7]
    assert may_commit(coordinator, now[0]) is None
    coordinator.member_id = UNKNOWN_MEMBER_ID
    assert may_commit(coordinator, now[0]) == "this member is no longer in the group"


async def test_resuming_a_flow_that_runs_keeps_the_records_on_the_agents_queues() -> None:
    """Faust resumes the flow twice after an assignment; the second resume (the flow already
    running, the fetcher handing out records from the committed offsets) must not clear the
    agents' queues -- a resume after a suspension still does, as in Faust."""
    from mode.utils.queues import FlowControlEvent, FlowControlQueue

    from pipeline.delivery.consumer import LedgerApp, ResumeKeepsRecords

    flow = ResumeKeepsRecords()
    queue: FlowControlQueue[int] = FlowControlQueue(flow_control=flow, clear_on_resume=True)
    flow.resume()  # the first resume, after the rebalance suspended the flow
    await queue.put(12)
    await queue.put(13)
    flow.resume()  # recovery is over: the flow already runs
    assert [queue.get_nowait(), queue.get_nowait()] == [12, 13]

    await queue.put(14)
    flow.suspend()  # a rebalance: Faust clears the queues itself, and again when it resumes
    flow.resume()
    assert queue.empty()

    # Faust's own flow control clears on every resume: what this class is for
    plain = FlowControlEvent(initially_suspended=False)
    plain_queue: FlowControlQueue[int] = FlowControlQueue(flow_control=plain, clear_on_resume=True)
    await plain_queue.put(12)
    plain.resume()
    assert plain_queue.empty()

    app = LedgerApp("wirefeed-test-flow")
    assert isinstance(app.flow_control, ResumeKeepsRecords)


# In a child process: a Faust app makes event loops and sockets this process would have to tear down.
_FETCH_WAIT = """
import asyncio, pathlib, tempfile
from pipeline.app import create_app
from pipeline.delivery.consumer import ledger_consumer
from pipeline.settings import Settings

async def main():
    env = {"WIREFEED_FETCH_MAX_WAIT_MS": "37", "WIREFEED_BROKER": "kafka://127.0.0.1:1",
           "WIREFEED_DATA_DIR": tempfile.mkdtemp()}
    consumer = ledger_consumer(create_app(Settings.from_env(env)))
    client = consumer._thread._create_worker_consumer(consumer.transport)
    print(client._fetch_max_wait_ms)

asyncio.run(main())
"""


def test_the_worker_consumer_fetches_with_the_configured_wait() -> None:
    """``WIREFEED_FETCH_MAX_WAIT_MS`` reaches the aiokafka consumer that Faust's consumer thread makes."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FETCH_WAIT], capture_output=True, timeout=120, check=True, text=True)
    assert done.stdout.split()[-1] == "37"
