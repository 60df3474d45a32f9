"""Figures: the catalogue's ratios and indices, derived from one flat component bucket.

A bucket (metrics.components) holds only additive components; this module turns one into the
published numbers, using the typed totals (CallTotals, TicketTotals, SurveyTotals), so a figure
computed here is the same formula the stream exports. Names are dotted paths:

    calls.<ratio>                                  service_level, abandonment_rate, ...
    tickets.<kind>.<ratio>                         closure_rate, ..., resolution_share.<band>
    clocks.<response|solution>.on_time_rate        complaint time limits
    fcr.rate                                       first-contact resolution
    surveys.<questionnaire>.<dimension>.<figure>   responses, index, gap_to_target, ...
    surveys.<questionnaire>.overall_index
    backlog.<kind>.<open|mean_age_s>               from the backlog running totals

A family appears only when the bucket holds one of its components; within it, a ratio with a
zero denominator is None (not published), never 0.
"""

from collections.abc import Mapping
from fractions import Fraction

from metrics.components import (
    Number,
    call_totals,
    survey_dimensions,
    survey_totals,
    ticket_kinds,
    ticket_totals,
)
from metrics.errors import MetricInputError
from metrics.questionnaires import Questionnaire
from metrics.stats import index_interval
from metrics.surveys import SurveyTargets, overall_index
from metrics.tickets import RESOLUTION_BANDS

Figure = float | int | None
Figures = dict[str, Figure]
CLOCKS = ("response", "solution")


def _ratio(numerator: Number, denominator: Number) -> float | None:
    """numerator / denominator, or None when the denominator is 0."""
    return numerator / denominator if denominator else None


def _has(bucket: Mapping[str, Number], prefix: str) -> bool:
    return any(key.startswith(prefix) for key in bucket)


def call_figures(bucket: Mapping[str, Number]) -> Figures:
    """calls.*: service level, abandonment rate, speed of answer (s), talk (s), transfers."""
    calls = call_totals(bucket)
    return {
        "calls.service_level": calls.service_level(),
        "calls.abandonment_rate": calls.abandonment_rate(),
        "calls.average_speed_of_answer_s": calls.average_speed_of_answer_s(),
        "calls.average_talk_s": calls.average_talk_s(),
        "calls.transfers_per_call": calls.transfers_per_call(),
    }


def ticket_figures(bucket: Mapping[str, Number], kind: str) -> Figures:
    """tickets.<kind>.*: closure, on-time, repeat and reopen rates, mean response points, bands."""
    tickets = ticket_totals(bucket, kind)
    prefix = f"tickets.{kind}."
    out: Figures = {
        prefix + "closure_rate": tickets.closure_rate(),
        prefix + "on_time_rate": tickets.on_time_rate(),
        prefix + "repeat_rate": tickets.repeat_rate(),
        prefix + "reopen_rate": tickets.reopen_rate(),
        prefix + "mean_first_response_points": tickets.mean_first_response_points(),
    }
    for band in RESOLUTION_BANDS:
        out[f"{prefix}resolution_share.{band}"] = tickets.resolution_share(band)
    return out


def clock_figures(bucket: Mapping[str, Number]) -> Figures:
    """clocks.<clock>.on_time_rate: complaints within their time limit / complaints judged."""
    return {
        f"clocks.{clock}.on_time_rate": _ratio(bucket.get(f"clocks/{clock}/on_time", 0),
                                               bucket.get(f"clocks/{clock}/judged", 0))
        for clock in CLOCKS
    }


def fcr_figures(bucket: Mapping[str, Number]) -> Figures:
    """fcr.rate = (contacts - failed) / contacts: a contact counts as resolved until it fails."""
    contacts = bucket.get("fcr/contacts", 0)
    return {"fcr.rate": _ratio(contacts - bucket.get("fcr/failed", 0), contacts)}


