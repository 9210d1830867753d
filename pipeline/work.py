"""What the stage of each agent does to a batch of records: pure, no Faust, no Kafka.

    ParseClean   raw records      -> per record: wire.parsed records | dead letters
                                     (with the items' story fingerprints, when stories are on)
    EnrichEmit   wire.cleaned     -> per record: an article (and its copies for the topics its
                 records             routing rules select) | a dead letter
                                     (batch enrichment first: the NER model streams them)

It runs where the agent's stage runs (``pipeline.delivery.pool``: a worker process per
agent by default, so that a record that hangs or crashes the stage can be abandoned), and
returns every outcome of a record as ``Outcome`` values, already mapped to their topics.
``fallback`` is the dead letter of a record the runner had to abandon (time limit,
repeated crashes), from what the parent process knows without running the stage.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import import_module
from typing import TYPE_CHECKING, Protocol

from pipeline.delivery.failpoints import Failpoints
from pipeline.errors import ContractError, PipelineError, UnexpectedError
from pipeline.records import (
    Article,
    Block,
    CleanedDispatch,
    DeadLetter,
    Enrichment,
    Outcome,
    ParsedItem,
    RawDispatch,
    Result,
)
from pipeline.routing import Rules, RulesFile, routed
from pipeline.settings import Settings
from pipeline.stages import boilerplate, flow
from pipeline.stages.flow import Stages
from pipeline.stages.outcome import Limits, dead_letter, duplicate, over_limit, record_size
from pipeline.topics import TopicNames

if TYPE_CHECKING:
    from pipeline.stories.cluster_desk import ClusterDesk
    from pipeline.stories.desk import StoryDesk, Verdict

log = logging.getLogger(__name__)

#: a short text the stages run once at start, so that what loads on first use is loaded
WARM_UP_TEXT = b"Warm-up\n\nLONDON - A short paragraph of text, run once when the stage starts.\n"


def load_stages(settings: Settings) -> Stages:
    """The production stages, or those of ``WIREFEED_STAGES`` ("module:function", called with the settings)."""
    if settings.stages:
        module, _, name = settings.stages.partition(":")
        factory = getattr(import_module(module), name)
        return factory(settings)
    return flow.default_stages(settings)


@dataclass
class Context:
    """What a stage needs, built once per process from the settings."""

    settings: Settings
    names: TopicNames = field(init=False)
    limits: Limits = field(init=False)
    learning: boilerplate.LearnerConfig = field(init=False)
    faults: Failpoints = field(init=False)
    _stages: Stages | None = None

    def __post_init__(self) -> None:
        self.names = TopicNames.with_prefix(self.settings.topic_prefix)
        self.limits = Limits.from_settings(self.settings)
        self.learning = boilerplate.LearnerConfig.from_settings(self.settings)
        self.faults = Failpoints(self.settings.failpoints)

    def stages(self) -> Stages:
        """The stages; raises when they cannot be loaded -- the batch fails (retried, then the
        worker stops): no dispatch is dead-lettered for what is not its fault."""
        self.faults.hit("stage")
        if self._stages is None:
            self._stages = load_stages(self.settings)
        return self._stages

    def internal(self, topic: str, cleaned: CleanedDispatch, by: str) -> Outcome:
        """The internal record for the next agent (or the dead letter: it is over the limit)."""
        record = flow.internal_record(cleaned, by=by, limits=self.limits)
        if isinstance(record, DeadLetter):
            return self.names.outcome(record)
        key, value = record
        # the agency as detected, for the worker's metrics (an internal record has no other headers)
        agency = cleaned.item.agency or cleaned.raw.header("wf_agency")
        headers = (("wf_agency", agency.encode()),) if agency else ()
        return Outcome(topic, key, value, headers, cleaned.raw, cleaned.part, cleaned.parts)

    def decode(self, record: RawDispatch) -> CleanedDispatch | DeadLetter:
        """An internal record back into its CleanedDispatch, or the dead letter of what is not one."""
        try:
            return flow.decode_cleaned(record.value)
        except ContractError as exc:  # not our record: dead-letter its bytes as they are
            return dead_letter(record, exc, limits=self.limits)


class Work(Protocol):
    """One agent's stage: ``prepare`` a batch (optional shared work), then each record ``run``."""

    name: str

    def warm_up(self) -> None: ...

    def prepare(self, records: Sequence[RawDispatch], batched: bool) -> None: ...

    def run(self, index: int, record: RawDispatch) -> list[Outcome]: ...

    def fallback(self, record: RawDispatch, error: PipelineError) -> list[Outcome]: ...


