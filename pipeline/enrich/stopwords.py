"""spaCy's stop-word lists, read without importing spaCy.

Two components need the function words of a language: places (a capitalised stop word at
a sentence start is no place) and language detection (a text with none of its language's
function words has no language evidence: a table, a list of names). spaCy ships a list
per language in ``spacy/lang/<lang>/stop_words.py``; importing it the usual way would
first import ``spacy`` (2 s) and the package ``spacy.lang.<lang>``, which for French
compiles the tokenizer's exception pattern (8-10 s). The file is one
``STOP_WORDS = set(...)`` with no imports, so it is executed alone.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)


@cache
def spacy_stop_words(language: str | None) -> frozenset[str]:
    """The lower-case stop words spaCy lists for ``language`` (primary subtag); empty if none."""
    lang = (language or "").split("-")[0].lower()
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations or not lang.isalpha():
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "lang" / lang / "stop_words.py"
    if not path.is_file():
        return frozenset()
    module_spec = importlib.util.spec_from_file_location(f"_wirefeed_spacy_stop_words_{lang}", path)
    if module_spec is None or module_spec.loader is None:
        return frozenset()
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except ImportError:  # a future spaCy whose list imports something: do without it
        log.warning("spaCy stop words for %s could not be read alone; not used", lang)
        return frozenset()
    return frozenset(w.lower() for w in getattr(module, "STOP_WORDS", ()))
