"""Scenario files: the format, and errors that name the file and the field."""

import pytest

from tests.unit.traffic.simulate.helpers import SCENARIOS
from traffic.simulate import Effect, Match, Scenario, ScenarioError, SimulatorConfig, load_scenario
from traffic.simulate.effects import NEUTRAL, Effects, Factors

START_MS = 1_772_380_800_000
MINUTE_MS = 60_000


def test_example_scenario_loads():
    scenario = load_scenario(SCENARIOS / "east_repairs_slow.yaml")
    assert scenario.description == "East region repair backlog"
    assert [(e.from_minute, e.until_minute) for e in scenario.effects] == [(30, 150)] * 3
    tickets, calls, satisfaction = scenario.effects
    assert (tickets.match, tickets.response_delay_factor) == (
        Match(region="east", kind="repair"), 4.0)
    assert (calls.match, calls.wait_factor, calls.abandon_factor) == (
        Match(region="east", queue="repairs", kind="call"), 3.0, 2.0)
    assert (satisfaction.match, satisfaction.satisfaction_shift) == (
        Match(region="east", queue="repairs"), -3.0)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("effects: [", ["not valid YAML", "line"]),
        ("- a\n- b\n", ["a mapping with an 'effects' list"]),
        ("", ["a mapping"]),
        ("effects: []\n", ["effects:", "at least 1"]),
        ("efects: []\n", ["efects", "Extra inputs"]),
        ("effects:\n  - from_minute: -1\n    wait_factor: 2\n", ["effects[0].from_minute"]),
        ("effects:\n  - wait_factor: 2\n", ["effects[0].from_minute", "Field required"]),
        ("effects:\n  - from_minute: 5\n    match: {kind: warranty}\n    wait_factor: 2\n",
         ["effects[0].match.kind"]),
        ("effects:\n  - from_minute: 5\n    match: {colour: red}\n    wait_factor: 2\n",
         ["effects[0].match.colour"]),
        ("effects:\n  - from_minute: 5\n    match: {channel: fax}\n    wait_factor: 2\n",
         ["effects[0].match.channel"]),
        ("effects:\n  - from_minute: 5\n    wait_factor: 0\n", ["effects[0].wait_factor"]),
        ("effects:\n  - from_minute: 5\n    wait_factor: fast\n", ["effects[0].wait_factor"]),
        ("effects:\n  - from_minute: 5\n    satisfaction_shift: -12\n",
         ["effects[0].satisfaction_shift"]),
        ("effects:\n  - from_minute: 5\n    until_minute: 5\n    wait_factor: 2\n",
         ["effects[0]", "until_minute must be after from_minute"]),
        ("effects:\n  - from_minute: 5\n", ["effects[0]", "changes nothing"]),
        ("effects:\n  - from_minute: 5\n    match: {kind: repair}\n    abandon_factor: 2\n",
         ["effects[0]", "abandon_factor", "repair"]),
        ("effects:\n  - from_minute: 5\n    match: {kind: call}\n    response_delay_factor: 2\n",
         ["effects[0]", "response_delay_factor changes tickets"]),
        ("effects:\n  - from_minute: 5\n    wait_factor: 2\n  - from_minute: x\n",
         ["effects[1].from_minute"]),
    ],
)
def test_bad_scenarios_name_the_file_and_field(tmp_path, text, fragments):
    path = tmp_path / "bad_scenario.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(ScenarioError, match="nowhere.yaml: cannot read"):
        load_scenario(tmp_path / "nowhere.yaml")


def test_match_values_must_exist_in_the_config():
    scenario = Scenario(effects=[Effect(from_minute=0, match=Match(region="eats"),
                                        satisfaction_shift=-1)])
    with pytest.raises(ScenarioError, match=r"effects\[0\]\.match\.region: 'eats'"):
        Effects(scenario, SimulatorConfig(), START_MS)


def _effects(*effects: Effect) -> Effects:
    return Effects(Scenario(effects=list(effects)), SimulatorConfig(), START_MS)


SEGMENT = ("east", "repairs", "residential", "repair", "phone", "repair")


@pytest.mark.parametrize(
    ("minute", "segment", "expected"),
    [
        (29.99, SEGMENT, NEUTRAL),
        (30, SEGMENT, Factors(4.0, 1.0, 1.0, -3.0)),
        (89.99, SEGMENT, Factors(4.0, 1.0, 1.0, -3.0)),
        (90, SEGMENT, NEUTRAL),
        (45, ("west", *SEGMENT[1:]), NEUTRAL),
        (45, (*SEGMENT[:5], "complaint"), NEUTRAL),
    ],
)
def test_effect_applies_inside_its_window_and_segment(minute, segment, expected):
    effects = _effects(Effect(from_minute=30, until_minute=90,
                              match=Match(region="east", kind="repair"),
                              response_delay_factor=4.0, satisfaction_shift=-3.0))
    assert effects.at(START_MS + round(minute * MINUTE_MS), *segment) == expected


def test_overlapping_effects_multiply_factors_and_add_shifts():
    effects = _effects(
        Effect(from_minute=0, wait_factor=2.0, satisfaction_shift=-1.0),
        Effect(from_minute=10, match=Match(queue="repairs"), wait_factor=3.0,
               abandon_factor=2.0, satisfaction_shift=-0.5),
    )
    at = START_MS + 20 * MINUTE_MS
    assert effects.at(at, *SEGMENT) == Factors(1.0, 6.0, 2.0, -1.5)
    assert effects.at(at, "east", "sales", *SEGMENT[2:]) == Factors(1.0, 2.0, 1.0, -1.0)


def test_open_ended_effect_lasts_forever():
    effects = _effects(Effect(from_minute=1, satisfaction_shift=2.0))
    assert effects.at(START_MS + 10**12, *SEGMENT).satisfaction_shift == 2.0


def test_no_scenario_is_neutral():
    assert Effects(None, SimulatorConfig(), START_MS).at(START_MS, *SEGMENT) is NEUTRAL
