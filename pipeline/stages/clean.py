"""Clean stage: agency furniture out of the text, and into metadata where it belongs.

Every parser hands over text as its source printed it; whatever the format (web text,
NITF, NewsML, Reuters SGML, HTML), the article body may still carry a dateline at the
start of the lead, credits and sign-offs at the end, subscription notices, share
widgets, "read also" labels, tickers, comment policies, navigation bars, injected
hashtags, embedded-tweet chrome, photo credits glued into the text, or the headline once
more. ``clean`` takes them out using the agency's profile (``pipeline.profiles``; the
generic profile when the agency is unknown):

    dateline at the start of the lead     -> dateline (place, region, agency, date text)
    "By ..." / "Name | dd.mm.yyyy"        -> byline, content_created (home time zone)
    desk initials in the byline field     -> removed ("desk-initials"), no byline
    translation credit                    -> translation + a translator contributor
    "(Reporting by ...; Editing by ...)"  -> contributors
    editor's / correction notes           -> ed_note
    photo credits                         -> associations
    notices, widgets, sign-offs, repeats  -> removed (with a reason)

Dateline convention, for every format: ``Dateline.raw`` is the dateline exactly as
printed, and ``Dateline.place`` is the place as printed too: a wire's capitals stay
capitals ("MOSCOW, Jan 13 (Reuters) -" gives "MOSCOW", "AA / Moscou" gives "Moscou").
What the dateline prints after the place goes to ``region`` ("FARGO, N.D." gives "N.D.",
"Cartagena de Indias (Colombia)" gives "Colombia"), the date as printed to
``date_text``. Casing for display is the consumer's choice
(``pipeline.profiles.display_place``); gazetteer lookups fold case anyway. A place the
source gave in its own field (NITF, NewsML) is kept as the source gave it.

Text normalisation, never dropping a word: Unicode NFC, mojibake repair (ftfy, only
where UTF-8 read as cp1252/latin-1 shows), invisible marks out, whitespace collapsed,
words hyphenated at line breaks re-joined (the item's own words decide "long-term" vs
"inter-national"), sentences glued where a line break was lost ("said.The") set apart,
straight double quotes printed as the language prints them (en “…”, fr « … » with
no-break spaces, de „…“, es «…», tr “…”; only straight quotes change), and the
paragraphs of flattened plain-text scrapes (one long block) re-built from whole
sentences.

Everything taken out is recorded in ``removed``. The stage is pure and idempotent:
``clean(clean(x)) == clean(x)`` (it runs its rules to a fixed point, a recorded
"dateline" removal stops a second strip of the lead, and every normalisation is a
fixed point of itself).
"""

from __future__ import annotations

import logging
import re
import re._constants as re_constants
import re._parser as re_parser
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import ftfy
from ftfy.badness import is_bad

from pipeline.parsers._page import split_glued_credit
from pipeline.profiles import (
    AgencyProfile,
    DatelineMatch,
    Pattern,
    detect_agency,
    get_profile,
    looks_like_name,
    match_byline,
    match_dateline,
)
from pipeline.records import Association, Block, Dateline, ParsedItem, Party, Removed, Translation

log = logging.getLogger(__name__)

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u00ad\ufeff\u2060]")
_BULLET = re.compile(r"^[-–—•]\s+")
# UTF-8 read as cp1252/latin-1 leaves a lead byte (Ã Â Ä Å â ...) before a continuation
# character; only text with such a pair is worth ftfy's (slower) badness check
_MOJIBAKE_HINT = re.compile(
    "[ÂÃÄÅÆÇÐÑØÙâãäåæçð]"
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|\band\b|\bet\b|\by\b|\bund\b|\bve\b|&)\s*")
_NOT_ALNUM = re.compile(r"[\W_]+")
_IN_PLACE = re.compile(r"\s+in\s+[A-Z][\w .'-]*$")
#: a tail of this many blocks is searched for sign-offs and credits
TAIL_BLOCKS = 4
#: a "Read also" / "Tags" list label is looked for among this many last blocks
TAIL_LIST_BLOCKS = 20
#: list items (related titles, tags) are short
MAX_LIST_ITEM = 160
#: what the lines after a list label are, by the label's reason
_LIST_ITEM_REASON = {"read-also": "related-link", "tags": "tag"}
#: rules run to a fixed point; this bounds the loop (two passes always suffice in practice)
MAX_PASSES = 4
#: a dateline is looked for in this many first blocks (see ``_find_dateline``)
DATELINE_BLOCKS = 6
#: a lead paragraph has at least this many words and ends a sentence
LEAD_WORDS = 12
_LEAD_END = frozenset(".!?…\"”»'’)")


# ------------------------------------------------------------------ text hygiene

# a word split by a hyphen at a line break: "inter-\nnational"; groups: the two halves
_HYPHEN_BREAK = re.compile(r"([^\W\d_]+)-\n([^\W\d_]+)")
# a compound printed with its hyphen inside a line ("long-term"): evidence for a break
_COMPOUND = re.compile(r"(?<![\w-])([^\W\d_]+)-([^\W\d_]+)(?![\w-])")
# words glued where a line break was lost: "said.The", "dedi.\"Bakan" (a word, a stop,
# the next word with no space); ``_unglue_one`` decides on the letters' case
_GLUED = re.compile(r"(?<![\w.@/:])([^\W\d_]{2,})((?:\.{3,}|[.!?…])[\"'”’»)]*)([\"“«„]?)([^\W\d_]{2})")
# what ``_GLUED`` cannot match without: a stop, then (past quotes) a letter at once. Most
# texts have none, and this scan is cheap where ``_GLUED`` tries a word at every letter
_GLUED_SCREEN = re.compile(r"[.!?…][\"'”’»)]*[\"“«„]?[^\W\d_]")
#: a block at least this long, in a body of few blocks, is flattened text (paragraphs lost)
FLAT_MIN_CHARS = 600
#: ... when the body has at most this many blocks
FLAT_MAX_BLOCKS = 3
#: a re-built paragraph closes at the first sentence end past this length
PARAGRAPH_TARGET = 250
#: formats whose paragraphs can be lost on the way (plain text scraped from pages);
#: markup formats (XML, HTML, JSON bodies) mark their paragraphs, long ones included
FLATTENED_FORMATS = frozenset({"webtext"})


