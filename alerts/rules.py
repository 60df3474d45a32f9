"""Recording and alert rules from the alert spec (alerts/spec.yaml) and the configured views.

Two files: ``cxpulse-slo.rules.yml`` records each ratio SLI over every tier window from summed
counters (``view_queue:cxpulse_calls_service_level:ratio_rate1h``) with its event count
(``..._events:increase1h``), and the sample sums of the threshold SLIs;
``cxpulse-alerts.rules.yml`` holds the alerts. Per-key objectives become one rule per distinct
value, picked by label matchers; the default rule excludes the overridden keys.
"""

from collections.abc import Callable, Mapping

from alerts.burn import TierRule, error_ratio
from alerts.durations import duration, seconds
from alerts.slis import RATIO_SLIS, THRESHOLD_SLIS, RatioSli, ThresholdSli
from alerts.spec import AlertSpec, Objective, Threshold
from alerts.text import NOUNS, TEXTS
from metrics.errors import ConfigError
from metrics.views import View

Target = Callable[[str, str], float]
DATA = {"layer": "data"}
PIPELINE = {"layer": "pipeline"}


def _level(view: View, *extra: str) -> str:
    return "_".join(("view", *view.dimensions, *extra))


def _by(view: View, *extra: str) -> str:
    return ", ".join(("view", *view.dimensions, *extra))


def _pct(ratio: float) -> str:
    return f"{ratio * 100:.4g}%"


def key_template(view: View) -> str:
    """The view key as Go template text: ``{{ $labels.view }}|{{ $labels.queue }}``."""
    if not view.dimensions:
        return view.name
    return "|".join(["{{ $labels.view }}", *(f"{{{{ $labels.{d} }}}}" for d in view.dimensions)])


def query_template(record: str, labels: tuple[str, ...], fmt: str = "%.0f",
                   fixed: Mapping[str, str] | None = None, label: str | None = None) -> str:
    """Go template text that queries ``record`` for the alert's own label values (and the
    ``fixed`` label values); prints the first result's value, or its ``label``."""
    pairs = [*((name, f'"{value}"') for name, value in (fixed or {}).items()),
             *((name, f"$labels.{name}") for name in labels)]
    matchers = ",".join(f"{name}=%q" for name, _ in pairs)
    args = " ".join(arg for _, arg in pairs)
    show = f'label "{label}"' if label else f'value | printf "{fmt}"'
    return (f'{{{{ with printf "{record}{{{matchers}}}" {args} | query }}}}'
            f'{{{{ . | first | {show} }}}}{{{{ end }}}}')


def key_matchers(view: View, keys: Mapping[str, float]) -> list[tuple[float, str]]:
    """(value, label matcher) per distinct override value of a one-dimension view."""
    by_value: dict[float, list[str]] = {}
    for key, value in keys.items():
        name, *values = key.split("|")
        if name != view.name or len(values) != len(view.dimensions):
            raise ConfigError(f"alert spec: key {key!r} is not a key of view {view.name} "
                              f"(<view>|<{'>|<'.join(view.dimensions) or 'nothing'}>)")
        if len(view.dimensions) != 1:
            raise ConfigError(f"alert spec: per-key overrides need a one-dimension view, "
                              f"not {view.name}")
        by_value.setdefault(value, []).append(values[0])
    return [(value, f'{view.dimensions[0]}=~"{"|".join(sorted(v))}"')
            for value, v in sorted(by_value.items())]


def selections(view: View, default: float, keys: Mapping[str, float]) -> list[tuple[float, str]]:
    """(value, matchers) for every rule: each override value, then the default on the rest."""
    overrides = key_matchers(view, keys)
    rest = "|".join(sorted(k.split("|")[1] for k in keys))
    default_matcher = f'{view.dimensions[0]}!~"{rest}"' if keys else ""
    return [*overrides, (default, default_matcher)]


