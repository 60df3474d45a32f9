"""Prometheus and Alertmanager for the embedded stack: find the binaries, write their configs."""

import shutil
from pathlib import Path

import yaml

RULES_DIR = Path(__file__).resolve().parent.parent / "alerts" / "rules"
PROMETHEUS_CANDIDATES = ("prometheus",)
ALERTMANAGER_CANDIDATES = ("prometheus-alertmanager", "alertmanager")


def find_binary(candidates: tuple[str, ...]) -> str | None:
    """First of ``candidates`` on PATH (Debian names Alertmanager prometheus-alertmanager)."""
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    return None


def prometheus_config(worker_ports: list[int], alertmanager_port: int | None,
                      rules_dir: Path = RULES_DIR, scrape_interval_s: int = 5) -> dict:
    """The embedded Prometheus config: scrape every worker, load the repo's alert rules."""
    config: dict = {
        "global": {
            "scrape_interval": f"{scrape_interval_s}s",
            "evaluation_interval": f"{scrape_interval_s}s",
        },
        "rule_files": [str(rules_dir / "*.yml")],
        "scrape_configs": [
            {
                "job_name": "cxpulse",
                "static_configs": [
                    {"targets": [f"127.0.0.1:{port}" for port in worker_ports]}
                ],
            }
        ],
    }
    if alertmanager_port is not None:
        config["alerting"] = {
            "alertmanagers": [
                {"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}
            ]
        }
    return config


def alertmanager_config() -> dict:
    """A local Alertmanager that groups by alert and severity and notifies nobody.

    Alerts are visible in its UI and API; production receivers live in
    deploy/alertmanager/alertmanager.yml.
    """
    return {
        "route": {
            "receiver": "local",
            "group_by": ["alertname", "severity"],
            "group_wait": "10s",
            "group_interval": "1m",
            "repeat_interval": "4h",
        },
        "receivers": [{"name": "local"}],
    }


def write_yaml(path: Path, data: dict) -> Path:
    """Write ``data`` as YAML, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
