"""Which lines of a scraped web page are the article, and which are the page around it.

A page scraped to text is the article in reading order inside the site's furniture:
menus, section labels, dates, bylines, share and follow widgets, captions and credits
above the text; tags, related and most-read titles, comment forms, cookie notices and
copyright lines below it. No list of sites can describe every page, so this module reads
the page the way the jusText/boilerpipe family does, with evidence that holds for any
site and language:

- **prose**: a line of article text is long, ends as a sentence ends and is dense in
  the function words of its language (jusText's stop lists, one per ~100 languages; the
  page's own list is the one most of its words belong to, and a line's density is
  judged against the page's own prose, since agglutinative languages have fewer);
- **furniture shapes** (``chrome_reason``): date and time lines, "Label: value" fields,
  bare links and handles, separators, credits in parentheses, widget and notice phrases
  (``data/page_chrome.toml``), font-size controls, filing stamps, and lines that repeat
  an earlier line of the page;
- **position and context**: the article runs from its lead (the first prose line that
  starts a run of text) to its last prose line; a short line between prose lines is
  text (a subheading, a speaker's name), a short line between furniture is furniture.

Lines are classified GOOD (prose), NEAR (a sentence, or long text that is not quite
prose), SHORT (a title, a label, a name) or BAD (a furniture shape). What a caller
drops must have evidence: inside the article, only BAD lines and SHORT lines with BAD
lines on both sides; outside it, anything that is not prose joined to the article.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel import Locale

DATA = Path(__file__).resolve().parent / "data"

GOOD, NEAR, SHORT, BAD = "good", "near", "short", "bad"

#: a prose line has at least this many words ...
PROSE_WORDS = 10
#: ... and this share of the page's typical function-word density (0..1)
PROSE_STOP_SHARE = 0.5
#: a line without a sentence end counts as prose only from this length (a cut paragraph)
PROSE_UNENDED_CHARS = 200
#: a prose line has a sentence end at least every this many words
PROSE_UNPUNCTUATED_WORDS = 60
#: the function-word density below which nothing is prose, whatever the page's level
MIN_STOP = 0.08
#: a NEAR line (a short sentence) has at least this many words
SENTENCE_WORDS = 4
#: titles are at most this long
MAX_TITLE_CHARS = 250
MAX_TITLE_WORDS = 35
#: widget phrases and labels mark a line as furniture only when it is this short (words)
WIDGET_WORDS = 14
#: a notice phrase marks a line as furniture up to this length (words)
NOTICE_WORDS = 80
#: a "Label: value" line's value is at most this many words
LABEL_VALUE_WORDS = 5
#: furniture that follows a standfirst or a caption, not the lead: it closes the header
HEADER_REASONS = frozenset({"date-line", "label", "byline", "repeated", "caption", "credit", "dateline"})
#: at most this many short lines (a subheading) between the last prose line and a closing sentence
TAIL_SHORT_RUN = 2
#: a line holding the same run of this many words twice is a ticker
TICKER_RUN = 8
#: long lines are compared for a repeat when their first this many letters agree
REPEAT_PREFIX = 60
#: at least this many cut paragraphs after the article's own text make a block of teasers
TEASER_RUN = 2
#: tokens sampled to find the page's language list
LANGUAGE_SAMPLE = 3000

# a word; Chinese and Japanese write without spaces, so each ideograph or kana counts as one
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# (a letter that is no ideograph or kana: one negated class, not a lookahead per letter)
_WORD = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}]+(?:['’][^\W\d_{_CJK}]+)*")
# a paragraph cut by the site, not ended: "... the Sofia..", "... efforts…"
_TEASER_CUT = re.compile(r"[^\s.!?…](?:\.{2,}|…)[\"'”’»)]*$")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_SENTENCE_END = re.compile(r"[.!?…。！？؟۔।][\"'”’»)\]]*(?:\s*\([^()]{1,20}\)\.?)?$")
_LETTER = re.compile(r"[^\W\d_]")
_ALNUM = re.compile(r"[^\W_]")
_NOT_ALNUM = re.compile(r"[\W_]+")

# ------------------------------------------------------------------ data


@cache
def _stoplists() -> dict[str, frozenset[str]]:
    """jusText's stop lists: language name -> its most frequent words (case-folded)."""
    import justext  # loads lxml's HTML cleaner; imported on first use

    return {name: frozenset(w.casefold() for w in justext.get_stoplist(name)) for name in justext.get_stoplists()}


