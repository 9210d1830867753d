"""pipeline/kafka.py: the commands' clients connect with the deployment's security (WIREFEED_KAFKA_*)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline import kafka
from pipeline.settings import Settings

SASL = {
    "WIREFEED_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
    "WIREFEED_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "WIREFEED_KAFKA_SASL_USERNAME": "desk",
    "WIREFEED_KAFKA_SASL_PASSWORD": "secret",
}


@pytest.fixture
def configured() -> Iterator[None]:
    kafka.configure(Settings.from_env(SASL))
    try:
        yield
    finally:
        kafka.configure(Settings.from_env({}))


async def test_consumers_made_outside_the_module_connect_with_the_configured_security(configured: None) -> None:
    """kafka.Consumer takes the process's SASL/TLS options; redrive and the chaos verifier make theirs with it."""
    from pipeline import redrive
    from pipeline.chaos import verify

    consumer = kafka.Consumer("wire.raw", bootstrap_servers="127.0.0.1:1", enable_auto_commit=False)
    client = consumer._client
    assert (client._security_protocol, client._sasl_mechanism) == ("SASL_PLAINTEXT", "SCRAM-SHA-512")
    assert (client._sasl_plain_username, client._sasl_plain_password) == ("desk", "secret")
    assert consumer._subscription.subscription is not None  # the topics are passed on
    assert redrive.Consumer is kafka.Consumer and verify.AIOKafkaConsumer is kafka.Consumer
    await consumer.stop()  # never started: closes nothing but its bookkeeping


async def test_without_security_settings_a_consumer_is_plaintext() -> None:
    """No WIREFEED_KAFKA_* variables: PLAINTEXT, as aiokafka's default."""
    kafka.configure(Settings.from_env({}))
    consumer = kafka.Consumer(bootstrap_servers="127.0.0.1:1")
    assert consumer._client._security_protocol == "PLAINTEXT"
    await consumer.stop()


def test_the_key_hash_partitioner_puts_every_key_where_kafkas_clients_do() -> None:
    """Kafka's partition of a key (murmur2, as aiokafka's DefaultPartitioner and the Java client), whether
    its hash is remembered or not; the memory is bounded; no key: one of the available partitions."""
    import random

    from aiokafka.partitioner import DefaultPartitioner

    from pipeline.kafka import KeyHashPartitioner

    rng = random.Random(5)
    ours, theirs = KeyHashPartitioner(size=64), DefaultPartitioner()
    keys = [rng.randbytes(rng.randint(0, 90)) for _ in range(500)]
    for _ in range(3):  # the second and third time from memory (or computed again after a clear)
        for key in keys:
            for count in (1, 3, 4, 12, 100):
                partitions = list(range(count))
                assert ours(key, partitions, partitions) == theirs(key, partitions, partitions)
            assert len(ours.hashes) <= 64
    assert ours(None, [0, 1, 2], [2]) == 2
