"""`wirefeed ingest` of a Reuters-21578 file into a running worker: 1,000 outcomes, none missing."""

from __future__ import annotations

import json

import pytest

from tests.corpus_files import require_corpus
from tests.integration.conftest import Pipeline

pytestmark = [pytest.mark.broker, pytest.mark.corpus]


async def test_ingest_reut2_000_yields_1000_outcomes(pipeline: Pipeline) -> None:
    """Each <REUTERS> element is one raw record, and each ends in an article or a dead letter."""
    sgm = require_corpus("reuters21578", "reut2-000.sgm")
    pipeline.start_worker()
    ingest = pipeline.cli("ingest", str(sgm))
    assert ingest.returncode == 0, ingest.stderr.decode()
    assert "ingested 1000 dispatches" in ingest.stderr.decode()
    await pipeline.outcomes(expected_raw=1000, timeout=600)
    audit = pipeline.cli("audit")
    summary = json.loads(audit.stdout)
    assert audit.returncode == 0, summary
    assert summary["raw"] == 1000
    assert summary["missing"] == 0
    # copies in the file (re-sends of a story) are recorded on wire.duplicates, not published twice
    assert summary["articles"] + summary["deadletters"] + summary["duplicate_records"] >= 1000
    assert summary["articles_by_format"].get("reuters21578", 0) + summary["duplicate_records"] >= 990
