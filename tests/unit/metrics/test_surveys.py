"""Survey maths: indices, display rounding, distribution, boxes, gap to target, totals."""

import json
import math
from decimal import Decimal
from fractions import Fraction

import pytest

from metrics.errors import MetricInputError
from metrics.surveys import (
    SurveyTargets,
    SurveyTotals,
    bottom_box_share,
    box_width,
    dimension_index,
    dimension_index_exact,
    distribution,
    gap_to_target,
    overall_index,
    round_half_up,
    top_box_share,
)


@pytest.mark.parametrize(
    ("sum_scores", "responses", "scale_max", "index"),
    [
        pytest.param(80, 10, 10, 80.0, id="mean-8-of-10"),
        pytest.param(10, 1, 10, 100.0, id="all-top"),
        pytest.param(1, 1, 10, 10.0, id="all-bottom-10pt"),
        pytest.param(12, 3, 5, 80.0, id="mean-4-of-5"),
        pytest.param(25, 3, 10, 250 / 3, id="repeating-decimal"),
        pytest.param(0, 4, 10, 0.0, id="zero-scale-min-0"),
        pytest.param(0, 0, 10, None, id="no-responses-not-published"),
    ],
)
def test_dimension_index(sum_scores, responses, scale_max, index):
    assert dimension_index(sum_scores, responses, scale_max) == index


def test_dimension_index_exact_is_a_fraction():
    assert dimension_index_exact(25, 3, 10) == Fraction(250, 3)


@pytest.mark.parametrize(
    ("sum_scores", "responses", "scale_max"),
    [(-1, 1, 10), (1, -1, 10), (11, 1, 10), (1, 1, 0)],
)
def test_dimension_index_rejects_impossible_counts(sum_scores, responses, scale_max):
    with pytest.raises(MetricInputError):
        dimension_index(sum_scores, responses, scale_max)


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        pytest.param(Fraction(8445, 100), 1, "84.5", id="exact-half-rounds-up"),
        pytest.param(84.45, 1, "84.5", id="float-84.45-stored-below-half-still-up"),
        pytest.param(Fraction(8444, 100), 1, "84.4", id="below-half-down"),
        pytest.param(Fraction(250, 3), 1, "83.3", id="thirds"),
        pytest.param(Fraction(-1, 20), 1, "-0.1", id="negative-half-away-from-zero"),
        pytest.param(100, 1, "100.0", id="integer-keeps-one-decimal"),
        pytest.param(Decimal("2.675"), 2, "2.68", id="decimal-two-places"),
        pytest.param(2.675, 2, "2.68", id="float-2.675-two-places"),
    ],
)
def test_round_half_up(value, places, shown):
    assert str(round_half_up(value, places)) == shown


def test_display_index_on_the_10_point_scale_from_domain_example():
    # 20 responses summing 169: mean 8.45 -> index 84.5 on 100 points, one decimal.
    assert str(round_half_up(dimension_index_exact(169, 20, 10))) == "84.5"


@pytest.mark.parametrize(
    ("indices", "overall"),
    [
        pytest.param([80.0, 90.0, 70.0], 80.0, id="mean-of-three"),
        pytest.param([80.0, None, 90.0], 85.0, id="dimension-without-responses-skipped"),
        pytest.param([None, None], None, id="nothing-to-average"),
        pytest.param([], None, id="empty"),
        pytest.param([Fraction(250, 3), Fraction(80)], Fraction(490, 6), id="fractions-stay-exact"),
    ],
)
def test_overall_index(indices, overall):
    assert overall_index(indices) == overall


@pytest.mark.parametrize(
    ("counts", "shares"),
    [
        pytest.param({5: 3, 4: 1}, {4: 0.25, 5: 0.75}, id="ascending-order"),
        pytest.param({1: 0, 2: 2}, {1: 0.0, 2: 1.0}, id="zero-count-kept"),
        pytest.param({}, None, id="empty"),
        pytest.param({3: 0}, None, id="only-zero-counts"),
    ],
)
def test_distribution(counts, shares):
    result = distribution(counts)
    assert result == shares
    if result is not None:
        assert list(result) == sorted(result)


