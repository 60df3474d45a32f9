"""SimulatorConfig: sensible defaults, and errors that name the setting."""

import pytest
from pydantic import ValidationError

from traffic.simulate import SimulatorConfig
from traffic.simulate.config import JOURNEY_STAGES


def test_defaults():
    config = SimulatorConfig()
    assert (config.seed, config.rate_per_s, config.customers, config.agents) == (7, 200.0,
                                                                                 20_000, 50)
    assert (config.call_share, config.ticket_share, config.survey_share) == (0.5, 0.3, 0.2)
    assert config.start is None
    assert config.journey_stages == list(JOURNEY_STAGES)
    assert (config.invalid_share, config.duplicate_share, config.late_share) == (0, 0, 0)


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"colour": "red"}, "colour"),
        ({"rate_per_s": 0}, "rate_per_s"),
        ({"start": "2026-03-02T08:00:00"}, "start"),
        ({"call_share": 0.6}, "call_share + ticket_share + survey_share must be 1"),
        ({"call_share": 0.1, "ticket_share": 0.1, "survey_share": 0.8}, "survey_share 0.8"),
        ({"utc_offset_h": 8.1}, "utc_offset_h"),
        ({"regions": []}, "regions"),
        ({"regions": ["east", "east"]}, "regions has repeated values"),
        ({"regions": ["east west"]}, "regions.0"),
        ({"stage_weights": {"teleport": 1.0}}, "stage_weights names teleport"),
        ({"queue_by_stage": {"repair": "nowhere"}}, "queue_by_stage (values) names nowhere"),
        ({"queue_wait_median_s": {"sales": 0.0}}, "queue_wait_median_s"),
        ({"queue_wait_median_s": {"vip": 3.0}}, "queue_wait_median_s names vip"),
        ({"questionnaire_weights": {"nps": 1.0}}, "questionnaire_weights names nps"),
        ({"questionnaire_weights": {"segue": 0.0}}, "questionnaire_weights needs"),
        ({"ticket_kind_weights": {"warranty": 1.0}}, "ticket_kind_weights.warranty"),
        ({"ticket_channel_weights": {"fax": 1.0}}, "ticket_channel_weights.fax"),
        ({"value_tier_weights": {"gold": -1.0}}, "value_tier_weights must be finite"),
        ({"customers": 0}, "customers"),
        ({"invalid_share": 0.6}, "invalid_share"),
        ({"late_by_s": 0}, "late_by_s"),
    ],
)
def test_bad_values_name_the_setting(fields, fragment):
    with pytest.raises(ValidationError) as caught:
        SimulatorConfig(**fields)
    assert fragment in str(caught.value)


def test_custom_stages_and_queues_trim_the_default_tables():
    config = SimulatorConfig(journey_stages=["buy", "repair"], queues=["repairs", "front"])
    assert config.stage_weights == {"repair": 1.5}
    assert config.stage_satisfaction_shift == {"repair": -1.2}
    assert config.queue_by_stage == {"repair": "repairs"}
    assert config.queue_wait_median_s == {"repairs": 8.0}


def test_custom_stages_generate_valid_traffic(simulate):
    items = simulate(count=2_000, journey_stages=["buy", "use"], queues=["front", "back"],
                     rate_per_s=20.0)
    assert {i.payload["journey_stage"] for i in items} == {"buy", "use"}
    assert {i.payload["queue"] for i in items} == {"front", "back"}


def test_config_is_frozen():
    with pytest.raises(ValidationError):
        SimulatorConfig().seed = 8