def _view(views: Mapping[str, View], name: str, group: str, counters: bool, what: str) -> View:
    view = views.get(name)
    if view is None:
        raise ConfigError(f"alert spec: {what}: unknown view {name!r} (known: {', '.join(views)})")
    if group not in view.groups or (counters and not view.counters):
        need = f"the {group} group" + (" and counters: true" if counters else "")
        raise ConfigError(f"alert spec: {what}: view {name} needs {need} in the data file")
    return view


# --- recording rules -----------------------------------------------------------------------


def _sum(view: View, sli: RatioSli, family: str, func: str, window: str) -> str:
    matchers = ",".join(filter(None, (f'view="{view.name}"', sli.matchers)))
    return f"sum by ({_by(view, *sli.extra)}) ({func}({family}{{{matchers}}}[{window}]))"


def _total(view: View, sli: RatioSli, func: str, window: str) -> str:
    first = _sum(view, sli, sli.total[0][1], func, window)
    out = first
    for sign, family in sli.total[1:]:
        out += f" {'+' if sign > 0 else '-'} ({_sum(view, sli, family, func, window)} or 0 * {first})"
    return out


def ratio_records(view: View, sli: RatioSli, windows: list[int]) -> list[dict]:
    """The SLI's good ratio per window and its event count per window (sparse-safe)."""
    rules = []
    for window_s in windows:
        window = duration(window_s)
        total = _total(view, sli, "rate", window)
        good = f"({_sum(view, sli, sli.good, 'rate', window)} or 0 * {_sum(view, sli, sli.total[0][1], 'rate', window)})"
        rules.append({"record": f"{_level(view, *sli.extra)}:{sli.metric}:ratio_rate{window}",
                      "expr": f"{good} / (({total}) > 0)"})
        rules.append({"record": f"{_level(view, *sli.extra)}:{sli.metric}_events:increase{window}",
                      "expr": _total(view, sli, "increase", window)})
    return rules


def sample_record(view: View, sli: ThresholdSli) -> dict:
    """The sum across workers of the threshold SLI's sample family, per key and window."""
    return {"record": f"{_level(view, 'window', *sli.extra)}:cxpulse_{sli.sample_family}:sum",
            "expr": f"sum by ({_by(view, 'window', *sli.extra)}) "
                    f'(cxpulse_window_{sli.sample_family}{{view="{view.name}"}})'}


def tier_windows(spec: AlertSpec) -> list[int]:
    """Every long and short window of the tiers, in seconds, ascending."""
    return sorted({seconds(w) for t in spec.burn_rate.tiers for w in (t.long, t.short)})


def recording_groups(spec: AlertSpec, views: Mapping[str, View]) -> list[dict]:
    """The groups of cxpulse-slo.rules.yml."""
    groups = []
    for name, objective in spec.objectives.items():
        sli = RATIO_SLIS[name]
        view = _view(views, objective.view, sli.group, True, f"objectives.{name}")
        groups.append({"name": f"cxpulse-slo-{name}",
                       "rules": ratio_records(view, sli, tier_windows(spec))})
    samples = []
    for name, threshold in spec.thresholds.items():
        sli = THRESHOLD_SLIS[name]
        samples.append(sample_record(
            _view(views, threshold.view, sli.group, False, f"thresholds.{name}"), sli))
    groups.append({"name": "cxpulse-threshold-samples", "rules": samples})
    groups.append({"name": "cxpulse-pipeline", "rules": [
        {"record": "cxpulse:events_accepted:rate5m",
         "expr": "sum by (topic) (rate(cxpulse_events_accepted_total[5m]))"},
        *pipeline_records(spec)]})
    return groups


# --- alert rules ---------------------------------------------------------------------------


