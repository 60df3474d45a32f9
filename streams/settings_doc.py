"""The settings table of docs/configuration.md, generated from Settings so it cannot drift."""

from streams.settings import Settings


def settings_table() -> str:
    """Markdown table: variable, default, meaning; one row per Settings field."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "(none, required if used)" if default is None else f"`{default}`"
        rows.append(f"| `CXPULSE_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows) + "\n"
