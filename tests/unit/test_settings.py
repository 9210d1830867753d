"""Settings come from WIREFEED_* variables, typed, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.settings import Settings, describe, kafka_bootstrap


def test_settings_read_typed_values_from_the_environment() -> None:
    """Each field is parsed to its type; unset or empty variables keep the default."""
    s = Settings.from_env(
        {
            "WIREFEED_BROKER": "kafka://k1:9092;k2:9093",
            "WIREFEED_PARTITIONS": "8",
            "WIREFEED_SESSION_TIMEOUT": "6.5",
            "WIREFEED_VALIDATE": "yes",
            "WIREFEED_DATA_DIR": "/var/lib/wirefeed",
            "WIREFEED_LANGUAGES": "fr, en,tr",
            "WIREFEED_APP_ID": "",
        }
    )
    assert s.broker == "kafka://k1:9092;k2:9093" and s.bootstrap_servers == "k1:9092,k2:9093"
    assert (s.partitions, s.session_timeout, s.validate) == (8, 6.5, True)
    assert s.data_dir == Path("/var/lib/wirefeed")
    assert s.languages == ("fr", "en", "tr")
    assert s.app_id == "wirefeed" and not s.embedded


def test_settings_reject_a_bad_value_with_the_variable_name() -> None:
    """A typo in a number names the variable instead of failing later."""
    with pytest.raises(SystemExit, match="WIREFEED_PARTITIONS"):
        Settings.from_env({"WIREFEED_PARTITIONS": "four"})


def test_no_broker_means_embedded() -> None:
    """Without WIREFEED_BROKER the run command starts its own broker."""
    s = Settings.from_env({})
    assert s.embedded
    with pytest.raises(RuntimeError):
        _ = s.bootstrap_servers
    assert kafka_bootstrap("kafka://a:1") == "a:1"
    assert "WIREFEED_BROKER" in describe() and "WIREFEED_PARTITIONS" in describe()


def test_a_list_setting_can_be_emptied_with_none() -> None:
    """WIREFEED_SPACY_MODELS=none runs without statistical NER (an empty variable keeps the default)."""
    assert Settings.from_env({"WIREFEED_SPACY_MODELS": "none"}).spacy_models == ()
    assert Settings.from_env({"WIREFEED_SPACY_MODELS": ""}).spacy_models == Settings().spacy_models
    from pipeline.enrich.config import EnrichConfig

    assert EnrichConfig.from_settings(Settings.from_env({"WIREFEED_SPACY_MODELS": "None"})).models == {}


def test_kafka_security_from_the_environment_reaches_aiokafka_and_faust() -> None:
    """SASL/TLS variables become the same aiokafka options for the commands' clients and the worker's Faust."""
    import ssl

    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    from pipeline.kafka import faust_credentials

    assert Settings.from_env({}).kafka_client_options() == {}
    assert faust_credentials(Settings.from_env({})) is None
    env = {
        "WIREFEED_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
        "WIREFEED_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "WIREFEED_KAFKA_SASL_USERNAME": "wirefeed",
        "WIREFEED_KAFKA_SASL_PASSWORD": "pw",
    }
    settings = Settings.from_env(env)
    options = settings.kafka_client_options()
    assert {k: v for k, v in options.items() if k != "ssl_context"} == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "wirefeed",
        "sasl_plain_password": "pw",
    }
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert "pw" not in repr(settings)  # the password never reaches a log line through the settings
    worker = credentials_to_aiokafka_auth(faust_credentials(settings))
    assert {k: worker[k] for k in ("security_protocol", "sasl_mechanism", "sasl_plain_username")} == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "wirefeed",
    }
    tls_only = Settings.from_env({"WIREFEED_KAFKA_SECURITY_PROTOCOL": "SSL"})
    assert credentials_to_aiokafka_auth(faust_credentials(tls_only))["security_protocol"] == "SSL"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WIREFEED_KAFKA_SECURITY_PROTOCOL": "TLS"}, "expected one of PLAINTEXT, SSL"),
        ({"WIREFEED_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, "needs WIREFEED_KAFKA_SASL_USERNAME"),
        (
            {"WIREFEED_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "WIREFEED_KAFKA_SASL_MECHANISM": "GSSAPI",
             "WIREFEED_KAFKA_SASL_USERNAME": "u"},
            "WIREFEED_KAFKA_SASL_MECHANISM='GSSAPI'",
        ),
    ],
    ids=["protocol", "no-user", "mechanism"],
)  # fmt: skip
def test_kafka_security_mistakes_name_the_variable(env: dict[str, str], message: str) -> None:
    """A wrong security setting is an error that names the variable, before any connection."""
    with pytest.raises(ValueError) as caught:
        Settings.from_env(env).kafka_client_options()
    assert message in str(caught.value)


def test_profile_reaches_the_enrichment_config() -> None:
    """WIREFEED_PROFILE=fast gives an enrichment without NER models; default full; others refused."""
    from pipeline.enrich.config import EnrichConfig

    assert Settings.from_env({}).profile == "full"
    fast = EnrichConfig.from_settings(Settings.from_env({"WIREFEED_PROFILE": "fast"}))
    assert (fast.profile, fast.models) == ("fast", {})
    with pytest.raises(SystemExit, match="WIREFEED_PROFILE"):
        Settings.from_env({"WIREFEED_PROFILE": "quick"})
