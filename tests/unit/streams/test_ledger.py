"""Stage-1 ledger: partials per stage-2 target, flush cuts in ``meta``, replay after a crash by
customer-record positions and recovered cuts, the restored lateness watermark, the message
budget, the TTL sweep, the decoded-record cache and the upgrade from chunk records."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from metrics.contributions import SEGMENT_FIELDS, AgentCap, CatalogueRules, Contributions, apply_event
from metrics.events import CallEvent, TicketEvent
from metrics.views import Projector, View
from streams import ledger as ledger_module
from streams import state as state_module
from streams.ledger import Ledger, Snapshot
from streams.state import customer_key, decode_customer, decode_meta, meta_key
from tests import factories

TOPIC = "cx.calls"
PARTITION = 3
SOURCE = f"{TOPIC}:{PARTITION}"
RULES = CatalogueRules()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a whole minute
M0 = int(T0.timestamp())
PHONE = "east|phone|q-general|residential|repair|unknown|all"
WEB = "east|web|q-desk|residential|repair|unknown|all"


def call(customer: str, seconds: float, **overrides: Any) -> CallEvent:
    moment = (T0 + timedelta(seconds=seconds)).isoformat()
    return CallEvent.model_validate(
        factories.call(customer_id=customer, occurred_at=moment, **overrides))


#: A view of every dimension: its keys are "seg|" + the full segment.
FULL = View("seg", SEGMENT_FIELDS)


TTL_S = 30 * 86_400.0


def ledger(table: dict[bytes, bytes], route: Any = lambda key: 0, targets: int = 2,
           views: tuple[View, ...] = (FULL,), cache: int = 10_000) -> Ledger:
    return Ledger(PARTITION, table, RULES, AgentCap(False, 200), TTL_S,
                  route, Projector(views), targets, cache)


def feed(book: Ledger, events: list[tuple[int, CallEvent]]) -> list[Any]:
    """Apply and track each (offset, event) as stage 1 does; the apply results."""
    results = []
    for offset, event in events:
        results.append(book.apply(TOPIC, offset, event))
        book.track(TOPIC, offset, object())
    return results


def expected_buckets(events: list[CallEvent]) -> dict[str, dict[str, dict[str, Any]]]:
    """{"seg|" + segment: {minute (JSON string): bucket}} of ``events`` applied to fresh
    records."""
    out = Contributions()
    records: dict[str, dict[str, Any]] = {}
    for event in events:
        apply_event(RULES, event, records.setdefault(event.customer_id, {}), float("-inf"),
                    AgentCap(False, 200), out)
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for (segment, minute), bucket in out.buckets.items():
        result.setdefault(FULL.key_of(segment), {})[str(minute)] = bucket
    return result


def decoded(snap: Snapshot) -> list[tuple[int, dict[str, Any]]]:
    return [(target, json.loads(message)) for target, message in snap.partials]


def write(table: dict[bytes, bytes], snap: Snapshot, meta: bytes,
          customers: set[str] | None = None) -> None:
    """Put the outbox, ``meta`` and the chosen customer records into the table as the stream
    would."""
    for key, value in snap.outbox:
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    table[meta_key(PARTITION)] = meta
    keys = None if customers is None else {customer_key(PARTITION, c) for c in customers}
    for key, value in snap.records:
        if keys is None or key in keys:
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value


FIRST_RUN = [(10, "d", 0.0), (11, "b", 5.0), (12, "e", 70.0), (13, "a", 75.0)]


def first_run_events() -> list[tuple[int, CallEvent]]:
    return [(offset, call(customer, seconds)) for offset, customer, seconds in FIRST_RUN]


# -- (a) snapshot --------------------------------------------------------------------------
def test_snapshot_sends_one_message_per_target_with_tick_and_offset_range():
    events = first_run_events()
    book = ledger({})
    feed(book, events)

    snap = book.snapshot()

    assert snap is not None
    clock = events[-1][1].occurred_at.timestamp()
    assert snap.clock == clock
    assert decoded(snap) == [
        (0, {"tick": clock, "parts": [{"s": SOURCE, "lo": 9, "hi": 13,
                                       "keys": expected_buckets([e for _, e in events])}]}),
        (1, {"tick": clock, "parts": []}),
    ]


def test_snapshot_routes_each_segment_to_its_target():
    phone, web = call("d", 0.0), call("b", 1.0, channel="web", queue="q-desk")
    book = ledger({}, route=lambda segment: 1 if "|web|" in segment else 0)
    feed(book, [(0, phone), (1, web)])

    messages = dict(decoded(book.snapshot()))

    assert messages[0]["parts"] == [{"s": SOURCE, "lo": -1, "hi": 1,
                                     "keys": expected_buckets([phone])}]
    assert messages[1]["parts"] == [{"s": SOURCE, "lo": -1, "hi": 1,
                                     "keys": expected_buckets([web])}]
    assert set(expected_buckets([phone])) == {"seg|" + PHONE}
    assert set(expected_buckets([web])) == {"seg|" + WEB}


def test_snapshot_sums_segments_into_view_keys_and_routes_each_key():
    phone, web = call("d", 0.0), call("b", 1.0, channel="web", queue="q-desk")
    views = (View("all"), View("channel", ("channel",)),
             View("journey", ("business_line", "journey_stage"), frozenset({"surveys"})))
    book = ledger({}, route=lambda key: 1 if key == "channel|web" else 0, views=views)
    feed(book, [(0, phone), (1, web)])

    messages = dict(decoded(book.snapshot()))

    both, only_phone, only_web = (expected_buckets(events) for events in
                                  ([phone, web], [phone], [web]))
    minute = str(M0)
    summed = {k: only_phone["seg|" + PHONE][minute].get(k, 0)
              + only_web["seg|" + WEB][minute].get(k, 0)
              for k in {*only_phone["seg|" + PHONE][minute], *only_web["seg|" + WEB][minute]}}
    assert len(both) == 2 and summed["calls/offered"] == 2
    [to_zero] = messages[0]["parts"]
    [to_one] = messages[1]["parts"]
    # "journey" serves surveys only: a call gives it no key at all.
    assert to_zero["keys"] == {"all": {minute: summed},
                               "channel|phone": only_phone["seg|" + PHONE]}
    assert to_one["keys"] == {"channel|web": only_web["seg|" + WEB]}


def test_snapshot_meta_marks_the_cut_not_sent_and_sent_marks_it_sent():
    events = first_run_events()
    book = ledger({})
    feed(book, events)
    wm = events[-1][1].occurred_at.timestamp()

    snap = book.snapshot()

    assert decode_meta(snap.meta) == {TOPIC: [[13, wm, False]]}
    assert decode_meta(snap.sent) == {TOPIC: [[13, wm, True]]}


def test_snapshot_writes_one_record_per_customer_with_the_positions():
    book = ledger({})
    feed(book, first_run_events())

    snap = book.snapshot()

    assert [key for key, _ in snap.records] == [customer_key(PARTITION, c) for c in "abde"]
    for key, value in snap.records:
        state = decode_customer(value)
        assert state.a == {TOPIC: 13}
        assert state.c == book.loaded[key.decode().rsplit("/", 1)[1]].c
        assert state.c["newest_s"] > 0


def test_second_snapshot_starts_where_the_first_cut():
    book = ledger({})
    feed(book, first_run_events())
    book.snapshot()
    later = call("d", 200.0)
    feed(book, [(14, later)])

    snap = book.snapshot()

    assert decoded(snap)[0][1]["parts"] == [{"s": SOURCE, "lo": 13, "hi": 14,
                                             "keys": expected_buckets([later])}]
    assert [bound[0] for bound in decode_meta(snap.meta)[TOPIC]] == [13, 14]
    assert [key for key, _ in snap.records] == [customer_key(PARTITION, "d")]


def test_snapshot_without_events_is_refused():
    assert ledger({}).snapshot() is None


# -- (b) replay with the cut not sent --------------------------------------------------------
def crashed_table(meta: str, written: set[str] | None) -> tuple[dict, list]:
    """A table as a first run left it (``written``: the customers whose records made it,
    None for all) and the first run's events."""
    table: dict[bytes, bytes] = {}
    events = first_run_events()
    first = ledger(table)
    feed(first, events)
    snap = first.snapshot()
    write(table, snap, snap.meta if meta == "meta" else snap.sent, written)
    return table, events


