"""Records Faust fetched but never handed to the agent are read again, in order, on a real worker.

Faust drops records around rebalances, recovery and flow control; the ``drop`` failpoint
drops them at the same place (after the client returned them, before the agent gets them)
so the test does not depend on the timing of a rebalance.
"""

from __future__ import annotations

import pytest

from pipeline.records import Provenance
from pipeline.stages.flow import decode_cleaned
from tests.integration.conftest import Pipeline, assert_commits_have_outcomes

pytestmark = pytest.mark.broker


def _story(n: int) -> bytes:
    return (
        f"Lakeside Courier\n\nItem {n} of the lakeside series\n\n"
        f"LAKESIDE - Paragraph about item {n}, with enough words to be a body paragraph.\n"
    ).encode()


async def test_a_one_record_hole_and_a_lost_tail_are_read_again_in_order(lean_pipeline: Pipeline) -> None:
    """Offset 3 (records follow it) and offset 9 (the last; dropped again in the re-read after the hole)
    never reach the agent: both get their outcome, the parse stage still sees the partition in offset
    order, and nothing is committed past a missing one."""
    pipeline = lean_pipeline
    pipeline.env.update({"WIREFEED_PARTITIONS": "1", "WIREFEED_FAILPOINTS": "drop=wire.raw:0:3,drop=wire.raw:0:9*2"})
    headers = (("content-type", b"text/plain; charset=utf-8"), ("wf_source", b"lakeside"))
    coords = await pipeline.produce([(_story(n), headers) for n in range(10)])
    assert coords == [(0, n) for n in range(10)]
    pipeline.start_worker()
    records = await pipeline.outcomes_for(coords, timeout=180)
    accounted = {int(dict(r.headers)["wf_raw_offset"]) for r in records}
    assert accounted == set(range(10))
    log = pipeline.worker_log()
    assert "records from offset 3 never reached the agent (hole" in log
    assert "records from offset 9 never reached the agent (tail" in log
    assert "failpoint drop" in log
    # the first stage published the raw records in offset order, the re-read one included
    order = []
    async for record in _read(pipeline, pipeline.names.parsed):
        prov: Provenance | None = decode_cleaned(record.value).raw.provenance
        assert prov is not None
        if prov.offset not in order:
            order.append(prov.offset)
    assert order == list(range(10))
    await assert_commits_have_outcomes(pipeline)


async def _read(pipeline: Pipeline, topic: str):  # type: ignore[no-untyped-def]
    from pipeline.kafka import read

    async for record in read(pipeline.bootstrap, [topic], idle_timeout=0.3):
        yield record
