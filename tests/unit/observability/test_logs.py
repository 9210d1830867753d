"""JSON log lines: the message as written, the dispatch's coordinates as fields."""

from __future__ import annotations

import logging

import orjson
import pytest

from pipeline.observability import logs
from pipeline.records import Provenance, RawDispatch


def _line(message: str, *args: object, **kwargs: object) -> dict:
    record = logging.LogRecord("pipeline.x", logging.ERROR, __file__, 1, message, args, None)
    for name, value in kwargs.items():
        setattr(record, name, value)
    return orjson.loads(logs.JsonFormatter("worker").format(record))


def test_a_line_about_a_dispatch_has_its_coordinates_and_id_as_fields() -> None:
    raw = RawDispatch(b"x", provenance=Provenance("t1.wire.raw", 3, 1207))
    line = _line("%s: the stage ran too long", raw.where())
    assert line["message"] == f"t1.wire.raw[3]@1207 {raw.dispatch_id}: the stage ran too long"
    assert (line["topic"], line["partition"], line["offset"], line["dispatch_id"]) == (
        "t1.wire.raw", 3, 1207, raw.dispatch_id,
    )  # fmt: skip
    assert line["level"] == "error" and line["process"] == "worker" and line["time"].endswith("Z")


def test_a_batch_line_lists_every_dispatch_and_extras_are_fields() -> None:
    line = _line("a batch (wire.raw[0]@5 .. wire.raw[0]@9) failed", attempt=2)
    assert line["offset"] == 5 and "dispatch_id" not in line
    assert line["dispatches"] == ["wire.raw[0]@5", "wire.raw[0]@9"] and line["attempt"] == 2
    assert "topic" not in _line("nothing about a dispatch")


def test_an_exception_is_kept_and_a_wrong_format_is_refused() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in orjson.loads(logs.JsonFormatter().format(record))["exception"]
    with pytest.raises(ValueError, match="WIREFEED_LOG_FORMAT"):
        logs.check("yaml")
    assert logs.worker_config("text", "info") is None
    config = logs.worker_config("json", "info")
    assert config is not None and config["root"]["level"] == "INFO"
