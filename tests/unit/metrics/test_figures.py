"""Figures from component buckets: every ratio's formula, zero denominators, exact gaps."""

import math
from fractions import Fraction

import pytest

from metrics.errors import MetricInputError
from metrics.figures import backlog_figures, figures
from metrics.surveys import SurveyTargets
from tests import factories

SHIPPED = factories.questionnaires()


def _survey(questionnaire: str, dimension: str, scores: dict[int, int]) -> dict[str, int]:
    """The components of ``scores`` (score -> count) on one dimension."""
    prefix = f"surveys/{questionnaire}/{dimension}/"
    bucket = {
        prefix + "responses": sum(scores.values()),
        prefix + "sum_scores": sum(score * n for score, n in scores.items()),
        prefix + "sum_squares": sum(score * score * n for score, n in scores.items()),
    }
    bucket.update({f"{prefix}score/{score}": n for score, n in scores.items()})
    return bucket


CALLS = {"calls/offered": 10, "calls/answered": 7, "calls/answered_within_target": 6,
         "calls/abandoned": 3, "calls/short_abandoned": 1, "calls/answer_wait_s_sum": 70.0,
         "calls/abandon_wait_s_sum": 40.0, "calls/talked": 5, "calls/talk_s_sum": 600.0,
         "calls/transfers": 4}
REPAIRS = {"tickets/repair/created": 8, "tickets/repair/reopened": 2, "tickets/repair/closed": 5,
           "tickets/repair/closed_with_due_date": 4, "tickets/repair/closed_on_time": 3,
           "tickets/repair/repeats": 2, "tickets/repair/first_responses": 4,
           "tickets/repair/first_response_points_sum": 17,
           "tickets/repair/first_response_points/5": 2, "tickets/repair/first_response_points/4": 1,
           "tickets/repair/first_response_points/3": 1, "tickets/repair/resolved": 4,
           "tickets/repair/resolved_band/first_contact": 1,
           "tickets/repair/resolved_band/within_1d": 3}


@pytest.mark.parametrize(
    ("bucket", "name", "expected"),
    [
        pytest.param(CALLS, "calls.service_level", 6 / 9, id="service-level-no-short-abandons"),
        pytest.param(CALLS, "calls.abandonment_rate", 2 / 9, id="abandonment"),
        pytest.param(CALLS, "calls.average_speed_of_answer_s", 10.0, id="asa"),
        pytest.param(CALLS, "calls.average_talk_s", 120.0, id="talk"),
        pytest.param(CALLS, "calls.transfers_per_call", 0.4, id="transfers"),
        pytest.param({"calls/offered": 2, "calls/abandoned": 2, "calls/short_abandoned": 2},
                     "calls.service_level", None, id="only-short-abandons-none"),
        pytest.param({"calls/offered": 0}, "calls.average_speed_of_answer_s", None,
                     id="no-answers-none"),
        pytest.param(REPAIRS, "tickets.repair.closure_rate", 0.5, id="closure-over-openings"),
        pytest.param(REPAIRS, "tickets.repair.on_time_rate", 0.75, id="on-time"),
        pytest.param(REPAIRS, "tickets.repair.repeat_rate", 0.25, id="repeat"),
        pytest.param(REPAIRS, "tickets.repair.reopen_rate", 0.4, id="reopen"),
        pytest.param(REPAIRS, "tickets.repair.mean_first_response_points", 4.25, id="points"),
        pytest.param(REPAIRS, "tickets.repair.resolution_share.within_1d", 0.75, id="band"),
        pytest.param(REPAIRS, "tickets.repair.resolution_share.over_1d", 0.0, id="band-unseen"),
        pytest.param({"tickets/inquiry/created": 1}, "tickets.inquiry.on_time_rate", None,
                     id="no-due-dates-none"),
        pytest.param({"tickets/inquiry/created": 1}, "tickets.inquiry.reopen_rate", None,
                     id="no-closes-none"),
        pytest.param({"clocks/response/judged": 4, "clocks/response/on_time": 3},
                     "clocks.response.on_time_rate", 0.75, id="response-clock"),
        pytest.param({"clocks/response/judged": 4}, "clocks.solution.on_time_rate", None,
                     id="solution-clock-unjudged"),
        pytest.param({"fcr/contacts": 8, "fcr/failed": 2}, "fcr.rate", 0.75, id="fcr"),
        pytest.param({"fcr/contacts": 0, "fcr/failed": 0}, "fcr.rate", None, id="fcr-none"),
    ],
)
def test_ratio_figures(bucket, name, expected):
    assert figures(bucket, SHIPPED)[name] == expected


@pytest.mark.parametrize(
    ("bucket", "absent"),
    [
        pytest.param({}, "calls.service_level", id="empty-bucket"),
        pytest.param(REPAIRS, "calls.service_level", id="no-call-components"),
        pytest.param(CALLS, "tickets.repair.closure_rate", id="no-ticket-components"),
        pytest.param(CALLS, "fcr.rate", id="no-fcr-components"),
    ],
)
def test_a_family_without_components_has_no_figures(bucket, absent):
    assert absent not in figures(bucket, SHIPPED)


