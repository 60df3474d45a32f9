"""Recording rules of the views: the committed file is what the generator writes, every ratio
names a figure of the report, and each view gets only the ratios of its groups."""

from pathlib import Path

import pytest

from alerts.recording import RATIOS, RULES_FILE, level, render, view_rules
from metrics.figures import figures
from metrics.views import View
from ops.cli import main
from streams.settings import Settings

from tests.factories import questionnaires

CATALOGUE = questionnaires()


def target(questionnaire: str, dimension: str) -> float:
    return 80.0


def test_the_committed_rules_are_what_the_views_generate():
    expected = render(Settings().configured_views().values(), CATALOGUE, target)

    assert RULES_FILE.read_text() == expected, "run `cxpulse alerts build` and commit the file"


def test_check_fails_on_a_drifted_file(tmp_path: Path):
    assert main(["rules", "build", "--out", str(tmp_path)]) == 0
    drifted = tmp_path / "rules" / "cxpulse-views.rules.yml"
    drifted.write_text(drifted.read_text().replace("> 0", "> 1", 1))

    assert main(["rules", "build", "--check", "--out", str(tmp_path)]) == 1
    assert main(["alerts", "build", "--out", str(tmp_path)]) == 0
    assert main(["alerts", "build", "--check", "--out", str(tmp_path)]) == 0


BUCKET = {"calls/offered": 4, "calls/answered": 3, "calls/answered_within_target": 2,
          "calls/answer_wait_s_sum": 30.0, "calls/transfers": 1,
          "tickets/repair/created": 2, "tickets/repair/closed": 1,
          "tickets/repair/first_responses": 1, "tickets/repair/first_response_points_sum": 5,
          "clocks/response/judged": 1, "fcr/contacts": 2}


@pytest.mark.parametrize("ratio", RATIOS, ids=lambda ratio: ratio.metric)
def test_every_ratio_names_a_figure_of_the_report(ratio):
    figure = ratio.figure.format(kind="repair", clock="response")

    assert figure in figures(BUCKET, CATALOGUE)


def test_a_view_gets_the_ratios_of_its_groups_only():
    view = View("journey", ("business_line", "journey_stage"), frozenset({"surveys"}))

    records = {rule["record"] for rule in view_rules(view, CATALOGUE, target)["rules"]}

    assert all("cxpulse_survey_" in record for record in records)
    assert (f"{level(view, ('questionnaire', 'dimension'))}:cxpulse_survey_index:ratio"
            in records)


def test_gap_rules_follow_per_dimension_targets():
    view = View("all", groups=frozenset({"surveys"}))

    def targets(questionnaire: str, dimension: str) -> float:
        return 90.0 if dimension == "timeliness" else 80.0

    gaps = [rule for rule in view_rules(view, {"after_sales_10": CATALOGUE["after_sales_10"]},
                                        targets)["rules"] if "gap_to_target" in rule["record"]]

    assert [rule["labels"]["target"] for rule in gaps] == ["80", "90"]
    assert 'dimension=~"timeliness"' in gaps[1]["expr"] and "9 *" in gaps[1]["expr"]


def test_a_view_not_exported_gets_no_rules():
    views = [View("region", ("region",), export=False), View("all")]

    text = render(views, CATALOGUE, target)

    assert "cxpulse-view-all" in text and "cxpulse-view-region" not in text
