"""DingTalk and Feishu payloads from an Alertmanager webhook body, and their signatures."""

import base64
import hashlib
import hmac
import urllib.parse

import pytest

from notify import payloads

BODY = {
    "version": "4", "status": "firing", "receiver": "repairs-dingtalk",
    "commonLabels": {"alertname": "CxpulseServiceLevelBudgetBurn"},
    "alerts": [{
        "status": "firing",
        "labels": {"alertname": "CxpulseServiceLevelBudgetBurn", "severity": "critical",
                   "queue": "repairs"},
        "annotations": {"summary": "queue|repairs: service level is burning its error budget",
                        "description": "queue|repairs: service level was 12% (objective 80%)",
                        "runbook_url": "docs/runbook.md#cxpulseservicelevelbudgetburn"}}],
}


def test_dingtalk_markdown_names_the_key_and_figures():
    message = payloads.dingtalk(BODY)

    assert message["msgtype"] == "markdown"
    assert message["markdown"]["title"] == "[FIRING:1] CxpulseServiceLevelBudgetBurn"
    text = message["markdown"]["text"]
    assert "queue|repairs: service level was 12% (objective 80%)" in text
    assert "[Runbook](docs/runbook.md#cxpulseservicelevelbudgetburn)" in text


def test_feishu_card_is_red_when_firing_and_green_when_resolved():
    firing = payloads.feishu(BODY, "zh")
    resolved = payloads.feishu({**BODY, "status": "resolved",
                                "alerts": [{**BODY["alerts"][0], "status": "resolved"}]}, "zh")

    assert firing["msg_type"] == "interactive"
    assert firing["card"]["header"]["template"] == "red"
    assert firing["card"]["header"]["title"]["content"] == "[告警:1] CxpulseServiceLevelBudgetBurn"
    assert resolved["card"]["header"]["template"] == "green"
    assert "[已恢复]" in resolved["card"]["elements"][0]["text"]["content"]


def test_dingtalk_signature_follows_the_robot_documentation():
    url = payloads.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=t", "SECx",
                                1_700_000_000_000)

    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    expected = base64.b64encode(hmac.new(b"SECx", b"1700000000000\nSECx",
                                         hashlib.sha256).digest()).decode()
    assert query["timestamp"] == ["1700000000000"] and query["sign"] == [expected]
    assert payloads.dingtalk_url("https://x/send?access_token=t", None, 1) == \
        "https://x/send?access_token=t"


def test_feishu_signature_follows_the_bot_documentation():
    signed = payloads.feishu_signed({"msg_type": "text"}, "s", 1_700_000_000)

    expected = base64.b64encode(hmac.new(b"1700000000\ns", b"", hashlib.sha256).digest()).decode()
    assert signed == {"timestamp": "1700000000", "sign": expected, "msg_type": "text"}


@pytest.mark.parametrize(("reply", "accepted"), [
    ('{"errcode": 0, "errmsg": "ok"}', True), ('{"errcode": 310000}', False),
    ('{"code": 0, "msg": "success"}', True), ('{"code": 19021}', False), ("ok", True)])
def test_robot_replies(reply, accepted):
    from notify.bridge import _accepted

    assert _accepted(reply) is accepted
