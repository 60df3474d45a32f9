"""The generated Prometheus and Alertmanager configs pass the real promtool and amtool."""

import shutil
import subprocess
from pathlib import Path

import pytest

from ops.monitoring import RULES_DIR, alertmanager_config, prometheus_config, write_yaml

REPO_RULES = Path(__file__).resolve().parents[3] / "alerts" / "rules"


def _tool(name: str) -> str:
    """The binary's path; a missing binary fails the test, it never skips it."""
    path = shutil.which(name) or shutil.which(name, path="/usr/bin")
    if path is None:
        pytest.fail(f"{name} not found on PATH or in /usr/bin: install the Debian package "
                    f"{'prometheus' if name == 'promtool' else 'prometheus-alertmanager'}")
    return path


def _check(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


def test_rules_dir_is_the_repo_alerts_rules_folder():
    assert RULES_DIR == REPO_RULES
    assert sorted(REPO_RULES.glob("*.yml")), "alerts/rules holds no rule file"


@pytest.mark.parametrize(
    ("worker_ports", "alertmanager_port"), [([6066, 6067], 9093), ([6066], None)]
)
def test_prometheus_config_passes_promtool(tmp_path, worker_ports, alertmanager_port):
    promtool = _tool("promtool")
    path = write_yaml(tmp_path / "prometheus.yml",
                      prometheus_config(worker_ports, alertmanager_port))

    result = _check(promtool, "check", "config", str(path))

    assert result.returncode == 0, result.stdout + result.stderr
    rule_files = sorted(REPO_RULES.glob("*.yml"))
    assert f"SUCCESS: {len(rule_files)} rule files found" in result.stdout
    for rule_file in rule_files:
        assert f"Checking {rule_file}" in result.stdout


def test_prometheus_config_targets_and_alertmanager():
    config = prometheus_config([6066, 6067], 9093, scrape_interval_s=15)

    assert config["global"] == {"scrape_interval": "15s", "evaluation_interval": "15s"}
    assert config["scrape_configs"][0]["static_configs"] == [
        {"targets": ["127.0.0.1:6066", "127.0.0.1:6067"]}]
    assert config["alerting"]["alertmanagers"][0]["static_configs"] == [
        {"targets": ["127.0.0.1:9093"]}]
    assert "alerting" not in prometheus_config([6066], None)


def test_promtool_rejects_a_broken_rule_file(tmp_path):
    """Negative control: the check above would notice a bad rule in the rules folder."""
    promtool = _tool("promtool")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yml").write_text("groups:\n  - name: x\n    rules:\n      - alert: X\n"
                                   "        expr: up ==\n")
    path = write_yaml(tmp_path / "prometheus.yml", prometheus_config([6066], None, rules))

    result = _check(promtool, "check", "config", str(path))

    assert result.returncode != 0


def test_alertmanager_config_passes_amtool(tmp_path):
    amtool = _tool("amtool")
    path = write_yaml(tmp_path / "alertmanager.yml", alertmanager_config())

    result = _check(amtool, "check-config", str(path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert " - 1 receivers" in result.stdout


def test_amtool_rejects_a_route_to_a_missing_receiver(tmp_path):
    """Negative control: amtool really checks the config it is given."""
    amtool = _tool("amtool")
    config = alertmanager_config()
    config["route"]["receiver"] = "nobody"
    path = write_yaml(tmp_path / "alertmanager.yml", config)

    result = _check(amtool, "check-config", str(path))

    assert result.returncode != 0


def test_write_yaml_creates_parent_folders(tmp_path):
    path = write_yaml(tmp_path / "a" / "b" / "am.yml", alertmanager_config())

    assert path.read_text().startswith("route:\n")