def test_distribution_rejects_negative_counts():
    with pytest.raises(MetricInputError):
        distribution({1: -1})


@pytest.mark.parametrize(
    ("scale_min", "scale_max", "width"),
    [(1, 5, 1), (1, 7, 1), (1, 10, 2), (0, 10, 2), (1, 8, 2)],
)
def test_box_width_default(scale_min, scale_max, width):
    assert box_width(scale_min, scale_max) == width


TEN = {10: 3, 9: 2, 8: 1, 5: 1, 2: 1, 1: 2}  # 10 responses on 1..10
FIVE = {5: 4, 4: 3, 1: 3}  # 10 responses on 1..5


@pytest.mark.parametrize(
    ("counts", "scale_min", "scale_max", "width", "top", "bottom"),
    [
        pytest.param(TEN, 1, 10, None, 0.5, 0.3, id="10pt-top-two-and-bottom-two"),
        pytest.param(FIVE, 1, 5, None, 0.4, 0.3, id="5pt-top-one-and-bottom-one"),
        pytest.param(FIVE, 1, 5, 2, 0.7, 0.3, id="5pt-width-2-configured"),
        pytest.param(TEN, 1, 10, 1, 0.3, 0.2, id="10pt-width-1-configured"),
        pytest.param({}, 1, 5, None, None, None, id="empty"),
    ],
)
def test_top_and_bottom_box(counts, scale_min, scale_max, width, top, bottom):
    assert top_box_share(counts, scale_min, scale_max, width) == top
    assert bottom_box_share(counts, scale_min, scale_max, width) == bottom


@pytest.mark.parametrize("width", [0, 6])
def test_box_width_must_fit_the_scale(width):
    with pytest.raises(MetricInputError):
        top_box_share(FIVE, 1, 5, width)


@pytest.mark.parametrize(
    ("sum_scores", "responses", "scale_max", "target", "gap"),
    [
        pytest.param(80, 10, 10, 80, 0, id="at-target"),
        pytest.param(79, 10, 10, 80, 1, id="one-point-short"),
        pytest.param(100, 10, 10, 80, 0, id="above-target-never-negative"),
        pytest.param(25, 3, 10, 85, 1, id="ceil-25.5-minus-25"),
        pytest.param(70, 10, 10, 70, 0, id="at-70"),
        pytest.param(81, 10, 10, 81, 0, id="float-would-say-1-at-81"),
        pytest.param(23, 5, 5, 92, 0, id="float-would-say-1-at-92-5pt"),
        pytest.param(99, 15, 10, 66, 0, id="float-would-say-1-at-66"),
        pytest.param(70, 10, 10, 0.7 * 100, 0, id="float-target-read-as-printed"),
        pytest.param(69, 10, 10, 70, 1, id="just-below-70"),
        pytest.param(28, 10, 5, 57, 1, id="5pt-0.57x5x10-is-28.5"),
        pytest.param(57, 20, 5, 57, 0, id="5pt-exactly-57"),
        pytest.param(29, 10, 5, "57.5", 0, id="string-target-28.75"),
        pytest.param(0, 0, 10, 80, None, id="no-responses"),
        pytest.param(10, 10, 10, 100, 90, id="target-100-from-all-ones"),
        pytest.param(7_999_999_999, 1_000_000_000, 10, 80, 1, id="big-counts-one-short"),
        pytest.param(8_000_000_000, 1_000_000_000, 10, 80, 0, id="big-counts-at-target"),
        pytest.param(4_050_000_000, 1_000_000_000, 5, 81, 0, id="big-counts-float-would-say-1"),
        pytest.param(4_049_999_999, 1_000_000_000, 5, 81, 1, id="big-counts-one-below"),
        pytest.param(2_333_333_333, 1_000_000_000, 3, "77.7777777777", 1,
                     id="big-counts-long-decimal-target-0.331-short"),
        pytest.param(2_333_333_334, 1_000_000_000, 3, "77.7777777777", 0,
                     id="big-counts-long-decimal-target-reached"),
    ],
)
def test_gap_to_target(sum_scores, responses, scale_max, target, gap):
    assert gap_to_target(sum_scores, responses, scale_max, target) == gap


