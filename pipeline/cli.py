"""The ``wirefeed`` command.

    wirefeed run       the main job: broker (embedded unless configured), worker(s), replay of
                       the sample firehose, live output; --once stops when all is accounted for
    wirefeed broker    the embedded Kafka-compatible broker alone, in the foreground
    wirefeed worker    one Faust worker (run several to scale: one per core / partition)
    wirefeed ingest    produce dispatches from files, directories, archives or stdin to wire.raw
    wirefeed poll      poll HTTP feeds (RSS/Atom, JSON APIs, NewsML-G2) on a schedule; each new
                       or updated item to wire.raw once
    wirefeed watch     a drop folder: each complete file to wire.raw once, then processed/ or error/
    wirefeed tail      print records of a topic
    wirefeed process   the same stages in-process, no Kafka: one JSON line per outcome
    wirefeed audit     reconcile wire.raw with the outcome topics; exit 1 when any is missing
    wirefeed redrive   send dead letters back to wire.raw (original bytes + headers) once the
                       cause is fixed; by stage, error class, time, dispatch id; dry run unless --yes
    wirefeed chaos     workers killed, stopped and scaled under load; an independent check that
                       every dispatch has its outcome (exit 1 on any loss or violation)
    wirefeed eval      quality reports against the corpus: cleaning, structured feeds, places (Reuters gold), language

Settings come from WIREFEED_* environment variables (``wirefeed --help`` lists them).
Without WIREFEED_BROKER, ``run`` starts its own broker; the other commands use the one
``wirefeed broker`` starts by default (kafka://127.0.0.1:9092).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from pipeline import __version__
from pipeline.console import Progress, article_line, headers_dict, value_json
from pipeline.settings import Settings, describe, kafka_bootstrap
from pipeline.topics import TopicNames

log = logging.getLogger("wirefeed")

DEFAULT_BROKER = "kafka://127.0.0.1:9092"
SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "firehose"


def _configure_logging(level: str, fmt: str = "text") -> None:
    from pipeline.observability import logs

    logs.configure(level, fmt)


def _with_broker(settings: Settings) -> Settings:
    """Commands other than ``run`` talk to a configured broker, else the default local one."""
    return settings if settings.broker else replace(settings, broker=DEFAULT_BROKER)


# ----------------------------------------------------------------------------- commands


def cmd_broker(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.broker import run_foreground

    return run_foreground(args.listen)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.agents import dump_stacks
    from pipeline.app import create_app
    from pipeline.delivery import lifecycle
    from pipeline.observability import logs, observer

    settings = _with_broker(settings)
    # the web endpoint first: /healthz answers while the topics are checked and the group joined
    obs = observer()
    obs.serve(settings)
    from pipeline.observability.idle import parse_cadences
    from pipeline.routing import RulesError

    try:
        parse_cadences(settings.idle_cadences)
        problems = asyncio.run(_prepare_topics(settings))
    except RulesError as exc:
        problems = [f"routing rules (WIREFEED_ROUTES): {exc}"]
    except ValueError as exc:
        problems = [str(exc)]
    if problems:
        for problem in problems:
            print(f"wirefeed worker: {problem}", file=sys.stderr)
        return 78  # EX_CONFIG
    lifecycle.configure(settings.shutdown_grace)
    # `kill -USR1` logs the stacks from the very start (its default action would kill a
    # starting worker); the app's diagnostics task takes the signal over once it runs
    signal.signal(signal.SIGUSR1, lambda signum, frame: dump_stacks())
    from pipeline.observability import sampler

    sampler.from_environment()  # WIREFEED_SAMPLE_PROFILE: where this process's threads spend their time
    app = create_app(settings)
    level = args.loglevel or settings.log_level
    worker = lifecycle.Worker(
        app, obs.service(), loglevel=level, quiet=True, logging_config=logs.worker_config(settings.log_format, level)
    )
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        code = lifecycle.exit_code()
        return code if code is not None else int(exc.code or 0)
    return lifecycle.exit_code() or 0


async def _prepare_topics(settings: Settings, wait: float = 60.0) -> list[str]:
    """Create the topics with their settings if they do not exist, and check the partition counts
    of those that do (``topics.partition_problems``); waits up to ``wait`` s for the broker."""
    from aiokafka.errors import KafkaError

    from pipeline import routed
    from pipeline.kafka import ensure_topics, partition_counts
    from pipeline.topics import changelog_topic, partition_problems, topic_configs

    names = TopicNames.with_prefix(settings.topic_prefix)
    routed_topics = routed.rule_topics(settings)  # RulesError: the worker does not start
    deadline = time.monotonic() + wait
    while True:
        try:
            counts = await partition_counts(
                settings.bootstrap_servers,
                [*names.all(), *(changelog_topic(settings, t) for t in ("boilerplate", "sources", "stories"))],
            )
            problems = partition_problems(settings, counts)
            if not problems:
                configs = topic_configs(settings)
                await ensure_topics(
                    settings.bootstrap_servers, names.all(), settings.partitions, settings.replication, configs=configs
                )
                await routed.create(settings, routed_topics)
            return problems
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("the broker is not there yet (%r); trying again", exc)
            await asyncio.sleep(2.0)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.ingest import produce_dispatches
    from pipeline.sources import iter_dispatches

    settings = _with_broker(settings)
    names = TopicNames.with_prefix(settings.topic_prefix)
    dispatches = list(iter_dispatches(args.paths, exclude=args.exclude))
    size = sum(len(d.value) for d in dispatches)
    progress = Progress("ingest", len(dispatches))
    refused: list[tuple[str, int]] = []
    started = time.monotonic()
    coords = asyncio.run(
        produce_dispatches(
            settings.bootstrap_servers,
            names,
            settings,
            dispatches,
            source=args.source,
            agency=args.agency,
            rate=args.rate,
            progress=progress,
            refused=refused,
        )
    )
    took = time.monotonic() - started
    print(
        f"ingested {len(coords)} dispatches ({size / 1e6:.1f} MB) to {names.raw} in {took:.1f} s "
        f"({len(coords) / max(took, 1e-6):,.0f}/s)",
        file=sys.stderr,
    )
    for name, nbytes in refused:
        print(
            f"wirefeed ingest: {name}: {nbytes:,} bytes, over the {settings.max_message_bytes:,}-byte limit "
            "(WIREFEED_MAX_MESSAGE_BYTES); not ingested",
            file=sys.stderr,
        )
    return 1 if refused else 0


async def _until_signalled(run: Any) -> None:
    """Run ``run(stop)`` with SIGTERM and SIGINT setting ``stop`` (a clean stop: batches finish)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run(stop)


