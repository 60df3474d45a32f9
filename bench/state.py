"""Stage-1 state cost against the number of customers: ``python -m bench.state``.

Does a flush cost what changed, or how much state there is? For each customer count C (default
20,000, 200,000 and 1,000,000), in a process of its own:

- the simulator (bench/data.py) makes ``--events`` events from a pool of C customers;
- a stage-1 ledger (streams/ledger.py) gets a table that already holds C customers: the
  corpus' own customers start empty, the rest of the C are copies of real records (the state
  of the corpus' busiest customers after a first pass), so the table is as large as a
  worker's with C customers;
- the events are decoded, then applied and tracked as one partition's messages, with a
  flush every ``--flush-every`` messages, exactly as stage 1 does without a broker
  (``Ledger.snapshot``: partials, meta, customer records, TTL sweep, cache trim).

Per C it prints: changelog bytes and records per event, snapshot milliseconds per flush
(median and max), apply microseconds per event (decode excluded), the records in the table,
the decoded records held, and the process' peak RSS. Offline: the broker's share of a flush
(bulk batches, one round trip per 512 KiB) is in ``python -m bench.ingest``.
"""

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.data import simulate
from metrics.contributions import AgentCap
from metrics.events import decode_message
from metrics.history import HistoryProjector
from streams.ledger import Ledger
from streams.partitioning import partition_for_key
from streams.settings import Settings
from streams.state import CustomerState, customer_key, encode_customer

RESULTS = Path(__file__).parent / "results"
TOPICS = {"call": "cx.calls", "ticket": "cx.tickets", "survey": "cx.surveys"}


def measure(customers: int, events: int, flush_every: int, seed: int) -> dict[str, Any]:
    """One customer count, in this process."""
    settings = Settings()
    views = settings.active_views()
    targets = list(range(settings.topic_partitions))
    projector = HistoryProjector(views.values())
    catalogue = settings.data_config().catalogue()

    routes: dict[str, int] = {}

    def route(key: str) -> int:   # cached per key, as Stage1.route
        found = routes.get(key)
        if found is None:
            found = routes[key] = partition_for_key(key.encode(), targets)
        return found

    corpus = simulate(events, customers, seed)
    now = datetime.now(timezone.utc)
    decoded = []
    for raw in corpus.events:
        result = decode_message(raw, None, settings.input_limits(), now,
                                questionnaires=catalogue)
        decoded.extend(result.events)

    def ledger(table: dict[bytes, bytes]) -> Ledger:
        return Ledger(0, table, settings.catalogue_rules(),
                      AgentCap(settings.agent_cut, settings.agent_cap),
                      settings.customer_ttl_s, route, projector, len(targets),
                      settings.customers_cached_per_partition)

    # Templates: the records of a first pass over the corpus.
    first = ledger({})
    for offset, item in enumerate(decoded):
        first.apply(TOPICS[item.type], offset, item)
    templates = [encode_customer(CustomerState({"cx.calls": 0}, state.c))
                 for state in first.loaded.values()]
    own = set(first.loaded)
    table: dict[bytes, bytes] = {}
    fill = customers - len(own)
    for number in range(max(fill, 0)):
        table[customer_key(0, f"fill-{number:07d}")] = templates[number % len(templates)]
    del first
    gc.collect()

    book = ledger(table)
    apply_s = 0.0
    snapshots: list[float] = []
    bytes_written = records_written = partial_bytes = 0
    offset = 0
    for item in decoded:
        topic = TOPICS[item.type]
        started = time.perf_counter()
        book.apply(topic, offset, item)
        book.track(topic, offset, None)
        apply_s += time.perf_counter() - started
        offset += 1
        if book.since_flush >= flush_every:
            started = time.perf_counter()
            snap = book.snapshot()
            snapshots.append(time.perf_counter() - started)
            assert snap is not None
            for key, value in snap.records:
                if value is None:
                    table.pop(key, None)
                else:
                    table[key] = value
            bytes_written += len(snap.meta) + len(snap.sent) + sum(
                len(value or b"") for _, value in snap.records)
            records_written += len(snap.records) + 2
            partial_bytes += sum(len(message) for _, message in snap.partials)
    flushed = len(snapshots) * flush_every
    record_sizes = [len(value) for value in table.values()]
    return {
        "customers": customers, "events": len(decoded), "flushes": len(snapshots),
        "flush_every": flush_every, "distinct_in_corpus": len(own),
        "changelog_bytes_per_event": bytes_written / max(flushed, 1),
        "changelog_records_per_event": records_written / max(flushed, 1),
        "partial_bytes_per_event": partial_bytes / max(flushed, 1),
        "snapshot_ms_median": 1e3 * statistics.median(snapshots) if snapshots else None,
        "snapshot_ms_max": 1e3 * max(snapshots) if snapshots else None,
        "apply_us_per_event": 1e6 * apply_s / max(len(decoded), 1),
        "table_records": len(table),
        "record_bytes_mean": statistics.fmean(record_sizes) if record_sizes else 0,
        "decoded_held": len(book.loaded),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.state", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--customers", type=int, nargs="+",
                        default=[20_000, 200_000, 1_000_000])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--flush-every", type=int, default=5_000,
                        help="messages per flush (one partition; single events)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    if args.one:
        [customers] = args.customers
        print(json.dumps(measure(customers, args.events, args.flush_every, args.seed)))
        return 0
    rows = []
    for customers in args.customers:
        print(f"{customers:,} customers: simulating {args.events:,} events ...", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "bench.state", "--one", "--customers", str(customers),
             "--events", str(args.events), "--flush-every", str(args.flush_every),
             "--seed", str(args.seed)],
            capture_output=True, text=True, timeout=1800, env=dict(os.environ))
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"\n{'customers':>10} {'B/event':>8} {'rec/event':>9} {'snap ms med':>11} "
          f"{'max':>6} {'apply us':>8} {'table recs':>10} {'rec B':>6} {'held':>6} {'RSS MiB':>8}")
    for row in rows:
        print(f"{row['customers']:>10,} {row['changelog_bytes_per_event']:>8.0f} "
              f"{row['changelog_records_per_event']:>9.2f} {row['snapshot_ms_median']:>11.1f} "
              f"{row['snapshot_ms_max']:>6.1f} {row['apply_us_per_event']:>8.1f} "
              f"{row['table_records']:>10,} {row['record_bytes_mean']:>6.0f} "
              f"{row['decoded_held']:>6,} {row['peak_rss_mib']:>8.0f}")
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = RESULTS / f"state-{stamp}.json"
        path.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))
        print(f"\nraw: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
