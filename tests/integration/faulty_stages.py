"""Stage functions with a fault on cue, for the stage-process tests (``WIREFEED_STAGES``).

``faulty``: the production stages, except that the parse stage hangs on a dispatch that
says ``HANG-THE-STAGE`` and kills its own process on one that says ``CRASH-THE-STAGE`` --
what a catastrophic regular expression or a crash in a native library does, on demand.
``model_missing_until_flag``: enrichment fails for every item as with a missing model,
until a file appears -- a system-wide failure, and its fix.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pipeline.records import Enrichment, ParsedItem, RawDispatch
from pipeline.settings import Settings
from pipeline.stages import flow
from pipeline.stages.flow import Stages


def faulty(settings: Settings) -> Stages:
    stages = flow.default_stages(settings)
    parse = stages.parse

    def parse_or_fail(raw: RawDispatch):  # type: ignore[no-untyped-def]
        if b"HANG-THE-STAGE" in raw.value:
            while True:  # never returns, never yields
                time.sleep(1)
        if b"CRASH-THE-STAGE" in raw.value:
            os.kill(os.getpid(), signal.SIGKILL)
        return parse(raw)

    return replace(stages, parse=parse_or_fail)


def model_missing_until_flag(settings: Settings) -> Stages:
    """Enrichment fails as with a missing model until the file ``WIREFEED_TEST_FLAG`` exists (the fix)."""
    stages = flow.default_stages(settings)
    flag = Path(os.environ["WIREFEED_TEST_FLAG"])

    def missing() -> OSError:
        return OSError("[E050] Can't find model 'xx_test_model'. It doesn't seem to be a Python package.")

    def enrich(item: ParsedItem) -> Enrichment:
        if not flag.exists():
            raise missing()
        return stages.enrich(item)

    def enrich_batch(items: Sequence[ParsedItem]) -> list[Enrichment]:
        if not flag.exists() or stages.enrich_batch is None:
            raise missing()
        return stages.enrich_batch(items)

    return replace(stages, enrich=enrich, enrich_batch=enrich_batch)
