"""Component key -> family name and extra labels: the naming table of every view series."""

import pytest

from streams.serving.families import family_of, is_score_count


@pytest.mark.parametrize(("key", "expected"), [
    ("calls/offered", ("calls_offered", "calls", {})),
    ("calls/answered_within_target", ("calls_answered_within_target", "calls", {})),
    ("calls/answer_wait_s_sum", ("calls_answer_wait_seconds_sum", "calls", {})),
    ("calls/abandon_wait_s_sum", ("calls_abandon_wait_seconds_sum", "calls", {})),
    ("calls/talk_s_sum", ("calls_talk_seconds_sum", "calls", {})),
    ("tickets/repair/closed", ("tickets_closed", "tickets", {"kind": "repair"})),
    ("tickets/complaint/first_response_points_sum",
     ("tickets_first_response_points_sum", "tickets", {"kind": "complaint"})),
    ("tickets/complaint/first_response_points/5",
     ("tickets_first_responses_by_points", "tickets", {"kind": "complaint", "points": "5"})),
    ("tickets/repair/resolved_band/first_contact",
     ("tickets_resolved_by_band", "tickets", {"kind": "repair", "band": "first_contact"})),
    ("clocks/response/judged", ("complaint_clock_judged", "complaint_clock",
                                {"clock": "response"})),
    ("clocks/solution/on_time", ("complaint_clock_on_time", "complaint_clock",
                                 {"clock": "solution"})),
    ("fcr/contacts", ("fcr_contacts", "fcr", {})),
    ("fcr/failed", ("fcr_failed", "fcr", {})),
    ("fcr/dropped", ("fcr_dropped", "fcr", {})),
    ("surveys/segue/genuine/responses",
     ("survey_responses", "survey", {"questionnaire": "segue", "dimension": "genuine"})),
    ("surveys/segue/genuine/sum_scores",
     ("survey_score_sum", "survey", {"questionnaire": "segue", "dimension": "genuine"})),
    ("surveys/segue/genuine/sum_squares",
     ("survey_score_squares_sum", "survey", {"questionnaire": "segue", "dimension": "genuine"})),
    ("surveys/segue/genuine/score/4",
     ("survey_scores", "survey", {"questionnaire": "segue", "dimension": "genuine",
                                  "score": "4"})),
    ("tickets/repair/opened", None),
    ("tickets/complaint/opened_created_s", None),
    ("unknown/thing", None),
])
def test_family_of(key, expected):
    assert family_of(key) == expected


@pytest.mark.parametrize(("key", "expected"), [
    ("surveys/segue/genuine/score/4", True),
    ("surveys/segue/genuine/responses", False),
    ("calls/offered", False),
])
def test_is_score_count(key, expected):
    assert is_score_count(key) is expected
