"""Offset bookkeeping of our own: what has its outcome, what the broker has, where to seek.

Faust (0.15) acks an event when the agent's loop body returns, whatever happened to the
outcome, and it can drop records it fetched around rebalances, table recovery and flow
control (see ``pipeline.delivery.consumer``). This ledger is the single source of truth
for commits and for re-reading, one ``PartitionState`` per topic-partition:

    offsets   0 ........ done ........ cursor ............ returned_max
              |  outcome published     |  handed to the    |  records the client
              |  (or no record there)  |  agent, in flight |  fetched, not yet seen
                                       |                   |  by the agent (on their way,
                                       |                   |  or dropped by Faust)

* ``done``: every offset below it has its acknowledged outcome, or holds no record (a
  transaction marker, a compacted or deleted offset). It is what we commit -- never
  more, whatever Faust acked.
* ``cursor``: the next offset the agent may take. Records are taken strictly in offset
  order per partition: one before the cursor is a duplicate (skipped), one after it
  means the records in between were dropped or do not exist.
* Which offsets hold no record is learned from the client's own fetch stream, never
  assumed: the records aiokafka returns for a partition come in offset order, so a jump
  between two consecutive records (or between a seek target and the first record after
  it) is a gap the broker has no record for (``absent``) -- unless the broker's own batches
  leave it unaccounted for (a *break*, ``pipeline.delivery.breaks``: the embedded broker
  hands out a producer batch after later ones): a jump across a break is not learned, the
  records after it are a hole and a re-read finds what was skipped; a break that re-reads
  show ``BREAK_REPEATS`` times is believed (a batch compaction removed). A jump the stream
  does not explain is a hole: the agent skips what it got and we seek back to the cursor; the
  re-read both restores the dropped records and proves any gap (the first record after
  the seek target), so nothing is assumed contiguous and a marker never causes a seek.
* A tail Faust fetched but never handed over (nothing after it arrives) is seen when the
  agent is quiescent (no batch, empty queue) while ``returned_max >= cursor``: seek back.
* Where a partition starts is learned at every assignment, before anything is judged or
  committed: until the consumer reports the group's committed offset (or, with nothing
  committed, the position a reset reads from), the partition is *unsettled* -- no record of
  it is taken, no offset of it committed, no seek wanted. (Starting a new assignment at 0
  took the committed offset's record for a hole, re-read the partition's whole history and
  committed 0 over the group's offset: chaos-findings F9.)

Seeks are throttled per (partition, target): the first is immediate, a repeat waits
0.5 s, 1 s, 2 s ... up to 30 s, and one is "outstanding" until the client returns a
record for that partition again -- no seek storms. State is bounded: a few integers per
partition plus the known gaps ahead of the cursor (at most ``max_gaps``).

Pure Python, no Faust: the consumer subclass feeds it, the agents ask it.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

log = logging.getLogger(__name__)

TP = Hashable  # a topic-partition (Faust's TP / aiokafka's TopicPartition: .topic, .partition)

#: a jump across a break is believed (taken for a gap) when it is seen this many times
#: (the first read and the re-reads after it): the embedded broker's late batch is there on
#: the first re-read; a batch compaction removed stays away
BREAK_REPEATS = 3


class BreakCount:
    """How often each break (any hashable key) has been seen, up to ``BREAK_REPEATS``: then it
    is believed and forgotten. Bounded: at ``limit`` keys the counts start again."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: dict[Hashable, int] = {}

    def seen_again(self, key: Hashable) -> tuple[bool, int]:
        """Count ``key`` once more: (believed now, times seen)."""
        seen = self.seen.pop(key, 0) + 1
        if seen >= BREAK_REPEATS:
            return True, seen
        if len(self.seen) >= self.limit:
            self.seen.clear()
        self.seen[key] = seen
        return False, seen


class Verdict(Enum):
    TAKE = "take"  # the next record: process it
    DUPLICATE = "duplicate"  # already done (or in flight): skip
    HOLE = "hole"  # records before it are missing: skip it, a seek back is on its way
    UNSETTLED = "unsettled"  # where the assignment starts is not known yet: skip, judged once it is


@dataclass
class PartitionState:
    done: int = 0
    cursor: int = 0
    returned_max: int = -1
    #: where the client's stream continues (the offset after the last record it returned,
    #: or a seek target); None when a seek or reassignment we could not follow intervened
    fetched_to: int | None = None
    #: the start of the current assignment is known (``assigned``): until then nothing of
    #: this partition is judged, committed or sought
    settled: bool = False
    #: known gaps at or after ``cursor``: sorted, non-overlapping [lo, hi) offset ranges
    gaps: list[tuple[int, int]] = field(default_factory=list)
    #: a seek we want (applied at the next safe point) and the one last applied
    wanted_seek: int | None = None
    outstanding: int | None = None  # target of an applied seek no record has answered yet
    seek_target: int | None = None  # target of the latest seek attempts (for the backoff)
    seek_attempts: int = 0
    next_seek_at: float = 0.0
    last_progress: float = 0.0  # monotonic time ``done`` last moved
    #: jumps across a break not believed yet, by their [lo, hi)
    breaks_seen: BreakCount = field(default_factory=lambda: BreakCount(64))


