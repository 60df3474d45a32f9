"""The series budget of an event file: per view, per family, in total, and `cxpulse views`."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from offline.budget import budget
from offline.report import build_report
from ops.cli import main
from streams.settings import Settings
from traffic.simulate import SimulatorConfig, generate
from traffic.simulated import item_bytes

START = datetime(2026, 3, 2, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture(scope="module")
def lines() -> list[bytes]:
    config = SimulatorConfig(seed=4, rate_per_s=2.0)
    return [item_bytes(item) for item in generate(config, None, START, count=2000)]


def test_budget_counts_every_rendered_series_by_view(lines):
    settings = Settings()
    views = settings.active_views()
    data = settings.data_config()
    report = build_report(lines, settings)

    found = budget(report, views, settings.exported_windows(), data.catalogue(),
                   data.survey_targets.rules())

    assert set(found.by_view) == {name for name, view in views.items() if view.export}
    assert found.series == sum(found.by_view.values()) == sum(found.by_family.values())
    assert found.keys["all"] == 1 and found.keys["journey"] > found.keys["region"] >= 1
    # Counters only for the counter views; windows only the exported ones.
    counter_keys = sum(found.keys[name] for name, view in views.items()
                       if view.counters and "calls" in view.groups)
    assert found.by_family["cxpulse_calls_offered"] == counter_keys
    assert found.bytes > 100 * found.series


def test_cli_views_prints_the_budget_and_refuses_a_missing_file(lines, tmp_path: Path, capsys):
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(lines) + b"\n")

    assert main(["views", str(events), "--families"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "journey" in out and "total" in out and "cxpulse_window_calls_offered" in out

    assert main(["views", str(tmp_path / "missing.jsonl")]) == 2
    assert "is not a file" in " ".join(capsys.readouterr().err.split())
