"""The Faust application: built from Settings, with stage-1 agents and the /metrics page."""

import logging
from dataclasses import dataclass
from typing import Any

import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from metrics.exposition import IngestMetrics
from streams.customers import CustomerStore
from streams.ingest import IngestContext, ingest_agent
from streams.settings import Settings

log = logging.getLogger(__name__)

#: Tansu answers ListOffsets(latest) wrongly for multi-record batches, which breaks changelog
#: recovery after a restart; one record per producer batch avoids it (embedded profile only).
EMBEDDED_PROFILE: dict[str, Any] = {"producer_max_batch_size": 1}


@dataclass
class Worker:
    """A built app and the objects tests and the CLI need to reach."""

    app: faust.App
    registry: CollectorRegistry
    metrics: IngestMetrics
    ingest: IngestContext


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
        "consumer_auto_offset_reset": "earliest",
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
    return options


def create_worker(settings: Settings, registry: CollectorRegistry | None = None) -> Worker:
    """Build the Faust app with stage-1 agents for the three source topics."""
    registry = registry or CollectorRegistry()
    app = faust.App(settings.app_id, **faust_options(settings))
    topics = settings.source_topics
    metrics = IngestMetrics(registry, topics.values())
    table = app.Table("customers", default=None, partitions=settings.topic_partitions)
    customers = CustomerStore(
        table, settings.customer_ttl_s, settings.customers_max_per_partition, metrics
    )
    deadletter = app.topic(
        settings.deadletter_topic, key_serializer="raw", value_serializer="raw",
        partitions=settings.topic_partitions,
    )
    ctx = IngestContext(settings, metrics, customers, deadletter, {}, {})
    for kind, name in topics.items():
        source = app.topic(
            name, key_serializer="raw", value_serializer="raw",
            partitions=settings.topic_partitions,
        )
        app.agent(source, name=f"ingest-{kind}")(ingest_agent(ctx, kind, name))

    @app.on_partitions_revoked.connect
    async def _forget(sender: Any, revoked: set[Any], **_: Any) -> None:
        customers.forget_partitions(tp.partition for tp in revoked)
        for tp in revoked:
            ctx.positions.pop((tp.topic, tp.partition), None)
            try:
                metrics.consumer_lag.remove(tp.topic, str(tp.partition))
            except KeyError:
                pass

    @app.timer(interval=5.0)
    async def _lag() -> None:
        try:
            _export_lag(app, ctx, metrics, set(topics.values()))
        except Exception:  # a metrics refresh must never take the worker down
            log.exception("could not refresh consumer lag")

    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(
                generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
            )

    return Worker(app, registry, metrics, ctx)


def _export_lag(app: faust.App, ctx: IngestContext, metrics: IngestMetrics,
                source_topics: set[str]) -> None:
    """Set the lag gauge for actively assigned source partitions (never standbys)."""
    for tp in app.assignor.assigned_actives():
        if tp.topic not in source_topics:
            continue
        highwater = app.consumer.highwater(tp)
        position = ctx.positions.get((tp.topic, tp.partition))
        if position is None or highwater is None or highwater < 0:
            continue
        behind = highwater - (position + 1)
        metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(behind, 0))
