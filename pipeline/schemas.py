"""The published contract, loaded from ``schemas/``: validators for every record we emit.

``validate_outcome`` checks an outcome's value and headers against the schema of its
topic; the worker runs it when ``WIREFEED_VALIDATE`` is on and the tests always do. The
official ninjs 3.1 schema is used unchanged; its reference to GeoJSON resolves to the
local copy in ``schemas/geojson/`` so validation never touches the network.

``cleaned_schema()`` derives the JSON Schema of the internal ``wire.cleaned`` record from
the dataclasses in ``pipeline.records``; a test keeps the committed file equal to it.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from pipeline.errors import ContractError
from pipeline.records import Article, CleanedDispatch, Headers, Outcome, Result
from pipeline.topics import ALERTS, ARTICLES, DEADLETTER, DUPLICATES, LATEST, RAW, SOURCES

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

#: (logical topic, part) -> schema file, relative to SCHEMA_DIR
FILES = {
    (RAW, "headers"): "wire.raw/headers.v1.json",
    (ARTICLES, "value"): "wire.articles/value.v1.json",
    (ARTICLES, "headers"): "wire.articles/headers.v1.json",
    (DEADLETTER, "value"): "wire.deadletter/value.v2.json",
    (DEADLETTER, "headers"): "wire.deadletter/headers.v2.json",
    # earlier versions, kept to check compatibility (a v1 value is a valid v2 value)
    (DEADLETTER, "value.v1"): "wire.deadletter/value.v1.json",
    (DEADLETTER, "headers.v1"): "wire.deadletter/headers.v1.json",
    ("wire.cleaned", "value"): "wire.cleaned/value.v1.json",
    (ALERTS, "value"): "wire.alerts/value.v2.json",
    (ALERTS, "value.v1"): "wire.alerts/value.v1.json",  # a v1 value is a valid v2 value
    # the idle-feed watch's sightings (pipeline/observability/idle.py)
    (SOURCES, "value"): "wire.sources/value.v1.json",
    # the latest topic holds the articles' records (or tombstones)
    (LATEST, "value"): "wire.articles/value.v1.json",
    (LATEST, "headers"): "wire.articles/headers.v1.json",
    (DUPLICATES, "value"): "wire.duplicates/value.v1.json",
    (DUPLICATES, "headers"): "wire.duplicates/headers.v1.json",
    # the feeders' state (pipeline/feeders/journal.py)
    ("wire.feeders", "value"): "wire.feeders/value.v1.json",
    ("ninjs", "3.1"): "ninjs/ninjs-schema_3.1.json",
}


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        if "should_" in str(path.relative_to(SCHEMA_DIR)):
            continue
        contents = orjson.loads(path.read_bytes())
        if "$id" in contents:
            resource = Resource.from_contents(contents)
            resources.append((contents["$id"].rstrip("#"), resource))
    return Registry().with_resources(resources)


@cache
def validator(topic: str, part: str) -> Draft202012Validator:
    """The validator for ``part`` ("value" or "headers") of a logical topic."""
    path = SCHEMA_DIR / FILES[(topic, part)]
    schema = orjson.loads(path.read_bytes())
    return Draft202012Validator(schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def headers_as_object(headers: Headers) -> dict[str, str]:
    """Headers as the JSON object the header schemas describe; a repeated name is an error."""
    out: dict[str, str] = {}
    for name, value in headers:
        if name in out:
            raise ContractError(f"header {name!r} appears twice")
        out[name] = value.decode("utf-8")
    return out


def errors(topic: str, part: str, instance: Any) -> list[str]:
    """Every schema violation, as readable lines ("at /bodies/0: 'value' is a required property")."""
    found = sorted(validator(topic, part).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [_describe(e) for e in found]


def _describe(error: ValidationError) -> str:
    where = "/" + "/".join(str(p) for p in error.absolute_path)
    return f"at {where}: {error.message}"


def validate_outcome(outcome: Outcome, logical_topic: str) -> None:
    """Raise ``ContractError`` unless the outcome matches its topic's schemas."""
    problems: list[str] = []
    headers = headers_as_object(outcome.headers)
    problems += [f"headers {p}" for p in errors(logical_topic, "headers", headers)]
    for name, value in headers.items():
        schema_prop = validator(logical_topic, "headers").schema["properties"].get(name, {})
        if schema_prop.get("contentMediaType") == "application/json":
            try:
                orjson.loads(value)
            except orjson.JSONDecodeError:
                problems.append(f"header {name} is not JSON: {value[:60]!r}")
    if outcome.value is None:  # a tombstone: no value to check
        if problems:
            raise ContractError("; ".join(problems), stage="validate")
        return
    try:
        value = orjson.loads(outcome.value)
    except orjson.JSONDecodeError as exc:
        problems.append(f"value is not JSON: {exc}")
    else:
        problems += [f"value {p}" for p in errors(logical_topic, "value", value)]
    if problems:
        raise ContractError(f"{logical_topic} record breaks its schema: " + "; ".join(problems[:5]))


def validate_result(result: Result) -> None:
    """Raise ``ContractError`` unless a stage result (article or dead letter) matches its schemas."""
    logical = ARTICLES if isinstance(result, Article) else DEADLETTER
    validate_outcome(Outcome(logical, result.key, result.value, result.headers), logical)


# ----------------------------------------------------------- wire.cleaned, derived


def cleaned_schema() -> dict[str, Any]:
    """JSON Schema of the ``wire.cleaned`` value, derived from ``CleanedDispatch``."""
    defs: dict[str, Any] = {}
    root = _schema_for(CleanedDispatch, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://wirefeed.invalid/schemas/wire.cleaned/value.v1.json",
        "title": "wire.cleaned record value, v1 (internal topic)",
        "description": (
            "The record between the parse-clean and enrich-emit agents: a cleaned item and the raw "
            "record it came from (bytes base64, so a later failure still dead-letters the original). "
            "Generated from pipeline/records.py by `python -m pipeline.schemas`; do not edit by hand."
        ),
        **root,
        "$defs": defs,
    }


def _schema_for(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        options = [_schema_for(a, defs) for a in args if a is not type(None)]
        nullable = type(None) in args
        schema = options[0] if len(options) == 1 else {"anyOf": options}
        return {"anyOf": [schema, {"type": "null"}]} if nullable else schema
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema_for(args[0], defs)}
        return {
            "type": "array",
            "prefixItems": [_schema_for(a, defs) for a in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs and tp is not CleanedDispatch:
            defs[name] = {}  # placeholder against recursion
            defs[name] = _object_schema(tp, defs)
        if tp is CleanedDispatch:
            return _object_schema(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    simple = {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"}, bool: {"type": "boolean"}}
    if tp in simple:
        return simple[tp]
    if tp is bytes:
        return {"type": "string", "contentEncoding": "base64"}
    if tp is datetime:
        return {"type": "string", "format": "date-time"}
    raise TypeError(f"no JSON Schema mapping for {tp!r}")


def _object_schema(cls: Any, defs: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props = {f.name: _schema_for(hints[f.name], defs) for f in dataclasses.fields(cls)}
    required = [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def main() -> None:
    """Regenerate schemas/wire.cleaned/value.v1.json."""
    path = SCHEMA_DIR / FILES[("wire.cleaned", "value")]
    path.write_bytes(orjson.dumps(cleaned_schema(), option=orjson.OPT_INDENT_2) + b"\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
