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
