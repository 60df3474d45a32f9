"""Recording rules per view: the catalogue's ratios from components summed across workers.

Each view gets one rule group. A rule is ``level:metric:operations`` where the level lists the
labels kept (``view``, the view's dimensions, ``window``, and e.g. ``kind``): numerators and
denominators are summed over workers first, then divided, never averaged. Components are
sparse (a key without short abandons has no ``short_abandoned`` series), so every term falls
back to a zero vector over the keys that have any component of the rule's group (a ``:zero``
rule earlier in the same group, so evaluated first); a zero denominator gives no sample, as the
report gives no figure. ``cxpulse alerts build`` (alias ``cxpulse rules build``) writes
alerts/rules/cxpulse-views.rules.yml; ``--check`` fails when the committed file differs.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from metrics.questionnaires import Questionnaire
from metrics.views import View

RULES_FILE = Path(__file__).resolve().parent / "rules" / "cxpulse-views.rules.yml"
Target = Callable[[str, str], float]


@dataclass(frozen=True)
class Ratio:
    """One ratio: signed window-gauge families over others, in one metric group.

    ``figure`` names the report figure it equals (metrics/figures.py), with ``{kind}``,
    ``{clock}``, ``{questionnaire}``, ``{dimension}`` filled from the series' labels.
    """

    metric: str
    operation: str
    group: str
    numerator: tuple[tuple[int, str], ...]
    denominator: tuple[tuple[int, str], ...]
    figure: str
    extra: tuple[str, ...] = ()


RATIOS = (
    Ratio("cxpulse_calls_service_level", "ratio", "calls",
          ((1, "calls_answered_within_target"),),
          ((1, "calls_offered"), (-1, "calls_short_abandoned")), "calls.service_level"),
    Ratio("cxpulse_calls_abandonment", "ratio", "calls",
          ((1, "calls_abandoned"), (-1, "calls_short_abandoned")),
          ((1, "calls_offered"), (-1, "calls_short_abandoned")), "calls.abandonment_rate"),
    Ratio("cxpulse_calls_answer_wait_seconds", "mean", "calls",
          ((1, "calls_answer_wait_seconds_sum"),), ((1, "calls_answered"),),
          "calls.average_speed_of_answer_s"),
    Ratio("cxpulse_calls_transfers", "per_call", "calls", ((1, "calls_transfers"),),
          ((1, "calls_offered"),), "calls.transfers_per_call"),
    Ratio("cxpulse_tickets_first_response_points", "mean", "tickets",
          ((1, "tickets_first_response_points_sum"),), ((1, "tickets_first_responses"),),
          "tickets.{kind}.mean_first_response_points", ("kind",)),
    Ratio("cxpulse_tickets_closure", "ratio", "tickets", ((1, "tickets_closed"),),
          ((1, "tickets_created"), (1, "tickets_reopened")), "tickets.{kind}.closure_rate",
          ("kind",)),
    Ratio("cxpulse_tickets_on_time", "ratio", "tickets", ((1, "tickets_closed_on_time"),),
          ((1, "tickets_closed_with_due_date"),), "tickets.{kind}.on_time_rate", ("kind",)),
    Ratio("cxpulse_tickets_repeat", "ratio", "tickets", ((1, "tickets_repeats"),),
          ((1, "tickets_created"),), "tickets.{kind}.repeat_rate", ("kind",)),
    Ratio("cxpulse_complaint_clock_on_time", "ratio", "tickets",
          ((1, "complaint_clock_on_time"),), ((1, "complaint_clock_judged"),),
          "clocks.{clock}.on_time_rate", ("clock",)),
    Ratio("cxpulse_fcr", "ratio", "fcr", ((1, "fcr_contacts"), (-1, "fcr_failed")),
          ((1, "fcr_contacts"),), "fcr.rate"),
)


def level(view: View, extra: Iterable[str] = ()) -> str:
    """The level part of a rule name: the labels the rule keeps."""
    return "_".join(("view", *view.dimensions, "window", *extra))


def _by(view: View, extra: Iterable[str]) -> str:
    return ", ".join(("view", *view.dimensions, "window", *extra))


#: The families whose keys make a group's zero vector, by (group, extra labels).
KEY_FAMILIES = {("calls", ()): "calls_offered",
                ("tickets", ("kind",)): "tickets_.+",
                ("tickets", ("clock",)): "complaint_clock_.+",
                ("fcr", ()): "fcr_.+"}


def zero_rule(view: View, group: str, extra: tuple[str, ...]) -> tuple[str, str]:
    """(record name, expression) of a zero per key of ``view`` that has any family of the
    group: what a missing component falls back to."""
    name = f"{level(view, extra)}:cxpulse_{group}_{'_'.join(extra) or 'keys'}:zero"
    pattern = KEY_FAMILIES[(group, extra)]
    return name, (f"0 * sum by ({_by(view, extra)}) "
                  f'({{__name__=~"cxpulse_window_({pattern})",view="{view.name}"}})')


def ratio_expr(view: View, ratio: Ratio) -> str:
    """``(numerator) / ((denominator) > 0)`` with every term zero-filled over the key set."""
    by = _by(view, ratio.extra)
    zero, _ = zero_rule(view, ratio.group, ratio.extra)

    def terms(signed: tuple[tuple[int, str], ...]) -> str:
        out = ""
        for sign, name in signed:
            term = f'(sum by ({by}) (cxpulse_window_{name}{{view="{view.name}"}}) or {zero})'
            out += term if not out else f" {'+' if sign > 0 else '-'} {term}"
        return out

    return f"({terms(ratio.numerator)}) / (({terms(ratio.denominator)}) > 0)"


def survey_rules(view: View, questionnaires: Mapping[str, Questionnaire],
                 target: Target) -> list[dict]:
    """Index (mean / scale max x 100), gap to target and overall index per questionnaire."""
    by = _by(view, ("questionnaire", "dimension"))
    name = f"{level(view, ('questionnaire', 'dimension'))}:cxpulse_survey_index:ratio"
    rules = []
    for questionnaire in questionnaires.values():
        match = f'view="{view.name}",questionnaire="{questionnaire.name}"'
        responses = f"sum by ({by}) (cxpulse_window_survey_responses{{{match}}})"
        scores = f"sum by ({by}) (cxpulse_window_survey_score_sum{{{match}}})"
        # One rule per questionnaire (its scale), told apart by a static label for promtool.
        rules.append({"record": name, "expr": f"({scores} / ({responses} > 0)) / "
                      f"{questionnaire.scale_max} * 100",
                      "labels": {"questionnaire": questionnaire.name}})
        targets = {dimension: target(questionnaire.name, dimension)
                   for dimension in questionnaire.dimensions}
        for value in sorted(set(targets.values())):
            dims = "|".join(d for d, t in targets.items() if t == value)
            picked = f'{match},dimension=~"{dims}"'
            gap_responses = f"sum by ({by}) (cxpulse_window_survey_responses{{{picked}}})"
            gap_scores = f"sum by ({by}) (cxpulse_window_survey_score_sum{{{picked}}})"
            factor = value / 100 * questionnaire.scale_max
            rules.append({
                "record": f"{level(view, ('questionnaire', 'dimension'))}"
                          ":cxpulse_survey_gap_to_target:responses",
                "expr": f"clamp_min(ceil({factor:g} * {gap_responses} - {gap_scores}), 0)",
                "labels": {"questionnaire": questionnaire.name, "target": f"{value:g}"}})
    rules.append({"record": f"{level(view, ('questionnaire',))}"
                            ":cxpulse_survey_overall_index:mean",
                  "expr": f"avg without (dimension) ({name})"})
    return rules


def view_rules(view: View, questionnaires: Mapping[str, Questionnaire],
               target: Target) -> dict:
    """The rule group of one view (only the ratios of the groups it serves)."""
    rules: list[dict] = []
    for group, extra in KEY_FAMILIES:
        if group in view.groups:
            record, expr = zero_rule(view, group, extra)
            rules.append({"record": record, "expr": expr})
    rules += [{"record": f"{level(view, ratio.extra)}:{ratio.metric}:{ratio.operation}",
               "expr": ratio_expr(view, ratio)}
              for ratio in RATIOS if ratio.group in view.groups]
    if "surveys" in view.groups:
        rules += survey_rules(view, questionnaires, target)
    return {"name": f"cxpulse-view-{view.name}", "rules": rules}


def render(views: Iterable[View], questionnaires: Mapping[str, Questionnaire],
           target: Target) -> str:
    """The rule file's text: a header, then one group per served view (export: true)."""
    groups = [view_rules(view, questionnaires, target) for view in views if view.export]
    header = ("# Generated by `cxpulse alerts build` from the configured views: do not edit.\n"
              "# Ratios of components summed across workers (docs/metrics.md, "
              "\"Recording rules\").\n")
    return header + yaml.safe_dump({"groups": groups}, sort_keys=False, width=100)
