"""Views: segment key -> view key, the groups a view serves, projection and the key cap."""

import pytest

from metrics.errors import ConfigError
from metrics.views import KeyCap, Projector, View, key_labels, view_name

SEG = "east|phone|q-general|residential|repair|new|all"
REGION = View("region", ("region",))
JOURNEY = View("journey", ("business_line", "journey_stage"), frozenset({"surveys", "tickets"}))


@pytest.mark.parametrize(("view", "key"), [
    (View("all"), "all"),
    (REGION, "region|east"),
    (View("queue", ("queue",)), "queue|q-general"),
    (JOURNEY, "journey|residential|repair"),
    (View("odd", ("customer_type", "region")), "odd|new|east"),
    (View("agent", ("agent",)), "agent|all"),
])
def test_key_of(view, key):
    assert view.key_of(SEG) == key
    assert view_name(key) == view.name


@pytest.mark.parametrize(("component", "served"), [
    ("calls/offered", False),
    ("tickets/repair/created", True),
    ("tickets/repair/opened", True),
    ("clocks/response/judged", True),
    ("fcr/failed", False),
    ("surveys/segue/genuine/score/4", True),
])
def test_serves_by_group(component, served):
    assert JOURNEY.serves(component) is served


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dimensions": ("regoin",)}, r"unknown dimensions \['regoin'\]"),
    ({"dimensions": ("region", "region")}, "listed twice"),
    ({"groups": frozenset({"calls", "voice"})}, "groups must be"),
    ({"groups": frozenset()}, "groups must be"),
    ({"max_keys": 0}, "max_keys must be at least 1"),
])
def test_bad_views_are_refused_with_the_reason(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        View("bad", **kwargs)


def test_key_labels_name_the_view_and_its_dimensions():
    views = {"journey": JOURNEY, "all": View("all")}

    assert key_labels(views, "journey|residential|repair") == {
        "view": "journey", "business_line": "residential", "journey_stage": "repair"}
    assert key_labels(views, "all") == {"view": "all"}


def test_projection_splits_a_bucket_by_view_groups():
    projector = Projector([View("all"), REGION, JOURNEY])
    bucket = {"calls/offered": 2, "tickets/repair/created": 1}

    assert list(projector.project(SEG, bucket)) == [
        ("all", bucket), ("region|east", bucket),
        ("journey|residential|repair", {"tickets/repair/created": 1})]
    assert list(projector.project(SEG, {"calls/offered": 1}))[-1][0] == "region|east"


def test_key_cap_admits_first_comers_and_folds_the_rest():
    cap = KeyCap({"region": View("region", ("region",), max_keys=2)})

    admitted = [cap.admit(f"region|{name}") for name in ("a", "b", "c", "a", "d", "c")]

    assert admitted == ["region|a", "region|b", "region|other", "region|a", "region|other",
                        "region|other"]
    assert cap.folded_keys("region") == 2
    assert cap.admit("region|other") == "region|other"