def test_replay_skips_events_whose_record_holds_them():
    table, events = crashed_table("meta", written={"d", "b"})
    book = ledger(table)

    results = feed(book, events)

    assert [result is None for result in results] == [True, True, False, False]
    assert book.pending.outcomes == {(TOPIC, "replayed"): 2, (TOPIC, "accepted"): 2}


@pytest.mark.parametrize("written", [set(), {"d", "b"}, None])
def test_replay_with_cut_not_sent_resends_the_lost_partials_exactly(written):
    """The lost flush's partials may have been partly delivered: the outbox sends them again
    byte for byte (stage 2 ignores what it has by range); the replay of the cut only rebuilds
    state, since regenerated components could land in another topic's range."""
    table, events = crashed_table("meta", written=written)
    lost = ledger({})
    feed(lost, events)
    book = ledger(table)

    feed(book, events[:3])

    assert book.replaying()
    assert book.snapshot() is None
    assert book.slots == {}

    feed(book, events[3:])

    assert not book.replaying()
    snap = book.snapshot()
    everything = [event for (_, event) in events]
    assert decoded(snap)[0][1]["parts"] == [{"s": SOURCE, "lo": 9, "hi": 13,
                                             "keys": expected_buckets(everything)}]
    resent = decoded(lost.snapshot())
    assert decoded(snap)[:len(resent)] == resent                  # byte for byte, first
    assert [message["parts"] for _, message in decoded(snap)[len(resent):]] == [[], []]
    assert all(cut[2] for cut in decode_meta(snap.sent)[TOPIC])