@dataclass(frozen=True)
class Vocabulary:
    """Furniture words (``data/page_chrome.toml``) and calendar words (``data/calendar_words.txt``)."""

    field_labels: frozenset[str]
    date_labels: frozenset[str]
    relative_time: frozenset[str]
    widget: re.Pattern[str]
    notice: re.Pattern[str]  # phrases only notices use
    title_suffix_words: frozenset[str]
    calendar: frozenset[str]
    language_names: frozenset[str]  # languages' names in themselves (CLDR), one word each
    comment_words: frozenset[str]  # words of a comments section's label
    read_on: re.Pattern[str]  # "… Continue reading <title>" at the end of a text
    read_more: re.Pattern[str]  # a line opening with a read-more label
    picture: re.Pattern[str]  # a word naming a picture or its credit ("photo", "Foto", "صورة")
    picture_source: re.Pattern[str]  # a picture library named in a credit ("Getty Images", "via")
    credit_label: str  # regex: a picture word, then a joiner ("Photo by", "Foto:", "Фото ©")


@cache
def vocabulary() -> Vocabulary:
    data = tomllib.loads((DATA / "page_chrome.toml").read_text(encoding="utf-8"))
    calendar = (DATA / "calendar_words.txt").read_text(encoding="utf-8").split()
    language_names = (DATA / "language_names.txt").read_text(encoding="utf-8").split()
    phrases = sorted({p.casefold() for p in data["widget_phrases"]}, key=len, reverse=True)
    widget = re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(p) for p in phrases) + r")(?:s|es)?(?![^\W_])")
    notices = sorted({p.casefold() for p in data["notice_phrases"]}, key=len, reverse=True)
    notice = re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(p) for p in notices) + r")(?![^\W_])")
    reads = sorted({p.casefold() for p in data["read_more"]}, key=len, reverse=True)
    read_more = re.compile(r"^\W*(?:" + "|".join(re.escape(p) for p in reads) + r")(?![^\W_])")
    continues = sorted({p.casefold() for p in data["continue_reading"]}, key=len, reverse=True)
    labels = "|".join(re.escape(p) for p in continues)
    read_on = re.compile(r"(?:\s*(?:…|\.\.\.))?\s*(?<![^\W_])(?:" + labels + r")(?![^\W_])[^.!?\n]{0,160}$", re.I)
    pictures = _alternation(data["picture_words"])
    joiners = _alternation(data["credit_joiners"])
    # "Photo by", "Photo credit:", "Foto/", "Фото ©", "(Photo: "; the joiner is required
    credit_label = rf"(?:{pictures})(?:\s+(?:{pictures}))?(?:\s+(?:{joiners})\s*:?|\s*[:：/©|]|\s+[-–—])"
    return Vocabulary(
        picture=re.compile(rf"(?<![^\W_])(?:{pictures})(?![^\W_])", re.I),
        picture_source=re.compile(rf"(?<![^\W_])(?:{_alternation(data['picture_sources'])})(?![^\W_])", re.I),
        credit_label=credit_label,
        read_on=read_on,
        read_more=read_more,
        field_labels=frozenset(w.casefold() for w in data["field_labels"]),
        date_labels=frozenset(w.casefold() for w in data["date_labels"]),
        relative_time=frozenset(w.casefold() for w in data["relative_time"]),
        widget=widget,
        notice=notice,
        title_suffix_words=frozenset(w.casefold() for w in data["title_suffix_words"]),
        calendar=frozenset(w.casefold() for w in calendar),
        language_names=frozenset(language_names),
        comment_words=frozenset(w.casefold() for w in data["comment_words"]),
    )


def _alternation(words: Sequence[str]) -> str:
    """A regex alternation of ``words`` (longest first, spaces as any whitespace)."""
    unique = sorted({w.casefold() for w in words}, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in unique)


def _locales() -> list[Locale]:
    """babel's locales of languages (no regional variants)."""
    from babel import Locale, UnknownLocaleError
    from babel.localedata import locale_identifiers

    out: list[Locale] = []
    for ident in locale_identifiers():
        if "_" in ident:
            continue  # a language's regional variants name the same months
        try:
            out.append(Locale.parse(ident))
        except (UnknownLocaleError, ValueError):
            continue
    return out


def language_names() -> list[str]:
    """Each language's name in itself (CLDR, via babel), case-folded: the source of ``data/language_names.txt``.

    Only one-word names: a menu of editions prints "English", "Türkçe", "العربية".
    """
    names: set[str] = set()
    for locale in _locales():
        name = locale.get_display_name(str(locale)) or ""
        name = unicodedata.normalize("NFC", name.split(" (")[0]).casefold()
        if name and " " not in name:
            names.add(name)
    return sorted(names)


def calendar_words() -> list[str]:
    """Month and weekday names (wide and abbreviated) of every language CLDR knows, case-folded.

    The source of ``data/calendar_words.txt`` (built from babel's CLDR data; a test checks
    the file is current): reading every locale takes a second, the file a millisecond.
    """
    words: set[str] = set()
    for locale in _locales():
        for table in (locale.months, locale.days):
            for context in ("format", "stand-alone"):
                for width in ("wide", "abbreviated"):
                    for name in table[context][width].values():
                        for word in _WORD.findall(unicodedata.normalize("NFC", name).casefold()):
                            words.add(word)
    return sorted(words)


