"""Burn-rate tiers derived from an objective: pure arithmetic, no YAML, no PromQL.

The error budget of an objective O is B = 1 - O; a burn rate r means errors arrive r times as
fast as the budget allows, so the error ratio is r x B and the highest possible burn rate is
1 / B (every event bad). The SRE workbook's factors (14.4, 6, 3, 1) are ``budget_share x
period / long window``; for O = 0.8 they exceed 1 / B = 5 and could never fire. Each tier is
therefore capped at ``max_error_ratio / B`` (never ask for more than that share of bad events)
and floored at 1 (never alert while the budget would last the period). The cap is below 1, so
every tier can fire: an error ratio of 1 exceeds it whatever the objective.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class TierRule:
    """One tier as generated for one objective: it fires when the SLI falls below
    ``good_ratio`` over both windows, i.e. errors exceed ``error_ratio`` = factor x budget."""

    severity: str
    long_s: int
    short_s: int
    for_s: int
    error_ratio: float
    objective: float

    @property
    def factor(self) -> float:
        """The burn rate the tier fires above: error ratio / budget."""
        return self.error_ratio / (1 - self.objective)

    @property
    def good_ratio(self) -> float:
        """The SLI (good events / events) below which the tier fires."""
        return round(1 - self.error_ratio, 9)


def error_ratio(objective: float, budget_share: float, period_s: int, long_s: int,
                max_error_ratio: float) -> float:
    """The error ratio one tier fires above for ``objective`` (0 < objective < 1):
    ``max(budget, min(textbook factor x budget, max_error_ratio))``, rounded to 9 decimals so
    rule files read 0.5, not 0.49999999999999994."""
    budget = 1 - objective
    textbook = budget_share * period_s / long_s
    return round(max(budget, min(textbook * budget, max_error_ratio)), 9)


def max_burn_rate(objective: float) -> float:
    """1 / (1 - objective): the burn rate when every event is bad."""
    return 1 / (1 - objective)
