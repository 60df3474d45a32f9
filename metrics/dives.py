"""Dives: the rules both kinds share, one evaluated dive, and the start/end book.

A dive is judged per view key and kind (docs/dives.md):

- ``stage_vs_previous`` and ``stage_vs_benchmark``: journey dives (metrics/journeys.py), a
  journey stage's index against the stage before it or against its benchmark;
- ``time``: a key's recent index against its own baseline, by a sequential detector
  (metrics/time_dives.py).

Every kind yields a :class:`Dive`: whether it is on, the depth in points with its 95 %
margin, the one-sided p-value, the responses on both sides, and the drivers
(metrics/drivers.py). :class:`DiveBook` turns a stream of evaluations into start and end
records, once each.
"""

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Any

from metrics.errors import MetricInputError
from metrics.stats import index_interval

KINDS = ("stage_vs_previous", "stage_vs_benchmark", "time")
#: Operational measures a dive can name (a closed set: it is a metric label).
OPERATIONAL = ("first_response_slow", "sla_miss", "repeat_repair", "none")
NO_DRIVER = "none"
_STD = NormalDist()


@dataclass(frozen=True)
class Measure:
    """The survey item dives are judged on, and the scale it is scored on."""

    questionnaire: str = "after_sales_10"
    dimension: str = "overall"
    scale_min: int = 1
    scale_max: int = 10
    #: The questionnaire's other dimensions: the candidates for "the dimension that fell".
    drivers: tuple[str, ...] = ()

    def prefix(self, dimension: str | None = None) -> str:
        return f"surveys/{self.questionnaire}/{dimension or self.dimension}/"


@dataclass(frozen=True)
class DiveRules:
    """Parameters of both dive kinds (docs/dives.md, "Parameters"; data file ``dives``)."""

    # journey dives
    journey_min_points: float = 5.0
    journey_alpha: float = 0.01
    journey_min_responses: int = 100
    journey_window: str = "7d"
    # time dives
    design_points: float = 5.0
    target_run_days: float = 365.0
    step_minutes: int = 10
    span_hours: int = 12
    baseline_days: int = 7
    recent_hours: int = 3
    min_responses: int = 30
    min_baseline: int = 300
    shrink_responses: int = 200
    #: Over-dispersion of the baseline's hours (metrics/baseline.py): days it needs, and the
    #: most it may inflate the variance.
    dispersion_min_days: int = 3
    dispersion_cap: float = 4.0

    def __post_init__(self) -> None:
        if not 0 < self.journey_alpha < 0.5:
            raise MetricInputError("journey_alpha must be in (0, 0.5)")
        if 60 % self.step_minutes or self.span_hours * 60 % self.step_minutes:
            raise MetricInputError("step_minutes must divide an hour")
        if not 1 <= self.span_hours <= 23:
            raise MetricInputError("span_hours must be 1..23 (minute buckets live 24 h)")
        if self.recent_hours > self.span_hours:
            raise MetricInputError("recent_hours cannot exceed span_hours")
        if self.dispersion_min_days < 2 or self.dispersion_cap < 1:
            raise MetricInputError("dispersion_min_days must be >= 2 and dispersion_cap >= 1")


@dataclass(frozen=True)
class Side:
    """The index of one side of a comparison: responses, index and its standard error."""

    n: int
    index: float | None
    se: float | None

    @classmethod
    def of(cls, n: int, sum_scores: int, sum_squares: int, scale_max: int) -> "Side":
        found = index_interval(n, sum_scores, sum_squares, scale_max)
        if found is None:
            return cls(0, None, None)
        return cls(n, found.mean, found.se)

    @classmethod
    def fixed(cls, index: float) -> "Side":
        """A benchmark: a known index without sampling error."""
        return cls(0, index, 0.0)


def compare(reference: Side, observed: Side) -> tuple[float, float, float] | None:
    """(depth, 95 % margin, one-sided p) of ``observed`` falling below ``reference``.

    depth = reference - observed in points; se = sqrt(se_ref^2 + se_obs^2); p = P(Z > depth /
    se). None when either side has no index or no standard error.
    """
    if reference.index is None or observed.index is None:
        return None
    if reference.se is None or observed.se is None:
        return None
    depth = reference.index - observed.index
    se = math.hypot(reference.se, observed.se)
    if se == 0:
        return depth, 0.0, 0.0 if depth > 0 else 1.0
    return depth, 1.96 * se, 1 - _STD.cdf(depth / se)


@dataclass(frozen=True)
class Dive:
    """One evaluation of one kind of dive for one view key."""

    key: str
    kind: str
    active: bool
    alarm: bool = False      # the detector's own verdict, sample minimums aside (time dives)
    depth: float | None = None
    margin: float | None = None
    p_value: float | None = None
    recent: int = 0          # responses on the judged side (stage, or recent period)
    baseline: int = 0        # responses on the reference side (0 for a benchmark)
    index: float | None = None
    reference: float | None = None
    statistic: float | None = None   # time dives: detector statistic / threshold, 0..1
    since_s: float | None = None     # time dives: the detector's change point (event time)
    detected_s: float | None = None  # time dives: end of the step the detector alarmed in
    driver: str = NO_DRIVER          # the dimension that fell most
    driver_drop: float | None = None
    measure: str = "none"            # the operational measure that moved most
    measure_from: float | None = None
    measure_to: float | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DiveBook:
    """The dives currently on, per (key, kind), with when they started (event time).

    :meth:`observe` returns the log record to write when a dive starts or ends, else None.
    Saved with the stage-2 partition's clock (``to_json``), so a restart neither repeats a
    start nor forgets an end.
    """

    on: dict[str, float] = field(default_factory=dict)

    def observe(self, dive: Dive, at_s: float) -> dict[str, Any] | None:
        ident = f"{dive.key}#{dive.kind}"
        started = self.on.get(ident)
        # A time dive that is on ends when its detector clears, not when a thin moment (data
        # trailing the clock) leaves a side below its minimum: no flapping.
        over = not (dive.alarm if dive.kind == "time" else dive.active)
        if dive.active and started is None:
            start = dive.since_s if dive.since_s is not None else at_s
            self.on[ident] = start
            return {"event": "start", "id": f"{ident}@{int(start)}", "started_s": start,
                    "at_s": at_s, **dive.as_dict()}
        if over and started is not None:
            del self.on[ident]
            return {"event": "end", "id": f"{ident}@{int(started)}", "started_s": started,
                    "at_s": at_s, **dive.as_dict()}
        return None

    def holds(self, dive: Dive) -> bool:
        """Whether ``dive`` is on in the book (it may be on while a side is thin)."""
        return f"{dive.key}#{dive.kind}" in self.on

    def forget(self, keys: set[str]) -> list[str]:
        """Drop the dives of view keys no longer evaluated; returns their ids."""
        gone = [ident for ident in self.on if ident.split("#", 1)[0] in keys]
        for ident in gone:
            del self.on[ident]
        return gone

    def to_json(self) -> dict[str, float]:
        return dict(self.on)

    @classmethod
    def from_json(cls, data: Mapping[str, float] | None) -> "DiveBook":
        return cls(dict(data or {}))
