"""The simulator answers only questionnaires the workers accept: same ids, scales, dimensions."""

import pytest

from metrics.questionnaires import CATALOGUE
from streams.simulate.questionnaires import CATALOGUE as SIMULATED


@pytest.mark.parametrize("name", sorted(SIMULATED))
def test_simulated_questionnaire_matches_the_catalogue(name):
    simulated, known = SIMULATED[name], CATALOGUE.get(name)
    assert known is not None, f"{name} is not in metrics.questionnaires.CATALOGUE"
    assert (known.scale_min, known.scale_max) == (1, simulated.scale_max)
    assert [d.name for d in simulated.dimensions] == list(known.dimensions)
