"""The alert spec's schema: objectives, thresholds, pipeline limits, dives and routing (alerts/spec.yaml).

The spec says what an on-call lead is promised; alerts/rules.py and alerts/alertmanager.py turn
it into rule files and the Alertmanager config. Objectives and thresholds are given per view
(``view: queue``) with a ``default`` and per view key overrides (``keys: {"queue|vip": 0.9}``,
view keys as in metrics/views.py). Survey targets and the minimum sample are not repeated here:
they are the data file's ``survey_targets``. Every key and its meaning: docs/alerts.md.
"""

from pathlib import Path
from typing import Annotated, Literal, Self

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from alerts.durations import seconds
from metrics.errors import ConfigError

SPEC_FILE = Path(__file__).resolve().parent / "spec.yaml"
Severity = Literal["critical", "warning", "info"]
Duration = Annotated[str, AfterValidator(lambda text: (seconds(text), text)[1])]
Ratio = Annotated[float, Field(gt=0, lt=1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Tier(_Section):
    """One burn-rate tier: two windows, the budget share it stands for, and a cap."""

    severity: Severity
    long: Duration
    short: Duration
    budget_share: Ratio = Field(description="Share of the period's budget the long window "
                                            "may burn before this tier fires (workbook: 2 %).")
    max_error_ratio: Ratio = Field(description="Never ask for more bad events than this share, "
                                               "so the tier can fire whatever the objective.")
    for_: Duration = Field(alias="for")

    @model_validator(mode="after")
    def _short_within_long(self) -> Self:
        if seconds(self.short) >= seconds(self.long):
            raise ValueError(f"tier {self.long}/{self.short}: short must be shorter than long")
        return self


class BurnRate(_Section):
    """The period objectives are kept over and the tiers every objective gets."""

    period: Duration = "30d"
    tiers: tuple[Tier, ...] = Field(min_length=1)


class Objective(_Section):
    """A ratio SLI's objective on one view: default, overrides per view key, guards."""

    view: str
    default: Ratio
    keys: dict[str, Ratio] = Field(default_factory=dict)
    min_events: int = Field(ge=1, description="Events the long window must hold.")
    stale_after: Duration = Field(description="No new event for this long: the SLI is stale.")


class Threshold(_Section):
    """A live-window figure compared with a fixed limit (or the data file's targets)."""

    view: str
    window: Literal["1h", "24h"]
    default: float | None = None
    keys: dict[str, float] = Field(default_factory=dict)
    min_events: int | None = Field(None, ge=1)
    for_: Duration = Field(alias="for")
    severity: Severity = "warning"
    stale_after: Duration


class Limit(_Section):
    """A pipeline-health limit: value above ``above`` for ``for``."""

    above: float = 0
    window: Duration = "10m"
    min_events: int = Field(0, ge=0)
    for_: Duration = Field(alias="for")
    severity: Severity


class DiveAlert(_Section):
    """A dive alert (docs/dives.md): how long a dive must hold, and how loud it is."""

    for_: Duration = Field(alias="for")
    severity: Severity


class Receiver(_Section):
    """Where notifications go; any mix of the kinds below."""

    webhook: str | None = Field(None, description="URL that gets Alertmanager's JSON.")
    email: str | None = Field(None, description="Address (the sender is email.from).")
    wecom: dict[str, str] | None = Field(
        None, description="WeCom app: corp_id, agent_id, to_party or to_user; the api secret "
                          "is CXPULSE_ALERT_WECOM_API_SECRET.")
    bridge: Literal["dingtalk", "feishu"] | None = Field(
        None, description="Through `cxpulse notify-bridge` at routing.bridge_url.")

    @model_validator(mode="after")
    def _some_kind(self) -> Self:
        if not any((self.webhook, self.email, self.wecom, self.bridge)):
            raise ValueError("a receiver needs webhook, email, wecom or bridge")
        return self


class Route(_Section):
    """Alerts whose labels match all of ``match`` go to ``receiver`` (and on, with continue)."""

    match: dict[str, str]
    receiver: str
    continue_: bool = Field(False, alias="continue")
    repeat_interval: Duration | None = None


class Routing(_Section):
    """The Alertmanager routing tree, grouping and receivers."""

    receiver: str = Field(description="Where alerts no route matches go.")
    group_by: tuple[str, ...]
    group_wait: Duration = "30s"
    group_interval: Duration = "5m"
    repeat_interval: Duration = "4h"
    routes: tuple[Route, ...] = ()
    receivers: dict[str, Receiver]
    bridge_url: str = "http://notify-bridge:9094"
    email: dict[str, str] = Field(default_factory=dict,
                                  description="smarthost, from, auth_username; the password is "
                                              "read from auth_password_file.")

    @model_validator(mode="after")
    def _receivers_known(self) -> Self:
        names = [self.receiver, *(route.receiver for route in self.routes)]
        unknown = sorted({name for name in names if name not in self.receivers})
        if unknown:
            raise ValueError(f"unknown receivers {unknown}; known: {sorted(self.receivers)}")
        if any(r.email for r in self.receivers.values()) and "smarthost" not in self.email:
            raise ValueError("an email receiver needs email.smarthost and email.from")
        return self


class AlertSpec(_Section):
    """The whole spec file."""

    runbook_url: str = "docs/runbook.md"
    burn_rate: BurnRate
    objectives: dict[Literal["service_level", "complaint_response", "complaint_solution"],
                     Objective]
    thresholds: dict[Literal["first_response_score", "survey_index"], Threshold]
    pipeline: dict[str, Limit]
    dives: dict[Literal["time", "journey"], DiveAlert] = Field(default_factory=dict)
    routing: Routing


def load_spec(path: Path | None = None) -> AlertSpec:
    """The spec at ``path`` (None: alerts/spec.yaml); ConfigError names the file and field."""
    source = path or SPEC_FILE
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        return AlertSpec.model_validate(data)
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{source}: cannot read the alert spec: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            ".".join(str(p) for p in item["loc"]) + ": " + item["msg"]
            for item in error.errors(include_url=False, include_input=False))
        raise ConfigError(f"{source}: {problems}") from None
