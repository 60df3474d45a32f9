"""Every board builds, survives the SDK's round trip, matches the committed JSON, and keeps
its promises: fixed uids, samples beside ratios, colours from the alert spec."""

import json
from pathlib import Path

import pytest
import yaml

from alerts.rules import selections, tier_rules
from alerts.slis import RATIO_SLIS
from dashboards.boards import BOARDS
from dashboards.build import BUILD_DIR, build, render_all
from dashboards.context import DATASOURCE_UID, default_context
from dashboards.validate import problems

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module", params=["en", "zh"])
def texts(request) -> dict[str, str]:
    return render_all(default_context(request.param))


def _boards() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(BUILD_DIR.glob("*.json"))}


def _panels(board: dict) -> list[dict]:
    return [p for p in board["panels"] if p["type"] != "row"]


def test_every_board_decodes_back_through_the_sdk_unchanged(texts):
    assert set(texts) == {f"{uid}.json" for uid in BOARDS}
    for name, text in texts.items():
        assert problems(text) == [], name


def test_the_round_trip_catches_what_the_sdk_does_not_know():
    text = render_all(default_context())["cxpulse-operations.json"]
    data = json.loads(text)
    data["panels"][1]["colour"] = "red"
    data["panels"][1]["targets"][0]["datasource"]["type"] = "loki"
    found = problems(json.dumps(data))
    assert any("colour: lost in the round trip" in p for p in found)
    assert any("not a Prometheus query" in p for p in found)


def test_committed_json_is_what_the_boards_build():
    assert build(default_context(), check=True) == []


def test_check_reports_drift_and_strays(tmp_path):
    build(default_context(), out=tmp_path)
    (tmp_path / "cxpulse-tickets.json").write_text("{}")
    (tmp_path / "old-board.json").write_text("{}")
    assert sorted(Path(p).name for p in build(default_context(), out=tmp_path, check=True)) \
        == ["cxpulse-tickets.json", "old-board.json"]


def test_uids_are_fixed_and_name_the_files():
    boards = _boards()
    assert set(boards) == set(BOARDS)
    for stem, board in boards.items():
        assert board["uid"] == stem
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids))


def test_titles_follow_the_language():
    zh = json.loads(render_all(default_context("zh"))["cxpulse-operations.json"])
    assert zh["title"] == "cxpulse · 运营实时"
    assert zh["uid"] == "cxpulse-operations"


def test_operations_refreshes_every_10_s_and_every_board_has_the_key_variables():
    boards = _boards()
    assert boards["cxpulse-operations"]["refresh"] == "10s"
    for board in boards.values():
        names = {v["name"] for v in board["templating"]["list"]}
        assert {"region", "queue", "channel", "business_line", "journey_stage"} <= names


def test_every_query_uses_the_provisioned_datasource():
    for board in _boards().values():
        for panel in _panels(board):
            for target in panel["targets"]:
                assert target["datasource"] == {"type": "prometheus", "uid": DATASOURCE_UID}
        for variable in board["templating"]["list"]:
            if variable["type"] == "query":
                assert variable["datasource"]["uid"] == DATASOURCE_UID


def _columns(panel: dict) -> dict[str, dict]:
    out = {}
    for override in panel["fieldConfig"].get("overrides", []):
        if override["matcher"]["id"] == "byName":
            out[override["matcher"]["options"]] = {p["id"]: p.get("value")
                                                   for p in override["properties"]}
    return out


def test_every_ratio_is_shown_with_its_sample_and_a_low_sample_flag():
    for board in _boards().values():
        for panel in _panels(board):
            units = {panel["fieldConfig"]["defaults"].get("unit")}
            columns = _columns(panel)
            units |= {c.get("unit") for c in columns.values()}
            if "percentunit" not in units:
                continue
            where = f"{board['uid']}: {panel['title']}"
            if panel["type"] == "table":
                assert any(name.startswith("sample") and name != "sample check"
                           for name in columns), where
                flag = columns.get("sample check")
                assert flag and flag["mappings"][0]["options"]["1"]["color"] == "orange", where
            elif panel["type"] == "timeseries":
                assert any(o["matcher"]["id"] == "byFrameRefID"
                           for o in panel["fieldConfig"]["overrides"]), where
            else:
                titles = [p["title"] for p in _panels(board)]
                assert any(t.startswith("Sample") for t in titles), where


def test_slo_colours_are_the_alert_tiers_and_tier_columns_run_the_alert_expression():
    ctx = default_context()
    board = _boards()["cxpulse-slos"]
    alerts = yaml.safe_load((REPO / "alerts/rules/cxpulse-alerts.rules.yml").read_text())
    exprs = {" ".join(r["expr"].split()) for g in alerts["groups"] for r in g["rules"]
             if "alert" in r}
    tables = [p for p in _panels(board) if p["type"] == "table"]
    expected = 0
    for name, objective in ctx.spec.objectives.items():
        view = ctx.views[objective.view]
        for value, _ in selections(view, objective.default, objective.keys):
            expected += 1
            panel = next(p for p in tables if f"objective {value:.4g} (" in p["title"]
                         and p["title"].startswith({"service_level": "Service",
                                                    "complaint_response": "Complaints answered",
                                                    "complaint_solution": "Complaints solved"}
                                                   [name]))
            columns = _columns(panel)
            for tier in tier_rules(ctx.spec, value):
                burn = [c for n, c in columns.items() if n.startswith("burn ")
                        and f"(> {tier.factor:.3g})" in n]
                assert len(burn) == 2
                for column in burn:
                    assert column["thresholds"]["steps"][1]["value"] == tier.factor
                    assert column["thresholds"]["steps"][1]["color"] == \
                        {"critical": "red", "warning": "orange"}[tier.severity]
            tiers = [t["expr"] for t in panel["targets"] if t["expr"].startswith("(count by")]
            assert len(tiers) == len(ctx.spec.burn_rate.tiers)
            for expr in tiers:
                bare = " ".join(expr.replace(',queue=~"$queue"', "")
                                .replace('{queue=~"$queue"}', "")
                                .replace(',region=~"$region"', "")
                                .replace('{region=~"$region"}', "").split())
                assert any(e in bare for e in exprs), expr
    assert len(tables) == expected


def test_provisioning_serves_the_uids_the_boards_use():
    provisioning = REPO / "deploy" / "grafana" / "provisioning"
    sources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    assert [s["uid"] for s in sources["datasources"] if s["type"] == "prometheus"] \
        == [DATASOURCE_UID]
    providers = yaml.safe_load((provisioning / "dashboards" / "cxpulse.yml").read_text())
    path = providers["providers"][0]["options"]["path"]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./dashboards/build:{path}:ro" in mounts
    assert "./deploy/grafana/provisioning/datasources:/etc/grafana/provisioning/datasources:ro" \
        in mounts
    assert "./deploy/grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro" \
        in mounts
    assert sorted(p.stem for p in BUILD_DIR.glob("*.json")) == sorted(BOARDS)
