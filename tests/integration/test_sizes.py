"""The one size limit on a real worker: an oversized raw and an oversized outcome become dead letters,
the partition moves on, and the worker stops promptly."""

from __future__ import annotations

import signal
import time

import orjson
import pytest

from tests.integration.conftest import Pipeline, assert_commits_have_outcomes

pytestmark = pytest.mark.broker

LIMIT = 256 * 1024


def _story(n: int, paragraphs: int = 1) -> bytes:
    body = "\n\n".join(
        f"PORTVILLE - Paragraph {i} of story {n}, about the harbour works and the new quay." for i in range(paragraphs)
    )
    return f"Portville Herald\n\nStory {n} about the harbour\n\n{body}\n".encode()


async def test_oversized_raw_and_oversized_article_become_dead_letters_and_the_partition_moves_on(
    lean_pipeline: Pipeline,
) -> None:
    """One partition: small, too large to carry, too large an article, small -- four outcomes, in that order."""
    pipeline = lean_pipeline
    pipeline.env.update({"WIREFEED_PARTITIONS": "1", "WIREFEED_MAX_MESSAGE_BYTES": str(LIMIT)})
    headers = (("content-type", b"text/plain; charset=utf-8"), ("wf_source", b"portville"))
    oversized_raw = _story(2, paragraphs=4000)  # about 330 KB: over the limit as it is
    oversized_article = _story(3, paragraphs=2300)  # about 190 KB raw; its article (text + html) over 256 KiB
    assert len(oversized_raw) > LIMIT > len(oversized_article)
    dispatches = [_story(1), oversized_raw, oversized_article, _story(4)]
    pipeline.start_worker()
    coords = await pipeline.produce([(d, headers) for d in dispatches])
    assert [p for p, _ in coords] == [0, 0, 0, 0]
    records = await pipeline.outcomes_for(coords, timeout=240)
    by_offset: dict[int, list] = {}
    for record in records:
        by_offset.setdefault(int(dict(record.headers)["wf_raw_offset"]), []).append(record)
    outcome = {offset: {r.topic for r in rs} for offset, rs in by_offset.items()}
    first, big_raw, big_article, last = (o for _, o in coords)
    assert outcome[first] == outcome[last] == {pipeline.names.articles}, "the partition moved on"
    assert outcome[big_raw] == outcome[big_article] == {pipeline.names.deadletter}
    raw_letter = orjson.loads(by_offset[big_raw][0].value)
    assert (raw_letter["error"]["stage"], raw_letter["error"]["class"]) == ("size", "OversizeError")
    assert f"{len(oversized_raw):,} bytes" in raw_letter["error"]["reason"]
    assert "value" not in raw_letter["original"] and raw_letter["original"]["size"] == len(oversized_raw)
    article_letter = orjson.loads(by_offset[big_article][0].value)
    assert (article_letter["error"]["stage"], article_letter["error"]["class"]) == ("normalise", "OversizeError")
    assert "the article is" in article_letter["error"]["reason"]
    for record in records:
        assert len(record.value) < LIMIT
    await assert_commits_have_outcomes(pipeline)
    started = time.monotonic()
    codes = pipeline.stop_workers(signal.SIGTERM)
    assert codes == [0] and time.monotonic() - started < 15, "SIGTERM stops the worker promptly"
