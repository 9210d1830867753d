"""Small stage functions for the stage-process tests, loaded in the child by ``WIREFEED_STAGES``.

A dispatch's text is its headline; some texts are cues: ``hang`` never returns from parse,
``crash`` kills the stage process, ``slow-batch`` makes batch enrichment never return.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence

from pipeline.errors import ParseError
from pipeline.records import Block, Enrichment, ParsedItem, RawDispatch
from pipeline.settings import Settings
from pipeline.stages.flow import Stages


def _parse(raw: RawDispatch) -> list[ParsedItem]:
    text = raw.value.decode()
    if text == "hang":
        while True:
            time.sleep(1)
    if text == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    if text == "boom":
        raise ParseError("the tiny format says boom")
    return [ParsedItem(format="tiny", guid=f"tiny-{text}", headline=text, body=(Block(f"Body of {text}."),))]


def _enrich(item: ParsedItem) -> Enrichment:
    return Enrichment(language="en")


def _enrich_batch(items: Sequence[ParsedItem]) -> list[Enrichment]:
    if any(item.headline == "slow-batch" for item in items):
        while True:
            time.sleep(1)
    return [_enrich(item) for item in items]


def tiny(settings: Settings) -> Stages:
    return Stages(parse=_parse, clean=lambda item: item, enrich=_enrich, enrich_batch=_enrich_batch)


def broken(settings: Settings) -> Stages:
    raise OSError("[E050] Can't find model 'xx_no_such_model'")
