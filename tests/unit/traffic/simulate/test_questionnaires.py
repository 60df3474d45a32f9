"""The questionnaire catalogue and the latent-to-scale mapping."""

import pytest

from traffic.simulate.questionnaires import CATALOGUE, to_scale


@pytest.mark.parametrize(
    ("latent", "scale_max", "expected"),
    [
        (1.0, 10, 1), (10.0, 10, 10), (7.49, 10, 7), (7.5, 10, 8), (-3.0, 10, 1),
        (14.0, 10, 10), (1.0, 5, 1), (10.0, 5, 5), (5.5, 5, 3), (3.25, 5, 2), (3.26, 5, 2),
        (7.75, 5, 4), (0.0, 5, 1), (99.0, 5, 5),
    ],
)
def test_to_scale(latent, scale_max, expected):
    assert to_scale(latent, scale_max) == expected


@pytest.mark.parametrize(
    ("name", "scale_max", "dimensions"),
    [
        ("after_sales_10", 10, ["service_skill", "attitude", "timeliness", "parts_supply",
                                "overall"]),
        ("segue", 5, ["satisfactory", "efficient", "genuine", "understanding", "effective"]),
        ("servqual", 5, ["reliability", "responsiveness", "assurance", "tangibles", "empathy"]),
    ],
)
def test_catalogue_matches_the_domain(name, scale_max, dimensions):
    questionnaire = CATALOGUE[name]
    assert questionnaire.scale_max == scale_max
    assert [d.name for d in questionnaire.dimensions] == dimensions


def test_every_dimension_is_driven_by_something():
    for questionnaire in CATALOGUE.values():
        for dim in questionnaire.dimensions:
            assert dim.speed + dim.skill + dim.fix + dim.parts > 0, dim.name
