"""The Alertmanager config from the spec's routing: tree, grouping, inhibition, receivers.

Secrets stay out of the generated file: the SMTP password is read from
``email.auth_password_file``; WeCom's api secret (Alertmanager 0.25 has no file form of it) is
written as a placeholder that :func:`with_secrets` replaces from ``CXPULSE_ALERT_WECOM_API_SECRET``
when ``cxpulse alerts alertmanager OUT`` renders the deployable file; DingTalk and Feishu
tokens live only in the notify bridge's settings.
"""

from collections.abc import Iterable

from alerts.spec import AlertSpec
from metrics.errors import ConfigError

WECOM_SECRET_PLACEHOLDER = "<CXPULSE_ALERT_WECOM_API_SECRET>"
#: Alerts that mean the pipeline itself is broken: they mute the data alerts they cause.
OUTAGES = ("CxpulseWorkerDown", "CxpulseNoWorkerUp", "CxpulseConsumerLagHigh",
           "CxpulseMessagesSkipped")
#: Dive alerts, and the SLI whose stale or absent input freezes the gauges they read: with no
#: new survey the dive gauges keep their last value, so a dive would stay on regardless.
DIVES = ("CxpulseTimeDive", "CxpulseJourneyDive")
SURVEY_SLI = "survey_index"
#: Labels that tell two alerts about the same key apart (absent labels compare equal).
KEY_LABELS = ("alertname", "slo", "view", "region", "channel", "queue", "business_line",
              "journey_stage", "agent", "kind", "clock", "questionnaire", "dimension", "topic",
              "instance")


def _matchers(match: dict[str, str]) -> list[str]:
    return [f'{label}="{value}"' for label, value in sorted(match.items())]


def _receiver(name: str, spec: AlertSpec) -> dict:
    receiver = spec.routing.receivers[name]
    out: dict = {"name": name}
    webhooks = []
    if receiver.webhook:
        webhooks.append({"url": receiver.webhook, "send_resolved": True})
    if receiver.bridge:
        webhooks.append({"url": f"{spec.routing.bridge_url}/{receiver.bridge}",
                         "send_resolved": True})
    if webhooks:
        out["webhook_configs"] = webhooks
    if receiver.email:
        email = spec.routing.email
        config = {"to": receiver.email, "from": email["from"], "smarthost": email["smarthost"],
                  "send_resolved": True}
        if "auth_username" in email:
            config["auth_username"] = email["auth_username"]
            config["auth_password_file"] = email["auth_password_file"]
        out["email_configs"] = [config]
    if receiver.wecom:
        out["wechat_configs"] = [{**receiver.wecom, "api_secret": WECOM_SECRET_PLACEHOLDER,
                                  "message": '{{ template "cxpulse.text" . }}',
                                  "send_resolved": True}]
    return out


def config(spec: AlertSpec, template_files: Iterable[str] = ()) -> dict:
    """The Alertmanager config as a dict (yaml.safe_dump it)."""
    routing = spec.routing
    routes = []
    for route in routing.routes:
        item: dict = {"receiver": route.receiver, "matchers": _matchers(route.match)}
        if route.continue_:
            item["continue"] = True
        if route.repeat_interval:
            item["repeat_interval"] = route.repeat_interval
        routes.append(item)
    return {
        "global": {"resolve_timeout": "5m"},
        "templates": list(template_files),
        "route": {"receiver": routing.receiver, "group_by": list(routing.group_by),
                  "group_wait": routing.group_wait, "group_interval": routing.group_interval,
                  "repeat_interval": routing.repeat_interval, "routes": routes},
        "inhibit_rules": [
            # A critical burn mutes the warning tier of the same alert and key.
            {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
             "equal": list(KEY_LABELS)},
            # A pipeline outage mutes the data alerts it causes (absent or skewed inputs).
            {"source_matchers": [f'alertname=~"{"|".join(OUTAGES)}"'],
             "target_matchers": ['layer="data"']},
            # Stale or absent survey data mutes the dive alerts that read it.
            {"source_matchers": ['alertname=~"CxpulseSliStale|CxpulseSliAbsent"',
                                 f'slo="{SURVEY_SLI}"'],
             "target_matchers": [f'alertname=~"{"|".join(DIVES)}"']},
        ],
        "receivers": [_receiver(name, spec) for name in routing.receivers],
    }


def with_secrets(text: str, wecom_api_secret: str | None) -> str:
    """The generated config with the WeCom placeholder replaced by the secret."""
    if WECOM_SECRET_PLACEHOLDER in text:
        if not wecom_api_secret:
            raise ConfigError("CXPULSE_ALERT_WECOM_API_SECRET must be set: the alert spec has a "
                              "WeCom receiver")
        text = text.replace(WECOM_SECRET_PLACEHOLDER, wecom_api_secret)
    return text
