"""What the feeders have sent, kept in Kafka: items are sent once, across restarts.

**Decision: the state lives in a compacted topic** (``wire.feeders``, prefix applied),
not in a local file: a poller or watcher then runs anywhere (a container without a
volume, a replacement on another host) and picks up where the last one stopped, and the
state is as durable as the dispatches themselves. The topic is small -- one record per
item and per feed -- and is read whole at start.

Records (JSON values, string keys; a key's last record is its state):

    seen|<scope>|<item key>   {"type": "seen", "revision", "digest", "at", "id"}
    cursor|<scope>            {"type": "cursor", "etag", "last_modified", "at"}   (HTTP validators)
    pending|<scope>|<batch>   {"type": "pending", "ids": {ingest id: [key, revision, digest]},
                               "offsets": {partition: wire.raw end offset before the batch}}
    (a null value deletes the key: a finished batch, an expired item)

``scope`` is one feed ("poll:<name>") or one drop folder ("watch:<name>").

**No item twice, none lost, through a crash at any point.** A batch is sent as: a
``pending`` record naming the batch's ingest ids and the current end offsets of
``wire.raw`` (acknowledged) -> the dispatches, each carrying its id in the
``wf_ingest_id`` header (acknowledged) -> ``seen`` records -> the ``pending`` record
deleted. On start, a ``pending`` record still there means a feeder stopped inside that
window; ``wire.raw`` is read from the recorded offsets for the batch's ids, and the ones
found are marked seen. The ones not found were never sent: they are sent when next seen
(HTTP validators are stored only after a batch's items are seen, so the next poll
fetches the document again instead of getting a 304).

Expiry: an item not seen for ``expire_days`` is forgotten (if a feed lists it again
after that, it is sent again); items a feed keeps listing are refreshed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson
from aiokafka import TopicPartition

from pipeline.feeders.items import FeedItem
from pipeline.kafka import end_offsets, ensure_topics, producer, read
from pipeline.settings import Settings
from pipeline.sources import SourceDispatch
from pipeline.topics import TopicNames, topic_configs

log = logging.getLogger(__name__)

#: the logical name of the state topic
TOPIC = "wire.feeders"
INGEST_ID_HEADER = "wf_ingest_id"
#: the topic keeps the last record of each key (and deletes tombstones after a day)
TOPIC_CONFIG = {"cleanup.policy": "compact", "delete.retention.ms": str(86_400_000)}

#: produces dispatches to wire.raw; returns each one's (partition, offset), None when refused
Send = Callable[[Sequence[SourceDispatch]], Awaitable[Sequence[tuple[int, int] | None]]]


@dataclass(frozen=True, slots=True)
class Seen:
    revision: str
    digest: str
    at: float


def ingest_id(scope: str, item: FeedItem) -> str:
    """The id in the ``wf_ingest_id`` header: one item of one scope at one revision."""
    text = "\x1f".join((scope, item.key, item.revision, item.digest))
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()[:32]


class Journal:
    """The feeders' state: read at ``start``, written as batches are sent."""

    def __init__(self, settings: Settings, scopes: Iterable[str], *, expire_days: float = 30.0) -> None:
        self.settings = settings
        self.bootstrap = settings.bootstrap_servers
        self.names = TopicNames.with_prefix(settings.topic_prefix)
        self.topic = settings.topic(TOPIC)
        self.scopes = frozenset(scopes)
        self.expire = expire_days * 86400.0
        self._seen: dict[tuple[str, str], Seen] = {}
        self._cursors: dict[str, dict[str, Any]] = {}
        self._pending: dict[str, dict[str, Any]] = {}  # record key -> value
        self._producer: Any = None
        self._producer_cm: Any = None
        self.recovered = 0  # items of unfinished batches found in wire.raw at start

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        # the pipeline's topics as the ingest path creates them (their per-topic settings)
        configs = topic_configs(self.settings)
        await ensure_topics(
            self.bootstrap, self.names.all(), self.settings.partitions, self.settings.replication, configs=configs
        )
        await ensure_topics(self.bootstrap, [self.topic], 1, self.settings.replication, TOPIC_CONFIG)
        self._producer_cm = producer(self.bootstrap)
        self._producer = await self._producer_cm.__aenter__()
        await self._load()
        await self._recover()
        await self._expire()

    async def stop(self) -> None:
        if self._producer_cm is not None:
            await self._producer_cm.__aexit__(None, None, None)
            self._producer_cm = self._producer = None

    async def __aenter__(self) -> Journal:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _load(self) -> None:
        count = 0
        async for record in read(self.bootstrap, [self.topic], idle_timeout=0.3):
            count += 1
            key = (record.key or b"").decode("utf-8", errors="replace")
            kind, _, rest = key.partition("|")
            scope, _, item = rest.partition("|")
            value = orjson.loads(record.value) if record.value else None
            if kind == "seen":
                if value is None:
                    self._seen.pop((scope, item), None)
                else:
                    self._seen[(scope, item)] = Seen(value.get("revision", ""), value.get("digest", ""), value["at"])
            elif kind == "cursor":
                if value is None:
                    self._cursors.pop(scope, None)
                else:
                    self._cursors[scope] = value
            elif kind == "pending":
                if value is None:
                    self._pending.pop(key, None)
                else:
                    self._pending[key] = value
        log.info(
            "%s: %d records, %d items seen, %d feeds, %d unfinished batches",
            self.topic,
            count,
            len(self._seen),
            len(self._cursors),
            len(self._pending),
        )

    async def _recover(self) -> None:
        """Finish the batches a stopped feeder left: mark seen what reached wire.raw."""
        mine = {k: v for k, v in self._pending.items() if k.split("|")[1] in self.scopes}
        if not mine:
            return
        wanted: dict[str, tuple[str, list[str]]] = {}
        start: dict[TopicPartition, int] = {}
        for key, value in mine.items():
            scope = key.split("|")[1]
            for ident, entry in value["ids"].items():
                wanted[ident] = (scope, entry)
            for partition, offset in value["offsets"].items():
                tp = TopicPartition(self.names.raw, int(partition))
                start[tp] = min(offset, start.get(tp, offset))
        found: dict[str, tuple[int, int]] = {}
        async for record in read(self.bootstrap, [self.names.raw], idle_timeout=0.5, start=start):
            for name, raw_value in record.headers or ():
                if name == INGEST_ID_HEADER:
                    ident = raw_value.decode("ascii", errors="replace")
                    if ident in wanted and ident not in found:
                        found[ident] = (record.partition, record.offset)
        marks: list[tuple[str, dict[str, Any] | None]] = []
        for ident, (partition, offset) in found.items():
            scope, (item_key, revision, digest) = wanted[ident]
            marks.append(self._seen_record(scope, item_key, revision, digest, ident, (partition, offset)))
        marks += [(key, None) for key in mine]
        await self._write(marks)
        for key in mine:
            self._pending.pop(key, None)
        self.recovered = len(found)
        log.warning(
            "recovered %d unfinished batches: %d of their %d items had reached %s; the others will be sent again",
            len(mine),
            len(found),
            len(wanted),
            self.names.raw,
        )

    async def _expire(self) -> None:
        cutoff = time.time() - self.expire
        old = [k for k, seen in self._seen.items() if k[0] in self.scopes and seen.at < cutoff]
        if old:
            await self._write([(f"seen|{scope}|{item}", None) for scope, item in old])
            for k in old:
                del self._seen[k]
            log.info("forgot %d items not seen for %.0f days", len(old), self.expire / 86400)

    # ------------------------------------------------------------------ questions

    def seen(self, scope: str, key: str) -> Seen | None:
        return self._seen.get((scope, key))

    def cursor(self, scope: str) -> dict[str, Any]:
        return self._cursors.get(scope, {})

    def is_new(self, scope: str, item: FeedItem, updates: str = "revision") -> bool:
        """Whether ``item`` is to be sent: never seen, or changed as ``updates`` says.

        ``revision``: sent again when its declared revision changed (or, for an item without
        an id, its bytes -- those are its key); ``content``: also when its bytes changed;
        ``never``: only the first time."""
        seen = self._seen.get((scope, item.key))
        if seen is None:
            return True
        if updates == "never":
            return False
        if seen.revision != item.revision:
            return True
        return updates == "content" and seen.digest != item.digest

    # ------------------------------------------------------------------ writing

    async def send(self, scope: str, items: Sequence[FeedItem], send: Send) -> list[tuple[int, int] | None]:
        """Send ``items`` through ``send`` (which produces to wire.raw), exactly once.

        An item ``send`` refused (None: over the size limit) is marked seen all the same:
        sending it again would be refused again."""
        if not items:
            return []
        batch = uuid.uuid4().hex[:16]
        ids = [ingest_id(scope, item) for item in items]
        offsets = await end_offsets(self.bootstrap, [self.names.raw])
        pending_key = f"pending|{scope}|{batch}"
        pending = {
            "type": "pending",
            "at": time.time(),
            "ids": {i: [item.key, item.revision, item.digest] for i, item in zip(ids, items, strict=True)},
            "offsets": {str(tp.partition): offset for tp, offset in offsets.items()},
        }
        await self._write([(pending_key, pending)])
        dispatches = [
            replace(item.dispatch, extra=(*item.dispatch.extra, (INGEST_ID_HEADER, i.encode())))
            for i, item in zip(ids, items, strict=True)
        ]
        coords = list(await send(dispatches))
        marks = [
            self._seen_record(scope, item.key, item.revision, item.digest, i, coord)
            for i, item, coord in zip(ids, items, coords, strict=True)
        ]
        await self._write([*marks, (pending_key, None)])
        return coords

    async def touch(self, scope: str, items: Iterable[FeedItem]) -> None:
        """Refresh items a feed still lists, so that they do not expire while listed."""
        cutoff = time.time() - self.expire / 2
        stale = [i for i in items if (seen := self._seen.get((scope, i.key))) is not None and seen.at < cutoff]
        if stale:
            await self._write(
                [self._seen_record(scope, i.key, i.revision, i.digest, ingest_id(scope, i), None) for i in stale]
            )

    async def replace_seen(self, scope: str, keys: Sequence[str], item: FeedItem) -> None:
        """Mark ``item`` seen and forget ``keys`` (a file's dispatches, once the file is done).

        The new mark is written before the old ones are deleted: stopped in between, both
        say the same thing."""
        records: list[tuple[str, dict[str, Any] | None]] = [
            self._seen_record(scope, item.key, item.revision, item.digest, ingest_id(scope, item), None)
        ]
        for key in keys:
            if self._seen.pop((scope, key), None) is not None:
                records.append((f"seen|{scope}|{key}", None))
        await self._write(records)

    async def set_cursor(self, scope: str, etag: str | None, last_modified: str | None) -> None:
        value = {"type": "cursor", "etag": etag, "last_modified": last_modified, "at": time.time()}
        if (
            self._cursors.get(scope, {}).get("etag") == etag
            and self._cursors.get(scope, {}).get("last_modified") == last_modified
        ):
            return
        await self._write([(f"cursor|{scope}", value)])
        self._cursors[scope] = value

    def _seen_record(
        self, scope: str, key: str, revision: str, digest: str, ident: str, coord: tuple[int, int] | None
    ) -> tuple[str, dict[str, Any]]:
        now = time.time()
        self._seen[(scope, key)] = Seen(revision, digest, now)
        value: dict[str, Any] = {"type": "seen", "revision": revision, "digest": digest, "at": now, "id": ident}
        if coord is not None:
            value["raw"] = list(coord)
        return f"seen|{scope}|{key}", value

    async def _write(self, records: Sequence[tuple[str, dict[str, Any] | None]]) -> None:
        """Write state records and wait until the broker has them all."""
        futures = [
            await self._producer.send(
                self.topic, orjson.dumps(value) if value is not None else None, key=key.encode("utf-8")
            )
            for key, value in records
        ]
        await asyncio.gather(*futures)
