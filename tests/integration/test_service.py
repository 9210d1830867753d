"""The worker as a service (issue 11): /healthz and /readyz from its first second, /metrics with the
counts of a real run, JSON logs, routing rules to subscriber topics -- one real worker on the embedded
broker, probed over HTTP throughout."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from pipeline.broker import EmbeddedBroker
from pipeline.kafka import read
from pipeline.sources import iter_dispatches
from tests.integration.conftest import Pipeline, _pipeline

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "firehose"
IDLE_SOURCE = "idle-probe"
MANIFEST = {m["file"]: m for m in json.loads((SAMPLES / "MANIFEST.json").read_text(encoding="utf-8"))}
ROUTES = """
[[route]]
topic = "wire.test.fr"
language = ["fr"]

[[route]]
topic = "wire.test.aa"
agency = ["aa"]

[[route]]
topic = "wire.test.sport"
subject = ["sport"]

[[route]]
topic = "wire.test.economy"
subject = ["04000000"]
[route.exclude]
agency = ["aa"]
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""  # not listening (yet)


@dataclass
class Service:
    pipeline: Pipeline
    port: int
    routes: Path
    #: (wall time, /healthz status, /readyz status, /readyz body) from the worker's start until ready
    timeline: list[tuple[float, int, int, dict]] = field(default_factory=list)
    ready_at: float | None = None

    def metrics(self, port: int | None = None) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        status, body = get(port or self.port, "/metrics")
        assert status == 200
        out = {}
        for line in body.decode().splitlines():
            match = re.match(r"^(wirefeed_\w+)(?:\{(.*)\})? (\S+)$", line)
            if match:
                labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
                out[(match[1], labels)] = float(match[3])
        return out

    def total(self, name: str, metrics: dict | None = None, **labels: str) -> float:
        wanted = set(labels.items())
        return sum(v for (n, ls), v in (metrics or self.metrics()).items() if n == name and wanted <= ls)


def _watch(service: Service, started: float, timeout: float = 180.0) -> None:
    """Probe both endpoints every 0.2 s from the worker's start until it is ready."""
    while time.time() - started < timeout:
        health, _ = get(service.port, "/healthz")
        ready, body = get(service.port, "/readyz")
        at = time.time()
        service.timeline.append((at, health, ready, json.loads(body) if body else {}))
        if ready == 200:
            service.ready_at = at
            return
        time.sleep(0.2)


