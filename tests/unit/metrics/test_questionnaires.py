"""Questionnaires, catalogues and the check of survey events against one.

The shipped questionnaires are tested with the data file (tests/unit/streams/test_dataconfig.py).
"""

import pytest

from metrics.errors import MetricInputError
from metrics.events import SurveyEvent
from metrics.questionnaires import Questionnaire, catalogue, check_survey
from tests import factories

SHIPPED = factories.questionnaires()


def _survey(**overrides) -> SurveyEvent:
    return SurveyEvent.model_validate(factories.survey(**overrides))


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({}, None, id="full-after-sales"),
        pytest.param({"scores": {"overall": 7}}, None, id="subset-of-dimensions"),
        pytest.param({"questionnaire": "segue", "scale_max": 5,
                      "scores": {"genuine": 5, "effective": 1}}, None, id="segue"),
        pytest.param({"questionnaire": "nps"},
                     "unknown questionnaire 'nps'; known: after_sales_10, agreement, segue, "
                     "servqual", id="unknown-questionnaire"),
        pytest.param({"scale_max": 5, "scores": {"overall": 5}},
                     "scale 1..5 differs from after_sales_10's 1..10", id="other-scale-max"),
        pytest.param({"scale_min": 0, "scores": {"overall": 0}},
                     "scale 0..10 differs from after_sales_10's 1..10", id="other-scale-min"),
        pytest.param({"scores": {"overall": 7, "speed": 3, "mood": 2}},
                     "dimensions not in after_sales_10: mood, speed", id="unknown-dimensions"),
        pytest.param({"questionnaire": "servqual", "scale_max": 5, "scores": {"attitude": 4}},
                     "dimensions not in servqual: attitude", id="dimension-of-another-set"),
    ],
)
def test_check_survey(overrides, error):
    assert check_survey(_survey(**overrides), SHIPPED) == error


def test_check_survey_against_a_configured_catalogue():
    nps = Questionnaire("nps", 0, 10, ("recommend",))
    configured = catalogue([nps])
    survey = _survey(questionnaire="nps", scale_min=0, scores={"recommend": 0})
    assert check_survey(survey, configured) is None
    assert check_survey(_survey(), configured).startswith("unknown questionnaire")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("q", 5, 5, ("a",)), id="empty-scale"),
        pytest.param(("q", 1, 5, ()), id="no-dimensions"),
        pytest.param(("q", 1, 5, ("a", "a")), id="duplicate-dimension"),
        pytest.param(("q", 1, 5, ("a",), ((6, "six"),)), id="label-off-scale"),
    ],
)
def test_questionnaire_validates(args):
    with pytest.raises(MetricInputError):
        Questionnaire(*args)


def test_catalogue_rejects_duplicate_names():
    with pytest.raises(MetricInputError):
        catalogue([Questionnaire("q", 1, 5, ("a",)), Questionnaire("q", 1, 10, ("b",))])