class ParseClean:
    """wire.raw -> parse and clean -> wire.parsed (keyed by learning shard) or dead letters."""

    name = "parse-clean"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.stages: Stages | None = None

    def warm_up(self) -> None:
        """Load the parsers and profiles (on first use they would count against the first
        record's time limit); enrichment is not this stage's."""
        from pipeline.parsers import load_all

        stages = self.ctx.stages()
        load_all()
        with contextlib.suppress(Exception):  # a warm-up, not a check: the real records tell
            flow.first_half(RawDispatch(WARM_UP_TEXT, (("content-type", b"text/plain"),)), stages)

    def prepare(self, records: Sequence[RawDispatch], batched: bool) -> None:
        self.stages = self.ctx.stages()

    def run(self, index: int, record: RawDispatch) -> list[Outcome]:
        ctx = self.ctx
        assert self.stages is not None, "prepare() first"
        out: list[Outcome] = []
        dead: list[Result] = []
        for result in flow.first_half(record, self.stages, learning=ctx.learning, limits=ctx.limits):
            if isinstance(result, DeadLetter):
                dead.append(result)
                out.append(ctx.names.outcome(result))
                continue
            try:
                out.append(self.internal(result))
            except Exception as exc:  # this item cannot be encoded: keep the dispatch as a dead letter
                error = UnexpectedError(exc, stage="encode-cleaned")
                letter = dead_letter(record, error, part=result.part, parts=result.parts, limits=ctx.limits)
                out.append(ctx.names.outcome(letter))
        if ctx.settings.validate:
            check(dead, ctx.faults)
        return out

    def internal(self, cleaned: CleanedDispatch) -> Outcome:
        """The wire.parsed record of an item, with its story fingerprint when stories are on --
        unless the fingerprint takes it over the size limit: then without (the desk computes it)."""
        ctx = self.ctx
        if not ctx.settings.stories:
            return ctx.internal(ctx.names.parsed, cleaned, by="source")
        printed = with_fingerprint(cleaned)
        found = ctx.internal(ctx.names.parsed, printed, by="source")
        if found.topic == ctx.names.deadletter and printed is not cleaned:
            return ctx.internal(ctx.names.parsed, cleaned, by="source")
        return found

    def fallback(self, record: RawDispatch, error: PipelineError) -> list[Outcome]:
        return [self.ctx.names.outcome(dead_letter(record, error, limits=self.ctx.limits))]


def with_fingerprint(cleaned: CleanedDispatch) -> CleanedDispatch:
    """The item with its story fingerprint, computed here (a stage process) rather than on the
    worker's event loop where the story desk judges; when it cannot be computed the item goes
    on without it (the desk computes it, and dead-letters the item if that fails again)."""
    from pipeline.stories.fingerprint import fingerprint

    try:
        return replace(cleaned, fingerprint=fingerprint(cleaned.item).to_print())
    except Exception:
        log.warning("%s part %d: no story fingerprint", cleaned.raw.where(), cleaned.part, exc_info=True)
        return cleaned


