"""The renderer's formatting and colouring follow Grafana's rules for the units and
thresholds the boards use; variables are filled as Grafana fills "All"."""

import pytest

from dashboards.promql import fill, label_values, panel_queries
from dashboards.render import COLOURS, colour_of, fmt, legend, text_of

THRESHOLDS = {"mode": "absolute", "steps": [{"color": "red", "value": None},
                                            {"color": "green", "value": 0.8}]}
FLAG = [{"type": "value", "options": {"1": {"text": "low n (< 30)", "color": "orange"},
                                      "0": {"text": "ok", "color": "green"}}}]


@pytest.mark.parametrize("value, unit, decimals, expected", [
    (0.8125, "percentunit", 1, "81.2%"),
    (12.34, "s", 1, "12.3 s"),
    (0.25, "s", 1, "250 ms"),
    (7200, "s", 1, "2.0 h"),
    (3.5, "cpm", 1, "3.5/min"),
    (1234.0, "none", None, "1,234"),
    (None, "none", 0, "-"),
])
def test_fmt(value, unit, decimals, expected):
    assert fmt(value, unit, decimals) == expected


@pytest.mark.parametrize("value, expected", [
    (0.79999, COLOURS["red"]), (0.8, COLOURS["green"]), (0.95, COLOURS["green"]), (None, None),
])
def test_thresholds_colour_from_each_step_upwards(value, expected):
    assert colour_of(value, THRESHOLDS, None) == expected


def test_value_mappings_win_over_thresholds_and_give_the_text():
    assert colour_of(1.0, THRESHOLDS, FLAG) == COLOURS["orange"]
    assert text_of(1.0, "none", None, FLAG) == "low n (< 30)"
    assert text_of(0.5, "percentunit", 0, FLAG) == "50%"


def test_legend_fills_labels():
    assert legend("{{queue}} calls", {"queue": "repairs"}) == "repairs calls"


def test_fill_selects_all_keys_and_the_window():
    expr = 'x{queue=~"$queue",window="$window"}[$__rate_interval] offset $__range'
    assert fill(expr, window="24h", range_s=600) == \
        'x{queue=~".*",window="24h"}[1m] offset 600s'
    assert fill('y{region=~"$region"}', selected={"region": "east"}) == 'y{region=~"east"}'


def test_label_values_and_panel_queries():
    assert label_values('label_values(m{view="queue"}, queue)') == ('m{view="queue"}', "queue")
    board = {"uid": "b", "panels": [{"type": "row"}, {"title": "t", "targets": [
        {"refId": "A", "expr": "up", "legendFormat": "{{instance}}", "instant": True}]}]}
    [query] = panel_queries(board)
    assert (query.panel, query.ref, query.expr, query.instant) == ("t", "A", "up", True)
