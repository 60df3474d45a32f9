"""Writing history query rows as a table, CSV or JSON."""

import csv
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from streams.history.query import Query


def columns(query: Query) -> list[str]:
    return ["period", *query.by, "metric", "value", "n"]


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def write_rows(rows: list[dict[str, Any]], query: Query, fmt: str, console: Console) -> None:
    """Print ``rows`` to stdout as ``fmt`` (table, csv, json); a null value is a zero
    denominator (empty in CSV, "-" in the table)."""
    if fmt == "json":
        json.dump({"query": query.describe(), "rows": rows}, sys.stdout)
        sys.stdout.write("\n")
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, columns(query), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        table = Table(title=f"{query.metric} per {query.granularity}")
        for name in columns(query):
            table.add_column(name, justify="right" if name in ("value", "n") else "left")
        for row in rows:
            table.add_row(*(_show(row.get(name)) for name in columns(query)))
        Console().print(table)
    sys.stdout.flush()
