"""Reuters-21578 through what ``wirefeed process`` runs: all 21,578 stories, and the real CLI on one file.

In-process, every ``<REUTERS>`` element of the 22 files is one dispatch (as ``wirefeed
ingest`` splits them) and runs through ``flow.parse_dispatch``, ``clean.clean`` and
``normalise.to_ninjs`` (empty ``Enrichment``). Whether a story carries any text is read
from its SGML independently of the parser. Expected: no exception; an article for every
story with text (TYPE="BRIEF" ones headline-only, TYPE="UNPROC" ones with their raw text
as body); one dead letter, for the one story without text, saying so; the dateline's place
and date for every story whose ``<DATELINE>`` prints them.

The real command line runs at the same time, in a subprocess on reut2-000.sgm (with
enrichment, which dominates its run time): 1,000 JSON lines whose ``input`` is
``reut2-000.sgm#N`` and whose values and headers validate against the published schemas.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from pipeline import schemas
from pipeline.errors import PipelineError
from pipeline.records import Enrichment, RawDispatch
from pipeline.stages import normalise
from pipeline.stages.clean import clean
from pipeline.stages.flow import has_content, parse_dispatch
from tests.corpus_files import require_corpus

pytestmark = pytest.mark.corpus

_ELEMENT = re.compile(rb"<REUTERS\b.*?</REUTERS>", re.S)
_NEWID = re.compile(rb'NEWID="(\d+)"')
_TEXT = re.compile(rb"<TEXT\b([^>]*)>(.*?)</TEXT>", re.S)
_TYPE = re.compile(rb'TYPE="(\w+)"')
_DATELINE = re.compile(rb"<DATELINE>(.*?)</DATELINE>", re.S)
_TAG = re.compile(r"</?[A-Z]+\b[^>]*>")
# The canonical dateline of the corpus: "    PLACE, Month day - " with a real month name.
_CANONICAL = re.compile(
    r"^\s*[A-Za-z][A-Za-z .'&/-]*(?:,\s*[A-Za-z][A-Za-z .'&/-]*)*,\s*"
    r"(?:Jan|Feb|March|Mar|April|Apr|May|June|Jun|July|Jul|Aug|Sept|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}\s*-\s*$",
    re.I,
)
_PLACEHOLDER = "Blah blah blah"
#: every this many stories (by NEWID) the article is schema-checked (about 2 ms each; all of
#: them would add some 45 s); the CLI test below checks every one of its 1,000
VALIDATE_EVERY = 10
HEADERS = (("content-type", b"application/sgml"),)


def _has_text(element: bytes) -> bool:
    """Whether a story carries any words: in <TEXT>, outside the tags, minus BRIEF placeholders."""
    found = _TEXT.search(element)
    if not found:
        return False
    text = _TAG.sub(" ", html.unescape(found.group(2).decode("latin-1")))
    return bool(re.search(r"[^\W\d_]{2,}", text.replace(_PLACEHOLDER, "")))


@dataclass
class Story:
    newid: int
    kind: str  # NORM, BRIEF, UNPROC
    has_text: bool
    dateline: str | None  # the <DATELINE> as printed
    dead: tuple[str, str] | None = None
    headline: str | None = None
    body_blocks: int = 0
    place: str | None = None
    date_text: str | None = None
    located: str | None = None
    errors: list[str] = field(default_factory=list)
    decoded: str | None = None  # the parser's note when bytes had to be repaired
    non_ascii: str = ""  # the non-ASCII characters of the cleaned body


@dataclass
class Sweep:
    stories: dict[int, Story] = field(default_factory=dict)
    seconds: float = 0.0
    validated: int = 0


@dataclass
class CliRun:
    proc: subprocess.Popen[bytes]
    output: Path
    started: float


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliRun]:
    """``python -m pipeline process reut2-000.sgm``, started first so it runs beside the sweep."""
    source = require_corpus("reuters21578", "reut2-000.sgm")
    workdir = tmp_path_factory.mktemp("reuters-cli")
    (workdir / "reut2-000.sgm").symlink_to(source)
    output = workdir / "out.jsonl"
    env = {**os.environ, "WIREFEED_DATA_DIR": str(workdir / ".wirefeed")}
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "process", "reut2-000.sgm"],
            cwd=workdir,
            stdout=sink,
            stderr=subprocess.PIPE,
            env=env,
        )
    run = CliRun(proc, output, time.perf_counter())
    yield run
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()


def _stories() -> Iterator[tuple[str, int, bytes]]:
    folder = require_corpus("reuters21578")
    for path in sorted(folder.glob("reut2-*.sgm")):
        for number, found in enumerate(_ELEMENT.finditer(path.read_bytes()), start=1):
            yield f"{path.name}#{number}", number, found.group(0)


@pytest.fixture(scope="module")
def sweep(cli: CliRun) -> Sweep:
    """All 21,578 stories through parse -> clean -> normalise (the CLI runs meanwhile)."""
    result = Sweep()
    started = time.perf_counter()
    for name, _, element in _stories():
        newid = int(_NEWID.search(element).group(1))  # type: ignore[union-attr]
        text = _TEXT.search(element)
        kind_match = _TYPE.search(text.group(1)) if text else None
        dateline = _DATELINE.search(element)
        story = Story(
            newid=newid,
            kind=kind_match.group(1).decode() if kind_match else "NORM",
            has_text=_has_text(element),
            dateline=dateline.group(1).decode("latin-1") if dateline else None,
        )
        result.stories[newid] = story
        try:
            items = parse_dispatch(RawDispatch(element, HEADERS, input=name))
        except PipelineError as exc:
            story.dead = (type(exc).__name__, exc.reason)
            continue
        assert len(items) == 1, name
        item = clean(items[0])
        assert has_content(item), name
        doc = normalise.to_ninjs(item, Enrichment(), normalise.story_uri(item))
        story.headline = item.headline
        story.body_blocks = len(item.body)
        story.located = doc.get("located")
        story.decoded = next((v for k, v in item.extra if k == "reuters21578:decoded"), None)
        story.non_ascii = "".join(sorted({ch for ch in item.body_text() if ord(ch) > 127}))
        if item.dateline is not None:
            story.place, story.date_text = item.dateline.place, item.dateline.date_text
        if newid % VALIDATE_EVERY == 0:
            story.errors = schemas.errors("wire.articles", "value", doc)
            result.validated += 1
    result.seconds = time.perf_counter() - started
    return result


def test_every_story_with_text_is_an_article_and_only_the_textless_one_is_dead(sweep: Sweep) -> None:
    """21,578 stories: an article for each with text; one dead letter, for the one with none, saying so."""
    stories = sweep.stories
    kinds = Counter(s.kind for s in stories.values())
    dead = {n: s.dead for n, s in stories.items() if s.dead}
    print(
        f"\nReuters-21578 in-process: {len(stories)} stories ({kinds['NORM']} NORM, {kinds['BRIEF']} BRIEF, "
        f"{kinds['UNPROC']} UNPROC), {len(stories) - len(dead)} articles, {len(dead)} dead letter; "
        f"{sweep.seconds:.1f} s, {sweep.validated} articles schema-checked"
    )
    assert len(stories) == 21578
    assert kinds == Counter({"NORM": 19043, "BRIEF": 1798, "UNPROC": 737})
    assert {n for n, s in stories.items() if not s.has_text} == set(dead) == {12793}
    error_class, reason = dead[12793]
    assert error_class == "EmptyDispatchError"
    assert reason == (
        'Reuters-21578 story NEWID=12793 has no text at all: its <TEXT TYPE="UNPROC"> holds no title and no body'
    )


def test_brief_stories_are_headline_only_and_unproc_stories_carry_their_raw_text(sweep: Sweep) -> None:
    """BRIEF: a headline and no body; UNPROC: a body (the raw text) and no headline; NORM: both."""
    for story in sweep.stories.values():
        if story.dead:
            continue
        if story.kind == "BRIEF":
            assert story.headline and story.body_blocks == 0, story
        elif story.kind == "UNPROC":
            assert story.body_blocks and not story.headline, story
        else:
            assert story.headline and story.body_blocks, story


def test_datelines_give_place_and_date_wherever_printed(sweep: Sweep) -> None:
    """Every <DATELINE> in the canonical "PLACE, Month day -" shape gives its place (ninjs located) and date."""
    canonical = [s for s in sweep.stories.values() if s.dateline and _CANONICAL.match(s.dateline)]
    assert len(canonical) == 18829
    for story in canonical:
        assert story.place and story.date_text, story
        printed = re.sub(r"\s", "", story.dateline or "").casefold()
        # clean may split a region off the place ("PORTLAND, Ore." -> PORTLAND + region Ore.); line
        # noise may precede it ("c    CHICAGO, March 9 - ")
        place, date_text = (re.sub(r"\s", "", t).casefold() for t in (story.place, story.date_text))
        assert place in printed and date_text in printed[printed.index(place) :], story
        assert story.located == story.place


def test_the_raw_byte_of_reut2_017_is_decoded_and_recorded(sweep: Sweep) -> None:
    """The one story with a raw non-UTF-8 byte (0xFC, reut2-017.sgm) reads it as cp1252 and says so."""
    repaired = {n: s.decoded for n, s in sweep.stories.items() if s.decoded}
    assert repaired == {17980: "cp1252, repaired"}
    assert "ü" in sweep.stories[17980].non_ascii
    assert not any("\ufffd" in s.non_ascii for s in sweep.stories.values())


def test_sampled_articles_validate_against_ninjs(sweep: Sweep) -> None:
    """Every 10th story (of every TYPE) gives an article that the ninjs 3.1 value schema accepts."""
    checked = [s for s in sweep.stories.values() if not s.dead and s.newid % VALIDATE_EVERY == 0]
    assert len(checked) == sweep.validated == 2157
    assert {s.kind for s in checked} == {"NORM", "BRIEF", "UNPROC"}
    assert [(s.newid, s.errors[:2]) for s in checked if s.errors] == []


def test_cli_process_on_one_file_gives_1000_valid_lines(cli: CliRun, sweep: Sweep) -> None:
    """``wirefeed process reut2-000.sgm``: 1,000 article lines, inputs reut2-000.sgm#1..#1000, all valid."""
    try:
        stderr = cli.proc.communicate(timeout=900)[1] or b""
    except subprocess.TimeoutExpired:
        pytest.fail("wirefeed process did not finish within 900 s")
    seconds = time.perf_counter() - cli.started
    assert cli.proc.returncode == 0, stderr.decode("utf-8", errors="replace")[-2000:]
    lines = [orjson.loads(line) for line in cli.output.read_bytes().splitlines() if line.strip()]
    print(f"\nwirefeed process reut2-000.sgm: {len(lines)} lines in {seconds:.1f} s (with enrichment)")
    assert len(lines) == 1000
    assert [line["input"] for line in lines] == [f"reut2-000.sgm#{n}" for n in range(1, 1001)]
    assert {line["topic"] for line in lines} == {"wire.articles"}
    # the NEWID numbers a dispatch of the collection, not a story: it stays an altId, and the
    # story is its Reuters slug family of the day (pipeline/stories/identity.py)
    guids = [[a["value"] for a in line["value"]["altIds"] if a["role"] == "guid"] for line in lines]
    assert guids == [[f"urn:wirefeed:reuters21578:{n}"] for n in range(1, 1001)]
    assert all(line["value"]["uri"].startswith("urn:wirefeed:reuters:") for line in lines)
    problems = []
    for line in lines:
        found = schemas.errors("wire.articles", "value", line["value"])
        found += schemas.errors("wire.articles", "headers", line["headers"])
        if found:
            problems.append((line["input"], found[:2]))
    assert problems == []