@pytest.mark.parametrize(
    ("sum_scores", "responses", "scale_max", "target"),
    [(81, 10, 10, 81), (23, 5, 5, 92), (4_050_000_000, 1_000_000_000, 5, 81)],
)
def test_float_arithmetic_would_be_off_by_one_where_the_fraction_is_not(
    sum_scores, responses, scale_max, target
):
    naive = math.ceil(target / 100 * scale_max * responses - sum_scores)
    assert naive == 1, "the row no longer demonstrates a float error"
    assert gap_to_target(sum_scores, responses, scale_max, target) == 0


@pytest.mark.parametrize("target", [-1, 100.5, float("nan"), float("inf")])
def test_gap_to_target_rejects_targets_off_the_100_scale(target):
    with pytest.raises(MetricInputError):
        gap_to_target(10, 2, 10, target)


def _totals(scores: list[int], scale_min: int = 1, scale_max: int = 10) -> SurveyTotals:
    totals = SurveyTotals(scale_min, scale_max)
    for score in scores:
        totals.add(score)
    return totals


def test_survey_totals_components_and_derived_figures():
    totals = _totals([10, 9, 8, 8, 5])
    assert (totals.responses, totals.sum_scores, totals.sum_squares) == (5, 40, 334)
    assert totals.counts_by_score == {10: 1, 9: 1, 8: 2, 5: 1}
    assert totals.index() == 80.0 and totals.index_exact() == Fraction(80)
    assert totals.gap_to_target() == 0 and totals.gap_to_target(90) == 5
    assert totals.distribution() == {1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0, 5: 0.2, 6: 0.0, 7: 0.0,
                                     8: 0.4, 9: 0.2, 10: 0.2}
    assert (totals.top_box_share(), totals.bottom_box_share()) == (0.4, 0.0)


def test_empty_survey_totals_publish_nothing():
    totals = SurveyTotals(1, 5)
    assert (totals.index(), totals.gap_to_target(), totals.distribution(),
            totals.top_box_share()) == (None, None, None, None)


@pytest.mark.parametrize(
    ("responses", "min_sample", "low"),
    [(0, 30, True), (29, 30, True), (30, 30, False), (31, 30, False), (4, 5, True), (5, 5, False)],
)
def test_low_sample_below_the_minimum(responses, min_sample, low):
    assert _totals([7] * responses).low_sample(min_sample) is low


@pytest.mark.parametrize("score", [0, 11])
def test_survey_totals_reject_scores_off_the_scale(score):
    with pytest.raises(MetricInputError):
        _totals([score])


def test_survey_totals_merge_and_json_round_trip():
    merged = _totals([10, 9])
    merged.merge(_totals([8, 1]))
    assert merged == _totals([10, 9, 8, 1])
    assert SurveyTotals.from_dict(json.loads(json.dumps(merged.as_dict()))) == merged


def test_survey_totals_refuse_to_merge_different_scales():
    with pytest.raises(MetricInputError):
        _totals([5], 1, 10).merge(_totals([5], 1, 5))


TARGETS = SurveyTargets(default=80, by_questionnaire={"q": 85},
                        by_dimension={("q", "b"): 90, ("r", "y"): 60})


@pytest.mark.parametrize(
    ("questionnaire", "dimension", "target"),
    [("q", "b", 90), ("q", "a", 85), ("r", "y", 60), ("r", "x", 80)],
)
def test_survey_target_precedence(questionnaire, dimension, target):
    assert TARGETS.target(questionnaire, dimension) == target


@pytest.mark.parametrize(
    "kwargs",
    [{"default": 101}, {"by_questionnaire": {"q": -1}}, {"by_dimension": {("q", "a"): 100.5}},
     {"min_sample": 0}],
)
def test_survey_targets_reject_impossible_values(kwargs):
    with pytest.raises(MetricInputError):
        SurveyTargets(**kwargs)
