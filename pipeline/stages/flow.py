"""The stages composed: what each agent runs, and what ``wirefeed process`` runs in-process.

    first_half   RawDispatch      -> [CleanedDispatch | DeadLetter]   (agent parse-clean)
    learn        CleanedDispatch  -> CleanedDispatch | DeadLetter     (agent learn-boilerplate,
                                     stateful: learned-boilerplate state per source shard)
    second_half  CleanedDispatch  -> Article | DeadLetter             (agent enrich-emit)
    process      RawDispatch      -> [Article | DeadLetter]           (all three, no Kafka)

The results are typed and name no topic; the agents (and ``wirefeed process``) map them
to topics with ``TopicNames.outcome``.

Nothing here raises: a ``PipelineError`` becomes a dead letter with its stage and
reason, and any other exception becomes one too (``UnexpectedError``), so the worker
keeps going and no dispatch is lost. The stage functions are passed in (``Stages``), so
tests and benchmarks can run the same composition with other parts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import orjson

from pipeline.errors import (
    ContractError,
    DecodeError,
    EmptyDispatchError,
    OversizeError,
    PipelineError,
    UnexpectedError,
    UnknownFormatError,
)
from pipeline.records import (
    Article,
    CleanedDispatch,
    DeadLetter,
    Enrichment,
    ParsedItem,
    RawDispatch,
    RawRef,
    Result,
    dumps,
    from_jsonable,
)
from pipeline.settings import Settings
from pipeline.stages import boilerplate, normalise, outcome

if TYPE_CHECKING:
    from pipeline.stories.desk import Verdict

log = logging.getLogger(__name__)

Validator = Callable[[Result], None]


@dataclass(frozen=True)
class Stages:
    """The pure stage functions the flow calls, in order."""

    parse: Callable[[RawDispatch], Sequence[ParsedItem]]
    clean: Callable[[ParsedItem], ParsedItem]
    enrich: Callable[[ParsedItem], Enrichment]
    #: enrich many items at once (cheaper: the NER model streams them); optional
    enrich_batch: Callable[[Sequence[ParsedItem]], list[Enrichment]] | None = None
    #: load models and gazetteers ahead of the first dispatch; optional
    warm_up: Callable[[], None] | None = None


def parse_dispatch(raw: RawDispatch) -> Sequence[ParsedItem]:
    """Detect the format and parse: the parse stage."""
    from pipeline.decoding import looks_binary
    from pipeline.parsers import load_all

    if not raw.value.strip():
        raise EmptyDispatchError("the dispatch is empty (0 bytes of text)", stage="decode")
    registry = load_all()
    try:
        parser = registry.detect(raw.value, raw.headers)
    except UnknownFormatError:
        if looks_binary(raw.value):
            # say what is wrong with the bytes, not only that no parser wanted them
            raise DecodeError(
                f"binary data, not text in any supported encoding ({len(raw.value)} bytes, "
                f"starts {raw.value[:16]!r}); no wire format recognised"
            ) from None
        raise
    try:
        # through the registry: a generic reader gets a second chance when the parser finds nothing
        return registry.parse(raw.value, raw.headers, parser)[1]
    except PipelineError as exc:
        if exc.format is None:
            exc.format = parser.name
        raise


def default_stages(settings: Settings | None = None) -> Stages:
    """The production stages for ``settings`` (imported here: heavy modules load on first use)."""
    from pipeline.enrich.config import EnrichConfig
    from pipeline.stages.clean import clean
    from pipeline.stages.enrich import build_enricher

    enricher = build_enricher(EnrichConfig.from_settings(settings or Settings()))
    return Stages(
        parse=parse_dispatch, clean=clean, enrich=enricher, enrich_batch=enricher.batch, warm_up=enricher.warm_up
    )


def has_content(item: ParsedItem) -> bool:
    """Something to publish: text, or (for pictures, video, packages) media or a caption."""
    if item.headline or any(b.text for b in item.body):
        return True
    return item.type != "text" and bool(item.summary or item.renditions or item.associations)


def _agency_header(item: ParsedItem, raw: RawRef) -> str | None:
    return item.agency or raw.header("wf_agency")


def _failure(exc: BaseException, stage: str, fmt: str | None) -> PipelineError:
    if isinstance(exc, PipelineError):
        if exc.format is None:
            exc.format = fmt
        return exc
    return UnexpectedError(exc, stage=stage, format=fmt)


def first_half(
    raw: RawDispatch,
    stages: Stages,
    learning: boilerplate.LearnerConfig = boilerplate.DEFAULT,
    limits: outcome.Limits = outcome.DEFAULT_LIMITS,
) -> list[CleanedDispatch | DeadLetter]:
    """Parse and clean one raw record: one CleanedDispatch per item, or one dead letter.

    A dispatch over the size limit is not parsed: its dead letter says so (without the
    bytes, which stay in ``wire.raw``). The CleanedDispatch records refer to the raw record
    (``RawRef``), carrying its bytes only up to ``limits.inline_max``. Each item's
    ``source`` is its learned-boilerplate shard (``learning`` says how many shards a source
    has and over how many partitions they are spread).
    """
    too_large = outcome.over_limit(len(raw.value), "the dispatch", limits)
    if too_large is not None:
        log.warning("dead letter %s: %s", raw.where(), too_large)
        return [outcome.dead_letter(raw, OversizeError(too_large, stage="size"), omitted=too_large, limits=limits)]
    stage, fmt = "parse", None
    try:
        items = list(stages.parse(raw))
        if not items:
            raise EmptyDispatchError("the dispatch holds no news item")
        fmt = items[0].format
        stage = "clean"
        cleaned = [stages.clean(item) for item in items]
    except Exception as exc:  # the stage boundary: nothing escapes, everything is dead-lettered
        error = _failure(exc, stage, fmt)
        log.info("dead letter %s: %s", raw.where(), error)
        return [outcome.dead_letter(raw, error, limits=limits)]
    results: list[CleanedDispatch | DeadLetter] = []
    parts = len(cleaned)
    ref = raw.ref(limits.inline_max)
    for part, item in enumerate(cleaned, start=1):
        if not has_content(item):
            error = EmptyDispatchError(
                "no headline, body, caption or media after cleaning", stage="clean", format=item.format
            )
            results.append(outcome.dead_letter(raw, error, part=part, parts=parts, limits=limits))
            continue
        story_id = normalise.story_uri(item)
        results.append(
            CleanedDispatch(
                story_id=story_id,
                item=item,
                raw=ref,
                part=part,
                parts=parts,
                source=boilerplate.shard_for(boilerplate.source_of(item, raw.headers), story_id, learning),
            )
        )
    return results


def learn(
    cleaned: CleanedDispatch,
    learner: boilerplate.Learner,
    partition: int | None = None,
    now_ms: int | None = None,
    limits: outcome.Limits = outcome.DEFAULT_LIMITS,
) -> CleanedDispatch | DeadLetter:
    """Remove what the source's earlier stories taught us is boilerplate, then learn from this one.

    ``learner`` holds the state of the item's shard (``cleaned.source``) and is updated; the
    caller writes the changes with ``learner.flush()``. ``partition`` is the one the
    ``wire.parsed`` record was read from (its shard's state lives there). The raw
    record's time (else now) ages the state. The story id stays the one computed before
    this stage, so ids never depend on what has been learned.
    """
    shard = cleaned.source
    if not shard:
        return cleaned
    if now_ms is None:
        stamp = cleaned.raw.provenance.timestamp_ms if cleaned.raw.provenance else None
        now_ms = stamp if stamp is not None else int(datetime.now(tz=UTC).timestamp() * 1000)
    try:
        item = learner.learn(cleaned.item, cleaned.story_id, shard, now_ms, partition or 0)
    except Exception as exc:  # the stage boundary: nothing escapes, everything is dead-lettered
        error = _failure(exc, "boilerplate", cleaned.item.format)
        return outcome.dead_letter(cleaned.raw, error, part=cleaned.part, parts=cleaned.parts, limits=limits)
    # a changed item drops the fingerprint computed of the one before (the story desk computes it)
    return replace(cleaned, item=item, fingerprint=None) if item is not cleaned.item else cleaned


def article(
    cleaned: CleanedDispatch, enrichment: Enrichment, processed_at: datetime, story: Verdict | None = None
) -> Article:
    """The ``wire.articles`` record: ninjs value, CloudEvents + wirefeed headers.

    With the story verdict (``story``), the ninjs ``version`` is the story's version as
    published (it always grows), ``versionCreated`` the record's time when the source gives
    none, a kill is ``pubStatus`` canceled, and the ``wf_story`` header says what the
    version is and which it replaces."""
    item, raw = cleaned.item, cleaned.raw
    uri = cleaned.story_id
    fallback = None
    if not (enrichment.language or item.language):
        # no evidence in the text and nothing declared (a sports table, a slug): the
        # language of the agency's service, when it has only one
        fallback = normalise.service_language(_agency_header(item, raw))
        if fallback:
            enrichment = replace(enrichment, language=fallback)
    doc = normalise.to_ninjs(item, enrichment, uri)
    if story is not None:
        doc["version"] = str(story.version)
        if doc.get("versionCreated") is None:
            doc["versionCreated"] = outcome.raw_time(raw)
        if story.kind == "kill":
            doc["pubStatus"] = "canceled"
    removed: dict[str, int] = {}
    for piece in item.removed:
        removed[piece.reason] = removed.get(piece.reason, 0) + 1
    translation = item.translation
    dateline = item.dateline
    headers = outcome.build_headers(
        {
            "content-type": "application/json",
            "ce_specversion": outcome.SPEC_VERSION,
            "ce_id": outcome.event_id("article", raw, cleaned.part),
            "ce_source": f"/wirefeed/{_agency_header(item, raw) or 'unknown'}",
            "ce_type": outcome.ARTICLE_TYPE,
            "ce_time": normalise.event_time(item, processed_at),
            "ce_subject": uri,
            "ce_dataschema": outcome.NINJS_DATASCHEMA,
            **outcome.provenance_headers(raw, cleaned.part, cleaned.parts),
            "wf_format": item.format,
            "wf_agency": _agency_header(item, raw),
            "wf_language": {
                "published": doc.get("language"),
                "declared": item.language,
                "detected": enrichment.language_detected,
                "confidence": round(enrichment.language_confidence, 3) if enrichment.language_confidence else None,
                "fallback": "agency" if fallback else None,
            },
            "wf_dates": normalise.dates_header(item),
            "wf_dateline": (
                {"raw": dateline.raw, "place": dateline.place, "agency": dateline.agency, "date": dateline.date_text}
                if dateline
                else None
            ),
            "wf_translation": (
                {"from": translation.source_language, "translator": translation.translator, "credit": translation.raw}
                if translation
                else None
            ),
            "wf_story": story.to_json() if story is not None else None,
            "wf_section": item.section,
            "wf_removed": removed,
            "wf_reading_time": normalise.reading_seconds(doc),
            "wf_quotes": [{"text": q.text, "speaker": q.speaker} for q in enrichment.quotes],
            "wf_date_mentions": [{"text": d.text, "date": d.date, "precision": d.precision} for d in enrichment.dates],
        }
    )
    return Article(
        key=uri.encode("utf-8"),
        value=orjson.dumps(doc),
        headers=headers,
        raw=raw,
        part=cleaned.part,
        parts=cleaned.parts,
    )


def second_half(
    cleaned: CleanedDispatch,
    stages: Stages,
    validator: Validator | None = None,
    processed_at: datetime | None = None,
    enrichment: Enrichment | None = None,
    limits: outcome.Limits = outcome.DEFAULT_LIMITS,
    story: Verdict | None = None,
) -> Article | DeadLetter:
    """Enrich (unless ``enrichment`` is given) and normalise one cleaned item into its article,
    or a dead letter (also when the article would be over the size limit)."""
    stage = "enrich"
    try:
        if enrichment is None:
            enrichment = stages.enrich(cleaned.item)
        stage = "normalise"
        result = article(cleaned, enrichment, processed_at or datetime.now(tz=UTC), story)
        too_large = outcome.over_limit(
            outcome.record_size(result.key, result.value, result.headers), "the article", limits
        )
        if too_large is not None:
            raise OversizeError(too_large, stage="normalise")
        if validator is not None:
            validator(result)
        return result
    except Exception as exc:  # the stage boundary: nothing escapes, everything is dead-lettered
        error = _failure(exc, stage, cleaned.item.format)
        log.warning("dead letter %s part %d: %s", cleaned.raw.where(), cleaned.part, error)
        return outcome.dead_letter(cleaned.raw, error, part=cleaned.part, parts=cleaned.parts, limits=limits)


def process(
    raw: RawDispatch,
    stages: Stages,
    validator: Validator | None = None,
    learner: boilerplate.Learner | None = None,
    limits: outcome.Limits = outcome.DEFAULT_LIMITS,
) -> list[Article | DeadLetter]:
    """Every stage in-process: exactly the results the pipeline would publish for ``raw``.

    ``learner`` holds the learned-boilerplate state across calls (a fresh one per call when
    None, so a single dispatch is processed as the first of its source).
    """
    learner = boilerplate.Learner() if learner is None else learner
    results: list[Article | DeadLetter] = []
    for result in first_half(raw, stages, learning=learner.cfg, limits=limits):
        if isinstance(result, DeadLetter):
            results.append(result)
            continue
        learned = learn(result, learner, limits=limits)
        learner.flush()
        if isinstance(learned, DeadLetter):
            results.append(learned)
        else:
            results.append(second_half(learned, stages, validator, limits=limits))
    return results


# ----------------------------------------------------------------- the internal topic


def enrich_many(items: Sequence[ParsedItem], stages: Stages) -> list[Enrichment | None]:
    """Enrichments of a batch, in order; None where the batch could not be enriched at once
    (the caller then enriches that item alone, so one bad item never fails its neighbours)."""
    if stages.enrich_batch is None or len(items) < 2:
        return [None] * len(items)
    try:
        return list(stages.enrich_batch(items))
    except Exception:  # the boundary is per item: second_half retries each and dead-letters the culprit
        log.warning("batch enrichment of %d items failed; enriching them one by one", len(items), exc_info=True)
        return [None] * len(items)


def encode_cleaned(cleaned: CleanedDispatch, *, by: str = "story") -> tuple[bytes, bytes]:
    """(key, value) of an internal record: keyed by story id (wire.cleaned) or by learning shard
    (wire.parsed; by story id when the item has no source to learn from)."""
    key = cleaned.source if by == "source" and cleaned.source else cleaned.story_id
    return key.encode("utf-8"), dumps(cleaned)


def internal_record(
    cleaned: CleanedDispatch, *, by: str, limits: outcome.Limits = outcome.DEFAULT_LIMITS
) -> tuple[bytes, bytes] | DeadLetter:
    """(key, value) of the internal record, or the dead letter saying it is over the size limit."""
    key, value = encode_cleaned(cleaned, by=by)
    too_large = outcome.over_limit(outcome.record_size(key, value, ()), "the cleaned item", limits)
    if too_large is None:
        return key, value
    error = OversizeError(too_large, stage="clean", format=cleaned.item.format)
    return outcome.dead_letter(cleaned.raw, error, part=cleaned.part, parts=cleaned.parts, limits=limits)


def decode_cleaned(value: bytes) -> CleanedDispatch:
    """A ``wire.cleaned`` value back into its record; ``ContractError`` if it is not one."""
    try:
        return from_jsonable(CleanedDispatch, orjson.loads(value))
    except (orjson.JSONDecodeError, TypeError, ValueError, KeyError) as exc:
        raise ContractError(f"internal record is not a CleanedDispatch: {exc}", stage="decode-cleaned") from None
