"""Ticket maths: first-response bands, resolution bands, on-time closure, totals and backlog age.

Formulas and boundaries are in docs/metrics.md ("Tickets"). Elapsed times are seconds between
two aware datetimes, taken as ``(end - start) / timedelta(seconds=1)``: exact at microsecond
resolution against whole-second edges. Business-hours clocks (complaint time limits) live in
their own modules; the functions here take plain elapsed seconds, so a caller may pass either.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from metrics.errors import MetricInputError

HOUR_S = 3600.0
DAY_S = 86_400.0
_ONE_SECOND = timedelta(seconds=1)

FIRST_CONTACT = "first_contact"
WITHIN_1D = "within_1d"
OVER_1D = "over_1d"
RESOLUTION_BANDS = (FIRST_CONTACT, WITHIN_1D, OVER_1D)


def elapsed_s(start: datetime, end: datetime) -> float:
    """Seconds from ``start`` to ``end``; MetricInputError when ``end`` is before ``start``."""
    seconds = (end - start) / _ONE_SECOND
    if seconds < 0:
        raise MetricInputError(f"{end.isoformat()} is before {start.isoformat()}")
    return seconds


@dataclass(frozen=True, slots=True)
class ResponseBands:
    """First-response score bands: edges in seconds and the points of each band.

    With edges e1 < e2 < ... < en the bands are [0, e1), [e1, e2), ..., [e(n-1), en], (en, inf):
    every band includes its lower edge, and the last finite band also includes its upper edge
    (domain.md: "[3 h, 24 h] -> 3"). ``points`` has one more entry than ``edges_s``.
    """

    edges_s: tuple[float, ...] = (1 * HOUR_S, 3 * HOUR_S, 24 * HOUR_S)
    points: tuple[int, ...] = (5, 4, 3, 1)

    def __post_init__(self) -> None:
        if not self.edges_s:
            raise MetricInputError("response bands need at least one edge")
        if len(self.points) != len(self.edges_s) + 1:
            raise MetricInputError(
                f"{len(self.edges_s)} edges need {len(self.edges_s) + 1} points, "
                f"got {len(self.points)}"
            )
        if not self.edges_s[0] > 0:
            raise MetricInputError(f"the first edge must be positive, got {self.edges_s[0]}")
        pairs = zip(self.edges_s, self.edges_s[1:])
        if any(not low < high for low, high in pairs):
            raise MetricInputError(f"edges must strictly increase, got {self.edges_s}")


def response_band_points(elapsed: float, edges: ResponseBands = ResponseBands()) -> int:
    """Points for a first response ``elapsed`` seconds after creation (defaults: 5, 4, 3, 1).

    [0, 1 h) -> 5; [1 h, 3 h) -> 4; [3 h, 24 h] -> 3 (24 h itself scores 3); > 24 h -> 1.
    Raises MetricInputError for a negative elapsed time.
    """
    if not elapsed >= 0:
        raise MetricInputError(f"elapsed must be >= 0 s, got {elapsed}")
    last = len(edges.edges_s) - 1
    for index, edge in enumerate(edges.edges_s):
        if elapsed < edge or (index == last and elapsed == edge):
            return edges.points[index]
    return edges.points[-1]


def resolution_band(
    resolved_at_first_contact: bool | None,
    created_at: datetime,
    resolved_at: datetime,
    within_s: float = DAY_S,
) -> str:
    """``first_contact``, ``within_1d`` (elapsed <= 24 h, 24 h included) or ``over_1d``.

    The first-contact flag wins; None (not sent) counts as False. Raises MetricInputError when
    ``resolved_at`` is before ``created_at``.
    """
    if resolved_at_first_contact:
        return FIRST_CONTACT
    return WITHIN_1D if elapsed_s(created_at, resolved_at) <= within_s else OVER_1D


def closed_on_time(closed_at: datetime, due_at: datetime | None) -> bool | None:
    """True when closed_at <= due_at (closing at the due instant is on time).

    None when there is no due date: such a close is not in the on-time denominator.
    """
    if due_at is None:
        return None
    return closed_at <= due_at


def _ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None (not published) when the denominator is 0."""
    return numerator / denominator if denominator else None


