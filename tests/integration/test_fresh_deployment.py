"""A fresh deployment as a new user makes it: a new app id, two workers started together,
3,000 Reuters-21578 dispatches ingested, one worker SIGKILLed 15 s later and a replacement
started. Every dispatch must get its outcome (``wirefeed audit``: missing 0) and no agent
may crash on the way (issue 9: this scenario lost a dispatch, or stalled, on a fresh app).

The workers run without the statistical NER model (WIREFEED_SPACY_MODELS=none): the test
is about delivery, not entity recognition, and that makes enrichment about twice as fast,
which keeps this test near a minute instead of three on two cores. The rest of enrichment
(language, places, subjects, quotes, dates) runs as in production.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time

import pytest

from pipeline.audit import Reconciler
from pipeline.kafka import read
from tests.corpus_files import require_corpus
from tests.integration.conftest import Pipeline

pytestmark = [pytest.mark.broker, pytest.mark.corpus]

CRASH = re.compile(r"Crashed reason=|^Traceback \(most recent call last\)", re.M)


async def _accounted(pipeline: Pipeline) -> tuple[int, Reconciler]:
    reconciler = Reconciler(pipeline.names.raw, pipeline.names.articles)
    async for record in read(pipeline.bootstrap, pipeline.names.outcomes(), idle_timeout=0.3):
        reconciler.add(record)
    return sum(1 for coord in reconciler.parts_seen if reconciler.is_accounted(coord)), reconciler


async def test_a_fresh_deployment_survives_a_killed_worker(pipeline: Pipeline) -> None:
    """2 workers on a new app id, 3,000 dispatches, SIGKILL one 15 s after the ingest, replace it:
    missing 0 within the deadline, and no agent crash or traceback in any worker log."""
    corpus = require_corpus("reuters21578")
    files = [str(corpus / f"reut2-00{n}.sgm") for n in range(3)]
    pipeline.env["WIREFEED_PARTITIONS"] = "4"  # the default a new user gets
    pipeline.env["WIREFEED_SPACY_MODELS"] = "none"
    pipeline.start_worker()
    pipeline.start_worker()
    ingest = pipeline.cli("ingest", *files, timeout=300)
    assert ingest.returncode == 0, ingest.stderr.decode()[-2000:]
    await asyncio.sleep(15)

    victim = pipeline.workers[0]
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    pipeline.start_worker()  # the replacement (its own log file: worker-3.log)
    pipeline.workers.remove(victim)

    deadline = time.monotonic() + 420
    done = 0
    while time.monotonic() < deadline:
        done, _ = await _accounted(pipeline)
        if done >= 3000:
            break
        for proc in pipeline.workers:
            assert proc.poll() is None, f"a worker exited with {proc.returncode}"
        await asyncio.sleep(2)

    audit = pipeline.cli("audit")
    summary = json.loads(audit.stdout)
    logs = {n: pipeline.worker_log(n) for n in (1, 2, 3)}
    crashes = {n: [m.group(0) for m in CRASH.finditer(text)] for n, text in logs.items()}
    assert (summary["raw"], summary["missing"]) == (3000, 0), (summary, done)
    assert audit.returncode == 0
    assert not any(crashes.values()), {n: _around(logs[n], CRASH) for n, found in crashes.items() if found}


def _around(text: str, pattern: re.Pattern[str]) -> str:
    match = pattern.search(text)
    return text[max(match.start() - 300, 0) : match.start() + 1500] if match else ""
