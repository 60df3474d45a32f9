"""``cxpulse report``: hand-computed figures, a simulated file's totals, CSV/JSON, the CLI."""

import csv
import json
import os
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from offline.report import (
    COLUMNS,
    SEGMENT_VIEW,
    Report,
    all_segments,
    build_report,
    report_rows,
    row_record,
    write_report,
)
from ops.cli import main
from streams.partitioning import partition_for_key
from streams.settings import Settings
from tests import factories
from traffic.simulate import SimulatorConfig, generate
from traffic.simulated import item_bytes

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
SEGMENT = "east|phone|q-general|residential|repair|unknown|all"
SIM_START = datetime(2026, 3, 2, tzinfo=timezone(timedelta(hours=8)))
VIEWS = [*Settings().active_views().values(), SEGMENT_VIEW]
BY_NAME = {view.name: view for view in VIEWS}


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("CXPULSE_"):
            monkeypatch.delenv(name)


def _at(offset_s: float) -> str:
    return (T0 + timedelta(seconds=offset_s)).isoformat()


def _line(event: dict) -> str:
    return json.dumps(event)


def _other_partition_customer(customer: str, partitions: int) -> str:
    """A customer id whose events land on another partition than ``customer``'s."""
    own = partition_for_key(customer.encode(), list(range(partitions)))
    for n in range(100):
        candidate = f"cust-other-{n}"
        if partition_for_key(candidate.encode(), list(range(partitions))) != own:
            return candidate
    raise AssertionError("no customer on another partition")


def _hand_file(partitions: int) -> list[str]:
    """16 lines (one blank skipped) whose every figure is worked out in the tests below."""
    a, b = "cust-a", "cust-b"
    c = _other_partition_customer(a, partitions)
    first = _line(factories.call(customer_id=a, occurred_at=_at(0), wait_s=7.5))  # 2 rings
    return [
        first,
        _line(factories.call(customer_id=a, occurred_at=_at(60), wait_s=25.0)),  # 6 rings
        _line(factories.call(customer_id=a, occurred_at=_at(120), outcome="abandoned",
                             wait_s=3.0, talk_s=None)),  # short abandon
        _line(factories.call(customer_id=a, occurred_at=_at(180), outcome="abandoned",
                             wait_s=12.0, talk_s=None)),  # calls watermark now T0 + 180 s
        first,  # duplicate
        # Older than watermark - 900 s on the same partition: late, changes nothing.
        _line(factories.call(customer_id=a, occurred_at=_at(-1000), wait_s=0.0)),
        # Exactly watermark - 900 s is not late.
        _line(factories.call(customer_id=a, occurred_at=_at(-720), wait_s=0.0)),
        # Older still, but its partition's watermark is 0: accepted.
        _line(factories.call(customer_id=c, occurred_at=_at(-2000), outcome="abandoned",
                             wait_s=30.0, talk_s=None)),
        "",
        _line(factories.ticket(customer_id=a, occurred_at=_at(240), ticket_id="t1")),
        _line(factories.ticket(customer_id=a, occurred_at=_at(300), ticket_id="t2")),
        _line(factories.ticket(customer_id=a, occurred_at=_at(300 + 1800), ticket_id="t2",
                               action="first_response")),  # 30 min: 5 points
        _line(factories.ticket(customer_id=a, occurred_at=_at(240 + 7200), ticket_id="t1",
                               action="first_response")),  # 2 h: 4 points; the clock
        _line(factories.ticket(customer_id=a, occurred_at=_at(7440), ticket_id="t-unknown",
                               action="first_response")),  # orphan
        _line(factories.survey(customer_id=b, occurred_at=_at(600), scores={"attitude": 6})),
        _line(factories.survey(customer_id=b, occurred_at=_at(660),
                               scores={"attitude": 7, "timeliness": 9})),
        "{not json",
    ]


def _rows(report: Report, segment: str, window: str) -> dict[str, object]:
    return {row.metric: row.value for row in report_rows(report, VIEWS)
            if row.segment == segment and row.window == window}


def test_hand_built_file_counts():
    settings = Settings()
    report = build_report(_hand_file(settings.topic_partitions), settings)

    assert report.lines == 16
    assert report.counts == {
        "cx.calls": Counter(accepted=6, duplicate=1, late=1),
        "cx.tickets": Counter(accepted=5),
        "cx.surveys": Counter(accepted=2),
    }
    assert report.not_sent == Counter(bad_json=1)
    assert report.rejected == Counter()
    assert report.anomalies == Counter(orphan=1)
    assert report.clock_s == (T0 + timedelta(seconds=7440)).timestamp()
    assert list(report.segments) == [SEGMENT]


