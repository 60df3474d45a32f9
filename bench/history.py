"""History store budget: rows and bytes per day, and the example questions' query time.

Simulates DAYS days at the parity world's rate (1 event/s, the simulator's default segments),
computes the closed windows the stream writes (offline/history.py: the report engine,
cut as stage 2 cuts them; tests/integration/test_history.py shows the stream writes exactly
these), upserts them into a fresh SQLite file and a fresh PostgreSQL schema, and times the
three example queries of docs/history.md on each store.

    flock /tmp/cxpulse-heavy.lock timeout 1200 .venv/bin/python -m bench.history [--days 30]
"""

import argparse
import os
import shutil
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from metrics.history import DAY_S
from offline.history import closed_windows, segment_hours
from streams.history.store import open_store
from streams.settings import Settings
from traffic.simulate.config import SimulatorConfig
from traffic.simulate.generator import generate
from traffic.simulated import item_bytes

PG = "postgresql://postgres@127.0.0.1:5432/test"
START = datetime(2026, 9, 1, tzinfo=UTC)

#: The example questions of docs/history.md, in the SQL both stores run.
QUESTIONS = {
    "worst regions last quarter (service level)": """
        SELECT region,
               SUM(CASE WHEN component = 'calls/answered_within_target' THEN value END)
               / (SUM(CASE WHEN component = 'calls/offered' THEN value END)
                  - SUM(CASE WHEN component = 'calls/short_abandoned' THEN value END))
                 AS service_level,
               SUM(CASE WHEN component = 'calls/offered' THEN value END) AS offered
        FROM history
        WHERE view = 'segment' AND size_s = 86400
          AND component IN ('calls/answered_within_target', 'calls/offered',
                            'calls/short_abandoned')
          AND window_start >= ? AND window_start < ?
        GROUP BY region ORDER BY service_level ASC""",
    "month-over-month change per channel (attitude index)": """
        WITH monthly AS (
            SELECT channel, {month} AS month,
                   SUM(CASE WHEN component LIKE '%/sum_scores' THEN value END)
                   / SUM(CASE WHEN component LIKE '%/responses' THEN value END) * 10 AS idx,
                   SUM(CASE WHEN component LIKE '%/responses' THEN value END) AS responses
            FROM history
            WHERE view = 'segment' AND size_s = 86400
              AND component IN ('surveys/after_sales_10/attitude/sum_scores',
                                'surveys/after_sales_10/attitude/responses')
            GROUP BY channel, {month})
        SELECT channel, month, idx, responses,
               idx - LAG(idx) OVER (PARTITION BY channel ORDER BY month) AS change
        FROM monthly ORDER BY channel, month""",
    "dive curve of residential (overall index per stage)": """
        SELECT journey_stage, AVG(idx) AS overall_index, MIN(responses) AS min_responses
        FROM (
            SELECT journey_stage,
                   REPLACE(REPLACE(component, '/sum_scores', ''), '/responses', '') AS dim,
                   SUM(CASE WHEN component LIKE '%/sum_scores' THEN value END)
                   / SUM(CASE WHEN component LIKE '%/responses' THEN value END) * 10 AS idx,
                   SUM(CASE WHEN component LIKE '%/responses' THEN value END) AS responses
            FROM history
            WHERE view = 'segment' AND size_s = 86400 AND business_line = 'residential'
              AND component LIKE 'surveys/after_sales_10/%'
              AND (component LIKE '%/sum_scores' OR component LIKE '%/responses')
              AND window_start >= ? AND window_start < ?
            GROUP BY journey_stage,
                     REPLACE(REPLACE(component, '/sum_scores', ''), '/responses', '')) AS per_dim
        GROUP BY journey_stage ORDER BY overall_index""",
}
MONTH = {"sqlite": "strftime('%Y-%m', window_start, 'unixepoch')",
         "postgresql": "to_char(to_timestamp(window_start) AT TIME ZONE 'UTC', 'YYYY-MM')"}


def main() -> None:
    """Run the benchmark and print its figures (nothing is written to the repository)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=1.0, help="events/s (parity world: 1)")
    args = parser.parse_args()
    settings = Settings()
    folder = Path(tempfile.mkdtemp(prefix="cxpulse-history-bench-"))
    path = folder / "events.jsonl"
    count = int(args.days * DAY_S * args.rate)
    started = time.perf_counter()
    config = SimulatorConfig(seed=23, rate_per_s=args.rate)
    with path.open("wb") as handle:
        for item in generate(config, None, START, count=count):
            handle.write(item_bytes(item) + b"\n")
    print(f"simulated {count:,} events in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    report, hours = segment_hours(path, settings, send_invalid=False)
    windows = closed_windows(hours, settings.active_views().values(), settings.history_grace_s,
                             report.clock_s)
    print(f"oracle in {time.perf_counter() - started:.0f} s; {len(report.segments):,} segments")
    days = {w.start_s for w in windows if w.size_s == DAY_S}
    per_kind: Counter[str] = Counter()
    for window in windows:
        kind = "segment days" if window.size_s == DAY_S else "view hours"
        per_kind[kind] += len(window.components)
    closed_days = len(days)
    rows = sum(per_kind.values())
    print(f"closed days {closed_days}; rows {rows:,} = {rows / closed_days:,.0f} per day "
          f"({', '.join(f'{k} {v / closed_days:,.0f}' for k, v in per_kind.items())})")
    schema = f"history_bench_{os.getpid()}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    urls = {"sqlite": f"sqlite:///{folder / 'history.sqlite'}",
            "postgresql": f"{PG}?options=-csearch_path%3D{schema}"}
    dims = {name: view.dimensions for name, view in settings.active_views().items()}
    since = int(START.timestamp())
    until = since + 92 * DAY_S
    try:
        for name, url in urls.items():
            store = open_store(url, dims)
            started = time.perf_counter()
            for offset in range(0, len(windows), 2000):
                store.upsert(windows[offset:offset + 2000])
            took = time.perf_counter() - started
            if store.dialect == "postgresql":
                with psycopg.connect(PG, autocommit=True) as conn:
                    conn.execute(f"VACUUM ANALYZE {schema}.history")
            else:
                store.conn.raw.execute("ANALYZE")
            size = store.size_bytes()
            print(f"{name}: wrote {rows:,} rows in {took:.0f} s ({rows / took:,.0f} rows/s); "
                  f"{size / 1e6:,.1f} MB = {size / closed_days / 1e6:,.2f} MB per day, "
                  f"{size / rows:,.0f} B per row")
            for question, text in QUESTIONS.items():
                text = text.format(month=MONTH[store.dialect])
                params = (since, until) if "?" in text else ()
                timings = []
                for _ in range(3):
                    started = time.perf_counter()
                    found = store.execute(text, params)
                    timings.append(time.perf_counter() - started)
                print(f"  {question}: {min(timings) * 1000:,.0f} ms (best of 3), "
                      f"{len(found)} rows; first {found[0] if found else None}")
            store.close()
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
