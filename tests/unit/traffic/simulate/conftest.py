"""Factories for simulator runs; the long shared stream is built once per package."""

from collections.abc import Callable

import pytest

from tests.unit.traffic.simulate.helpers import START
from traffic.simulate import Scenario, SimItem, SimulatorConfig, generate

Simulate = Callable[..., list[SimItem]]


@pytest.fixture
def simulate() -> Simulate:
    """``simulate(scenario=None, start=START, count=None, duration_s=None, **config)``: the
    items of one run as a list; keyword arguments other than those are SimulatorConfig fields."""

    def run(scenario: Scenario | None = None, start=START, count: int | None = None,
            duration_s: float | None = None, **config) -> list[SimItem]:
        return list(generate(SimulatorConfig(**config), scenario, start, count=count,
                             duration_s=duration_s))

    return run


@pytest.fixture(scope="package")
def day_stream() -> list[SimItem]:
    """36 hours of default traffic at 0.5 events/s (~65,000 items): long enough for ticket
    lifecycles, reopenings, repeat repairs and the whole diurnal curve."""
    return list(generate(SimulatorConfig(rate_per_s=0.5), None, START, duration_s=36 * 3600))
