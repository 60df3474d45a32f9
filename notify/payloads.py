"""DingTalk and Feishu robot messages from an Alertmanager webhook body: pure functions.

Alertmanager posts ``{"status", "alerts": [{"status", "labels", "annotations", ...}], ...}``
(webhook version 4). DingTalk's custom robot takes ``{"msgtype": "markdown", "markdown":
{"title", "text"}}`` and, when the robot signs, ``timestamp`` (ms) and ``sign`` query
parameters: base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")). Feishu's custom bot
takes ``{"msg_type": "interactive", "card": {...}}`` and, when it checks signatures,
``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b""))
in the body.
"""

import base64
import hashlib
import hmac
import urllib.parse
from collections.abc import Mapping

TITLES = {"en": {"firing": "FIRING", "resolved": "RESOLVED", "runbook": "Runbook"},
          "zh": {"firing": "告警", "resolved": "已恢复", "runbook": "处置手册"}}
EMOJI = {"critical": "🔴", "warning": "🟠", "info": "🔵"}


def _alert_lines(alert: Mapping, words: Mapping[str, str]) -> tuple[str, str, str]:
    labels, notes = alert.get("labels", {}), alert.get("annotations", {})
    status = words.get(alert.get("status", "firing"), alert.get("status", ""))
    head = f"{EMOJI.get(labels.get('severity', ''), '')} [{status}] {notes.get('summary', labels.get('alertname', ''))}"
    return head.strip(), notes.get("description", ""), notes.get("runbook_url", "")


def title(body: Mapping, language: str = "en") -> str:
    """``[FIRING:2] CxpulseServiceLevelBudgetBurn`` (resolved groups have no count)."""
    words = TITLES[language]
    status = body.get("status", "firing")
    count = f":{len([a for a in body.get('alerts', []) if a.get('status') == 'firing'])}" \
        if status == "firing" else ""
    name = body.get("commonLabels", {}).get("alertname", "cxpulse")
    return f"[{words.get(status, status)}{count}] {name}"


def dingtalk(body: Mapping, language: str = "en") -> dict:
    """The DingTalk markdown message for one Alertmanager notification."""
    words = TITLES[language]
    parts = [f"### {title(body, language)}"]
    for alert in body.get("alerts", []):
        head, description, runbook = _alert_lines(alert, words)
        parts.append(f"**{head}**\n\n{description}" + (f"\n\n[{words['runbook']}]({runbook})"
                                                        if runbook else ""))
    return {"msgtype": "markdown",
            "markdown": {"title": title(body, language), "text": "\n\n".join(parts)}}


def feishu(body: Mapping, language: str = "en") -> dict:
    """The Feishu interactive card for one Alertmanager notification."""
    words = TITLES[language]
    elements = []
    for alert in body.get("alerts", []):
        head, description, runbook = _alert_lines(alert, words)
        text = f"**{head}**\n{description}" + (f"\n[{words['runbook']}]({runbook})"
                                               if runbook else "")
        elements.append({"tag": "div", "text": {"tag": "lark_md", "content": text}})
    colour = "green" if body.get("status") == "resolved" else "red"
    return {"msg_type": "interactive",
            "card": {"header": {"title": {"tag": "plain_text", "content": title(body, language)},
                                "template": colour},
                     "elements": elements}}


def dingtalk_url(url: str, secret: str | None, timestamp_ms: int) -> str:
    """The robot URL with ``timestamp`` and ``sign`` added when the robot signs."""
    if not secret:
        return url
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp_ms}&sign={sign}"


def feishu_signed(payload: dict, secret: str | None, timestamp_s: int) -> dict:
    """The payload with ``timestamp`` and ``sign`` when the bot checks signatures."""
    if not secret:
        return payload
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return {"timestamp": str(timestamp_s), "sign": base64.b64encode(digest).decode(), **payload}