@dataclass
class LedgerStats:
    holes: int = 0
    tail_losses: int = 0
    seeks: int = 0
    gaps_learned: int = 0
    duplicates: int = 0
    breaks: int = 0  # jumps across a break, not taken for gaps


class Ledger:
    """Per-partition delivery state for the topics our agents read (see the module docstring)."""

    def __init__(
        self,
        topics: Iterable[str] = (),
        *,
        clock: Callable[[], float] = time.monotonic,
        max_gaps: int = 4096,
        max_backoff: float = 30.0,
    ) -> None:
        self.topics = set(topics)
        self.clock = clock
        self.max_gaps = max_gaps
        self.max_backoff = max_backoff
        self.parts: dict[TP, PartitionState] = {}
        self.stats = LedgerStats()

    # ------------------------------------------------------------ what the consumer reports

    def tracks(self, tp: TP) -> bool:
        return getattr(tp, "topic", None) in self.topics

    def state(self, tp: TP) -> PartitionState:
        st = self.parts.get(tp)
        if st is None:
            st = self.parts[tp] = PartitionState(last_progress=self.clock())
        return st

    def reassigned(self, tps: Iterable[TP]) -> None:
        """A new assignment holds ``tps``: each is unsettled until ``assigned`` says where it starts.

        Also for a partition this member held before: another member may have processed and
        committed it meanwhile. Where the client reads from is not known either (the next
        record proves no gap), and no seek wanted before is still due.
        """
        for tp in tps:
            if self.tracks(tp):
                st = self.state(tp)
                st.settled = False
                st.fetched_to = None
                st.wanted_seek = st.outstanding = None

    def assigned(self, tp: TP, start: int | None) -> None:
        """Where ``tp`` starts for this assignment: the group's committed offset, or with nothing
        committed the position a reset reads from (None: 0, the records before the first one
        returned are then proved absent by one seek).

        ``done`` is a fact about the outcome topics, true whoever processed the records,
        so it only moves forward: to the committed offset if another member got further.
        A newly settled partition has nothing in flight (a rebalance waits for the batches
        taken before it), so its cursor is ``done``; settling again (Faust seeks back to the
        committed offsets at other times too) keeps what is in flight.
        """
        st = self.state(tp)
        base = max(start or 0, 0)
        if base > st.done:
            st.done = base
            st.gaps = _trim(st.gaps, base)
        if not st.settled:
            st.cursor = st.done
            st.settled = True
            st.last_progress = self.clock()  # "no progress since" counts from the assignment
        st.cursor = max(st.cursor, st.done)
        st.wanted_seek = st.outstanding = None

    def is_settled(self, tp: TP) -> bool:
        st = self.parts.get(tp)
        return st is not None and st.settled

    def sought(self, tp: TP, offset: int | None) -> None:
        """The client now reads ``tp`` from ``offset`` (None: from somewhere we do not know)."""
        if not self.tracks(tp):
            return
        st = self.state(tp)
        st.fetched_to = offset

    def fetched(self, tp: TP, offsets: Sequence[int], *, trusted: bool, breaks: Sequence[tuple[int, int]] = ()) -> None:
        """The client returned records at ``offsets`` (ascending) for ``tp``.

        ``trusted`` is False when a seek may have happened while the fetch was in flight:
        then the jump before the first record proves nothing (the records in the list come
        from one fetch response and their own jumps are gaps -- unless a break explains them).
        ``breaks``: [lo, hi) ranges the response's batches skipped without accounting for them
        (``pipeline.delivery.breaks``); a jump across one is not a gap until seen
        ``BREAK_REPEATS`` times.
        """
        if not offsets or not self.tracks(tp):
            return
        st = self.state(tp)
        previous = st.fetched_to if trusted else None
        for offset in offsets:
            if previous is not None and offset > previous:
                if breaks and any(lo < offset and hi > previous for lo, hi in breaks):
                    self._across_break(tp, st, previous, offset)
                else:
                    self._learn_gap(st, previous, offset)
            previous = offset + 1
        st.fetched_to = previous if trusted else None
        st.returned_max = max(st.returned_max, offsets[-1])
        st.outstanding = None  # the client answered: a seek, if any, took effect

    def _across_break(self, tp: TP, st: PartitionState, lo: int, hi: int) -> None:
        """A jump across a break: the records after it are a hole (read again) -- until the
        same jump has been seen ``BREAK_REPEATS`` times."""
        lo = max(lo, st.cursor)
        if lo >= hi:
            return
        self.stats.breaks += 1
        believed, seen = st.breaks_seen.seen_again((lo, hi))
        log.log(
            logging.WARNING if believed else logging.INFO,
            "%s[%d]: the broker's batches skip offsets %d..%d (seen %d times): %s",
            getattr(tp, "topic", tp),
            getattr(tp, "partition", -1),
            lo,
            hi - 1,
            seen,
            "taken as holding no record" if believed else "not taken for a gap",
        )
        if believed:
            self._learn_gap(st, lo, hi)

    def _learn_gap(self, st: PartitionState, lo: int, hi: int) -> None:
        lo = max(lo, st.cursor)
        if lo >= hi:
            return
        self.stats.gaps_learned += 1
        log.debug("offsets %d..%d hold no record (a jump in the fetch stream)", lo, hi - 1)
        index = bisect.bisect_left(st.gaps, (lo, hi))
        st.gaps.insert(index, (lo, hi))
        st.gaps = _merge(st.gaps)
        if len(st.gaps) > self.max_gaps:
            # forget the farthest: a later jump there is then resolved by a seek, not lost
            del st.gaps[self.max_gaps :]

    # ------------------------------------------------------------------- what the agent does

    def admit(self, tp: TP, offset: int) -> Verdict:
        """May the agent process the record at ``offset`` now? Takes it into flight if so."""
        st = self.state(tp)
        if not st.settled:
            return Verdict.UNSETTLED
        if offset < st.cursor:
            self.stats.duplicates += 1
            return Verdict.DUPLICATE
        if offset > st.cursor and not self._covered(st, st.cursor, offset):
            self._want_seek(tp, st, st.cursor, "hole", offset)
            return Verdict.HOLE
        st.gaps = _trim(st.gaps, offset + 1)
        st.cursor = offset + 1
        return Verdict.TAKE

    def complete(self, tp: TP, through: int) -> None:
        """Every taken record of ``tp`` up to ``through`` has its acknowledged outcome."""
        st = self.state(tp)
        if through + 1 > st.done:
            st.done = through + 1
            st.last_progress = self.clock()
        st.cursor = max(st.cursor, st.done)

    def rewind(self, tp: TP) -> None:
        """The taken records of ``tp`` were abandoned: take them again when they come back."""
        st = self.state(tp)
        st.cursor = st.done

    def commit_point(self, tp: TP) -> int | None:
        """The offset to commit for ``tp``; None while it is unsettled (``done`` may still be 0
        there, and committing it would move the group's offset back)."""
        st = self.parts.get(tp)
        return None if st is None or not st.settled else st.done

    # ------------------------------------------------------------------------------ seeks

    def tail_check(self, tp: TP) -> None:
        """The agent of ``tp`` is quiescent: records the client returned at or after the
        cursor never reached it (Faust dropped them); seek back."""
        st = self.parts.get(tp)
        if st is None or not st.settled or st.returned_max < st.cursor or st.outstanding is not None:
            return
        self._want_seek(tp, st, st.cursor, "tail", st.returned_max)

    def _want_seek(self, tp: TP, st: PartitionState, target: int, why: str, seen: int) -> None:
        if st.outstanding == target or st.wanted_seek == target:
            return
        if why == "hole":
            self.stats.holes += 1
        else:
            self.stats.tail_losses += 1
        st.wanted_seek = target
        log.warning(
            "%s[%d]: records from offset %d never reached the agent (%s; the client is at %d); reading them again",
            getattr(tp, "topic", tp),
            getattr(tp, "partition", -1),
            target,
            why,
            seen,
        )

    def due_seeks(self) -> dict[TP, int]:
        """Seeks to apply now (the caller applies them, then reports ``applied``)."""
        now = self.clock()
        due: dict[TP, int] = {}
        for tp, st in self.parts.items():
            if st.wanted_seek is None or not st.settled:
                continue
            if st.wanted_seek != st.seek_target:
                st.seek_target, st.seek_attempts, st.next_seek_at = st.wanted_seek, 0, now
            if now >= st.next_seek_at:
                due[tp] = st.wanted_seek
        return due

    def applied(self, tp: TP, offset: int, *, position_known: bool = True) -> None:
        """The seek to ``offset`` was made; ``position_known``: nothing but it moved the client
        meanwhile, so the first record after it proves the offsets before it absent."""
        st = self.state(tp)
        st.wanted_seek = None
        st.outstanding = offset
        st.fetched_to = offset if position_known else None
        st.seek_attempts += 1
        delay = min(0.5 * 2 ** (st.seek_attempts - 1), self.max_backoff)
        st.next_seek_at = self.clock() + delay
        self.stats.seeks += 1

    def forget(self, tps: Iterable[TP]) -> None:
        """Partitions revoked: drop what we want to do with them (the facts may stay)."""
        for tp in tps:
            st = self.parts.get(tp)
            if st is not None:
                st.wanted_seek = st.outstanding = None
                st.fetched_to = None

    def _covered(self, st: PartitionState, lo: int, hi: int) -> bool:
        """Is every offset in [lo, hi) a known gap?"""
        for g_lo, g_hi in st.gaps:
            if g_hi <= lo:
                continue
            if g_lo > lo:
                return False
            lo = g_hi
            if lo >= hi:
                return True
        return lo >= hi


def _merge(gaps: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in gaps:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _trim(gaps: list[tuple[int, int]], below: int) -> list[tuple[int, int]]:
    """The gaps at or after ``below`` (a gap straddling it is cut)."""
    out = []
    for lo, hi in gaps:
        if hi <= below:
            continue
        out.append((max(lo, below), hi))
    return out
