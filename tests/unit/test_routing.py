"""Routing rules over the sample firehose's real outputs (the stages in-process, lean enrichment).

Expected selections come from what the samples are (the manifest's agency and language,
where their stories happen, the priority their source declares), never from the matcher.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from pipeline.console import headers_dict
from pipeline.routing import ArticleView, RulesError, RulesFile, filters_from, load_rules, parse_rules
from pipeline.settings import Settings
from pipeline.sources import iter_dispatches
from pipeline.stages import flow
from pipeline.topics import TopicNames

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "firehose"
MANIFEST = {m["file"]: m for m in json.loads((SAMPLES / "MANIFEST.json").read_text(encoding="utf-8"))}

Article = tuple[str, dict[str, Any], dict[str, str]]  # (file, ninjs, headers)


@pytest.fixture(scope="module")
def firehose() -> list[Article]:
    """Every article of the sample firehose, as `wirefeed process` publishes it."""
    stages = flow.default_stages(Settings(spacy_models=()))
    names = TopicNames.with_prefix("")
    out = []
    for dispatch in iter_dispatches([str(SAMPLES)], exclude=["MANIFEST.json", "README.md"]):
        for result in flow.process(dispatch.raw(), stages):
            outcome = names.outcome(result)
            if outcome.topic == names.articles:
                name = Path(dispatch.input.split("#")[0]).name
                out.append((name, orjson.loads(outcome.value), headers_dict(outcome.headers)))
    assert len(out) >= 20
    return out


def _selected(firehose: list[Article], rules_text: str, topic: str) -> list[str]:
    import tomllib

    rules = parse_rules(tomllib.loads(rules_text))
    return sorted({name for name, article, headers in firehose if topic in rules.match(article, headers)})


def test_language_routes_select_the_samples_written_in_that_language(firehose: list[Article]) -> None:
    """language = ["fr"] takes fr, fr-BE ...; "de-AT" only the Austrian German one."""
    expected = sorted({n for n, _, _ in firehose if MANIFEST[n]["language"] == "fr"})
    assert _selected(firehose, '[[route]]\ntopic = "wire.fr"\nlanguage = ["fr"]', "wire.fr") == expected
    assert len(expected) == 4
    assert _selected(firehose, '[[route]]\ntopic = "wire.at"\nlanguage = "de-AT"', "wire.at") == [
        "atom-apa-de-graz-hagel.xml"
    ]


def test_agency_routes_select_the_samples_of_those_agencies(firehose: list[Article]) -> None:
    """agency = ["afp", "dpa"] is every AFP and dpa sample, by the manifest."""
    expected = sorted({n for n, _, _ in firehose if MANIFEST[n]["agency"] in ("afp", "dpa")})
    assert _selected(firehose, '[[route]]\ntopic = "wire.x"\nagency = ["afp", "dpa"]', "wire.x") == expected
    assert len(expected) == 4


def test_place_routes_select_the_stories_set_in_that_country(firehose: list[Article]) -> None:
    """Lyon and Brest are in France, Saint-Louis here is Senegal's; a country the story only mentions does not count."""
    assert _selected(firehose, '[[route]]\ntopic = "wire.x"\nplace = ["FR"]', "wire.x") == [
        "aa-fr-lyon-tramway.txt",
        "newsml12-afp-fr-brest-vent.xml",
    ]
    assert _selected(firehose, '[[route]]\ntopic = "wire.x"\nplace = "Senegal"', "wire.x") == [
        "aa-fr-saint-louis-peche.txt"
    ]
    # the Giresun hazelnut story mentions Germany as a buyer; it is not set there
    giresun = next(a for n, a, _ in firehose if n == "aa-en-giresun-hazelnut.txt")
    assert any(p.get("name") == "Germany" for p in giresun["places"])
    assert "aa-en-giresun-hazelnut.txt" not in _selected(
        firehose, '[[route]]\ntopic = "wire.x"\nplace = "DE"', "wire.x"
    )


