"""Scenario 2: a bare Faust agent that decodes and validates each event, counts, nothing else.

Run as a child process by bench.ingest (pinned to one core). The app is built with exactly the
Faust options of streams.app.faust_options (embedded profile: session timeout 6 s, heartbeat
1 s, rebalance timeout 6 s, producer_max_batch_size 1), one agent per source topic reading raw
bytes with ``stream.events()`` like the real worker, and ``decode_message`` per message.
No table, no dead-letter sends, no cxpulse metrics.

Two ways to read the rate: in-process timestamps (first message to the event that completes
``--expected``) written as JSON to ``--result``, and a ``bench_events_total`` counter on
/metrics that the harness polls exactly as it polls the real worker (a calibration of the
polling method).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import faust
from faust.web import Request, Response, View
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    disable_created_metrics,
    generate_latest,
)

from metrics.events import decode_message
from streams.app import faust_options
from streams.settings import Settings

STALL_S = 0.01  # a pause between two messages longer than this is counted as a stall


def _cpu_s() -> float:
    return time.process_time()  # all threads, ns resolution (os.times has 10 ms ticks)


def build(settings: Settings, expected: int, result_path: Path,
          overrides: dict | None = None) -> faust.App:
    """The minimal app: three counting agents and a /metrics page.

    ``overrides`` (bench variants only) are Faust options applied on top of faust_options().
    """
    app = faust.App(settings.app_id, **{**faust_options(settings), **(overrides or {})})
    registry = CollectorRegistry()
    counter = Counter("bench_events", "Events decoded and valid.", registry=registry)
    limits = settings.input_limits()
    questionnaires = settings.data_config().catalogue()
    state = {"events": 0, "rejected": 0, "messages": 0, "t_first": None, "cpu_first": None,
             "written": False, "t_prev": 0.0}
    gaps: list[float] = []  # pauses > STALL_S between consecutive messages

    def finish() -> None:
        result = {
            "complete": True, "events": state["events"], "rejected": state["rejected"],
            "messages": state["messages"], "t_first": state["t_first"], "t_last": time.time(),
            "cpu_window_s": _cpu_s() - state["cpu_first"],
            "stalls": len(gaps), "stall_s": sum(gaps), "max_gap_s": max(gaps, default=0.0),
        }
        tmp = result_path.with_suffix(".part")
        tmp.write_text(json.dumps(result))
        tmp.rename(result_path)
        state["written"] = True

    def agent_for(kind: str):
        async def count(stream):  # type: ignore[no-untyped-def]
            async for event in stream.events():
                now = time.time()
                if state["t_first"] is None:
                    state["t_first"], state["cpu_first"] = now, _cpu_s()
                elif now - state["t_prev"] > STALL_S and not state["written"]:
                    gaps.append(now - state["t_prev"])
                decoded = decode_message(event.value, kind, limits,
                                         questionnaires=questionnaires)
                accepted = len(decoded.events)
                state["events"] += accepted
                state["rejected"] += len(decoded.rejected)
                state["messages"] += 1
                counter.inc(accepted)
                if state["events"] >= expected and not state["written"]:
                    finish()
                state["t_prev"] = time.time()

        count.__name__ = count.__qualname__ = f"count_{kind}"
        return count

    for kind, name in settings.source_topics.items():
        topic = app.topic(name, key_serializer="raw", value_serializer="raw",
                          partitions=settings.topic_partitions)
        app.agent(topic, name=f"bare-{kind}")(agent_for(kind))

    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(
                generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
            )

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--expected", type=int, required=True, help="events to wait for")
    parser.add_argument("--result", required=True)
    parser.add_argument("--faust-options", default="{}",
                        help="JSON object of Faust options to override (diagnostic variants)")
    args = parser.parse_args()
    disable_created_metrics()
    settings = Settings()  # CXPULSE_* from the harness: broker, web port, data dir, app id
    (settings.data_dir / settings.worker_id).mkdir(parents=True, exist_ok=True)
    app = build(settings, args.expected, Path(args.result), json.loads(args.faust_options))
    worker = faust.Worker(app, loglevel=settings.log_level, redirect_stdouts=False)
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
