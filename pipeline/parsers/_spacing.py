"""Letter-spaced text put back into words: "R o m a , 9 o t t ." -> "Roma, 9 ott.".

Some sites print a paragraph with a space after every character (CSS letter-spacing
copied into the text, PDF extraction); scrapes keep it. Every word boundary is lost, so
no rule of the page layout, the dateline grammar or the language detector can read it.
The text is put back together in three steps:

1. a run of letter-spaced characters (at least ``MIN_RUN`` single characters, each
   followed by one space) is glued: "È u n a n o t i z i a" -> "Èunanotizia";
2. its language is among lingua's likeliest for the glued run (lingua reads character
   n-grams, which survive the lost spaces): each is tried, the words decide (step 3's
   cost, lowest wins);
3. the glued letters are split into the most probable words of that language (a
   unigram model: word frequencies of ``wordfreq``, a word's cost its negative log
   frequency, an unknown word's cost growing with its length), with boundaries where
   the print shows them: punctuation, digits, a capital after a small letter.

A language ``wordfreq`` has no list for keeps the glued words, punctuation spaced as
print spaces it ("Roma, 9 ott. (Adnkronos) -").
"""

from __future__ import annotations

import logging
import math
import re
from functools import cache

log = logging.getLogger(__name__)

#: a letter-spaced run holds at least this many single characters
MIN_RUN = 20
#: languages lingua names for a glued run that are tried
CANDIDATES = 4
#: the longest word the splitter tries
MAX_WORD = 24
#: the cost of a word the language's list lacks: a base and a cost per letter (the
#: cost of a known word is -ln(frequency): about 7 for a common word, 18 for a rare one)
UNKNOWN_BASE = 10.0
UNKNOWN_PER_LETTER = 2.3
#: an elided word ("dell'", "qu'") has at most this many characters, apostrophe included
ELIDED_MAX = 6
#: what a word boundary earns: word lists hold rare names that are two common words glued
#: ("lemaire", "le maire"); without it a rare long word always wins over its common parts
WORD_BONUS = 1.0

# single characters each followed by one space, MIN_RUN or more of them
_RUN = re.compile(rf"(?<!\S)(?:\S (?=\S(?: |$|\n))){{{MIN_RUN - 1},}}\S(?!\S)", re.M)
# pieces of a glued run: letter sequences (with inner apostrophes) or single other marks
_PIECE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*['’]?|\d+|\S")
_OPENERS = "([{«„“‘¿¡"
_CLOSERS = frozenset(",.;:!?)]}»…%")
# wordfreq's code of a language whose list is that of its macrolanguage
_WORDFREQ_CODE = {"bs": "sh", "hr": "sh", "sr": "sh", "no": "nb"}


def has_spaced_run(text: str) -> bool:
    return _RUN.search(text) is not None


def despace(text: str) -> str:
    """``text`` with its letter-spaced runs put back into words (other text unchanged)."""
    return _RUN.sub(lambda m: _rejoin(m.group().replace(" ", "")), text)


def _rejoin(glued: str) -> str:
    """A glued run split into the words of the language that reads it best."""
    pieces = _PIECE.findall(glued)
    best: tuple[float, list[str]] | None = None
    for language in _languages_of(glued):
        cost, words = 0.0, []
        for piece in pieces:
            if piece[0].isalpha():
                split, piece_cost = _split_letters(piece, language)
                words.extend(split)
                cost += piece_cost
            else:
                words.append(piece)
        if best is None or cost < best[0]:
            best = (cost, words)
    return _print(best[1] if best else pieces)


def _print(words: list[str]) -> str:
    """Words joined as print spaces them: no space before closing marks, none after opening ones.

    A straight double quote opens and closes in turn.
    """
    out = ""
    quoted = False  # a straight double quote is open
    for word in words:
        if word == '"':
            out += word if quoted or not out else " " + word
            quoted = not quoted
            continue
        opened = out[-1:] in _OPENERS or (out.endswith('"') and quoted) or out.endswith(("'", "’"))
        if not out or word in _CLOSERS or opened:
            out += word
        else:
            out += " " + word
    return out


def _languages_of(glued: str) -> list[str | None]:
    """The languages lingua reads in a glued run, likeliest first (it reads character n-grams).

    A short run can fool it: the candidates are tried and the words decide (``_rejoin``).
    """
    from pipeline.enrich.language import detector  # lingua, loaded on first use

    values = detector().compute_language_confidence_values(glued)[:CANDIDATES]
    found: list[str | None] = []
    for value in values:
        code = value.language.iso_code_639_1.name.lower()
        code = _WORDFREQ_CODE.get(code, code)
        if code in _wordfreq_languages() and code not in found:
            found.append(code)
    return found or [None]


@cache
def _wordfreq_languages() -> frozenset[str]:
    try:
        import wordfreq
    except ImportError:  # pragma: no cover - an install without the word lists
        return frozenset()
    return frozenset(wordfreq.available_languages("small"))


def _cost(word: str, language: str) -> float:
    import wordfreq

    freq = wordfreq.word_frequency(word.casefold(), language, wordlist="small")
    return -math.log(freq) if freq > 0 else UNKNOWN_BASE + UNKNOWN_PER_LETTER * len(word)


def _split_letters(letters: str, language: str | None) -> tuple[list[str], float]:
    """The most probable words of ``language`` that ``letters`` is made of (case kept), and their cost.

    A capital after a small letter starts a word ("daTrump" -> "da", "Trump"); an
    apostrophe ends one ("all'altezza" -> "all'", "altezza").
    """
    parts: list[str] = []
    for n, ch in enumerate(letters):
        if not parts or (ch.isupper() and letters[n - 1].islower()) or parts[-1].endswith(("'", "’")):
            parts.append(ch)
        else:
            parts[-1] += ch
    if language is None:
        return parts, 0.0
    out: list[str] = []
    total = 0.0
    for part in parts:
        if part.endswith(("'", "’")) and len(part) > 1:
            # an elided word ends at the apostrophe ("l'", "all'", "dell'", "qu'"): the cut
            # into words before it and the elided word that costs least
            best: tuple[float, list[str]] | None = None
            for cut in range(max(0, len(part) - ELIDED_MAX), len(part) - 1):
                words, cost = _viterbi(part[:cut], language) if cut else ([], 0.0)
                cost += _cost(part[cut:], language) - WORD_BONUS
                if best is None or cost < best[0]:
                    best = (cost, [*words, part[cut:]])
            assert best is not None
            out.extend(best[1])
            total += best[0]
        else:
            words, cost = _viterbi(part, language)
            out.extend(words)
            total += cost
    return out, total


def _viterbi(text: str, language: str) -> tuple[list[str], float]:
    n = len(text)
    best = [0.0] + [math.inf] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(max(0, end - MAX_WORD), end):
            if best[start] == math.inf:
                continue
            cost = best[start] + _cost(text[start:end], language) - WORD_BONUS
            if cost < best[end]:
                best[end], back[end] = cost, start
    words: list[str] = []
    end = n
    while end > 0:
        words.append(text[back[end] : end])
        end = back[end]
    return words[::-1], best[n]


__all__ = ["despace", "has_spaced_run"]