class Writer:
    """Builds alert rules with annotations in one language and runbook links."""

    def __init__(self, spec: AlertSpec, language: str) -> None:
        self.spec, self.language = spec, language

    def alert(self, name: str, expr: str, pending: str, severity: str, labels: Mapping[str, str],
              text: str | None = None, **fields: str) -> dict:
        """One alert rule pending for ``pending``; ``text`` names its TEXTS entry (default:
        the alert's name); ``fields`` fill the text."""
        summary, description = TEXTS[text or name][self.language]
        return {"alert": name, "expr": expr, "for": pending,
                "labels": {"severity": severity, **labels},
                "annotations": {"summary": summary.format(**fields),
                                "description": description.format(**fields),
                                "runbook_url": f"{self.spec.runbook_url}#{name.lower()}"}}

    def noun(self, sli: str) -> tuple[str, str]:
        en, zh, unit_en, unit_zh = NOUNS[sli]
        return (en, unit_en) if self.language == "en" else (zh, unit_zh)


def tier_rules(spec: AlertSpec, objective: float) -> list[TierRule]:
    """The spec's tiers for one objective, factors derived (alerts/burn.py)."""
    period_s = seconds(spec.burn_rate.period)
    return [TierRule(t.severity, seconds(t.long), seconds(t.short), seconds(t.for_),
                     error_ratio(objective, t.budget_share, period_s, seconds(t.long),
                                 t.max_error_ratio), objective)
            for t in spec.burn_rate.tiers]


def burn_alerts(writer: Writer, name: str, objective: Objective, view: View) -> list[dict]:
    """Every tier of one SLO, per objective value, guarded by the minimum traffic."""
    sli = RATIO_SLIS[name]
    level = _level(view, *sli.extra)
    labels = ("view", *view.dimensions, *sli.extra)
    noun, unit = writer.noun(name)
    rules = []
    for value, matchers in selections(view, objective.default, objective.keys):
        for tier in tier_rules(writer.spec, value):
            long, short = duration(tier.long_s), duration(tier.short_s)
            sel = f"{{{matchers}}}" if matchers else ""
            record = f"{level}:{sli.metric}"
            expr = (f"(\n  {record}:ratio_rate{long}{sel} < {tier.good_ratio:g}\n"
                    f"and\n  {record}:ratio_rate{short}{sel} < {tier.good_ratio:g}\n)\n"
                    f"and on ({_by(view, *sli.extra)})\n"
                    f"  {record}_events:increase{long} >= {objective.min_events}")
            rules.append(writer.alert(
                sli.alert, expr, duration(tier.for_s), tier.severity,
                {**DATA, "slo": name, "objective": f"{value:g}", "long": long, "short": short},
                "BudgetBurn",
                key=key_template(view), noun=noun, unit=unit, long=long, short=short,
                value="{{ $value | humanizePercentage }}", objective=_pct(value),
                threshold=_pct(tier.good_ratio), factor=f"{tier.factor:.3g}",
                n=query_template(f"{record}_events:increase{long}", labels)))
    return rules


def threshold_alerts(writer: Writer, name: str, threshold: Threshold, view: View,
                     min_sample: int) -> list[dict]:
    """A window figure against its limit (first responses) or its target (surveys)."""
    sli = THRESHOLD_SLIS[name]
    labels = ("view", *view.dimensions, "window", *sli.extra)
    by = _by(view, "window", *sli.extra)
    level = _level(view, "window", *sli.extra)
    sample = f"{level}:cxpulse_{sli.sample_family}:sum"
    window = f'window="{threshold.window}"'
    common = dict(key=key_template(view), window=threshold.window,
                  n=query_template(sample, labels))
    if name == "survey_index":
        gap = f"{level}:cxpulse_survey_gap_to_target:responses"
        expr = (f"(\n  {level}:{sli.record_metric}{{{window}}}\n"
                f"  + on ({by}) group_left (target)\n  (0 * ({gap}{{{window}}} > 0))\n)\n"
                f"and on ({by})\n  {sample}{{{window}}} >= {min_sample}")
        return [writer.alert(sli.alert, expr, threshold.for_, threshold.severity, DATA,
                             value='{{ $value | printf "%.1f" }}',
                             gap=query_template(gap, labels), **common)]
    if threshold.default is None or threshold.min_events is None:
        raise ConfigError(f"alert spec: thresholds.{name} needs default and min_events")
    rules = []
    for value, matchers in selections(view, threshold.default, threshold.keys):
        sel = ",".join(filter(None, (window, matchers)))
        expr = (f"(\n  {level}:{sli.record_metric}{{{sel}}} < {value:g}\n)\n"
                f"and on ({by})\n  {sample}{{{window}}} >= {threshold.min_events}")
        rules.append(writer.alert(sli.alert, expr, threshold.for_, threshold.severity,
                                  {**DATA, "limit": f"{value:g}"}, value='{{ $value | printf "%.2f" }}', threshold=f"{value:g}",
                                  **common))
    return rules


