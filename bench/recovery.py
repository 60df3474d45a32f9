"""State recovery: how long a restarted worker takes to restore N customers, and its memory.

Writes a stage-1 changelog of ``--customers`` distinct customers (one ``p/c/<id>`` record each,
plus ``p/meta`` per partition, streams/state.py) to a fresh embedded broker, starts the real
worker (``python -m ops.cli worker``) and times it from process start to Faust's "Worker ready"
(table recovery finished); then reads its VmRSS and VmHWM from /proc/<pid>/status.

The records are realistic: simulator events (bench/data.py) applied with
``metrics.contributions.apply_event`` give a few thousand customer records, which serve as
templates under new customer ids. A record names its customer only inside ids derived from it
(a repair's asset, ``cust-0000023-a1``); those are rewritten to the new id, which has the same
length, so the MessagePack stays valid and the record keeps its size.

    flock /tmp/cxpulse-heavy.lock timeout 1800 .venv/bin/python -u -m bench.recovery
    flock /tmp/cxpulse-heavy.lock timeout 600 .venv/bin/python -u -m bench.recovery --customers 20000
"""

import argparse
import asyncio
import json
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from bench.data import simulate
from bench.host import code_fingerprint, cores, git_state, machine, pinned_self, snapshot
from bench.procs import Proc, clean_env, cpu_seconds, status_kib
from bench.report import RESULTS
from metrics.contributions import AgentCap, Contributions, Outcome, apply_event
from metrics.events import decode_message
from ops.broker import EmbeddedBroker
from ops.processes import free_port
from ops.topics import admin_client, create_topics
from streams.partitioning import partition_for_key
from streams.settings import Settings
from streams.state import CustomerState, customer_key, encode_customer, encode_meta, meta_key

#: Bytes per producer batch of the changelog write (many records per batch: fast).
BATCH_BYTES = 512 * 1024
#: Faust's log lines (faust/tables/recovery.py) that mark the phases of a restore.
RESTORING = "Restoring state from changelog topics"
DONE_READING = "Done reading from changelog topics"
READY = "Worker ready"
_STAMP = re.compile(r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]? ")


@dataclass
class Templates:
    """Encoded customer records from simulated events, and what they are."""

    records: list[tuple[bytes, bytes]]    # (the simulator's customer id, record)
    events: int
    events_per_customer: float
    bytes_mean: float
    bytes_p50: int
    bytes_p99: int


@dataclass
class Figures:
    customers: int
    partitions: int
    changelog_records: int = 0
    changelog_bytes: int = 0
    record_bytes_mean: float = 0.0
    write_s: float = 0.0
    end_offsets: dict[str, int] = field(default_factory=dict)
    highwaters_logged: dict[str, int] = field(default_factory=dict)
    restore_s: float | None = None          # process start to "Worker ready"
    reading_s: float | None = None          # "Restoring state" to "Done reading" (log stamps)
    startup_s: float | None = None          # process start to "Restoring state"
    rss_mib: float | None = None
    hwm_mib: float | None = None
    worker_cpu_s: float | None = None
    broker_rss_mib: float | None = None
    status: str = "ok"
    detail: str = ""