class EnrichEmit:
    """wire.cleaned -> enrich and normalise -> wire.articles, or dead letters."""

    name = "enrich-emit"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.stages: Stages | None = None
        self.routes: RulesFile | None = None  # WIREFEED_ROUTES, read on first use, then when it changes
        self.decoded: list[CleanedDispatch | DeadLetter] = []
        self.enrichments: list[Enrichment | None] = []
        self.now = datetime.now(tz=UTC)

    def warm_up(self) -> None:
        """Load the models and gazetteers (seconds to tens of seconds) before the first record."""
        stages = self.ctx.stages()
        self.rules()
        if stages.warm_up is not None:
            stages.warm_up()
        with contextlib.suppress(Exception):  # what loads lazily on the first item (detectors)
            item = ParsedItem(format="warm-up", headline="Warm-up", body=(Block(WARM_UP_TEXT.decode()),))
            stages.enrich(item)

    def prepare(self, records: Sequence[RawDispatch], batched: bool) -> None:
        """Decode the batch and, when ``batched``, enrich its items at once (the long part)."""
        self.stages = self.ctx.stages()
        self.now = datetime.now(tz=UTC)
        self.decoded = [self.ctx.decode(record) for record in records]
        items = [c.item for c in self.decoded if isinstance(c, CleanedDispatch)]
        found = iter(flow.enrich_many(items, self.stages) if batched else [None] * len(items))
        self.enrichments = [next(found) if isinstance(c, CleanedDispatch) else None for c in self.decoded]

    def run(self, index: int, record: RawDispatch) -> list[Outcome]:
        ctx = self.ctx
        assert self.stages is not None, "prepare() first"
        cleaned = self.decoded[index]
        if isinstance(cleaned, DeadLetter):
            return [ctx.names.outcome(cleaned)]
        validator: flow.Validator | None = None
        if ctx.settings.validate:
            from pipeline.schemas import validate_result

            validator = validate_result
        enrichment = self.enrichments[index]
        story = story_verdict(record)
        result = flow.second_half(cleaned, self.stages, validator, self.now, enrichment, limits=ctx.limits, story=story)
        outcome = ctx.names.outcome(result)
        out = [outcome]
        if story is not None and isinstance(result, Article):
            out += latest_records(ctx.names, story, result)
        rules = self.rules() if isinstance(result, Article) else None
        if rules is not None:
            out += routed(outcome, rules, ctx.settings.topic_prefix)  # versions and kills too
        return out

    def rules(self) -> Rules | None:
        """The routing rules in force (None: no routing); a file that cannot be read at first
        fails the batch (the worker checks it at start), later the rules in force stay."""
        if not self.ctx.settings.routes:
            return None
        if self.routes is None:
            self.routes = RulesFile(self.ctx.settings.routes)
        return self.routes.current()

    def fallback(self, record: RawDispatch, error: PipelineError) -> list[Outcome]:
        ctx = self.ctx
        cleaned = ctx.decode(record)
        if isinstance(cleaned, DeadLetter):
            return [ctx.names.outcome(cleaned)]
        if cleaned.item.format:
            error.format = error.format or cleaned.item.format
        letter = dead_letter(cleaned.raw, error, part=cleaned.part, parts=cleaned.parts, limits=ctx.limits)
        return [ctx.names.outcome(letter)]


def story_verdict(record: RawDispatch) -> Verdict | None:
    """The story verdict the worker put on a ``wire.cleaned`` record (None: stories are off)."""
    from pipeline.stories.desk import HEADER, Verdict

    text = record.header(HEADER)
    return Verdict.decode(text) if text else None


def latest_records(names: TopicNames, story: Verdict, article: Article) -> list[Outcome]:
    """What ``wire.articles.latest`` gets for a published version: the article, a tombstone
    (killed or withheld: a reader of that topic takes the story down), or nothing (embargo)."""
    from pipeline.stories.versions import PUBLISH, TOMBSTONE

    if story.latest == PUBLISH:
        return [
            Outcome(names.latest, article.key, article.value, article.headers, article.raw, article.part, article.parts)
        ]
    if story.latest == TOMBSTONE:
        return [Outcome(names.latest, article.key, None, (), article.raw, article.part, article.parts)]
    return []


KINDS: dict[str, type[ParseClean] | type[EnrichEmit]] = {"parse-clean": ParseClean, "enrich-emit": EnrichEmit}


def make_work(kind: str, settings: Settings) -> Work:
    return KINDS[kind](Context(settings))


def run_batch(work: Work, records: Sequence[RawDispatch], batched: bool = True) -> list[list[Outcome]]:
    """The outcomes of every record of a batch, in order (in-process: no time limit)."""
    work.prepare(records, batched)
    return [work.run(index, record) for index, record in enumerate(records)]


def check(results: Sequence[Result], faults: Failpoints) -> None:
    """With WIREFEED_VALIDATE: log every result that breaks its schema (a bug, not bad input)."""
    from pipeline.schemas import validate_result

    faults.hit("validate")
    for result in results:
        try:
            validate_result(result)
        except ContractError as exc:
            log.error("%s: %s", result.raw.where(), exc)


@dataclass
class Planned:
    """A ``wire.cleaned`` record after the story desk: to enrich (with its verdict), or done."""

    record: RawDispatch | None  # to the enrich stage (None: its outcome is decided here)
    outcomes: list[Outcome] = field(default_factory=list)  # the duplicate record; fingerprints
    #: a published item: the item, its verdict and the record's time (ms), for its cluster
    cleaned: CleanedDispatch | None = None
    verdict: Verdict | None = None
    when: int = 0


