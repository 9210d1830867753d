"""Breaks: the offsets a fetch response's batches skip, reported by aiokafka's own record reader."""

from __future__ import annotations

import inspect
import struct

from aiokafka import TopicPartition
from aiokafka.consumer import fetcher
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.memory_records import MemoryRecords

from pipeline.delivery import breaks
from pipeline.delivery.ledger import BREAK_REPEATS

TP = TopicPartition("t.breaks", 3)


def _batch(base: int, count: int) -> bytes:
    """A v2 record batch of ``count`` records from offset ``base`` (as a broker stores it)."""
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=0,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    for delta in range(count):
        builder.append(delta, timestamp=None, key=None, value=b"v%d" % delta, headers=[])
    data = bytearray(builder.build())
    struct.pack_into(">q", data, 0, base)  # the base offset: the broker's to set, outside the CRC
    return bytes(data)


def _read(fetch_offset: int, *batches: tuple[int, int]) -> tuple[list[int], list[tuple[int, int]]]:
    """The offsets aiokafka hands out for a response of ``batches`` (base, count), and the breaks."""
    breaks.install()
    breaks.take(TP.topic, TP.partition)
    records = MemoryRecords(b"".join(_batch(base, count) for base, count in batches))
    read = fetcher.PartitionRecords(TP, records, [], fetch_offset, None, None, True, fetcher.READ_UNCOMMITTED)
    return [record.offset for record in read], breaks.take(TP.topic, TP.partition)


def test_batches_that_follow_one_another_have_no_break() -> None:
    assert _read(10, (10, 3), (13, 2)) == ([10, 11, 12, 13, 14], [])


def test_a_fetch_from_the_middle_of_a_batch_has_no_break() -> None:
    """The broker returns the batch holding the offset; aiokafka drops the records before it."""
    assert _read(10, (8, 4), (12, 1)) == ([10, 11, 12], [])


def test_a_batch_after_a_missing_one_is_a_break() -> None:
    """The embedded broker's late batch: 12..15 not in the response, 16 and 17 are."""
    assert _read(10, (10, 2), (16, 2)) == ([10, 11, 16, 17], [(12, 16)])


def test_a_response_that_starts_after_the_fetch_offset_is_a_break() -> None:
    assert _read(10, (14, 2)) == ([14, 15], [(10, 14)])


def test_installing_twice_reports_once() -> None:
    breaks.install()
    assert _read(0, (0, 1), (5, 1)) == ([0, 5], [(1, 5)])


def test_pinned_to_the_aiokafka_record_reader_it_wraps() -> None:
    """``install`` relies on PartitionRecords' arguments and on its generator reading ``self._records``."""
    original = inspect.getsource(fetcher.PartitionRecords)
    assert "records = self._records" in original and "records.next_batch()" in original
    assert "while records.has_next()" in original


class _Reader:
    """What ``Follower`` asks of a consumer: its assignment, and seeks (recorded)."""

    def __init__(self) -> None:
        self.sought: list[tuple[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.sought.append((tp, offset))


def test_a_follower_puts_back_the_records_past_a_break_and_reads_again_from_it() -> None:
    """Real records of a response with a late batch: 10, 11 kept; 16, 17 dropped; a seek to 12."""
    reader = _Reader()
    follower = breaks.Follower(reader)
    breaks.take(TP.topic, TP.partition)
    records = MemoryRecords(_batch(10, 2) + _batch(16, 2))
    got = list(fetcher.PartitionRecords(TP, records, [], 10, None, None, True, fetcher.READ_UNCOMMITTED))
    batch = follower.complete({TP: got})
    assert [r.offset for r in batch[TP]] == [10, 11]
    assert reader.sought == [(TP, 12)]


def test_a_follower_believes_a_break_the_re_reads_keep_showing() -> None:
    """The same break on every read (compaction removed the batch): after BREAK_REPEATS reads it is let through."""
    reader = _Reader()
    follower = breaks.Follower(reader)
    breaks.take(TP.topic, TP.partition)
    kept = []
    for _ in range(BREAK_REPEATS):
        records = MemoryRecords(_batch(16, 2))
        got = list(fetcher.PartitionRecords(TP, records, [], 12, None, None, True, fetcher.READ_UNCOMMITTED))
        kept.append([r.offset for r in follower.complete({TP: got})[TP]])
    assert kept == [[]] * (BREAK_REPEATS - 1) + [[16, 17]]
    assert reader.sought == [(TP, 12)] * (BREAK_REPEATS - 1)
