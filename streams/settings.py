"""The one configuration object: built once at start-up from CXPULSE_* variables, passed down."""

import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from metrics.contributions import CatalogueRules
from metrics.events import Limits
from metrics.tickets import ResponseBands
from metrics.views import View
from streams.dataconfig import DataConfig
from streams.dataconfig_load import load_config


#: Renamed variables, old name -> new name: the old one is still read, with a warning.
RENAMED_VARIABLES = {"CXPULSE_FLUSH_MAX_EVENTS": "CXPULSE_FLUSH_MAX_MESSAGES"}
#: Removed variables that never had an effect, name -> why: ignored, with a warning, so a
#: deployment that still sets one starts as before.
REMOVED_VARIABLES = {
    "CXPULSE_CUSTOMERS_MAX_PER_PARTITION": "it was never enforced; customer records are bounded "
    "by CXPULSE_CUSTOMER_TTL_S only (docs/decisions.md)",
    "CXPULSE_STATE_CHUNKS": "customer state is one record per customer since the state layout "
    "v2; CXPULSE_CUSTOMERS_CACHED_PER_PARTITION caps the decoded ones (docs/decisions.md)",
}


class _FormerVariables(PydanticBaseSettingsSource):
    """Values of renamed variables under their new names, each with a FutureWarning (shown to
    users by default) naming the new one, and a warning for each removed variable set. It ranks
    below the environment, so a variable set under its new name wins over its old name."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False   # abstract in the base class; __call__ reads all

    def __call__(self) -> dict[str, Any]:
        values = {}
        for old, new in RENAMED_VARIABLES.items():
            if old not in os.environ:
                continue
            if new in os.environ:
                warnings.warn(f"{old} is ignored: {new}, its new name, is set too; "
                              f"unset {old}", FutureWarning)
                continue
            warnings.warn(f"{old} is deprecated and will be removed: set {new} instead "
                          "(same meaning and value)", FutureWarning)
            values[new.removeprefix("CXPULSE_").lower()] = os.environ[old]
        for name, why in REMOVED_VARIABLES.items():
            if name in os.environ:
                warnings.warn(f"{name} is ignored and can be unset: {why}", FutureWarning)
        return values


class Settings(BaseSettings):
    """Every tunable of a worker, the producer and the CLI; see docs/configuration.md."""

    model_config = SettingsConfigDict(
        env_prefix="CXPULSE_", extra="forbid", hide_input_in_errors=True
    )

    broker_url: str = Field(
        "kafka://127.0.0.1:9092",
        description="Kafka bootstrap servers, kafka://host:port[;host:port].",
    )
    broker_profile: Literal["embedded", "kafka"] = Field(
        "embedded",
        description="embedded: Tansu workarounds (one record per producer batch); kafka: none.",
    )
    changelog_bulk: bool = Field(
        True,
        description="Send changelog writes as bulk batches (true) or one record per batch "
        "(false: thousands of produce requests per flush; docs/decisions.md).",
    )
    kafka_sasl_password: SecretStr | None = Field(
        None, description="SASL/PLAIN password when the cluster needs one; never defaulted."
    )
    kafka_sasl_username: str | None = Field(None, description="SASL/PLAIN user, with the password.")
    app_id: str = Field("cxpulse", description="Faust app id = consumer group and topic prefix.")
    topic_partitions: int = Field(
        4, ge=1, le=1024, description="Partitions of every cxpulse topic (source topics must match)."
    )
    topic_replication: int = Field(1, ge=1, le=5, description="Replication factor of new topics.")
    store: str = Field(
        "memory://", description="Faust table store: memory:// or rocksdb:// (production)."
    )
    data_dir: Path = Field(Path("run/data"), description="Faust data dir (rocksdb tables).")
    web_host: str = Field("127.0.0.1", description="Worker HTTP bind address (0.0.0.0 in containers).")
    web_port: int = Field(6066, ge=1, le=65535, description="Worker HTTP port: /metrics.")
    worker_id: str = Field(
        "w1", pattern=r"^[\w\-.]{1,32}$", description="Names the worker in logs, dead letters, data dir."
    )
    max_message_bytes: int = Field(
        1_048_576, ge=1_024, description="Larger messages are rejected as oversized."
    )
    max_envelope_events: int = Field(
        5_000, ge=1, le=100_000, description="Larger envelopes are rejected as bad_envelope."
    )
    max_future_s: float = Field(300.0, ge=0, description="Tolerated producer clock skew.")
    dedupe_window_s: float = Field(
        86_400.0, gt=0, description="How long an event_id is remembered (event time)."
    )
    dedupe_max_ids: int = Field(
        256, ge=1, description="Cap on remembered event_ids per customer and source topic."
    )
    customer_ttl_s: float = Field(
        35 * 86_400.0, gt=0, description="Idle customers are evicted after this (event time)."
    )
    deadletter_topic: str = Field("cx.deadletter", description="Where rejections go.")
    calls_topic: str = Field("cx.calls", description="Source topic of call events.")
    tickets_topic: str = Field("cx.tickets", description="Source topic of ticket events.")
    surveys_topic: str = Field("cx.surveys", description="Source topic of survey events.")
    session_timeout_s: float = Field(6.0, gt=0, description="Consumer group session timeout.")
    heartbeat_interval_s: float = Field(1.0, gt=0, description="Consumer heartbeat interval.")
    rebalance_timeout_s: float = Field(6.0, gt=0, description="Consumer rebalance timeout.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Worker log level."
    )
    consumer_max_fetch_bytes: int = Field(
        16 * 1_048_576, ge=65_536,
        description="Max bytes fetched per partition per request (large envelopes need room).",
    )
    partials_topic: str = Field("cx.partials", description="Stage 1 -> stage 2 partial aggregates.")
    dives_topic: str = Field("cx.dives", description="Dive log: one record at each start and end.")
    grafana_url: str | None = Field(
        None, description="Grafana base URL for dive annotations; with grafana_token, turns "
                          "them on (off by default).")
    grafana_token: SecretStr | None = Field(
        None, description="Grafana service-account token for dive annotations (never defaulted).")
    flush_interval_s: float = Field(
        1.0, gt=0, le=60,
        description="Stage 1 flushes state and partials (and acks) at least this often.",
    )
    flush_max_messages: int = Field(
        20_000, ge=1,
        description="Stage 1 also flushes a partition after this many source messages (an "
        "envelope is one message, whatever its events). Formerly CXPULSE_FLUSH_MAX_EVENTS.",
    )
    stage2_flush_interval_s: float = Field(
        2.0, gt=0, le=60, description="Stage 2 writes its window state (and acks) this often."
    )
    commit_interval_s: float = Field(
        2.8, gt=0, le=300,
        description="The worker commits the offsets of acked (flushed) messages this often "
        "(Faust's broker_commit_interval). After a crash the messages flushed since the last "
        "commit are read again and skipped as replayed; a longer interval means more of them.",
    )
    customers_cached_per_partition: int = Field(
        10_000, ge=100,
        description="Decoded customer records kept in memory per partition; the others stay "
        "encoded in the state table (its size is bounded by customer_ttl_s).",
    )
    late_grace_s: float = Field(
        900.0, ge=0,
        description="Events older than their partition's newest event time minus this are late.",
    )
    call_cadence_s: float = Field(5.0, gt=0, description="Seconds per ring (1 s on, 4 s off).")
    short_abandon_s: float = Field(
        5.0, ge=0, description="Abandons faster than this are short (left out of service level)."
    )
    response_band_edges_s: tuple[float, ...] = Field(
        (3600.0, 10_800.0, 86_400.0),
        description="First-response band edges in seconds (scores 5, 4, 3, 1), JSON list.",
    )
    repeat_window_days: float = Field(30.0, gt=0, description="Repeat repair/complaint window.")
    fcr_window_days: float = Field(7.0, gt=0, description="First-contact-resolution window.")
    agent_cut: bool = Field(False, description="Add the agent to every segment (capped).")
    agent_cap: int = Field(200, ge=1, description="Distinct agents per worker; more become 'other'.")
    history_urls: list[str] = Field(
        ["sqlite:///run/history.sqlite"],
        description="History stores the sink writes every closed window to, JSON list of "
        "sqlite:///PATH or postgresql://USER@HOST[:PORT]/DB URLs; the first one answers "
        "/history (docs/history.md).",
    )
    history_password: SecretStr | None = Field(
        None, description="Password for a postgresql:// history store (never in the URL)."
    )
    history_topic: str = Field("cx.history", description="Stage 2 -> history sink: closed windows.")
    history_grace_s: float = Field(
        900.0, ge=0,
        description="A window closes when the event-time clock passes its end plus this.",
    )
    history_amend_days: float = Field(
        8.0, gt=0,
        description="Closed segment days stay amendable (late data, FCR failures) this long "
        "behind the clock; must exceed the FCR window.",
    )
    history_hour_retention_days: float = Field(
        400.0, gt=0, description="Hour rows (view keys) kept behind the newest hour in the store."
    )
    history_day_retention_days: float = Field(
        1100.0, gt=0, description="Day rows (full segments) kept behind the newest day in the store."
    )
    config_file: Path | None = Field(
        None, description="The data file: questionnaires, targets, calendar, views "
        "(see below); unset: the default shipped in streams/dataconfig.yaml.",
    )
    alert_language: Literal["en", "zh"] = Field(
        "en", description="Language of alert summaries and descriptions (`cxpulse alerts "
        "build`) and of the notify bridge's messages: en or zh.",
    )
    dashboard_language: Literal["en", "zh"] = Field(
        "en", description="Language of dashboard titles, panel titles and column names "
        "(`cxpulse dashboards build` and `render`): en or zh.",
    )
    alert_spec_file: Path | None = Field(
        None, description="The alert spec (objectives, thresholds, routing); unset: "
        "alerts/spec.yaml.",
    )
    alert_wecom_api_secret: SecretStr | None = Field(
        None, description="WeCom app secret that `cxpulse alerts alertmanager` writes into the "
        "deployable Alertmanager config; never defaulted, required when a receiver uses WeCom.",
    )
    notify_bridge_host: str = Field("127.0.0.1", description="`cxpulse notify-bridge` bind "
                                    "address (0.0.0.0 in containers).")
    notify_bridge_port: int = Field(9094, ge=1, le=65535,
                                    description="`cxpulse notify-bridge` HTTP port.")
    notify_dingtalk_url: SecretStr | None = Field(
        None, description="DingTalk robot webhook URL, access_token included; never defaulted, "
        "required for the bridge's /dingtalk.",
    )
    notify_dingtalk_secret: SecretStr | None = Field(
        None, description="DingTalk robot signing secret (SEC...), when the robot signs.",
    )
    notify_feishu_url: SecretStr | None = Field(
        None, description="Feishu bot webhook URL; never defaulted, required for the bridge's "
        "/feishu.",
    )
    notify_feishu_secret: SecretStr | None = Field(
        None, description="Feishu bot signing secret, when the bot checks signatures.",
    )
    _data: DataConfig | None = PrivateAttr(None)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """pydantic-settings' sources, with renamed variables read just below the environment."""
        return (init_settings, env_settings, _FormerVariables(settings_cls), dotenv_settings,
                file_secret_settings)

    @field_validator("broker_url")
    @classmethod
    def _kafka_scheme(cls, value: str) -> str:
        if not value.startswith("kafka://") or len(value) <= len("kafka://"):
            raise ValueError("CXPULSE_BROKER_URL must look like kafka://host:port")
        return value

    @field_validator("store")
    @classmethod
    def _known_store(cls, value: str) -> str:
        if not value.startswith(("memory://", "rocksdb://")):
            raise ValueError("CXPULSE_STORE must be memory:// or rocksdb://")
        return value

    @field_validator("config_file", "alert_spec_file")
    @classmethod
    def _config_file_exists(cls, value: Path | None, info) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"CXPULSE_{info.field_name.upper()} must name an existing file; "
                             f"none at {value}")
        return value

    @field_validator("history_urls")
    @classmethod
    def _history_urls(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("CXPULSE_HISTORY_URLS needs at least one store")
        for url in value:
            if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
                raise ValueError(f"CXPULSE_HISTORY_URLS: {url!r} is not sqlite:///PATH or "
                                 "postgresql://USER@HOST/DB")
        return value

    @field_validator("history_amend_days")
    @classmethod
    def _amend_covers_fcr(cls, value: float, info: ValidationInfo) -> float:
        fcr = info.data.get("fcr_window_days")
        if fcr is not None and value <= fcr:
            raise ValueError("CXPULSE_HISTORY_AMEND_DAYS must exceed CXPULSE_FCR_WINDOW_DAYS: "
                             "an FCR failure amends its contact's day up to that long after")
        return value

    @model_validator(mode="after")
    def _sasl_pair(self) -> "Settings":
        if (self.kafka_sasl_username is None) != (self.kafka_sasl_password is None):
            raise ValueError(
                "CXPULSE_KAFKA_SASL_USERNAME and CXPULSE_KAFKA_SASL_PASSWORD go together"
            )
        return self

    def input_limits(self) -> Limits:
        """The input bounds of the event contract (message size, envelope size, clock skew)."""
        return Limits(self.max_message_bytes, self.max_envelope_events, self.max_future_s)

    def data_config(self) -> DataConfig:
        """The data file (``config_file``, else the shipped default), loaded on first use and
        kept: the stream and ``cxpulse report`` built from one Settings read the same data.

        Raises streams.errors.DataConfigError naming the file and each problem's path.
        """
        if self._data is None:
            self._data = load_config(self.config_file)
        return self._data

    def catalogue_rules(self) -> CatalogueRules:
        """The formula parameters of stage 1 (and of ``cxpulse report``): timings from these
        settings, ring targets and the business calendar from :meth:`data_config`. Each call
        builds a fresh calendar, whose fallback tally the caller then owns."""
        data = self.data_config()
        return CatalogueRules(
            calls=data.call_rules(self.call_cadence_s, self.short_abandon_s),
            response_bands=ResponseBands(tuple(self.response_band_edges_s)),
            calendar=data.calendar.business_calendar(),
            late_grace_s=self.late_grace_s,
            dedupe_window_s=self.dedupe_window_s,
            dedupe_max_ids=self.dedupe_max_ids,
            repeat_window_s=self.repeat_window_days * 86_400.0,
            fcr_window_s=self.fcr_window_days * 86_400.0,
            agent_cut=self.agent_cut,
            agent_cap=self.agent_cap,
        )

    def active_views(self) -> dict[str, View]:
        """The views stage 1 routes to and /metrics serves (from the data file; views that need
        the agent cut only when it is on)."""
        return {view.name: view for view in self.data_config().active_views(self.agent_cut)}

    def configured_views(self) -> dict[str, View]:
        """Every view of the data file, whether or not this deployment's agent cut enables it
        (the recording rules cover them all)."""
        return {view.name: view for view in self.data_config().views}

    def exported_windows(self) -> tuple[str, ...]:
        """The live windows /metrics exports per view key (the data file's ``windows``)."""
        return tuple(self.data_config().windows)

    @property
    def bootstrap_servers(self) -> list[str]:
        """host:port list for kafka-python and aiokafka."""
        return self.broker_url.removeprefix("kafka://").split(";")

    @property
    def source_topics(self) -> dict[str, str]:
        """Event type -> source topic."""
        return {
            "call": self.calls_topic,
            "ticket": self.tickets_topic,
            "survey": self.surveys_topic,
        }


#: Former variables whose data now lives in the data file: variable -> key in the file.
MOVED_TO_DATA_FILE = {
    "CXPULSE_TARGET_RINGS": "ring_targets.default",
    "CXPULSE_TARGET_RINGS_BY_QUEUE": "ring_targets.queues",
    "CXPULSE_SURVEY_TARGET": "survey_targets.default",
    "CXPULSE_MIN_SAMPLE": "survey_targets.min_sample",
}


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """CXPULSE_* variables that name no setting (typos would otherwise be ignored)."""
    known = ({f"CXPULSE_{name.upper()}" for name in Settings.model_fields}
             | set(RENAMED_VARIABLES) | set(REMOVED_VARIABLES))
    return sorted(name for name in environ if name.startswith("CXPULSE_") and name not in known)


def describe_error(error: ValidationError) -> str:
    """One line per problem, naming the CXPULSE_ variable (never echoing the value)."""
    lines = []
    for problem in error.errors(include_url=False, include_input=False):
        field = str(problem["loc"][0]) if problem["loc"] else ""
        where = f"CXPULSE_{field.upper()}" if field else "settings"
        lines.append(f"{where}: {problem['msg']}")
    return "\n".join(lines)