@dataclass(frozen=True)
class Vocabulary:
    """The compounds an item prints with their hyphen inside a line ("long-term").

    Evidence for undoing hyphenation at line breaks: "long-\nterm" keeps its hyphen when
    the item prints "long-term" elsewhere; any other lowercase break ("inter-\nnational")
    is a word split by the wrap and is joined.
    """

    compounds: frozenset[str] = frozenset()

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        compounds: set[str] = set()
        for text in texts:
            if "-\n" in text:
                text = _HYPHEN_BREAK.sub(" ", text)  # the broken words themselves are no evidence
            compounds.update(f"{a}-{b}".casefold() for a, b in _COMPOUND.findall(text))
        return cls(frozenset(compounds))


_NO_VOCABULARY = Vocabulary()


def _join_hyphen_break(m: re.Match[str], vocabulary: Vocabulary) -> str:
    first, second = m.group(1), m.group(2)
    if second[:1].isupper():
        return f"{first}-{second}"  # "North-\nSouth": a compound of names keeps its hyphen
    if f"{first}-{second}".casefold() in vocabulary.compounds:
        return f"{first}-{second}"
    return first + second


def unglue(text: str) -> str:
    """A space between a sentence end and the next sentence glued to it ("said.The" -> "said. The").

    Only a lowercase word of two letters or more before the stop qualifies, so that
    initials ("J.K."), abbreviations ("U.S.", "St.Louis"), decimals, domains and addresses
    ("aa.com.tr", "x@y.org") are left alone.
    """
    if not _GLUED_SCREEN.search(text):
        return text
    return _GLUED.sub(_unglue_one, text)


def _unglue_one(m: re.Match[str]) -> str:
    word, stop, quote, start = m.groups()
    if word[-2:].islower() and start[0].isupper() and start[1].islower():
        return f"{word}{stop} {quote}{start}"
    return m.group()


def normalise_text(text: str, *, keep_lines: bool = False, vocabulary: Vocabulary = _NO_VOCABULARY) -> str:
    """NFC, mojibake repair, invisible marks out, spaces collapsed, glued sentences apart.

    Lines are joined (a paragraph re-flowed, hyphenation at line breaks undone with the
    help of ``vocabulary``) unless ``keep_lines``; blank-line paragraph breaks are kept as
    "\n\n" for the caller to split. Never drops a word: only spaces, invisible marks and
    the hyphens of words split at a line break go.
    """
    if not text:
        return ""
    if not text.isascii() and _MOJIBAKE_HINT.search(text) and is_bad(text):
        text = ftfy.fix_encoding(text)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
    paragraphs = re.split(r"\n\s*\n", text)
    out = []
    for para in paragraphs:
        # a printable line holds no blank but the space (no tab, no no-break or wide space)
        lines = [
            line.strip() if line.isprintable() and "  " not in line else _SPACES.sub(" ", line).strip()
            for line in para.split("\n")
        ]
        lines = [line for line in lines if line]
        if not lines:
            continue
        if keep_lines:
            out.append("\n".join(unglue(line) for line in lines))
        else:
            joined = "\n".join(lines)
            if "-\n" in joined:
                joined = _HYPHEN_BREAK.sub(lambda m: _join_hyphen_break(m, vocabulary), joined)
            out.append(unglue(joined.replace("\n", " ")))
    return "\n\n".join(out)


# ------------------------------------------------------------------ quotation marks

# what may stand before an opening quote / after a closing one
_OPEN_BEFORE = frozenset(" ([{—–-/\u00a0\n")
_CLOSE_AFTER = frozenset(" )]}.,;:!?…—–-/\u00a0\n\"'”’»")


def _quote_roles(text: str) -> list[bool] | None:
    """For each straight double quote: True opens, False closes; None when any is unclear.

    A quote opens at the start of the text or after a space/bracket/dash and before a
    non-space; it closes after a non-space and before the end, a space, punctuation or a
    suffix (Turkish '"Yarışması"nın'). The roles must alternate, starting with an opening
    one; a last opening quote may stay unclosed (a quotation running on into the next
    paragraph). Inch marks (5'11") and other unclear uses leave the whole text as it is.
    """
    roles: list[bool] = []
    for i, char in enumerate(text):
        if char != '"':
            continue
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        opens = before in _OPEN_BEFORE and not after.isspace()
        closes = not before.isspace() and (after in _CLOSE_AFTER or after.islower())
        if opens == closes or before.isdigit():
            return None
        roles.append(opens)
    if any(role != (n % 2 == 0) for n, role in enumerate(roles)):
        return None
    return roles


