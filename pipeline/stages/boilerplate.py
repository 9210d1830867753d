"""Learned boilerplate: lines that keep coming back in one source's dispatches are removed.

Agency profiles (``pipeline/profiles/``) name the boilerplate of agencies we know. A new
feed's footer, subscription notice or "follow us" line should disappear without anyone
writing a profile: this stage counts, per source, the lines of recent dispatches and
removes a line once it has been seen in enough *earlier* dispatches of that source.

Rules, chosen to never eat real text:
- decisions use only earlier dispatches: the first dispatch to carry a line keeps it;
- a line counts once per story (versions and re-sends of a story do not inflate it);
- a line is boilerplate when it appeared in at least ``min_count`` earlier stories *and*
  in at least ``min_share`` of the source's stories since it first appeared (a background
  paragraph repeated across a story series fails the share test, a footer passes it);
- only runs of such lines at the start or end of the body are removed, plus short lines
  (``max_interior_words``) inside it; a body is never emptied.

The state of a source is a plain JSON-able dict (it lives in a Faust table, keyed by
source, with a changelog): counts are kept for at most ``max_lines`` lines, the rarest
and oldest evicted first, so memory is bounded whatever the traffic.

    state = {"seq": stories seen, "lines": {fingerprint: [count, first_seq, last_seq]},
             "recent": [story ids, newest last]}
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from pipeline.records import Block, Headers, ParsedItem, Removed, header_value

REASON = "learned-boilerplate"
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")

State = dict[str, Any]


@dataclass(frozen=True, slots=True)
class LearnerConfig:
    min_count: int = 5  # earlier stories that carried the line
    min_share: float = 0.5  # of the source's stories since the line first appeared
    max_lines: int = 2000  # lines tracked per source (memory bound)
    max_interior_words: int = 12  # longer lines are only removed at the ends of the body
    recent_stories: int = 500  # story ids remembered per source, to count a story once
    min_chars: int = 12  # shorter lines ("Ankara", "***") carry no signal


DEFAULT = LearnerConfig()


def source_key(item: ParsedItem, raw_headers: Headers) -> str:
    """Which source a dispatch belongs to: the feed name if the producer set one, else
    the agency and format (every AA web page shares one template)."""
    feed = header_value(raw_headers, "wf_source")
    if feed and header_value(raw_headers, "wf_input") != feed:
        return f"feed:{feed}"
    return f"{item.agency or 'unknown'}:{item.format}"


def fingerprint(text: str) -> str:
    """Lines that differ only in case, spacing or numbers (dates, years) are the same line."""
    norm = unicodedata.normalize("NFC", text).casefold()
    norm = _SPACE.sub(" ", _DIGITS.sub("0", norm)).strip()
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).hexdigest()


def new_state() -> State:
    return {"seq": 0, "lines": {}, "recent": []}


def _is_learned(fp: str, state: State, cfg: LearnerConfig) -> bool:
    entry = state["lines"].get(fp)
    if entry is None:
        return False
    count, first_seq, _ = entry
    span = state["seq"] - first_seq + 1
    return count >= cfg.min_count and count / max(span, 1) >= cfg.min_share


def strip_learned(item: ParsedItem, state: State, cfg: LearnerConfig = DEFAULT) -> ParsedItem:
    """The item without the lines this source's earlier dispatches taught us are boilerplate."""
    blocks = list(item.body)
    if len(blocks) < 2 or not state["lines"]:
        return item
    learned = [len(b.text) >= cfg.min_chars and _is_learned(fingerprint(b.text), state, cfg) for b in blocks]
    keep = [True] * len(blocks)
    start = 0
    while start < len(blocks) and learned[start]:
        keep[start] = False
        start += 1
    end = len(blocks) - 1
    while end > start and learned[end]:
        keep[end] = False
        end -= 1
    for i in range(start, end + 1):
        if learned[i] and len(blocks[i].text.split()) <= cfg.max_interior_words:
            keep[i] = False
    if not any(keep):
        return item  # never empty a body: a dispatch that is all boilerplate is not ours to judge
    if all(keep):
        return item
    removed = tuple(Removed(b.text, REASON) for b, k in zip(blocks, keep, strict=True) if not k)
    body: tuple[Block, ...] = tuple(b for b, k in zip(blocks, keep, strict=True) if k)
    return replace(item, body=body, removed=item.removed + removed)


def observe(item: ParsedItem, story_id: str, state: State, cfg: LearnerConfig = DEFAULT) -> None:
    """Count the item's lines in ``state`` (in place). A story is counted once."""
    recent: list[str] = state["recent"]
    if story_id in recent:
        return
    recent.append(story_id)
    if len(recent) > cfg.recent_stories:
        del recent[: len(recent) - cfg.recent_stories]
    state["seq"] += 1
    seq = state["seq"]
    lines: dict[str, list[int]] = state["lines"]
    texts = [b.text for b in item.body] + [r.text for r in item.removed if r.reason == REASON]
    for fp in {fingerprint(t) for t in texts if len(t) >= cfg.min_chars}:
        entry = lines.get(fp)
        if entry is None:
            lines[fp] = [1, seq, seq]
        else:
            entry[0] += 1
            entry[2] = seq
    if len(lines) > cfg.max_lines:
        _evict(lines, cfg.max_lines)


def _evict(lines: dict[str, list[int]], limit: int) -> None:
    """Drop the rarest, least recently seen lines down to 3/4 of ``limit``."""
    ranked = sorted(lines.items(), key=lambda kv: (kv[1][0], kv[1][2]))
    for fp, _ in ranked[: len(lines) - (limit * 3) // 4]:
        del lines[fp]


def summary(state: State, cfg: LearnerConfig = DEFAULT) -> dict[str, int]:
    """How much a source's state holds: stories seen, lines tracked, lines now learned."""
    learned = sum(1 for fp in state["lines"] if _is_learned(fp, state, cfg))
    return {"stories": state["seq"], "tracked": len(state["lines"]), "learned": learned}
