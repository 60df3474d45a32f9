"""Burn-rate tiers derived from objectives: every tier can fire, whatever the objective, and
the committed rules fire every tier of every objective under all-bad traffic (promtool)."""

import subprocess
from pathlib import Path

import pytest
import yaml

from alerts.build import RULES_DIR
from alerts.burn import error_ratio, max_burn_rate
from alerts.rules import tier_rules
from alerts.spec import load_spec

SPEC = load_spec()
DAY = 86_400


@pytest.mark.parametrize(("objective", "long_s", "share", "cap", "expected"), [
    (0.999, 3600, 0.02, 0.5, 0.0144),   # the workbook's 14.4 on a 0.1 % budget
    (0.99, 3600, 0.02, 0.5, 0.144),
    (0.95, 3600, 0.02, 0.5, 0.5),       # 14.4 x 5 % = 72 %: capped at 50 %
    (0.80, 3600, 0.02, 0.5, 0.5),       # 14.4 would need 288 % bad calls
    (0.80, 21600, 0.05, 0.4, 0.4),
    (0.80, 3 * DAY, 0.10, 0.2, 0.2),    # workbook factor 1: the budget itself
    (0.50, 3 * DAY, 0.10, 0.2, 0.5),    # the floor: never under the budget (factor 1)
])
def test_error_ratio_table(objective, long_s, share, cap, expected):
    assert error_ratio(objective, share, 30 * DAY, long_s, cap) == pytest.approx(expected)


def test_an_80_percent_objective_has_a_max_burn_rate_of_5_and_tiers_under_it():
    tiers = tier_rules(SPEC, 0.8)

    assert max_burn_rate(0.8) == pytest.approx(5)
    assert [t.factor for t in tiers] == pytest.approx([2.5, 2.0, 1.5, 1.0])
    assert not any(t.factor in (14.4, 6) for t in tiers)


@pytest.mark.parametrize("objective", [0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 0.999, 0.9999])
def test_every_tier_can_fire_for_any_objective(objective):
    for tier in tier_rules(SPEC, objective):
        assert 1 - 1e-9 <= tier.factor < max_burn_rate(objective)
        assert 0 < tier.good_ratio <= objective


def _all_bad_test(objectives: dict[str, tuple[str, str, str]], at_s: int) -> dict:
    """A promtool test: for each SLO, one key whose every event is bad, 10 a minute."""
    series, expected = [], []
    for slo, (view, dimension, clock) in objectives.items():
        labels = f'view="{view}",{dimension}' + (f',clock="{clock}"' if clock else "")
        total, good = (("cxpulse_calls_offered_total", "cxpulse_calls_answered_within_target_total")
                       if slo == "service_level" else
                       ("cxpulse_complaint_clock_judged_total",
                        "cxpulse_complaint_clock_on_time_total"))
        steps = at_s // 300 + 1
        series += [{"series": f"{total}{{{labels}}}", "values": f"0+50x{steps}"},
                   {"series": f"{good}{{{labels}}}", "values": f"0x{steps}"}]
        expected.append(slo)
    return {"interval": "5m", "input_series": series,
            "promql_expr_test": [{
                "expr": 'count by (slo, long, severity) (ALERTS{alertstate="firing",'
                        'alertname=~"Cxpulse.*BudgetBurn"})',
                "eval_time": f"{at_s}s",
                "exp_samples": [
                    {"labels": f'{{slo="{slo}",long="{tier.long}",severity="{tier.severity}"}}',
                     "value": 1}
                    for slo in expected for tier in SPEC.burn_rate.tiers]}]}


def test_the_committed_rules_fire_every_tier_under_all_bad_traffic(tmp_path: Path):
    keys = {"service_level": ("queue", 'queue="sales"', ""),
            "complaint_response": ("region", 'region="east"', "response"),
            "complaint_solution": ("region", 'region="east"', "solution")}
    longest = max(int(t.long[:-1]) * 86_400 for t in SPEC.burn_rate.tiers if t.long.endswith("d"))
    at_s = longest + 4 * 3600   # the longest window full, plus the longest `for:` (3h)
    test = {"rule_files": [str(RULES_DIR / "cxpulse-slo.rules.yml"),
                           str(RULES_DIR / "cxpulse-alerts.rules.yml")],
            "evaluation_interval": "5m",
            "tests": [_all_bad_test(keys, at_s)]}
    path = tmp_path / "tiers.test.yml"
    path.write_text(yaml.safe_dump(test))

    result = subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True,
                            text=True, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
