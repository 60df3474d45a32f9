"""The settings table of docs/configuration.md, generated from Settings so it cannot drift."""

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from streams.settings import Settings


def shown_default(field: FieldInfo) -> str:
    """A setting's default as the table shows it: the value in backticks, ``(required)`` for a
    field without a default (pydantic's ``PydanticUndefined`` is no value to print), a
    factory's product, or ``(none, required if used)`` for an optional setting that is off."""
    if field.is_required():
        return "(required)"
    default = field.get_default(call_default_factory=True)
    return "(none, required if used)" if default is None else f"`{default}`"


def settings_table(model: type[BaseModel] = Settings) -> str:
    """Markdown table: variable, default, meaning; one row per field of ``model``."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in model.model_fields.items():
        rows.append(f"| `CXPULSE_{name.upper()}` | {shown_default(field)} | {field.description} |")
    return "\n".join(rows) + "\n"
