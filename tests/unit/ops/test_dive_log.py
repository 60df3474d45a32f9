"""Folding the dive log: dives on now, and recent ones, by id in log order."""

from ops.dive_log import describe, fold


def record(event, ident, at_s, started_s=0.0, **extra):
    return {"event": event, "id": ident, "at_s": at_s, "started_s": started_s, "key": "k",
            "kind": "time", **extra}


def test_fold_keeps_the_latest_record_of_each_id():
    log = [record("start", "a", 10), record("end", "a", 20), record("start", "b", 30, 25),
           record("start", "c", 5), record("end", "c", 6)]
    current, recent = fold(log, recent_s=15)
    assert [r["id"] for r in current] == ["b"]
    assert [r["id"] for r in recent] == ["a"]


def test_describe_names_depth_driver_and_measure():
    line = describe(record("start", "a", 3600, 0, depth=14.9, margin=1.2, p_value=1e-9,
                           recent=120, baseline=1600, driver="timeliness", driver_drop=21.0,
                           measure="sla_miss", measure_from=0.1, measure_to=0.85))
    assert "k  time  -14.9 +/- 1.2 points (p=1e-09, n=120 vs 1600)" in line
    assert "driver timeliness -21.0  sla_miss 10% -> 85%" in line
