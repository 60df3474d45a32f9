"""Call maths: rings from the wait, short abandons, per-call measures and additive totals.

Formulas and boundaries are in docs/metrics.md ("Calls"). Times are float seconds. Boundaries
are judged on each call's own values (never on sums), and the ring count is computed so that a
wait that prints as an exact multiple of the cadence (15.0 s at 5 s, 0.3 s at 0.1 s) lands on
the later ring, as it would on paper.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Protocol

from metrics.errors import MetricInputError

DEFAULT_CADENCE_S = 5.0
DEFAULT_SHORT_ABANDON_S = 5.0
DEFAULT_TARGET_RINGS = 4

# A float quotient this close to an integer may sit on the wrong side of it; decide in decimal.
_NEAR_INTEGER = 1e-9


def _floor_ratio(numerator: float, denominator: float) -> int:
    """floor(numerator / denominator) for non-negative numbers, taken as the decimals they print as.

    Plain float division is used unless the quotient is within 1e-9 (relative) of an integer;
    then both numbers are read back from their shortest repr as Decimals, so 0.3 / 0.1 is 3,
    not 2.9999999999999996.
    """
    quotient = numerator / denominator
    if abs(quotient - round(quotient)) > _NEAR_INTEGER * max(1.0, quotient):
        return math.floor(quotient)
    if numerator % 1 == 0 and denominator % 1 == 0:
        return int(numerator) // int(denominator)
    return int(Decimal(repr(numerator)) // Decimal(repr(denominator)))


def rings_from_wait(wait_s: float, cadence_s: float = DEFAULT_CADENCE_S) -> int:
    """Rings heard before answer: floor(wait_s / cadence_s) + 1.

    Ring k starts at (k - 1) x cadence_s, so a wait of 0 s is 1 ring, 4.999 s is 1 ring and
    5.0 s is 2 rings at the default 5 s cadence. Raises MetricInputError for a negative wait or
    a cadence that is not positive.
    """
    if not cadence_s > 0:
        raise MetricInputError(f"cadence_s must be positive, got {cadence_s}")
    if not wait_s >= 0:
        raise MetricInputError(f"wait_s must be >= 0, got {wait_s}")
    return _floor_ratio(wait_s, cadence_s) + 1


def ring_count(event_rings: int | None, wait_s: float, cadence_s: float = DEFAULT_CADENCE_S) -> int:
    """The call's ring count: the count the switch sent if any, else derived from the wait."""
    if event_rings is not None:
        if event_rings < 1:
            raise MetricInputError(f"rings must be >= 1, got {event_rings}")
        return event_rings
    return rings_from_wait(wait_s, cadence_s)


def is_short_abandon(wait_s: float, threshold_s: float = DEFAULT_SHORT_ABANDON_S) -> bool:
    """True when a caller who hung up did so strictly before ``threshold_s`` seconds.

    Exactly ``threshold_s`` is not short. A threshold of 0 disables short abandons. Only
    meaningful for abandoned calls; callers check the outcome.
    """
    return wait_s < threshold_s


@dataclass(frozen=True, slots=True)
class CallRules:
    """The configurable parts of the call formulas; per-queue targets override the default."""

    cadence_s: float = DEFAULT_CADENCE_S
    short_abandon_s: float = DEFAULT_SHORT_ABANDON_S
    target_rings: int = DEFAULT_TARGET_RINGS
    target_rings_by_queue: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.cadence_s > 0:
            raise MetricInputError(f"cadence_s must be positive, got {self.cadence_s}")
        if not self.short_abandon_s >= 0:
            raise MetricInputError(f"short_abandon_s must be >= 0, got {self.short_abandon_s}")
        for queue, rings in {"(default)": self.target_rings, **self.target_rings_by_queue}.items():
            if rings < 1:
                raise MetricInputError(f"target rings for {queue} must be >= 1, got {rings}")

    def target_for(self, queue: str) -> int:
        """The answer target in rings for ``queue``."""
        return self.target_rings_by_queue.get(queue, self.target_rings)


