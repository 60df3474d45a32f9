"""The History board's SQL against the real PostgreSQL, on rows the project's own code wrote.

A small simulated file (2.8 days across the end of September 2026) is cut into closed windows
offline by the report engine (offline/history.py, the same windows the workers publish,
tests/integration/test_history.py) and written with the store's own upsert into a fresh schema.
Then every SQL target and variable of the committed JSON is filled the way Grafana fills it
(dashboards/sqlfill.py: variables quoted as the PostgreSQL datasource does, the macros
``$__unixEpochFrom()`` / ``$__unixEpochTo()`` expanded to the range's epoch seconds) and run:
each parses for every option of ``$metric``, ``$dimension`` and ``$questionnaire``, and returns
rows for the default selection. The daily trend equals ``cxpulse history --granularity day``
for every figure, value and n; the board renders to a PNG with no query error. No broker, no
worker: seconds, not minutes.
"""

import json
import math
import os
from datetime import UTC, datetime

import psycopg
import pytest

from dashboards.build import BUILD_DIR
from dashboards.render_sql import HistoryRenderer
from dashboards.sqlfill import fill, sql_queries, sql_variables
from metrics.history import DAY_S
from offline.history import closed_windows, segment_hours
from streams.history.query import Query, answer
from streams.history.store import open_store
from streams.settings import Settings
from traffic.simulate.config import SimulatorConfig
from traffic.simulate.generator import generate
from traffic.simulated import item_bytes

pytestmark = pytest.mark.integration
PG = "postgresql://postgres@127.0.0.1:5432/test"
SCHEMA = f"history_board_{os.getpid()}"
START = datetime(2026, 9, 30, tzinfo=UTC)
EVENTS = 12_000
FROM_S = int(datetime(2026, 9, 1, tzinfo=UTC).timestamp())
TO_S = int(datetime(2026, 10, 10, tzinfo=UTC).timestamp())   # in Q4: "last quarter" is Q3
Q3_S, Q4_S = (int(datetime(2026, m, 1, tzinfo=UTC).timestamp()) for m in (7, 10))


