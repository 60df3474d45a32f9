"""Fill a SQL panel query as Grafana's PostgreSQL datasource would, so the integration test and
the PNG renderer run exactly the text of the committed JSON.

Grafana (public/app/features/plugins/sql, ``interpolateVariable``) inserts a single-value
variable raw with its quotes doubled, and a multi-value or include-all variable as a list of
quoted literals joined by commas ("All" without a custom all value is every option). The
server then expands the time macros; the board uses only ``$__unixEpochFrom()`` and
``$__unixEpochTo()``, the range's ends as integer epoch seconds (pkg/tsdb/grafana-postgresql-
datasource/macros.go). Any other ``$__`` macro is refused here rather than guessed.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SqlPanelQuery:
    """One SQL target of one panel of a built board."""

    board: str
    panel: str
    ref: str
    sql: str
    format: str
    repeat: str | None


def sql_queries(board: dict) -> list[SqlPanelQuery]:
    """Every raw SQL target of every panel of a built board, in layout order."""
    return [SqlPanelQuery(board["uid"], panel.get("title", ""), target["refId"],
                          target["rawSql"], target.get("format", "table"), panel.get("repeat"))
            for panel in board.get("panels", []) for target in panel.get("targets") or []
            if "rawSql" in target]


def sql_variables(board: dict) -> dict[str, dict]:
    """Template variable name -> its JSON, for variables of the board."""
    return {v["name"]: v for v in board.get("templating", {}).get("list", [])}


def quote(value: str) -> str:
    """A SQL string literal, as Grafana's ``quoteLiteral``."""
    return "'" + value.replace("'", "''") + "'"


def fill(sql: str, values: Mapping[str, str | Sequence[str]], multi: set[str],
         from_s: int, to_s: int) -> str:
    """``sql`` with variables and time macros filled.

    ``values``: variable -> its value (a list for a multi-value variable); ``multi``: the
    variables that are multi-value or include "All" (quoted even when one value is chosen).
    """
    def macro(match: re.Match) -> str:
        name = match[1]
        if name == "unixEpochFrom":
            return str(int(from_s))
        if name == "unixEpochTo":
            return str(int(to_s))
        raise ValueError(f"macro $__{name} is not filled here: use $__unixEpochFrom() "
                         "or $__unixEpochTo()")

    out = re.sub(r"\$__(\w+)(?:\(\))?", macro, sql)

    def variable(match: re.Match) -> str:
        name = match[1] or match[2]
        if name not in values:
            return match[0]
        value = values[name]
        if isinstance(value, str):
            return quote(value) if name in multi else value.replace("'", "''")
        return ",".join(quote(v) for v in value)

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", variable, out)
