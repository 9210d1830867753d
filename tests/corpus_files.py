"""Where the real agency corpus lives, and pytest parameters over its files.

The corpus is third-party text: it is read in place (``../shared/corpus`` beside the
repository, or ``WIREFEED_CORPUS``) and never copied into the project. When it is absent,
every test that needs it is skipped with a reason that says where it was looked for.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def corpus_root() -> Path:
    return Path(os.environ.get("WIREFEED_CORPUS") or ROOT.parent / "shared" / "corpus").resolve()


def corpus_available() -> bool:
    return corpus_root().is_dir()


SKIP_REASON = (
    f"real agency corpus not found at {corpus_root()} "
    "(put ../shared/corpus beside the repository or set WIREFEED_CORPUS)"
)


def require_corpus(*parts: str) -> Path:
    """The corpus path ``parts``; skips the calling test when it is not there."""
    path = corpus_root().joinpath(*parts)
    if not path.exists():
        pytest.skip(SKIP_REASON if not corpus_available() else f"{path} is missing from the corpus")
    return path


def corpus_params(pattern: str, *, under: str = "") -> list:
    """``pytest.param(path, id=file name)`` for every corpus file matching ``pattern``.

    When the corpus is absent this is one skipped parameter, so the test shows as skipped
    with the reason instead of silently vanishing.
    """
    base = corpus_root() / under if under else corpus_root()
    if not base.is_dir():
        return [pytest.param(None, id="corpus-absent", marks=pytest.mark.skip(reason=SKIP_REASON))]
    files = sorted(p for p in base.glob(pattern) if p.is_file() and p.name != "MANIFEST.md")
    return [pytest.param(p, id=p.name) for p in files]
