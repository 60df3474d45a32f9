"""The seeded traffic simulator: realistic calls, ticket lifecycles and surveys, pure Python.

No Kafka here: :func:`generate` yields :class:`SimItem` messages, :func:`paced` spaces them in
real time, and the producer (traffic/producer.py) sends them. See docs/simulator.md.
"""

from traffic.simulate.config import SimulatorConfig
from traffic.simulate.errors import ScenarioError
from traffic.simulate.generator import generate
from traffic.simulate.items import SimItem
from traffic.simulate.pacing import paced
from traffic.simulate.scenario import Effect, Match, Scenario, load_scenario

__all__ = [
    "Effect",
    "Match",
    "Scenario",
    "ScenarioError",
    "SimItem",
    "SimulatorConfig",
    "generate",
    "load_scenario",
    "paced",
]