def test_replay_past_the_cut_opens_a_new_slot_after_it():
    table, events = crashed_table("meta", written=set())
    book = ledger(table)
    later = call("d", 200.0)

    feed(book, [*events, (14, later)])

    assert not book.replaying()
    assert list(book.slots) == [(TOPIC, 13, None)]    # the lost cut only rebuilds state
    parts = [part for target, message in decoded(book.snapshot()) if target == 0
             for part in message["parts"]]
    assert sorted((part["lo"], part["hi"]) for part in parts) == [(9, 13), (13, 14)]
    assert [part["keys"] for part in parts if part["lo"] == 13] == [expected_buckets([later])]


def test_replay_from_a_committed_offset_resumes_after_earlier_cuts():
    table, events = crashed_table("sent", written=None)
    book = ledger(table)
    later = call("d", 200.0)

    feed(book, [(14, later)])

    assert not book.replaying()
    parts = decoded(book.snapshot())[0][1]["parts"]
    assert parts == [{"s": SOURCE, "lo": 13, "hi": 14, "keys": expected_buckets([later])}]


# -- (c) replay with the cut sent -------------------------------------------------------------
def test_replay_of_a_sent_cut_rebuilds_state_without_partials():
    table, events = crashed_table("sent", written=set())
    book = ledger(table)

    results = feed(book, events)

    assert [result.outcome.value for result in results] == ["accepted"] * 4
    assert book.slots == {}
    snap = book.snapshot()
    assert [message["parts"] for _, message in decoded(snap)] == [[], []]
    assert {decode_customer(value).a[TOPIC] for _, value in snap.records} == {13}


def test_replay_of_a_sent_cut_remembers_the_events_for_dedupe():
    table, events = crashed_table("sent", written=set())
    book = ledger(table)
    feed(book, events)
    offset, first = events[0]

    again = book.apply(TOPIC, 14, first)

    assert again.outcome.value == "duplicate"


# -- (d) lateness watermark restored from the cut ------------------------------------------
@pytest.mark.parametrize(("age_s", "outcome"), [
    (RULES.late_grace_s + 1, "late"),
    (RULES.late_grace_s - 1, "accepted"),
])
def test_watermark_is_restored_from_the_cut(age_s, outcome):
    table, events = crashed_table("sent", written=None)
    wm = events[-1][1].occurred_at.timestamp()
    book = ledger(table)
    old = call("d", wm - M0 - age_s)

    result = book.apply(TOPIC, 14, old)

    assert result.outcome.value == outcome


def test_a_fresh_partition_has_no_watermark():
    book = ledger({})
    assert book.apply(TOPIC, 0, call("d", -10 * RULES.late_grace_s)).outcome.value == "accepted"


