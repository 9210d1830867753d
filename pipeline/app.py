"""``create_app(settings)``: the Faust application, its topics and agents.

The app is built from a ``Settings`` object, never from globals, so tests and several
workers in one machine can each have their own. Records travel as raw bytes
(``value_serializer="raw"``): decoding is done by our stages, where failures become
dead letters.
"""

from __future__ import annotations

import faust

from pipeline.agents import wire
from pipeline.delivery.consumer import LedgerApp
from pipeline.kafka import KeyHashPartitioner, faust_credentials
from pipeline.settings import Settings
from pipeline.topics import SIZE_MARGIN, declare_topics

#: table writes (learned boilerplate, stories, idle-feed sightings) that may wait to be sent
#: before Faust's conductor stops handing fetched records to *every* agent until they are
#: (Faust's default is 100). A learn-boilerplate batch alone writes hundreds of line keys:
#: with 100, 2,000 queued fast dispatches saw the buffer full 18-21 times, and enrich-emit
#: sat idle 4.5 s of a 16 s run with records waiting for it (0 times and 0.2 s with this).
TABLE_WRITES_PENDING = 4096

#: records one poll of the consumer returns, at most (all the worker's partitions together)
POLL_RECORDS = 500
#: records an agent's queue holds. Faust's conductor hands a poll's records out in order and
#: waits while the queue of the record's agent is full, holding up the records behind it --
#: those of the other agents too. With 256, a backlog in wire.raw kept parse-clean's queue
#: full and starved the downstream hops (one worker, 3,000 fast dispatches queued: 268-291
#: dispatches/s; with 1,024: 354, 2,048: 333-351, 4,096: 360): room for two polls' records.
AGENT_QUEUE = 2 * POLL_RECORDS


def create_app(settings: Settings) -> faust.App:
    """The wirefeed Faust app (its stages: ``WIREFEED_STAGES``, by default the production ones)."""
    if settings.broker is None:
        raise ValueError("create_app needs a broker URL (start the embedded broker first)")
    datadir = settings.data_dir / settings.app_id
    datadir.mkdir(parents=True, exist_ok=True)
    app = LedgerApp(
        settings.app_id,
        broker=settings.broker,
        # SASL/TLS as configured (WIREFEED_KAFKA_*); None: plaintext
        broker_credentials=faust_credentials(settings),
        store="memory://",
        datadir=str(datadir),
        # the worker's web port is served by pipeline.observability.web (from the first
        # second, in a thread of its own), not by Faust's web server (after recovery)
        web_enabled=False,
        topic_partitions=settings.partitions,
        table_standby_replicas=settings.standby_replicas,
        topic_replication_factor=settings.replication,
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=settings.heartbeat_interval,
        broker_rebalance_timeout=settings.rebalance_timeout,
        # a partition without a committed offset is read from its first record
        consumer_auto_offset_reset="earliest",
        # commits follow the ledger (pipeline.delivery); commit often, it is cheap
        broker_commit_interval=1.0,
        # send failures surface within this time, so that our retry budget governs
        producer_request_timeout=30.0,
        # a bounded queue per agent, room for what one poll can hand it (AGENT_QUEUE)
        stream_buffer_maxsize=AGENT_QUEUE,
        broker_max_poll_records=POLL_RECORDS,
        # the one size limit, with room for framing: requests we send, partition fetches
        producer_max_request_size=settings.max_message_bytes + SIZE_MARGIN,
        consumer_max_fetch_size=settings.max_message_bytes + SIZE_MARGIN,
        # acks from every in-sync replica before an outcome counts as published
        producer_acks=-1,
        # the embedded broker has no transactions; ids are deterministic instead
        processing_guarantee="at_least_once",
        # the key's partition as Kafka's clients compute it, recent keys' hashes remembered
        producer_partitioner=KeyHashPartitioner(),
        key_serializer="raw",
        value_serializer="raw",
    )
    app.producer.buffer.max_messages = TABLE_WRITES_PENDING
    topics = declare_topics(app, settings)
    wire(app, topics, settings)
    return app
