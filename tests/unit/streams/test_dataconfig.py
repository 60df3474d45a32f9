"""The data file: the shipped default, every validation message with its path, precedence."""

import json
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from streams.dataconfig import GROUPS, DataConfig, View
from streams.dataconfig_load import (
    DEFAULT_FILE,
    SCHEMA_FILE_NAME,
    default_config,
    load_config,
    location,
    parse_config,
    render_schema,
)
from streams.errors import DataConfigError

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
SOURCE = Path("test.yaml")


def minimal(**sections: Any) -> dict[str, Any]:
    """The smallest valid file, with ``sections`` replacing or adding top-level keys."""
    return {"questionnaires": {"q": {"scale_max": 5, "dimensions": ["a", "b"]}},
            "views": {"all": {"dimensions": []}}, **sections}


def problems_of(data: Any) -> list[str]:
    with pytest.raises(DataConfigError) as caught:
        parse_config(data, SOURCE)
    assert str(caught.value).startswith(f"data file {SOURCE}:\n")
    return caught.value.problems


# -- the shipped default --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "scale", "dimensions"),
    [
        ("after_sales_10", (1, 10),
         ("service_skill", "attitude", "timeliness", "parts_supply", "overall")),
        ("segue", (1, 5), ("satisfactory", "efficient", "genuine", "understanding", "effective")),
        ("servqual", (1, 5),
         ("reliability", "responsiveness", "assurance", "tangibles", "empathy")),
        ("agreement", (1, 5),
         ("problem_solved", "easy_to_reach", "kept_informed", "agent_knowledgeable",
          "would_recommend")),
    ],
)
def test_default_holds_the_domain_questionnaires(name, scale, dimensions):
    questionnaire = default_config().catalogue()[name]

    assert (questionnaire.scale_min, questionnaire.scale_max) == scale
    assert questionnaire.dimensions == dimensions


def test_default_agreement_scale_runs_from_strongly_disagree_to_strongly_agree():
    labels = dict(default_config().catalogue()["agreement"].scale_labels)

    assert labels[5].startswith("非常同意") and labels[1].startswith("非常不同意")


def test_default_targets_calendar_and_windows_are_the_domain_defaults():
    config = default_config()
    calendar = config.calendar.business_calendar()

    assert config.survey_targets.target("after_sales_10", "overall") == 80
    assert config.survey_targets.min_sample == 30
    assert config.call_rules(5.0, 5.0).target_for("any-queue") == 4
    assert (calendar.windows, str(calendar.tz)) == (((time(9), time(18)),), "Asia/Shanghai")
    assert calendar.fallback == "weekdays"
    assert config.windows == ("1h", "24h")


DEFAULT_VIEWS = [
    View("all", dimensions=(), counters=True, distribution=True),
    View("region", dimensions=("region",), counters=True),
    View("queue", dimensions=("queue",), groups=frozenset({"calls", "tickets", "fcr"}),
         counters=True),
    View("channel", dimensions=("channel",)),
    View("journey", dimensions=("business_line", "journey_stage"),
         groups=frozenset({"tickets", "surveys"}), route_by=("business_line",)),
    View("region_stage", dimensions=("region", "journey_stage"),
         groups=frozenset({"tickets", "surveys"}), export=False),
    View("agent", dimensions=("agent",), groups=frozenset({"calls"}), max_keys=200,
         requires_agent_cut=True),
]


def test_default_views_in_file_order():
    assert list(default_config().views) == DEFAULT_VIEWS


@pytest.mark.parametrize(("agent_cut", "names"), [
    (False, ["all", "region", "queue", "channel", "journey", "region_stage"]),
    (True, ["all", "region", "queue", "channel", "journey", "region_stage", "agent"]),
])
def test_agent_views_are_active_only_with_the_agent_cut(agent_cut, names):
    assert [v.name for v in default_config().active_views(agent_cut)] == names


def test_view_defaults():
    view, = parse_config(minimal(), SOURCE).views

    assert view == View(name="all", dimensions=(), groups=GROUPS, max_keys=500, counters=False,
                        distribution=False, requires_agent_cut=False)