def typographic_quotes(text: str, marks: tuple[str, str] | None) -> str:
    """Straight double quotes as the language prints them (``marks`` = opening, closing).

    Only straight quotes change; quotes the source printed typographically stay, except
    that marks carrying a space (French "« ", " »") get that no-break space. Apostrophes
    and single quotes are never touched. Idempotent: no straight quote is left to convert.
    """
    if marks is None:
        return text
    opening, closing = marks
    if '"' in text:
        roles = _quote_roles(text)
        if roles:
            parts = text.split('"')
            out = [parts[0]]
            for role, part in zip(roles, parts[1:], strict=True):
                out.append(opening if role else closing)
                out.append(part)
            text = "".join(out)
    return _space_marks(text, opening, closing)


def _space_marks(text: str, opening: str, closing: str) -> str:
    """The language's spacing inside its quotation marks ("«x»" -> "« x »" in French)."""
    glyph_open, glyph_close = opening.strip(), closing.strip()
    if opening != glyph_open and glyph_open in text:
        text = re.sub(re.escape(glyph_open) + r"[ \u00a0\u202f]*", opening, text)
    if closing != glyph_close and glyph_close in text:
        text = re.sub(r"[ \u00a0\u202f]*" + re.escape(glyph_close), closing, text)
    return text


# ------------------------------------------------------------------ paragraphs of flattened text

_OPENERS = {"„": "“", "«": "»", "“": "”", "‹": "›"}
_STOPS = ".!?…"


def _starts_sentence(text: str, at: int) -> bool:
    """A space at ``at``, then a capital, a digit or an opening quote."""
    nxt = text[at + 1 : at + 2]
    return text[at : at + 1] == " " and bool(nxt) and (nxt.isupper() or nxt in '0123456789"“«„')


def _sentence_ends(text: str, abbreviations: frozenset[str]) -> list[int]:
    """Offsets just after each sentence end outside quotation marks (where a paragraph may close)."""
    ends: list[int] = []
    stack: list[str] = []  # the closing marks awaited
    for i, char in enumerate(text):
        if stack and char == stack[-1]:
            stack.pop()
            # a quotation that ends a sentence: 'he said "no." Then'
            if not stack and i and text[i - 1] in _STOPS and _starts_sentence(text, i + 1):
                ends.append(i + 1)
        elif char == '"' or char in _OPENERS:
            stack.append(_OPENERS.get(char, '"'))
        elif char in _STOPS and not stack and _starts_sentence(text, i + 1):
            if char == ".":
                token = text[:i].rsplit(" ", 1)[-1]
                # initials, abbreviations and ordinals ("J.", "Gen.", "U.S.", "14.") end no sentence
                if len(token) <= 1 or "." in token or token.isdigit() or token.casefold() in abbreviations:
                    continue
            ends.append(i + 1)
    return ends


def split_flattened(text: str, abbreviations: frozenset[str] = frozenset()) -> list[str]:
    """A long block that lost its paragraph breaks, as paragraphs of whole sentences.

    Sentences are grouped in order: a paragraph closes at the first sentence end past
    ``PARAGRAPH_TARGET`` characters, never inside a quotation. Text is not changed, only
    cut at spaces: joining the parts with single spaces gives the block back.
    """
    if len(text) < FLAT_MIN_CHARS:
        return [text]
    parts: list[str] = []
    start = 0
    for end in _sentence_ends(text, abbreviations):
        if end - start >= PARAGRAPH_TARGET and len(text) - end >= PARAGRAPH_TARGET // 3:
            parts.append(text[start:end].strip())
            start = end + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _inline(text: str | None) -> str | None:
    if text is None:
        return None
    return normalise_text(text).replace("\n\n", " ") or None


def _summary(text: str | None, marks: tuple[str, str] | None = None) -> str | None:
    """Standfirst lines without their "- " bullets, one per line."""
    if text is None:
        return None
    lines = [_BULLET.sub("", line).strip() for line in normalise_text(text, keep_lines=True).split("\n")]
    return "\n".join(typographic_quotes(line, marks) for line in lines if line) or None


def _text_key(text: str) -> str:
    """Letters and digits only, case-folded: what two printings of a title share."""
    return _NOT_ALNUM.sub("", text.casefold())


def _same_text(a: str, b: str) -> bool:
    # lengths far apart cannot be the same title; skip the costly key then
    if not a or not b or abs(len(a) - len(b)) > max(len(a), len(b)) // 2:
        return False
    return _text_key(a) == _text_key(b)


def _split_names(names: str) -> list[str]:
    """The people of a credit ("Ana Ruiz in Boulder, Colorado, and Tom Lee"): Ana Ruiz, Tom Lee."""
    out = []
    after_place = False
    for part in _NAME_SPLIT.split(names):
        part = part.strip().rstrip(".")
        located = _IN_PLACE.search(part)
        name = _IN_PLACE.sub("", part).strip()
        # a lone word after "Name in City" is the city's state or country, not a person
        if name and looks_like_name(name) and not (after_place and " " not in name):
            out.append(name)
        after_place = bool(located) or (after_place and " " not in name)
    return out


# ------------------------------------------------------------------ the working state


@dataclass
class _Work:
    """A mutable copy of the item's text fields while the rules run."""

    profile: AgencyProfile
    language: str | None
    blocks: list[Block]
    item: ParsedItem
    removed: list[Removed] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)
    contributors: list[Party] = field(default_factory=list)
    ed_notes: list[str] = field(default_factory=list)
    changes: dict[str, object] = field(default_factory=dict)

    def remove(self, text: str, reason: str) -> None:
        self.removed.append(Removed(text, reason))

    def add_contributor(self, name: str, role: str) -> None:
        party = Party(name=name, role=role)
        if party not in self.contributors:
            self.contributors.append(party)

    def add_credit(self, credit: str | None, caption: str | None = None) -> None:
        # a credit right after a caption-only picture belongs to that picture
        if credit and self.associations and self.associations[-1].credit is None and caption is None:
            self.associations[-1] = replace(self.associations[-1], credit=credit)
            return
        name = f"picture-{len(self.associations) + 1}"
        self.associations.append(Association(name=name, type="picture", caption=caption, credit=credit))


