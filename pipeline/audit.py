"""Reconcile ``wire.raw`` with the outcome topics: is every dispatch accounted for?

Every outcome names the raw record it came from (``wf_raw_topic``, ``wf_raw_partition``,
``wf_raw_offset``) and which of its items it is (``wf_part`` "i/n"). A raw record is
accounted for when all n of its items have an outcome: an article (a new story, a
version, a kill), a duplicate record (``wire.duplicates``: a copy or an older version, not
published) or a dead letter.
Redelivery after a crash may publish an outcome twice (at-least-once): those count as
``duplicates``, not as extra dispatches.

The raw side is read record by record: partition end offsets alone are not exact on
every broker (the embedded one reports the start of the last batch).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import ConsumerRecord

from pipeline.kafka import read
from pipeline.stages.outcome import DUPLICATE_TYPE
from pipeline.topics import TopicNames

Coord = tuple[int, int]  # (partition, offset) in wire.raw


def _header(record: ConsumerRecord, name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            return value.decode("utf-8", errors="replace")
    return None


@dataclass
class Reconciler:
    """Collects outcome records and answers which raw records they account for."""

    raw_topic: str
    articles_topic: str
    #: raw coordinate -> parts seen, and how many parts that record has
    parts_seen: dict[Coord, set[int]] = field(default_factory=dict)
    parts_total: dict[Coord, int] = field(default_factory=dict)
    articles: int = 0
    deadletters: int = 0
    #: wire.duplicates records (copies, re-sends, older versions: not published), and of them stale
    duplicate_records: int = 0
    stale: int = 0
    #: articles by story event (new, version, kill) when the worker decides stories
    events: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    foreign: int = 0  # outcomes that do not point at a wire.raw record (e.g. process-mode replays)
    by_stage: Counter[str] = field(default_factory=Counter)
    by_format: Counter[str] = field(default_factory=Counter)
    by_agency: Counter[str] = field(default_factory=Counter)

    def add(self, record: ConsumerRecord) -> Coord | None:
        """Take one outcome record; returns the raw coordinate it accounts for, if any."""
        is_article = record.topic == self.articles_topic
        if is_article:
            self.articles += 1
            self.by_format[_header(record, "wf_format") or "unknown"] += 1
            self.by_agency[_header(record, "wf_agency") or "unknown"] += 1
            story = _header(record, "wf_story")
            if story:
                self.events[str(orjson.loads(story).get("event", "?"))] += 1
        elif _header(record, "ce_type") == DUPLICATE_TYPE:
            self.duplicate_records += 1
            self.stale += b'"event":"stale"' in (record.value or b"")
        else:
            self.deadletters += 1
            self.by_stage[f"{_header(record, 'wf_stage')}/{_header(record, 'wf_error_class')}"] += 1
        topic = _header(record, "wf_raw_topic")
        partition = _header(record, "wf_raw_partition")
        offset = _header(record, "wf_raw_offset")
        part_text = _header(record, "wf_part") or "1/1"
        if topic != self.raw_topic or partition is None or offset is None:
            self.foreign += 1
            return None
        coord = (int(partition), int(offset))
        part, _, total = part_text.partition("/")
        seen = self.parts_seen.setdefault(coord, set())
        if int(part) in seen:
            self.duplicates += 1
        seen.add(int(part))
        self.parts_total[coord] = int(total or 1)
        return coord

    def is_accounted(self, coord: Coord) -> bool:
        seen = self.parts_seen.get(coord)
        return seen is not None and len(seen) >= self.parts_total.get(coord, 1)

    def missing(self, raw_coords: Iterable[Coord]) -> list[Coord]:
        return [c for c in raw_coords if not self.is_accounted(c)]

    def summary(self, raw_coords: list[Coord]) -> dict[str, Any]:
        """The audit JSON: ``raw``, ``articles``, ``deadletters``, ``missing`` and details."""
        missing = self.missing(raw_coords)
        partial = sum(1 for c in missing if c in self.parts_seen)
        return {
            "raw": len(raw_coords),
            "articles": self.articles,
            "deadletters": self.deadletters,
            "duplicate_records": self.duplicate_records,
            "stale_versions": self.stale,
            "articles_by_event": dict(sorted(self.events.items())),
            "accounted": len(raw_coords) - len(missing),
            "missing": len(missing),
            "partial": partial,
            "duplicates": self.duplicates,
            "foreign_outcomes": self.foreign,
            "deadletters_by_stage": dict(sorted(self.by_stage.items())),
            "articles_by_format": dict(sorted(self.by_format.items())),
            "articles_by_agency": dict(sorted(self.by_agency.items())),
            "missing_examples": [f"{self.raw_topic}[{p}]@{o}" for p, o in missing[:10]],
        }


async def raw_coordinates(bootstrap: str, raw_topic: str) -> list[Coord]:
    """Every (partition, offset) in the raw topic, as read now."""
    return sorted([(r.partition, r.offset) async for r in read(bootstrap, [raw_topic], idle_timeout=0.5)])


async def audit(bootstrap: str, names: TopicNames) -> dict[str, Any]:
    """Reconcile the whole raw topic with both outcome topics, as they are now."""
    raw_coords = await raw_coordinates(bootstrap, names.raw)
    reconciler = Reconciler(names.raw, names.articles)
    async for record in read(bootstrap, names.outcomes()):
        reconciler.add(record)
    return reconciler.summary(raw_coords)
