"""The Faust application: built from Settings, with stage-1 and stage-2 agents and /metrics."""

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from metrics.history import DAY_S
from streams.annotations import Annotator
from streams.calendar_fallback import calendar_warnings
from streams.dives import DiveMonitor
from streams.faust_adapter import FaustHost, StreamHost
from streams.flushing import unless_stopping
from streams.history.closing import History
from streams.history.query import QueryError, parse_query, run_query
from streams.history.sink import Sink
from streams.ingest import IngestContext, ingest_agent
from streams.serving.calendar import CalendarFallbackCollector
from streams.serving.dives import DiveCollector
from streams.serving.counters import ViewCounters
from streams.serving.history import HistoryMetrics, SinkMetrics
from streams.serving.ingest import IngestMetrics
from streams.serving.loop_lag import LoopLag
from streams.serving.windows import WindowCollector
from streams.settings import Settings
from streams.stage1 import Stage1
from streams.serving.stage2 import Stage2Metrics
from streams.stage2 import Stage2

log = logging.getLogger(__name__)

#: Tansu answers ListOffsets(latest) with the last batch's base offset + 1, which is wrong when
#: that batch holds several records (docs/decisions.md): on the embedded profile Faust sends one
#: record per batch, and every bulk changelog write ends with a one-record batch.
EMBEDDED_PROFILE: dict[str, Any] = {"producer_max_batch_size": 1}


@dataclass
class Worker:
    """A built app and the objects tests and the CLI need to reach."""

    app: faust.App
    registry: CollectorRegistry
    metrics: IngestMetrics
    ingest: IngestContext
    stage2: Stage2