# ------------------------------------------------------------------ lines


def words_of(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def title_words(text: str) -> int:
    """How many words a title has, an ideograph or kana counting as half a word (a two-character word)."""
    words = words_of(text)
    cjk = sum(1 for w in words if len(w) == 1 and _CJK_CHAR.match(w))
    return len(words) - cjk + (cjk + 1) // 2


def page_stoplist(texts: Sequence[str]) -> frozenset[str]:
    """The stop list most of the page's words belong to (empty when the page has no words).

    Lists built from web text share their commonest words across languages (several hold
    English words); the best one is a good measure of function-word density either way.
    """
    sample: list[str] = []
    for text in texts:
        sample.extend(words_of(text))
        if len(sample) >= LANGUAGE_SAMPLE:
            break
    if not sample:
        return frozenset()
    best, best_count = frozenset[str](), 0
    # each different word counted once, and only those a list holds looked up (~100 lists
    # of jusText: a word at a time, ~300,000 lookups per page)
    counts = Counter(sample)
    different = frozenset(counts)
    for stoplist in _stoplists().values():
        count = sum(map(counts.__getitem__, different & stoplist))  # a set & a set: over the smaller
        if count > best_count:
            best, best_count = stoplist, count
    return best


@dataclass(frozen=True)
class Line:
    """One line (unit) of a page with what the classification needs."""

    text: str
    words: int
    stop: float  # share of the words in the page's stop list
    sentence: bool  # ends as a sentence ends
    chrome: str | None  # a furniture shape (the reason), or None


def ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text.rstrip()))


