"""``cxpulse dashboards build``: every board as JSON in dashboards/build/, or a drift check.

The JSON is the SDK's encoding of each board (sorted keys, two-space indent, a final newline),
so the same inputs give the same bytes and ``--check`` can compare them with the files.
"""

import json
from pathlib import Path

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard

from dashboards.boards import BOARDS
from dashboards.context import Context

BUILD_DIR = Path(__file__).resolve().parent / "build"


def encode(board) -> str:
    """A built dashboard model as the committed JSON text."""
    return JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False).encode(board) + "\n"


def built(ctx: Context) -> dict[str, Dashboard]:
    """uid -> the board's model, panels numbered 1.. in layout order (Grafana needs unique
    panel ids for links and the panel editor)."""
    out = {}
    for uid, builder in BOARDS.items():
        board = builder(ctx).build()
        for number, panel in enumerate(board.panels or [], start=1):
            panel.id_val = number
        out[uid] = board
    return out


def render_all(ctx: Context) -> dict[str, str]:
    """File name (``<uid>.json``) -> JSON text, for every board."""
    return {f"{uid}.json": encode(board) for uid, board in built(ctx).items()}


def build(ctx: Context, out: Path | None = None, check: bool = False) -> list[str]:
    """Write the boards under ``out`` (default dashboards/build/); with ``check``, write
    nothing and list the files that differ, are missing, or are not built by any board."""
    folder = out or BUILD_DIR
    texts = render_all(ctx)
    lines = []
    if check:
        for name, text in texts.items():
            path = folder / name
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                lines.append(str(path))
        lines += [str(p) for p in sorted(folder.glob("*.json")) if p.name not in texts]
        return lines
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
        lines.append(str(folder / name))
    return lines


def load(path: Path) -> dict:
    """A built board's JSON as a dict."""
    return json.loads(path.read_text(encoding="utf-8"))
