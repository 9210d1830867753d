"""Producing dispatches to ``wire.raw``: what ``wirefeed ingest`` and ``wirefeed run`` do.

Each dispatch is sent with the ``wire.raw`` headers of its source (schemas/wire.raw/) and
the broker's acknowledgement is awaited; the (partition, offset) of every record is
returned so callers can follow its outcome. A send the broker does not acknowledge for a
transient reason (timeout, connection lost, leader moving) is sent again, with backoff, for up
to ``WIREFEED_PUBLISH_BUDGET`` seconds, so one slow request does not end a long ingest; a
record sent again after a timeout may already be stored (at least once: the worker's
deterministic ids make the copy a redelivery) and may land after later records of its story
(the story desk orders versions by the source's own numbering). Records are keyed by story (``story_key``) so
that the versions of a story stay in order. A dispatch over the size limit
(``WIREFEED_MAX_MESSAGE_BYTES``) is not sent: it is reported back as refused, with its
size, so that the caller can say so (the pipeline could not carry it anyway).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from typing import Any

from pipeline.console import Progress
from pipeline.records import Headers, RawDispatch, header_value
from pipeline.settings import Settings
from pipeline.topics import TopicNames, topic_configs

log = logging.getLogger(__name__)


def story_key(value: bytes, headers: Headers) -> bytes | None:
    """The ``wire.raw`` key of a dispatch: its story's identity, so that every version of a story
    lands on one partition and is processed in order, to the output.

    A dispatch that carries one item with the source's own id (NewsML-G2 guid, NITF doc-id,
    ninjs uri, RSS guid ...) is keyed by the article uri that id gives -- the key the article
    itself gets; otherwise (no id, several items, not parseable here) by its feed
    (``wf_source``), which keeps a feed in order. The dispatch is parsed to find out, not
    cleaned; parsing is a few milliseconds, and what fails here fails again, and is reported,
    in the pipeline.
    """
    from pipeline.stages.flow import parse_dispatch
    from pipeline.stages.normalise import story_uri

    try:
        items = list(parse_dispatch(RawDispatch(value, headers)))
    except Exception:  # not ours to judge here: the worker dead-letters it with the reason
        items = []
    if len(items) == 1 and items[0].guid:
        return story_uri(items[0]).encode("utf-8")
    feed = header_value(headers, "wf_source")
    return f"feed:{feed}".encode() if feed else None


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
    producer_options: dict[str, Any] | None = None,
) -> list[tuple[int, int]]:
    """Produce ``dispatches`` to wire.raw; returns their (partition, offset) coordinates.

    Dispatches over the size limit are skipped and appended to ``refused`` as (input, size).
    ``producer_options`` go to the aiokafka producer (e.g. ``request_timeout_ms``).
    """
    from pipeline.kafka import ensure_topics, producer

    configs = topic_configs(settings)
    await ensure_topics(bootstrap, names.all(), settings.partitions, settings.replication, configs=configs)
    start = time.monotonic()
    futures = []
    async with producer(bootstrap, **(producer_options or {})) as prod:
        for i, dispatch in enumerate(dispatches):
            if rate:
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            if len(dispatch.value) > settings.max_message_bytes:
                if refused is not None:
                    refused.append((dispatch.input, len(dispatch.value)))
                continue
            headers = dispatch.headers(source=source, agency=agency)
            key = story_key(dispatch.value, headers)
            record = (dispatch.value, key, list(headers))
            futures.append((record, await _send(prod, names.raw, record, settings.publish_budget)))
            if progress:
                progress.update()
        results = [
            await _acknowledged(prod, names.raw, record, future, settings.publish_budget) for record, future in futures
        ]
    if progress:
        progress.close()
    return [(md.partition, md.offset) for md in results]


_Record = tuple[bytes, bytes | None, list[tuple[str, bytes]]]


async def _send(prod: Any, topic: str, record: _Record, budget: float) -> asyncio.Future[Any]:
    """Queue one record; a transient refusal to queue it (metadata, buffer) is retried."""
    value, key, headers = record
    return await _retrying(lambda: prod.send(topic, value, key=key, headers=headers), budget)


async def _acknowledged(prod: Any, topic: str, record: _Record, future: asyncio.Future[Any], budget: float) -> Any:
    """The broker's acknowledgement of a queued record; on a transient failure, the record is sent again."""
    from pipeline.delivery.failures import Disposition, classify

    try:
        return await future
    except Exception as exc:
        if classify(exc) is not Disposition.RETRY:
            raise
        log.warning("ingest: %s[?] not acknowledged (%s: %s); sending it again", topic, type(exc).__name__, exc)
    value, key, headers = record

    async def again() -> Any:
        return await (await prod.send(topic, value, key=key, headers=headers))

    return await _retrying(again, budget)


async def _retrying(call: Any, budget: float) -> Any:
    """``await call()``, again after a transient client error, with jittered backoff, until ``budget`` seconds."""
    from pipeline.delivery.failures import Disposition, classify

    deadline = time.monotonic() + budget
    delay = 0.2
    while True:
        try:
            return await call()
        except Exception as exc:
            if classify(exc) is not Disposition.RETRY or time.monotonic() + delay > deadline:
                raise
            log.warning(
                "ingest: the broker did not take a record (%s: %s); again in %.1f s", type(exc).__name__, exc, delay
            )
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, 10.0)
