"""The Satisfaction board's dive queries on synthetic dive gauges, through promtool's PromQL
engine: a dive on now is one row per key whichever worker exports it, with its driver as
labels; starts and ends mark the minute the gauge turns; a key not diving shows nothing."""

import subprocess
from pathlib import Path

import pytest
import yaml

from dashboards.promql import fill
from dashboards.queries import dives
from streams.settings import Settings

VIEWS = Settings().configured_views()
DIVE_VIEWS = [VIEWS[name] for name in ("all", "region", "region_stage", "journey")]
EAST = 'view="region_stage",region="east",journey_stage="repair",kind="time"'
KEY = ('key="region_stage|east|repair",view="region_stage",region="east",'
       'journey_stage="repair",kind="time"')
DRIVER = 'dimension="timeliness",measure="sla_miss"'


def _series(family: str, labels: str, values: str) -> dict:
    return {"series": f"{family}{{{labels}}}", "values": values}


INPUT = [
    # East repairs dive from minute 2 to minute 4 on w1; w2 held the key before and says 0.
    _series("cxpulse_dive_active", f'instance="w1",{EAST}', "0 0 1 1 1 0 0"),
    _series("cxpulse_dive_active", f'instance="w2",{EAST}', "0x6"),
    _series("cxpulse_dive_depth_points", f'instance="w1",{EAST}', "1 1 14.2x4"),
    _series("cxpulse_dive_responses", f'instance="w1",{EAST},side="judged"', "0 0 40x4"),
    _series("cxpulse_dive_driver", f'instance="w1",{EAST},{DRIVER}', "1x6"),
    # North is judged, not diving.
    _series("cxpulse_dive_active", 'instance="w1",view="region",region="north",kind="time"',
            "0x6"),
    _series("cxpulse_dive_depth_points",
            'instance="w1",view="region",region="north",kind="time"', "9x6"),
    _series("cxpulse_dive_driver",
            'instance="w1",view="region",region="north",kind="time",dimension="none",'
            'measure="none"', "1x6"),
]


@pytest.mark.parametrize(("expr", "minute", "expected"), [
    (dives.on_now(DIVE_VIEWS, "cxpulse_dive_depth_points"), 3, [(f"{KEY},{DRIVER}", 14.2)]),
    (dives.on_now(DIVE_VIEWS, "cxpulse_dive_responses", side="judged"), 3,
     [(f"{KEY},{DRIVER}", 40)]),
    (dives.on_now(DIVE_VIEWS, "cxpulse_dive_depth_points"), 5, []),
    (dives.starts(DIVE_VIEWS), 2, [(KEY, 1)]),
    (dives.starts(DIVE_VIEWS), 3, []),
    (dives.ends(DIVE_VIEWS), 5, [(KEY, 1)]),
    (dives.ends(DIVE_VIEWS), 6, []),
], ids=["depth", "judged", "over", "start", "after-start", "end", "after-end"])
def test_dive_query(tmp_path: Path, expr: str, minute: int, expected: list):
    test = {"rule_files": [], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": INPUT,
        "promql_expr_test": [{"expr": fill(expr), "eval_time": f"{minute}m",
                              "exp_samples": [{"labels": f"{{{labels}}}", "value": value}
                                              for labels, value in expected]}]}]}
    path = tmp_path / "dives.test.yml"
    path.write_text(yaml.safe_dump(test))

    result = subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