def templates(settings: Settings, customers: int, events: int, seed: int) -> Templates:
    """Customer records built by applying ``events`` simulator events of ``customers``
    customers, as stage 1 would (one watermark per source topic, offsets in ``a``)."""
    corpus = simulate(events, customers, seed)
    questionnaires = settings.data_config().catalogue()
    rules, agents = settings.catalogue_rules(), AgentCap(settings.agent_cut, settings.agent_cap)
    states: dict[str, CustomerState] = {}
    watermarks: dict[str, float] = {}
    offsets: Counter[str] = Counter()
    out = Contributions()
    for raw in corpus.events:
        for event in decode_message(raw, None, questionnaires=questionnaires).events:
            topic = settings.source_topics[event.type]
            state = states.setdefault(event.customer_id, CustomerState({}, {}))
            applied = apply_event(rules, event, state.c, watermarks.get(topic, 0.0), agents, out)
            if applied.outcome is Outcome.ACCEPTED:
                watermarks[topic] = max(watermarks.get(topic, 0.0), event.occurred_at.timestamp())
            state.a[topic] = offsets[topic]
            offsets[topic] += 1
    records = [(customer_id.encode(), encode_customer(state))
               for customer_id, state in states.items()]
    if {len(customer_id) for customer_id, _ in records} != {len(customer_name(0))}:
        raise RuntimeError("the simulator's customer ids changed length: see the module doc")
    sizes = sorted(len(record) for _, record in records)
    return Templates(records, len(corpus.events), len(corpus.events) / len(records),
                     sum(sizes) / len(sizes), sizes[len(sizes) // 2],
                     sizes[min(len(sizes) - 1, int(len(sizes) * 0.99))])


def customer_name(number: int) -> str:
    """The simulator's customer id format (traffic/simulate), for customer ``number``."""
    return f"cust-{number:07d}"


def changelog_topic(settings: Settings) -> str:
    """The stage-1 table's changelog, as Faust names it (faust/tables/base.py)."""
    return f"{settings.app_id}-stage1-changelog"


def create_changelog(settings: Settings) -> None:
    """Create the changelog with the worker's partitions before anything is written to it
    (the worker then finds it and creates nothing)."""
    admin = admin_client(settings)
    try:
        admin.create_topics([NewTopic(changelog_topic(settings), settings.topic_partitions,
                                      settings.topic_replication,
                                      topic_configs={"cleanup.policy": "compact"})])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


async def write_changelog(settings: Settings, customers: int, records: list[tuple[bytes, bytes]],
                          seed: int) -> tuple[int, int]:
    """Write one record per customer (a random template) in multi-record batches, then each
    partition's meta record alone: a partition must end with a one-record batch, or Tansu's
    ListOffsets(latest), where Faust's recovery stops, falls short. (records, bytes)."""
    topic = changelog_topic(settings)
    partitions = list(range(settings.topic_partitions))
    pick = random.Random(seed)
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers,
                                max_batch_size=BATCH_BYTES, linger_ms=0, acks=1)
    await producer.start()
    written = size = 0
    try:
        batches: dict[int, Any] = {}
        futures = []
        for number in range(customers):
            customer_id = customer_name(number)
            p = partition_for_key(customer_id.encode(), partitions)
            template_id, record = pick.choice(records)
            key, value = customer_key(p, customer_id), record.replace(template_id,
                                                                      customer_id.encode())
            batch = batches.get(p)
            if batch is None or batch.append(key=key, value=value, timestamp=None) is None:
                if batch is not None:
                    batch.close()
                    futures.append(await producer.send_batch(batch, topic, partition=p))
                batch = batches[p] = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None)
            written, size = written + 1, size + len(key) + len(value)
        for p, batch in batches.items():
            batch.close()
            futures.append(await producer.send_batch(batch, topic, partition=p))
        await asyncio.gather(*futures)
        meta = encode_meta({})   # no cuts: the source topics are empty
        for p in partitions:
            await producer.send_and_wait(topic, meta, key=meta_key(p), partition=p)
            written, size = written + 1, size + len(meta_key(p)) + len(meta)
    finally:
        await producer.stop()
    return written, size


