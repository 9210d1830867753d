"""A system-wide failure on a real worker (enrichment's model missing): the stage pauses and alerts on
wire.alerts instead of dead-lettering the feed, and resumes by itself once the cause is fixed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson
import pytest

from pipeline.kafka import read
from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.broker


def _story(n: int) -> bytes:
    return (
        f"Ridge Register\n\nRidge report {n}\n\n"
        f"RIDGE - Report {n} from the ridge, with enough words to be a body paragraph.\n"
    ).encode()


async def _alerts(pipeline: Pipeline) -> list[dict]:
    return [orjson.loads(r.value) async for r in read(pipeline.bootstrap, [pipeline.names.alerts], idle_timeout=0.3)]


async def _wait_for_alert(pipeline: Pipeline, kind: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [a for a in await _alerts(pipeline) if a["type"] == kind]
        if found:
            return found[0]
        assert pipeline.workers[0].poll() is None, pipeline.worker_log()[-3000:]
        await asyncio.sleep(1)
    raise AssertionError(f"no {kind} alert in {timeout} s:\n{pipeline.worker_log()[-3000:]}")


async def test_a_missing_model_pauses_the_stage_and_the_fix_resumes_it(pipeline: Pipeline, tmp_path: Path) -> None:
    flag = tmp_path / "model-installed"
    pipeline.env.update(
        {
            "WIREFEED_STAGES": "tests.integration.faulty_stages:model_missing_until_flag",
            "WIREFEED_TEST_FLAG": str(flag),
            "WIREFEED_SPACY_MODELS": "none",
            "WIREFEED_BREAKER_WINDOW": "10",
            "WIREFEED_BREAKER_MIN_FAILURES": "5",
            "WIREFEED_BREAKER_PROBE_FIRST": "1",
            "WIREFEED_BREAKER_PROBE_MAX": "3",
        }
    )
    headers = (("content-type", b"text/plain; charset=utf-8"), ("wf_source", b"ridge"))
    coords = await pipeline.produce([(_story(n), headers) for n in range(20)])
    pipeline.start_worker()
    opened = await _wait_for_alert(pipeline, "breaker-open", timeout=180)
    assert opened["stage"] == "enrich-emit"
    assert "OSError" in opened["signature"] and "Can't find model" in opened["signature"]
    await asyncio.sleep(5)  # paused: a few probes fail, nothing more is dead-lettered
    flag.touch()  # the fix
    closed = await _wait_for_alert(pipeline, "breaker-closed", timeout=120)
    assert closed["stage"] == "enrich-emit"
    records = await pipeline.outcomes_for(coords, timeout=180)
    dead = [orjson.loads(r.value)["error"] for r in records if r.topic == pipeline.names.deadletter]
    # at most the records of batches smaller than the breaker's minimum reached the dead letters
    assert len(dead) < 5, dead
    articles = {dict(r.headers)["ce_id"] for r in records if r.topic == pipeline.names.articles}
    assert len(articles) >= 16
    log = pipeline.worker_log()
    assert "enrich-emit paused" in log and "enrich-emit resumed" in log