def cmd_poll(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.feeders import raw_sender
    from pipeline.feeders.journal import Journal
    from pipeline.feeders.poll import FeedsError, Poller, feed_from_url, load_feeds

    settings = _with_broker(settings)
    if settings.log_level.lower() != "debug":
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request; ours say more
    options: dict[str, Any] = {
        name: getattr(args, name)
        for name in ("interval", "timeout", "retries", "agency", "source", "updates")
        if getattr(args, name) is not None
    }
    try:
        feeds = load_feeds(args.feeds) if args.feeds else []
        if args.header:
            from pipeline.feeders.poll import parse_header_options

            options["headers"] = parse_header_options(args.header, os.environ)
        feeds += [feed_from_url(url, **options) for url in args.urls]
    except FeedsError as exc:
        print(f"wirefeed poll: {exc}", file=sys.stderr)
        return 2
    if not feeds:
        print("wirefeed poll: give feed URLs or --feeds FILE", file=sys.stderr)
        return 2
    stats: dict[str, Any] = {}

    async def go(stop: asyncio.Event) -> None:
        async with Journal(settings, [f.scope for f in feeds]) as journal:
            senders = {f.name: raw_sender(settings, source=f.source or f.name, agency=f.agency) for f in feeds}
            poller = Poller(feeds, journal, senders)
            try:
                await poller.run(once=args.once, stop=stop)
            finally:
                stats.update({name: s.as_dict() for name, s in poller.stats.items()})

    asyncio.run(_until_signalled(go))
    if args.once:
        print(orjson.dumps(stats, option=orjson.OPT_INDENT_2).decode())
    return 0


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.feeders import raw_sender
    from pipeline.feeders.journal import Journal
    from pipeline.feeders.watch import Watcher

    settings = _with_broker(settings)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"wirefeed watch: {folder} is not a folder", file=sys.stderr)
        return 2
    name = args.name or str(folder.resolve())
    stats: dict[str, Any] = {}

    async def go(stop: asyncio.Event) -> None:
        async with Journal(settings, [f"watch:{name}"]) as journal:
            watcher = Watcher(
                folder,
                journal,
                raw_sender(settings, source=args.source or name, agency=args.agency),
                name=name,
                stable=args.stable,
            )
            try:
                await watcher.run(interval=args.interval, once=args.once, stop=stop)
            finally:
                stats.update(watcher.stats.as_dict())

    asyncio.run(_until_signalled(go))
    if args.once:
        print(orjson.dumps(stats, option=orjson.OPT_INDENT_2).decode())
    return 0


