"""Producing dispatches to ``wire.raw``: what ``wirefeed ingest`` and ``wirefeed run`` do.

Each dispatch is sent with the ``wire.raw`` headers of its source (schemas/wire.raw/) and
the broker's acknowledgement is awaited; the (partition, offset) of every record is
returned so callers can follow its outcome. A dispatch over the size limit
(``WIREFEED_MAX_MESSAGE_BYTES``) is not sent: it is reported back as refused, with its
size, so that the caller can say so (the pipeline could not carry it anyway).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from pipeline.console import Progress
from pipeline.settings import Settings
from pipeline.topics import TopicNames


async def produce_dispatches(
    bootstrap: str,
    names: TopicNames,
    settings: Settings,
    dispatches: Sequence[Any],
    *,
    source: str | None,
    agency: str | None,
    rate: float | None,
    progress: Progress | None,
    refused: list[tuple[str, int]] | None = None,
) -> list[tuple[int, int]]:
    """Produce ``dispatches`` to wire.raw; returns their (partition, offset) coordinates.

    Dispatches over the size limit are skipped and appended to ``refused`` as (input, size).
    """
    from pipeline.kafka import ensure_topics, producer

    await ensure_topics(bootstrap, names.all(), settings.partitions, settings.replication)
    start = time.monotonic()
    futures = []
    async with producer(bootstrap) as prod:
        for i, dispatch in enumerate(dispatches):
            if rate:
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            if len(dispatch.value) > settings.max_message_bytes:
                if refused is not None:
                    refused.append((dispatch.input, len(dispatch.value)))
                continue
            headers = list(dispatch.headers(source=source, agency=agency))
            key = None
            futures.append(await prod.send(names.raw, dispatch.value, key=key, headers=headers))
            if progress:
                progress.update()
        results = await asyncio.gather(*futures)
    if progress:
        progress.close()
    return [(md.partition, md.offset) for md in results]