@pytest.fixture(scope="module")
def service(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    pipe = _pipeline(broker, tmp_path_factory.mktemp("service"))
    port = _free_port()
    routes = pipe.log_dir.parent / "routes.toml"
    routes.write_text(ROUTES, encoding="utf-8")
    pipe.env.update(
        {
            "WIREFEED_WEB_PORT": str(port),
            "WIREFEED_LOG_FORMAT": "json",
            "WIREFEED_SPACY_MODELS": "none",
            "WIREFEED_ROUTES": str(routes),
            "WIREFEED_IDLE_CADENCES": f"{IDLE_SOURCE}=4",
            "WIREFEED_IDLE_CHECK_EVERY": "1",
            # this module sends the sample firehose several times and checks every copy routed:
            # with the story desk on, the re-sends are duplicates (tests/integration/test_stories.py)
            "WIREFEED_STORIES": "0",
        }
    )
    running = Service(pipe, port, routes)
    started = time.time()
    pipe.start_worker()
    watcher = threading.Thread(target=_watch, args=(running, started), daemon=True)
    watcher.start()
    watcher.join(200)
    assert running.ready_at is not None, f"never ready:\n{running.timeline[-1:]}\n{pipe.worker_log()[-3000:]}"
    yield running
    pipe.stop_workers()


def _log(service: Service) -> list[dict]:
    return [json.loads(line) for line in service.pipeline.worker_log().splitlines() if line.startswith("{")]


def _logged_at(lines: list[dict], pattern: str) -> float:
    for line in lines:
        if re.search(pattern, line["message"]):
            return datetime.fromisoformat(line["time"].replace("Z", "+00:00")).timestamp()
    raise AssertionError(f"no log line matches {pattern!r}")


def test_readyz_goes_ready_only_after_assignment_and_recovery(service: Service) -> None:
    """/healthz answers from the start; /readyz is 503 (saying why) until the group assigned the partitions and
    the tables are recovered -- both as the worker's own log has them -- then 200 with every check passing."""
    answered = [entry for entry in service.timeline if entry[1]]
    assert answered and all(health == 200 for _, health, _, _ in answered)  # alive while starting
    waiting = [body for _, _, ready, body in answered if ready == 503]
    assert waiting, "ready at the first answer: nothing was checked"
    for body in waiting:
        failing = {name for name, check in body["checks"].items() if not check["ok"]}
        assert failing & {"assigned", "recovered", "broker"}, body
    assert any(not body["checks"]["assigned"]["ok"] for body in waiting)
    _, _, _, ready = service.timeline[-1]
    assert all(check["ok"] for check in ready["checks"].values()), ready
    lines = _log(service)
    assigned = _logged_at(lines, r"Setting newly assigned partitions")
    recovered = _logged_at(lines, r"Recovery complete")
    assert service.ready_at is not None and service.ready_at >= max(assigned, recovered)


async def test_metrics_count_what_the_run_produced(service: Service) -> None:
    """Scraped while the worker runs: records in, articles and dead letters out, by stage, agency and class, match
    the outcome topics; stage times observed; lag per partition back to 0."""
    pipe = service.pipeline
    samples = [
        (d.value, d.headers(source="service-samples"))
        for d in iter_dispatches([str(SAMPLES)], exclude=["MANIFEST.json", "README.md"])
    ]
    poison = [
        (b"\xc9\x00\xff" * 300, (("wf_agency", b"poison-agency"),)),
        (b'<?xml version="1.0"?><nitf><body><broken', (("wf_agency", b"poison-agency"),)),
    ]
    before = service.metrics()

    def grew(name: str, **labels: str) -> float:
        return service.total(name, now, **labels) - service.total(name, before, **labels)

    coords = await pipe.produce(samples + poison)
    records = await pipe.outcomes_for(coords)
    articles = [r for r in records if r.topic == pipe.names.articles]
    dead = [r for r in records if r.topic == pipe.names.deadletter]
    assert len(articles) >= 20 and len(dead) >= 2
    deadline = time.monotonic() + 30
    while True:  # the counts follow the acknowledgements: a moment later
        now = service.metrics()
        if grew("wirefeed_dispatches_total", outcome="article") >= len(articles) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert grew("wirefeed_dispatches_in_total", stage="parse-clean") == len(coords)
    assert grew("wirefeed_dispatches_total", stage="enrich-emit", outcome="article") == len(articles)
    assert grew("wirefeed_deadletters_total") == len(dead)
    for record in dead:
        headers = {k: v.decode() for k, v in record.headers}
        assert grew("wirefeed_deadletters_total", stage=headers["wf_stage"], **{"class": headers["wf_error_class"]})
    by_agency: dict[str, int] = {}
    for record in articles:
        agency = dict(record.headers)["wf_agency"].decode()
        by_agency[agency] = by_agency.get(agency, 0) + 1
    for agency, count in by_agency.items():
        assert grew("wirefeed_dispatches_total", outcome="article", agency=agency) == count
        assert service.total("wirefeed_last_dispatch_timestamp_seconds", now, agency=agency) > time.time() - 600
    assert grew("wirefeed_dispatches_total", stage="parse-clean", agency="poison-agency") == 2
    assert grew("wirefeed_stage_seconds_count", stage="parse-clean") >= len(coords)
    assert grew("wirefeed_stage_seconds_count", stage="enrich-emit") >= len(articles)
    assert grew("wirefeed_published_total", topic="wire.articles") == len(articles)
    assert service.total("wirefeed_ready", now) == 1
    deadline = time.monotonic() + 15
    while True:  # the state is gathered every second; the last hops finish a moment after the outcomes
        lag = {labels: v for (name, labels), v in service.metrics().items() if name == "wirefeed_consumer_lag"}
        if all(v == 0 for v in lag.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    raw_partitions = {dict(labels)["partition"] for labels in lag if dict(labels)["topic"] == pipe.names.raw}
    assert raw_partitions == {"0", "1"} and all(v == 0 for v in lag.values()), lag


async def test_json_logs_name_each_dispatch_by_its_coordinates(service: Service) -> None:
    """WIREFEED_LOG_FORMAT=json: every line of the worker and its stage processes is a JSON object; a line
    about a dispatch has its topic, partition, offset and dispatch id as fields."""
    pipe = service.pipeline
    (coord,) = await pipe.produce([(b"\x00\x01binary" * 100, (("wf_source", b"json-logs"),))])
    await pipe.outcomes_for([coord])
    text = pipe.worker_log()
    lines = [line for line in text.splitlines() if line.strip()]
    assert all(line.startswith("{") for line in lines), [line for line in lines if not line.startswith("{")][:3]
    about = [entry for entry in map(orjson.loads, lines) if entry.get("offset") == coord[1]]
    mine = [e for e in about if e["topic"] == pipe.names.raw and e["partition"] == coord[0]]
    assert mine and all(re.fullmatch(r"[0-9a-f]{24}", e["dispatch_id"]) for e in mine)
    assert any(e.get("process") == "parse-clean stage" for e in mine)
    records = [r async for r in read(pipe.bootstrap, [pipe.names.deadletter], idle_timeout=0.3)]
    assert any(r.key and r.key.decode() == mine[0]["dispatch_id"] for r in records)


async def _routed(service: Service, topics: list[str]) -> dict[str, list]:
    pipe = service.pipeline
    concrete = [pipe.prefix + topic for topic in topics]
    found: dict[str, list] = {topic: [] for topic in topics}
    async for record in read(pipe.bootstrap, concrete, idle_timeout=0.5):
        found[record.topic.removeprefix(pipe.prefix)].append(record)
    return found


def _ident(record: object) -> tuple[str, str, str]:
    """An article record's identity in this run: its raw record and item (the module sends some bytes twice,
    and the same bytes have the same ce_id)."""
    headers = {k: v.decode() for k, v in record.headers}  # type: ignore[attr-defined]
    return headers["wf_raw_partition"], headers["wf_raw_offset"], headers["wf_part"]


async def test_routing_puts_each_article_on_exactly_the_topics_its_rules_select(service: Service) -> None:
    """The sample firehose through the worker with routing rules: every article is on each topic its rules
    select (language and agency from the samples' manifest; subjects and exclusions by the rules), once,
    byte for byte as on wire.articles, and on no other."""
    import tomllib

    from pipeline.routing import parse_rules

    pipe = service.pipeline
    dispatches = list(iter_dispatches([str(SAMPLES)], exclude=["MANIFEST.json", "README.md"]))
    files = [Path(d.input.split("#")[0]).name for d in dispatches]
    coords = await pipe.produce([(d.value, d.headers(source="routing-firehose")) for d in dispatches])
    by_coord = {(str(p), str(o)): name for (p, o), name in zip(coords, files, strict=True)}
    articles = {
        _ident(r): (r, by_coord[_ident(r)[:2]])
        for r in await pipe.outcomes_for(coords)
        if r.topic == pipe.names.articles
    }
    assert len(articles) >= 20
    rules = parse_rules(tomllib.loads(ROUTES))
    routed = await _routed(service, list(rules.topics))
    on: dict[str, set] = {}
    for topic, copies in routed.items():
        mine = [c for c in copies if _ident(c) in articles]
        idents = [_ident(c) for c in mine]
        assert len(idents) == len(set(idents)), f"{topic}: an article twice"
        for copy in mine:
            article, _ = articles[_ident(copy)]
            assert (copy.key, copy.value, copy.headers) == (article.key, article.value, article.headers)
        selected = {
            ident
            for ident, (article, _) in articles.items()
            if topic in rules.match(orjson.loads(article.value), {k: v.decode() for k, v in article.headers})
        }
        assert set(idents) == selected, topic
        on[topic] = selected
    # the simple filters, against the samples' own manifest
    for ident, (_, name) in articles.items():
        assert (ident in on["wire.test.fr"]) == (MANIFEST[name]["language"] == "fr"), name
        assert (ident in on["wire.test.aa"]) == (MANIFEST[name]["agency"] == "aa"), name
        assert not (ident in on["wire.test.economy"] and MANIFEST[name]["agency"] == "aa"), name
    assert all(on.values()), {topic: len(selected) for topic, selected in on.items()}


async def test_a_changed_rules_file_routes_to_a_new_topic_created_like_the_pipelines(service: Service) -> None:
    """The rules are re-read while the worker runs: a new route's topic is created by the worker (the
    pipeline's partitions) before its first record, and the next articles go there."""
    from pipeline.kafka import partition_counts

    pipe = service.pipeline
    service.routes.write_text(ROUTES + '\n[[route]]\ntopic = "wire.test.late"\nlanguage = ["de"]\n', encoding="utf-8")
    time.sleep(2.5)  # the stage checks the file every 2 s
    german = [d for d in iter_dispatches([str(SAMPLES)], exclude=["MANIFEST.json", "README.md"])
              if MANIFEST[Path(d.input.split("#")[0]).name]["language"] == "de"]  # fmt: skip
    assert german
    coords = await pipe.produce([(d.value, d.headers(source="late-route")) for d in german])
    records = await pipe.outcomes_for(coords)
    idents = {_ident(r) for r in records if r.topic == pipe.names.articles}
    assert idents
    counts = await partition_counts(pipe.bootstrap, [pipe.prefix + "wire.test.late"])
    assert counts == {pipe.prefix + "wire.test.late": int(pipe.env["WIREFEED_PARTITIONS"])}
    late = (await _routed(service, ["wire.test.late"]))["wire.test.late"]
    assert idents == {_ident(r) for r in late}
    assert any("routed topics created" in line.get("message", "") for line in _log(service))


def _story(n: int) -> tuple[bytes, tuple[tuple[str, bytes], ...]]:
    text = f"Harbour Gazette\n\nHarbour report {n}\n\nHARBOUR - Report {n} from the harbour, a paragraph of a story.\n"
    return text.encode(), (("content-type", b"text/plain; charset=utf-8"), ("wf_source", IDLE_SOURCE.encode()))


async def _feed_alerts(service: Service) -> list[dict]:
    pipe = service.pipeline
    values = [orjson.loads(r.value) async for r in read(pipe.bootstrap, [pipe.names.alerts], idle_timeout=0.3)]
    return [v for v in values if v.get("source") == IDLE_SOURCE]


async def _wait_alerts(service: Service, kind: str, count: int, timeout: float = 60.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = [a for a in await _feed_alerts(service) if a["type"] == kind]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def _idle_gauge(service: Service, port: int) -> float | None:
    """wirefeed_source_idle of the idle-probe source on one worker; None when it does not hold the source."""
    found = [v for (name, labels), v in service.metrics(port).items()
             if name == "wirefeed_source_idle" and ("source", IDLE_SOURCE) in labels]  # fmt: skip
    return found[0] if found else None


def _ready_at_once(service: Service, ports: list[int], timeout: float = 180.0) -> None:
    """Wait until every worker answers ready at the same moment (the group settled)."""
    deadline = time.monotonic() + timeout
    while not all(get(port, "/readyz")[0] == 200 for port in ports):
        assert time.monotonic() < deadline, service.pipeline.worker_log(len(ports))[-3000:]
        time.sleep(0.5)


async def test_a_quiet_source_is_alerted_once_and_cleared_when_it_resumes_with_two_workers(service: Service) -> None:
    """A source with a 4 s cadence goes quiet: one feed-idle record on wire.alerts, wirefeed_source_idle 1. The
    worker is replaced by two: the one holding the source's partition of wire.sources recovers its state (still
    idle, not alerted again), the other holds nothing of it. The source sends again through both workers' raw
    partitions: feed-resumed; quiet again, feed-idle -- each change once, never a record from each worker."""
    from pipeline.kafka import producer

    pipe = service.pipeline
    await pipe.outcomes_for(await pipe.produce([_story(1), _story(2)]))
    (idle,) = await _wait_alerts(service, "feed-idle", 1)
    assert idle["cadence_from"] == "configured" and idle["cadence_seconds"] == 4 and idle["quiet_seconds"] > 4
    assert idle["dispatches"] == 2
    assert service.total("wirefeed_source_idle", source=IDLE_SOURCE) == 1
    assert service.total("wirefeed_alerts_total", type="feed-idle") >= 1
    # two workers instead of one: each reads one partition of wire.raw and of wire.sources
    assert pipe.stop_workers() == [0]
    ports = [service.port, _free_port()]
    for port in ports:
        pipe.env["WIREFEED_WEB_PORT"] = str(port)
        pipe.start_worker()  # the environment is copied at the start
    pipe.env["WIREFEED_WEB_PORT"] = str(service.port)
    _ready_at_once(service, ports)
    time.sleep(3)  # checked every second meanwhile
    gauges = [_idle_gauge(service, port) for port in ports]
    assert sorted(gauges, key=str) == [1.0, None], gauges  # one holder, the state recovered: still idle
    assert [a["type"] for a in await _feed_alerts(service)] == ["feed-idle"], "alerted again after the restart"
    # the source sends again, a dispatch on each partition of wire.raw: both workers see it
    async with producer(pipe.bootstrap) as prod:
        futures = [await prod.send(pipe.names.raw, _story(n)[0], partition=n % 2, headers=list(_story(n)[1]))
                   for n in range(3, 7)]  # fmt: skip
        coords = [(md.partition, md.offset) for md in await asyncio.gather(*futures)]
    await pipe.outcomes_for(coords)
    (resumed, *_) = await _wait_alerts(service, "feed-resumed", 1)
    assert resumed["quiet_seconds"] >= idle["quiet_seconds"] and resumed["dispatches"] > 2
    # nothing more comes: quiet past the cadence again, once all 6 dispatches are in -- 6: records read again
    # after the restart (at least once) are known by their raw offsets
    deadline = time.monotonic() + 60
    while (alerts := await _feed_alerts(service))[-1]["type"] != "feed-idle" or alerts[-1]["dispatches"] != 6:
        assert time.monotonic() < deadline, alerts
        time.sleep(0.5)
    time.sleep(3)
    assert await _feed_alerts(service) == alerts, "alerted again"
    # each change announced once, by the one holder (on a slow machine the source may have gone quiet between
    # its batches: then idle and resumed again, still alternating)
    kinds = [a["type"] for a in alerts]
    assert kinds[:2] == ["feed-idle", "feed-resumed"] and all(a != b for a, b in itertools.pairwise(kinds)), kinds
    assert len({a["worker"] for a in alerts[1:]}) == 1, alerts
    assert gauges == [_idle_gauge(service, port) for port in ports]  # the same holder
