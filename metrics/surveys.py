"""Survey maths: dimension and overall indices, distribution, boxes, gap to target, totals.

Indices are computed from integer sums as exact Fractions and converted to float once; the
display rounding (one decimal, half up) and the gap to target never go through binary floating
point, so they cannot be off by one at a boundary. Formulas: docs/metrics.md ("Surveys").
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from metrics.errors import MetricInputError

DEFAULT_TARGET = 80
DEFAULT_MIN_SAMPLE = 30
# Scales with more points than this get a two-score top and bottom box by default.
_ONE_SCORE_BOX_MAX_POINTS = 7

Number = int | float | Fraction | Decimal


def _exact(value: Number | str) -> Fraction:
    """``value`` as a Fraction; a float is taken as the decimal it prints as (0.7 -> 7/10)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MetricInputError(f"not a finite number: {value}")
        return Fraction(repr(value))
    return Fraction(value)


def _check_counts(sum_scores: int, responses: int, scale_max: int) -> None:
    if responses < 0 or sum_scores < 0:
        raise MetricInputError(f"negative count: sum {sum_scores}, responses {responses}")
    if scale_max < 1:
        raise MetricInputError(f"scale_max must be >= 1, got {scale_max}")
    if sum_scores > scale_max * responses:
        raise MetricInputError(
            f"sum {sum_scores} exceeds {responses} responses x scale_max {scale_max}"
        )


def dimension_index_exact(sum_scores: int, responses: int, scale_max: int) -> Fraction | None:
    """(sum_scores / responses) / scale_max x 100 as an exact Fraction; None with no responses."""
    _check_counts(sum_scores, responses, scale_max)
    if responses == 0:
        return None
    return Fraction(100 * sum_scores, responses * scale_max)


def dimension_index(sum_scores: int, responses: int, scale_max: int) -> float | None:
    """Dimension index on 100 points: mean score / scale_max x 100; None with no responses.

    The float is the correctly rounded value of the exact ratio.
    """
    exact = dimension_index_exact(sum_scores, responses, scale_max)
    return None if exact is None else float(exact)


def round_half_up(value: Number, places: int = 1) -> Decimal:
    """``value`` rounded to ``places`` decimals, halves away from zero (ROUND_HALF_UP), exactly.

    Fractions are rounded exactly (84.45 -> 84.5); a float is first read as the decimal it
    prints as, so 84.45 (stored as 84.4499...) also gives 84.5.
    """
    exact = _exact(value)
    scaled = abs(exact) * 10**places
    units = math.floor(scaled + Fraction(1, 2))
    sign = -1 if exact < 0 else 1
    return Decimal(sign * units).scaleb(-places)


def overall_index(dimension_indices: Iterable[Number | None]) -> Fraction | float | None:
    """Arithmetic mean of the dimension indices; dimensions without an index (None) are skipped.

    None when no dimension has an index. Fractions in, Fraction out (exact); floats in, float out.
    """
    values = [value for value in dimension_indices if value is not None]
    if not values:
        return None
    return sum(values) / len(values)


def distribution(counts_by_score: Mapping[int, int]) -> dict[int, float] | None:
    """Share of responses at each score, in ascending score order; None with no responses."""
    if any(count < 0 for count in counts_by_score.values()):
        raise MetricInputError(f"negative count in {dict(counts_by_score)}")
    total = sum(counts_by_score.values())
    if total == 0:
        return None
    return {score: counts_by_score[score] / total for score in sorted(counts_by_score)}


def box_width(scale_min: int, scale_max: int) -> int:
    """Default box width: 1 score on scales of up to 7 points (1..5), 2 above (1..10, 0..10)."""
    return 1 if scale_max - scale_min + 1 <= _ONE_SCORE_BOX_MAX_POINTS else 2


def box_scores(scale_min: int, scale_max: int, width: int | None, top: bool) -> range:
    """The scores of the top or bottom box; MetricInputError for a width off the scale."""
    width = box_width(scale_min, scale_max) if width is None else width
    if not 1 <= width <= scale_max - scale_min + 1:
        raise MetricInputError(f"box width {width} does not fit {scale_min}..{scale_max}")
    if top:
        return range(scale_max - width + 1, scale_max + 1)
    return range(scale_min, scale_min + width)


def _box_share(counts: Mapping[int, int], scores: range) -> float | None:
    total = sum(counts.values())
    if total == 0:
        return None
    return sum(counts.get(score, 0) for score in scores) / total


def top_box_share(
    counts_by_score: Mapping[int, int], scale_min: int, scale_max: int, width: int | None = None
) -> float | None:
    """Share of responses in the top ``width`` scores (default :func:`box_width`); None if empty."""
    return _box_share(counts_by_score, box_scores(scale_min, scale_max, width, top=True))


def bottom_box_share(
    counts_by_score: Mapping[int, int], scale_min: int, scale_max: int, width: int | None = None
) -> float | None:
    """Share of responses in the bottom ``width`` scores (default :func:`box_width`).

    None with no responses.
    """
    return _box_share(counts_by_score, box_scores(scale_min, scale_max, width, top=False))


