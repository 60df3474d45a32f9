"""Documentation that must match behaviour: settings table, rejection reasons, README commands."""

from pathlib import Path

from metrics.events import reasons
from streams.settings_doc import settings_table

REPO = Path(__file__).resolve().parents[3]


def test_configuration_doc_holds_the_generated_settings_table():
    text = (REPO / "docs" / "configuration.md").read_text()
    assert settings_table() in text, "regenerate the table with streams.settings_doc"


def test_every_rejection_reason_is_documented():
    text = (REPO / "docs" / "events.md").read_text()
    missing = [reason for reason in reasons.ALL if f"| `{reason}` |" not in text]
    assert not missing


def test_readme_opens_with_the_run_and_test_commands_ci_uses():
    readme = (REPO / "README.md").read_text().splitlines()
    block = readme[readme.index("```bash") + 1:readme.index("```bash") + 3]
    assert [line.split()[0:2] for line in block] == [["make", "run"], ["make", "test"]]
    assert "make test" in (REPO / ".ci" / "run").read_text()
