"""The broker gone for 30 s while a worker is publishing: nothing is committed without its outcome,
and the work resumes by itself when the broker is back.

Restarting the embedded broker would lose its data (tansu keeps records in memory), which no
real outage does; so the broker stays up and the network goes: every client connection
passes through a proxy (the broker advertises the proxy's address), and the proxy drops
every connection and refuses new ones for 30 s -- connection refused, as from a stopped
broker -- then accepts again.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from pipeline.audit import Reconciler
from pipeline.broker import EmbeddedBroker, free_port
from tests.integration.conftest import LEAN, Pipeline, _pipeline, assert_commits_have_outcomes
from tests.integration.netfault import Proxy

pytestmark = pytest.mark.broker

OUTAGE = 30.0


def _dispatches(n: int) -> list[tuple[bytes, tuple[tuple[str, bytes], ...]]]:
    headers = (("content-type", b"text/plain; charset=utf-8"), ("wf_source", b"valley"))
    return [
        (
            f"Valley Echo\n\nBulletin {i} from the valley\n\n"
            f"VALLEY - Bulletin number {i}, with enough words to be a body paragraph.\n".encode(),
            headers,
        )
        for i in range(n)
    ]


async def test_broker_gone_for_30_s_loses_nothing_and_work_resumes(tmp_path: Path) -> None:
    proxy_port = free_port()
    with EmbeddedBroker(log_file=tmp_path / "broker.log", advertise=f"127.0.0.1:{proxy_port}") as broker:
        proxy = Proxy(broker.host, broker.port, proxy_port).start()
        try:
            await _scenario(_through(_pipeline(broker, tmp_path), proxy_port), proxy)
        finally:
            proxy.stop()


def _through(pipeline: Pipeline, port: int) -> Pipeline:
    pipeline.env.update({**LEAN, "WIREFEED_BROKER": f"kafka://127.0.0.1:{port}"})
    return pipeline


async def _scenario(pipeline: Pipeline, proxy: Proxy) -> None:
    pipeline.start_worker()
    coords = await pipeline.produce(_dispatches(300))
    await pipeline.outcomes(expected_raw=20, timeout=180)  # the worker is busy publishing now
    proxy.cut()
    cut_at = time.monotonic()
    await asyncio.sleep(OUTAGE)
    assert pipeline.workers[0].poll() is None, "the worker rides out the outage"
    proxy.restore()
    await assert_commits_have_outcomes(pipeline)  # what was committed around the outage has outcomes
    records = await pipeline.outcomes_for(coords, timeout=300)
    reconciler = Reconciler(pipeline.names.raw, pipeline.names.articles)
    for record in records:
        reconciler.add(record)
    assert reconciler.missing(coords) == []
    await assert_commits_have_outcomes(pipeline)
    log = pipeline.worker_log()
    assert "Unable connect to node" in log, "the worker did lose the broker"
    assert time.monotonic() - cut_at > OUTAGE
    pipeline.stop_workers()
