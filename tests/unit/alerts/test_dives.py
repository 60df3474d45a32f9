"""Dive alerts from the spec's ``dives`` and the data file's dive views: one rule per view,
stable labels, every view configured, an entry left out gives no alert."""

import pytest

from alerts.dives import dive_alerts
from alerts.rules import Writer
from alerts.spec import AlertSpec, load_spec
from metrics.errors import ConfigError
from streams.settings import Settings

VIEWS = Settings().configured_views()
TIME_VIEWS = ("all", "region", "region_stage", "journey")


def _spec(**dives: dict) -> AlertSpec:
    return AlertSpec.model_validate({**load_spec().model_dump(by_alias=True), "dives": dives})


def _rules(spec: AlertSpec, time_views=TIME_VIEWS, journey_view="journey") -> list[dict]:
    return dive_alerts(Writer(spec, "en"), VIEWS, time_views, journey_view, 7, "7d")


@pytest.mark.parametrize(("dives", "expected"), [
    ({"time": {"for": "10m", "severity": "warning"}},
     [("CxpulseTimeDive", view) for view in TIME_VIEWS]),
    ({"journey": {"for": "1h", "severity": "info"}}, [("CxpulseJourneyDive", "journey")]),
    ({}, []),
])
def test_one_rule_per_view_of_each_spec_entry(dives, expected):
    rules = _rules(_spec(**dives))

    assert [(r["alert"], r["expr"].split('view="')[1].split('"')[0]) for r in rules] == expected


def test_the_rule_keeps_the_key_and_kind_not_the_worker_nor_the_driver():
    (rule,) = _rules(_spec(journey={"for": "1h", "severity": "info"}))

    assert "max without (instance)" in rule["expr"]
    assert "and on (view, business_line, journey_stage, kind)" in rule["expr"]
    assert "dimension" not in rule["expr"] and "measure" not in rule["expr"]
    assert rule["labels"] == {"severity": "info", "layer": "data"}


def test_a_dive_view_missing_from_the_views_names_it():
    with pytest.raises(ConfigError, match="dives.time: view 'nowhere'"):
        _rules(_spec(time={"for": "10m", "severity": "warning"}), time_views=("nowhere",))
