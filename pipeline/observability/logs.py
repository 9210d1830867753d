"""Structured logs on request: one JSON object per line (``WIREFEED_LOG_FORMAT=json``).

Every line about a dispatch names ``topic[partition]@offset`` and the dispatch id in its
message (``RawDispatch.where()``; the house rule). In JSON those become fields a log
system can index -- ``topic``, ``partition``, ``offset``, ``dispatch_id`` -- read from
the message (the first coordinates it names; a line naming several also lists them all
in ``dispatches``), or given explicitly with ``extra={"dispatch_id": ...}``. The message
stays as it was written, so the text and JSON forms say the same.

    {"time": "2026-05-01T12:00:00.123Z", "level": "error", "logger": "pipeline.delivery.pool",
     "message": "wire.raw[1]@42 3f2a...: the parse-clean stage ran longer than ...",
     "process": "worker", "pid": 812, "topic": "wire.raw", "partition": 1, "offset": 42,
     "dispatch_id": "3f2a..."}
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

#: ``topic[partition]@offset``, optionally followed by the 24-hex dispatch id (``where()``)
WHERE = re.compile(
    r"(?P<topic>[A-Za-z0-9._-]+)\[(?P<partition>\d+)\]@(?P<offset>\d+)(?:\s+(?P<dispatch_id>[0-9a-f]{24})\b)?"
)
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# the attributes every LogRecord has; anything else on a record came from ``extra=``
_STANDARD = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line, with the dispatch's coordinates as fields."""

    def __init__(self, process: str = "") -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        stamp = datetime.fromtimestamp(record.created, tz=UTC)
        out: dict[str, Any] = {
            "time": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
            "pid": record.process,
        }
        if self.process:
            out["process"] = self.process
        found = list(WHERE.finditer(message))
        if found:
            first = found[0]
            out["topic"] = first["topic"]
            out["partition"] = int(first["partition"])
            out["offset"] = int(first["offset"])
            if first["dispatch_id"]:
                out["dispatch_id"] = first["dispatch_id"]
            if len(found) > 1:
                out["dispatches"] = [m.group(0) for m in found]
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                out[name] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(out, default=str).decode()


def check(fmt: str) -> str:
    """The log format setting, or a clear error."""
    if fmt not in FORMATS:
        raise ValueError(f"WIREFEED_LOG_FORMAT={fmt!r}: expected one of {', '.join(FORMATS)}")
    return fmt


def formatter(fmt: str, process: str = "", text_format: str = TEXT_FORMAT) -> logging.Formatter:
    return JsonFormatter(process) if check(fmt) == "json" else logging.Formatter(text_format)


def configure(level: str, fmt: str = "text", *, process: str = "", text_format: str = TEXT_FORMAT) -> None:
    """Log to stderr at ``level`` in ``fmt`` (a command's or a stage process's whole logging)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt, process, text_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))


def worker_config(fmt: str, level: str) -> dict[str, Any] | None:
    """The ``logging.config`` dict for the Faust worker (which sets logging up itself), or None
    for its own text format."""
    if check(fmt) != "json":
        return None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter", "process": "worker"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "json"}},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
    }
