"""An exception in each path that used to ack a batch without its outcome (the table checkpoint, loading
the stages, schema validation, publishing): the batch is tried again, nothing is committed without its
outcome, and a batch that keeps failing stops the worker so that another one finishes it."""

from __future__ import annotations

import pytest

from pipeline.audit import Reconciler
from tests.integration.conftest import Pipeline, assert_commits_have_outcomes

pytestmark = pytest.mark.broker

PATHS = ("stage", "checkpoint", "validate", "publish")


def _dispatches(n: int, start: int = 0) -> list[tuple[bytes, tuple[tuple[str, bytes], ...]]]:
    headers = (("content-type", b"text/plain; charset=utf-8"), ("wf_source", b"hillside"))
    return [
        (
            f"Hillside Times\n\nReport {i} from the hill\n\n"
            f"HILLSIDE - Report number {i}, with enough words to be a body paragraph.\n".encode(),
            headers,
        )
        for i in range(start, start + n)
    ]


async def test_failures_in_every_path_are_retried_and_nothing_is_lost(lean_pipeline: Pipeline) -> None:
    """Each path fails once, then works: every dispatch has its outcome, once per id, none committed early."""
    pipeline = lean_pipeline
    # the counts are per worker, shared by the agents: the first batch may meet all of them
    pipeline.env.update(
        {"WIREFEED_FAILPOINTS": ",".join(f"{path}:2" for path in PATHS), "WIREFEED_BATCH_ATTEMPTS": "10"}
    )
    pipeline.start_worker()
    coords = await pipeline.produce(_dispatches(12))
    records = await pipeline.outcomes_for(coords, timeout=240)
    reconciler = Reconciler(pipeline.names.raw, pipeline.names.articles)
    by_id: dict[str, bytes] = {}
    for record in records:
        reconciler.add(record)
        ce_id = dict(record.headers)["ce_id"].decode()
        assert by_id.setdefault(ce_id, record.value) == record.value  # a re-send repeats, byte for byte
    assert reconciler.missing(coords) == []
    assert {r.topic for r in records} == {pipeline.names.articles}
    log = pipeline.worker_log()
    for path in PATHS:
        assert f"failpoint {path}: injecting a failure" in log, path
    assert "failed (1/10)" in log
    await assert_commits_have_outcomes(pipeline)


async def test_a_batch_that_keeps_failing_stops_the_worker_and_another_finishes_it(lean_pipeline: Pipeline) -> None:
    """The checkpoint always fails: the worker gives up (exit 70) with nothing committed past the batch; a
    worker without the fault then publishes every outcome."""
    pipeline = lean_pipeline
    pipeline.env.update({"WIREFEED_FAILPOINTS": "checkpoint", "WIREFEED_BATCH_ATTEMPTS": "2"})
    first = pipeline.start_worker()
    coords = await pipeline.produce(_dispatches(8))
    assert first.wait(180) == 70
    assert "stopping the worker (exit 70)" in pipeline.worker_log(1)
    await assert_commits_have_outcomes(pipeline)
    pipeline.workers.clear()
    del pipeline.env["WIREFEED_FAILPOINTS"]
    pipeline.start_worker()
    records = await pipeline.outcomes_for(coords, timeout=240)
    reconciler = Reconciler(pipeline.names.raw, pipeline.names.articles)
    for record in records:
        reconciler.add(record)
    assert reconciler.missing(coords) == []
    await assert_commits_have_outcomes(pipeline)