@pytest.mark.parametrize(
    ("scores", "target", "index", "gap"),
    [
        pytest.param({8: 10}, 80, 80.0, 0, id="exactly-on-target"),
        pytest.param({8: 9, 7: 1}, 80, 79.0, 1, id="one-point-short"),
        # 81 / 100 x 10 x 10 is 81.00000000000001 in float: a float ceil would say 1.
        pytest.param({8: 9, 9: 1}, 81, 81.0, 0, id="float-trap-81"),
        pytest.param({6: 1, 7: 1}, 80, 65.0, 3, id="two-responses"),
        pytest.param({10: 3}, 80, 100.0, 0, id="above-target-never-negative"),
        pytest.param({1: 1, 2: 2}, 57.5, float(Fraction(50, 3)), 13, id="fractional-target"),
    ],
)
def test_survey_index_and_exact_gap(scores, target, index, gap):
    out = figures(_survey("after_sales_10", "attitude", scores), SHIPPED,
                  SurveyTargets(default=target))

    assert out["surveys.after_sales_10.attitude.index"] == index
    assert out["surveys.after_sales_10.attitude.gap_to_target"] == gap
    assert out["surveys.after_sales_10.attitude.responses"] == sum(scores.values())


@pytest.mark.parametrize(
    ("responses", "min_sample", "low_sample"),
    [
        pytest.param(29, 30, 1, id="29-is-low"),
        pytest.param(30, 30, 0, id="30-is-enough"),
        pytest.param(3, 3, 0, id="configured-minimum"),
    ],
)
def test_low_sample_flag(responses, min_sample, low_sample):
    out = figures(_survey("segue", "genuine", {5: responses}), SHIPPED,
                  SurveyTargets(min_sample=min_sample))

    assert out["surveys.segue.genuine.low_sample"] == low_sample


def test_boxes_and_interval_of_a_dimension():
    # 10-point scale: the boxes are two scores wide (9-10 and 1-2).
    out = figures(_survey("after_sales_10", "timeliness", {10: 1, 9: 2, 5: 3, 2: 1, 1: 3}),
                  SHIPPED)
    prefix = "surveys.after_sales_10.timeliness."

    assert out[prefix + "top_box_share"] == 0.3
    assert out[prefix + "bottom_box_share"] == 0.4
    mean, n = out[prefix + "index"], 10
    sd = math.sqrt((n * (100 + 2 * 81 + 3 * 25 + 4 + 3) - 48**2) / (n * (n - 1))) * 10
    half = 1.96 * sd / math.sqrt(n)
    assert mean == 48.0
    assert out[prefix + "index_low"] == pytest.approx(mean - half, rel=1e-12)
    assert out[prefix + "index_high"] == pytest.approx(mean + half, rel=1e-12)


def test_one_response_has_an_index_but_no_interval():
    out = figures(_survey("servqual", "empathy", {4: 1}), SHIPPED)

    assert out["surveys.servqual.empathy.index"] == 80.0
    assert out["surveys.servqual.empathy.index_low"] is None
    assert out["surveys.servqual.empathy.index_high"] is None


def test_overall_index_is_the_mean_of_the_dimensions_with_responses():
    bucket = {**_survey("after_sales_10", "attitude", {6: 1, 7: 1}),
              **_survey("after_sales_10", "timeliness", {9: 1}),
              **_survey("after_sales_10", "overall", {})}
    out = figures(bucket, SHIPPED)

    assert out["surveys.after_sales_10.overall.index"] is None
    assert out["surveys.after_sales_10.overall_index"] == (65 + 90) / 2


def test_overall_index_is_exact():
    # (100/3 + 80) / 2 = 170/3; the float route gives 56.66666666666667, one bit off.
    bucket = {**_survey("segue", "efficient", {1: 1, 2: 2}),
              **_survey("segue", "effective", {4: 3})}

    assert figures(bucket, SHIPPED)["surveys.segue.overall_index"] == float(Fraction(170, 3))


def test_each_dimension_is_measured_against_its_own_target():
    # 9 responses of 8 on 10 points: index 80; at 85 that is ceil(76.5 - 72) = 5 moves short.
    bucket = {**_survey("after_sales_10", "attitude", {8: 9}),
              **_survey("after_sales_10", "overall", {8: 9})}
    targets = SurveyTargets(by_dimension={("after_sales_10", "overall"): 85})

    out = figures(bucket, SHIPPED, targets)

    assert out["surveys.after_sales_10.attitude.gap_to_target"] == 0
    assert out["surveys.after_sales_10.overall.gap_to_target"] == 5


@pytest.mark.parametrize(
    ("questionnaire", "dimension"),
    [("nps", "likely"), ("segue", "parts_supply")],
)
def test_a_survey_outside_the_catalogue_is_an_error(questionnaire, dimension):
    with pytest.raises(MetricInputError):
        figures(_survey(questionnaire, dimension, {5: 1}), SHIPPED)


@pytest.mark.parametrize(
    ("backlog", "now_s", "expected"),
    [
        pytest.param({"tickets/repair/opened": 2, "tickets/repair/opened_created_s": 1000.0},
                     1500.0, {"backlog.repair.open": 2, "backlog.repair.mean_age_s": 1000.0},
                     id="two-open"),
        pytest.param({"tickets/repair/opened": 0, "tickets/repair/opened_created_s": 0.0},
                     1500.0, {"backlog.repair.open": 0, "backlog.repair.mean_age_s": None},
                     id="all-closed-no-age"),
        pytest.param({}, 1500.0, {}, id="no-tickets"),
    ],
)
def test_backlog_figures(backlog, now_s, expected):
    assert backlog_figures(backlog, now_s) == expected
