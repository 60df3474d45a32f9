"""Read a built board's queries and fill Grafana's variables, as Grafana would with "All".

Used by the integration test (every query against a real Prometheus) and by the PNG renderer,
so both run exactly the expressions in the committed JSON.
"""

import re
from dataclasses import dataclass

from dashboards.variables import KEY_VARIABLES


@dataclass(frozen=True)
class PanelQuery:
    """One target of one panel."""

    board: str
    panel: str
    ref: str
    legend: str
    expr: str
    instant: bool


def panel_queries(board: dict) -> list[PanelQuery]:
    """Every Prometheus target of every panel of a built board, in layout order (SQL
    targets are dashboards/sqlfill.py's)."""
    out = []
    for panel in board.get("panels", []):
        for target in panel.get("targets", []) or []:
            if "expr" not in target:
                continue
            out.append(PanelQuery(board["uid"], panel.get("title", ""), target["refId"],
                                  target.get("legendFormat", ""), target["expr"],
                                  bool(target.get("instant"))))
    return out


def annotation_queries(board: dict) -> list[PanelQuery]:
    """Every Prometheus annotation query of a built board, as PanelQuery (panel
    ``annotation: <name>``, instant False: Grafana runs them over the time range)."""
    return [PanelQuery(board["uid"], f"annotation: {a['name']}", "", "", a["expr"], False)
            for a in board.get("annotations", {}).get("list", [])
            if a.get("datasource", {}).get("type") == "prometheus" and a.get("expr")]


def variable_queries(board: dict) -> dict[str, str]:
    """Template variable name -> its ``label_values(...)`` query (query variables only)."""
    return {v["name"]: v["query"] for v in board.get("templating", {}).get("list", [])
            if v.get("type") == "query" and v["datasource"]["type"] == "prometheus"}


def fill(expr: str, window: str = "1h", range_s: int = 3600, rate_interval: str = "1m",
         selected: dict[str, str] | None = None) -> str:
    """``expr`` with the variables filled: view keys "All" (``.*``) unless ``selected``,
    ``$window``, ``$__range`` and ``$__rate_interval``."""
    values = {name: ".*" for name, *_ in KEY_VARIABLES}
    values.update(selected or {})
    values["window"] = window
    out = expr.replace("$__rate_interval", rate_interval).replace("$__range", f"{range_s}s")
    return re.sub(r"\$(\w+)", lambda m: values.get(m[1], m[0]), out)


def label_values(query: str) -> tuple[str, str]:
    """``label_values(selector, label)`` -> (selector, label)."""
    match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query.strip())
    if match is None:
        raise ValueError(f"not a label_values query: {query}")
    return match[1], match[2]