#: the patterns ``_line_rule`` fullmatches a line against: (kind, mode; None: any mode)
_LINE_RULES = (
    ("boilerplate", "line"),
    ("translation", None),
    ("contributors", "line"),
    ("ed_note", None),
    ("credit", "line"),
    ("trailer", "line"),
)
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
_GLOBAL_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")
_FLAG_LETTERS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))
# (profile id, language) -> the line rules' screen; a cache of read-only data
_SCREENS: dict[tuple[str, str | None], re.Pattern[str] | None] = {}


def _line_screen(profile: AgencyProfile, language: str | None) -> re.Pattern[str] | None:
    """One regex that fullmatches a line when one of the line rules' patterns does (their
    named groups dropped, each one's flags kept to it): most lines match none, and one call
    rules out the ~30 patterns a profile has. None when they cannot be joined."""
    key = (profile.id, language)
    if key not in _SCREENS:
        patterns = [
            p for kind, mode in _LINE_RULES for p in profile.patterns(kind, language) if mode is None or p.mode == mode
        ]
        _SCREENS[key] = _any_of([p.regex for p in patterns])
    return _SCREENS[key]


def _any_of(regexes: Iterable[re.Pattern[str]]) -> re.Pattern[str] | None:
    parts = []
    for regex in regexes:
        source = _GLOBAL_FLAGS.sub("", regex.pattern)
        if re.search(r"\(\?P=|\\\d", source):
            return None  # a back-reference: joined, the groups would be numbered anew
        flags = "".join(letter for flag, letter in _FLAG_LETTERS if regex.flags & flag)
        parts.append(f"(?{flags}:{_NAMED_GROUP.sub('(?:', source)})")
    try:
        return re.compile("|".join(parts)) if parts else None
    except re.error:
        return None


def _line_rule(work: _Work, line: str, *, tail: bool) -> bool:
    """Apply the line-mode rules to one line; True when the line is taken out of the body."""
    profile, lang = work.profile, work.language
    screen = _line_screen(profile, lang)
    if screen is not None and not screen.fullmatch(line):
        return False  # no rule's pattern matches the line
    for pattern in profile.patterns("boilerplate", lang):
        if pattern.mode == "line" and pattern.regex.fullmatch(line):
            work.remove(line, pattern.reason)
            if pattern.reason == "copyright" and not (
                work.item.copyright_notice or work.changes.get("copyright_notice")
            ):
                work.changes["copyright_notice"] = line
            return True
    for pattern in profile.patterns("translation", lang):
        m = pattern.regex.fullmatch(line)
        if m:
            _take_translation(work, line, m, pattern)
            return True
    for pattern in profile.patterns("contributors", lang):
        if pattern.mode != "line":
            continue
        m = pattern.regex.fullmatch(line)
        if m and _take_contributors(work, m, pattern):
            work.remove(line, pattern.reason)
            return True
    for pattern in profile.patterns("ed_note", lang):
        m = pattern.regex.fullmatch(line)
        if m:
            work.ed_notes.append(m.group("note").strip())
            work.remove(line, pattern.reason)
            return True
    for pattern in profile.patterns("credit", lang):
        if pattern.mode != "line":
            continue
        m = pattern.regex.fullmatch(line)
        if m:
            work.add_credit(m.group("credit").strip())
            work.remove(line, pattern.reason)
            return True
    if tail:
        for pattern in profile.patterns("trailer", lang):
            if pattern.mode == "line" and pattern.regex.fullmatch(line):
                work.remove(line, pattern.reason)
                return True
    return False


def _take_translation(work: _Work, line: str, m: re.Match[str], pattern: Pattern) -> None:
    translator = m.group("translator").strip() if "translator" in m.re.groupindex and m.group("translator") else None
    word = m.group("lang") if "lang" in m.re.groupindex else None
    source = (work.profile.language_code(word, pattern.language) if word else None) or pattern.source_language
    if work.item.translation is None and "translation" not in work.changes:
        work.changes["translation"] = Translation(raw=line, source_language=source, translator=translator)
    if translator:
        work.add_contributor(translator, "translator")
    work.remove(line, pattern.reason or "translation-credit")


def _take_contributors(work: _Work, m: re.Match[str], pattern: Pattern) -> bool:
    roles = dict(pattern.roles)
    found = False
    if "names" in m.re.groupindex:
        if not m.group("names"):
            # a credit line naming no one new ("Roe reported from Paris."): the bylined
            # authors are already credited; the line is taken out all the same
            return "credits" not in m.re.groupindex
        for name in _split_names(m.group("names")):
            work.add_contributor(name, roles.get("*", "contributor"))
            found = True
        return found
    credits = m.group("credits") if "credits" in m.re.groupindex else None
    for segment in re.split(r"\s*;\s*", credits or ""):
        label, sep, names = segment.partition(" by ")
        if not sep:
            continue
        role = roles.get(f"{label.strip().casefold()} by", "contributor")
        for name in _split_names(names):
            work.add_contributor(name, role)
            found = True
    return found


def _is_furniture(work: _Work, line: str) -> bool:
    """True when a line-mode rule would take ``line`` out (no side effect)."""
    for kind in ("boilerplate", "translation", "contributors", "ed_note", "credit", "trailer"):
        for pattern in work.profile.patterns(kind, work.language):
            if pattern.mode == "line" and pattern.regex.fullmatch(line):
                return True
    return False


