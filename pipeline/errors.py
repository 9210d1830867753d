"""Errors raised by the stages, and how they become dead letters.

Every failure a stage can report is a ``PipelineError``; the agent boundary turns it
into a dead-letter record (see ``pipeline.stages.outcome``). Anything else that escapes a
stage is a bug, and is dead-lettered too, as ``UnexpectedError`` with the original class
name, so that no dispatch is ever lost.

    PipelineError                 stage, reason, format
     ├── DecodeError              bytes that are not text in any supported encoding
     ├── UnknownFormatError       no registered parser recognises the dispatch
     ├── ParseError               a parser recognised the format but could not read it
     │    └── UnsafeXMLError      entity expansion, external DTD/entity, too deep, too big
     ├── EmptyDispatchError       parsed, but carries no text at all
     ├── ContractError            an output record failed its schema (a bug guard)
     ├── OversizeError            a dispatch or an outcome over the size limit (WIREFEED_MAX_MESSAGE_BYTES)
     ├── RefusedError             the broker refused to store an outcome (it is replaced by a small dead letter)
     ├── TimeLimitError           a stage ran longer than the per-record limit (WIREFEED_STAGE_TIME_LIMIT)
     ├── QuarantinedError         the record crashed the stage process again and again
     └── UnexpectedError          any other exception, wrapped at the stage boundary
"""

from __future__ import annotations


class PipelineError(Exception):
    """Root of every error a stage reports; carries the context a dead letter needs."""

    #: the stage that failed ("decode", "parse", "clean", "enrich", "normalise", ...)
    default_stage = "pipeline"

    def __init__(self, reason: str, *, stage: str | None = None, format: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.stage = stage or self.default_stage
        self.format = format

    def __str__(self) -> str:
        where = f"{self.stage}/{self.format}" if self.format else self.stage
        return f"[{where}] {self.reason}"


class DecodeError(PipelineError):
    """The bytes are not text in any encoding we support (binary garbage, truncated UTF-16, ...)."""

    default_stage = "decode"


class UnknownFormatError(PipelineError):
    """No registered parser recognised the dispatch."""

    default_stage = "parse"


class ParseError(PipelineError):
    """A parser recognised the format but the dispatch is malformed."""

    default_stage = "parse"


class UnsafeXMLError(ParseError):
    """The XML uses a construct we refuse to process (entities, external DTDs, bombs)."""


class EmptyDispatchError(PipelineError):
    """The dispatch was read but holds no text (no headline and no body)."""

    default_stage = "parse"


class ContractError(PipelineError):
    """An outcome record does not match its published schema."""

    default_stage = "normalise"


class OversizeError(PipelineError):
    """A dispatch, or one of its outcomes, is larger than the one size limit."""

    default_stage = "size"


class RefusedError(PipelineError):
    """The broker refused to store a record (too large for it, invalid); the dispatch is
    dead-lettered without the refused record."""

    default_stage = "publish"


class TimeLimitError(PipelineError):
    """A stage spent longer than the per-record time limit on the dispatch; it was abandoned."""


class QuarantinedError(PipelineError):
    """The dispatch crashed the stage process repeatedly; it is set aside."""


class UnexpectedError(PipelineError):
    """Any other exception caught at a stage boundary; ``error_class`` names the original."""

    def __init__(self, exc: BaseException, *, stage: str, format: str | None = None) -> None:
        super().__init__(f"{type(exc).__name__}: {exc}", stage=stage, format=format)
        self.error_class = type(exc).__name__
