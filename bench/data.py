"""Benchmark input: the project's simulator (traffic.simulate), so every event feeds the catalogue.

Calls (answered, abandoned, transferred), ticket lifecycles (created, first_response, updated,
paused/resumed, resolved, closed, reopened) and surveys of three questionnaires, from a seeded
pool of customers. The corpus spans about a day of event time: the simulator's rate is set to
``count / SPAN_S`` and it starts at local midnight, ``DAYS_BACK`` days before now, so the
diurnal curve is the same in every run and no event lies in the future. The first ~12 hours are
the simulator's warm-up (calls first, ticket steps and surveys catching up); over the whole
corpus the mix is ~52 % calls, ~27 % ticket events, ~20 % surveys (measured at 200,000 events,
seed 7; the harness records the mix of every corpus). No faults: every event is valid and
first-seen, so the worker must process all of them (a few calls may be counted late, which
still runs the lateness path).
"""

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from streams.settings import Settings
from traffic.producer import EventProducer
from traffic.simulate import SimulatorConfig, generate
from traffic.simulated import item_bytes

SPAN_S = 86_400.0
DAYS_BACK = 3


@dataclass
class Corpus:
    """Serialised events in emission order, and what they are."""

    events: list[bytes]
    start: str
    end: str
    mix: dict[str, Any] = field(default_factory=dict)


def simulate(count: int, customers: int, seed: int = 7, span_s: float = SPAN_S) -> Corpus:
    """``count`` valid simulator events over about ``span_s`` of event time (default a day;
    see the module doc)."""
    config = SimulatorConfig(seed=seed, rate_per_s=count / span_s, customers=customers)
    offset = timezone(timedelta(hours=config.utc_offset_h))
    start = (datetime.now(offset) - timedelta(days=DAYS_BACK)).replace(
        hour=0, minute=0, second=0, microsecond=0)
    items = list(generate(config, None, start, count=count))
    kinds = Counter(item.kind for item in items)
    actions = Counter(item.payload["action"] for item in items if item.kind == "ticket")
    questionnaires = Counter(item.payload["questionnaire"] for item in items
                             if item.kind == "survey")
    events = [item_bytes(item) for item in items]
    mix = {
        "kinds": dict(kinds), "ticket_actions": dict(actions),
        "questionnaires": dict(questionnaires),
        "customers_seen": len({item.key for item in items}),
        "event_bytes_mean": sum(map(len, events)) / max(len(events), 1),
        "simulator": {"seed": seed, "rate_per_s": config.rate_per_s, "customers": customers},
    }
    last = items[-1].occurred_at.isoformat() if items else start.isoformat()
    return Corpus(events, start.isoformat(), last, mix)


@dataclass
class Preload:
    """What was written to the source topics before the consumer started."""

    events: int
    messages: int
    event_bytes_mean: float
    message_bytes_mean: float
    seconds: float


def preload(settings: Settings, events: list[bytes], envelope_size: int) -> Preload:
    """Send ``events`` with the project's EventProducer (validated, keyed, enveloped)."""
    started = time.monotonic()
    producer = EventProducer(settings, envelope_size=envelope_size)
    try:
        for value in events:
            producer.send_bytes(value)
    finally:
        producer.close()
    event_bytes = sum(len(v) for v in events)
    # envelope = {"type":"envelope","events":[e1,e2,...]}: 30 bytes + commas between items
    if envelope_size > 1:
        message_bytes = event_bytes + producer.messages_sent * 30 + (
            len(events) - producer.messages_sent)
    else:
        message_bytes = event_bytes
    return Preload(
        events=producer.events_sent,
        messages=producer.messages_sent,
        event_bytes_mean=event_bytes / max(len(events), 1),
        message_bytes_mean=message_bytes / max(producer.messages_sent, 1),
        seconds=time.monotonic() - started,
    )