# (profile id, language) -> the line patterns of list labels, in order; read-only data
_LIST_LABELS: dict[tuple[str, str | None], tuple[Pattern, ...]] = {}


def _list_label(work: _Work, line: str) -> str | None:
    """The kind of list a label opens: "tags" (keywords follow) or "read-also" (related links)."""
    key = (work.profile.id, work.language)
    labels = _LIST_LABELS.get(key)
    if labels is None:
        labels = _LIST_LABELS[key] = tuple(
            p
            for p in work.profile.patterns("boilerplate", work.language)
            if p.reason in _LIST_ITEM_REASON and p.mode == "line"
        )
    for pattern in labels:
        if pattern.regex.fullmatch(line):
            return pattern.reason
    return None


def _list_item(text: str) -> bool:
    """A link title or a tag: short, and not a sentence."""
    return len(text) <= MAX_LIST_ITEM and text.rstrip("\"'”’»)")[-1:] not in ".!?…:;"


def _tail_list_items(work: _Work) -> dict[int, str]:
    """Blocks that are items of a "Read also" / "Tags" list at the end: index -> reason.

    A list is a label near the end followed only by short lines and widgets; its short
    lines are related-article titles ("related-link") or tags ("tag", kept as keywords).
    Only a label whose list runs to the end of the text qualifies, so a subheading after
    an in-text "Read also" label is never taken.
    """
    blocks = work.blocks
    for n in range(len(blocks) - 1, max(0, len(blocks) - TAIL_LIST_BLOCKS) - 1, -1):
        label = _list_label(work, blocks[n].text)
        if label is None:
            continue
        after = range(n + 1, len(blocks))
        if not after or not all(_list_item(blocks[k].text) or _is_furniture(work, blocks[k].text) for k in after):
            return {}
        return {k: _LIST_ITEM_REASON[label] for k in after if not _is_furniture(work, blocks[k].text)}
    return {}


def _cut_other_story(work: _Work) -> None:
    """Another story glued after a "Read also" label: the label and everything after it go.

    A site that prints a related story's text under "Lire aussi :" / "Read also" / "Leggi
    anche" gives it away by its own dateline (a place and an agency: "PARIS, 12 janvier
    (Xinhua) --"): the article has ended, what follows is that other story ("other-story").
    A label followed by titles only is a list, for ``_tail_list_items``.
    """
    blocks = work.blocks
    for n in range(1, len(blocks) - 1):
        if _list_label(work, blocks[n].text) != "read-also":
            continue
        found = match_dateline(blocks[n + 1].text, work.profile, work.language, modes=("prefix",))
        if found is None or not found.place or not found.agency:
            continue
        work.remove(blocks[n].text, "read-also")
        for block in blocks[n + 1 :]:
            work.remove(block.text, "other-story")
        del blocks[n:]
        return


# id(regex) -> (regex, the characters one of which every match of it holds; None: no such
# small set), a cache of read-only data (by id: a Pattern's hash reads its whole code)
_NEEDED: dict[int, tuple[re.Pattern[str], frozenset[str] | None]] = {}


def needed_chars(regex: re.Pattern[str]) -> frozenset[str] | None:
    """A small set of characters one of which every match of ``regex`` holds, or None.

    Read from the pattern's parse tree: a character (or a class of a few) that the pattern
    must match, outside any optional part, lookaround or case-insensitive part; for an
    alternation, one such set per branch, joined. Of the sets found, the one of the rarest
    characters (punctuation and other scripts before letters, digits and spaces). A text
    holding none of them cannot match: ``c in text`` for a few characters is much cheaper
    than a regex scan that tries the pattern at every position."""
    known = _NEEDED.get(id(regex))
    if known is not None and known[0] is regex:
        return known[1]
    try:
        tree = re_parser.parse(regex.pattern, regex.flags)
    except re.error:  # pragma: no cover - the pattern compiled once already
        chars = None
    else:
        chars = min(_needed_sets(tree.data, bool(regex.flags & re.IGNORECASE)), key=_commonness, default=None)
    _NEEDED[id(regex)] = (regex, chars)
    return chars


def _commonness(chars: frozenset[str]) -> int:
    return sum(10 if c.isalnum() or c.isspace() else 3 if c.isascii() else 1 for c in chars)


