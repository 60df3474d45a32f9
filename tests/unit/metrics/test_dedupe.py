"""remember(): per-customer, per-source duplicate memory bounded by an event-time window and a
cap."""

import json

import pytest

from metrics.dedupe import remember

WINDOW_S = 100.0
MAX_IDS = 3


def _feed(sightings: list[tuple[str, float]], window_s: float = WINDOW_S,
          max_ids: int = MAX_IDS) -> tuple[dict, list[tuple[bool, int]]]:
    record: dict = {}
    results = [remember(record, event_id, occurred_s, window_s, max_ids)
               for event_id, occurred_s in sightings]
    return record, results


@pytest.mark.parametrize(
    ("sightings", "results", "kept"),
    [
        pytest.param([("a", 0.0)], [(False, 0)], ["a"], id="first-sight"),
        pytest.param([("a", 0.0), ("a", 0.0)], [(False, 0), (True, 0)], ["a"], id="repeat"),
        pytest.param([("a", 0.0), ("a", 50.0)], [(False, 0), (True, 0)], ["a"],
                     id="repeat-with-other-time"),
        pytest.param([("a", 0.0), ("b", 1.0)], [(False, 0), (False, 0)], ["a", "b"],
                     id="two-ids"),
        # cutoff = newest - window_s and ids with seen_s < cutoff go: exactly window_s old stays
        pytest.param([("a", 0.0), ("b", 100.0)], [(False, 0), (False, 0)], ["a", "b"],
                     id="exactly-window-old-is-kept"),
        pytest.param([("a", 0.0), ("b", 100.001)], [(False, 0), (False, 1)], ["b"],
                     id="older-than-window-is-forgotten"),
        pytest.param([("a", 0.0), ("b", 200.0), ("a", 200.0)],
                     [(False, 0), (False, 1), (False, 0)], ["b", "a"],
                     id="forgotten-id-counts-as-new"),
        # the window is measured from the newest id, not from the id being remembered
        pytest.param([("a", 50.0), ("b", 200.0), ("c", 120.0)],
                     [(False, 0), (False, 1), (False, 0)], ["b", "c"],
                     id="late-id-inside-window-of-newest"),
        pytest.param([("b", 200.0), ("late", 50.0)], [(False, 0), (False, 1)], ["b"],
                     id="late-id-outside-window-is-forgotten-at-once"),
        pytest.param([("a", 0.0), ("b", 1.0), ("c", 2.0), ("d", 3.0)],
                     [(False, 0), (False, 0), (False, 0), (False, 1)], ["b", "c", "d"],
                     id="cap-evicts-oldest"),
        # "oldest" is first remembered, not earliest event time
        pytest.param([("b", 10.0), ("a", 5.0), ("c", 11.0), ("d", 12.0)],
                     [(False, 0), (False, 0), (False, 0), (False, 1)], ["a", "c", "d"],
                     id="cap-evicts-first-remembered"),
        pytest.param([("a", 0.0), ("b", 1.0), ("c", 2.0), ("d", 3.0), ("a", 4.0)],
                     [(False, 0), (False, 0), (False, 0), (False, 1), (False, 1)],
                     ["c", "d", "a"], id="capped-id-counts-as-new"),
        pytest.param([("a", 0.0), ("b", 1.0), ("c", 2.0), ("d", 150.0)],
                     [(False, 0), (False, 0), (False, 0), (False, 3)], ["d"],
                     id="window-forgets-several"),
    ],
)
def test_remember(sightings, results, kept):
    record, got = _feed(sightings)

    assert got == results
    assert list(record["dd"][""]["ids"]) == kept


def test_window_and_cap_forget_in_one_call():
    record = {"dd": {"": {"n": 150.0, "ids": {"a": 0.0, "b": 1.0, "c": 150.0}}},
              "newest_s": 150.0}

    assert remember(record, "d", 151.0, WINDOW_S, max_ids=1) == (False, 3)
    assert record["dd"][""]["ids"] == {"d": 151.0}


def _interleaved(calls: list[tuple[str, float]], tickets: list[tuple[str, float]],
                 calls_first: bool) -> list[tuple[bool, int]]:
    """The results of the calls, with all tickets fed before them or after them."""
    record: dict = {}
    if calls_first:
        results = [remember(record, e, s, WINDOW_S, MAX_IDS, "call") for e, s in calls]
        for e, s in tickets:
            remember(record, e, s, WINDOW_S, MAX_IDS, "ticket")
        return results
    for e, s in tickets:
        remember(record, e, s, WINDOW_S, MAX_IDS, "ticket")
    return [remember(record, e, s, WINDOW_S, MAX_IDS, "call") for e, s in calls]


@pytest.mark.parametrize(
    ("calls", "tickets"),
    [
        # A ticket far ahead in event time used to move the shared newest time and forget the
        # call's id before its duplicate came.
        pytest.param([("c", 0.0), ("c", 0.0)], [("t", 500.0)], id="window"),
        # Tickets used to take the shared cap's slots.
        pytest.param([("c", 0.0), ("c", 0.0)], [("t1", 1.0), ("t2", 2.0), ("t3", 3.0)],
                     id="cap"),
    ],
)
def test_each_source_forgets_by_its_own_events(calls, tickets):
    expected = [(False, 0), (True, 0)]
    assert _interleaved(calls, tickets, calls_first=True) == expected
    assert _interleaved(calls, tickets, calls_first=False) == expected


def test_a_version_1_id_map_is_still_consulted_until_it_empties():
    record = {"ids": {"a": 0.0, "b": 90.0}, "newest_s": 90.0}

    assert remember(record, "a", 95.0, WINDOW_S, MAX_IDS, "call") == (True, 0)
    assert remember(record, "c", 150.0, WINDOW_S, MAX_IDS, "call") == (False, 1)
    assert record["ids"] == {"b": 90.0}
    assert remember(record, "d", 191.0, WINDOW_S, MAX_IDS, "call") == (False, 1)
    assert "ids" not in record


def test_duplicate_leaves_the_record_unchanged():
    record, _ = _feed([("a", 0.0), ("b", 10.0)])
    before = json.dumps(record)

    assert remember(record, "a", 500.0, WINDOW_S, MAX_IDS) == (True, 0)
    assert json.dumps(record) == before


def test_newest_never_moves_back():
    record, _ = _feed([("a", 200.0), ("b", 150.0)])

    assert record["newest_s"] == 200.0


def test_record_survives_a_json_round_trip():
    record, _ = _feed([("a", 0.0), ("b", 1.0)])
    restored = json.loads(json.dumps(record))

    assert remember(restored, "a", 2.0, WINDOW_S, MAX_IDS) == (True, 0)
    assert remember(restored, "c", 2.0, WINDOW_S, MAX_IDS) == (False, 0)


def test_other_keys_of_the_record_are_kept():
    record = {"p": 3}

    remember(record, "a", 0.0, WINDOW_S, MAX_IDS)

    assert record == {"p": 3, "dd": {"": {"n": 0.0, "ids": {"a": 0.0}}}, "newest_s": 0.0}