def text_key(text: str) -> str:
    """Letters and digits only, case-folded: what two printings of one line share."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFC", text).casefold())


# ------------------------------------------------------------------ furniture shapes

_SEPARATOR = re.compile(r"^[\W_]{3,}$")
_URL = re.compile(r"^(?:https?://\S+|www\.\S+|[\w.-]+\.(?:[a-z]{2,6})(?:/\S*)?|[\w.+-]+@[\w-]+\.[\w.]+|@\w{2,})$", re.I)
_HAS_URL = re.compile(r"https?://\S+|\bwww\.\S+|pic\.twitter\.com/\S+", re.I)
_HANDLE_LINE = re.compile(r"^[^\W\d_][\w .-]{0,20}:\s*@\w+$")
_FONT_SIZE = re.compile(r"(?:^|\s)A\s*-\s+A\s+A\s*\+(?:\s|$)")
_CREDIT = re.compile(r"^\(\s*[^()]{1,70}\s*\)$")
_SIGN_OFF = re.compile(r"^\(\s*[^\W\d_][\w.-]{1,15}\s*\)\s*(?:[a-z]{1,4}(?:\s*/\s*|\s+))*[a-z]{1,4}$")
# a filing stamp of old wires: "291541 MET sep 98", "181450 GMT Mar 97"
_FILING = re.compile(r"^\d{6}\s+[A-Z]{2,4}\s+[A-Za-z]{3}\s+\d{2,4}$")
# the signature of an embedded post: "— Jane Roe (@janeroe) 4 May 2019"
_POST_SIGNATURE = re.compile(r"^[—–-]\s*[^()\n]{1,80}\(@\w{1,30}\)[^()\n]{0,40}\d[^()\n]{0,10}$")
# platforms a page links to: two of them on a line that is no sentence make a widget
_PLATFORM = re.compile(
    r"(?<![^\W_])(facebook|twitter|instagram|youtube|telegram|whatsapp|linkedin|tiktok|android|ios|iphone|ipad|"
    r"google play|app store|rss|vk|vkontakte|pinterest|reddit|flipboard|threads|bluesky)(?![^\W_])"
)
# a site's address named in a line: "Example.com", "news.example.org"
_DOMAIN = re.compile(r"\b[\w-]+\.(?:com|net|org|info|news|tv|[a-z]{2})\b", re.I)
# a list item glued to its time: "18:57World - Title"
_TIMED_ITEM = re.compile(r"^\d{1,2}:\d{2}[^\W\d_]")
# where a picture's subject stands: "(L)", "(R)", "(2nd L)", "(left)"
_POSITION = re.compile(r"\((?:\d(?:st|nd|rd|th) )?(?:L|R|C|L-R|left|right|centre|center)\)")
# a weather widget: "Beijing Cloudy 28℃~16℃"
_WEATHER = re.compile(r"-?\d{1,2}\s?(?:℃|°\s?[CF]\b|℉)")
# a breadcrumb trail: "Home > News", "Français>>International", ">> ECONOMY", "News  >"
_BREADCRUMB = re.compile(r"^(?:[^<>»›\n]{0,40}\s*(?:>>|»|›|>)\s*)+[^<>»›\n]{0,40}$")
# a story number signed under the text: "MNA/6722544"
_STORY_NUMBER = re.compile(r"^[A-Z][A-Za-z]{1,9}\s*/\s*\d{4,}$")
_LABEL = re.compile(r"^(?P<label>[^\W\d_][^:\n]{0,30}?)\s*:\s*(?P<value>.*)$")
_DATE_TOKEN = re.compile(
    r"\b\d{1,2}[:.h]\d{2}(?::\d{2})?\b"  # a time (08:31, 08.31, 08h31)
    r"|\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b"  # 2025-12-03
    r"|\b\d{1,2}\s?[-/.]\s?\d{1,2}\s?[-/.]\s?\d{2,4}\b"  # 09.10.2015, 23. 07. 2020
)
# a caption closed by its credit: "A woman walks under a sign ... (Name/AFP via Getty Images)"
_CREDITED = re.compile(r"\((?P<credit>[^()]{2,80}(?:/|\s-\s)[^()]{2,80})\)\s*$")
# a sentence signed by an agency in parentheses, a credit mark after it: ". (Example) ==Example"
_AGENCY_SIGNED = re.compile(
    r"(?<=[.!?…\"”»])\s*(?P<credit>\((?P<agency>[^()]{2,30})\)(?:\s*=+\s*[^\W\d_][\w .-]{0,30})?)\s*$"
)
_DAY = re.compile(r"(?<![\d.,])(?:[12]?\d|3[01])(?![\d.,]\d)")
_YEAR = re.compile(r"(?<![\d.,/-])(?:1[89]|20)\d{2}(?![\d/-])")
#: a month or weekday name at most this many words before a year dates the line
YEAR_DATE_WORDS = 4
# a credit in parentheses closing a line
_CREDIT_AT_END = re.compile(r"\([^()]{2,40}\)\s*$")
_GLUED_CASE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_META_SPLIT = re.compile(r"\s+[|•·—–-]\s+|\s*\|\s*|\s*[•·]\s*")


# ------------------------------------------------------------------ picture credits

# a credited name: capitalised words or initials, an agency or a service after a slash
# ("Jane Roe", "J. Roe/Example Wire", "Jane Roe / AA", "example.com")
_CREDIT_NAME = r"[^\W\d_][\w.'’&-]*(?:[ \t]+[^\W\d_][\w.'’&-]*){0,5}(?:\s*/\s*[^\W\d_][\w.'’& -]{0,40}?)?"
#: lower-case words a credited name may hold ("Name via Example Images", "Ana de Souza")
_NAME_PARTICLES = frozenset(
    {"via", "de", "da", "di", "do", "dos", "van", "von", "der", "den", "al", "el", "bin", "and"}
)
#: a credit line is at most this many words
CREDIT_WORDS = 8


@cache
def _credit_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(a credit line, a credit glued after a text's last sentence, a gallery counter)."""
    vocab = vocabulary()
    label = vocab.credit_label
    pictures = vocab.picture.pattern
    line = re.compile(rf"^\(?\s*(?:{label})\s*(?P<name>[^()]+?)\s*\)?\.?$", re.I)
    glued = re.compile(rf"(?P<end>[.!?…][\"'”’»)]?)\s+(?P<credit>(?:{label})\s*(?P<name>{_CREDIT_NAME}))\s*$", re.I)
    counter = re.compile(rf"^{pictures}\s+\d+\s*(?:/|[^\W\d_]{{1,4}})\s*\d+$", re.I)
    return line, glued, counter


def _name_like(name: str) -> bool:
    """A credited name: its words capitalised (particles aside), or a web address, or an agency."""
    name = name.strip(" .")
    if not name or name[-1:] in "!?":
        return False
    if _DOMAIN.fullmatch(name):
        return True
    words = [w for w in re.split(r"[\s/]+", name) if _LETTER.search(w)]
    if not words:
        return False
    # a script without case (Arabic, Chinese) shows no capitals: its words pass
    return all(w[:1].isupper() or w.casefold() in _NAME_PARTICLES or w[:1].lower() == w[:1].upper() for w in words)


def credit_line(text: str) -> bool:
    """A picture credit on its own line: "Photo by Jane Roe", "Foto: Name/Agency", "(Фото: Name)"."""
    line, _, counter = _credit_patterns()
    text = text.strip()
    if len(words_of(text)) > CREDIT_WORDS:
        return False
    if counter.match(text):
        return True  # a gallery's counter: "Image 1 of 12", "Foto 3/10"
    m = line.match(text)
    return bool(m and _name_like(m.group("name")))


