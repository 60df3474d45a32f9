"""Tickets: first-response bands, complaint clocks, backlog and age, closure, on-time, repeat
and first-contact rates."""

from metrics.views import View

from dashboards.queries.select import matchers, or_zero, rule, summed


def responses_by_points(view: View) -> str:
    """First responses per score band (5/4/3/1 points) in the window, all selected keys."""
    return (f"sum by (points) (cxpulse_window_tickets_first_responses_by_points"
            f"{{{matchers(view)}}})")


def response_points_share(view: View) -> str:
    """Share of first responses per score band, 0..1; its sample is ``first_responses_all``."""
    return f"{responses_by_points(view)} / scalar({first_responses_all(view)})"


def first_responses_all(view: View) -> str:
    """First responses in the window, all selected keys and kinds together."""
    return f"sum(cxpulse_window_tickets_first_responses{{{matchers(view)}}})"


def first_response_points(view: View) -> str:
    """Mean first-response points per key and kind (5/4/3/1 scale)."""
    return rule(view, "cxpulse_tickets_first_response_points:mean", "kind")


def component(view: View, name: str) -> str:
    """One ticket component per key and kind (created, closed, first_responses ...)."""
    return summed(view, f"cxpulse_window_tickets_{name}", "kind")


def closure(view: View) -> str:
    """Closed / (created + reopened), per key and kind."""
    return rule(view, "cxpulse_tickets_closure:ratio", "kind")


def closure_sample(view: View) -> str:
    """The closure rate's sample: created + reopened."""
    created = component(view, "created")
    return f"{created} + {or_zero(component(view, 'reopened'), created)}"


def on_time(view: View) -> str:
    """Closed by the due date / closed with a due date, per key and kind."""
    return rule(view, "cxpulse_tickets_on_time:ratio", "kind")


def repeat(view: View) -> str:
    """Repeats / created (second repair of the same asset, same-issue complaint)."""
    return rule(view, "cxpulse_tickets_repeat:ratio", "kind")


def fcr(view: View) -> str:
    """First-contact resolution: (contacts - failed) / contacts, per key."""
    return rule(view, "cxpulse_fcr:ratio")


def fcr_contacts(view: View) -> str:
    """The FCR rate's sample: contacts judged in the window."""
    return summed(view, "cxpulse_window_fcr_contacts")


def clock_on_time(view: View, clock: str) -> str:
    """Complaints within the clock (``response`` 24 h, ``solution`` 72 h business hours) /
    judged, per key."""
    return rule(view, "cxpulse_complaint_clock_on_time:ratio", "clock", clock=clock)


def clock_judged(view: View, clock: str) -> str:
    """The clock ratio's sample: complaints judged on that clock in the window."""
    return summed(view, "cxpulse_window_complaint_clock_judged", "clock", clock=clock)


def clock_breaches(view: View, clock: str) -> str:
    """Complaints judged late on the clock: judged - on time."""
    judged = clock_judged(view, clock)
    on_time_ = summed(view, "cxpulse_window_complaint_clock_on_time", "clock", clock=clock)
    return f"{judged} - {or_zero(on_time_, judged)}"


def backlog(view: View) -> str:
    """Open tickets now per kind, all selected keys (no window: a running total)."""
    return f"sum by (kind) (cxpulse_tickets_open{{{matchers(view, windowed=False)}}})"


def backlog_mean_age_s(view: View) -> str:
    """Mean age of open tickets per kind, seconds: time() - mean creation time (docs/metrics.md).
    Wall clock against event-time creation stamps: replayed or simulated past traffic looks old."""
    sel = matchers(view, windowed=False)
    return (f"(sum by (kind) (time() * cxpulse_tickets_open{{{sel}}} "
            f"- cxpulse_tickets_open_created_timestamp_seconds_sum{{{sel}}})) "
            f"/ (sum by (kind) (cxpulse_tickets_open{{{sel}}}) > 0)")
