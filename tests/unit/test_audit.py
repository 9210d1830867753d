"""Reconciliation: which raw records have all their outcomes."""

from __future__ import annotations

from aiokafka import ConsumerRecord

from pipeline.audit import Reconciler


def _record(topic: str, partition: int, offset: int, part: str = "1/1", **extra: str) -> ConsumerRecord:
    headers = [
        ("wf_raw_topic", b"wire.raw"),
        ("wf_raw_partition", str(partition).encode()),
        ("wf_raw_offset", str(offset).encode()),
        ("wf_part", part.encode()),
    ]
    headers += [(k, v.encode()) for k, v in extra.items()]
    return ConsumerRecord(topic, 0, 0, 0, 0, None, b"{}", None, 0, 2, tuple(headers))


def test_all_parts_are_needed_and_duplicates_are_counted() -> None:
    """A two-item record is accounted only with both parts; a redelivered outcome is a duplicate."""
    rec = Reconciler("wire.raw", "wire.articles")
    rec.add(_record("wire.articles", 0, 1, "1/2", wf_format="newsml-g2"))
    assert not rec.is_accounted((0, 1))
    rec.add(_record("wire.deadletter", 0, 1, "2/2", wf_stage="enrich", wf_error_class="ContractError"))
    rec.add(_record("wire.articles", 0, 1, "1/2"))
    rec.add(_record("wire.articles", 1, 0))
    summary = rec.summary([(0, 1), (1, 0), (1, 1)])
    assert summary["raw"] == 3 and summary["accounted"] == 2 and summary["missing"] == 1
    assert summary["duplicates"] == 1
    assert summary["articles"] == 3 and summary["deadletters"] == 1
    assert summary["missing_examples"] == ["wire.raw[1]@1"]
    assert summary["deadletters_by_stage"] == {"enrich/ContractError": 1}


def test_outcomes_of_other_topics_are_foreign() -> None:
    """Outcomes that point at no raw record (e.g. replayed from elsewhere) do not account for any."""
    rec = Reconciler("t1.wire.raw", "t1.wire.articles")
    assert rec.add(_record("t1.wire.articles", 0, 0)) is None
    assert rec.summary([(0, 0)])["missing"] == 1 and rec.foreign == 1