def split_glued_credit(text: str) -> tuple[str, str, str] | None:
    """(text, credit, name) of a text whose last sentence is followed by a picture credit, else None.

    "... before being distributed. Photo by Jane Roe", "... dedi. Fotoğraf: Ali Veli/AA":
    the label and a name after the sentence's end; the text keeps its full stop.
    """
    _, glued, _ = _credit_patterns()
    m = glued.search(text)
    if not m or m.start() == 0 or not _name_like(m.group("name")):
        return None
    return text[: m.end("end")].rstrip(), m.group("credit").strip(), m.group("name").strip()


def names_picture(text: str) -> bool:
    """The text names a picture or a picture credit: a picture word, a picture library, an agency."""
    vocab = vocabulary()
    if vocab.picture.search(text) or vocab.picture_source.search(text):
        return True
    from pipeline.dateline import known_agency  # the grammar's agency names, in every script

    return any(known_agency(part) for part in re.split(r"\s*(?:/|\s-\s|,)\s*", text) if part.strip())


def dated_with_year(text: str) -> bool:
    """The text gives a full date with its year ("on Aug. 24, 2024", "le 24 août 2024", "3 Mart 2024 Pazar").

    Agencies' photo captions do (their style guides ask for the day and the year the
    picture was taken); a story's text names the year of a date of the current year rarely.
    """
    calendar = vocabulary().calendar
    for m in _YEAR.finditer(text):
        window = text[max(0, m.start() - 40) : m.start()]
        before = words_of(window)[-YEAR_DATE_WORDS:]
        # a month's name (three letters or more: short words of some calendar are function
        # words of another language) and a day's number
        if any(len(w) >= 3 and w in calendar for w in before) and _DAY.search(window):
            return True
    return False


def agency_signed_caption(text: str) -> str | None:
    """The credit of a caption in the agencies' style, else None.

    A sentence signed with an agency's name in parentheses ("(Example)", perhaps with a
    credit mark after it: "==Example") that gives a full date with its year: "A ceremony
    is held ... on Aug. 24, 2024. (Example)". A story's text signed "(AFP)" names no year.
    """
    m = _AGENCY_SIGNED.search(text)
    if not m or m.start() == 0:
        return None
    from pipeline.dateline import known_agency  # the grammar's agency names, in every script

    if not known_agency(m.group("agency")) or not dated_with_year(text[: m.start()]):
        return None
    return m.group("credit")


def _is_calendar_line(text: str, stop: frozenset[str], vocab: Vocabulary) -> bool:
    """A date, a time or both, with at most two other words (a source, a label).

    The date must make most of the line: "Police arrived at 10:30." is a sentence.
    """
    text = _GLUED_CASE.sub(" ", text)  # "SundayDecember 13" was two words
    words = words_of(text)
    dated = bool(_DATE_TOKEN.search(text))
    calendar = [w for w in words if w in vocab.calendar]
    if not dated and not (calendar and re.search(r"\d", text)):
        return False
    dateish = [w for w in words if w in vocab.calendar or w in vocab.date_labels or w in vocab.relative_time]
    other = [w for w in words if w not in dateish and w not in stop and len(w) > 1]
    if len(other) > 2:
        return False
    # short function words ("the", "on", "le", "à") are no evidence of a date; labels are
    evidence = sum(len(w) for w in dateish if w in vocab.calendar or len(w) >= 4 or w not in stop)
    total = len(_ALNUM.findall(text))
    digits = sum(ch.isdigit() for ch in text)
    return total > 0 and (digits + evidence) / total >= 0.5


def _is_meta_line(text: str, stop: frozenset[str], vocab: Vocabulary) -> bool:
    """Fields joined by separators, one of them a date: "Name | 09.10.2015", "AGENCY - 2 hours ago - 15:00 | A, B"."""
    parts = [p for p in _META_SPLIT.split(text) if p.strip()]
    if len(parts) < 2 or not any(_is_calendar_line(p, stop, vocab) for p in parts):
        return False
    return all(_is_calendar_line(p, stop, vocab) or len(words_of(p)) <= 4 for p in parts)


def comments_label(text: str) -> bool:
    """A line that opens the readers' comments ("1 comment:", "Comments (3)", "Yorumlar", "Leave a Reply")."""
    words = words_of(text)
    return 0 < len(words) <= 5 and any(w in vocabulary().comment_words for w in words)


def _language_menu(line: str, vocab: Vocabulary) -> bool:
    """A row of language names ("English العربية Türkçe"): an edition switch."""
    tokens = [t.casefold() for t in line.split() if _LETTER.search(t)]
    named = sum(1 for t in tokens if t in vocab.language_names)
    return named >= 3 and named >= len(tokens) / 2


def _repeats_inside(words: list[str]) -> bool:
    """The same run of words twice in one line: a ticker or a menu scraped with its copy."""
    seen: set[tuple[str, ...]] = set()
    for k in range(len(words) - TICKER_RUN + 1):
        gram = tuple(words[k : k + TICKER_RUN])
        if gram in seen:
            return True
        seen.add(gram)
    return False