def gap_to_target(
    sum_scores: int, responses: int, scale_max: int, target: Number | str = DEFAULT_TARGET
) -> int | None:
    """Fewest one-point moves to reach ``target``: ceil(target/100 x scale_max x responses - sum).

    Never below 0; None with no responses (no index to move). Exact rational arithmetic: a
    float target is read as the decimal it prints as. Target must lie in 0..100.
    """
    _check_counts(sum_scores, responses, scale_max)
    goal = _exact(target)
    if not 0 <= goal <= 100:
        raise MetricInputError(f"target must be within 0..100, got {target}")
    if responses == 0:
        return None
    needed = goal * scale_max * responses / 100 - sum_scores
    return max(0, math.ceil(needed))


@dataclass(frozen=True, slots=True)
class SurveyTargets:
    """What survey indices are judged against: a target per dimension and the minimum sample.

    The target of (questionnaire, dimension) is the first of: ``by_dimension[(q, d)]``,
    ``by_questionnaire[q]``, ``default``; all on the 100-point index scale (0..100). Fewer
    responses than ``min_sample`` flag an index as a low sample.
    """

    default: float = DEFAULT_TARGET
    by_questionnaire: Mapping[str, float] = field(default_factory=dict)
    by_dimension: Mapping[tuple[str, str], float] = field(default_factory=dict)
    min_sample: int = DEFAULT_MIN_SAMPLE

    def __post_init__(self) -> None:
        targets = {"default": self.default, **self.by_questionnaire,
                   **{"/".join(key): value for key, value in self.by_dimension.items()}}
        for name, value in targets.items():
            if not 0 <= value <= 100:
                raise MetricInputError(f"target of {name} must be within 0..100, got {value}")
        if self.min_sample < 1:
            raise MetricInputError(f"min_sample must be >= 1, got {self.min_sample}")

    def target(self, questionnaire: str, dimension: str) -> float:
        """The index target of ``dimension`` of ``questionnaire`` (100-point scale)."""
        found = self.by_dimension.get((questionnaire, dimension))
        if found is not None:
            return found
        return self.by_questionnaire.get(questionnaire, self.default)


@dataclass(slots=True)
class SurveyTotals:
    """Additive components of one (questionnaire, dimension): counts, sums and the histogram.

    ``sum_squares`` feeds the standard error in metrics.stats. Merge only totals of the same
    scale.
    """

    scale_min: int
    scale_max: int
    responses: int = 0
    sum_scores: int = 0
    sum_squares: int = 0
    counts_by_score: dict[int, int] = field(default_factory=dict)

    def add(self, score: int) -> None:
        """Count one response scoring ``score`` (must lie on the scale)."""
        if not self.scale_min <= score <= self.scale_max:
            raise MetricInputError(
                f"score {score} outside {self.scale_min}..{self.scale_max}"
            )
        self.responses += 1
        self.sum_scores += score
        self.sum_squares += score * score
        self.counts_by_score[score] = self.counts_by_score.get(score, 0) + 1

    def merge(self, other: "SurveyTotals") -> None:
        """Add ``other``'s components into these; MetricInputError when the scales differ."""
        if (other.scale_min, other.scale_max) != (self.scale_min, self.scale_max):
            raise MetricInputError(
                f"cannot merge scale {other.scale_min}..{other.scale_max} into "
                f"{self.scale_min}..{self.scale_max}"
            )
        self.responses += other.responses
        self.sum_scores += other.sum_scores
        self.sum_squares += other.sum_squares
        for score, count in other.counts_by_score.items():
            self.counts_by_score[score] = self.counts_by_score.get(score, 0) + count

    def as_dict(self) -> dict[str, Any]:
        """The components as a JSON-ready dict (score keys become strings)."""
        return {
            "scale_min": self.scale_min,
            "scale_max": self.scale_max,
            "responses": self.responses,
            "sum_scores": self.sum_scores,
            "sum_squares": self.sum_squares,
            "counts_by_score": {str(score): n for score, n in self.counts_by_score.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SurveyTotals":
        """Inverse of :meth:`as_dict`."""
        counts = {int(score): n for score, n in data["counts_by_score"].items()}
        return cls(data["scale_min"], data["scale_max"], data["responses"], data["sum_scores"],
                   data["sum_squares"], counts)

    def index_exact(self) -> Fraction | None:
        """The dimension index as a Fraction; None with no responses."""
        return dimension_index_exact(self.sum_scores, self.responses, self.scale_max)

    def index(self) -> float | None:
        """The dimension index on 100 points; None with no responses."""
        return dimension_index(self.sum_scores, self.responses, self.scale_max)

    def gap_to_target(self, target: Number | str = DEFAULT_TARGET) -> int | None:
        """See :func:`gap_to_target`."""
        return gap_to_target(self.sum_scores, self.responses, self.scale_max, target)

    def distribution(self) -> dict[int, float] | None:
        """Share of each score on the whole scale (unseen scores at 0.0); None if empty."""
        if self.responses == 0:
            return None
        return {score: self.counts_by_score.get(score, 0) / self.responses
                for score in range(self.scale_min, self.scale_max + 1)}

    def top_box_share(self, width: int | None = None) -> float | None:
        """See :func:`top_box_share`."""
        return top_box_share(self.counts_by_score, self.scale_min, self.scale_max, width)

    def bottom_box_share(self, width: int | None = None) -> float | None:
        """See :func:`bottom_box_share`."""
        return bottom_box_share(self.counts_by_score, self.scale_min, self.scale_max, width)

    def low_sample(self, min_sample: int = DEFAULT_MIN_SAMPLE) -> bool:
        """True when responses < ``min_sample``: the index must be shown as "low sample"."""
        return self.responses < min_sample
