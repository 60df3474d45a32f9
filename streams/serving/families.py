"""Names and labels of the component families: one family per component, labels per view.

A component key (metrics.components) maps to one family name and a few extra labels:

    calls/offered                            cxpulse_window_calls_offered
    calls/answer_wait_s_sum                  cxpulse_window_calls_answer_wait_seconds_sum
    tickets/<kind>/closed                    cxpulse_window_tickets_closed{kind}
    tickets/<kind>/first_response_points/5   cxpulse_window_tickets_first_responses_by_points
                                                 {kind, points="5"}
    tickets/<kind>/resolved_band/<band>      cxpulse_window_tickets_resolved_by_band{kind, band}
    clocks/<clock>/<judged|on_time>          cxpulse_window_complaint_clock_<...>{clock}
    fcr/<contacts|failed|dropped>            cxpulse_window_fcr_<...>
    surveys/<q>/<dim>/responses              cxpulse_window_survey_responses{questionnaire, dimension}
    surveys/<q>/<dim>/sum_scores             cxpulse_window_survey_score_sum{...}
    surveys/<q>/<dim>/sum_squares            cxpulse_window_survey_score_squares_sum{...}
    surveys/<q>/<dim>/score/<n>              cxpulse_window_survey_scores{..., score}

Stage-1 counters use the same names without ``window_`` and with ``_total``
(cxpulse_calls_offered_total). Every series also carries ``view`` and the view's dimensions.
"""

from metrics.components import is_backlog_key

_CALL_NAMES = {"answer_wait_s_sum": "answer_wait_seconds_sum",
               "abandon_wait_s_sum": "abandon_wait_seconds_sum",
               "talk_s_sum": "talk_seconds_sum"}
_SURVEY_NAMES = {"responses": "responses", "sum_scores": "score_sum",
                 "sum_squares": "score_squares_sum"}

HELP = {
    "calls": "Calls {when}: {what} (domain.md, calls). Sum across workers.",
    "tickets": "Tickets {when}: {what}, by ticket kind. Sum across workers.",
    "complaint_clock": "Complaints {when} whose {what} (response or solution clock, business "
                       "hours). Sum across workers.",
    "fcr": "First-contact-resolution contacts {when}: {what}. Sum across workers.",
    "survey": "Survey responses {when}: {what}, per questionnaire dimension. Sum across workers.",
}


def family_of(key: str) -> tuple[str, str, dict[str, str]] | None:
    """(family suffix, help group, extra labels) for a component key; None for backlog keys."""
    if is_backlog_key(key):
        return None
    parts = key.split("/")
    head = parts[0]
    if head == "calls":
        return "calls_" + _CALL_NAMES.get(parts[1], parts[1]), "calls", {}
    if head == "tickets":
        kind = parts[1]
        if parts[2] == "first_response_points":
            return "tickets_first_responses_by_points", "tickets", {"kind": kind,
                                                                    "points": parts[3]}
        if parts[2] == "resolved_band":
            return "tickets_resolved_by_band", "tickets", {"kind": kind, "band": parts[3]}
        return "tickets_" + parts[2], "tickets", {"kind": kind}
    if head == "clocks":
        return "complaint_clock_" + parts[2], "complaint_clock", {"clock": parts[1]}
    if head == "fcr":
        return "fcr_" + parts[1], "fcr", {}
    if head == "surveys":
        labels = {"questionnaire": parts[1], "dimension": parts[2]}
        if parts[3] == "score":
            return "survey_scores", "survey", {**labels, "score": parts[4]}
        return "survey_" + _SURVEY_NAMES[parts[3]], "survey", labels
    return None


def is_score_count(key: str) -> bool:
    """Whether ``key`` is a per-score survey count (exported only by distribution views)."""
    return key.startswith("surveys/") and key.count("/") == 4