def chrome_reason(text: str, stop: frozenset[str] = frozenset()) -> str | None:
    """Why ``text`` (one line) is page furniture by its shape alone, or None.

    Reasons: separator, link, date-line, label, widget, credit, sign-off, filing-stamp.
    ``stop`` is the page's stop list (its words do not count as content on a date line).
    """
    vocab = vocabulary()
    line = text.strip()
    if not line:
        return "separator"
    if not _ALNUM.search(line):
        return "separator" if _SEPARATOR.match(line) or len(line) <= 2 else None
    if _URL.match(line) or _HANDLE_LINE.match(line):
        return "link"
    words = words_of(line)
    n = len(words)
    if _FILING.match(line):
        return "filing-stamp"
    if _TIMED_ITEM.match(line):
        return "ticker"
    if _POST_SIGNATURE.match(line):
        return "embedded-post"
    if _STORY_NUMBER.match(line):
        return "sign-off"
    if _SIGN_OFF.match(line):
        return "sign-off"
    if n <= 12 and (_is_calendar_line(line, stop, vocab) or _is_meta_line(line, stop, vocab)):
        return "date-line"
    if _FONT_SIZE.search(line) or (n <= WIDGET_WORDS and _WEATHER.search(line)):
        return "widget"
    if n <= 8 and _BREADCRUMB.match(line):
        return "breadcrumb"
    if n >= 3 and _language_menu(line, vocab):
        return "language-menu"
    if n >= 2 * TICKER_RUN and sum(map(len, words)) >= 3 * n and not ends_sentence(line) and _repeats_inside(words):
        return "ticker"
    folded = line.casefold()
    if n <= WIDGET_WORDS and vocab.widget.search(folded):
        return "widget"
    if n <= NOTICE_WORDS and vocab.notice.search(folded):
        return "notice"
    platforms = len(set(_PLATFORM.findall(folded)))
    if n <= 3 * WIDGET_WORDS and platforms >= 2 and (not ends_sentence(line) or _DOMAIN.search(line)):
        return "widget"  # "Follow us on Facebook | Twitter | Android | iPhone"
    if n <= WIDGET_WORDS and _HAS_URL.search(line):
        return "link"
    if n <= 3 * WIDGET_WORDS and _HAS_URL.search(line) and vocab.widget.search(folded):
        return "widget"  # an embedded post that could not be shown: its address and the notice
    read = vocab.read_more.match(folded)
    if read and n <= 3 * WIDGET_WORDS and ":" in line[: read.end() + 40]:
        # "Read also: <title>", "Baca juga : <title>": a title after the label, not a sentence
        pointed = line[line.index(":", read.end() - 1 if read.end() else 0) + 1 :].strip()
        if title_like(pointed) or (pointed.endswith("?") and len(words_of(pointed)) <= MAX_TITLE_WORDS):
            return "related-link"
    if (_CREDIT.match(line) and n <= CREDIT_WORDS) or credit_line(line):
        return "credit"
    m = _LABEL.match(line)
    if m:
        label = " ".join(words_of(m.group("label")))
        value = m.group("value").strip()
        if label in vocab.field_labels and len(words_of(value)) <= LABEL_VALUE_WORDS and not ends_sentence(value):
            return "label"
    elif " ".join(words) in vocab.field_labels and n <= 3:
        return "label"
    credited = _CREDITED.search(line)
    if credited and len(words_of(credited.group("credit"))) <= 10 and names_picture(credited.group("credit")):
        return "caption"
    if n >= SENTENCE_WORDS and agency_signed_caption(line):
        return "caption"
    if _CREDIT_AT_END.search(line) and (_POSITION.search(line) or vocab.picture.search(line)):
        return "caption"  # "Name (L) tours the site ... in this photo provided by X. (PHOTO NOT FOR SALE) (Agency)"
    return None


# ------------------------------------------------------------------ the page