def faust_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for faust.App derived from the settings."""
    options: dict[str, Any] = {
        "broker": settings.broker_url,
        "store": settings.store,
        "datadir": str(settings.data_dir / settings.worker_id),
        "web_host": settings.web_host,
        "web_bind": settings.web_host,
        "web_port": settings.web_port,
        "topic_partitions": settings.topic_partitions,
        "topic_replication_factor": settings.topic_replication,
        "broker_session_timeout": settings.session_timeout_s,
        "broker_heartbeat_interval": settings.heartbeat_interval_s,
        "broker_rebalance_timeout": settings.rebalance_timeout_s,
        "broker_commit_interval": settings.commit_interval_s,
        "consumer_auto_offset_reset": "earliest",
        "consumer_max_fetch_size": settings.consumer_max_fetch_bytes,
        # Acks wait for the flush that saves their effects; a rebalance must not wait for
        # them (streams.stage1 drops unflushed state and the new owner replays it).
        "stream_wait_empty": False,
        "autodiscover": False,
        "table_cleanup_interval": 60.0,
    }
    if settings.kafka_sasl_username is not None and settings.kafka_sasl_password is not None:
        options["broker_credentials"] = faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password.get_secret_value(),
        )
    if settings.broker_profile == "embedded":
        options.update(EMBEDDED_PROFILE)
        if settings.changelog_bulk:
            # A worker killed between a bulk batch and the one-record batch that ends every
            # write leaves the reported end inside the batch; a standby that read past it
            # would fail Faust's check.
            options["recovery_consistency_check"] = False
    return options


def create_worker(settings: Settings, registry: CollectorRegistry | None = None) -> Worker:
    """Build the Faust app: stage-1 agents for the source topics, the stage-2 agent."""
    registry = registry or CollectorRegistry()
    app = faust.App(settings.app_id, **faust_options(settings))
    host = FaustHost(app, bulk=settings.changelog_bulk)
    topics = settings.source_topics
    metrics = IngestMetrics(registry, topics.values())
    data = settings.data_config()
    views = settings.active_views()
    counters = ViewCounters(views, data.catalogue())
    raw = {"key_serializer": "raw", "value_serializer": "raw",
           "partitions": settings.topic_partitions}
    # bytes keys and values: the table serialises with "raw" (records are MessagePack we
    # encode, streams/state.py). A customer record is a few hundred bytes, a window record
    # at most a few hundred KB: Kafka's 1 MiB default holds them.
    state = app.Table("stage1", default=None, key_type=bytes, value_type=bytes,
                      partitions=settings.topic_partitions)
    windows = app.Table("windows", default=None, key_type=bytes, value_type=bytes,
                        partitions=settings.topic_partitions)
    partials = app.topic(settings.partials_topic, **raw)
    deadletter = app.topic(settings.deadletter_topic, **raw)
    history_topic = app.topic(settings.history_topic, **raw)
    stage1 = Stage1(host, settings, state, partials, metrics, counters, views)
    dives_topic = app.topic(settings.dives_topic, **raw)
    annotator = Annotator.from_settings(settings)
    measure = data.dive_measure()
    monitor = None if measure is None else DiveMonitor(
        views, measure, data.dives.rules(), data.dives.time_views, data.dive_journey_view(),
        data.journey_list())

    async def log_dives(records: list[bytes]) -> None:
        # Buffered sends: the producer batches them; a flush never waits on Grafana.
        for record in records:
            await dives_topic.send(value=record)
            annotator.submit(record)

    history = History(settings.history_grace_s, settings.history_amend_days * DAY_S,
                      HistoryMetrics(registry), history_topic)
    stage2 = Stage2(host, settings, windows, Stage2Metrics(registry), stage1.positions, views,
                    settings.exported_windows(), history, monitor, log_dives)
    dimensions = {name: view.dimensions for name, view in views.items()}
    sink = Sink(host, settings, dimensions, stage1.positions, SinkMetrics(registry))
    ctx = IngestContext(settings, metrics, stage1, deadletter)
    for kind, name in topics.items():
        source = app.topic(name, **raw)
        app.agent(source, name=f"ingest-{kind}")(ingest_agent(ctx, kind, name))

    @app.agent(partials, name="windows")
    async def merge(stream: Any) -> None:
        async for event in stream.noack().events():
            if await stage2.in_order(event):
                stage2.handle(event)
            if not await unless_stopping(host, stage2.flush_due()):
                return

    @app.agent(history_topic, name="history-sink")
    async def write_history(stream: Any) -> None:
        async for event in stream.noack().events():
            if await sink.in_order(event):
                await sink.handle(event)

    def owned_windows() -> Any:
        # Called from the render thread: stage2.published reads only whole references.
        actives = {tp.partition for tp in host.assigned() if tp.topic == settings.partials_topic}
        return stage2.published(actives)

    # The view series are written as text (streams/serving/text.py), beside the registry.
    window_gauges = WindowCollector(owned_windows, views, data.catalogue(),
                                    data.survey_targets.rules())

    def render() -> bytes:
        """The whole exposition; runs in a thread, reading only published references."""
        return (generate_latest(registry) + counters.families().text().encode()
                + window_gauges.families().text().encode())

    def owned_dives() -> Any:
        actives = {tp.partition for tp in host.assigned() if tp.topic == settings.partials_topic}
        return stage2.published_dives(actives)

    registry.register(DiveCollector(owned_dives, views))
    registry.register(CalendarFallbackCollector(stage1.rules.calendar))
    for warning in calendar_warnings(stage1.rules.calendar, date.today()):
        log.warning(warning)

    lag = LoopLag(registry)

    @app.task
    async def _loop_lag() -> None:
        await lag.run()

    @app.on_partitions_assigned.connect
    async def _assigned(sender: Any, assigned: set[Any], **_: Any) -> None:
        actives = host.assigned()
        stage1.assign({tp.partition for tp in actives if tp.topic in topics.values()})
        stage2.assign({tp.partition for tp in actives if tp.topic == settings.partials_topic})
        sink.assign({tp.partition for tp in actives if tp.topic == settings.history_topic})

    @app.on_partitions_revoked.connect
    async def _forget(sender: Any, revoked: set[Any], **_: Any) -> None:
        await stage1.revoke({tp.partition for tp in revoked if tp.topic in topics.values()})
        await stage2.revoke({tp.partition for tp in revoked
                             if tp.topic == settings.partials_topic})
        for tp in revoked:
            try:
                metrics.consumer_lag.remove(tp.topic, str(tp.partition))
            except KeyError:
                pass

    @app.timer(interval=min(settings.flush_interval_s, settings.stage2_flush_interval_s) / 2)
    async def _flush_idle() -> None:
        if not (await unless_stopping(host, stage1.flush_idle())
                and await unless_stopping(host, stage2.flush_due())):
            return
        stage2.load_assigned()
        await sink.retain()

    @app.timer(interval=5.0)
    async def _lag() -> None:
        try:
            _export_lag(host, stage1, metrics, set(topics.values()))
        except Exception:  # a metrics refresh must never take the worker down
            log.exception("could not refresh consumer lag")
        if not host.settled() or not host.fetching():
            return
        actives = host.assigned()
        try:
            await stage1.positions.watch(
                stage1.needed([tp for tp in actives if tp.topic in topics.values()])
                + stage2.needed([tp for tp in actives if tp.topic == settings.partials_topic])
                + await sink.needed([tp for tp in actives
                                     if tp.topic == settings.history_topic]))
        except Exception:  # the next tick tries again
            log.exception("could not check the consumed partitions' positions")

    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request) -> Response:
            # Rendered in a thread from published snapshots: the event loop only waits.
            body = await asyncio.get_running_loop().run_in_executor(None, render)
            return self.bytes(body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    @app.page("/history")
    class HistoryView(View):
        """``cxpulse history`` over HTTP: the same query parameters, JSON rows
        (docs/history.md)."""

        async def get(self, request: Request) -> Response:
            try:
                query = parse_query(request.query)
            except QueryError as error:
                return self.json({"error": str(error)}, status=400)
            loop = asyncio.get_running_loop()
            try:
                rows = await loop.run_in_executor(None, run_query, settings, query)
            except QueryError as error:
                return self.json({"error": str(error)}, status=400)
            return self.json({"query": query.describe(), "rows": rows})

    @app.page("/progress")
    class ProgressView(View):
        """Cheap JSON for scripts and tests: what is counted and what still waits for a flush
        (the /metrics page renders every view series, which is more work)."""

        async def get(self, request: Request) -> Response:
            return self.json({
                "worker": settings.worker_id,
                "events": {f"{topic}/{outcome}": n
                           for (topic, outcome), n in stage1.totals.items()},
                "partitions": sorted(stage1.active),
                "unflushed_messages": sum(len(l.events) for l in stage1.ledgers.values()),
                "unflushed_partials": sum(len(p.events) for p in stage2.parts.values()),
                "view_keys": sum(len(p.keys) for p in stage2.parts.values()),
                "lag_messages": sum(sample.value for family in metrics.consumer_lag.collect()
                                    for sample in family.samples),
                "loop_lag_max_s": lag.max_s,
                "loop_lags": [[round(at, 3), round(late, 4)] for at, late in lag.recent],
                "gc_pauses": [[round(at, 3), generation, round(pause, 4)]
                              for at, generation, pause in lag.gc_recent],
                "state_written": _sums(metrics.state_written, metrics.flush_seconds),
                "window_state_written": _sums(stage2.metrics.state_written,
                                              stage2.metrics.flush_seconds),
            })

    return Worker(app, registry, metrics, ctx, stage2)


def _sums(written: Any, seconds: Any) -> dict[str, float]:
    """Records and bytes written and flush seconds (sum, count) of one stage, for /progress."""
    out = {sample.labels["unit"]: sample.value for family in written.collect()
           for sample in family.samples if sample.name.endswith("_total")}
    for family in seconds.collect():
        for sample in family.samples:
            if sample.name.endswith(("_sum", "_count")):
                out["flush_seconds_" + sample.name.rsplit("_", 1)[1]] = sample.value
    return out


def _export_lag(host: StreamHost, stage1: Stage1, metrics: IngestMetrics,
                source_topics: set[str]) -> None:
    """Set the lag gauge for actively assigned source partitions (never standbys)."""
    for tp in host.assigned():
        if tp.topic not in source_topics:
            continue
        highwater = host.highwater(tp)
        position = stage1.position(tp.topic, tp.partition)
        if position is None or highwater is None or highwater < 0:
            continue
        behind = highwater - (position + 1)
        metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(behind, 0))
