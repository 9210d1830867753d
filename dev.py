#!/usr/bin/env python3
"""The two commands of the README, for a fresh machine that has only python3.

    python3 dev.py run  [ARGS...]   the main job: ``wirefeed run ARGS`` (embedded broker,
                                    worker, sample firehose)
    python3 dev.py test [ARGS...]   the whole test suite: ``pytest ARGS``
    python3 dev.py lock             re-pin requirements.lock from the current .venv

Both create or update ``.venv/`` in the repository first. The venv is rebuilt only when
pyproject.toml or requirements.lock change (their hash is stamped inside the venv).
Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".wirefeed-installed"
INPUTS = (ROOT / "pyproject.toml", ROOT / "requirements.lock")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in INPUTS:
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _pip(*args: str) -> None:
    cmd = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "-q", *args]
    subprocess.run(cmd, check=True, cwd=ROOT)


def ensure_venv() -> None:
    """Create .venv and install the locked dependencies and the project, if needed."""
    wanted = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs under any python3, before the venv
        sys.exit(f"wirefeed needs Python >= 3.11, this is {sys.version.split()[0]}")
    print(f"dev.py: setting up {VENV.relative_to(ROOT)}/ (first run or dependencies changed)...", file=sys.stderr)
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    _pip("install", "-r", str(ROOT / "requirements.lock"))
    _pip("install", "--no-deps", "--no-build-isolation", "-e", str(ROOT))
    STAMP.write_text(wanted)
    print("dev.py: .venv ready.", file=sys.stderr)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "lock"):
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "lock":
        frozen = subprocess.run(
            [str(PYTHON), "-m", "pip", "freeze", "--all", "--exclude-editable"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        keep = [line for line in frozen.splitlines() if line and not line.startswith(("pip==", "wirefeed"))]
        (ROOT / "requirements.lock").write_text(
            "# Exact versions installed by dev.py and CI. Regenerate: python3 dev.py lock\n" + "\n".join(keep) + "\n"
        )
        return 0
    ensure_venv()
    cmd = [str(BIN / "wirefeed"), "run", *rest] if command == "run" else [str(PYTHON), "-m", "pytest", *rest]
    os.chdir(ROOT)
    # exec: Ctrl-C and SIGTERM reach wirefeed/pytest directly, no wrapper in between
    os.execv(cmd[0], cmd)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