@dataclass
class Page:
    """The lines of a page, their classes, and where the article runs."""

    lines: list[Line]
    kinds: list[str]
    level: float  # typical function-word density of the page's prose
    stoplist: frozenset[str] = frozenset()  # the page's function words

    @property
    def good(self) -> list[int]:
        return [i for i, k in enumerate(self.kinds) if k == GOOD]

    def lead(self) -> int | None:
        """The article's first paragraph: the first prose line that more text follows.

        A standfirst or a caption is prose too, but header furniture (a byline, a date, a
        credit, the title again) follows it; the lead starts the run of text, in which short
        lines (a subheading, a list) and furniture of the text (a widget, an embedded post)
        may come before the next paragraph. One-paragraph pages: their prose line.
        """
        good = self.good
        kinds = self.kinds
        for i in good:
            j = i + 1
            # short lines, and furniture of the text itself, may stand before the next paragraph
            while j < len(kinds) and (
                kinds[j] == SHORT or (kinds[j] == BAD and self.lines[j].chrome not in HEADER_REASONS)
            ):
                j += 1
            if j < len(kinds) and kinds[j] in (GOOD, NEAR):
                return i
        return good[0] if good else None

    def last(self) -> int | None:
        """The article's last line: the last prose line, or a sentence a few short lines after it."""
        good = self.good
        if not good:
            return None
        # a block of teasers (other stories' leads cut by the site: "... the Sofia..") after
        # the article's own text is the site's, not the article's; a page of teasers only
        # is a listing, and its teasers are its text
        own = [i for i in good if not _TEASER_CUT.search(self.lines[i].text)]
        teasers = [i for i in good if own and i > own[-1]]
        cut = own and len(teasers) >= TEASER_RUN
        last = own[-1] if cut else good[-1]
        j = last + 1
        while j < len(self.kinds):
            k = j
            while k < len(self.kinds) and self.kinds[k] == SHORT and k - j < TAIL_SHORT_RUN:
                k += 1
            closes = (
                self.kinds[k] in (GOOD, NEAR) and self.lines[k].sentence and self.closing(k)
                if k < len(self.kinds)
                else False
            )
            if closes and not (cut and k in teasers):
                last = j = k
                j += 1
            else:
                break
        return last

    def closing(self, i: int) -> bool:
        """A line after the last prose line that may still close the text: a sentence, or longer text."""
        line = self.lines[i]
        if line.chrome is not None or line.stop == 0.0:
            return False  # no function word of the page's language: a title, a promo in another language
        if any(w in vocabulary().comment_words for w in words_of(line.text)):
            return False  # a comment policy ("Comments are the opinions of their authors")
        if _TEASER_CUT.search(line.text):
            return False  # another story's lead, cut by the site
        return self.kinds[i] == NEAR or (line.sentence and line.words >= SENTENCE_WORDS)

    def neighbour(self, i: int, step: int) -> str:
        """The class of the nearest line from ``i`` in direction ``step`` that is not SHORT (page edges: BAD)."""
        j = i + step
        while 0 <= j < len(self.kinds):
            if self.kinds[j] != SHORT:
                return self.kinds[j]
            j += step
        return BAD