def cmd_tail(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.kafka import read
    from pipeline.routing import ArticleView, RulesError, filters_from

    settings = _with_broker(settings)
    names = TopicNames.with_prefix(settings.topic_prefix)
    topic = settings.topic(args.topic) if not args.topic.startswith(settings.topic_prefix or "\0") else args.topic
    wanted = {
        name: [v.strip() for value in values for v in value.split(",") if v.strip()]
        for name, values in (
            ("language", args.lang),
            ("agency", args.agency),
            ("subject", args.subject),
            ("place", args.place),
        )
        if values
    }
    try:
        filters = filters_from(wanted, "wirefeed tail") if wanted else None
    except RulesError as exc:
        print(exc, file=sys.stderr)
        return 2

    async def go() -> None:
        shown = 0
        async for record in read(
            settings.bootstrap_servers, [topic], from_beginning=args.from_beginning, follow=not args.no_follow
        ):
            headers = headers_dict(record.headers)
            if filters is not None:
                is_raw = names.logical(topic) == "wire.raw"
                article = None if is_raw else value_json(record.value)
                if not filters.matches(ArticleView.of(article if isinstance(article, dict) else None, headers)):
                    continue
            if args.json:
                value: Any
                if names.logical(topic) == "wire.raw":
                    value = record.value.decode("utf-8", errors="replace") if record.value else None
                else:
                    value = value_json(record.value)
                line = {
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "key": record.key.decode("utf-8", errors="replace") if record.key else None,
                    "headers": headers,
                    "value": value,
                }
                sys.stdout.write(orjson.dumps(line).decode() + "\n")
            elif names.logical(topic) == "wire.raw":
                sys.stdout.write(
                    f"{record.topic}[{record.partition}]@{record.offset} {len(record.value or b'')} B "
                    f"{headers.get('content-type', '-')} {headers.get('wf_source', '')}\n"
                )
            else:
                line_text = article_line(headers, value_json(record.value))
                sys.stdout.write(f"{record.topic}[{record.partition}]@{record.offset}{line_text}\n")
            sys.stdout.flush()
            shown += 1
            if args.limit and shown >= args.limit:
                return

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(go())
    return 0


def cmd_process(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.sources import iter_dispatches
    from pipeline.stages import boilerplate, flow
    from pipeline.stages.outcome import Limits

    names = TopicNames.with_prefix(settings.topic_prefix)
    stages = flow.default_stages(settings)
    # one learned-boilerplate state for the whole run, as a worker keeps it across dispatches
    learner = boilerplate.Learner(boilerplate.LearnerConfig.from_settings(settings))
    validator: flow.Validator | None = None
    if args.validate:
        from pipeline.schemas import validate_result

        validator = validate_result

    out = sys.stdout
    for dispatch in iter_dispatches(args.paths, exclude=args.exclude):
        raw = dispatch.raw(source=args.source, agency=args.agency)
        for result in flow.process(raw, stages, validator, learner, limits=Limits.from_settings(settings)):
            outcome = names.outcome(result)
            line = {
                "input": dispatch.input,
                "topic": outcome.topic,
                "key": outcome.key.decode("utf-8", errors="replace") if outcome.key else None,
                "headers": headers_dict(outcome.headers),
                "value": value_json(outcome.value),
            }
            out.write(orjson.dumps(line).decode() + "\n")
    out.flush()
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.audit import audit

    settings = _with_broker(settings)
    names = TopicNames.with_prefix(settings.topic_prefix)
    summary = asyncio.run(audit(settings.bootstrap_servers, names))
    print(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    return 1 if summary["missing"] else 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Quality reports over the real corpus (../shared/corpus or --corpus)."""
    from dataclasses import replace
    from pathlib import Path

    from pipeline.enrich.config import EnrichConfig

    root = Path(args.corpus) if args.corpus else None
    # the profile and language settings of this environment (WIREFEED_PROFILE=fast: the fast profile's quality)
    enrich_config = EnrichConfig.from_settings(settings)
    if args.report == "quality":
        import fnmatch

        from pipeline.evaluation import quality

        patterns = args.only or []
        only = (lambda name: any(fnmatch.fnmatch(name, p) for p in patterns)) if patterns else None
        try:
            report = quality.quality_report(
                root, sections=args.set, reuters_every=args.every, only=only, config=enrich_config
            )
        except ValueError as exc:
            print(f"wirefeed eval: {exc}", file=sys.stderr)
            return 2
        text = quality.render_report(report)
        passed = quality.report_passed(report)
    elif args.report == "structured":
        from pipeline.evaluation import structured

        report = structured.evaluate(root)
        text = structured.render(report)
        passed = all(v is not False for v in report["passed"].values())
    elif args.report == "places":
        from pipeline.evaluation import places

        report = places.evaluate(root, every=args.every, config=places.evaluation_config(enrich_config))
        text = places.render(report)
        passed = bool(report.get("passed", True))
    elif args.report == "stories":
        from pipeline.evaluation import stories

        report = stories.evaluate(root or stories.default_root())
        text = stories.render(report)
        passed = bool(report.get("passed", True))
    else:
        from pipeline.evaluation import language

        report = language.evaluate(root, config=replace(enrich_config, spacy_models=()))
        text = language.render(report)
        passed = bool(report.get("passed", True))
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        print(text)
    return 0 if passed else 1


def cmd_redrive(args: argparse.Namespace, settings: Settings) -> int:
    """Send chosen dead letters' original records back to wire.raw (dry run unless --yes)."""
    from pipeline import redrive

    settings = _with_broker(settings)
    names = TopicNames.with_prefix(settings.topic_prefix)
    try:
        selection = redrive.Selection(
            stages=tuple(args.stage),
            classes=tuple(args.error_class),
            since=redrive.parse_time(args.since) if args.since else None,
            until=redrive.parse_time(args.until) if args.until else None,
            dispatch_ids=tuple(args.dispatch_id),
        )
    except ValueError as exc:
        print(f"wirefeed redrive: {exc}", file=sys.stderr)
        return 2

    async def go() -> tuple[list[Any], int]:
        candidates = await redrive.select(settings.bootstrap_servers, names, selection, limit=args.limit)
        sent = await redrive.send(settings.bootstrap_servers, names, candidates, again=args.again) if args.yes else 0
        return candidates, sent

    candidates, sent = asyncio.run(go())
    if args.json:
        print(orjson.dumps([c.as_dict() for c in candidates], option=orjson.OPT_INDENT_2).decode())
    else:
        print(redrive.render(candidates, sent=args.yes))
    if args.yes:
        print(f"sent {sent} records to {names.raw}", file=sys.stderr)
    return 0


def cmd_chaos(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.chaos.run import main as chaos_main

    return chaos_main(args, settings)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline.run import run

    return run(args, settings)


# ----------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirefeed",
        description="Stream-processing pipeline for news-agency wire feeds: raw dispatches in, IPTC ninjs 3.1 out.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="environment (WIREFEED_*):\n" + describe(),
    )
    parser.add_argument("--version", action="version", version=f"wirefeed {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="the main job: broker, worker(s), sample firehose replay, live output")
    p.add_argument(
        "--once", action="store_true", help="exit when every replayed dispatch has its outcome; print the audit"
    )
    p.add_argument(
        "--sample",
        metavar="PATH",
        action="append",
        help="replay PATH instead of the bundled sample firehose (repeatable)",
    )
    p.add_argument("--workers", type=int, default=None, help="worker processes to start (default: one per core)")
    p.add_argument(
        "--rate", type=float, default=None, help="dispatches per second at most (default: as fast as they go)"
    )
    p.add_argument(
        "--twice",
        action="store_true",
        help="replay the same dispatches again once the first replay has its outcomes (implies --once); "
        "fails when the second replay publishes any article",
    )
    p.add_argument(
        "--timeout", type=float, default=600.0, help="with --once: give up after this many seconds (default 600)"
    )
    p.add_argument("--quiet", action="store_true", help="no line per article, only progress and the summary")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("broker", help="run the embedded Kafka-compatible broker (tansu) in the foreground")
    p.add_argument("--listen", default="127.0.0.1:9092", metavar="HOST:PORT", help="default 127.0.0.1:9092")
    p.set_defaults(func=cmd_broker)

    p = sub.add_parser("worker", help="run one Faust worker (start more to scale)")
    p.add_argument("--loglevel", default=None, help="debug, info, warning (default WIREFEED_LOG_LEVEL)")
    p.set_defaults(func=cmd_worker)

    for name, help_text in (
        ("ingest", "produce dispatches to wire.raw from files, directories, archives or - (stdin)"),
        ("process", "run the stages in-process, no Kafka: one JSON line per outcome"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("paths", nargs="+", metavar="PATH", help="file, directory, archive, or - for stdin")
        p.add_argument(
            "--source",
            help=(
                "feed name for the wf_source header (default: each dispatch's input, e.g. reut2-000.sgm#17, "
                "which names no feed: idle-feed alerts and learned boilerplate then go by agency or site)"
            ),
        )
        p.add_argument("--agency", help="agency id for the wf_agency header (skips agency detection)")
        p.add_argument(
            "--exclude", action="append", default=[], metavar="GLOB", help="skip files whose name matches (repeatable)"
        )
        if name == "ingest":
            p.add_argument("--rate", type=float, default=None, metavar="N", help="at most N dispatches per second")
            p.set_defaults(func=cmd_ingest)
        else:
            p.add_argument("--validate", action="store_true", help="check every outcome against its JSON Schema")
            p.set_defaults(func=cmd_process)

    p = sub.add_parser("poll", help="poll HTTP feeds on a schedule; each new or updated item to wire.raw once")
    p.add_argument("urls", nargs="*", metavar="URL", help="feed URLs (RSS/Atom, JSON API, NewsML-G2)")
    p.add_argument("--feeds", metavar="FILE", help="a feeds file (TOML: [defaults], [[feed]] name, url, ...)")
    p.add_argument("--once", action="store_true", help="poll each feed once, print what happened (JSON) and exit")
    p.add_argument("--interval", type=float, metavar="S", help="seconds between polls of a URL given here (60)")
    p.add_argument("--timeout", type=float, metavar="S", help="seconds for one whole answer (20)")
    p.add_argument("--retries", type=int, metavar="N", help="retries within one poll, with backoff and jitter (4)")
    p.add_argument("--agency", help="wf_agency of the URLs given here")
    p.add_argument("--source", help="wf_source of the URLs given here (default: the URL)")
    p.add_argument("--updates", choices=["revision", "content", "never"], help="when a known item is sent again")
    p.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="request header for the URLs given here; ${VAR} is read from the environment (repeatable)",
    )
    p.set_defaults(func=cmd_poll)

    p = sub.add_parser("watch", help="a drop folder: each complete file to wire.raw once, then processed/ or error/")
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--once", action="store_true", help="ingest what is there, print what happened (JSON) and exit")
    p.add_argument("--interval", type=float, default=1.0, metavar="S", help="seconds between scans (1)")
    p.add_argument(
        "--stable", type=float, default=2.0, metavar="S", help="seconds a file must stay unchanged before it is read"
    )
    p.add_argument("--name", help="the folder's name in the journal (default: its absolute path)")
    p.add_argument("--source", help="wf_source header (default: the folder's name)")
    p.add_argument("--agency", help="wf_agency header (skips agency detection)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("tail", help="print the records of a topic")
    p.add_argument(
        "--topic",
        default="wire.articles",
        help="wire.raw, wire.cleaned, wire.articles (default), wire.deadletter, a routed topic (wire.sport.fr)",
    )
    p.add_argument("--from-beginning", action="store_true", help="start at the oldest record, not at the end")
    p.add_argument("--limit", type=int, default=0, metavar="N", help="stop after N records")
    p.add_argument("--json", action="store_true", help="one JSON object per record")
    p.add_argument("--no-follow", action="store_true", help="stop at the current end of the topic")
    filters = p.add_argument_group("filters (as in routing rules; values comma-separated or repeated; all must match)")
    filters.add_argument("--lang", action="append", metavar="LANG", help="language: fr (fr, fr-BE...), de-AT")
    filters.add_argument("--agency", action="append", metavar="ID", help="agency id (wf_agency): afp, dpa")
    filters.add_argument(
        "--subject", action="append", metavar="TOPIC", help="IPTC media topic code or name; narrower topics match"
    )
    filters.add_argument(
        "--place",
        action="append",
        metavar="COUNTRY",
        help="ISO 3166 code or English name of a country the story is about",
    )
    p.set_defaults(func=cmd_tail)

    p = sub.add_parser("audit", help="reconcile wire.raw with the outcome topics (JSON); exit 1 if any is missing")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser(
        "redrive",
        help="send chosen dead letters back to wire.raw with their original bytes (dry run unless --yes)",
    )
    p.add_argument("--stage", action="append", default=[], help="only dead letters of this stage (repeatable)")
    p.add_argument(
        "--class", dest="error_class", action="append", default=[], help="only this error class (repeatable)"
    )
    p.add_argument("--since", help="dead-lettered at or after: ISO time (UTC if no offset) or a duration ago (2h, 30m)")
    p.add_argument("--until", help="dead-lettered before: ISO time or a duration ago")
    p.add_argument(
        "--dispatch-id", action="append", default=[], help="only this dispatch id, or a prefix of it (repeatable)"
    )
    p.add_argument("--limit", type=int, default=None, metavar="N", help="at most N raw records")
    p.add_argument("--yes", action="store_true", help="send them (without it: only list what would be sent)")
    p.add_argument("--again", action="store_true", help="also send dead letters that were already redriven")
    p.add_argument("--json", action="store_true", help="one JSON object per selected dead letter")
    p.set_defaults(func=cmd_redrive)

    p = sub.add_parser(
        "chaos",
        help="chaos run: workers killed, stopped, frozen and scaled while dispatches flow; verify nothing is lost",
    )
    from pipeline.chaos.run import add_arguments as chaos_arguments

    chaos_arguments(p)
    p.set_defaults(func=cmd_chaos)

    p = sub.add_parser("eval", help="measure extraction and enrichment against the corpus's expected values")
    p.add_argument("report", choices=["quality", "structured", "places", "language", "stories"], help="which report")
    p.add_argument("--corpus", metavar="PATH", help="corpus root (default ../shared/corpus or WIREFEED_CORPUS)")
    p.add_argument("--every", type=int, default=1, metavar="N", help="use one Reuters-21578 dispatch in N (default 1)")
    p.add_argument(
        "--set",
        action="append",
        metavar="NAME",
        help="quality: only this section (repeatable): 'corpus' (the older corpus groups) or a gold set "
        "such as 'web-unseen-dev' (default: all)",
    )
    p.add_argument(
        "--only",
        action="append",
        metavar="GLOB",
        help="quality: score only the gold-set files whose name matches GLOB (repeatable), e.g. 'W*[13579]__*'",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    try:
        _configure_logging(
            os.environ.get("WIREFEED_LOG_LEVEL", "warning") if args.command != "worker" else settings.log_level,
            settings.log_format,
        )
    except ValueError as exc:
        print(f"wirefeed: {exc}", file=sys.stderr)
        return 2
    # a closed pipe (wirefeed process ... | head) is a normal way to stop reading
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        from pipeline import kafka

        kafka.configure(settings)  # SASL/TLS for every client the command makes
    except ValueError as exc:
        print(f"wirefeed: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args, settings) or 0)
    except FileNotFoundError as exc:
        print(f"wirefeed: {exc}", file=sys.stderr)
        return 2


__all__ = ["DEFAULT_BROKER", "SAMPLES", "article_line", "build_parser", "kafka_bootstrap", "main", "subprocess"]
