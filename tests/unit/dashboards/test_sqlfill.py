"""Grafana's SQL interpolation, as dashboards/sqlfill.py reproduces it for tests and renders."""

import pytest

from dashboards.sqlfill import fill, quote

MULTI = {"region", "business_line"}


@pytest.mark.parametrize(("sql", "values", "expected"), [
    ("t.figure = '$metric'", {"metric": "calls.service_level"},
     "t.figure = 'calls.service_level'"),
    ("x = '$metric'", {"metric": "it's"}, "x = 'it''s'"),
    ("region IN ($region)", {"region": ["north", "south"]}, "region IN ('north','south')"),
    ("region IN ($region)", {"region": "north"}, "region IN ('north')"),
    ("region IN (${region})", {"region": ["o'neil"]}, "region IN ('o''neil')"),
    ("h.$dimension AS key", {"dimension": "channel"}, "h.channel AS key"),
    ("s >= $__unixEpochFrom() AND s < $__unixEpochTo()", {}, "s >= 100 AND s < 200"),
    ("$unknown stays", {}, "$unknown stays"),
])
def test_fill_table(sql: str, values: dict, expected: str) -> None:
    assert fill(sql, values, MULTI, 100, 200) == expected


def test_other_macros_are_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match=r"\$__timeFilter"):
        fill("WHERE $__timeFilter(time)", {}, MULTI, 0, 1)


@pytest.mark.parametrize(("value", "expected"), [("a", "'a'"), ("", "''"), ("a'b", "'a''b'")])
def test_quote_table(value: str, expected: str) -> None:
    assert quote(value) == expected
