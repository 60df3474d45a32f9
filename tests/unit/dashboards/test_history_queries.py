"""The History board's figures are the figures of metrics/figures.py with the n of
``cxpulse history``: each Ratio's terms, summed, give the same value on any bucket."""

import math
import random

import pytest

from dashboards.boards.history import figures as board_figures
from dashboards.context import default_context
from dashboards.queries.history import Ratio, terms_table
from metrics.figures import figures
from streams.history.query import sample_size


def _bucket(ratios: list[Ratio], seed: int) -> dict[str, float]:
    """Random counts for every component a figure reads; denominators kept above numerators
    where the figure's own checks need it (responses x scale >= sum of scores)."""
    rng = random.Random(seed)
    out: dict[str, float] = {}
    for ratio in ratios:
        for _, component in (*ratio.numerator, *ratio.denominator):
            out.setdefault(component, rng.randint(0, 40))
        out.setdefault(ratio.n, rng.randint(0, 40))
    for key in list(out):
        if key.endswith("/responses"):
            responses = rng.randint(1, 50)
            out[key] = responses
            out[key.replace("/responses", "/sum_scores")] = rng.randint(responses, responses * 5)
            out[key.replace("/responses", "/sum_squares")] = 25 * responses
    out["calls/offered"] = 100
    out["calls/short_abandoned"] = 5
    out["fcr/failed"] = min(out["fcr/failed"], out["fcr/contacts"])
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_ratio_equals_the_catalogue_figure_and_its_n(seed: int) -> None:
    ctx = default_context()
    ratios = board_figures(ctx)
    bucket = _bucket(ratios, seed)
    expected = figures(bucket, ctx.data.catalogue(), ctx.data.survey_targets.rules())
    for ratio in ratios:
        den = sum(c * bucket.get(k, 0) for c, k in ratio.denominator)
        value = sum(c * bucket.get(k, 0) for c, k in ratio.numerator) / den if den else None
        want = expected[ratio.key]
        assert (value is None) == (want is None), ratio.key
        if want is not None:
            assert math.isclose(value, want, rel_tol=1e-12), ratio.key
        assert bucket.get(ratio.n, 0) == sample_size(ratio.key, bucket), ratio.key


def test_figure_keys_are_unique_and_quoted_safely() -> None:
    ratios = board_figures(default_context())
    assert len({r.key for r in ratios}) == len(ratios)
    text = terms_table([Ratio("it's", ((1, "a/b"),), ((1, "c/d"),), "c/d", 30, False)])
    assert "('it''s', 'num', 1.0, 'a/b', -1, 30)" in text
