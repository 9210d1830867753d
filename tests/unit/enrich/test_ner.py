"""NER: the model reads each different segment once, and a segment it read recently not again.

The installed English model on invented text; what the model is given is counted by
wrapping its ``pipe``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from pipeline.enrich import ner
from pipeline.enrich.text import Text, make_text

SHARED = "Hattie Brannock, a composer, premiered an invented symphony in Lisbon, said Owen Alcott."


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The segments the English model is given, in order (remembered segments forgotten first)."""
    nlp = ner.model("en")
    assert nlp is not None
    pipe = nlp.pipe
    given: list[str] = []

    def counting(texts: Iterable[str], **kwargs: Any) -> Any:
        def each() -> Iterator[str]:
            for value in texts:
                given.append(value)
                yield value

        return pipe(each(), **kwargs)

    ner.forget()
    monkeypatch.setattr(nlp, "pipe", counting)
    yield given
    ner.forget()


def story(*paragraphs: str) -> Text:
    return make_text([("lead", paragraphs[0]), *(("body", p) for p in paragraphs[1:])])


def alone(text: Text) -> list[ner.Span]:
    """The spans of ``text`` with nothing remembered."""
    ner.forget()
    return ner.entities(text, "en")


def test_a_repeated_segment_is_read_once(read: list[str]) -> None:
    """Two stories sharing a paragraph, and one repeating it: the model reads it once, and
    each story gets the spans it gets alone."""
    first = story(SHARED, "The premiere in Porto was sold out.")
    second = story("Critics in Lisbon were kind.", SHARED, SHARED)
    found = ner.entities_many([first, second], "en")
    assert read == [SHARED, "The premiere in Porto was sold out.", "Critics in Lisbon were kind."]
    assert found == [alone(first), alone(second)]
    assert [s.text for s in found[1] if s.kind == "person"] == ["Hattie Brannock", "Owen Alcott"] * 2


def test_a_segment_read_in_an_earlier_batch_is_not_read_again(read: list[str]) -> None:
    """The entities of a segment read before are remembered; only the new one is read."""
    ner.entities_many([story(SHARED)], "en")
    later = story("Owen Alcott conducted.", SHARED)
    found = ner.entities(later, "en")
    assert read == [SHARED, "Owen Alcott conducted."]
    assert found == alone(later)


def test_the_remembered_segments_are_the_most_recent_few(read: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``SEGMENT_MEMORY`` segments, the least recently read is forgotten first."""
    monkeypatch.setattr(ner, "SEGMENT_MEMORY", 2)
    for paragraph in ("One in Lisbon.", "Two in Porto.", "One in Lisbon.", "Three in Faro."):
        ner.entities(story(paragraph), "en")
    ner.entities(story("One in Lisbon."), "en")  # remembered: read again after "Two"
    ner.entities(story("Two in Porto."), "en")  # forgotten when "Three" came
    assert read == ["One in Lisbon.", "Two in Porto.", "Three in Faro.", "Two in Porto."]
