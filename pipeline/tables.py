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

import logging
from typing import Any, cast

import faust
from faust.types import TP

from pipeline.settings import Settings
from pipeline.stages.boilerplate import Learner, key_partition

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