def test_the_default_file_is_found_inside_the_package():
    assert DEFAULT_FILE.parent.name == "streams" and DEFAULT_FILE.is_file()
    assert load_config(None) == default_config()


def test_the_committed_json_schema_has_not_drifted():
    committed = (SCHEMAS / SCHEMA_FILE_NAME).read_text(encoding="utf-8")

    assert committed == render_schema(), "run `cxpulse schema` and commit schemas/"


def test_the_json_schema_describes_the_file_as_written():
    schema = json.loads(render_schema())

    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"questionnaires", "survey_targets", "ring_targets",
                                         "calendar", "windows", "views", "journeys",
                                         "dives"}
    assert schema["required"] == ["questionnaires", "views"]


# -- overrides and their precedence ---------------------------------------------------------
TARGETS = {"default": 70, "questionnaires": {
    "q": {"default": 85, "dimensions": {"b": 90}},
    "r": {"dimensions": {"y": 60}},
}}
QUESTIONNAIRES = {"q": {"scale_max": 5, "dimensions": ["a", "b"]},
                  "r": {"scale_max": 10, "dimensions": ["x", "y"]}}


@pytest.mark.parametrize(
    ("questionnaire", "dimension", "target"),
    [
        ("q", "b", 90),   # the dimension's own
        ("q", "a", 85),   # its questionnaire's default
        ("r", "y", 60),   # the dimension's own, no questionnaire default
        ("r", "x", 70),   # the file's default
        ("other", "z", 70),
    ],
)
def test_survey_target_precedence(questionnaire, dimension, target):
    config = parse_config(minimal(questionnaires=QUESTIONNAIRES, survey_targets=TARGETS), SOURCE)

    assert config.survey_targets.target(questionnaire, dimension) == target
    assert config.survey_targets.rules().target(questionnaire, dimension) == target


@pytest.mark.parametrize(("queue", "rings"), [("vip", 2), ("general", 3)])
def test_ring_target_per_queue_wins_over_the_default(queue, rings):
    config = parse_config(minimal(ring_targets={"default": 3, "queues": {"vip": 2}}), SOURCE)

    assert config.call_rules(5.0, 5.0).target_for(queue) == rings


def test_calendar_section_builds_the_business_calendar():
    config = parse_config(minimal(calendar={
        "timezone": "Europe/Berlin", "windows": ["08:00-12:00", "13:00-17:30"],
        "holidays": [date(2027, 1, 1)], "workdays": ["2027-02-06"], "schedule_years": [2027],
    }), SOURCE)

    calendar = config.calendar.business_calendar()

    assert calendar.windows == ((time(8), time(12)), (time(13), time(17, 30)))
    assert str(calendar.tz) == "Europe/Berlin"
    assert (calendar.holidays, calendar.workdays) == ({date(2027, 1, 1)}, {date(2027, 2, 6)})
    assert calendar.schedule_years == {2027}


def test_each_calendar_is_fresh():
    config = default_config()

    assert config.calendar.business_calendar().fallback_days \
        is not config.calendar.business_calendar().fallback_days


