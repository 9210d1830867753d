"""Routed topics on the worker's side: each exists, with the pipeline's settings, before its first record.

The enrich-emit stage copies an article to every topic its routing rules select
(``WIREFEED_ROUTES``, ``pipeline.routing.routed``, in the stage process, which re-reads the
file when it changes); the copies are outcomes of the record like the article itself,
published and acknowledged with it before the raw offset is committed. A producer cannot
be relied on to create a topic (clusters usually forbid auto-creation, and it would take
the broker's defaults), so the agent creates every routed topic it has not seen yet --
with the partitions, replication and per-topic settings of ``wire.articles`` (retention,
max.message.bytes, min.insync.replicas) -- before the batch is published. The rules'
topics are created at the worker's start (``wirefeed worker`` refuses to start with
invalid rules), later ones when they first appear.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from pipeline.kafka import ensure_topics
from pipeline.records import Outcome, RawDispatch
from pipeline.routing import load_rules
from pipeline.settings import Settings
from pipeline.topics import TopicNames, topic_configs

log = logging.getLogger(__name__)

Stage = Callable[[list[RawDispatch]], Awaitable[list[list[Outcome]]]]


def topic_config(settings: Settings) -> dict[str, str]:
    """The settings of a routed topic: those of ``wire.articles``."""
    names = TopicNames.with_prefix(settings.topic_prefix)
    return topic_configs(settings)[names.articles]


def rule_topics(settings: Settings) -> list[str]:
    """The concrete topics of the rules file (``RulesError`` when it is invalid); none without one."""
    if not settings.routes:
        return []
    return [settings.topic_prefix + topic for topic in load_rules(settings.routes).topics]


async def create(settings: Settings, topics: Iterable[str]) -> None:
    wanted = list(topics)
    if wanted:
        config = topic_config(settings)
        await ensure_topics(
            settings.bootstrap_servers,
            wanted,
            settings.partitions,
            settings.replication,
            configs={topic: config for topic in wanted},
        )


class RoutedTopics:
    """Creates the topics a stage's outcomes go to that are not the pipeline's own, once each."""

    def __init__(self, settings: Settings, known: Iterable[str] = ()) -> None:
        self.settings = settings
        self.known = set(TopicNames.with_prefix(settings.topic_prefix).all()) | set(known)

    async def ensure(self, topics: Iterable[str]) -> None:
        new = sorted(set(topics) - self.known)
        if not new:
            return
        # a failure here fails the batch (tried again, then the worker stops): nothing is published
        await create(self.settings, new)
        log.info("routed topics created: %s", ", ".join(new))
        self.known.update(new)

    def wrap(self, stage: Stage) -> Stage:
        """``stage``, then every topic its outcomes go to made sure to exist."""

        async def run(records: list[RawDispatch]) -> list[list[Outcome]]:
            per_record = await stage(records)
            await self.ensure(outcome.topic for outcomes in per_record for outcome in outcomes)
            return per_record

        return run
