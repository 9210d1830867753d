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
