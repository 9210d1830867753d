"""Human output shared by the commands: a line per outcome, a progress line, record fields.

Used by ``wirefeed run`` (live output), ``tail`` and ``ingest``; kept apart from the
command-line parsing so that those modules depend on it, not on each other.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import orjson


def headers_dict(headers: Any) -> dict[str, str]:
    return {k: (v or b"").decode("utf-8", errors="replace") for k, v in (headers or ())}


def value_json(value: bytes | None) -> Any:
    if value is None:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.decode("utf-8", errors="replace")


def article_line(headers: dict[str, str], value: Any) -> str:
    """One human line per outcome: agency, language, headline (or why it failed)."""
    if ".deadletter." in headers.get("ce_type", ""):
        error = value.get("error", {}) if isinstance(value, dict) else {}
        src = headers.get("wf_source", "")
        return f"  DEAD  {error.get('stage', '?')}/{error.get('class', '?')}: {error.get('reason', '')[:100]}  [{src}]"
    if ".duplicate." in headers.get("ce_type", "") and isinstance(value, dict):
        what = "STALE" if value.get("event") == "stale" else "COPY "
        return f"  {what} {headers.get('wf_agency', '?'):<8} {value.get('uri', '')} -> {value.get('duplicateOf', '')}"
    headline = ""
    if isinstance(value, dict):
        heads = value.get("headlines") or []
        headline = heads[0]["value"] if heads else (value.get("bodies") or [{}])[0].get("value", "")[:80]
    agency = headers.get("wf_agency", "?")
    lang = value.get("language", "?") if isinstance(value, dict) else "?"
    story = headers.get("wf_story")
    mark = ""
    if story:
        event = orjson.loads(story)
        if event.get("event") == "kill":
            mark = "KILL "
        elif event.get("event") == "version":
            mark = f"v{event.get('version')} "
    return f"  {agency:<8} {lang:<3} {mark}{headline}"


class Progress:
    """A one-line progress display on stderr (rewritten in place on a terminal)."""

    def __init__(self, label: str, total: int | None = None, stream: TextIO = sys.stderr) -> None:
        self.label, self.total, self.stream = label, total, stream
        self.count = 0
        self.start = time.monotonic()
        self.last = 0.0
        self.tty = stream.isatty()

    def update(self, n: int = 1, force: bool = False) -> None:
        self.count += n
        now = time.monotonic()
        if not force and now - self.last < (0.1 if self.tty else 5.0):
            return
        self.last = now
        rate = self.count / max(now - self.start, 1e-6)
        if self.total:
            done = self.count / self.total
            bar = "#" * int(done * 30)
            text = f"{self.label} [{bar:<30}] {self.count}/{self.total} {rate:,.0f}/s"
        else:
            text = f"{self.label} {self.count} {rate:,.0f}/s"
        if self.tty:
            self.stream.write("\r" + text + "\033[K")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.update(0, force=True)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