def _level(lines: Sequence[tuple[int, float]]) -> float:
    """The page's typical function-word density: the median over its longer lines."""
    values = sorted(stop for words, stop in lines if words >= PROSE_WORDS)
    if not values:
        values = sorted(stop for _, stop in lines)
    return values[len(values) // 2] if values else 0.0


def classify(texts: Sequence[str], chrome: Sequence[str | None] | None = None) -> Page:
    """Classify the lines of a page; ``chrome`` gives furniture reasons a caller already knows."""
    stoplist = page_stoplist(texts)
    measured: list[tuple[str, int, float]] = []
    for text in texts:
        found = words_of(text)
        share = sum(1 for w in found if w in stoplist) / len(found) if found else 0.0
        measured.append((text, len(found), share))
    level = _level([(n, s) for _, n, s in measured])
    # a language without a stop list (Chinese, Japanese): prose is judged by length and punctuation
    threshold = max(MIN_STOP, PROSE_STOP_SHARE * level) if level >= MIN_STOP else 0.0
    lines: list[Line] = []
    kinds: list[str] = []
    for n, (text, words, stop) in enumerate(measured):
        reason = (chrome[n] if chrome else None) or chrome_reason(text, stoplist)
        sentence = ends_sentence(text)
        line = Line(text, words, stop, sentence, reason)
        lines.append(line)
        if reason:
            kinds.append(BAD)
        elif (
            words >= PROSE_WORDS
            and stop >= threshold
            and (sentence or len(text) >= PROSE_UNENDED_CHARS)
            and _punctuated(text, words)
        ):
            kinds.append(GOOD)
        elif stop >= threshold and ((sentence and words >= SENTENCE_WORDS) or words >= PROSE_WORDS):
            kinds.append(NEAR)
        else:
            kinds.append(SHORT)
    return Page(lines, kinds, level, stoplist)


_TERMINATOR = re.compile(r"[.!?…。！？؟۔।](?=[\"'”’»)\]]*(?:\s|$))")


def trim(texts: Sequence[str], kept: Sequence[bool] = ()) -> dict[int, str]:
    """The furniture around (and inside) the text of blocks already cut out of a page: index -> reason.

    For a body some other means found (an HTML page's content element): the lines above
    the lead that are not prose, the lines after the text's end that are not closing
    sentences, and lines of a furniture shape anywhere. ``kept[i]`` marks lines a caller
    keeps whatever their shape (its profile's furniture, left for the clean stage). A body
    with no prose line is left as it is.
    """
    page = classify(texts)
    lead, last = page.lead(), page.last()
    if lead is None or last is None:
        return {}
    while lead > 0 and page.kinds[lead - 1] != BAD and page.lines[lead - 1].sentence:
        lead -= 1
    out: dict[int, str] = {}
    gap = False
    for i, line in enumerate(page.lines):
        if i < len(kept) and kept[i]:
            continue
        if line.chrome and line.chrome not in ("caption", "repeated"):
            out[i] = line.chrome
        elif i < lead and page.kinds[i] in (SHORT, BAD):
            out[i] = "other-title" if title_like(line.text) else "page-chrome"
        elif i > last:
            if not gap and page.closing(i):
                continue
            gap = True
            out[i] = "other-title" if title_like(line.text) else "page-chrome"
    return out


def _punctuated(text: str, words: int) -> bool:
    """Prose ends its sentences: a long line without a full stop is a run of titles or tags."""
    return words < PROSE_UNPUNCTUATED_WORDS or len(_TERMINATOR.findall(text)) * PROSE_UNPUNCTUATED_WORDS >= words


def title_like(text: str) -> bool:
    """A line that can be a title: a few words, short, not a sentence or a field."""
    stripped = text.strip()
    words = words_of(stripped)
    if not 2 <= len(words) <= MAX_TITLE_WORDS or len(stripped) > MAX_TITLE_CHARS:
        return False
    last = stripped.rstrip("\"'”’»)]")[-1:]
    if last in ".;,:" and not stripped.endswith("..."):
        return False
    first = _ALNUM.search(stripped)
    return first is not None and not first.group().islower()


def repeats(texts: Sequence[str], min_chars: int = 12) -> list[int | None]:
    """For each line, the index of an earlier line it repeats (same letters and digits), else None.

    A line also repeats an earlier one that starts with it or that it starts with, when
    the shorter is at least four fifths of the longer (a lead printed again with a marker).
    """
    out: list[int | None] = []
    seen: dict[str, int] = {}
    by_start: dict[str, list[tuple[int, str]]] = {}  # long keys by their first characters
    for n, text in enumerate(texts):
        key = text_key(text)
        found = seen.get(key) if len(key) >= min_chars else None
        if len(key) >= REPEAT_PREFIX:
            earlier = by_start.setdefault(key[:REPEAT_PREFIX], [])
            if found is None:
                for m, other in earlier:
                    short, long_ = sorted((key, other), key=len)
                    if len(short) >= 0.8 * len(long_) and long_.startswith(short):
                        found = m
                        break
            earlier.append((n, key))
        out.append(found)
        seen.setdefault(key, n)
    return out


def shows_picture(text: str) -> bool:
    """The line speaks of a picture ("in this photo", "(L)"): a caption, not the article's text."""
    return bool(vocabulary().picture.search(text) or _POSITION.search(text))


def split_credit(text: str) -> tuple[str, str] | None:
    """(text, credit) of a line closed by a picture credit ("(Name/Agency via Images)", "(Agency) ==Agency")."""
    found = _CREDITED.search(text)
    if found and names_picture(found.group("credit")):
        return text[: found.start()].rstrip(), found.group().strip()
    signed = agency_signed_caption(text)
    if signed:
        return text[: len(text.rstrip()) - len(signed)].rstrip(), signed.strip()
    return None


def strip_title_suffix(title: str) -> str:
    """The title without a site name after it: "Title | Site", "Title - example.com", "Title - Son Dakika"."""
    vocab = vocabulary()
    text = title.strip()
    if " | " in text:
        head, _, tail = text.partition(" | ")
        # a date after the bar is the title's own ("News Digest | 28 August 2025")
        if len(words_of(head)) >= 2 and not _is_calendar_line(tail, frozenset(), vocab):
            text = head.strip()
    for sep in (" - ", " – ", " — ", " :: ", " · "):
        if sep not in text:
            continue
        head, _, tail = text.rpartition(sep)
        tail_words = words_of(tail)
        if len(words_of(head)) < 3 or not 1 <= len(tail_words) <= 3:
            continue
        domain = bool(re.search(r"\w\.[a-z]{2,6}\b", tail, re.I))
        site = " ".join(tail_words) in vocab.title_suffix_words or any(
            w in vocab.title_suffix_words for w in tail_words
        )
        if domain or site:
            text = head.strip()
    return text


__all__ = [
    "BAD",
    "GOOD",
    "NEAR",
    "SHORT",
    "Line",
    "Page",
    "agency_signed_caption",
    "calendar_words",
    "chrome_reason",
    "classify",
    "comments_label",
    "credit_line",
    "dated_with_year",
    "ends_sentence",
    "names_picture",
    "page_stoplist",
    "repeats",
    "shows_picture",
    "split_credit",
    "split_glued_credit",
    "strip_title_suffix",
    "text_key",
    "title_like",
    "title_words",
    "trim",
    "vocabulary",
    "words_of",
]
