"""The ledger: commits only what is done, learns gaps from the fetch stream, seeks without storms."""

from __future__ import annotations

import itertools

from aiokafka import TopicPartition

from pipeline.delivery.ledger import BREAK_REPEATS, Ledger, Verdict

TP = TopicPartition("wire.raw", 0)
OTHER = TopicPartition("wire.raw", 1)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _ledger(committed: int | None = 0) -> tuple[Ledger, Clock]:
    clock = Clock()
    ledger = Ledger(["wire.raw"], clock=clock)
    ledger.assigned(TP, committed)
    ledger.sought(TP, committed if committed else None)
    return ledger, clock


def _take(ledger: Ledger, *offsets: int) -> list[Verdict]:
    return [ledger.admit(TP, o) for o in offsets]


def test_only_completed_records_are_committed() -> None:
    """Records taken but not completed hold the commit point, however many follow."""
    ledger, _ = _ledger(10)
    ledger.fetched(TP, list(range(10, 20)), trusted=True)
    assert _take(ledger, *range(10, 15)) == [Verdict.TAKE] * 5
    assert ledger.commit_point(TP) == 10
    ledger.complete(TP, 14)
    assert ledger.commit_point(TP) == 15


def test_a_one_record_hole_is_never_committed_and_is_read_again() -> None:
    """Offset 12 was fetched but never handed over: 13 is not taken, nothing past 12 is committed, a seek to 12."""
    ledger, _ = _ledger(10)
    ledger.fetched(TP, list(range(10, 20)), trusted=True)
    assert _take(ledger, 10, 11) == [Verdict.TAKE, Verdict.TAKE]
    ledger.complete(TP, 11)
    assert _take(ledger, 13, 14) == [Verdict.HOLE, Verdict.HOLE]
    assert ledger.commit_point(TP) == 12
    assert ledger.due_seeks() == {TP: 12}
    ledger.applied(TP, 12)
    ledger.fetched(TP, list(range(12, 20)), trusted=True)
    assert _take(ledger, 12, 13, 14) == [Verdict.TAKE] * 3
    ledger.complete(TP, 14)
    assert ledger.commit_point(TP) == 15
    assert ledger.stats.holes == 1


def test_gaps_in_the_fetch_stream_are_not_holes_and_cause_no_seek() -> None:
    """Transaction markers: the client returns 10, 11, 13, 14, 16 (none at 12, 15): no seek, commits go past."""
    ledger, _ = _ledger(10)
    offsets = [10, 11, 13, 14, 16]
    ledger.fetched(TP, offsets, trusted=True)
    assert _take(ledger, *offsets) == [Verdict.TAKE] * 5
    ledger.complete(TP, 16)
    assert ledger.commit_point(TP) == 17
    assert ledger.due_seeks() == {}
    assert ledger.stats.seeks == 0 and ledger.stats.holes == 0


def test_a_marker_on_every_other_offset_of_a_long_stream_never_seeks() -> None:
    """10,000 records, each followed by a commit marker, in fetches of 100: not one seek."""
    ledger, _ = _ledger(0)
    records = list(range(0, 20_000, 2))
    for start in range(0, len(records), 100):
        chunk = records[start : start + 100]
        ledger.fetched(TP, chunk, trusted=True)
        assert all(ledger.admit(TP, o) is Verdict.TAKE for o in chunk)
        ledger.complete(TP, chunk[-1])
        ledger.tail_check(TP)
    assert ledger.commit_point(TP) == 19_999
    assert ledger.due_seeks() == {}
    assert ledger.stats.seeks == 0
    assert len(ledger.parts[TP].gaps) == 0  # bounded: gaps behind the cursor are forgotten


