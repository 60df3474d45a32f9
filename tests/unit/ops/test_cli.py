"""The cxpulse command line: help for every command, exit codes of configuration errors."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from metrics.schema import render_schemas
from ops.cli import build_parser, main
from streams.dataconfig_load import DEFAULT_FILE, SCHEMA_FILE_NAME, render_schema
from streams.settings import Settings

REPO = Path(__file__).resolve().parents[3]
COMMANDS = ["up", "broker", "topics", "worker", "simulate", "replay", "dives", "schema", "config",
            "report", "history", "views", "alerts", "rules", "dashboards",
            "notify-bridge"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("CXPULSE_"):
            monkeypatch.delenv(name)


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action, = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _flat(text: str) -> str:
    """Text with every run of whitespace as one space, and none after a hyphen: rich and
    argparse wrap lines at the console width, argparse also after a hyphen ("re-" + newline +
    "aggregated" where Python 3.13 gives the command column more room than 3.11)."""
    return " ".join(text.split()).replace("- ", "-")


def test_the_commands():
    assert list(_subcommands()) == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_help_text_in_the_overview(command, capsys):
    description = _subcommands()[command].description

    with pytest.raises(SystemExit) as caught:
        main(["--help"])

    assert caught.value.code == 0
    assert description and len(description) > 20
    assert _flat(f"{command} {description}") in _flat(capsys.readouterr().out)


@pytest.mark.parametrize("argv", [[]] + [[command] for command in COMMANDS],
                         ids=["cxpulse"] + COMMANDS)
def test_help_exits_0(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        main([*argv, "--help"])

    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {' '.join(['cxpulse', *argv])}")


@pytest.mark.parametrize("argv", [[], ["nonsense"], ["topics"], ["topics", "delete"]])
def test_bad_usage_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        main(argv)

    assert caught.value.code == 2
    assert "usage: cxpulse" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("environment", "argv", "named"),
    [
        ({"CXPULSE_BROKER_URL": "http://x"}, ["topics", "create"], "CXPULSE_BROKER_URL"),
        ({}, ["topics", "create", "--broker-url", "http://x"], "CXPULSE_BROKER_URL"),
        ({"CXPULSE_STORE": "redis://"}, ["topics", "create"], "CXPULSE_STORE"),
        ({"CXPULSE_KAFKA_SASL_USERNAME": "cx"}, ["topics", "create"],
         "CXPULSE_KAFKA_SASL_PASSWORD"),
    ],
)
def test_invalid_setting_exits_2_naming_the_variable(monkeypatch, capsys, environment, argv,
                                                      named):
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)

    code = main(argv)

    err = _flat(capsys.readouterr().err)
    assert code == 2, err
    assert "invalid configuration" in err
    assert named in err


@pytest.mark.parametrize("broker_url", ["http://x", "http://[/x]"])
def test_configuration_error_is_plain_text_naming_the_variable(monkeypatch, capsys, broker_url):
    """Errors are printed as plain text (not rich markup), one line per problem, naming the
    variable, never echoing the value (it may be a secret)."""
    monkeypatch.setenv("CXPULSE_BROKER_URL", broker_url)
    with pytest.raises(ValidationError) as expected:
        Settings()

    code = main(["topics", "create"])

    err = _flat(capsys.readouterr().err)
    assert code == 2, err
    message = expected.value.errors()[0]["msg"]
    assert f"CXPULSE_BROKER_URL: {message}" in err
    assert broker_url not in err


def test_unknown_variable_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("CXPULSE_BROKER_ULR", "kafka://127.0.0.1:9092")

    code = main(["topics", "create"])

    assert code == 2
    assert "CXPULSE_BROKER_ULR" in _flat(capsys.readouterr().err)


def _topics_create(**variables: str) -> subprocess.CompletedProcess:
    """`cxpulse topics create` as a console user runs it, with ``variables`` set."""
    return subprocess.run([sys.executable, "-m", "ops.cli", "topics", "create"],
                          cwd=REPO, env={**os.environ, **variables}, capture_output=True,
                          text=True, timeout=60, check=False)


def test_console_script_exits_2_on_an_invalid_setting():
    result = _topics_create(CXPULSE_BROKER_URL="http://x")

    assert result.returncode == 2, result.stderr
    assert "CXPULSE_BROKER_URL" in result.stderr
    assert result.stdout == ""


def test_console_script_warns_of_a_renamed_variable_by_default():
    """The deprecation must reach a user who never turned warnings on (no -W flag)."""
    result = _topics_create(CXPULSE_FLUSH_MAX_EVENTS="0")

    assert result.returncode == 2, result.stderr
    assert "CXPULSE_FLUSH_MAX_EVENTS is deprecated" in result.stderr
    assert "CXPULSE_FLUSH_MAX_MESSAGES:" in _flat(result.stderr)


def test_schema_command_writes_the_schemas(tmp_path, capsys):
    expected = {**render_schemas(), SCHEMA_FILE_NAME: render_schema()}

    code = main(["schema", str(tmp_path)])

    assert code == 0
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == expected
    assert sorted(capsys.readouterr().out.split()) == sorted(
        str(tmp_path / name) for name in expected)


# -- cxpulse config check -------------------------------------------------------------------
def test_config_check_of_the_default_file_prints_a_summary(capsys):
    code = main(["config", "check", str(DEFAULT_FILE)])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith(f"OK: {DEFAULT_FILE}\n")
    assert ("views: all, region, queue, channel, journey, region_stage, agent (agent cut only)"
            in out)
    assert "journeys: equipment_after_sales (6 stages, 5 benchmarks; equipment)" in out


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("views: [", "not valid YAML", id="yaml"),
        pytest.param(DEFAULT_FILE.read_text(encoding="utf-8").replace(
            '["09:00-18:00"]', '["09:00-18:00", "17:00-20:00"]'),
            "calendar.windows: [1] 17:00-20:00 overlaps", id="schema"),
    ],
)
def test_config_check_exits_2_naming_the_file_and_the_path(tmp_path, capsys, text, problem):
    path = tmp_path / "data.yaml"
    path.write_text(text, encoding="utf-8")

    code = main(["config", "check", str(path)])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert f"invalid configuration: data file {path}:" in captured.err
    assert problem in captured.err


def test_config_check_of_a_missing_file_exits_2(tmp_path, capsys):
    code = main(["config", "check", str(tmp_path / "absent.yaml")])

    assert code == 2
    assert "cannot read it" in capsys.readouterr().err


def test_a_bad_data_file_stops_a_command_that_reads_it(monkeypatch, tmp_path, capsys):
    path = tmp_path / "data.yaml"
    path.write_text("questionnaires: {}\n", encoding="utf-8")
    monkeypatch.setenv("CXPULSE_CONFIG_FILE", str(path))
    events = tmp_path / "events.jsonl"
    events.write_text("", encoding="utf-8")

    code = main(["report", str(events)])

    err = _flat(capsys.readouterr().err)
    assert code == 2
    assert f"data file {path}: questionnaires: Dictionary should have at least 1 item" in err


def test_a_moved_variable_says_where_it_went(monkeypatch, capsys):
    monkeypatch.setenv("CXPULSE_SURVEY_TARGET", "85")

    code = main(["topics", "create"])

    err = _flat(capsys.readouterr().err)
    assert code == 2
    assert "CXPULSE_SURVEY_TARGET is now survey_targets.default in the data file" in err
