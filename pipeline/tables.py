"""The learned-boilerplate table: per-line state keys, each on its shard's partition.

The learn agent reads ``wire.parsed``, keyed by a source's learning shard; the state of a
shard is many small keys, each starting with the partition the shard's records are read
from (``pipeline/stages/boilerplate.py``). A stock Faust table puts a key's changelog
record either on the partition of the event being processed (``current_event()``, which
a batch of events does not set per record) or where the producer's partitioner hashes the
whole key (``use_partitioner=True``: a line key would hash anywhere). Either way a
restarted worker would recover other shards' lines than its own.
``ShardTable.partition_for_key`` reads the partition from the key.

An explicit partition also keeps table writes off a crash path (issue 9): with
``use_partitioner=True`` faust-streaming 0.15.3 partitions a changelog record *eagerly*,
inside ``table[key] = value``: ``Topic.as_future_message(eager_partitioning=True)`` calls
``Producer.key_partition``, which calls aiokafka 0.14's ``AIOKafkaProducer._partition``
synchronously, and that does ``list(self._metadata.partitions_for_topic(topic))``. The
producer's metadata only knows topics it has sent to, or every topic that existed when it
started; in a fresh deployment the changelog topic is created after that, so the lookup
returns None and the agent crashes with ``TypeError: 'NoneType' object is not iterable``.
With a partition given, ``send_soon`` never partitions eagerly, and aiokafka's ``send``
first awaits ``_wait_on_metadata(topic)``, which fetches the topic's metadata.

The changelog is compacted (Faust's default for tables) with short segments, so a restart
replays about one record per live key, not the history of every change; tombstones of
expired keys are dropped a day after compaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any, cast

import faust
from faust.types import TP

from pipeline.settings import Settings
from pipeline.stages.boilerplate import Learner, key_partition

if TYPE_CHECKING:
    from pipeline.stories.cluster_desk import ClusterDesk
    from pipeline.stories.dedup import FingerprintIndex
    from pipeline.stories.desk import StoryDesk

log = logging.getLogger(__name__)

#: changelog topic configs: compaction only cleans closed segments, so close them hourly
CHANGELOG_CONFIG = {
    "cleanup.policy": "compact",
    "segment.ms": str(3600 * 1000),
    "min.cleanable.dirty.ratio": "0.1",
    "delete.retention.ms": str(86400 * 1000),
}


class ShardTable(faust.Table):
    """A table whose keys start with their partition (b"<p>:..."); the changelog record goes there."""

    learner: Learner | None = None

    def partition_for_key(self, key: Any) -> int | None:
        return key_partition(key)

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
        """After every rebalance: re-read which shards this worker now holds."""
        await super().on_recovery_completed(active_tps, standby_tps)
        if self.learner is not None:
            self.learner.rebuild({tp.partition for tp in active_tps})
            log.info("learned boilerplate: %s", self.learner.stats())


def boilerplate_table(app: faust.App, settings: Settings, learner: Learner) -> ShardTable:
    """Declare the table on ``app`` and make it ``learner``'s store."""
    table = ShardTable(
        app,
        name="boilerplate",
        default=None,
        key_type=bytes,  # raw key bytes; values (short lists of ints) travel as JSON
        partitions=settings.partitions,
        beacon=app.tables.beacon,
        extra_topic_configs=CHANGELOG_CONFIG,
        help="learned boilerplate: per-line state of each source shard",
    )
    table = cast(ShardTable, app.tables.add(table))
    table.learner = learner
    learner.store = table
    return table


class StoryTable(ShardTable):
    """The story states (``pipeline/stories/desk.py``): keys ``b"<p>:<uri>"``, each on the partition
    of ``wire.cleaned`` its story's records are read from (``partition_for_key``, as above)."""

    desk: StoryDesk | None = None
    source_topic: str | None = None  # wire.cleaned: its partitions are the stories'

    async def on_rebalance(
        self, assigned: set[TP], revoked: set[TP], newly_assigned: set[TP], generation_id: int = 0
    ) -> None:
        """A rebalance began: from now on the desk writes only the stories of what it still holds."""
        await super().on_rebalance(assigned, revoked, newly_assigned, generation_id)
        if self.desk is not None and self.source_topic is not None:
            held = {tp.partition for tp in assigned if tp.topic == self.source_topic}
            dropped = self.desk.hold(held)
            if dropped:
                log.info("stories: %d unwritten changes of partitions moved away dropped", dropped)

    async def on_recovery_completed(self, active_tps: set[TP], standby_tps: set[TP]) -> None:
        """After every rebalance: the stories this worker now holds (their bounds apply)."""
        await faust.Table.on_recovery_completed(self, active_tps, standby_tps)
        if self.desk is not None:
            self.desk.rebuild({tp.partition for tp in active_tps})
            log.info("stories: %s", self.desk.stats())


def story_table(app: faust.App, settings: Settings, desk: StoryDesk, source_topic: str | None = None) -> StoryTable:
    """Declare the story table on ``app`` and make it ``desk``'s store."""
    table = StoryTable(
        app,
        name="stories",
        default=None,
        key_type=bytes,
        partitions=settings.partitions,
        beacon=app.tables.beacon,
        extra_topic_configs=CHANGELOG_CONFIG,
        help="stories: the state of every story (latest version, facts, recent decisions)",
    )
    table = cast(StoryTable, app.tables.add(table))
    table.desk = desk
    table.source_topic = source_topic
    desk.store = table
    return table


