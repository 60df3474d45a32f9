"""Repeat repairs and repeat complaints over per-customer histories."""

import json

import pytest

from metrics.errors import MetricInputError
from metrics.repeats import repeat_complaint, repeat_repair

DAY = 86_400.0
T0 = 1_790_000_000.0  # whole epoch seconds: window arithmetic is exact


def _repairs(*tickets: tuple[str, str | None, float], **kwargs) -> tuple[list[bool], dict]:
    history: dict = {}
    flags = []
    for ticket_id, asset_id, created_s in tickets:
        flag, history = repeat_repair(history, ticket_id, asset_id, created_s, **kwargs)
        flags.append(flag)
    return flags, history


@pytest.mark.parametrize(
    ("tickets", "flags"),
    [
        pytest.param([("t1", "a", T0)], [False], id="first-repair"),
        pytest.param([("t1", "a", T0), ("t2", "a", T0 + 29 * DAY)], [False, True],
                     id="same-asset-29-days"),
        pytest.param([("t1", "a", T0), ("t2", "a", T0 + 30 * DAY)], [False, True],
                     id="exactly-30-days-is-a-repeat"),
        pytest.param([("t1", "a", T0), ("t2", "a", T0 + 30 * DAY + 1)], [False, False],
                     id="30-days-and-1s-is-not"),
        pytest.param([("t1", "a", T0), ("t2", "a", T0)], [False, True],
                     id="same-second-second-one-is-repeat"),
        pytest.param([("t1", "a", T0), ("t2", "b", T0 + DAY)], [False, False],
                     id="other-asset"),
        pytest.param([("t1", None, T0), ("t2", None, T0 + DAY)], [False, False],
                     id="no-asset-never-repeat"),
        pytest.param([("t1", "a", T0), ("t1", "a", T0)], [False, False],
                     id="same-ticket-again-not-a-repeat"),
        pytest.param([("t1", "a", T0 + DAY), ("t2", "a", T0)], [False, False],
                     id="late-earlier-repair-is-not-a-repeat-of-a-later-one"),
        pytest.param([("t1", "a", T0), ("t2", "a", T0 + 20 * DAY), ("t3", "a", T0 + 40 * DAY)],
                     [False, True, True], id="chain-each-within-30-of-previous"),
    ],
)
def test_repeat_repair(tickets, flags):
    assert _repairs(*tickets)[0] == flags


def test_repeat_repair_custom_window():
    tickets = [("t1", "a", T0), ("t2", "a", T0 + 7 * DAY), ("t3", "a", T0 + 15 * DAY)]
    assert _repairs(*tickets, window_s=7 * DAY)[0] == [False, True, False]


def test_repeat_history_is_pruned_to_the_window_and_capped():
    _, history = _repairs(("t1", "a", T0), ("t2", "b", T0 + 31 * DAY))
    assert history == {"repairs": [["t2", "b", T0 + 31 * DAY]]}
    tickets = [(f"t{i}", f"a{i}", T0 + i) for i in range(5)]
    _, history = _repairs(*tickets, max_entries=3)
    assert [entry[0] for entry in history["repairs"]] == ["t2", "t3", "t4"]


def test_history_is_plain_json_and_keeps_working_after_a_round_trip():
    _, history = _repairs(("t1", "a", T0))
    history = json.loads(json.dumps(history))
    assert repeat_repair(history, "t2", "a", T0 + DAY)[0] is True


@pytest.mark.parametrize(
    ("complaints", "flags"),
    [
        pytest.param([("c1", "noise", T0)], [False], id="one-complaint"),
        pytest.param([("c1", "noise", T0), ("c2", "noise", T0 + 30 * DAY)], [False, True],
                     id="second-on-same-issue-at-30-days"),
        pytest.param([("c1", "noise", T0), ("c2", "noise", T0 + 30 * DAY + 1)],
                     [False, False], id="second-after-30-days"),
        pytest.param([("c1", "noise", T0), ("c2", "leak", T0 + DAY)], [False, False],
                     id="other-category"),
        pytest.param([("c1", None, T0), ("c2", None, T0)], [False, False],
                     id="no-category-never-repeat"),
        pytest.param([("c1", "noise", T0), ("c2", "noise", T0 + DAY),
                      ("c3", "noise", T0 + 2 * DAY)],
                     [False, True, True], id="third-is-also-a-repeat"),
    ],
)
def test_repeat_complaint(complaints, flags):
    history: dict = {}
    got = []
    for ticket_id, category, created_s in complaints:
        flag, history = repeat_complaint(history, ticket_id, category, created_s)
        got.append(flag)
    assert got == flags


def test_repairs_and_complaints_share_one_customer_record_without_clashing():
    record: dict = {"dd": {"ticket": {"n": T0, "ids": {"e1": T0}}}, "newest_s": T0}
    repeat_repair(record, "t1", "a", T0)
    repeat_complaint(record, "t1", "a", T0 + DAY)
    assert repeat_repair(record, "t2", "a", T0 + DAY)[0] is True
    assert set(record) == {"dd", "newest_s", "repairs", "complaints"}


@pytest.mark.parametrize(
    "kwargs", [{"window_s": -1.0}, {"max_entries": 0}]
)
def test_repeat_bounds_are_validated(kwargs):
    with pytest.raises(MetricInputError):
        repeat_repair({}, "t1", "a", T0, **kwargs)