def test_urgency_routes_follow_the_declared_priority(firehose: list[Article]) -> None:
    """AFP's Sarajevo story is priority 2 at the source: the only flash-level sample."""
    flash = '[[route]]\ntopic = "wire.flash"\nurgency = { max = 2 }'
    assert _selected(firehose, flash, "wire.flash") == ["newsml12-afp-en-sarajevo-snow.xml"]
    listed = _selected(firehose, '[[route]]\ntopic = "wire.x"\nurgency = [2, 5]', "wire.x")
    assert listed == ["newsml12-afp-en-sarajevo-snow.xml", "nitf-efe-es-cartagena-cruceros.xml"]


def test_keyword_routes_match_whole_words_with_case_and_accents_folded(firehose: list[Article]) -> None:
    """'tramway' finds the Lyon story; 'ESKISEHIR' finds the Turkish Eskişehir one; 'tram' alone is no word of it."""
    assert _selected(firehose, '[[route]]\ntopic = "wire.x"\nkeywords = ["tramway"]', "wire.x") == [
        "aa-fr-lyon-tramway.txt"
    ]
    assert "aa-tr-eskisehir-kukla.txt" in _selected(
        firehose, '[[route]]\ntopic = "wire.x"\nkeywords = "ESKİŞEHİR"', "wire.x"
    )
    assert "aa-fr-lyon-tramway.txt" not in _selected(
        firehose, '[[route]]\ntopic = "wire.x"\nkeywords = "tram"', "wire.x"
    )


def test_subject_routes_match_narrower_topics_through_the_tree(firehose: list[Article]) -> None:
    """A rule on a top-level topic takes an article that has only a narrower topic of it."""
    rules_by_parent = {}
    checked = 0
    for name, article, headers in firehose:
        for subject in article.get("subjects", []):
            code = str(subject.get("uri", "")).rsplit("/", 1)[-1]
            parent = _parent(code)
            if parent is None:
                continue
            # keep the narrower topic, drop every subject of the broader one (media topic or subject code)
            stripped = {
                **article,
                "subjects": [
                    s for s in article["subjects"] if not str(s.get("uri", "")).endswith(parent[:2] + "000000")
                ],
            }
            rules = rules_by_parent.setdefault(
                parent, parse_rules({"route": [{"topic": "wire.t", "subject": [parent]}]})
            )
            assert rules.match(stripped, headers) == ("wire.t",), (name, code, parent)
            # the narrower rule does not take an article that only has the broader topic
            narrower = parse_rules({"route": [{"topic": "wire.n", "subject": [code]}]})
            only_parent = {**article, "subjects": [{"uri": f"http://cv.iptc.org/newscodes/mediatopic/{parent}"}]}
            assert narrower.match(only_parent, headers) == ()
            checked += 1
    assert checked >= 3  # the firehose has several second-level topics


def _parent(code: str) -> str | None:
    from pipeline.enrich.subjects import load

    topic = load().topics.get(code)
    return topic.parent if topic else None


def test_subject_names_in_any_language_and_subject_codes(firehose: list[Article]) -> None:
    """'sport', 'météo' and a subject-code article: names resolve through mediatopics.toml, codes by their top level."""
    sport = _selected(firehose, '[[route]]\ntopic = "wire.s"\nsubject = "sport"', "wire.s")
    assert "aa-en-istanbul-half-marathon.txt" in sport
    weather = _selected(firehose, '[[route]]\ntopic = "wire.w"\nsubject = ["météo"]', "wire.w")
    code = _selected(firehose, '[[route]]\ntopic = "wire.w"\nsubject = "17000000"', "wire.w")
    uri = _selected(
        firehose, '[[route]]\ntopic = "wire.w"\nsubject = "http://cv.iptc.org/newscodes/mediatopic/17000000"', "wire.w"
    )
    assert weather == code == uri and "nitf-pa-en-york-flooding.xml" in weather
    # an article whose only weather subject is an IPTC subject code (17004000) is still weather
    view = ArticleView.of({"subjects": [{"uri": "http://cv.iptc.org/newscodes/subjectcode/17004000"}]}, {})
    assert "17000000" in view.topics