class CallLike(Protocol):
    """What :func:`measure_call` reads; metrics.events.CallEvent satisfies it."""

    @property
    def queue(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def wait_s(self) -> float: ...
    @property
    def rings(self) -> int | None: ...
    @property
    def talk_s(self) -> float | None: ...
    @property
    def transfers(self) -> int: ...


@dataclass(frozen=True, slots=True)
class CallMeasures:
    """What one offered call contributes. ``rings`` is None for abandoned calls."""

    offered: int
    answered: bool
    answered_within_target: bool
    abandoned: bool
    short_abandoned: bool
    wait_s: float
    talk_s: float | None
    transfers: int
    rings: int | None


def measure_call(call: CallLike, rules: CallRules = CallRules()) -> CallMeasures:
    """Measures of one finished call under ``rules``.

    Answered within target means ring_count <= the queue's target rings. A short abandon is an
    abandoned call with wait_s < rules.short_abandon_s.
    """
    answered = call.outcome == "answered"
    if answered:
        rings: int | None = ring_count(call.rings, call.wait_s, rules.cadence_s)
        within = rings <= rules.target_for(call.queue)
        short = False
    elif call.outcome == "abandoned":
        rings, within = None, False
        short = is_short_abandon(call.wait_s, rules.short_abandon_s)
    else:
        raise MetricInputError(f"unknown call outcome {call.outcome!r}")
    return CallMeasures(
        offered=1,
        answered=answered,
        answered_within_target=within,
        abandoned=not answered,
        short_abandoned=short,
        wait_s=call.wait_s,
        talk_s=call.talk_s if answered else None,
        transfers=call.transfers,
        rings=rings,
    )


def _ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None (not published) when the denominator is 0."""
    return numerator / denominator if denominator else None


@dataclass(slots=True)
class CallTotals:
    """Additive call components; add calls, merge totals, read ratios (None on a 0 denominator).

    Counts are ints. Second sums are floats: their last bits depend on the order of additions,
    which only moves averages by ~1e-15 relative and never moves a boundary.
    """

    offered: int = 0
    answered: int = 0
    answered_within_target: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answer_wait_s_sum: float = 0.0
    abandon_wait_s_sum: float = 0.0
    talked: int = 0
    talk_s_sum: float = 0.0
    transfers: int = 0

    def add(self, measures: CallMeasures) -> None:
        """Count one call."""
        self.offered += measures.offered
        self.transfers += measures.transfers
        if measures.answered:
            self.answered += 1
            self.answer_wait_s_sum += measures.wait_s
            if measures.answered_within_target:
                self.answered_within_target += 1
            if measures.talk_s is not None:
                self.talked += 1
                self.talk_s_sum += measures.talk_s
        else:
            self.abandoned += 1
            self.abandon_wait_s_sum += measures.wait_s
            if measures.short_abandoned:
                self.short_abandoned += 1

    def merge(self, other: "CallTotals") -> None:
        """Add ``other``'s components into these (e.g. two workers' or two minutes' partials)."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, Any]:
        """The components as a JSON-ready dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CallTotals":
        """Inverse of :meth:`as_dict`; unknown keys raise TypeError."""
        return cls(**data)

    def service_level(self) -> float | None:
        """answered_within_target / (offered - short_abandoned)."""
        return _ratio(self.answered_within_target, self.offered - self.short_abandoned)

    def abandonment_rate(self) -> float | None:
        """(abandoned - short_abandoned) / (offered - short_abandoned)."""
        return _ratio(self.abandoned - self.short_abandoned, self.offered - self.short_abandoned)

    def average_speed_of_answer_s(self) -> float | None:
        """Mean wait of answered calls, in seconds."""
        return _ratio(self.answer_wait_s_sum, self.answered)

    def average_talk_s(self) -> float | None:
        """Mean talk time of answered calls that reported one, in seconds."""
        return _ratio(self.talk_s_sum, self.talked)

    def transfers_per_call(self) -> float | None:
        """Transfers / offered calls."""
        return _ratio(self.transfers, self.offered)