def end_offsets(settings: Settings) -> dict[str, int]:
    """End offset of every changelog partition (ListOffsets latest)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers)
    try:
        tps = [TopicPartition(changelog_topic(settings), p)
               for p in range(settings.topic_partitions)]
        return {str(tp.partition): offset for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def log_time(line: str) -> float | None:
    """Epoch seconds of a worker log line (Faust's ``[%(asctime)s]``, local time)."""
    found = _STAMP.match(line)
    if not found:
        return None
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()


def highwaters(text: str, topic: str) -> dict[str, int]:
    """The changelog highwaters of the first "Highwater - Active" table Faust logged (the
    last offset to read per partition: end offset - 1)."""
    found: dict[str, int] = {}
    rows = re.compile(r"^[│|]\s*(\S*)\s*[│|]\s*(\d+)\s*[│|]\s*(-?\d+)\s*[│|]\s*$")
    current = ""
    for line in text.split("Highwater - Active", 1)[-1].splitlines()[1:]:
        if line.startswith("["):   # the next log record: the table has ended
            break
        row = rows.match(line.strip())
        if row:
            current = row.group(1) if row.group(1) not in ("", "〃") else current  # 〃: ditto
            if current == topic:
                found[row.group(2)] = int(row.group(3))
    return found


def wait_ready(worker: Proc, log_path: Path, timeout_s: float) -> str:
    """Block until the worker logs READY; its log text. Raises if it exits or times out."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        time.sleep(0.1)
        text = log_path.read_text(errors="replace")
        if READY in text:
            return text
        if not worker.alive:
            raise RuntimeError(f"worker exited before it was ready:\n{worker.tail()}")
    raise TimeoutError(f"worker not ready after {timeout_s} s:\n{worker.tail()}")


def phase_times(text: str) -> dict[str, float]:
    """Epoch seconds of the first line holding each phase marker."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        for marker in (RESTORING, DONE_READING, READY):
            if marker in line and marker not in out:
                at = log_time(line)
                if at is not None:
                    out[marker] = at
    return out


def run(args: argparse.Namespace, work: Path, figures: Figures, head: dict[str, Any]) -> None:
    """One measurement; fills ``figures`` (raises on failure, after stopping everything)."""
    broker_core, worker_core = cores(None, None)
    started = time.perf_counter()
    made = templates(Settings(), args.template_customers, args.template_events, args.seed)
    head["templates"] = {k: v for k, v in asdict(made).items() if k != "records"} | {
        "count": len(made.records), "seconds": round(time.perf_counter() - started, 1),
        "simulator_customers": args.template_customers}
    print(f"templates: {len(made.records):,} customer records from {made.events:,} events "
          f"({made.events_per_customer:.1f} per customer), {made.bytes_mean:.0f} B mean, "
          f"p50 {made.bytes_p50} B, p99 {made.bytes_p99} B")
    broker = EmbeddedBroker(port=free_port(), log_path=work / "broker.log")
    worker: Proc | None = None
    try:
        with pinned_self(broker_core):   # Tansu sizes its runtime to one core
            broker.start()
        broker_pid = broker._process.pid  # noqa: SLF001 (the bench reads its /proc)
        settings = Settings(broker_url=broker.url, topic_partitions=args.partitions)
        create_topics(settings)
        create_changelog(settings)
        started = time.perf_counter()
        figures.changelog_records, figures.changelog_bytes = asyncio.run(
            write_changelog(settings, args.customers, made.records, args.seed))
        figures.write_s = time.perf_counter() - started
        figures.record_bytes_mean = figures.changelog_bytes / figures.changelog_records
        figures.end_offsets = end_offsets(settings)
        print(f"changelog: {figures.changelog_records:,} records, "
              f"{figures.changelog_bytes / 2**20:,.1f} MiB in {figures.write_s:.1f} s; "
              f"end offsets {figures.end_offsets}")
        if sum(figures.end_offsets.values()) != args.customers + args.partitions:
            raise RuntimeError(f"end offsets sum to {sum(figures.end_offsets.values())}, "
                               f"not {args.customers + args.partitions}")
        env = clean_env({
            "PYTHONPATH": str(snapshot(work)),
            "CXPULSE_BROKER_URL": broker.url,
            "CXPULSE_WORKER_ID": "bench",
            "CXPULSE_WEB_PORT": str(free_port()),
            "CXPULSE_DATA_DIR": str(work / "data"),
            "CXPULSE_TOPIC_PARTITIONS": str(args.partitions),
        })
        log_path = work / "worker.log"
        worker = Proc("worker", [sys.executable, "-P", "-m", "ops.cli", "worker"], log_path,
                      env, {worker_core} if worker_core is not None else None).start()
        text = wait_ready(worker, log_path, args.timeout_s)
        ready_at = time.time()
        figures.restore_s = ready_at - worker.started_at
        phases = phase_times(text)
        if RESTORING in phases:
            figures.startup_s = phases[RESTORING] - worker.started_at
            if DONE_READING in phases:
                figures.reading_s = phases[DONE_READING] - phases[RESTORING]
        if READY in phases:   # the log's stamp, not the poll that saw it
            figures.restore_s = phases[READY] - worker.started_at
        figures.highwaters_logged = highwaters(text, changelog_topic(settings))
        time.sleep(args.settle_s)   # let the restore's garbage go before reading RSS
        figures.rss_mib = (status_kib(worker.pid, "VmRSS") or 0) / 1024
        figures.hwm_mib = (status_kib(worker.pid, "VmHWM") or 0) / 1024
        figures.worker_cpu_s = cpu_seconds(worker.pid)
        figures.broker_rss_mib = (status_kib(broker_pid, "VmRSS") or 0) / 1024
        expected = {str(p): n - 1 for p, n in figures.end_offsets.items()}
        if figures.highwaters_logged != expected:
            figures.status = "mismatch"
            figures.detail = (f"worker recovered up to {figures.highwaters_logged}, "
                              f"changelog ends at {expected}")
    finally:
        if worker is not None:
            worker.stop()
        broker.stop()


def main() -> None:
    """Run the benchmark, print its figures and write bench/results/recovery-<stamp>.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--template-events", type=int, default=40_000,
                        help="simulator events applied to make the template records")
    parser.add_argument("--template-customers", type=int, default=5_000,
                        help="customer pool of the simulator for the templates")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout-s", type=float, default=1200.0,
                        help="worker start to ready, at most")
    parser.add_argument("--settle-s", type=float, default=5.0,
                        help="wait after ready before reading the worker's memory")
    parser.add_argument("--keep", action="store_true", help="keep the run directory (logs)")
    args = parser.parse_args()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(tempfile.mkdtemp(prefix=f"cxpulse-recovery-{stamp}-"))
    head: dict[str, Any] = {"bench": "recovery", "stamp": stamp, "args": vars(args),
                            "git": git_state(), "code_fingerprint": code_fingerprint(),
                            "machine": machine(), "run_dir": str(work)}
    figures = Figures(args.customers, args.partitions)
    try:
        run(args, work, figures, head)
    except Exception as error:  # noqa: BLE001 - reported in the JSON, then re-raised
        figures.status, figures.detail = "failed", f"{type(error).__name__}: {error}"
        raise
    finally:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"recovery-{stamp}.json"
        path.write_text(json.dumps({**head, "figures": asdict(figures)}, indent=1))
        print_figures(figures)
        print(f"results: {path}")
        if args.keep or figures.status != "ok":
            print(f"logs: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def print_figures(f: Figures) -> None:
    def s(value: float | None) -> str:
        return "-" if value is None else f"{value:,.1f}"

    print(f"customers {f.customers:,} | changelog records {f.changelog_records:,}, "
          f"{f.changelog_bytes / 2**20:,.1f} MiB ({f.record_bytes_mean:.0f} B/record) | "
          f"restore {s(f.restore_s)} s (start-up {s(f.startup_s)} s, reading changelog "
          f"{s(f.reading_s)} s) | worker RSS {s(f.rss_mib)} MiB, HWM {s(f.hwm_mib)} MiB, "
          f"CPU {s(f.worker_cpu_s)} s | broker RSS {s(f.broker_rss_mib)} MiB | {f.status} "
          f"{f.detail}")


if __name__ == "__main__":
    main()
