"""Stage functions with a fault on cue, for the stage-process tests (``WIREFEED_STAGES``).

The production stages, except that the parse stage hangs on a dispatch that says
``HANG-THE-STAGE`` and kills its own process on one that says ``CRASH-THE-STAGE`` -- what a
catastrophic regular expression or a crash in a native library does, on demand.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace

from pipeline.records import RawDispatch
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
