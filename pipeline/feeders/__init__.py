"""Feeders: the ways dispatches come in besides ``wirefeed ingest`` of local files.

    poll.py     ``wirefeed poll``: HTTP feeds (RSS/Atom, ninjs and other JSON APIs,
                NewsML-G2) on a schedule, conditional GET, retries with backoff and jitter
    watch.py    ``wirefeed watch``: a drop folder where FTP/SFTP deliveries land
    items.py    a fetched document as items: one dispatch per item, with its identity
    journal.py  what was sent, in a compacted Kafka topic: nothing twice, nothing lost,
                across restarts

Both feeders produce through the same path as ``wirefeed ingest`` (``pipeline.ingest``:
headers, keys, size limit), one dispatch per item, each with a ``wf_ingest_id`` header.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipeline.settings import Settings
from pipeline.sources import SourceDispatch

if TYPE_CHECKING:
    from pipeline.feeders.journal import Send

log = logging.getLogger(__name__)


def raw_sender(settings: Settings, *, source: str | None, agency: str | None) -> Send:
    """A ``journal.Send``: produce dispatches to wire.raw as ``wirefeed ingest`` does."""
    from pipeline.ingest import produce_dispatches
    from pipeline.topics import TopicNames

    names = TopicNames.with_prefix(settings.topic_prefix)

    async def send(dispatches: Sequence[SourceDispatch]) -> list[tuple[int, int] | None]:
        refused: list[tuple[str, int]] = []
        sent = iter(
            await produce_dispatches(
                settings.bootstrap_servers,
                names,
                settings,
                dispatches,
                source=source,
                agency=agency,
                rate=None,
                progress=None,
                refused=refused,
            )
        )
        skipped = Counter(name for name, _ in refused)
        coords: list[tuple[int, int] | None] = []
        for dispatch in dispatches:  # the coordinates in the order sent, None where refused
            if skipped[dispatch.input]:
                skipped[dispatch.input] -= 1
                coords.append(None)
            else:
                coords.append(next(sent))
        for name, size in refused:
            log.warning(
                "%s: %d bytes, over the size limit (WIREFEED_MAX_MESSAGE_BYTES=%d): not sent",
                name,
                size,
                settings.max_message_bytes,
            )
        return coords

    return send