def test_an_article_goes_to_every_topic_it_matches_once(firehose: list[Article]) -> None:
    """Several routes, one topic shared by two of them, an exclusion; each topic once, in rule order."""
    rules = parse_rules(
        {
            "route": [
                {"topic": "wire.french", "language": ["fr"]},
                {"topic": "wire.europe", "place": ["FR", "BE", "DE", "AT"]},
                {"topic": "wire.europe", "language": ["de"]},
                {"topic": "wire.aa", "agency": "aa", "exclude": {"language": ["tr", "ar"]}},
            ]
        }
    )
    by_file = {name: rules.match(article, headers) for name, article, headers in firehose}
    assert by_file["aa-fr-lyon-tramway.txt"] == ("wire.french", "wire.europe", "wire.aa")
    assert by_file["ninjs3-belga-fr-namur-citadelle.json"] == ("wire.french", "wire.europe")
    assert by_file["aa-tr-trabzon-kar.txt"] == ()
    assert by_file["iptc7901-dpa-de-rhein-niedrigwasser.txt"] == ("wire.europe",)
    assert rules.topics == ("wire.french", "wire.europe", "wire.aa")


def test_rule_mistakes_are_all_reported_with_route_and_field(tmp_path: Path) -> None:
    """Every problem of a file at once, each naming the route and the field, with a suggestion where one fits."""
    path = tmp_path / "routes.toml"
    path.write_text(
        """
[[route]]
topic = "wire.sport"
subject = ["sprot"]
place = ["XX"]

[[route]]
name = "flash"
topic = "wire.articles"
urgency = { max = 12 }

[[route]]
topic = "bad topic!"
language = ["français"]
colour = "blue"
[route.exclude]
agency = ["Reuters Ltd"]
""",
        encoding="utf-8",
    )
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 8, lines
    text = str(caught.value)
    assert "route 1 (wire.sport): subject: 'sprot' is not a media topic code" in text and "'sport'" in text
    assert "route 1 (wire.sport): place: 'XX' is not an ISO 3166 country code" in text
    assert "route 2 (flash): topic: wire.articles is one of the pipeline's own topics" in text
    assert "route 2 (flash): urgency: an urgency 1-9" in text
    assert "route 3 (bad topic!): unknown key(s) colour" in text
    assert "route 3 (bad topic!): language: 'français' is not a language tag" in text
    assert "route 3 (bad topic!): topic: a Kafka topic name" in text
    assert "route 3 (bad topic!): exclude: agency: 'Reuters Ltd' is not an agency id" in text
    with pytest.raises(RulesError, match=r"routes\.toml"):
        path.write_text("[[route]\n", encoding="utf-8")
        load_rules(path)


def test_tail_style_filters() -> None:
    """Filters from command-line values: the same vocabulary, the same errors."""
    filters = filters_from({"language": ["fr"], "subject": ["weather"], "place": ["fr"]})
    view = ArticleView.of(
        {
            "language": "fr",
            "subjects": [{"uri": "http://cv.iptc.org/newscodes/mediatopic/17000000"}],
            "places": [{"uri": "https://sws.geonames.org/3017382/", "rel": "dateline"}],
        },
        {"wf_agency": "afp"},
    )
    assert filters.matches(view)
    assert not filters_from({"agency": ["dpa"]}).matches(view)
    with pytest.raises(RulesError, match="did you mean"):
        filters_from({"subject": ["wether"]})