def survey_figures(bucket: Mapping[str, Number], questionnaire: Questionnaire,
                   dimensions: list[str], targets: SurveyTargets = SurveyTargets()) -> Figures:
    """surveys.<questionnaire>.<dimension>.* for ``dimensions``, and the overall index.

    Per dimension: responses, index (100 points), index_low and index_high (normal interval,
    None below 2 responses), gap_to_target (one-point moves to the dimension's target in
    ``targets``), top_box_share, bottom_box_share and low_sample (1 when responses <
    ``targets.min_sample``, else 0). The overall index is the unweighted mean of the indices of
    dimensions with responses, taken exactly.
    """
    name = questionnaire.name
    out: Figures = {}
    exact: list[Fraction | None] = []
    for dimension in dimensions:
        totals = survey_totals(bucket, name, dimension, questionnaire.scale_min,
                               questionnaire.scale_max)
        interval = index_interval(totals.responses, totals.sum_scores, totals.sum_squares,
                                  totals.scale_max)
        prefix = f"surveys.{name}.{dimension}."
        out[prefix + "responses"] = totals.responses
        out[prefix + "index"] = totals.index()
        out[prefix + "index_low"] = interval.low if interval else None
        out[prefix + "index_high"] = interval.high if interval else None
        out[prefix + "gap_to_target"] = totals.gap_to_target(targets.target(name, dimension))
        out[prefix + "top_box_share"] = totals.top_box_share()
        out[prefix + "bottom_box_share"] = totals.bottom_box_share()
        out[prefix + "low_sample"] = int(totals.low_sample(targets.min_sample))
        exact.append(totals.index_exact())
    overall = overall_index(exact)
    out[f"surveys.{name}.overall_index"] = None if overall is None else float(overall)
    return out


def figures(bucket: Mapping[str, Number], questionnaires: Mapping[str, Questionnaire],
            targets: SurveyTargets = SurveyTargets()) -> Figures:
    """Every figure of the catalogue that ``bucket`` has components for.

    Surveys are read on their questionnaire's scale from ``questionnaires`` (the configured
    catalogue) and judged against ``targets``; a questionnaire or dimension missing there raises
    MetricInputError (stage 1 rejects such surveys, so it means the bucket came from another
    catalogue).
    """
    out: Figures = {}
    if _has(bucket, "calls/"):
        out.update(call_figures(bucket))
    for kind in ticket_kinds(bucket):
        out.update(ticket_figures(bucket, kind))
    if _has(bucket, "clocks/"):
        out.update(clock_figures(bucket))
    if _has(bucket, "fcr/"):
        out.update(fcr_figures(bucket))
    by_questionnaire: dict[str, list[str]] = {}
    for name, dimension in survey_dimensions(bucket):
        by_questionnaire.setdefault(name, []).append(dimension)
    for name, present in by_questionnaire.items():
        questionnaire = questionnaires.get(name)
        if questionnaire is None:
            raise MetricInputError(f"questionnaire {name!r} is not in the catalogue")
        unknown = sorted(set(present) - set(questionnaire.dimensions))
        if unknown:
            raise MetricInputError(f"dimensions not in {name}: {', '.join(unknown)}")
        ordered = [dimension for dimension in questionnaire.dimensions if dimension in present]
        out.update(survey_figures(bucket, questionnaire, ordered, targets))
    return out


def backlog_figures(backlog: Mapping[str, Number], now_s: float) -> Figures:
    """backlog.<kind>.open and .mean_age_s (seconds at ``now_s``; None with nothing open).

    ``backlog`` holds the running totals tickets/<kind>/opened and opened_created_s (sum of
    the creation times, epoch seconds, of the open tickets).
    """
    out: Figures = {}
    for kind in ticket_kinds(backlog):
        opened = backlog.get(f"tickets/{kind}/opened", 0)
        created_s = backlog.get(f"tickets/{kind}/opened_created_s", 0)
        out[f"backlog.{kind}.open"] = opened
        out[f"backlog.{kind}.mean_age_s"] = now_s - created_s / opened if opened > 0 else None
    return out