@pytest.fixture(scope="module")
def board() -> dict:
    return json.loads((BUILD_DIR / "cxpulse-history.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A fresh schema holding the closed windows of the file, written by Store.upsert."""
    path = tmp_path_factory.mktemp("history-board") / "events.jsonl"
    config = SimulatorConfig(seed=23, rate_per_s=0.05)
    path.write_bytes(b"".join(item_bytes(item) + b"\n"
                              for item in generate(config, None, START, count=EVENTS)))
    settings = Settings()
    report, hours = segment_hours(path, settings)
    windows = closed_windows(hours, settings.active_views().values(), settings.history_grace_s,
                             report.clock_s)
    months = {datetime.fromtimestamp(w.start_s, UTC).month for w in windows
              if w.size_s == DAY_S}
    assert months == {9, 10}, "the file must close a September and an October day"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
    url = f"{PG}?options=-csearch_path%3D{SCHEMA}"
    opened = open_store(url, {n: v.dimensions for n, v in settings.active_views().items()})
    try:
        assert opened.upsert(windows) > 0
        yield opened, settings
    finally:
        opened.close()
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def _run(store, sql: str) -> list[tuple]:
    cur = store.conn.cursor()
    try:
        cur.execute(sql)
        names = [c.name for c in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        store.conn.rollback()


def _options(variable: dict) -> list[str]:
    return [v.strip() for v in variable["query"].split(",")]


@pytest.fixture(scope="module")
def selection(board, store) -> dict:
    """Every variable at its default: custom ones their current value, the store's ones
    "All" (every value their own query lists, which must not be empty)."""
    opened, _ = store
    values: dict = {}
    for name, variable in sql_variables(board).items():
        if variable["type"] == "query":
            listed = [next(iter(row.values())) for row in _run(opened, variable["query"])]
            assert listed, f"${name} lists no values"
            values[name] = listed
        else:
            values[name] = variable["current"]["value"]
    return values


def _multi(board) -> set[str]:
    return {n for n, v in sql_variables(board).items() if v.get("multi") or v.get("includeAll")}


def _filled(board, sql: str, values: dict) -> str:
    return fill(sql, values, _multi(board), FROM_S, TO_S)


def test_every_query_returns_rows_for_the_default_selection(board, store, selection):
    opened, _ = store
    queries = sql_queries(board)
    assert len(queries) == 5
    for query in queries:
        runs = ([{**selection, query.repeat: value} for value in selection[query.repeat]]
                if query.repeat else [selection])
        for values in runs:
            rows = _run(opened, _filled(board, query.sql, values))
            where = f"{query.panel} / {query.ref} {values.get(query.repeat, '')}"
            assert rows, f"{where}: no rows"
            assert any(v is not None for row in rows for k, v in row.items()
                       if k not in ("time",)), where


def test_every_option_of_every_variable_parses(board, store, selection):
    opened, _ = store
    variables = sql_variables(board)
    for name in ("metric", "dimension", "questionnaire"):
        for option in _options(variables[name]):
            for query in sql_queries(board):
                _run(opened, _filled(board, query.sql, {**selection, name: option}))


def test_month_over_month_has_a_change_and_both_samples(board, store, selection):
    opened, _ = store
    (query,) = [q for q in sql_queries(board) if q.panel.startswith("Month over month")]
    rows = _run(opened, _filled(board, query.sql, selection))
    changed = [r for r in rows if r["change"] is not None]
    assert changed and all(r["sample previous month"] is not None for r in changed)
    assert {r["month"] for r in rows} == {"2026-09", "2026-10"}


def test_daily_trend_equals_cxpulse_history_for_every_figure(board, store, selection):
    opened, settings = store
    value_q, sample_q = [q for q in sql_queries(board) if q.format == "time_series"]
    compared = 0
    for metric in _options(sql_variables(board)["metric"]):
        values = {**selection, "metric": metric}
        got = {int(r["time"].timestamp()): r[metric]
               for r in _run(opened, _filled(board, value_q.sql, values))}
        n = {int(r["time"].timestamp()): r[f"n ({metric})"]
             for r in _run(opened, _filled(board, sample_q.sql, values))}
        want = answer(opened, Query(metric, since_s=FROM_S, until_s=TO_S), settings)
        for row in want:
            day = int(datetime.fromisoformat(row["period"]).timestamp())
            if row["value"] is None:
                assert got.get(day) is None, (metric, row)
                continue
            assert math.isclose(got[day], row["value"], rel_tol=1e-9), (metric, row, got[day])
            assert n[day] == row["n"], (metric, row, n[day])
            compared += 1
    assert compared > 40


def test_worst_regions_are_worst_first_in_the_quarter_before_the_range_end(board, store,
                                                                           selection):
    opened, settings = store
    (query,) = [q for q in sql_queries(board) if q.panel.startswith("Worst regions")]
    for metric, worse in (("calls.service_level", min), ("calls.abandonment_rate", max)):
        rows = _run(opened, _filled(board, query.sql, {**selection, "metric": metric}))
        values = [r["value"] for r in rows if r["value"] is not None]
        assert values[0] == worse(values), metric
    rows = _run(opened, _filled(board, query.sql, selection))
    q3 = answer(opened, Query("calls.service_level", since_s=Q3_S, until_s=Q4_S,
                              granularity="month"), settings)
    assert sum(r["sample (n)"] for r in rows) == sum(r["n"] for r in q3) > 0
    later = fill(query.sql, selection, _multi(board), FROM_S,
                 int(datetime(2027, 4, 5, tzinfo=UTC).timestamp()))
    assert _run(opened, later) == [], "nothing in Q1 2027"


def test_the_board_renders_to_png_from_postgresql(board, store, tmp_path):
    opened, _ = store
    url = f"{PG}?options=-csearch_path%3D{SCHEMA}"
    with HistoryRenderer.connect(url, now_s=TO_S) as renderer:
        path = renderer.render(board, tmp_path / "cxpulse-history.png")
        texts = renderer.values
        assert renderer.errors == []
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 50_000
    assert texts["business_line"], "the repeat draws one dive curve per business line"