def test_rules_file_reloads_on_change_and_keeps_working_rules(tmp_path: Path) -> None:
    """A valid change is picked up; an invalid one or a missing file leaves the rules in force."""
    path = tmp_path / "routes.toml"
    path.write_text('[[route]]\ntopic = "wire.fr"\nlanguage = "fr"\n', encoding="utf-8")
    now = [0.0]
    rules_file = RulesFile(path, check_every=1.0, clock=lambda: now[0])
    french = {"language": "fr"}
    assert rules_file.current().match(french, {}) == ("wire.fr",)

    def rewrite(text: str) -> None:
        path.write_text(text, encoding="utf-8")
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a new mtime even on coarse clocks

    rewrite('[[route]]\ntopic = "wire.francais"\nlanguage = "fr"\n')
    assert rules_file.current().match(french, {}) == ("wire.fr",)  # not checked again before check_every
    now[0] = 1.5
    assert rules_file.current().match(french, {}) == ("wire.francais",)
    rewrite('[[route]]\ntopic = "wire.francais"\nlanguage = "fr"\nurgency = 0\n')
    now[0] = 3.0
    assert rules_file.current().match(french, {}) == ("wire.francais",)
    assert (rules_file.reloads, rules_file.errors) == (1, 1)
    path.unlink()
    now[0] = 4.5
    assert rules_file.current().match(french, {}) == ("wire.francais",)
    rewrite('[[route]]\ntopic = "wire.fr2"\nlanguage = "fr"\n')
    now[0] = 6.0
    assert rules_file.current().match(french, {}) == ("wire.fr2",)


def test_a_first_read_of_invalid_rules_fails(tmp_path: Path) -> None:
    """A worker must not start on rules it cannot read."""
    path = tmp_path / "routes.toml"
    path.write_text('[[route]]\ntopic = "wire.x"\nlanguage = 3\n', encoding="utf-8")
    with pytest.raises(RulesError, match="language: a string or a list of strings"):
        RulesFile(path)


def test_routed_copies_are_the_article_record_on_each_selected_topic(firehose: list[Article]) -> None:
    """The worker's copies: same key, value and headers as the article, the topic prefix applied, once per topic."""
    import tomllib

    from pipeline.records import Outcome
    from pipeline.routing import routed

    rules = parse_rules(tomllib.loads('[[route]]\ntopic = "wire.a"\n[[route]]\ntopic = "wire.fr"\nlanguage = "fr"\n'
                                      '[[route]]\ntopic = "wire.a"\nagency = "aa"\n'))  # fmt: skip
    for name, article, headers in firehose:
        outcome = Outcome(
            "p.wire.articles", b"key", orjson.dumps(article), tuple((k, v.encode()) for k, v in headers.items())
        )
        copies = routed(outcome, rules, "p.")
        expected = ["p.wire.a", "p.wire.fr"] if MANIFEST[name]["language"] == "fr" else ["p.wire.a"]
        assert [c.topic for c in copies] == expected, name
        assert all((c.key, c.value, c.headers) == (outcome.key, outcome.value, outcome.headers) for c in copies)
    assert routed(Outcome("p.wire.articles", b"k", b"not json"), rules, "p.") == []


def test_a_worker_does_not_start_with_invalid_rules(tmp_path: Path) -> None:
    """`wirefeed worker` with a broken WIREFEED_ROUTES: exit 78 with every mistake, before touching the broker."""
    import os
    import subprocess
    import sys

    rules = tmp_path / "routes.toml"
    rules.write_text('[[route]]\ntopic = "wire.articles"\nlanguage = "french!"\n', encoding="utf-8")
    env = {**os.environ, "WIREFEED_ROUTES": str(rules), "WIREFEED_BROKER": "kafka://127.0.0.1:1"}
    env["WIREFEED_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "worker"], env=env, capture_output=True, timeout=60, cwd=SAMPLES.parents[1]
    )
    assert done.returncode == 78, done.stderr.decode()[-2000:]
    err = done.stderr.decode()
    assert "one of the pipeline's own topics" in err and "'french!' is not a language tag" in err
