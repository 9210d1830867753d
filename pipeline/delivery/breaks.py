"""Breaks: offsets a fetch response skips without a batch of its own to account for them.

The ledger learns which offsets hold no record from jumps in the client's fetch stream. On
Apache Kafka every jump is accounted for by the batches of the response: a transaction
marker or an aborted transaction is a batch that occupies its offsets, a batch keeps its
first and last offset when compaction removes records from it, and the batches of one
response follow one another. The embedded broker (tansu) does not do that: while several
producers write one partition, it hands out a producer batch after later ones, and a reader
is told nothing of the batch it skipped. Measured (4 producers on 1 partition, a reader
following them, 20 s): 2, 5 and 9 jumps of 4-8 offsets in 28,440, 43,560 and 66,900
records, every skipped offset there when read again; the reader had passed them and never
saw them. A jump across such a break is not a gap. The ledger took one for a gap, and
skipped the records for good: a fresh two-worker deployment lost 2 of 3,000 dispatches after
a worker was killed.

``install()`` wraps aiokafka's ``PartitionRecords`` (the records of one partition in one
fetch response) so that it reports each *break*: where the response's first batch starts
after the offset fetched from, or a batch starts after the end of the one before it. The
consumer collects the breaks with the records (``take``) and the ledger does not learn a
gap across one (``Ledger.fetched``): the records after it are a hole, read again by a seek.
A whole batch removed by compaction is a break too (on a compacted input topic; Kafka); the
ledger believes a break that a re-read shows again, several times (``Ledger.fetched``).
Plain readers (``pipeline.kafka.read``, the worker's topic replicas) keep complete with
``Follower``: the records after a break are put back and read again from the break.

Pinned to aiokafka 0.14 (``tests/unit/delivery/test_breaks.py``): ``PartitionRecords``
reads its batches through ``self._records`` (``has_next``, ``next_batch``) in a generator
that starts on the first record asked for.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from aiokafka.consumer import fetcher as _fetcher

from pipeline.delivery.ledger import BreakCount

#: breaks kept per partition until the consumer takes them (a partition nobody takes them
#: for -- another consumer's in the same process -- keeps only the latest)
KEEP = 256

_lock = threading.Lock()
_breaks: dict[tuple[str, int], deque[tuple[int, int]]] = {}


def _report(topic: str, partition: int, lo: int, hi: int) -> None:
    with _lock:
        found = _breaks.get((topic, partition))
        if found is None:
            found = _breaks[(topic, partition)] = deque(maxlen=KEEP)
        found.append((lo, hi))


def take(topic: str, partition: int) -> list[tuple[int, int]]:
    """The breaks reported for a partition since the last call, as [lo, hi) offset ranges."""
    if not _breaks:  # the usual case, on every fetch: no lock taken
        return []
    with _lock:
        found = _breaks.pop((topic, partition), None)
    return list(found) if found else []


class _Trail:
    """A partition's batches in one response, as ``PartitionRecords`` reads them; reports breaks."""

    __slots__ = ("_partition", "_records", "_to", "_topic")

    def __init__(self, records: Any, topic: str, partition: int, fetch_offset: int) -> None:
        self._records = records
        self._topic = topic
        self._partition = partition
        self._to = fetch_offset  # the offsets below it are accounted for

    def has_next(self) -> bool:
        return bool(self._records.has_next())

    def next_batch(self) -> Any:
        batch = self._records.next_batch()
        if batch is None:
            return batch
        base, after = getattr(batch, "base_offset", None), getattr(batch, "next_offset", None)
        if base is None or after is None:  # a format without batch offsets: nothing to tell
            return batch
        if base > self._to:
            _report(self._topic, self._partition, self._to, base)
        self._to = max(self._to, after)
        return batch

    def __getattr__(self, name: str) -> Any:  # anything else aiokafka asks of the records
        return getattr(self._records, name)


_installed = False


def install() -> None:
    """Make every ``PartitionRecords`` report its breaks (once per process)."""
    global _installed
    if _installed:
        return
    cls = _fetcher.PartitionRecords
    original = cls.__init__

    def __init__(self: Any, tp: Any, records: Any, aborted_transactions: Any, fetch_offset: int, *args: Any) -> None:
        original(self, tp, records, aborted_transactions, fetch_offset, *args)
        # the generator reads self._records when it starts, on the first record asked for
        self._records = _Trail(records, tp.topic, tp.partition, fetch_offset)

    cls.__init__ = __init__
    _installed = True


class Follower:
    """Keeps a plain consumer's records complete and in offset order across breaks: the
    records after a break are dropped and the partition is read again from the break. A
    break that re-reads show ``BREAK_REPEATS`` times is believed (a batch compaction removed)."""

    def __init__(self, consumer: Any) -> None:
        install()
        self.consumer = consumer
        self.seen = BreakCount(1024)

    def complete(self, batch: dict[Any, list[Any]]) -> dict[Any, list[Any]]:
        """``batch`` (aiokafka's ``getmany``) without the records past a break (sought back to it)."""
        for tp in list(self.consumer.assignment()):
            doubted = [lo for lo, hi in take(tp.topic, tp.partition) if not self.seen.seen_again((tp, lo, hi))[0]]
            cut = min(doubted, default=None)
            if cut is None:
                continue
            records = batch.get(tp)
            if records:
                records[:] = [record for record in records if record.offset < cut]
            self.consumer.seek(tp, cut)
        return batch
