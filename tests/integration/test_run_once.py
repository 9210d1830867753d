"""`wirefeed run --once`: the main job accounts for every sample dispatch, then exits cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.sources import iter_dispatches

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "firehose"


def _last_json(stdout: str) -> dict:
    """The JSON object the output ends with (the audit summary)."""
    start = stdout.rstrip().rfind("\n{")
    return json.loads(stdout[start + 1 :] if start >= 0 else stdout)


def test_run_once_accounts_for_every_sample_dispatch(tmp_path: Path) -> None:
    """The embedded broker, a worker and the replay: the output ends with the audit, missing 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREFEED_")}
    env["WIREFEED_DATA_DIR"] = str(tmp_path / "state")
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--once", "--timeout", "300"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = _last_json(proc.stdout)
    manifest = json.loads((SAMPLES / "MANIFEST.json").read_text())
    dispatches = list(iter_dispatches([str(SAMPLES)], exclude=["MANIFEST.json", "README.md"]))
    assert summary["raw"] == len(dispatches) == len(manifest)
    assert summary["missing"] == 0
    assert summary["articles"] == sum(m["items"] for m in manifest if m["expect"] == "article")
    assert summary["deadletters"] == sum(1 for m in manifest if m["expect"] == "deadletter")
    # one live line per article, naming its headline
    for entry in manifest:
        if entry["expect"] == "article":
            assert entry["headline"] in proc.stdout, entry["file"]
    # nothing left running: the broker and the worker were children of the run
    assert _processes_with_env(f"WIREFEED_DATA_DIR={tmp_path / 'state'}") == []


def _processes_with_env(marker: str) -> list[int]:
    """PIDs of live processes whose environment holds ``marker`` (the run's children inherit it)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker.encode() in environ:
            found.append(int(proc.name))
    return found
