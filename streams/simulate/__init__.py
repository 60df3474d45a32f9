"""The seeded traffic simulator: realistic calls, ticket lifecycles and surveys, pure Python.

No Kafka here: :func:`generate` yields :class:`SimItem` messages, :func:`paced` spaces them in
real time, and the producer (streams/producer.py) sends them. See docs/simulator.md.
"""

from streams.simulate.config import SimulatorConfig
from streams.simulate.errors import ScenarioError
from streams.simulate.generator import generate
from streams.simulate.items import SimItem
from streams.simulate.pacing import paced
from streams.simulate.scenario import Effect, Match, Scenario, load_scenario

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
