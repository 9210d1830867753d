"""A worker checks the topics at start: it creates them with their settings, and refuses to run
when a table's changelog and its topic (or WIREFEED_PARTITIONS) disagree on the partition count."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from pipeline.kafka import ensure_topics, partition_counts
from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.broker


async def test_a_partition_count_that_would_split_table_state_stops_the_worker(lean_pipeline: Pipeline) -> None:
    pipeline = lean_pipeline
    names = pipeline.names
    changelog = f"{pipeline.env['WIREFEED_APP_ID']}-boilerplate-changelog"
    # an earlier deployment with 4 partitions; this worker is configured for 2
    await ensure_topics(pipeline.bootstrap, [names.parsed, changelog], 4)
    proc = pipeline.start_worker()
    assert proc.wait(60) == 78
    log = pipeline.worker_log()
    assert f"{names.parsed} has 4 partitions but WIREFEED_PARTITIONS is 2" in log
    assert (await partition_counts(pipeline.bootstrap, [names.raw])) == {}, "nothing created on a refusal"


async def test_topics_are_created_with_the_size_limit_and_retention(lean_pipeline: Pipeline) -> None:
    pipeline = lean_pipeline
    pipeline.env["WIREFEED_MAX_MESSAGE_BYTES"] = str(2 * 1024 * 1024)
    pipeline.start_worker()
    proc = pipeline.cli("ingest", "-", input=b"Hill News\n\nA headline\n\nHILL - A paragraph of text here.\n")
    assert proc.returncode == 0, proc.stderr.decode()
    admin = AIOKafkaAdminClient(bootstrap_servers=pipeline.bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, pipeline.names.raw)])
        entries = {name: value for name, value, *_ in response.resources[0][4]}
    finally:
        await admin.close()
    assert entries["max.message.bytes"] == str(2 * 1024 * 1024 + 64 * 1024)
    assert int(entries["retention.ms"]) == 7 * 24 * 3600 * 1000
