"""A dispatch that hangs the stage, and one that kills the stage process, on a real worker: the first
is dead-lettered after the time limit, the second set aside after two deaths, and every other dispatch
-- on that partition after them, and on the other one -- gets its article."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest

from pipeline.kafka import ensure_topics, producer
from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.broker

LIMIT = 5.0


def _story(n: int, cue: str = "") -> bytes:
    return (
        f"Bayside Bulletin\n\nBayside item {n}\n\n"
        f"BAYSIDE - Item {n} of the bulletin, with enough words to be a paragraph. {cue}\n"
    ).encode()


async def test_a_hanging_and_a_crashing_dispatch_are_set_aside_and_the_rest_goes_on(pipeline: Pipeline) -> None:
    pipeline.env.update(
        {
            "WIREFEED_STAGES": "tests.integration.faulty_stages:faulty",
            "WIREFEED_STAGE_TIME_LIMIT": str(LIMIT),
            "WIREFEED_SPACY_MODELS": "none",  # (a faster warm-up: this test is about the stage process)
        }
    )
    headers = [("content-type", b"text/plain; charset=utf-8"), ("wf_source", b"bayside")]
    # partition 0: 0 1 HANG 3 4, partition 1: 5 6 CRASH 8 9
    plan = [(0, _story(n, "HANG-THE-STAGE" if n == 2 else "")) for n in range(5)]
    plan += [(1, _story(n, "CRASH-THE-STAGE" if n == 7 else "")) for n in range(5, 10)]
    await ensure_topics(pipeline.bootstrap, pipeline.names.all(), 2)
    async with producer(pipeline.bootstrap) as prod:
        sent = [await prod.send(pipeline.names.raw, value, partition=p, headers=headers) for p, value in plan]
        coords = [(md.partition, md.offset) for md in await asyncio.gather(*sent)]
    hang, crash = coords[2], coords[7]
    pipeline.start_worker()
    started = time.monotonic()
    records = await pipeline.outcomes_for(coords, timeout=300)
    by_coord: dict[tuple[int, int], set[str]] = {}
    letters = {}
    for record in records:
        h = {k: v.decode() for k, v in record.headers}
        coord = (int(h["wf_raw_partition"]), int(h["wf_raw_offset"]))
        by_coord.setdefault(coord, set()).add(record.topic)
        if record.topic == pipeline.names.deadletter:
            letters[coord] = orjson.loads(record.value)
    assert by_coord[hang] == by_coord[crash] == {pipeline.names.deadletter}
    others = {c: by_coord[c] for c in coords if c not in (hang, crash)}
    assert all(topics == {pipeline.names.articles} for topics in others.values()), (others, letters)
    hung = letters[hang]["error"]
    assert (hung["class"], hung["stage"]) == ("TimeLimitError", "parse-clean")
    assert f"{LIMIT:g} s limit" in hung["reason"]
    crashed = letters[crash]["error"]
    assert (crashed["class"], crashed["stage"]) == ("QuarantinedError", "parse-clean")
    assert "died 2 times" in crashed["reason"]
    assert time.monotonic() - started < 240
    log = pipeline.worker_log()
    assert "died under this dispatch (1); trying it again" in log
    assert "did not start" not in log
