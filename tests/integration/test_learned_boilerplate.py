"""Learned boilerplate on the real broker: a new source's footer disappears without a profile,
and what was learned survives a worker restart (the table's changelog)."""

from __future__ import annotations

import re

import orjson
import pytest

from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.broker

FOOTER = "Harbour Courier is published by the Harbourtown Press Cooperative, Quay Street, Harbourtown."
WORDS = [
    "amber",
    "birch",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "grove",
    "heath",
    "inlet",
    "jetty",
    "kelp",
    "lagoon",
    "marsh",
    "nettle",
    "orchard",
    "pier",
]


def _dispatch(n: int) -> bytes:
    a, b = WORDS[n % len(WORDS)], WORDS[(n // len(WORDS)) % len(WORDS)]
    return (
        f"Harbour Courier\n\nCouncil debates the {a} {b} project, item {n}\n\n"
        f"HARBOURTOWN - Councillors discussed the {a} {b} plan on Tuesday, the {n}th item on the agenda this year.\n\n"
        f"Residents near the {b} quay asked for more time to comment on the {a} proposal.\n\n"
        f"{FOOTER}\n"
    ).encode()


def _has_footer(record) -> bool:
    doc = orjson.loads(record.value)
    return any(FOOTER in body["value"] for body in doc.get("bodies", []) if body["contentType"] == "text/plain")


async def test_footer_of_a_new_source_is_learned_and_remembered(pipeline: Pipeline) -> None:
    """200 dispatches of one feed: the footer stays in the first 5 only; after a restart it is gone at once.

    Delivery is at-least-once, so a dispatch may have several outcomes; they share their
    ce_id, and the checks count dispatches (distinct ce_id), as an idempotent consumer would.
    """
    headers = (("content-type", b"text/plain; charset=utf-8"), ("wf_source", b"harbour-courier"))
    pipeline.start_worker()
    await pipeline.produce([(_dispatch(n), headers) for n in range(200)])
    records = await pipeline.outcomes(expected_raw=200, timeout=300)
    articles = _by_event(r for r in records if r.topic == pipeline.names.articles)
    assert len(articles) == 200
    with_footer = {ce_id for ce_id, outs in articles.items() if any(_has_footer(r) for r in outs)}
    assert len(with_footer) == 5  # the first five carriers teach the stage; none loses a line
    for ce_id, outs in articles.items():
        if ce_id not in with_footer:
            counts = orjson.loads(dict(outs[0].headers)["wf_removed"])
            assert counts.get("learned-boilerplate") == 1
            assert b"Harbourtown Press Cooperative" not in outs[0].value

    pipeline.stop_workers()
    pipeline.start_worker()  # a new process: the state comes back from the table's changelog
    await pipeline.produce([(_dispatch(n), headers) for n in range(200, 210)])
    records = await pipeline.outcomes(expected_raw=210, timeout=300)
    after = _by_event(r for r in records if r.topic == pipeline.names.articles and _item_number(r) >= 200)
    assert len(after) == 10
    assert not any(_has_footer(r) for outs in after.values() for r in outs)


def _by_event(records) -> dict[str, list]:
    """Outcomes grouped by their deterministic CloudEvents id (one group per dispatch)."""
    groups: dict[str, list] = {}
    for record in records:
        groups.setdefault(dict(record.headers)["ce_id"].decode(), []).append(record)
    return groups


def _item_number(record) -> int:
    match = re.search(rb"the (\d+)th item", record.value)
    assert match, record.value[:300]
    return int(match.group(1))