def sli_health_alerts(writer: Writer, views: Mapping[str, View]) -> list[dict]:
    """An absent and a stale alert per SLI: the input family is missing, or has not moved."""
    rules = []
    spec = writer.spec
    inputs: list[tuple[str, str, str, str]] = []
    for name, objective in spec.objectives.items():
        sli = RATIO_SLIS[name]
        matchers = ",".join(filter(None, (f'view="{objective.view}"', sli.matchers)))
        family = f"{sli.total[0][1]}{{{matchers}}}"
        inputs.append((name, family, objective.stale_after, "increase"))
    for name, threshold in spec.thresholds.items():
        sli = THRESHOLD_SLIS[name]
        family = (f'cxpulse_window_{sli.sample_family}'
                  f'{{view="{threshold.view}",window="{threshold.window}"}}')
        inputs.append((name, family, threshold.stale_after, "changes"))
    for name, family, stale_after, func in inputs:
        labels = {**DATA, "slo": name}
        rules.append(writer.alert("CxpulseSliAbsent", f"absent({family})", stale_after,
                                  "warning", labels, series=family, for_=stale_after, slo=name))
        rules.append(writer.alert(
            "CxpulseSliStale", f"sum by (view) ({func}({family}[{stale_after}])) == 0", "5m",
            "warning", labels, series=family, stale_after=stale_after, slo=name))
    return rules


#: Ratio pipeline alerts: (alert, part counter, other counter, record of part + other).
PIPELINE_RATIOS = {
    "deadletter_rate": ("CxpulseDeadLetterRateHigh", "cxpulse_events_rejected_total",
                        "cxpulse_events_accepted_total", "topic:cxpulse_events_received"),
    "late_events": ("CxpulseLateEventsHigh", "cxpulse_events_late_total",
                    "cxpulse_events_accepted_total", "topic:cxpulse_events_valid"),
}


def _topic_sum(family: str, func: str, window: str) -> str:
    return f"sum by (topic) ({func}({family}[{window}]))"


def pipeline_records(spec: AlertSpec) -> list[dict]:
    """Per topic, the events a pipeline ratio is taken over, in its window (its n)."""
    rules = []
    for name, (_, part, rest, record) in PIPELINE_RATIOS.items():
        if name in spec.pipeline:
            w = spec.pipeline[name].window
            first = _topic_sum(part, "increase", w)
            rules.append({"record": f"{record}:increase{w}",
                          "expr": f"{first} + ({_topic_sum(rest, 'increase', w)} or 0 * {first})"})
    return rules


