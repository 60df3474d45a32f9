"""The history store on both backends: migrations, idempotent upserts, retention, queries.

PostgreSQL is the real server on 127.0.0.1:5432 (database ``test``, trust auth), in a schema of
this module's own, dropped at the end."""

import os

import psycopg
import pytest

from metrics.history import DAY_S, HOUR_S, ClosedWindow
from streams.history.query import Query, answer
from streams.history.store import SCHEMA_VERSION, open_store
from streams.settings import Settings

PG = "postgresql://postgres@127.0.0.1:5432/test"
SCHEMA = f"history_unit_{os.getpid()}"
SETTINGS = Settings()
DIMENSIONS = {name: view.dimensions for name, view in SETTINGS.active_views().items()}
DAY = 20_000 * DAY_S
SEG = "segment|north|phone|q1|residential|usage|old|all"
SEG2 = "segment|east|phone|q1|residential|usage|old|all"


@pytest.fixture(scope="module")
def pg_schema():
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    yield SCHEMA
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, pg_schema):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    else:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {pg_schema} CASCADE")
            conn.execute(f"CREATE SCHEMA {pg_schema}")
        url = f"{PG}?options=-csearch_path%3D{pg_schema}"
    opened = open_store(url, DIMENSIONS)
    yield opened
    opened.close()


def test_migrations_record_the_schema_version_and_run_once(store):
    assert store.version() == SCHEMA_VERSION
    assert store.migrate() == SCHEMA_VERSION


def test_an_upsert_of_the_same_window_replaces_its_rows(store):
    first = ClosedWindow(SEG, DAY, DAY_S, {"calls/offered": 3, "calls/answered": 2})
    store.upsert([first], ("cx.history", 0, 41))
    store.upsert([first], ("cx.history", 0, 41))   # a redelivery
    amended = ClosedWindow(SEG, DAY, DAY_S, {"calls/offered": 4, "calls/answered": 2})
    store.upsert([amended], ("cx.history", 0, 42))
    assert store.rows() == {("calls/answered", SEG, DAY, DAY_S): 2.0,
                            ("calls/offered", SEG, DAY, DAY_S): 4.0}
    assert store.next_offset("cx.history", 0) == 43
    assert store.next_offset("cx.history", 1) is None


def test_view_rows_name_their_dimensions_and_star_the_rest(store):
    store.upsert([ClosedWindow("region|north", DAY, HOUR_S, {"calls/offered": 1})])
    (region, channel), = store.execute("SELECT region, channel FROM history")
    assert (region, channel) == ("north", "*")


def test_retention_counts_back_from_the_newest_window(store):
    store.upsert([ClosedWindow(SEG, DAY + d * DAY_S, DAY_S, {"calls/offered": 1})
                  for d in range(5)])
    assert store.retain(DAY_S, 2 * DAY_S) == 2
    assert sorted(s for _, _, s, _ in store.rows()) == [DAY + 2 * DAY_S, DAY + 3 * DAY_S,
                                                        DAY + 4 * DAY_S]


def test_a_month_is_re_aggregated_from_sums_never_from_daily_ratios(store):
    # Day 1: 9 of 10 on target (90 %); day 2: 1 of 90 (1.1 %). The month is 10 / 100, not the
    # mean of the two daily ratios (45.6 %).
    store.upsert([
        ClosedWindow(SEG, DAY, DAY_S, {"calls/offered": 10, "calls/answered_within_target": 9}),
        ClosedWindow(SEG2, DAY + DAY_S, DAY_S,
                     {"calls/offered": 90, "calls/answered_within_target": 1}),
    ])
    rows = answer(store, Query("calls.service_level", granularity="month"), SETTINGS)
    assert [(row["value"], row["n"]) for row in rows] == [(0.1, 100)]
    by_region = answer(store, Query("calls.service_level", by=("region",), granularity="day"),
                       SETTINGS)
    assert [(row["region"], row["value"]) for row in by_region] == [("north", 0.9),
                                                                    ("east", 1 / 90)]
