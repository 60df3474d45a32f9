"""The SLIs the spec can name: which stage-1 counters make their good and total events.

A ratio SLI is good events / eligible events, both from stage-1 counters of a view with
``counters: true``, summed across workers before dividing. Threshold SLIs read the stage-2
window gauges through the recording rules of alerts/recording.py.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class RatioSli:
    """good / (total terms, signed), restricted by ``matchers``; served by ``group``."""

    name: str
    alert: str
    metric: str
    group: str
    good: str
    total: tuple[tuple[int, str], ...]
    matchers: str = ""
    extra: tuple[str, ...] = ()


RATIO_SLIS = {
    "service_level": RatioSli(
        "service_level", "CxpulseServiceLevelBudgetBurn", "cxpulse_calls_service_level",
        "calls", "cxpulse_calls_answered_within_target_total",
        ((1, "cxpulse_calls_offered_total"), (-1, "cxpulse_calls_short_abandoned_total"))),
    "complaint_response": RatioSli(
        "complaint_response", "CxpulseComplaintResponseBudgetBurn",
        "cxpulse_complaint_response_on_time", "tickets", "cxpulse_complaint_clock_on_time_total",
        ((1, "cxpulse_complaint_clock_judged_total"),), 'clock="response"', ("clock",)),
    "complaint_solution": RatioSli(
        "complaint_solution", "CxpulseComplaintSolutionBudgetBurn",
        "cxpulse_complaint_solution_on_time", "tickets", "cxpulse_complaint_clock_on_time_total",
        ((1, "cxpulse_complaint_clock_judged_total"),), 'clock="solution"', ("clock",)),
}


@dataclass(frozen=True)
class ThresholdSli:
    """A window-gauge figure (a recording rule of alerts/recording.py) and its sample family."""

    name: str
    alert: str
    group: str
    record_metric: str
    sample_family: str
    extra: tuple[str, ...]


THRESHOLD_SLIS = {
    "first_response_score": ThresholdSli(
        "first_response_score", "CxpulseFirstResponseScoreLow", "tickets",
        "cxpulse_tickets_first_response_points:mean", "tickets_first_responses", ("kind",)),
    "survey_index": ThresholdSli(
        "survey_index", "CxpulseSurveyIndexBelowTarget", "surveys",
        "cxpulse_survey_index:ratio", "survey_responses", ("questionnaire", "dimension")),
}