class TopicReplica:
    """A copy of a whole topic held by every worker, read in full: from the beginning of the
    topic (its retention is the window the copy needs) and then as records come. Subclasses
    say what a record does (``apply``; ``applied`` after each fetch).

    Every worker publishes its records there (with the batch, before its offsets are
    committed); every worker reads all of them. A restarted worker is ``ready`` once it has
    read to the end the topic had when it started; a rebalance moves nothing. See README
    "Stories" for the trade-off.
    """

    #: what the copy is, for the log
    what = "records"

    def __init__(self, settings: Settings, topic: str) -> None:
        self.settings = settings
        self.topic = topic
        self.read = 0
        self._ready = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def apply(self, record: Any) -> None:
        """One record (an aiokafka ConsumerRecord); ValueError or UnicodeDecodeError: not ours."""
        raise NotImplementedError

    async def applied(self) -> None:
        """After each fetch that returned records."""

    def restored(self) -> str:
        return f"{self.read} records"

    async def wait_ready(self, timeout: float) -> bool:
        """True once caught up; False (logged) when ``timeout`` passed first: the batch goes on
        with what the copy holds (copies may then be missed, never a story lost)."""
        if self._ready.is_set():
            return True
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            log.warning("the %s is not restored yet (%d records read); going on", self.what, self.read)
            return False
        return True

    async def run(self) -> None:
        """Read the topic for ever (a task of the worker)."""
        from aiokafka import AIOKafkaConsumer, TopicPartition

        from pipeline.delivery.breaks import Follower
        from pipeline.kafka import client_options

        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.settings.bootstrap_servers,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                **client_options(),
            )
            try:
                await consumer.start()
                parts: list[TopicPartition] = []
                for _ in range(100):
                    found = consumer.partitions_for_topic(self.topic)
                    if found:
                        parts = [TopicPartition(self.topic, p) for p in sorted(found)]
                        break
                    await consumer._client.force_metadata_update()
                    await asyncio.sleep(0.2)
                if not parts:
                    log.warning("%s: no partitions yet; the %s starts empty", self.topic, self.what)
                    self._ready.set()
                    await asyncio.sleep(5)
                    continue
                consumer.assign(parts)
                await consumer.seek_to_beginning(*parts)
                targets: dict[TopicPartition, int] = {}
                follower = Follower(consumer)  # nothing skipped where the broker hands a batch out late
                while True:
                    batch = follower.complete(await consumer.getmany(timeout_ms=500, max_records=5000))
                    for records in batch.values():
                        for record in records:
                            self.read += 1
                            try:
                                self.apply(record)
                            except (ValueError, UnicodeDecodeError) as exc:  # not ours: skip it
                                log.warning("%s[%d]@%d: %s", record.topic, record.partition, record.offset, exc)
                    if batch:
                        await self.applied()
                    if not self._ready.is_set():
                        # the end as of the first fetch that reached each partition (see kafka.read)
                        for tp in parts:
                            highwater = consumer.highwater(tp)
                            if tp not in targets and highwater is not None:
                                targets[tp] = highwater
                        if len(targets) == len(parts):
                            positions = [await consumer.position(tp) for tp in parts]
                            if all(pos >= targets[tp] for tp, pos in zip(parts, positions, strict=True)):
                                log.info("%s restored: %s", self.what, self.restored())
                                self._ready.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # the broker away: read again from the start (adding is idempotent)
                log.warning("reading %s failed; starting again", self.topic, exc_info=True)
                await asyncio.sleep(2.0)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()


class FingerprintReplica(TopicReplica):
    """This worker's copy of the duplicate index, read from ``wire.fingerprints`` in full."""

    what = "duplicate index"

    def __init__(self, settings: Settings, topic: str, index: FingerprintIndex) -> None:
        super().__init__(settings, topic)
        self.index = index

    def apply(self, record: Any) -> None:
        from pipeline.stories.dedup import Entry

        self.index.add(Entry.decode(record.value or b""))

    def restored(self) -> str:
        return f"{len(self.index)} fingerprints, {self.index.nbytes() / 2**20:.0f} MB of arrays and tables"


class ClusterReplica(TopicReplica):
    """This worker's copy of the story clusters, read from ``wire.clusters`` in full: every
    worker's placements, applied in the cluster desk's thread (``pipeline/stories/cluster_desk.py``)."""

    what = "cluster index"

    def __init__(self, settings: Settings, topic: str, desk: ClusterDesk) -> None:
        super().__init__(settings, topic)
        self.desk = desk

    def apply(self, record: Any) -> None:
        # how long after its publication a record is read: the other workers' delay (live only)
        lag = int(time.time() * 1000) - record.timestamp if self.ready and record.timestamp else None
        self.desk.receive(record.value or b"", lag)

    async def applied(self) -> None:
        await self.desk.run(self.desk.drain)  # the index is the desk thread's

    def restored(self) -> str:
        return f"{len(self.desk.index)} clusters, {self.desk.received} records"