# -- (e) message budget ---------------------------------------------------------------------
def big_parts(segments: int, minutes: int) -> list[dict[str, Any]]:
    return [
        {"s": f"{TOPIC}:{p}", "lo": 10 * p, "hi": 10 * p + 9,
         "keys": {f"seg-{p}-{s}": {str(M0 + 60 * m): {"calls/offered": m + 1, "calls/answered": s}
                                   for m in range(minutes)}
                  for s in range(segments)}}
        for p in range(3)
    ]


def reassemble(messages: list[bytes]) -> dict[tuple[str, int, int, str], Any]:
    seen: dict[tuple[str, int, int, str], Any] = {}
    for message in messages:
        for part in json.loads(message)["parts"]:
            for segment, buckets in part["keys"].items():
                key = (part["s"], part["lo"], part["hi"], segment)
                assert key not in seen, f"{key} sent twice"
                seen[key] = buckets
    return seen


@pytest.mark.parametrize("budget", [1, 300, 1_000, 2_000, 10**9])
def test_messages_split_without_losing_or_duplicating_a_segment(monkeypatch, budget):
    monkeypatch.setattr(state_module, "MESSAGE_BUDGET", budget)
    parts = big_parts(segments=5, minutes=4)

    messages = list(state_module.encode_partials(1234.5, parts))

    assert all(json.loads(message)["tick"] == 1234.5 for message in messages)
    assert all(json.loads(message)["parts"] for message in messages)
    expected = {(part["s"], part["lo"], part["hi"], segment): buckets
                for part in parts for segment, buckets in part["keys"].items()}
    assert reassemble(messages) == expected
    if budget < 10**9:
        assert len(messages) > 1
    else:
        assert len(messages) == 1


def test_messages_with_nothing_to_send_still_tick():
    assert [json.loads(m) for m in state_module.encode_partials(7.0, [])] == [
        {"tick": 7.0, "parts": []}]


def test_snapshot_splits_a_big_partial(monkeypatch):
    monkeypatch.setattr(state_module, "MESSAGE_BUDGET", 200)
    events = [(offset, call("d", 60.0 * offset, region=f"r{offset}")) for offset in range(6)]
    book = ledger({})
    feed(book, events)

    snap = book.snapshot()

    to_zero = [message for target, message in snap.partials if target == 0]
    assert len(to_zero) > 1
    assert all(json.loads(m)["tick"] == snap.clock for _, m in snap.partials)
    merged = {segment: buckets for (_, _, _, segment), buckets in reassemble(to_zero).items()}
    assert merged == expected_buckets([event for _, event in events])
    assert {(s, lo, hi) for s, lo, hi, _ in reassemble(to_zero)} == {(SOURCE, -1, 5)}


# -- (f) cost follows what changed; TTL sweep; decoded-record cache; upgrade --------------------
def test_a_flush_writes_only_the_customers_it_touched_however_many_there_are():
    table: dict[bytes, bytes] = {}
    book = ledger(table)
    feed(book, [(offset, call(f"c{offset}", float(offset))) for offset in range(500)])
    write(table, book.snapshot(), b"")

    feed(book, [(500, call("c7", 600.0)), (501, call("c9", 601.0))])
    snap = book.snapshot()

    assert [key for key, _ in snap.records] == [customer_key(PARTITION, c) for c in ("c7", "c9")]


def test_the_sweep_deletes_customers_idle_past_the_ttl(monkeypatch):
    monkeypatch.setattr(ledger_module, "SWEEP_PER_FLUSH", 2)
    table: dict[bytes, bytes] = {}
    book = ledger(table)
    feed(book, [(0, call("old1", 0.0)), (1, call("old2", 1.0)), (2, call("old3", 2.0))])
    write(table, book.snapshot(), b"")
    fresh = TTL_S + 100.0
    feed(book, [(3, call("new", fresh))])

    first = book.snapshot()   # sweeps two of the four keys it listed
    feed(book, [(4, call("new", fresh + 1))])
    second = book.snapshot()  # the other two

    deleted = [key for snap in (first, second) for key, value in snap.records if value is None]
    assert sorted(deleted) == [customer_key(PARTITION, c) for c in ("old1", "old2", "old3")]
    assert first.pending.evicted + second.pending.evicted == 3
    assert customer_key(PARTITION, "new") in {key for key, value in second.records if value}