def test_a_gap_at_the_start_after_an_unknown_position_is_proved_by_one_seek() -> None:
    """No committed offset and the log starts at 500: one seek to 0 shows the first record is 500, then no more."""
    ledger, _ = _ledger(None)
    ledger.fetched(TP, [500, 501], trusted=True)  # position unknown: no gap evidence
    assert _take(ledger, 500, 501) == [Verdict.HOLE, Verdict.HOLE]
    assert ledger.due_seeks() == {TP: 0}
    ledger.applied(TP, 0)
    ledger.fetched(TP, [500, 501, 502], trusted=True)  # after the seek: 0..499 hold nothing
    assert _take(ledger, 500, 501, 502) == [Verdict.TAKE] * 3
    ledger.complete(TP, 502)
    assert ledger.commit_point(TP) == 503
    assert ledger.stats.seeks == 1


def test_an_untrusted_fetch_proves_no_gap_before_its_first_record() -> None:
    """A seek may have happened while the fetch was in flight: the jump before it is not evidence."""
    ledger, _ = _ledger(10)
    ledger.fetched(TP, [10, 11], trusted=True)
    ledger.fetched(TP, [15, 16], trusted=False)
    assert _take(ledger, 10, 11) == [Verdict.TAKE] * 2
    assert _take(ledger, 15) == [Verdict.HOLE]


def test_a_lost_tail_is_read_again_only_when_the_agent_is_quiescent_and_once() -> None:
    """The client returned up to 30, the agent got up to 20: a seek to 21, not repeated while it is outstanding."""
    ledger, clock = _ledger(0)
    ledger.fetched(TP, list(range(0, 31)), trusted=True)
    assert all(v is Verdict.TAKE for v in _take(ledger, *range(0, 21)))
    ledger.complete(TP, 20)
    ledger.tail_check(TP)
    assert ledger.due_seeks() == {TP: 21}
    ledger.applied(TP, 21)
    for _ in range(5):  # the re-read has not arrived yet: no new seek
        clock.now += 1
        ledger.tail_check(TP)
        assert ledger.due_seeks() == {}
    ledger.fetched(TP, list(range(21, 31)), trusted=True)
    assert all(v is Verdict.TAKE for v in _take(ledger, *range(21, 31)))
    ledger.complete(TP, 30)
    ledger.tail_check(TP)
    assert ledger.due_seeks() == {}
    assert (ledger.stats.tail_losses, ledger.stats.seeks) == (1, 1)


def test_repeated_seeks_to_the_same_offset_back_off() -> None:
    """Faust drops the same re-read again and again: seeks to it come at growing intervals, not in a storm."""
    ledger, clock = _ledger(0)
    ledger.fetched(TP, [0, 1, 2], trusted=True)
    times = []
    for _ in range(40):  # 40 safe points, 0.25 s apart = 10 s
        ledger.fetched(TP, [0, 1, 2], trusted=True)  # the client answers, Faust drops it
        ledger.tail_check(TP)
        if TP in ledger.due_seeks():
            ledger.applied(TP, 0)
            times.append(clock.now)
        clock.now += 0.25
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) <= 6
    assert gaps == sorted(gaps)


def test_duplicates_after_a_seek_back_are_skipped() -> None:
    """Records before the cursor are done (or in flight): a re-read does not process them twice."""
    ledger, _ = _ledger(0)
    ledger.fetched(TP, list(range(0, 10)), trusted=True)
    _take(ledger, *range(0, 10))
    ledger.complete(TP, 9)
    ledger.sought(TP, 3)
    ledger.fetched(TP, list(range(3, 12)), trusted=True)
    assert _take(ledger, 3, 4, 9) == [Verdict.DUPLICATE] * 3
    assert _take(ledger, 10, 11) == [Verdict.TAKE] * 2


def test_an_abandoned_batch_is_taken_again() -> None:
    """A batch that failed (or was cancelled) rewinds the cursor: the same records are taken again after a re-read."""
    ledger, _ = _ledger(0)
    ledger.fetched(TP, list(range(0, 5)), trusted=True)
    _take(ledger, *range(0, 5))
    ledger.rewind(TP)
    assert ledger.commit_point(TP) == 0
    ledger.tail_check(TP)
    assert ledger.due_seeks() == {TP: 0}


