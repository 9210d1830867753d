"""Random damage to every parser fixture: a parser returns items or raises a PipelineError, nothing else.

Wire dispatches arrive cut short, with bytes flipped by a bad line, with blocks lost or
doubled. For each fixture (invented text in a real format) a fixed set of mutations is
generated from a seeded random source, so a failure names a reproducible case. Each
mutated dispatch goes through the parser that reads the original, and through the whole
parse stage (detection included); only ``PipelineError`` subclasses may escape.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.parsers import load_all
from pipeline.records import ParsedItem, RawDispatch
from pipeline.stages.flow import parse_dispatch

FIXTURES = Path(__file__).parent / "fixtures"
#: mutated copies tried per fixture
MUTATIONS = 40
#: bytes that carry structure in the formats (markup, framing, JSON, SGML references)
_STRUCTURAL = b'<>/&;"{}[],:=\x01\x02\x03\x04\x16\x1f\r\n#'

Mutation = Callable[[random.Random, bytes], bytes]


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def _delete(rng: random.Random, data: bytes) -> bytes:
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.randint(1, 200) :]


def _duplicate(rng: random.Random, data: bytes) -> bytes:
    start = rng.randrange(len(data))
    chunk = data[start : start + rng.randint(1, 300)]
    at = rng.randrange(len(data))
    return data[:at] + chunk + data[at:]


def _structural(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        out.insert(rng.randrange(len(out) + 1), _STRUCTURAL[rng.randrange(len(_STRUCTURAL))])
    return bytes(out)


def _high_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        out.insert(rng.randrange(len(out) + 1), rng.randrange(0x80, 0x100))
    return bytes(out)


MUTATORS: tuple[Mutation, ...] = (_flip, _truncate, _delete, _duplicate, _structural, _high_bytes)


def _fixtures() -> list[object]:
    files = sorted(p for p in FIXTURES.rglob("*") if p.is_file())
    return [pytest.param(p, id=str(p.relative_to(FIXTURES))) for p in files]


def _mutants(path: Path) -> Iterator[tuple[str, bytes]]:
    data = path.read_bytes()
    rng = random.Random(f"wirefeed-mutations:{path.name}")
    for n in range(MUTATIONS):
        mutate = MUTATORS[n % len(MUTATORS)]
        yield f"{path.name} #{n} {mutate.__name__}", mutate(rng, data)


def _safely(run: Callable[[], object], case: str) -> None:
    try:
        result = run()
    except PipelineError:
        return
    except Exception as exc:  # the assertion under test: nothing else may escape
        pytest.fail(f"{case}: {type(exc).__name__}: {exc}")
    assert isinstance(result, list) and all(isinstance(i, ParsedItem) for i in result), case


@pytest.mark.parametrize("path", _fixtures())
def test_mutated_fixture_never_crashes_its_parser_or_the_parse_stage(path: Path) -> None:
    """40 seeded mutations: flips, cuts, deletions, doublings, stray markup and high bytes."""
    registry = load_all()
    original = path.read_bytes()
    parser = registry.detect(original, ())
    for case, mutant in _mutants(path):
        _safely(lambda mutant=mutant: list(parser.parse(mutant, ())), f"{parser.name} {case}")
        _safely(lambda mutant=mutant: list(parse_dispatch(RawDispatch(mutant, ()))), f"parse stage {case}")
        assert parser.can_parse(mutant, ()) in (True, False), case
