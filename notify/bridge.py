"""The bridge's HTTP server: POST /dingtalk and POST /feishu take an Alertmanager webhook body
and post the matching robot message; GET /-/ready answers once it listens.

A robot that answers non-2xx, or DingTalk/Feishu's own ``errcode``/``code`` other than 0, makes
the bridge answer 502, so Alertmanager retries and counts the failure
(``alertmanager_notifications_failed_total``). Targets without a URL answer 503 naming the
setting. URLs and secrets come from SecretStr settings and are never logged.
"""

import asyncio
import json
import logging
import time

import aiohttp
from aiohttp import web

from notify import payloads

log = logging.getLogger(__name__)
TIMEOUT = aiohttp.ClientTimeout(total=10)


def _secret(value) -> str | None:
    return value.get_secret_value() if value is not None else None


def make_app(settings) -> web.Application:
    """The aiohttp application for ``settings`` (CXPULSE_NOTIFY_* and CXPULSE_ALERT_LANGUAGE)."""
    language = settings.alert_language
    targets = {
        "dingtalk": (_secret(settings.notify_dingtalk_url),
                     _secret(settings.notify_dingtalk_secret), "CXPULSE_NOTIFY_DINGTALK_URL"),
        "feishu": (_secret(settings.notify_feishu_url), _secret(settings.notify_feishu_secret),
                   "CXPULSE_NOTIFY_FEISHU_URL"),
    }

    async def forward(request: web.Request) -> web.Response:
        target = request.match_info["target"]
        url, secret, setting = targets[target]
        if not url:
            return web.Response(status=503, text=f"{setting} is not set")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400, text="expected Alertmanager's webhook JSON")
        if target == "dingtalk":
            message = payloads.dingtalk(body, language)
            url = payloads.dingtalk_url(url, secret, int(time.time() * 1000))
        else:
            message = payloads.feishu_signed(payloads.feishu(body, language), secret,
                                             int(time.time()))
        try:
            async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
                async with session.post(url, json=message) as answer:
                    reply = await answer.text()
                    ok = answer.status < 300 and _accepted(reply)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            log.warning("%s: post failed: %s", target, type(error).__name__)
            return web.Response(status=502, text=f"{target} unreachable")
        if not ok:
            log.warning("%s: refused the message: HTTP %s %s", target, answer.status, reply[:200])
            return web.Response(status=502, text=f"{target} refused the message")
        return web.Response(text="ok")

    async def ready(request: web.Request) -> web.Response:
        return web.Response(text="ready")

    app = web.Application()
    app.add_routes([web.post("/{target:dingtalk|feishu}", forward), web.get("/-/ready", ready)])
    return app


def _accepted(reply: str) -> bool:
    """DingTalk answers errcode 0, Feishu code 0 (StatusCode 0 in old versions) on success."""
    try:
        data = json.loads(reply)
    except json.JSONDecodeError:
        return True
    if not isinstance(data, dict):
        return True
    return all(data.get(key, 0) == 0 for key in ("errcode", "code", "StatusCode"))


def run_bridge(settings, host: str, port: int) -> None:
    """Serve until Ctrl-C or SIGTERM."""
    web.run_app(make_app(settings), host=host, port=port, print=None)
