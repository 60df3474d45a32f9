"""Shared constants and helpers of the simulator tests."""

import json
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import traffic.simulate
from metrics.events import Decoded, decode_message
from tests import factories
from traffic.simulate import SimItem

# Decoding as the stream does, against the shipped data file's questionnaires.
decode_configured = partial(decode_message, questionnaires=factories.questionnaires())

CHINA = timezone(timedelta(hours=8))
# A Monday, local midnight: a run of a day or more sees the whole diurnal curve.
START = datetime(2026, 3, 2, 0, 0, tzinfo=CHINA)
SCENARIOS = Path(traffic.simulate.__file__).parent / "scenarios"


def body(item: SimItem) -> bytes:
    """The bytes a producer would send for ``item``."""
    if isinstance(item.payload, bytes):
        return item.payload
    return json.dumps(item.payload, separators=(",", ":")).encode()


def decode(item: SimItem) -> Decoded:
    """Decode ``item`` as the worker would, on its own topic, a second after it was sent."""
    return decode_configured(body(item), item.kind, now=item.emitted_at + timedelta(seconds=1))


def minutes_after_start(moment: datetime, start: datetime = START) -> float:
    """Event-time minutes between ``start`` and ``moment``."""
    return (moment - start).total_seconds() / 60
