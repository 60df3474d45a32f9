"""JSON Schema of the event contract, exported to schemas/ for producers."""

import json
from pathlib import Path

from metrics.events import CallEvent, Envelope, SurveyEvent, TicketEvent

MODELS = {"call": CallEvent, "ticket": TicketEvent, "survey": SurveyEvent, "envelope": Envelope}


def render_schemas() -> dict[str, str]:
    """File name -> JSON Schema text (sorted keys, trailing newline) for every model."""
    return {
        f"{name}.schema.json": json.dumps(
            model.model_json_schema(mode="validation"), indent=2, sort_keys=True,
            ensure_ascii=False,
        ) + "\n"
        for name, model in MODELS.items()
    }


def export_schemas(folder: Path) -> list[Path]:
    """Write every schema into ``folder``; returns the written paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
