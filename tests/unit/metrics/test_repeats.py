"""Repeat repairs, repeat complaints and first-contact resolution over per-customer histories."""

import json

import pytest

from metrics.errors import MetricInputError
from metrics.repeats import (
    FcrOutcome,
    FcrUpdate,
    fcr_call_answered,
    fcr_settle,
    fcr_ticket_created,
    fcr_ticket_reopened,
    fcr_ticket_resolved,
    repeat_complaint,
    repeat_repair,
)

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
    record: dict = {"ids": {"e1": T0}, "newest_s": T0}
    repeat_repair(record, "t1", "a", T0)
    repeat_complaint(record, "t1", "a", T0 + DAY)
    assert repeat_repair(record, "t2", "a", T0 + DAY)[0] is True
    assert set(record) == {"ids", "newest_s", "repairs", "complaints"}


@pytest.mark.parametrize(
    "kwargs", [{"window_s": -1.0}, {"max_entries": 0}]
)
def test_repeat_bounds_are_validated(kwargs):
    with pytest.raises(MetricInputError):
        repeat_repair({}, "t1", "a", T0, **kwargs)


# First-contact resolution: a script of steps against one customer's history, and the keys
# of the contacts each step judges as (failed, passed).
def _run(steps: list[tuple], **kwargs) -> list[tuple[list[str], list[str]]]:
    history: dict = {}
    judged = []
    for step, *args in steps:
        if step == "call":
            update, history = fcr_call_answered(history, args[0], args[1], **kwargs)
        elif step == "created":
            update, history = fcr_ticket_created(history, args[0], args[1], args[2], **kwargs)
        elif step == "resolved":
            update, history = fcr_ticket_resolved(history, args[0], args[1])
        elif step == "reopened":
            update, history = fcr_ticket_reopened(history, args[0], args[1], **kwargs)
        else:
            update, history = fcr_settle(history, args[0], **kwargs)
        history = json.loads(json.dumps(history))
        judged.append(([o.key for o in update.failed], [o.key for o in update.passed]))
    return judged


NOTHING = ([], [])


@pytest.mark.parametrize(
    ("steps", "judged"),
    [
        pytest.param([("call", "c1", T0), ("settle", T0 + 7 * DAY + 1)],
                     [NOTHING, ([], ["call:c1"])], id="call-with-no-follow-up-passes"),
        pytest.param([("call", "c1", T0), ("settle", T0 + 7 * DAY)],
                     [NOTHING, NOTHING], id="not-settled-at-exactly-7-days"),
        pytest.param([("call", "c1", T0), ("created", "t1", "repair", T0 + 7 * DAY)],
                     [NOTHING, (["call:c1"], [])], id="ticket-at-exactly-7-days-fails-call"),
        pytest.param([("call", "c1", T0), ("created", "t1", "repair", T0 + 7 * DAY + 1),
                      ("settle", T0 + 7 * DAY + 1)],
                     [NOTHING, NOTHING, ([], ["call:c1"])], id="ticket-after-7-days-does-not"),
        pytest.param([("call", "c1", T0), ("created", "t1", "complaint", T0)],
                     [NOTHING, (["call:c1"], [])], id="ticket-opened-on-the-call-fails-it"),
        pytest.param([("call", "c1", T0), ("created", "t1", "suggestion", T0 + DAY)],
                     [NOTHING, NOTHING], id="suggestion-is-not-a-further-contact"),
        pytest.param([("created", "t1", "inquiry", T0 + DAY), ("call", "c1", T0)],
                     [NOTHING, (["call:c1"], [])], id="ticket-topic-ahead-of-call-topic"),
        pytest.param([("created", "t1", "inquiry", T0 - 1), ("call", "c1", T0)],
                     [NOTHING, NOTHING], id="ticket-before-the-call-is-not-a-follow-up"),
        pytest.param([("call", "c1", T0), ("call", "c2", T0 + DAY),
                      ("created", "t1", "repair", T0 + 2 * DAY)],
                     [NOTHING, NOTHING, (["call:c1", "call:c2"], [])],
                     id="one-ticket-fails-every-call-in-window"),
        pytest.param([("call", "c1", T0), ("call", "c2", T0 + DAY)],
                     [NOTHING, NOTHING], id="call-after-call-is-not-same-issue"),
        pytest.param([("resolved", "t1", T0), ("reopened", "t1", T0 + 7 * DAY)],
                     [NOTHING, (["ticket:t1"], [])], id="reopen-at-exactly-7-days-fails"),
        pytest.param([("resolved", "t1", T0), ("reopened", "t1", T0 + 7 * DAY + 1)],
                     [NOTHING, ([], ["ticket:t1"])], id="reopen-after-7-days-passes"),
        pytest.param([("resolved", "t1", T0), ("reopened", "t2", T0 + DAY),
                      ("settle", T0 + 8 * DAY)],
                     [NOTHING, NOTHING, ([], ["ticket:t1"])], id="other-ticket-reopen-ignored"),
        pytest.param([("resolved", "t1", T0), ("created", "t2", "repair", T0 + DAY),
                      ("settle", T0 + 8 * DAY)],
                     [NOTHING, NOTHING, ([], ["ticket:t1"])],
                     id="new-ticket-is-not-same-issue-as-resolved-ticket"),
        pytest.param([("resolved", "t1", T0), ("resolved", "t1", T0 + DAY),
                      ("settle", T0 + 7 * DAY + 1)],
                     [NOTHING, NOTHING, ([], ["ticket:t1"])], id="resolved-twice-judged-once"),
        pytest.param([("reopened", "t1", T0)], [NOTHING], id="reopen-of-unknown-ticket"),
    ],
)
def test_first_contact_resolution(steps, judged):
    assert _run(steps) == judged


def test_fcr_custom_window_and_grace():
    steps = [("call", "c1", T0), ("settle", T0 + DAY + 1)]
    assert _run(steps, window_s=DAY) == [NOTHING, ([], ["call:c1"])]
    history: dict = {}
    _, history = fcr_call_answered(history, "c1", T0)
    assert fcr_settle(history, T0 + 7 * DAY + 60, grace_s=60)[0] == FcrUpdate()
    assert [o.key for o in fcr_settle(history, T0 + 7 * DAY + 61, grace_s=60)[0].passed] == [
        "call:c1"
    ]


def test_fcr_outcomes_carry_open_time_and_tag():
    history: dict = {}
    _, history = fcr_call_answered(history, "c1", T0, tag=["east", "phone"])
    update, _ = fcr_ticket_created(history, "t1", "repair", T0 + 5)
    assert update == FcrUpdate(failed=(FcrOutcome("call:c1", T0, ["east", "phone"]),))


def test_fcr_pending_cap_drops_the_oldest_visibly():
    history: dict = {}
    dropped = []
    for i in range(4):
        update, history = fcr_call_answered(history, f"c{i}", T0 + i, max_entries=3)
        dropped += [o.key for o in update.dropped]
    assert dropped == ["call:c0"]
    assert sorted(history["fcr"]["pending"]) == ["call:c1", "call:c2", "call:c3"]


def test_fcr_remembers_creations_only_within_the_window():
    history: dict = {}
    for i, created_s in enumerate((T0, T0 + 8 * DAY)):
        _, history = fcr_ticket_created(history, f"t{i}", "repair", created_s)
    assert history["fcr"]["created"] == [["t1", T0 + 8 * DAY]]


def test_fcr_settle_rejects_negative_grace():
    with pytest.raises(MetricInputError):
        fcr_settle({}, T0, grace_s=-1.0)
