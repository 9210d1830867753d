"""A worker that takes over partitions resumes where the group's commits stand, on a real worker.

chaos-findings F9: a replacement for a killed worker started every newly assigned partition
at offset 0, took the first record it got (at the committed offset) for a hole, sought back
to 0, processed the partition's whole history again and committed from 0: thousands of
duplicates per fault and committed offsets going backwards. The committed offset is where
a new owner starts; nothing below it is read again.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter

import pytest

from pipeline.kafka import read
from tests.integration.conftest import Pipeline, assert_commits_have_outcomes, committed_offsets

pytestmark = pytest.mark.broker


def _story(n: int) -> bytes:
    return (
        f"Harbour Gazette\n\nNotice {n} from the harbour office\n\n"
        f"PORTVILLE - Paragraph about notice {n}, with enough words to be a body paragraph.\n"
    ).encode()


HEADERS = (("content-type", b"text/plain; charset=utf-8"), ("wf_source", b"harbour"))


async def _all_committed(pipeline: Pipeline, timeout: float = 120.0) -> dict[str, dict[int, int | None]]:
    """Wait until the group's commits reach the end of every partition of the three input topics."""
    group = pipeline.env["WIREFEED_APP_ID"]
    names = pipeline.names
    deadline = time.monotonic() + timeout
    while True:
        ends: dict[str, dict[int, int]] = {}
        for topic in (names.raw, names.parsed, names.cleaned):
            ends[topic] = {}
            async for record in read(pipeline.bootstrap, [topic], idle_timeout=0.3):
                ends[topic][record.partition] = max(ends[topic].get(record.partition, 0), record.offset + 1)
        committed = {topic: await committed_offsets(pipeline.bootstrap, group, topic) for topic in ends}
        if all((committed[t].get(p) or 0) >= end for t in ends for p, end in ends[t].items()):
            return committed
        assert time.monotonic() < deadline, (committed, ends)
        await asyncio.sleep(1.0)


async def test_a_replacement_worker_resumes_at_the_committed_offsets(lean_pipeline: Pipeline) -> None:
    """Worker 1 processes 24 dispatches (commits at the end of every partition of every hop) and is
    SIGKILLed; worker 2 gets 8 more: it processes only those (each first record it reads is where the
    commit stands, not a hole), every outcome of the first 24 exists exactly once, and no committed
    offset goes back."""
    pipeline = lean_pipeline
    first = await pipeline.produce([(_story(n), HEADERS) for n in range(24)])
    pipeline.start_worker()
    await pipeline.outcomes_for(first, timeout=180)
    before = await _all_committed(pipeline)
    victim = pipeline.workers[0]
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)

    second = await pipeline.produce([(_story(n), HEADERS) for n in range(24, 32)])
    pipeline.start_worker()  # worker-2.log
    pipeline.workers.remove(victim)
    records = await pipeline.outcomes_for(first + second, timeout=180)
    after = await _all_committed(pipeline)

    per_raw = Counter((int(h["wf_raw_partition"]), int(h["wf_raw_offset"])) for h in (dict(r.headers) for r in records))
    assert set(per_raw) == set(first + second)
    assert [coord for coord, n in per_raw.items() if n != 1] == [], "outcomes published again"
    log = pipeline.worker_log(2)
    assert "never reached the agent" not in log, log[-3000:]
    for topic, partitions in before.items():
        for partition, offset in partitions.items():
            assert (after[topic].get(partition) or 0) >= (offset or 0), (topic, partition, offset, after[topic])
    await assert_commits_have_outcomes(pipeline)
