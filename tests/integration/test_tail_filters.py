"""`wirefeed tail` filters (--lang, --agency, --subject, --place) on records read from the broker."""

from __future__ import annotations

import orjson
import pytest

from pipeline.kafka import ensure_topics, producer
from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.broker

MEDTOP = "http://cv.iptc.org/newscodes/mediatopic/"


def _article(uri: str, language: str, subjects: list[str], place: int | None) -> bytes:
    return orjson.dumps(
        {
            "uri": uri,
            "language": language,
            "headlines": [{"value": f"Story {uri}"}],
            "subjects": [{"uri": MEDTOP + code} for code in subjects],
            "places": [{"name": "x", "rel": "dateline", "uri": f"https://sws.geonames.org/{place}/"}] if place else [],
        }
    )


async def test_tail_shows_only_the_records_its_filters_select(pipeline: Pipeline) -> None:
    """Each filter narrows what tail prints; a narrower media topic matches its broader one."""
    stories = [
        ("a1", "fr", ["15000000"], 3017382, "afp"),  # French sport set in France
        ("a2", "fr-BE", ["20000344"], 2802361, "belga"),  # Belgian economy (20000344 is under 04000000)
        ("a3", "de", ["15000000"], 2921044, "dpa"),  # German sport in Germany
        ("a4", "en", ["17000000"], None, "reuters"),  # weather, no place
    ]
    await ensure_topics(pipeline.bootstrap, pipeline.names.all(), 2)
    async with producer(pipeline.bootstrap) as prod:
        for uri, lang, subjects, place, agency in stories:
            await prod.send_and_wait(
                pipeline.names.articles, _article(uri, lang, subjects, place), key=uri.encode(),
                headers=[("wf_agency", agency.encode())],
            )  # fmt: skip

    def tail(*filters: str) -> list[str]:
        done = pipeline.cli("tail", "--from-beginning", "--no-follow", "--json", *filters, timeout=120)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        return sorted(orjson.loads(line)["key"] for line in done.stdout.splitlines())

    assert tail() == ["a1", "a2", "a3", "a4"]
    assert tail("--lang", "fr") == ["a1", "a2"]
    assert tail("--subject", "sport") == ["a1", "a3"]
    assert tail("--subject", "04000000") == ["a2"]
    assert tail("--place", "FR,DE") == ["a1", "a3"]
    assert tail("--agency", "afp", "--agency", "reuters") == ["a1", "a4"]
    assert tail("--lang", "fr", "--subject", "sport") == ["a1"]
    bad = pipeline.cli("tail", "--no-follow", "--subject", "sprot")
    assert bad.returncode == 2 and b"did you mean 'sport'" in bad.stderr
