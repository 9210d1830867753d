"""The README's subscriber example runs as written against a broker and drops repeats by ce_id."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from pipeline.kafka import ensure_topics, producer
from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]


def _example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Python (aiokafka)") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


async def test_the_readme_consumer_sees_each_article_once_and_the_kills(pipeline: Pipeline, tmp_path: Path) -> None:
    """A repeated record (same ce_id) is printed once; a canceled story shows as a kill."""
    script = tmp_path / "consumer.py"
    script.write_text(_example(), encoding="utf-8")
    first = {"uri": "urn:ex:a", "language": "fr", "pubStatus": "usable", "headlines": [{"value": "Port reopens"}]}
    killed = {"uri": "urn:ex:b", "language": "fr", "pubStatus": "canceled", "headlines": [{"value": "Wrong story"}]}
    await ensure_topics(pipeline.bootstrap, pipeline.names.all(), 2)
    async with producer(pipeline.bootstrap) as prod:
        for article, ce_id in ((first, "id-a"), (first, "id-a"), (killed, "id-b")):
            headers = [("ce_id", ce_id.encode()), ("wf_agency", b"afp")]
            await prod.send_and_wait(
                pipeline.names.articles, orjson.dumps(article), key=article["uri"].encode(), headers=headers
            )
    env = {
        **os.environ,
        "KAFKA": pipeline.bootstrap,
        "TOPIC": pipeline.names.articles,
        "GROUP": f"{pipeline.prefix}desk",
    }
    proc = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while len(lines) < 2 and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if line:
                lines.append(line.strip())
        time.sleep(1.0)  # a third line (the repeat) would come now
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    lines += [line.strip() for line in out.splitlines() if line.strip()]
    assert lines == ["afp fr Port reopens", "KILL urn:ex:b"], err[-2000:]
