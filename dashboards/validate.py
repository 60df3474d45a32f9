"""Validate built boards through the SDK's own models (Grafana cannot run here).

The SDK decodes leniently: a key its models do not know is dropped, an unknown panel type or
query falls back to a bag. So a board is valid when its JSON decodes back through
``Dashboard.from_json`` (with the SDK's panel and query plugins registered), re-encodes to the
same JSON, and every panel and query decoded into a known model. The Python package ships no
JSON schemas (the SDK repository publishes them per branch, outside the wheel), so this
round trip is the schema check.
"""

import json

from grafana_foundation_sdk.cog import runtime
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard, Panel, RowPanel
from grafana_foundation_sdk.models.prometheus import Dataquery

_registered = False


def _decode(data: dict) -> Dashboard:
    global _registered
    if not _registered:
        register_default_plugins()
        _registered = True
    return Dashboard.from_json(data)


def _diff(left: object, right: object, path: str = "$") -> list[str]:
    if isinstance(left, dict) and isinstance(right, dict):
        out = []
        for key in sorted(set(left) | set(right)):
            if key not in right:
                out.append(f"{path}.{key}: lost in the round trip")
            elif key not in left:
                out.append(f"{path}.{key}: added by the round trip")
            else:
                out += _diff(left[key], right[key], f"{path}.{key}")
        return out
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return [f"{path}: {len(left)} items became {len(right)}"]
        return [d for i, (a, b) in enumerate(zip(left, right)) for d in _diff(a, b, f"{path}[{i}]")]
    return [] if left == right else [f"{path}: {left!r} became {right!r}"]


def problems(text: str) -> list[str]:
    """Everything wrong with one board's JSON text; empty when valid."""
    data = json.loads(text)
    board = _decode(data)
    again = json.loads(JSONEncoder(sort_keys=True).encode(board))
    out = _diff(data, again)
    for index, panel in enumerate(board.panels or []):
        where = f"panel {index} ({getattr(panel, 'title', '?')})"
        if isinstance(panel, RowPanel):
            continue
        if not isinstance(panel, Panel):
            out.append(f"{where}: not a panel model")
            continue
        if runtime.Runtime().panelcfg_config(panel.type_val) is None:
            out.append(f"{where}: panel type {panel.type_val!r} unknown to the SDK")
        for target in panel.targets or []:
            if not isinstance(target, Dataquery):
                out.append(f"{where}: query {target!r} is not a Prometheus query")
            elif not target.expr:
                out.append(f"{where}: query {target.ref_id} has no expression")
    if not board.uid or not 8 <= len(board.uid) <= 40:
        out.append(f"uid {board.uid!r}: Grafana wants 8 to 40 characters")
    return out
