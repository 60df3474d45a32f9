"""Settings: defaults, CXPULSE_* overrides and start-up errors that name the variable."""

import os
from datetime import time
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr, ValidationError

from streams.dataconfig_load import DEFAULT_FILE, default_config
from streams.settings import Settings, describe_error, unknown_variables


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the variables a test sets: none inherited from the shell that runs pytest."""
    for name in list(os.environ):
        if name.upper().startswith("CXPULSE_"):
            monkeypatch.delenv(name)


DEFAULTS = [
    ("broker_url", "kafka://127.0.0.1:9092"),
    ("broker_profile", "embedded"),
    ("changelog_bulk", True),
    ("kafka_sasl_username", None),
    ("kafka_sasl_password", None),
    ("app_id", "cxpulse"),
    ("topic_partitions", 4),
    ("topic_replication", 1),
    ("store", "memory://"),
    ("data_dir", Path("run/data")),
    ("web_host", "127.0.0.1"),
    ("web_port", 6066),
    ("worker_id", "w1"),
    ("max_message_bytes", 1_048_576),
    ("max_envelope_events", 5_000),
    ("max_future_s", 300.0),
    ("dedupe_window_s", 86_400.0),
    ("dedupe_max_ids", 256),
    ("customer_ttl_s", 35 * 86_400.0),
    ("deadletter_topic", "cx.deadletter"),
    ("calls_topic", "cx.calls"),
    ("tickets_topic", "cx.tickets"),
    ("surveys_topic", "cx.surveys"),
    ("session_timeout_s", 6.0),
    ("heartbeat_interval_s", 1.0),
    ("rebalance_timeout_s", 6.0),
    ("log_level", "info"),
    ("consumer_max_fetch_bytes", 16 * 1_048_576),
    ("partials_topic", "cx.partials"),
    ("dives_topic", "cx.dives"),
    ("grafana_url", None),
    ("grafana_token", None),
    ("flush_interval_s", 1.0),
    ("flush_max_messages", 20_000),
    ("stage2_flush_interval_s", 2.0),
    ("commit_interval_s", 2.8),
    ("customers_cached_per_partition", 10_000),
    ("late_grace_s", 900.0),
    ("call_cadence_s", 5.0),
    ("short_abandon_s", 5.0),
    ("response_band_edges_s", (3600.0, 10_800.0, 86_400.0)),
    ("repeat_window_days", 30.0),
    ("fcr_window_days", 7.0),
    ("agent_cut", False),
    ("agent_cap", 200),
    ("history_urls", ["sqlite:///run/history.sqlite"]),
    ("history_password", None),
    ("history_topic", "cx.history"),
    ("history_grace_s", 900.0),
    ("history_amend_days", 8.0),
    ("history_hour_retention_days", 400.0),
    ("history_day_retention_days", 1100.0),
    ("config_file", None),
    ("alert_language", "en"),
    ("dashboard_language", "en"),
    ("alert_spec_file", None),
    ("alert_wecom_api_secret", None),
    ("notify_bridge_host", "127.0.0.1"),
    ("notify_bridge_port", 9094),
    ("notify_dingtalk_url", None),
    ("notify_dingtalk_secret", None),
    ("notify_feishu_url", None),
    ("notify_feishu_secret", None),
]


@pytest.mark.parametrize(("field", "expected"), DEFAULTS)
def test_default(field, expected):
    assert getattr(Settings(), field) == expected


def test_every_field_has_a_default_row():
    assert set(Settings.model_fields) == {field for field, _ in DEFAULTS}


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("CXPULSE_BROKER_URL", "kafka://a:1;b:2", "bootstrap_servers", ["a:1", "b:2"]),
        ("CXPULSE_BROKER_PROFILE", "kafka", "broker_profile", "kafka"),
        ("CXPULSE_WEB_PORT", "7001", "web_port", 7001),
        ("CXPULSE_MAX_FUTURE_S", "0", "max_future_s", 0.0),
        ("CXPULSE_STORE", "rocksdb://", "store", "rocksdb://"),
        ("CXPULSE_DATA_DIR", "/var/lib/cxpulse", "data_dir", Path("/var/lib/cxpulse")),
        ("CXPULSE_LOG_LEVEL", "debug", "log_level", "debug"),
        ("CXPULSE_CONFIG_FILE", str(DEFAULT_FILE), "config_file", DEFAULT_FILE),
        ("CXPULSE_RESPONSE_BAND_EDGES_S", "[60, 120, 180]", "response_band_edges_s",
         (60.0, 120.0, 180.0)),
        ("cxpulse_worker_id", "w-7", "worker_id", "w-7"),  # env names are case-insensitive
        ("CXPULSE_CALLS_TOPIC", "calls.v2", "source_topics",
         {"call": "calls.v2", "ticket": "cx.tickets", "survey": "cx.surveys"}),
    ],
)
def test_environment_overrides(monkeypatch, variable, value, field, expected):
    monkeypatch.setenv(variable, value)

    assert getattr(Settings(), field) == expected


def test_keyword_arguments_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("CXPULSE_BROKER_URL", "kafka://from-env:9092")

    assert Settings(broker_url="kafka://from-cli:9092").broker_url == "kafka://from-cli:9092"


def test_sasl_pair_is_accepted_and_the_password_stays_secret(monkeypatch):
    monkeypatch.setenv("CXPULSE_KAFKA_SASL_USERNAME", "cx")
    monkeypatch.setenv("CXPULSE_KAFKA_SASL_PASSWORD", "hunter2")

    settings = Settings()

    assert settings.kafka_sasl_password == SecretStr("hunter2")
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"CXPULSE_BROKER_URL": "http://x"}, ["CXPULSE_BROKER_URL"]),
        ({"CXPULSE_BROKER_URL": "kafka://"}, ["CXPULSE_BROKER_URL"]),
        ({"CXPULSE_BROKER_URL": "127.0.0.1:9092"}, ["CXPULSE_BROKER_URL"]),
        ({"CXPULSE_STORE": "redis://"}, ["CXPULSE_STORE"]),
        ({"CXPULSE_CONFIG_FILE": "/nowhere/data.yaml"}, ["CXPULSE_CONFIG_FILE"]),
        ({"CXPULSE_KAFKA_SASL_USERNAME": "cx"},
         ["CXPULSE_KAFKA_SASL_USERNAME", "CXPULSE_KAFKA_SASL_PASSWORD"]),
        ({"CXPULSE_KAFKA_SASL_PASSWORD": "hunter2"},
         ["CXPULSE_KAFKA_SASL_USERNAME", "CXPULSE_KAFKA_SASL_PASSWORD"]),
    ],
)
def test_invalid_value_names_the_variable(monkeypatch, environment, named):
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError) as caught:
        Settings()

    assert all(variable in str(caught.value) for variable in named), str(caught.value)


def test_sasl_pair_error_does_not_echo_the_password(monkeypatch):
    """The error is printed at start-up (and may land in logs): the secret must not be in it."""
    monkeypatch.setenv("CXPULSE_KAFKA_SASL_PASSWORD", "hunter2")

    with pytest.raises(ValidationError) as caught:
        Settings()

    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CXPULSE_TOPIC_PARTITIONS", "0"),
        ("CXPULSE_WEB_PORT", "65536"),
        ("CXPULSE_WORKER_ID", "w 1"),
        ("CXPULSE_LOG_LEVEL", "trace"),
        ("CXPULSE_BROKER_PROFILE", "redpanda"),
        ("CXPULSE_MAX_MESSAGE_BYTES", "1023"),
        ("CXPULSE_DEDUPE_WINDOW_S", "0"),
        ("CXPULSE_HISTORY_URLS", '["mysql://db/history"]'),
        ("CXPULSE_HISTORY_AMEND_DAYS", "7"),
    ],
)
def test_out_of_bounds_value_fails_naming_the_field(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError) as caught:
        Settings()

    # pydantic's own bound checks name the field, not the variable (only the custom
    # validators above spell out CXPULSE_...)
    assert [error["loc"] for error in caught.value.errors()] == [
        (variable.removeprefix("CXPULSE_").lower(),)
    ]


def test_unknown_keyword_argument_is_rejected():
    with pytest.raises(ValidationError, match="extra_forbidden"):
        Settings(broker_ulr="kafka://x:1")


def test_unknown_cxpulse_variable_is_ignored(monkeypatch):
    """extra="forbid" applies to keyword arguments (and dotenv files), not to the process
    environment: pydantic-settings only looks up variables of declared fields, so a misspelt
    CXPULSE_ variable is silently ignored and the default stays."""
    monkeypatch.setenv("CXPULSE_BROKER_ULR", "kafka://typo:9092")

    assert Settings().broker_url == "kafka://127.0.0.1:9092"


# -- renamed variables -----------------------------------------------------------------------
def test_a_renamed_variable_still_sets_its_setting_with_a_warning_naming_the_new_one(
        monkeypatch):
    monkeypatch.setenv("CXPULSE_FLUSH_MAX_EVENTS", "500")

    with pytest.warns(FutureWarning, match="CXPULSE_FLUSH_MAX_EVENTS is deprecated.*"
                                           "CXPULSE_FLUSH_MAX_MESSAGES"):
        settings = Settings()

    assert settings.flush_max_messages == 500


def test_the_new_name_wins_over_the_old_and_the_warning_says_so(monkeypatch):
    monkeypatch.setenv("CXPULSE_FLUSH_MAX_EVENTS", "500")
    monkeypatch.setenv("CXPULSE_FLUSH_MAX_MESSAGES", "700")

    with pytest.warns(FutureWarning, match="CXPULSE_FLUSH_MAX_EVENTS is ignored"):
        settings = Settings()

    assert settings.flush_max_messages == 700


def test_renamed_and_removed_variables_are_not_unknown():
    assert unknown_variables({"CXPULSE_FLUSH_MAX_EVENTS": "1",
                              "CXPULSE_FLUSH_MAX_MESSAGES": "1",
                              "CXPULSE_CUSTOMERS_MAX_PER_PARTITION": "1"}) == []


@pytest.mark.parametrize(("variable", "why"), [
    ("CXPULSE_CUSTOMERS_MAX_PER_PARTITION", "never enforced"),
    ("CXPULSE_STATE_CHUNKS", "one record per customer"),
])
def test_a_removed_variable_is_ignored_with_a_warning_saying_why(monkeypatch, variable, why):
    monkeypatch.setenv(variable, "99")

    with pytest.warns(FutureWarning, match=f"{variable} is ignored.*{why}"):
        settings = Settings()

    assert variable.removeprefix("CXPULSE_").lower() not in settings.model_dump()


def test_a_bad_value_under_the_old_name_fails_naming_the_new_variable(monkeypatch):
    monkeypatch.setenv("CXPULSE_FLUSH_MAX_EVENTS", "0")

    with pytest.warns(FutureWarning), pytest.raises(ValidationError) as caught:
        Settings()

    assert describe_error(caught.value).startswith("CXPULSE_FLUSH_MAX_MESSAGES: ")


# -- the data file ---------------------------------------------------------------------------
def test_without_a_config_file_the_shipped_default_is_loaded():
    assert Settings().data_config() == default_config()


def test_the_data_config_is_loaded_once_per_settings():
    settings = Settings()

    assert settings.data_config() is settings.data_config()


def test_catalogue_rules_take_ring_targets_and_calendar_from_the_file(monkeypatch, tmp_path):
    path = tmp_path / "data.yaml"
    data = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    data["ring_targets"] = {"default": 3, "queues": {"vip": 2}}
    data["calendar"]["windows"] = ["08:00-20:00"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("CXPULSE_CONFIG_FILE", str(path))
    monkeypatch.setenv("CXPULSE_CALL_CADENCE_S", "6")

    rules = Settings().catalogue_rules()

    assert (rules.calls.cadence_s, rules.calls.target_for("vip"),
            rules.calls.target_for("general")) == (6.0, 2, 3)
    assert rules.calendar.windows == ((time(8), time(20)),)


def test_each_catalogue_rules_has_its_own_calendar_tally():
    settings = Settings()

    assert settings.catalogue_rules().calendar.fallback_days \
        is not settings.catalogue_rules().calendar.fallback_days


@pytest.mark.parametrize(("profile", "setting", "bulk"), [
    ("embedded", None, True), ("kafka", None, True), ("embedded", "false", False),
    ("kafka", "false", False)])
def test_changelog_bulk_is_on_unless_set_off(monkeypatch, profile, setting, bulk):
    monkeypatch.setenv("CXPULSE_BROKER_PROFILE", profile)
    if setting is not None:
        monkeypatch.setenv("CXPULSE_CHANGELOG_BULK", setting)
    assert Settings().changelog_bulk is bulk


@pytest.mark.parametrize(("env", "batch_size", "check"), [
    ({}, 1, False),
    ({"CXPULSE_CHANGELOG_BULK": "false"}, 1, None),
    ({"CXPULSE_BROKER_PROFILE": "kafka"}, None, None),
])
def test_faust_options_of_the_profiles(monkeypatch, env, batch_size, check):
    from streams.app import faust_options
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    options = faust_options(Settings())

    assert options.get("producer_max_batch_size") == batch_size
    assert options.get("recovery_consistency_check") == check


def test_the_commit_interval_reaches_faust(monkeypatch):
    from streams.app import faust_options
    assert faust_options(Settings())["broker_commit_interval"] == 2.8
    monkeypatch.setenv("CXPULSE_COMMIT_INTERVAL_S", "30")
    assert faust_options(Settings())["broker_commit_interval"] == 30.0
    monkeypatch.setenv("CXPULSE_COMMIT_INTERVAL_S", "0")
    with pytest.raises(ValueError):
        Settings()