def test_hand_built_file_invalid_line_sent_is_rejected():
    settings = Settings()
    report = build_report(_hand_file(settings.topic_partitions), settings, send_invalid=True)

    assert report.rejected == Counter(bad_json=1)
    assert report.not_sent == Counter()


@pytest.mark.parametrize("segment", ["segment|" + SEGMENT, "all"])
def test_hand_built_file_figures(segment):
    settings = Settings()
    report = build_report(_hand_file(settings.topic_partitions), settings)
    day = _rows(report, segment, "24h")

    # 6 offered, 1 short abandon; within 4 rings: the 7.5 s and the 0 s answers.
    assert day["calls/offered"] == 6
    assert day["calls.service_level"] == 2 / 5
    assert day["calls.abandonment_rate"] == 2 / 5
    # The answered calls of cust-a are all followed by its repair tickets within 7 days.
    assert (day["fcr/contacts"], day["fcr/failed"], day["fcr.rate"]) == (3, 3, 0.0)
    assert day["tickets.repair.mean_first_response_points"] == (5 + 4) / 2
    assert day["surveys.after_sales_10.attitude.index"] == 65.0
    assert day["surveys.after_sales_10.attitude.gap_to_target"] == 3  # 16 - 13 points
    assert day["surveys.after_sales_10.timeliness.gap_to_target"] == 0
    assert day["surveys.after_sales_10.overall_index"] == (65 + 90) / 2


def test_hand_built_file_windows_end_at_the_clock():
    settings = Settings()
    report = build_report(_hand_file(settings.topic_partitions), settings)
    hour = _rows(report, "segment|" + SEGMENT, "1h")
    backlog = _rows(report, "segment|" + SEGMENT, "backlog")

    # The clock is 11:34:00, so the hour is [10:35, 11:35): only t1's first response.
    assert "calls/offered" not in hour
    assert hour["tickets/repair/first_responses"] == 1
    assert hour["tickets.repair.mean_first_response_points"] == 4.0
    assert backlog["backlog.repair.open"] == 2
    assert backlog["backlog.repair.mean_age_s"] == 7440 - (240 + 300) / 2


@pytest.fixture(scope="module")
def simulated() -> list[bytes]:
    config = SimulatorConfig(seed=3, rate_per_s=2.0, invalid_share=0.02, duplicate_share=0.02,
                             late_share=0.02)
    return [item_bytes(item) for item in generate(config, None, SIM_START, count=3000)]


@pytest.mark.parametrize("send_invalid", [True, False])
def test_simulated_file_every_line_is_accounted_for(simulated, send_invalid):
    report = build_report(simulated, Settings(), send_invalid=send_invalid)
    outcomes = sum((counts for counts in report.counts.values()), Counter())
    invalid = report.rejected if send_invalid else report.not_sent

    assert outcomes["duplicate"] > 0 and outcomes["late"] > 0 and invalid
    assert (outcomes["accepted"] + outcomes["duplicate"] + outcomes["late"]
            + sum(report.rejected.values()) + sum(report.not_sent.values())) == len(simulated)
    assert report.lines == len(simulated)


def test_simulated_file_offered_calls_are_the_accepted_calls(simulated):
    config = SimulatorConfig(seed=3, rate_per_s=2.0, invalid_share=0.02, duplicate_share=0.02,
                             late_share=0.02)
    items = list(generate(config, None, SIM_START, count=3000))
    report = build_report(simulated, Settings(), send_invalid=True)
    month = all_segments(report).totals["30d"]

    assert month["calls/offered"] == report.counts["cx.calls"]["accepted"] > 0
    assert sum(s.totals["30d"]["calls/offered"] for s in report.segments.values()
               if "calls/offered" in s.totals["30d"]) == month["calls/offered"]
    # The simulator knows which items are faults: the workers' verdicts must agree.
    assert report.rejected == Counter(item.defect for item in items if not item.valid)
    duplicates = Counter(item.kind for item in items if item.duplicate)
    assert {kind: report.counts[f"cx.{kind}s"]["duplicate"] for kind in duplicates} \
        == duplicates


