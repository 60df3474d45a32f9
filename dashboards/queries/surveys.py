"""Surveys: index per dimension with its sample and interval, gap to target, worst keys."""

from collections.abc import Callable

from metrics.views import View

from dashboards.queries.select import by, matchers

Z_95 = 1.96


def _sums(view: View, family: str, keep: tuple[str, ...]) -> str:
    return (f"sum by ({', '.join(keep)}) "
            f"(cxpulse_window_survey_{family}{{{matchers(view)}}})")


def _per_questionnaire(scales: dict[str, int], term: Callable[[str, int], str]) -> str:
    """One term per questionnaire (each has its own scale), joined with ``or``."""
    return " or ".join(f"({term(q, scale)})" for q, scale in sorted(scales.items()))


def index(view: View, scales: dict[str, int], keep: tuple[str, ...]) -> str:
    """Dimension index on 100 points over the selected keys: sum of scores / responses /
    scale max x 100, grouped by ``keep`` (e.g. questionnaire, dimension)."""
    def term(q: str, scale: int) -> str:
        s = _sums(view, "score_sum", keep).replace("{", f'{{questionnaire="{q}",', 1)
        n = _sums(view, "responses", keep).replace("{", f'{{questionnaire="{q}",', 1)
        return f"{s} / ({n} > 0) / {scale} * 100"
    return _per_questionnaire(scales, term)


def responses(view: View, keep: tuple[str, ...]) -> str:
    """The index's sample: responses per group."""
    return _sums(view, "responses", keep)


def interval(view: View, scales: dict[str, int], keep: tuple[str, ...], side: int) -> str:
    """One end (side -1 low, +1 high) of the 95 % interval of the index: mean +- z x se with
    the sample sd from the sums of scores and squares (docs/metrics.md, "Mean and index
    intervals"); no value under 2 responses."""
    sign = "-" if side < 0 else "+"

    def term(q: str, scale: int) -> str:
        def part(family: str) -> str:
            return _sums(view, family, keep).replace("{", f'{{questionnaire="{q}",', 1)
        n, s, sq = part("responses"), part("score_sum"), part("score_squares_sum")
        se = (f"sqrt(clamp_min({n} * {sq} - {s} ^ 2, 0) / ({n} * ({n} - 1))) "
              f"/ sqrt({n})")
        return f"({s} / ({n} > 1) {sign} {Z_95} * {se}) / {scale} * 100"
    return _per_questionnaire(scales, term)


def gap_to_target(view: View) -> str:
    """Responses short of each key's target (还差多少), from the recording rules; the rule's
    ``target`` label is dropped so the row joins the index of the same key."""
    return (f"max without (target) ("
            f"{'_'.join(('view', *view.dimensions, 'window', 'questionnaire', 'dimension'))}"
            f":cxpulse_survey_gap_to_target:responses{{{matchers(view)}}})")


def gap_to_target_summed(view: View, targets: Callable[[str, str], float],
                         questionnaires: dict[str, tuple[int, tuple[str, ...]]],
                         keep: tuple[str, ...]) -> str:
    """Gap to target over the selected keys together: ceil(target / 100 x scale x responses
    - sum of scores), never below 0, per questionnaire and dimension."""
    terms = []
    for q, (scale, dimensions) in sorted(questionnaires.items()):
        by_target: dict[float, list[str]] = {}
        for d in dimensions:
            by_target.setdefault(targets(q, d), []).append(d)
        for target, dims in sorted(by_target.items()):
            extra = f'questionnaire="{q}",dimension=~"{"|".join(dims)}",'
            n = _sums(view, "responses", keep).replace("{", "{" + extra, 1)
            s = _sums(view, "score_sum", keep).replace("{", "{" + extra, 1)
            terms.append(f"clamp_min(ceil({target / 100 * scale:g} * {n} - {s}), 0)")
    return " or ".join(f"({t})" for t in terms)


def key_index(view: View) -> str:
    """Index per view key, questionnaire and dimension (recording rule)."""
    return (f"{'_'.join(('view', *view.dimensions, 'window', 'questionnaire', 'dimension'))}"
            f":cxpulse_survey_index:ratio{{{matchers(view)}}}")


def key_responses(view: View) -> str:
    """The key index's sample: responses per view key, questionnaire and dimension."""
    return (f"sum by ({by(view, 'questionnaire', 'dimension')}) "
            f"(cxpulse_window_survey_responses{{{matchers(view)}}})")


def overall_index(view: View) -> str:
    """Overall index per questionnaire: mean of the dimension indices (recording rule)."""
    return (f"{'_'.join(('view', *view.dimensions, 'window', 'questionnaire'))}"
            f":cxpulse_survey_overall_index:mean{{{matchers(view)}}}")