# -- every validation message, with its path ------------------------------------------------
@pytest.mark.parametrize(
    ("sections", "problem"),
    [
        pytest.param({"questionnaires": {}}, "questionnaires: Dictionary should have at least 1 "
                     "item after validation, not 0", id="no-questionnaires"),
        pytest.param({"questionnaires": {"q": {"scale_max": 1, "dimensions": ["a"]}}},
                     "questionnaires.q.scale_max: 1: Input should be greater than or equal to 2",
                     id="scale-too-small"),
        pytest.param({"questionnaires": {"q": {"scale_max": 5, "dimensions": ["a", "a"]}}},
                     "questionnaires.q.dimensions: listed more than once: a",
                     id="repeated-dimension"),
        pytest.param({"questionnaires": {"q": {"scale_max": 5, "dimensions": ["a/b"]}}},
                     "questionnaires.q.dimensions[0]: 'a/b': String should match pattern "
                     "'^[\\w\\-.]+$'", id="dimension-name"),
        pytest.param({"questionnaires": {"q": {"scale_max": 5, "dimensions": ["a"],
                                               "scale_labels": {6: "six"}}}},
                     "questionnaires.q: scale_labels for scores off the scale 1..5: [6]",
                     id="label-off-scale"),
        pytest.param({"questionnaires": {"q": {"dimensions": ["a"]}}},
                     "questionnaires.q.scale_max: required key missing", id="missing-key"),
        pytest.param({"survey_targets": {"default": 101}},
                     "survey_targets.default: 101: Input should be less than or equal to 100",
                     id="target-over-100"),
        pytest.param({"survey_targets": {"min_sample": 0}},
                     "survey_targets.min_sample: 0: Input should be greater than or equal to 1",
                     id="min-sample"),
        pytest.param({"survey_targets": {"questionnaires": {"nps": {"default": 50}}}},
                     "survey_targets.questionnaires.nps: not a questionnaire of this file "
                     "(known: q)", id="target-of-unknown-questionnaire"),
        pytest.param({"survey_targets": {"questionnaires": {"q": {"dimensions": {"z": 50}}}}},
                     "survey_targets.questionnaires.q.dimensions.z: not a dimension of q "
                     "(known: a, b)", id="target-of-unknown-dimension"),
        pytest.param({"ring_targets": {"queues": {"vip": 0}}},
                     "ring_targets.queues.vip: 0: Input should be greater than or equal to 1",
                     id="ring-target"),
        pytest.param({"calendar": {"timezone": "Mars/Base"}},
                     "calendar.timezone: 'Mars/Base': unknown timezone 'Mars/Base' (an IANA "
                     "name such as Asia/Shanghai)", id="timezone"),
        pytest.param({"calendar": {"windows": ["09:00-12:00", "9-5"]}},
                     "calendar.windows[1]: '9-5': '9-5' is not HH:MM-HH:MM (24-hour local "
                     "time, e.g. 09:00-18:00)", id="window-format"),
        pytest.param({"calendar": {"windows": ["18:00-09:00"]}},
                     "calendar.windows[0]: '18:00-09:00': '18:00-09:00' must start before it "
                     "ends (a window lies within one day)", id="window-backwards"),
        pytest.param({"calendar": {"windows": ["09:00-12:00", "11:00-18:00"]}},
                     "calendar.windows: [1] 11:00-18:00 overlaps or precedes [0] 09:00-12:00: "
                     "list the windows in order, without overlaps", id="windows-overlap"),
        pytest.param({"calendar": {"windows": []}},
                     "calendar.windows: Tuple should have at least 1 item after validation, "
                     "not 0", id="no-windows"),
        pytest.param({"calendar": {"holidays": ["2027-02-30"]}},
                     "calendar.holidays[0]: '2027-02-30': Input should be a valid date or "
                     "datetime, day value is outside expected range", id="bad-date"),
        pytest.param({"calendar": {"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}},
                     "calendar: 2027-01-01 listed as both a holiday and a workday",
                     id="holiday-and-workday"),
        pytest.param({"calendar": {"holidays": ["2027-01-01", "2027-01-01"]}},
                     "calendar.holidays: listed more than once: 2027-01-01",
                     id="repeated-holiday"),
        pytest.param({"calendar": {"schedule_years": [2028]}},
                     "calendar: schedule_years 2028: no holidays listed for it; enter the "
                     "year's holidays and workdays, or leave the year out", id="empty-schedule"),
        pytest.param({"windows": ["1h", "2h"]},
                     "windows[1]: '2h' is not allowed: '1h', '24h', '7d' or '30d'",
                     id="window-name"),
        pytest.param({"windows": ["1h", "1h"]}, "windows: listed more than once: 1h",
                     id="repeated-window"),
        pytest.param({"views": {}}, "views: Dictionary should have at least 1 item after "
                     "validation, not 0", id="no-views"),
        pytest.param({"views": {"By-Region": {"dimensions": ["region"]}}},
                     "views.By-Region (the key): 'By-Region': String should match pattern "
                     "'^[a-z][a-z0-9_]*$'", id="view-name"),
        pytest.param({"views": {"v": {"dimensions": ["colour"]}}},
                     "views.v.dimensions[0]: 'colour' is not allowed: 'region', 'channel', "
                     "'queue', 'business_line', 'journey_stage', 'customer_type' or 'agent'",
                     id="view-dimension"),
        pytest.param({"views": {"v": {"dimensions": ["region", "region"]}}},
                     "views.v.dimensions: listed more than once: region",
                     id="repeated-view-dimension"),
        pytest.param({"views": {"v": {"dimensions": [], "groups": ["calls", "money"]}}},
                     "views.v.groups[1]: 'money' is not allowed: 'calls', 'tickets', 'fcr' or "
                     "'surveys'", id="view-group"),
        pytest.param({"views": {"v": {"dimensions": [], "groups": []}}},
                     "views.v.groups: Tuple should have at least 1 item after validation, "
                     "not 0", id="no-groups"),
        pytest.param({"views": {"v": {"dimensions": [], "max_keys": 0}}},
                     "views.v.max_keys: 0: Input should be greater than or equal to 1",
                     id="max-keys"),
        pytest.param({"views": {"v": {"dimensions": ["agent"]}}},
                     "views.v: a view by agent needs requires_agent_cut: true (without the "
                     "agent cut every event's agent is 'all')", id="agent-view"),
        pytest.param({"views": {"v": {}}}, "views.v.dimensions: required key missing",
                     id="view-without-dimensions"),
        pytest.param({"views": {"v": {"dimensions": [], "colour": "red"}}},
                     "views.v.colour: unknown key (docs/configuration.md lists the keys)",
                     id="unknown-view-key"),
        pytest.param({"histories": {}},
                     "histories: unknown key (docs/configuration.md lists the keys)",
                     id="unknown-section"),
    ],
)
def test_validation_message_names_the_path(sections, problem):
    assert problems_of(minimal(**sections)) == [problem]


def test_every_problem_is_listed():
    data = minimal(windows=["2h"], ring_targets={"default": 0})

    assert problems_of(data) == [
        "ring_targets.default: 0: Input should be greater than or equal to 1",
        "windows[0]: '2h' is not allowed: '1h', '24h', '7d' or '30d'",
    ]


@pytest.mark.parametrize("data", [None, [], "views"])
def test_the_top_level_must_be_a_mapping(data):
    assert problems_of(data) == ["(top level): expected a mapping of sections "
                                 "(questionnaires, survey_targets, ..., views)"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("views: [\n", "line 2, column 1: not valid YAML: expected the node "
                     "content, but found '<stream end>' (while parsing a flow node)",
                     id="syntax"),
        pytest.param("views:\n  a: {dimensions: []}\n  a: {dimensions: [region]}\n",
                     "line 3, column 3: not valid YAML: key 'a' is given twice (while reading "
                     "a mapping)", id="repeated-key"),
    ],
)
def test_yaml_problems_give_the_line(tmp_path, text, problem):
    path = tmp_path / "data.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(DataConfigError) as caught:
        load_config(path)

    assert caught.value.problems == [problem]
    assert str(path) in str(caught.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(DataConfigError, match=r"data file .*absent\.yaml:\n  cannot read it"):
        load_config(tmp_path / "absent.yaml")


def test_a_file_round_trips_through_yaml(tmp_path):
    path = tmp_path / "data.yaml"
    path.write_text(yaml.safe_dump(minimal(windows=["1h", "7d"])), encoding="utf-8")

    assert load_config(path).windows == ("1h", "7d")


@pytest.mark.parametrize(("loc", "path"), [
    (("calendar", "windows", 1), "calendar.windows[1]"),
    (("views", "Agent", "[key]"), "views.Agent (the key)"),
    ((), "(top level)"),
])
def test_location(loc, path):
    assert location(loc) == path


def test_the_config_is_immutable():
    with pytest.raises(Exception, match="frozen"):
        default_config().windows = ("1h",)  # type: ignore[misc]
    assert isinstance(default_config(), DataConfig)