def test_decoded_records_are_capped_and_reloaded_from_the_table():
    table: dict[bytes, bytes] = {}
    book = ledger(table, cache=100)
    events = [(offset, call(f"c{offset}", float(offset))) for offset in range(300)]
    feed(book, events)
    write(table, book.snapshot(), b"")     # all 300 were dirty: kept until written
    feed(book, [(300, call("c299", 400.0))])
    write(table, book.snapshot(), b"")     # now the oldest clean ones go

    assert len(book.loaded) == 101 and "c0" not in book.loaded and "c299" in book.loaded
    again = book.apply(TOPIC, 301, events[0][1])   # c0 is read back: it knows the event

    assert again is not None and again.outcome.value == "duplicate"


def test_chunk_records_of_the_first_layout_become_customer_records():
    table: dict[bytes, bytes] = {}
    first = ledger(table)
    feed(first, first_run_events())
    records = {key.decode().rsplit("/", 1)[1]: decode_customer(value).c
               for key, value in first.snapshot().records}
    old_key = f"{PARTITION}/5".encode()
    table = {old_key: json.dumps({"a": {TOPIC: 13}, "c": records, "o": []}).encode(),
             meta_key(PARTITION): json.dumps({"bounds": {TOPIC: [[13, 75.0, True]]}}).encode()}

    book = ledger(table)
    replayed = book.apply(TOPIC, 12, call("e", 70.0))
    feed(book, [(14, call("d", 300.0))])
    snap = book.snapshot()

    assert replayed is None
    assert (old_key, None) in snap.records
    written = {key: decode_customer(value) for key, value in snap.records if value}
    assert set(written) == {customer_key(PARTITION, c) for c in "abde"}
    assert written[customer_key(PARTITION, "a")].c == records["a"]


def test_an_open_slot_is_cut_before_it_spans_more_than_its_minutes(monkeypatch):
    """A replay of history can pack hours into one flush: partials are cut at message
    boundaries every MINUTES_PER_PARTIAL minutes, and meta records those cuts."""
    monkeypatch.setattr(ledger_module, "MINUTES_PER_PARTIAL", 2)
    events = [(offset, call("d", 60.0 * offset + 1)) for offset in range(5)]
    book = ledger({})
    feed(book, events)

    snap = book.snapshot()

    parts = decoded(snap)[0][1]["parts"]
    assert [(part["lo"], part["hi"]) for part in parts] == [(-1, 1), (1, 3), (3, 4)]
    assert all(len(buckets) <= 2 for part in parts for buckets in part["keys"].values())
    merged = {}
    for part in parts:
        for key, buckets in part["keys"].items():
            merged.setdefault(key, {}).update(buckets)
    assert merged == expected_buckets([event for _, event in events])
    assert [cut[0] for cut in decode_meta(snap.meta)[TOPIC]] == [1, 3, 4]
    assert all(cut[2] for cut in decode_meta(snap.sent)[TOPIC])
    assert not any(cut[2] for cut in decode_meta(snap.meta)[TOPIC])


def test_a_cut_never_splits_a_message(monkeypatch):
    """An envelope's events share one offset: a replay puts them all on one side of a cut,
    so the first run must too, or the same event would reach stage 2 under two ranges."""
    monkeypatch.setattr(ledger_module, "MINUTES_PER_PARTIAL", 2)
    messages = {0: [0, 1, 2], 1: [2, 3], 2: [4]}   # offset: event minutes
    book = ledger({})
    for offset, minutes in messages.items():
        for minute in minutes:
            book.apply(TOPIC, offset, call(f"c{offset}{minute}", 60.0 * minute + 1))
        book.track(TOPIC, offset, object())

    parts = decoded(book.snapshot())[0][1]["parts"]

    assert [(part["lo"], part["hi"]) for part in parts] == [(-1, 1), (1, 2)]
    first_minutes = {int(m) for buckets in parts[0]["keys"].values() for m in buckets}
    assert first_minutes == {M0 + 60 * minute for minute in (0, 1, 2, 3)}