def test_committed_offset_of_another_member_moves_done_forward_only() -> None:
    """done is a fact: a lower committed offset after a rebalance does not undo it, a higher one advances it."""
    ledger, _ = _ledger(0)
    ledger.fetched(TP, list(range(0, 10)), trusted=True)
    _take(ledger, *range(0, 10))
    ledger.complete(TP, 9)
    ledger.assigned(TP, 4)
    assert ledger.commit_point(TP) == 10
    ledger.assigned(TP, 50)
    assert ledger.commit_point(TP) == 50
    assert _take(ledger, 49) == [Verdict.DUPLICATE]


def test_partitions_are_independent_and_untracked_topics_are_ignored() -> None:
    """A hole in one partition does not stop the other; records of other topics are not the ledger's business."""
    ledger, _ = _ledger(0)
    ledger.assigned(OTHER, 0)
    ledger.sought(OTHER, 0)
    ledger.fetched(OTHER, [0, 1], trusted=True)
    assert _take(ledger, 5) == [Verdict.HOLE]
    assert [ledger.admit(OTHER, o) for o in (0, 1)] == [Verdict.TAKE, Verdict.TAKE]
    changelog = TopicPartition("app-boilerplate-changelog", 0)
    ledger.fetched(changelog, [0, 7], trusted=True)
    assert changelog not in ledger.parts


def test_a_new_assignment_is_judged_from_the_committed_offset_not_from_zero() -> None:
    """chaos-findings F9: a partition given to a replacement worker is unsettled -- nothing taken,
    committed or sought -- until its start is known; then the committed offset's record is the next
    one, not a hole, and nothing below it is read again."""
    ledger = Ledger(["wire.raw"], clock=Clock())
    ledger.reassigned([TP])
    ledger.fetched(TP, [199, 200], trusted=False)  # the client reads from the group's offset
    assert ledger.commit_point(TP) is None  # never 0 over the group's 199
    assert _take(ledger, 199) == [Verdict.UNSETTLED]
    ledger.tail_check(TP)
    assert ledger.due_seeks() == {}
    ledger.assigned(TP, 199)
    ledger.sought(TP, 199)
    ledger.fetched(TP, [199, 200, 201], trusted=True)
    assert _take(ledger, 199, 200) == [Verdict.TAKE, Verdict.TAKE]
    assert ledger.commit_point(TP) == 199
    ledger.complete(TP, 200)
    assert ledger.commit_point(TP) == 201
    assert (ledger.stats.holes, ledger.stats.seeks, ledger.due_seeks()) == (0, 0, {})


def test_a_partition_back_from_another_member_resumes_where_that_member_committed() -> None:
    """Held, revoked, processed and committed further by another member, assigned back: done moves to
    the group's offset, nothing between our old done and it is re-read, and no seek back."""
    ledger, _ = _ledger(0)
    ledger.fetched(TP, list(range(0, 10)), trusted=True)
    _take(ledger, *range(0, 10))
    ledger.complete(TP, 9)
    ledger.forget([TP])
    ledger.reassigned([TP])
    assert ledger.commit_point(TP) is None
    ledger.assigned(TP, 60)
    ledger.sought(TP, 60)
    ledger.fetched(TP, [60, 61], trusted=True)
    assert _take(ledger, 60, 61) == [Verdict.TAKE, Verdict.TAKE]
    assert ledger.commit_point(TP) == 60
    assert (ledger.stats.holes, ledger.due_seeks()) == (0, {})


def test_a_lower_group_offset_at_reassignment_keeps_what_is_done_and_skips_it() -> None:
    """Our last commit did not reach the broker before the rebalance: the group says 4, we did 0..9.
    The client re-reads from 4; those records are duplicates (skipped), 10 is taken, 10 is committed."""
    ledger, _ = _ledger(0)
    ledger.fetched(TP, list(range(0, 10)), trusted=True)
    _take(ledger, *range(0, 10))
    ledger.complete(TP, 9)
    ledger.reassigned([TP])
    ledger.assigned(TP, 4)
    ledger.sought(TP, 4)
    ledger.fetched(TP, list(range(4, 12)), trusted=True)
    assert _take(ledger, *range(4, 12)) == [Verdict.DUPLICATE] * 6 + [Verdict.TAKE] * 2
    assert ledger.commit_point(TP) == 10


