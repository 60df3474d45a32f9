"""The generated settings table: how each kind of default is shown."""

import pytest
from pydantic import BaseModel, Field, SecretStr

from streams.settings_doc import settings_table


class _Kinds(BaseModel):
    required_secret: SecretStr = Field(description="a secret without a default")
    required_port: int = Field(description="no default")
    off: str | None = Field(None, description="optional, off")
    plain: float = Field(1.5, description="a value")
    listed: list[str] = Field(default_factory=lambda: ["a"], description="from a factory")


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (0, "| `CXPULSE_REQUIRED_SECRET` | (required) | a secret without a default |"),
        (1, "| `CXPULSE_REQUIRED_PORT` | (required) | no default |"),
        (2, "| `CXPULSE_OFF` | (none, required if used) | optional, off |"),
        (3, "| `CXPULSE_PLAIN` | `1.5` | a value |"),
        (4, "| `CXPULSE_LISTED` | `['a']` | from a factory |"),
    ],
)
def test_each_kind_of_default_is_shown_as_a_reader_understands_it(row, expected):
    lines = settings_table(_Kinds).splitlines()

    assert lines[:2] == ["| variable | default | meaning |", "| --- | --- | --- |"]
    assert lines[2 + row] == expected


def test_no_pydantic_placeholder_reaches_the_table():
    assert "PydanticUndefined" not in settings_table(_Kinds)