def _needed_sets(items: list[tuple[Any, Any]], ignore_case: bool) -> list[frozenset[str]]:
    """The character sets a match of the sequence ``items`` must take one character of."""
    out: list[frozenset[str]] = []
    for op, av in items:
        if op is re_constants.LITERAL:
            char = chr(av)
            if not (ignore_case and char.lower() != char.upper()):
                out.append(frozenset(char))
        elif op is re_constants.IN:
            chars = [chr(a) for o, a in av if o is re_constants.LITERAL]
            if (
                len(chars) == len(av)
                and len(chars) <= 8
                and not (ignore_case and any(c.lower() != c.upper() for c in chars))
            ):
                out.append(frozenset(chars))
        elif op is re_constants.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            case = (ignore_case or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
            out.extend(_needed_sets(sub.data, case))
        elif op in (re_constants.MAX_REPEAT, re_constants.MIN_REPEAT, re_constants.POSSESSIVE_REPEAT):
            low, _high, sub = av
            if low >= 1:
                out.extend(_needed_sets(sub.data, ignore_case))
        elif op is re_constants.BRANCH:
            per_branch = [min(_needed_sets(b.data, ignore_case), key=_commonness, default=None) for b in av[1]]
            if per_branch and all(b is not None for b in per_branch):
                out.append(frozenset().union(*per_branch))  # type: ignore[arg-type]
    return out


# (profile id, language) -> its inline rules, in order: (kind, pattern, a class of the
# characters one of which every match holds, or None); a cache of read-only data
_InlineRule = tuple[str, Pattern, re.Pattern[str] | None]
_INLINE: dict[tuple[str, str | None], tuple[_InlineRule, ...]] = {}


def _inline_plan(profile: AgencyProfile, language: str | None) -> tuple[_InlineRule, ...]:
    key = (profile.id, language)
    plan = _INLINE.get(key)
    if plan is None:
        rules = []
        for kind in ("boilerplate", "credit"):
            for pattern in profile.patterns(kind, language):
                if pattern.mode == "inline":
                    chars = needed_chars(pattern.regex)
                    screen = re.compile(f"[{''.join(map(re.escape, sorted(chars)))}]") if chars else None
                    rules.append((kind, pattern, screen))
        plan = _INLINE[key] = tuple(rules)
    return plan


def _inline_rules(work: _Work, text: str) -> str:
    """Remove inline furniture (tweet chrome, CSS, widgets, glued photo credits)."""
    changed = False
    for kind, pattern, screen in _inline_plan(work.profile, work.language):
        if screen is not None and not screen.search(text):
            continue  # the text lacks what every match holds

        def take(m: re.Match[str], pattern: Pattern = pattern, kind: str = kind) -> str:
            found = m.group().strip()
            if found:
                if kind == "credit":
                    work.add_credit(m.group("credit").strip())
                work.remove(found, pattern.reason)
            return " "

        text, count = pattern.regex.subn(take, text)
        changed = changed or bool(count)
    return _SPACES.sub(" ", text).strip() if changed else text


def _glued_credit(work: _Work, text: str) -> str:
    """A picture credit glued after a paragraph's last sentence ("... today. Photo by Jane Roe") goes."""
    split = split_glued_credit(text)
    if split is None:
        return text
    text, credit, name = split
    work.add_credit(name)
    work.remove(credit, "photo-credit")
    return text


def _suffix_rules(work: _Work, text: str) -> str:
    """Remove sign-offs and credit parentheses that end the last paragraph."""
    profile, lang = work.profile, work.language
    for kind in ("trailer", "contributors"):
        for pattern in profile.patterns(kind, lang):
            if pattern.mode != "suffix":
                continue
            m = pattern.regex.search(text)
            if not m:
                continue
            if kind == "contributors" and not _take_contributors(work, m, pattern):
                continue
            work.remove(m.group().strip(), pattern.reason)
            text = text[: m.start()].rstrip()
    return text


def _has_removed(work: _Work, reason: str) -> bool:
    return any(r.reason == reason for r in work.removed)


def _lead_index(blocks: list[Block]) -> int:
    """The first block that reads as the lead: a paragraph of a sentence or more (what is
    above it is header furniture: stamps, credits, captions, a repeated title)."""
    for n, block in enumerate(blocks[:DATELINE_BLOCKS]):
        if len(block.text.split()) >= LEAD_WORDS and block.text.rstrip()[-1:] in _LEAD_END:
            return n
    return 0


def _find_dateline(work: _Work, current: Dateline | None) -> tuple[int, DatelineMatch | None]:
    """The block that opens with the dateline, and the dateline.

    The first block first (if it is the lead, a weaker shape may open it: "Praha - ...").
    Further down, among the first ``DATELINE_BLOCKS``: the lead's dateline, a dateline
    line just above the lead ("JAKARTA"), or one naming its agency anywhere ("AA - Ankara
    - <reporter>" below a standfirst, "PLACE, Dec. 2 (Xinhua) --" below stamps).
    """
    profile, language = work.profile, work.language
    lead = _lead_index(work.blocks)
    first = work.blocks[0].text
    found = match_dateline(
        first, profile, language, modes=("line", "prefix", "lead") if lead == 0 else ("line", "prefix")
    )
    if found is None and current is None:
        found = match_dateline(first, profile, language, modes=("glued",))
    if found is not None:
        return 0, found
    for at in range(1, min(len(work.blocks), DATELINE_BLOCKS)):
        modes = ("line", "prefix", "lead") if at == lead else ("line", "prefix")
        named = at not in (lead, lead - 1)  # only a dateline naming its agency is taken there
        found = match_dateline(work.blocks[at].text, profile, language, modes=modes, named_agency=named)
        if found is not None and (found.agency or not named):
            return at, found
    return 0, None


def _take_closing_dateline(work: _Work) -> None:
    """A dateline that closes the text ("... dedi. - İSTANBUL", a last line "ANKARA-BHA")."""
    last = work.blocks[-1]
    found = match_dateline(last.text, work.profile, work.language, modes=("suffix",))
    if found is None or last.kind == "pre":
        return
    rest = last.text[: found.end].rstrip(" -–—")
    work.remove(found.raw, "dateline")
    if rest:
        work.blocks[-1] = Block(rest, last.kind)
    else:
        work.blocks.pop()
    work.changes["dateline"] = _merge_dateline(None, found)


def _take_dateline(work: _Work) -> None:
    """Strip a dateline from the start of the first paragraph (once per item)."""
    if not work.blocks or _has_removed(work, "dateline"):
        return
    current: Dateline | None = work.changes.get("dateline", work.item.dateline)  # type: ignore[assignment]
    at, found = _find_dateline(work, current)
    if found is None:
        if current is None:
            _take_closing_dateline(work)
        if current is None and "dateline" not in work.changes and work.item.summary:
            # a lead the page printed as its standfirst: its dateline is the story's (the
            # standfirst itself is left as printed)
            lead = match_dateline(work.item.summary.strip(), work.profile, work.language, modes=("prefix",))
            if lead is not None and lead.agency:
                work.changes["dateline"] = _merge_dateline(None, lead)
        return
    if current is not None and found.place and current.place and not _same_place(found.place, current.place):
        return  # the lead starts with some other place: not the dateline the source gave
    if found.end == 0:
        # the place is a word of the lead's sentence ("HATAY'ın Altınözü ilçesinde ..."): read, not taken out
        work.changes["dateline"] = _merge_dateline(current, found)
        return
    block = work.blocks[at]
    rest = block.text[found.end :].strip()
    work.remove(found.raw, "dateline")
    if rest:
        work.blocks[at] = Block(rest, block.kind)
    else:
        work.blocks.pop(at)
    work.changes["dateline"] = _merge_dateline(current, found)
    if found.reporter and not (work.item.byline or work.changes.get("byline")):
        work.changes["byline"] = found.reporter


def _merge_dateline(current: Dateline | None, found: DatelineMatch) -> Dateline:
    """The dateline the source's field gave, completed by the one printed in the text.

    A field without a place (often only a timestamp) gives way to the printed dateline,
    lending it only what the print lacks. A field with a place keeps its raw text and
    place, and gains the agency, date and region the print shows; a place that holds
    its region ("TULSA, Okla.") is split into the two.
    """
    if current is None or current.place is None:
        return Dateline(
            found.raw,
            found.place,
            found.agency or (current.agency if current else None),
            found.date_text or (current.date_text if current else None),
            found.region or (current.region if current else None),
        )
    place, region = current.place, current.region
    if found.region and not region and found.place and _same_place(found.place, place):
        region = found.region
        if len(_text_key(found.place)) < len(_text_key(place)):
            place = found.place
    return replace(
        current,
        place=place,
        region=region,
        agency=current.agency or found.agency,
        date_text=current.date_text or found.date_text,
    )


def _same_place(a: str, b: str) -> bool:
    """ "FORT WASHINGTON" and "Fort Washington, Pa." name the same dateline place."""
    ka, kb = _text_key(a), _text_key(b)
    return bool(ka and kb) and (ka.startswith(kb) or kb.startswith(ka))


def _fill_dateline(work: _Work) -> None:
    """A dateline given as raw text, or with its region inside the place, gets its parts."""
    current: Dateline | None = work.changes.get("dateline", work.item.dateline)  # type: ignore[assignment]
    if current is None or not current.raw.strip():
        return
    if current.place and not current.region and "," in current.place:
        # a parser's "OAKLAND, N.J.": the place, then its region as printed
        place, _, region = current.place.partition(",")
        if place.strip() and region.strip():
            current = replace(current, place=place.strip(), region=region.strip())
            work.changes["dateline"] = current
    if current.place and (current.region or _has_removed(work, "dateline")):
        return
    raw = " ".join(current.raw.split())
    found = match_dateline(raw, work.profile, work.language, modes=("line", "prefix"))
    if found is None or not found.place:
        return
    merged = replace(_merge_dateline(current, found), raw=current.raw)
    if merged != current:
        work.changes["dateline"] = merged


def _take_body_byline(work: _Work) -> None:
    """A "By ..." line among the first blocks becomes the byline."""
    if _has_removed(work, "byline"):
        return
    for n, block in enumerate(work.blocks[:3]):
        by = match_byline(block.text, work.profile, work.language)
        if by and looks_like_name(by.name):
            work.remove(block.text, "byline")
            work.blocks.pop(n)
            if not (work.item.byline or work.changes.get("byline")):
                work.changes["byline"] = by.name
            if by.when and work.item.content_created is None and "content_created" not in work.changes:
                work.changes["content_created"] = by.when
            return


def _section_and_repeats(work: _Work, headline: str | None) -> None:
    if work.blocks and not _has_removed(work, "section-label"):
        first = work.blocks[0].text
        for pattern in work.profile.patterns("section", work.language):
            if pattern.regex.fullmatch(first) and len(work.blocks) > 1:
                work.remove(first, "section-label")
                work.blocks.pop(0)
                if not (work.item.section or work.changes.get("section")):
                    work.changes["section"] = first
                break
    if headline:
        kept = [block for block in work.blocks if not _same_text(block.text, headline)]
        # A news alert's body is its headline: keep it rather than publish an empty body.
        if kept:
            for block in work.blocks:
                if _same_text(block.text, headline):
                    work.remove(block.text, "repeated-headline")
            work.blocks = kept


def _pass(work: _Work, headline: str | None) -> None:
    """One run of every rule over the blocks."""
    _section_and_repeats(work, headline)
    _cut_other_story(work)
    list_items = _tail_list_items(work)
    blocks: list[Block] = []
    for n, block in enumerate(work.blocks):
        tail = n >= len(work.blocks) - TAIL_BLOCKS
        if n in list_items:
            work.remove(block.text, list_items[n])
            if list_items[n] == "tag":
                keywords = work.changes.setdefault("keywords", work.item.keywords)
                if block.text not in keywords:  # type: ignore[operator]
                    work.changes["keywords"] = (*keywords, block.text)  # type: ignore[misc]
            continue
        if block.kind == "pre":
            blocks.append(block)
            continue
        text = _glued_credit(work, _inline_rules(work, block.text))
        if text and not _line_rule(work, text, tail=tail):
            blocks.append(Block(text, block.kind))
    work.blocks = blocks
    # sign-offs and credits that end the text: strip from the end until none is left
    while work.blocks:
        last = work.blocks[-1]
        if last.kind != "pre" and _line_rule(work, last.text, tail=True):
            work.blocks.pop()
            continue
        text = _suffix_rules(work, last.text)
        if text == last.text:
            break
        if text:
            work.blocks[-1] = Block(text, last.kind)
        else:
            work.blocks.pop()
    _take_dateline(work)
    _take_body_byline(work)


def _blocks_of(item: ParsedItem) -> list[Block]:
    """Normalised body blocks; a block holding blank-line breaks becomes several."""
    blocks: list[Block] = []
    vocabulary = Vocabulary.of(b.text for b in item.body) if any("-\n" in b.text for b in item.body) else _NO_VOCABULARY
    for block in item.body:
        if block.kind == "pre":
            text = unicodedata.normalize("NFC", block.text).strip("\n")
            if text.strip():
                blocks.append(Block(text, "pre"))
            continue
        for para in normalise_text(block.text, vocabulary=vocabulary).split("\n\n"):
            if para:
                blocks.append(Block(para, block.kind))
    return blocks


def _finish_blocks(
    blocks: list[Block], marks: tuple[str, str] | None, abbreviations: frozenset[str], *, flattened: bool
) -> tuple[Block, ...]:
    """The kept blocks in print form: paragraphs of flattened text re-built, quotes typographic.

    Runs once the furniture is out, so that rules see the text as the source printed it.
    """
    out: list[Block] = []
    for block in blocks:
        if block.kind == "pre":
            out.append(block)
            continue
        parts = split_flattened(block.text, abbreviations) if flattened and block.kind == "p" else [block.text]
        out.extend(Block(typographic_quotes(part, marks), block.kind) for part in parts)
    return tuple(out)


def _resolve_byline(work: _Work, byline: str | None) -> str | None:
    """A byline that still carries a date or a "By" prefix: name out, date to content_created.

    A byline field holding the desk's sign-off initials ("mrc/lfp/jgb") names no author:
    it is taken out (reason "desk-initials").
    """
    if not byline:
        return byline
    if not looks_like_name(byline) and any(
        p.mode == "line" and p.regex.fullmatch(byline) for p in work.profile.patterns("trailer", work.language)
    ):
        work.remove(byline, "desk-initials")
        return None
    by = match_byline(byline, work.profile, work.language)
    if by is None or not looks_like_name(by.name):
        return byline
    if by.when and work.item.content_created is None and "content_created" not in work.changes:
        work.changes["content_created"] = by.when
    return by.name


def _info_sources(item: ParsedItem, profile: AgencyProfile) -> tuple[Party, ...]:
    if profile.is_generic or not profile.name:
        return item.info_sources
    if any(p.name == profile.name for p in item.info_sources):
        return item.info_sources
    return (*item.info_sources, Party(name=profile.name, role="source", uri=profile.uri))


def _language_hint(item: ParsedItem) -> str | None:
    if item.language:
        return item.language.split("-", 1)[0].lower()
    for key, value in item.extra:
        if key == "language_hint":
            return value
    return None


def _clean_once(item: ParsedItem) -> ParsedItem:
    headline = _inline(item.headline)
    text_sample = "\n".join([headline or "", *(b.text for b in item.body[:3]), *(b.text for b in item.body[-3:])])
    agency = item.agency or detect_agency(text_sample)
    profile = get_profile(agency)
    work = _Work(
        profile=profile,
        language=_language_hint(item),
        blocks=_blocks_of(item),
        item=item,
        removed=list(item.removed),
        associations=list(item.associations),
        contributors=list(item.contributors),
    )
    for _ in range(MAX_PASSES):
        before = (list(work.blocks), len(work.removed))
        _pass(work, headline)
        if (work.blocks, len(work.removed)) == before:
            break
    _fill_dateline(work)
    byline = _resolve_byline(work, _inline(work.changes.get("byline", item.byline)))  # type: ignore[arg-type]
    marks = profile.quotes(work.language)
    flattened = item.format in FLATTENED_FORMATS and len(work.blocks) <= FLAT_MAX_BLOCKS
    body = _finish_blocks(work.blocks, marks, profile.abbreviations_for(work.language), flattened=flattened)

    ed_note = item.ed_note
    for note in work.ed_notes:
        ed_note = f"{ed_note}\n{note}" if ed_note else note
    changes = dict(work.changes)
    changes.pop("byline", None)
    return replace(
        item,
        agency=agency,
        headline=typographic_quotes(headline, marks) if headline else headline,
        subheadlines=tuple(typographic_quotes(s, marks) for s in (_inline(x) for x in item.subheadlines) if s),
        summary=_summary(item.summary, marks),
        body=body,
        byline=byline,
        section=_inline(changes.pop("section", item.section)),  # type: ignore[arg-type]
        ed_note=ed_note,
        associations=tuple(work.associations),
        contributors=tuple(work.contributors),
        info_sources=_info_sources(item, profile),
        removed=tuple(work.removed),
        **changes,  # type: ignore[arg-type]
    )


def clean(item: ParsedItem) -> ParsedItem:
    """The item with its text cleaned and its furniture moved into metadata or ``removed``."""
    # The rules run to a fixed point inside, so a second clean finds nothing left to do.
    cleaned = _clean_once(item)
    if log.isEnabledFor(logging.DEBUG):
        taken = sorted({r.reason for r in cleaned.removed[len(item.removed) :]})
        log.debug(
            "clean %s item %s (agency %s): %d blocks kept, took out %s",
            cleaned.format,
            cleaned.guid or "-",
            cleaned.agency or "unknown",
            len(cleaned.body),
            ", ".join(taken) or "nothing",
        )
    return cleaned