def test_with_nothing_committed_a_partition_starts_at_the_reset_position() -> None:
    """No committed offset: the start is where a reset reads (the log start, 40 after retention): the
    first record there is taken without a seek to 0."""
    ledger = Ledger(["wire.raw"], clock=Clock())
    ledger.reassigned([TP])
    ledger.assigned(TP, 40)
    ledger.fetched(TP, [40, 41], trusted=False)
    assert _take(ledger, 40, 41) == [Verdict.TAKE, Verdict.TAKE]
    assert (ledger.stats.holes, ledger.due_seeks()) == (0, {})


def test_a_jump_across_a_break_is_not_a_gap_the_records_after_it_are_read_again() -> None:
    """The broker's batches skip 12..15 (a batch it hands out late): 16 is a hole, a seek to 12 finds 12..15."""
    ledger, _ = _ledger(10)
    ledger.fetched(TP, [10, 11], trusted=True)
    ledger.fetched(TP, [16, 17], trusted=True, breaks=[(12, 16)])
    assert _take(ledger, 10, 11, 16, 17) == [Verdict.TAKE, Verdict.TAKE, Verdict.HOLE, Verdict.HOLE]
    ledger.complete(TP, 11)
    assert ledger.commit_point(TP) == 12
    assert ledger.due_seeks() == {TP: 12}
    ledger.applied(TP, 12)
    ledger.fetched(TP, list(range(12, 18)), trusted=True)
    assert _take(ledger, *range(12, 18)) == [Verdict.TAKE] * 6
    assert (ledger.stats.gaps_learned, ledger.stats.breaks, ledger.stats.holes) == (0, 1, 1)


def test_a_break_within_one_response_is_not_a_gap_either() -> None:
    """10, 11, 16, 17 in one response whose batches skip 12..15: 16 waits for 12..15."""
    ledger, _ = _ledger(10)
    ledger.fetched(TP, [10, 11, 16, 17], trusted=True, breaks=[(12, 16)])
    assert _take(ledger, 10, 11, 16) == [Verdict.TAKE, Verdict.TAKE, Verdict.HOLE]
    assert ledger.parts[TP].gaps == []


def test_a_jump_the_batches_account_for_is_a_gap_as_before() -> None:
    """A break elsewhere in the response does not stop a marker's gap from being learned."""
    ledger, _ = _ledger(10)
    ledger.fetched(TP, [10, 12, 20, 21], trusted=True, breaks=[(13, 20)])
    assert _take(ledger, 10, 12) == [Verdict.TAKE, Verdict.TAKE]
    assert _take(ledger, 20) == [Verdict.HOLE]
    assert ledger.stats.gaps_learned == 1


def test_a_break_every_re_read_shows_again_is_believed_at_last() -> None:
    """Compaction removed the batch at 12..15: after BREAK_REPEATS reads of the same jump it is a gap."""
    ledger, clock = _ledger(10)
    ledger.fetched(TP, [10, 11], trusted=True)
    assert _take(ledger, 10, 11) == [Verdict.TAKE] * 2
    ledger.complete(TP, 11)
    verdicts = []
    for _ in range(BREAK_REPEATS):
        ledger.fetched(TP, [16, 17], trusted=True, breaks=[(12, 16)])
        verdicts.append(ledger.admit(TP, 16))
        if verdicts[-1] is Verdict.HOLE:
            clock.now += 60
            (target,) = ledger.due_seeks().values()
            ledger.applied(TP, target)
    assert verdicts == [Verdict.HOLE] * (BREAK_REPEATS - 1) + [Verdict.TAKE]
    assert ledger.stats.seeks == BREAK_REPEATS - 1
