"""Deliberate faults mixed into the stream: invalid copies and exact duplicates.

Faults use their own random stream, so switching them on inserts items but leaves the valid
events unchanged. Before each real item, faults are drawn until one "no fault" draw; this makes
``invalid_share`` and ``duplicate_share`` the expected shares of all emitted items.
"""

import copy
import json
import random
from collections.abc import Iterator
from typing import Any

from metrics.events import reasons
from traffic.simulate.items import SimItem

# Defects cycle per kind in this order, so every kind shows every defect in a short run.
DEFECTS: dict[str, tuple[str, ...]] = {
    "call": (reasons.BAD_JSON, reasons.WRONG_TYPE, reasons.NAIVE_TIMESTAMP,
             reasons.UNKNOWN_FIELD, reasons.OUT_OF_RANGE),
    "ticket": (reasons.BAD_JSON, reasons.WRONG_TYPE, reasons.NAIVE_TIMESTAMP,
               reasons.UNKNOWN_FIELD, reasons.UNKNOWN_VALUE),
    "survey": (reasons.BAD_JSON, reasons.WRONG_TYPE, reasons.NAIVE_TIMESTAMP,
               reasons.UNKNOWN_FIELD, reasons.SCORE_OUT_OF_RANGE),
}
_RECENT_SIZE = 4_096


def corrupt(kind: str, payload: dict[str, Any], defect: str) -> dict[str, Any] | bytes:
    """A copy of a valid ``payload`` of ``kind`` broken so that it is rejected for ``defect``.

    Raises KeyError for a defect :data:`DEFECTS` does not list for ``kind``.
    """
    if defect not in DEFECTS[kind]:
        raise KeyError(f"no {defect} defect for {kind} events")
    if defect == reasons.BAD_JSON:
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return raw[: len(raw) // 2]
    broken = dict(payload)
    if defect == reasons.NAIVE_TIMESTAMP:
        broken["occurred_at"] = broken["occurred_at"][:-6]
    elif defect == reasons.UNKNOWN_FIELD:
        broken["priority"] = "high"
    elif defect == reasons.OUT_OF_RANGE:
        broken["wait_s"] = -1.0 - broken["wait_s"]
    elif defect == reasons.UNKNOWN_VALUE:
        broken["kind"] = "warranty"
    elif defect == reasons.SCORE_OUT_OF_RANGE:
        scores = dict(broken["scores"])
        scores[next(iter(scores))] = broken["scale_max"] + 1
        broken["scores"] = scores
    elif kind == "call":
        # Typical producer bugs: numbers sent as strings, numeric ids from a legacy system.
        broken["wait_s"] = str(broken["wait_s"])
    elif kind == "ticket":
        broken["ticket_id"] = int(broken["ticket_id"].rsplit("-", 1)[1])
    else:
        scores = dict(broken["scores"])
        first = next(iter(scores))
        scores[first] = str(scores[first])
        broken["scores"] = scores
    return broken


class FaultInjector:
    """Draws the faults to emit before each real item; deterministic per seed."""

    def __init__(self, seed: int, invalid_share: float, duplicate_share: float) -> None:
        self._rng = random.Random(f"{seed}/faults")
        self._invalid_share = invalid_share
        self._fault_share = invalid_share + duplicate_share
        self._defects_used = dict.fromkeys(DEFECTS, 0)
        self._recent: list[SimItem] = []
        self._recent_next = 0

    def before(self, item: SimItem) -> Iterator[SimItem]:
        """Faults to send just before the real ``item``, which is then remembered for copies.

        An invalid item is a broken copy of ``item`` (same key, kind and times); a duplicate
        repeats a recent real item byte-for-byte, re-sent at ``item``'s emission time.
        """
        while True:
            u = self._rng.random()
            if u < self._invalid_share:
                yield self._invalid_copy(item)
            elif u < self._fault_share:
                if self._recent:
                    original = self._recent[int(self._rng.random() * len(self._recent))]
                    yield original._replace(
                        payload=copy.deepcopy(original.payload),
                        emitted_at=item.emitted_at,
                        duplicate=True,
                    )
            else:
                break
        self._remember(item)

    def _invalid_copy(self, item: SimItem) -> SimItem:
        defects = DEFECTS[item.kind]
        defect = defects[self._defects_used[item.kind] % len(defects)]
        self._defects_used[item.kind] += 1
        assert isinstance(item.payload, dict)
        return item._replace(payload=corrupt(item.kind, item.payload, defect), valid=False,
                             defect=defect)

    def _remember(self, item: SimItem) -> None:
        if len(self._recent) < _RECENT_SIZE:
            self._recent.append(item)
        else:
            self._recent[self._recent_next] = item
            self._recent_next = (self._recent_next + 1) % _RECENT_SIZE
