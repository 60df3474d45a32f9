"""SLOs: each ratio SLI over the burn-rate windows, burn rates, error budget left, and the
alerts' own firing conditions (alerts/rules.py), so a board and its alert cannot disagree."""

from alerts.durations import duration
from alerts.rules import Writer, burn_alerts
from alerts.slis import RatioSli
from alerts.spec import AlertSpec, Objective
from metrics.views import View

from dashboards.queries.select import VARIABLE


def _filters(view: View, sli: RatioSli, matcher: str) -> str:
    parts = [f'{d}=~"${VARIABLE[d]}"' for d in view.dimensions if d in VARIABLE]
    parts += [m for m in (sli.matchers, matcher) if m]
    return ",".join(parts)


def _record(view: View, sli: RatioSli) -> str:
    return "_".join(("view", *view.dimensions, *sli.extra)) + f":{sli.metric}"


def sli_ratio(view: View, sli: RatioSli, window_s: int, matcher: str) -> str:
    """Good / eligible events over ``window_s`` per key (cxpulse-slo.rules.yml)."""
    return f"{_record(view, sli)}:ratio_rate{duration(window_s)}{{{_filters(view, sli, matcher)}}}"


def burn_rate(view: View, sli: RatioSli, window_s: int, matcher: str, objective: float) -> str:
    """(1 - SLI) / (1 - objective): how many times faster than the budget allows errors
    arrive over ``window_s``; 1 spends the budget exactly in the period."""
    return f"(1 - {sli_ratio(view, sli, window_s, matcher)}) / {1 - objective:.6g}"


def events(view: View, sli: RatioSli, window_s: int, matcher: str) -> str:
    """Eligible events over ``window_s`` per key: the burn rate's sample."""
    return (f"{_record(view, sli)}_events:increase{duration(window_s)}"
            f"{{{_filters(view, sli, matcher)}}}")


def _sum_increase(view: View, sli: RatioSli, family: str, period: str, matcher: str) -> str:
    sel = ",".join(filter(None, (f'view="{view.name}"', _filters(view, sli, matcher))))
    keep = ", ".join(("view", *view.dimensions, *sli.extra))
    return f"sum by ({keep}) (increase({family}{{{sel}}}[{period}]))"


def budget_left(view: View, sli: RatioSli, period: str, matcher: str, objective: float) -> str:
    """Share of the period's error budget still unspent: 1 - bad / (budget x eligible) over
    ``period`` from the stage-1 counters; below 0 when overspent. Prometheus keeps only its
    retention, so a period longer than the retention is measured over what is kept."""
    first = _sum_increase(view, sli, sli.total[0][1], period, matcher)
    total = first
    for sign, family in sli.total[1:]:
        term = _sum_increase(view, sli, family, period, matcher)
        total += f" {'+' if sign > 0 else '-'} ({term} or 0 * {first})"
    good = f"({_sum_increase(view, sli, sli.good, period, matcher)} or 0 * {first})"
    return f"1 - (({total}) - {good}) / ({1 - objective:.6g} * (({total}) > 0))"


def tier_firing(spec: AlertSpec, name: str, objective: Objective, view: View,
                value: float, long_s: int) -> str:
    """The exact expression of the alert tier with ``long_s`` for the keys of objective
    ``value``: a series per key whose tier condition holds now (before its ``for:``)."""
    for rule in burn_alerts(Writer(spec, "en"), name, objective, view):
        labels = rule["labels"]
        if float(labels["objective"]) == value and labels["long"] == duration(long_s):
            return _with_variables(rule["expr"], view)
    raise KeyError(f"no tier {duration(long_s)} for {name} at {value}")


def _with_variables(expr: str, view: View) -> str:
    """The alert expression restricted to the board's selected keys."""
    filters = ",".join(f'{d}=~"${VARIABLE[d]}"' for d in view.dimensions if d in VARIABLE)
    out = []
    for line in expr.splitlines():
        if ":ratio_rate" in line or "_events:increase" in line:
            name, _, rest = line.strip().partition(" ")
            if "{" in name:
                name = name[:-1] + "," + filters + "}"
            else:
                name = name + "{" + filters + "}"
            line = f"  {name} {rest}"
        out.append(line)
    return " ".join(part.strip() for part in out)


def firing_alerts(alertnames: list[str]) -> str:
    """Firing alerts of these names by severity (0 when none), from Prometheus' ALERTS."""
    names = "|".join(alertnames)
    return (f'count by (severity) (ALERTS{{alertname=~"{names}",alertstate="firing"}}) '
            f'or on() vector(0)')


def tier_state(firing: str, like: str, keep: str) -> str:
    """1 for keys where ``firing`` (a tier condition) has a series, 0 for the other keys of
    ``like``: a column that says "quiet" instead of staying blank."""
    return f"(count by ({keep}) ({firing}) or 0 * {like})"
