"""Deliberate faults: invalid items with known reasons, exact duplicates, late delivery."""

import json
from datetime import UTC, datetime

import pytest

from metrics.events import reasons
from tests.unit.traffic.simulate.helpers import START, body, decode, decode_configured
from traffic.simulate import SimulatorConfig, generate
from traffic.simulate.faults import DEFECTS, corrupt

CASES = [(kind, defect) for kind, defects in DEFECTS.items() for defect in defects]


@pytest.fixture(scope="module")
def valid_examples(day_stream):
    return {kind: next(i.payload for i in day_stream if i.kind == kind)
            for kind in ("call", "ticket", "survey")}


@pytest.mark.parametrize(("kind", "defect"), CASES, ids=[f"{k}-{d}" for k, d in CASES])
def test_each_defect_is_rejected_for_its_reason(valid_examples, kind, defect):
    broken = corrupt(kind, valid_examples[kind], defect)
    raw = broken if isinstance(broken, bytes) else json.dumps(broken).encode()
    decoded = decode_configured(raw, kind, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert decoded.events == []
    assert [r.reason for r in decoded.rejected] == [defect]


def test_defects_cover_the_brief():
    covered = {d for defects in DEFECTS.values() for d in defects}
    assert covered == {reasons.BAD_JSON, reasons.WRONG_TYPE, reasons.SCORE_OUT_OF_RANGE,
                       reasons.NAIVE_TIMESTAMP, reasons.UNKNOWN_VALUE, reasons.UNKNOWN_FIELD,
                       reasons.OUT_OF_RANGE}


def test_corrupt_leaves_the_original_untouched(valid_examples):
    before = json.dumps(valid_examples["survey"])
    for defect in DEFECTS["survey"]:
        corrupt("survey", valid_examples["survey"], defect)
    assert json.dumps(valid_examples["survey"]) == before


def test_unknown_defect_for_a_kind_is_an_error(valid_examples):
    with pytest.raises(KeyError):
        corrupt("call", valid_examples["call"], reasons.SCORE_OUT_OF_RANGE)


@pytest.fixture(scope="module")
def faulty():
    config = SimulatorConfig(rate_per_s=20.0, invalid_share=0.1, duplicate_share=0.05)
    return list(generate(config, None, START, count=12_000))


def test_invalid_items_are_rejected_with_the_expected_reason(faulty):
    invalid = [item for item in faulty if not item.valid]
    assert invalid
    for item in invalid:
        decoded = decode(item)
        assert decoded.events == []
        assert [r.reason for r in decoded.rejected] == [item.defect]
    assert {(i.kind, i.defect) for i in invalid} == set(CASES)


@pytest.mark.parametrize(("flag", "share"), [("invalid", 0.1), ("duplicate", 0.05)])
def test_fault_shares_match_the_config(faulty, flag, share):
    if flag == "invalid":
        measured = sum(not item.valid for item in faulty) / len(faulty)
    else:
        measured = sum(item.duplicate for item in faulty) / len(faulty)
    assert measured == pytest.approx(share, abs=0.012)


def test_duplicates_repeat_an_earlier_item_byte_for_byte(faulty):
    earlier: dict[str, bytes] = {}
    duplicates = 0
    for item in faulty:
        if not item.valid:
            continue
        event_id = item.payload["event_id"]
        if item.duplicate:
            duplicates += 1
            assert earlier[event_id] == body(item)
            assert item.key == item.payload["customer_id"]
        else:
            assert event_id not in earlier
            earlier[event_id] = body(item)
    assert duplicates > 100


def test_valid_items_pass_and_faults_do_not_change_the_real_stream(faulty, simulate):
    real = [item for item in faulty if item.valid and not item.duplicate]
    assert all(not decode(item).rejected for item in real)
    clean = simulate(rate_per_s=20.0, count=len(real))
    assert [body(i) for i in real] == [body(i) for i in clean]


def test_invalid_copies_come_just_before_their_real_item(faulty):
    """Faults drawn for one real item all precede it, so the next real item is the source."""
    for index, item in enumerate(faulty):
        if not item.valid:
            source = next(i for i in faulty[index:] if i.valid and not i.duplicate)
            assert (item.key, item.kind, item.occurred_at, item.emitted_at) == (
                source.key, source.kind, source.occurred_at, source.emitted_at)


def test_late_items_arrive_late_by_s_after_they_happened(simulate):
    items = simulate(rate_per_s=5.0, duration_s=1.5 * 3600, late_share=0.1, late_by_s=900.0)
    lag_s = [(i.emitted_at - i.occurred_at).total_seconds() for i in items]
    late = sum(lag >= 900 for lag in lag_s)
    # Items held back in the last 15 minutes never reach the end of the run.
    assert 0.07 < late / len(items) < 0.11
    assert all(not decode(i).rejected for i in items)
    emitted = [item.emitted_at for item in items]
    assert emitted == sorted(emitted)


def test_no_late_items_by_default(day_stream):
    lags = [(i.emitted_at - i.occurred_at).total_seconds() for i in day_stream]
    assert max(lags) <= 2 * 3600