@dataclass(slots=True)
class TicketTotals:
    """Additive components of one ticket kind (complaint, repair, ...); ratios return None on 0.

    The stream code calls one ``add_*`` per lifecycle event it decides to count, once per
    ticket and action (it owns the per-ticket state that says "first" response).
    """

    created: int = 0
    repeats: int = 0
    first_responses: int = 0
    first_response_points_sum: int = 0
    first_response_by_points: dict[int, int] = field(default_factory=dict)
    resolved: int = 0
    resolved_by_band: dict[str, int] = field(default_factory=dict)
    closed: int = 0
    closed_with_due_date: int = 0
    closed_on_time: int = 0
    reopened: int = 0

    def add_created(self, repeat: bool = False) -> None:
        """Count a new ticket; ``repeat`` when it is a repeat repair or repeat complaint."""
        self.created += 1
        self.repeats += repeat

    def add_first_response(self, points: int) -> None:
        """Count a first response scoring ``points`` (see :func:`response_band_points`)."""
        self.first_responses += 1
        self.first_response_points_sum += points
        self.first_response_by_points[points] = self.first_response_by_points.get(points, 0) + 1

    def add_resolved(self, band: str) -> None:
        """Count a resolution in ``band`` (one of RESOLUTION_BANDS)."""
        if band not in RESOLUTION_BANDS:
            raise MetricInputError(f"unknown resolution band {band!r}")
        self.resolved += 1
        self.resolved_by_band[band] = self.resolved_by_band.get(band, 0) + 1

    def add_closed(self, on_time: bool | None) -> None:
        """Count a close; ``on_time`` from :func:`closed_on_time` (None: no due date)."""
        self.closed += 1
        if on_time is not None:
            self.closed_with_due_date += 1
            self.closed_on_time += on_time

    def add_reopened(self) -> None:
        """Count a reopen."""
        self.reopened += 1

    def merge(self, other: "TicketTotals") -> None:
        """Add ``other``'s components into these."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                for key, count in theirs.items():
                    mine[key] = mine.get(key, 0) + count
            else:
                setattr(self, f.name, mine + theirs)

    def as_dict(self) -> dict[str, Any]:
        """The components as a JSON-ready dict (points keys become strings)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["first_response_by_points"] = {
            str(points): count for points, count in self.first_response_by_points.items()
        }
        out["resolved_by_band"] = dict(self.resolved_by_band)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TicketTotals":
        """Inverse of :meth:`as_dict`."""
        values = dict(data)
        values["first_response_by_points"] = {
            int(points): count for points, count in data["first_response_by_points"].items()
        }
        values["resolved_by_band"] = dict(data["resolved_by_band"])
        return cls(**values)

    def closure_rate(self) -> float | None:
        """closed / (created + reopened): closes over openings in the same period."""
        return _ratio(self.closed, self.created + self.reopened)

    def on_time_rate(self) -> float | None:
        """closed_on_time / closed_with_due_date (closes without a due date are left out)."""
        return _ratio(self.closed_on_time, self.closed_with_due_date)

    def repeat_rate(self) -> float | None:
        """repeats / created: repeat repair rate (repairs) or repeat complaint rate (complaints)."""
        return _ratio(self.repeats, self.created)

    def reopen_rate(self) -> float | None:
        """reopened / closed."""
        return _ratio(self.reopened, self.closed)

    def mean_first_response_points(self) -> float | None:
        """Mean first-response score, in points."""
        return _ratio(self.first_response_points_sum, self.first_responses)

    def resolution_share(self, band: str) -> float | None:
        """Share of resolutions in ``band``."""
        if band not in RESOLUTION_BANDS:
            raise MetricInputError(f"unknown resolution band {band!r}")
        return _ratio(self.resolved_by_band.get(band, 0), self.resolved)


class BacklogAge(NamedTuple):
    """Open tickets at an instant; age fields are None when there are none."""

    count: int
    mean_age_s: float | None
    max_age_s: float | None
    oldest_created_at: datetime | None


def backlog_age_s(open_created_at: Iterable[datetime], now: datetime) -> BacklogAge:
    """Count and age (seconds) of the open tickets created at ``open_created_at``, as of ``now``.

    Tickets created after ``now`` were not open yet at ``now`` and are left out.
    """
    created = [moment for moment in open_created_at if moment <= now]
    if not created:
        return BacklogAge(0, None, None, None)
    ages = [(now - moment) / _ONE_SECOND for moment in created]
    oldest = min(created)
    return BacklogAge(len(ages), sum(ages) / len(ages), max(ages), oldest)
