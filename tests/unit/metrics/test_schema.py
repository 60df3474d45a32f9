"""The committed JSON Schema files are the ones the models generate."""

import json
from pathlib import Path

import pytest

from metrics.schema import export_schemas, render_schemas

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
RENDERED = render_schemas()


def test_the_same_files_are_committed():
    # The data file's schema sits beside them (tests/unit/streams/test_dataconfig.py).
    committed = sorted(path.name for path in SCHEMAS.glob("*.schema.json")
                       if path.name != "dataconfig.schema.json")

    assert committed == sorted(RENDERED), "run `cxpulse schema` and commit schemas/"


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_committed_schema_has_not_drifted(name):
    committed = (SCHEMAS / name).read_bytes()

    assert committed == RENDERED[name].encode(), f"schemas/{name} drifted: run `cxpulse schema`"


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_schema_rejects_additional_properties(name):
    assert json.loads(RENDERED[name])["additionalProperties"] is False


@pytest.mark.parametrize(
    ("name", "discriminator"),
    [("call.schema.json", "call"), ("ticket.schema.json", "ticket"),
     ("survey.schema.json", "survey"), ("envelope.schema.json", "envelope")],
)
def test_schema_pins_the_type(name, discriminator):
    schema = json.loads(RENDERED[name])

    assert schema["properties"]["type"]["const"] == discriminator
    assert "type" in schema["required"]


def test_export_writes_what_render_returns(tmp_path):
    written = export_schemas(tmp_path / "out")

    assert {path.name: path.read_text(encoding="utf-8") for path in written} == RENDERED