def judge_batch(desk: StoryDesk, ctx: Context, records: Sequence[RawDispatch]) -> list[Planned]:
    """The story verdict of every record of a batch, in order (``desk`` keeps the state changes).

    A published item (new, version, kill) goes on to the enrich stage with its verdict in
    a header; a duplicate or stale item gets its ``wire.duplicates`` record here, and is
    never enriched. The fingerprints a record added go out with its outcomes. A record
    that is not a cleaned item goes on as it is (the enrich stage dead-letters it).
    """
    from pipeline.stories.desk import HEADER, REPEAT

    out: list[Planned] = []
    for record in records:
        cleaned = ctx.decode(record)
        if isinstance(cleaned, DeadLetter):
            out.append(Planned(record))
            continue
        partition = record.provenance.partition if record.provenance else 0
        raw_time = cleaned.raw.provenance.timestamp_ms if cleaned.raw.provenance else None
        now_ms = raw_time or (record.provenance.timestamp_ms if record.provenance else None)
        try:
            when = now_ms or int(datetime.now(tz=UTC).timestamp() * 1000)
            offset = record.provenance.offset if record.provenance else None
            verdict = desk.judge(cleaned, partition, when, offset)
        except Exception as exc:  # the stage boundary: this item is dead-lettered, the batch goes on
            error = UnexpectedError(exc, stage="stories", format=cleaned.item.format)
            log.warning("dead letter %s part %d: %s", cleaned.raw.where(), cleaned.part, error)
            letter = dead_letter(cleaned.raw, error, part=cleaned.part, parts=cleaned.parts, limits=ctx.limits)
            out.append(Planned(None, [ctx.names.outcome(letter)]))
            continue
        prints = [
            Outcome(ctx.names.fingerprints, entry.key(), entry.encode(), (), cleaned.raw, cleaned.part, cleaned.parts)
            for entry in desk.take_fingerprints()
        ]
        if verdict.kind == REPEAT:
            # its outcome was published when it was first decided; rare (a record read again whose
            # decision is no longer remembered), and the one verdict that publishes nothing: logged
            # with its coordinates so that an audit's missing record can be traced to it
            log.warning(
                "story desk: %s part %d was decided before (%s); nothing more is published",
                record.where(),
                cleaned.part,
                verdict.uri,
            )
            out.append(Planned(None, prints))
        elif verdict.published:
            headers = (*record.headers, (HEADER, verdict.encode()))
            out.append(Planned(replace(record, headers=headers), prints, cleaned, verdict, when))
        else:
            item = cleaned.item
            copy = duplicate(
                cleaned.raw, cleaned.part, cleaned.parts, verdict.to_json(), agency=item.agency, fmt=item.format
            )
            out.append(Planned(None, [ctx.names.outcome(copy), *prints]))
    return out


def cluster_batch(
    clusters: ClusterDesk, ctx: Context, plan: Sequence[Planned], results: Sequence[list[Outcome]]
) -> list[list[Outcome]]:
    """Every published article of a batch with its story cluster (in the cluster desk's thread).

    The article and its byte-identical copies (wire.articles.latest, routed topics) carry
    ``wf_cluster`` and a ninjs ``events`` entry; the placement (``Membership``) goes to
    wire.clusters with the record's outcomes, as its fingerprints do. An article whose
    cluster cannot be found (an unexpected error, or it would go over the size limit with
    it) is published without one: a cluster never costs an article.
    """
    import orjson

    from pipeline.stories.cluster_desk import labelled

    names = ctx.names
    out: list[list[Outcome]] = []
    for planned, outcomes in zip(plan, results, strict=True):
        article = next((o for o in outcomes if o.topic == names.articles and o.value is not None), None)
        if planned.verdict is None or planned.cleaned is None or article is None or article.value is None:
            out.append(outcomes)  # not published (a duplicate), or dead-lettered
            continue
        cleaned = planned.cleaned
        try:
            doc = orjson.loads(article.value)
            placed = clusters.place(planned.verdict, cleaned.item, doc, planned.when)
            if placed is None:
                out.append(outcomes)
                continue
            patched = labelled(article, placed.cluster, doc)
            size = record_size(patched.key, patched.value or b"", patched.headers)
            too_large = over_limit(size, "the article with its cluster", ctx.limits)
            members = [placed.member] if placed.member is not None else []
            extra = [
                Outcome(names.clusters, m.key(), m.encode(), (), cleaned.raw, cleaned.part, cleaned.parts)
                for m in members
            ]
        except Exception:  # the boundary: the article goes out as it is
            log.warning("%s part %d: no story cluster", cleaned.raw.where(), cleaned.part, exc_info=True)
            out.append(outcomes)
            continue
        if too_large is not None:  # placed all the same: the other workers' indexes hold it too
            log.warning("%s part %d: published without its cluster: %s", cleaned.raw.where(), cleaned.part, too_large)
            out.append(outcomes + extra)
            continue
        same = (article.key, article.value, article.headers)
        done = [
            replace(o, value=patched.value, headers=patched.headers) if (o.key, o.value, o.headers) == same else o
            for o in outcomes
        ]
        out.append(done + extra)
    return out
