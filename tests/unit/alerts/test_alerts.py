"""The generated alerts: up to date, mixin hygiene, a runbook section and a promtool test for
every alert, both languages, and secrets kept out of the committed Alertmanager config."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from alerts.alertmanager import WECOM_SECRET_PLACEHOLDER, with_secrets
from alerts.build import ALERTMANAGER_FILE, REPO, RULES_DIR, render_all
from alerts.spec import load_spec
from metrics.errors import ConfigError
from ops.cli import main
from streams.settings import Settings

ALERTS = yaml.safe_load((RULES_DIR / "cxpulse-alerts.rules.yml").read_text())
RULES = [rule for group in ALERTS["groups"] for rule in group["rules"]]
NAMES = sorted({rule["alert"] for rule in RULES})


def test_the_committed_files_are_what_the_spec_generates():
    assert main(["alerts", "build", "--check"]) == 0


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule["alert"])
def test_every_alert_follows_the_mixin_conventions(rule):
    assert re.fullmatch(r"Cxpulse[A-Z][A-Za-z]+", rule["alert"])
    assert rule["labels"]["severity"] in ("critical", "warning", "info")
    assert rule["labels"]["layer"] in ("data", "pipeline")
    assert set(rule["annotations"]) == {"summary", "description", "runbook_url"}
    assert rule["annotations"]["runbook_url"] == f"docs/runbook.md#{rule['alert'].lower()}"
    assert rule["for"]


def test_every_alert_has_a_runbook_section_and_a_promtool_test():
    runbook = (REPO / "docs" / "runbook.md").read_text()
    tests = "".join(p.read_text() for p in sorted((REPO / "alerts" / "tests").glob("*.yml"))
                    if "../rules/cxpulse-alerts.rules.yml" in p.read_text())
    assert [n for n in NAMES if f"\n## {n}\n" not in runbook] == []
    assert [n for n in NAMES if f"alertname: {n}\n" not in tests] == []


def test_chinese_annotations_pass_promtool(tmp_path: Path):
    texts = render_all(Settings(alert_language="zh"), load_spec())
    path = tmp_path / "zh.rules.yml"
    path.write_text(texts["rules/cxpulse-alerts.rules.yml"])
    rules = [r for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"]]

    assert all(re.search(r"[\u4e00-\u9fff]", r["annotations"]["summary"]) for r in rules)
    result = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_committed_alertmanager_config_holds_no_secret():
    text = ALERTMANAGER_FILE.read_text()

    assert WECOM_SECRET_PLACEHOLDER in text
    assert "auth_password:" not in text and "auth_password_file:" in text
    with pytest.raises(ConfigError, match="CXPULSE_ALERT_WECOM_API_SECRET"):
        with_secrets(text, None)
    assert "s3cret" in with_secrets(text, "s3cret")


def test_the_deployable_config_passes_amtool(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("CXPULSE_ALERT_WECOM_API_SECRET", "s3cret")
    out = tmp_path / "alertmanager.yml"
    (tmp_path / "templates").symlink_to(ALERTMANAGER_FILE.parent / "templates")

    assert main(["alerts", "alertmanager", "--out", str(out)]) == 0
    result = subprocess.run(["amtool", "check-config", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "api_secret: s3cret" in out.read_text()


def test_a_per_key_objective_names_a_key_of_its_view(tmp_path: Path):
    spec = (REPO / "alerts" / "spec.yaml").read_text().replace('"queue|complaints"',
                                                                 '"region|complaints"')
    path = tmp_path / "spec.yaml"
    path.write_text(spec)

    with pytest.raises(ConfigError, match="not a key of view queue"):
        render_all(Settings(), load_spec(path))