def test_how_often_windows_move_while_reading_changes_no_row(monkeypatch):
    # About 40 h of event time: buckets leave the 1 h and 24 h windows and are pruned.
    config = SimulatorConfig(seed=5, rate_per_s=0.02, late_share=0.02)
    lines = [item_bytes(item) for item in generate(config, None, SIM_START, count=3000)]
    monkeypatch.setattr("offline.report.DRAIN_EVERY", 10**9)
    monkeypatch.setattr("offline.report.ADVANCE_EVERY_S", float("inf"))
    once = build_report(lines, Settings())
    monkeypatch.setattr("offline.report.DRAIN_EVERY", 50)
    monkeypatch.setattr("offline.report.ADVANCE_EVERY_S", 600.0)
    often = build_report(lines, Settings())

    assert once.clock_s - SIM_START.timestamp() > 30 * 3600
    assert list(report_rows(often, VIEWS)) == list(report_rows(once, VIEWS))


def test_csv_and_json_carry_the_same_numbers(simulated, tmp_path: Path):
    report = build_report(simulated[:800], Settings())
    write_report(report, "csv", tmp_path / "r.csv", VIEWS)
    write_report(report, "json", tmp_path / "r.json", VIEWS)
    expected = [row_record(row, BY_NAME) for row in report_rows(report, VIEWS)]

    with (tmp_path / "r.csv").open(newline="") as handle:
        from_csv = list(csv.DictReader(handle))
    from_json = json.loads((tmp_path / "r.json").read_text())

    assert list(from_csv[0]) == list(COLUMNS)
    assert len(from_csv) == len(from_json["rows"]) == len(expected) > 100
    assert from_json["summary"]["lines"] == 800
    for want, got_csv, got_json in zip(expected, from_csv, from_json["rows"], strict=True):
        assert got_json == want
        assert {k: v for k, v in got_csv.items() if k != "value"} \
            == {k: str(v) for k, v in want.items() if k != "value"}
        value = None if got_csv["value"] == "" else float(got_csv["value"])
        assert value == want["value"]
    stars = [row for row in from_csv if row["metric"] == "calls/offered"
             and row["window"] == "30d" and row["view"] == "all"]
    assert len(stars) == 1 and all(stars[0][name] == "*" for name in COLUMNS[3:10])
    regions = [row for row in from_csv if row["metric"] == "calls/offered"
               and row["window"] == "30d" and row["view"] == "region"]
    assert regions and all(row["region"] != "*" and row["queue"] == "*" for row in regions)


def test_cli_writes_the_requested_format(simulated, tmp_path: Path):
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(simulated[:300]) + b"\n")

    code = main(["report", str(events), "--format", "json", "--out", str(tmp_path / "o.json")])

    assert code == 0
    assert json.loads((tmp_path / "o.json").read_text())["summary"]["lines"] == 300


def test_cli_prints_the_table_summary(simulated, tmp_path: Path, capsys):
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(simulated[:300]) + b"\n")

    assert main(["report", str(events)]) == 0
    assert "calls.service_level" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["missing.jsonl", "."], ids=["missing", "directory"])
def test_cli_rejects_a_bad_path_with_exit_code_2(tmp_path: Path, name: str, capsys):
    assert main(["report", str(tmp_path / name)]) == 2
    assert "is not a file" in " ".join(capsys.readouterr().err.split())  # rich wraps lines


@pytest.mark.parametrize("view", [view for view in VIEWS if view.name != "all"],
                         ids=lambda view: view.name)
def test_view_rows_are_the_sums_of_their_segments(simulated, view):
    report = build_report(simulated[:1500], Settings())
    by_key: dict[str, float] = {}
    for segment, windows in report.segments.items():
        for component, value in windows.totals["24h"].items():
            if view.serves(component):
                key = view.key_of(segment)
                by_key[f"{key}/{component}"] = by_key.get(f"{key}/{component}", 0) + value

    rows = {f"{row.segment}/{row.metric}": row.value for row in report_rows(report, [view])
            if row.kind == "component" and row.window == "24h"}

    assert rows.keys() == by_key.keys() and len(rows) > 10
    for name, value in by_key.items():
        assert rows[name] == pytest.approx(value)


def test_cli_view_option_keeps_the_named_views(simulated, tmp_path: Path):
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(simulated[:300]) + b"\n")
    out = tmp_path / "o.csv"

    assert main(["report", str(events), "--format", "csv", "--out", str(out),
                 "--view", "region", "--view", "segment"]) == 0

    with out.open(newline="") as handle:
        views = {row["view"] for row in csv.DictReader(handle)}
    assert views == {"region", "segment"}


def test_cli_rejects_an_unknown_view(simulated, tmp_path: Path, capsys):
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"\n".join(simulated[:30]) + b"\n")

    assert main(["report", str(events), "--view", "regoin"]) == 2
    assert "unknown view regoin" in " ".join(capsys.readouterr().err.split())