def pipeline_alerts(writer: Writer) -> list[dict]:
    """Worker, lag, loss and data-quality alerts, from the spec's pipeline limits."""
    known = {"worker_down", "workers_absent", "consumer_lag", "messages_skipped",
             "deadletter_errors", "deadletter_rate", "late_events", "partials_anomalous",
             "event_loop_lag", "keys_folded", "calendar_fallback"}
    unknown = sorted(set(writer.spec.pipeline) - known)
    if unknown:
        raise ConfigError(f"alert spec: unknown pipeline alerts {unknown}; known: {sorted(known)}")
    rules = []
    for name, limit in writer.spec.pipeline.items():
        w, above, f = limit.window, f"{limit.above:g}", limit.for_
        pct = _pct(limit.above)
        if name == "worker_down":
            rule = ("CxpulseWorkerDown", 'up{job="cxpulse"} == 0', {})
        elif name == "workers_absent":
            rule = ("CxpulseNoWorkerUp", 'absent(up{job="cxpulse"} == 1)', {})
        elif name == "consumer_lag":
            rule = ("CxpulseConsumerLagHigh",
                    f"sum by (topic) (cxpulse_consumer_lag_messages) > {above}",
                    {"value": "{{ $value | printf \"%.0f\" }}", "threshold": above})
        elif name == "messages_skipped":
            rule = ("CxpulseMessagesSkipped",
                    f"sum by (topic) (increase(cxpulse_source_messages_skipped_total[{w}])) > 0",
                    {"value": "{{ $value | printf \"%.0f\" }}"})
        elif name == "deadletter_errors":
            rule = ("CxpulseDeadLetterWriteFailed",
                    f"sum by (topic) (increase(cxpulse_deadletter_errors_total[{w}])) > 0",
                    {"value": "{{ $value | printf \"%.0f\" }}"})
        elif name in PIPELINE_RATIOS:
            alert, part, _, record = PIPELINE_RATIOS[name]
            count = f"{record}:increase{w}"
            rule = (alert, f"(\n  {_topic_sum(part, 'increase', w)} / ({count} > 0) > {above}\n)"
                    f"\nand on (topic)\n  {count} >= {limit.min_events}",
                    {"value": "{{ $value | humanizePercentage }}", "threshold": pct,
                     "n": query_template(count, ("topic",))})
        elif name == "partials_anomalous":
            rule = ("CxpulsePartialsAnomalous",
                    f'sum by (result) (increase(cxpulse_partials_total{{result=~"overlap|'
                    f'unknown_view"}}[{w}])) > 0', {"value": "{{ $value | printf \"%.0f\" }}"})
        elif name == "event_loop_lag":
            rule = ("CxpulseEventLoopLagHigh",
                    f"histogram_quantile(0.99, sum by (instance, le) "
                    f"(rate(cxpulse_event_loop_lag_seconds_bucket[{w}]))) > {above}",
                    {"value": "{{ $value | humanizeDuration }}", "threshold": f"{above}s"})
        elif name == "keys_folded":
            rule = ("CxpulseViewKeysFolded",
                    f"sum by (view) (increase(cxpulse_view_partials_folded_total[{w}])) > 0",
                    {"value": "{{ $value | printf \"%.0f\" }}"})
        else:
            rule = ("CxpulseCalendarFallback", "max(cxpulse_calendar_fallback_days_total) > 0",
                    {"value": "{{ $value | printf \"%.0f\" }}"})
        alert, expr, fields = rule
        rules.append(writer.alert(alert, expr, f, limit.severity, PIPELINE, window=w,
                                  for_=f, **fields))
    return rules


def alert_groups(spec: AlertSpec, views: Mapping[str, View], min_sample: int,
                 language: str) -> list[dict]:
    """The groups of cxpulse-alerts.rules.yml but the dive alerts (alerts/dives.py)."""
    writer = Writer(spec, language)
    slo = []
    for name, objective in spec.objectives.items():
        view = _view(views, objective.view, RATIO_SLIS[name].group, True, f"objectives.{name}")
        slo += burn_alerts(writer, name, objective, view)
    thresholds = []
    for name, threshold in spec.thresholds.items():
        view = _view(views, threshold.view, THRESHOLD_SLIS[name].group, False,
                     f"thresholds.{name}")
        thresholds += threshold_alerts(writer, name, threshold, view, min_sample)
    return [{"name": "cxpulse-slo-alerts", "rules": slo},
            {"name": "cxpulse-threshold-alerts", "rules": thresholds},
            {"name": "cxpulse-sli-health-alerts", "rules": sli_health_alerts(writer, views)},
            {"name": "cxpulse-pipeline-alerts", "rules": pipeline_alerts(writer)}]
