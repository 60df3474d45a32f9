"""Factories for valid contract events as dicts; override any field with keyword arguments."""

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from metrics.questionnaires import Questionnaire

_ids = itertools.count(1)
BASE_TIME = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _common(event_type: str, **overrides: Any) -> dict[str, Any]:
    n = next(_ids)
    event: dict[str, Any] = {
        "type": event_type,
        "event_id": f"{event_type}-{n}",
        "occurred_at": (BASE_TIME + timedelta(seconds=n)).isoformat(),
        "customer_id": f"cust-{n % 97}",
        "region": "east",
        "channel": "phone",
        "queue": "q-general",
        "business_line": "residential",
        "journey_stage": "repair",
    }
    event.update(overrides)
    return event


def call(**overrides: Any) -> dict[str, Any]:
    """An answered call after 7.5 s."""
    base = {"call_id": f"call-{next(_ids)}", "outcome": "answered", "wait_s": 7.5, "talk_s": 120.0}
    return _common("call", **{**base, **overrides})


def ticket(**overrides: Any) -> dict[str, Any]:
    """A repair ticket being created."""
    base = {"ticket_id": f"t-{next(_ids)}", "kind": "repair", "action": "created"}
    return _common("ticket", **{**base, **overrides})


def survey(**overrides: Any) -> dict[str, Any]:
    """An after-sales survey on the 10-point scale."""
    base = {
        "questionnaire": "after_sales_10",
        "scale_max": 10,
        "scores": {"service_skill": 9, "attitude": 10, "timeliness": 7, "parts_supply": 8,
                   "overall": 9},
    }
    return _common("survey", **{**base, **overrides})


FACTORIES = {"call": call, "ticket": ticket, "survey": survey}


def questionnaires() -> Mapping[str, Questionnaire]:
    """The shipped data file's questionnaires, which events and buckets in tests are read with."""
    from streams.dataconfig_load import default_config

    return default_config().catalogue()