def test_a_replay_cuts_where_the_lost_flush_cut_inside_itself(monkeypatch):
    monkeypatch.setattr(ledger_module, "MINUTES_PER_PARTIAL", 2)
    events = [(offset, call(f"c{offset}", 60.0 * offset + 1)) for offset in range(5)]
    table: dict[bytes, bytes] = {}
    first = ledger(table)
    feed(first, events)
    lost = first.snapshot()
    write(table, lost, lost.meta, set())    # cut off after its intent

    book = ledger(table)
    feed(book, events)

    assert decoded(book.snapshot())[:len(lost.partials)] == decoded(lost)


def test_a_cut_inside_a_replay_starts_after_the_recovered_cuts(monkeypatch):
    monkeypatch.setattr(ledger_module, "MINUTES_PER_PARTIAL", 2)
    table, events = crashed_table("meta", written=set())   # recovered cut (9, 13]
    book = ledger(table)
    later = [(offset, call("d", 60.0 * (offset - 10) + 1000)) for offset in range(14, 19)]

    feed(book, [*events, *later])

    ranges = sorted((part["lo"], part["hi"]) for target, message in decoded(book.snapshot())
                    if target == 0 for part in message["parts"])
    assert ranges == [(9, 13), (13, 15), (15, 17), (17, 18)]


# -- a message past a cut not marked sent waits for every topic's rebuild ---------------------
TICKETS = "cx.tickets"


def _failures(snap: Snapshot, skip: int = 0) -> float:
    """fcr/failed over the partials of ``snap`` (after the first ``skip``: a resent outbox)."""
    return sum(bucket.get("fcr/failed", 0) for _, message in decoded(snap)[skip:]
               for part in message["parts"] for minutes in part["keys"].values()
               for bucket in minutes.values())


def _arrive(book: Ledger, topic: str, offset: int, event: Any) -> None:
    """A message reaching stage 1 (streams/ingest.py): held, or applied and tracked."""
    def apply() -> None:
        book.apply(topic, offset, event)
        book.track(topic, offset, object())

    if book.must_hold(topic, offset):
        book.hold(topic, offset, apply)
    else:
        apply()


def test_a_call_past_a_lost_cut_waits_until_the_ticket_in_it_is_rebuilt():
    """The lost run applied the follow-up ticket (in its last cut, never marked sent, no
    customer record written) but not the call it fails, which lies past the cut. Applied
    before the rebuilt ticket, the call would see no ticket, and the failure the rebuilt
    ticket finds is discarded with the cut's components: lost. Held, the call comes after
    the ticket, as it would have in the lost run, and finds the failure itself."""
    answered = call("c", 0.0)
    follow_up = TicketEvent.model_validate(factories.ticket(
        customer_id="c", occurred_at=(T0 + timedelta(seconds=600)).isoformat()))
    table: dict[bytes, bytes] = {}
    lost = ledger(table)
    lost.apply(TOPIC, 0, call("other", 1.0))   # the calls topic has a cut too
    lost.track(TOPIC, 0, object())
    lost.apply(TICKETS, 0, follow_up)
    lost.track(TICKETS, 0, object())
    cut = lost.snapshot()
    write(table, cut, cut.meta, set())
    assert _failures(cut) == 0

    book = ledger(table)
    _arrive(book, TOPIC, 0, call("other", 1.0))   # the calls' part of the cut, rebuilt
    _arrive(book, TOPIC, 1, answered)          # past it, before the ticket: held
    assert book.held and book.read_position(TOPIC) == 1
    assert book.pending.outcomes == {(TOPIC, "accepted"): 1}
    _arrive(book, TICKETS, 0, follow_up)

    assert not book.replaying() and not book.held
    assert book.pending.outcomes == {(TOPIC, "accepted"): 2, (TICKETS, "accepted"): 1}
    snap = book.snapshot()
    assert _failures(snap, skip=len(cut.partials)) == 1


def test_nothing_is_held_after_a_clean_flush_or_once_every_topic_is_through():
    table, events = crashed_table("sent", written=None)
    book = ledger(table)
    assert not book.rebuild and not book.must_hold(TICKETS, 0)

    table, events = crashed_table("meta", written=set())
    book = ledger(table)
    assert book.rebuild == {TOPIC: 13}
    assert book.must_hold(TICKETS, 0)          # a topic with nothing in the cut waits
    assert not book.must_hold(TOPIC, 13)       # the cut itself is rebuilt
    feed(book, events)
    assert not book.must_hold(TICKETS, 0) and not book.rebuild
