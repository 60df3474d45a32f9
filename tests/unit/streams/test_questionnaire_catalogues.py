"""The simulator answers only questionnaires the default workers accept: those of the shipped
data file, with the same ids, scales and dimensions."""

import pytest

from streams.dataconfig_load import default_config
from traffic.simulate.questionnaires import CATALOGUE as SIMULATED

CATALOGUE = default_config().catalogue()


@pytest.mark.parametrize("name", sorted(SIMULATED))
def test_simulated_questionnaire_matches_the_catalogue(name):
    simulated, known = SIMULATED[name], CATALOGUE.get(name)
    assert known is not None, f"{name} is not in the shipped data file (streams/dataconfig.yaml)"
    assert (known.scale_min, known.scale_max) == (1, simulated.scale_max)
    assert [d.name for d in simulated.dimensions] == list(known.dimensions)
