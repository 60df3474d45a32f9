"""Draw SQL boards (the History board) from the history store, as render.py draws the live
boards from Prometheus: the same page layout, table colours, flags and dashed samples.

Variables are filled as Grafana fills them at the board's defaults (dashboards/sqlfill.py):
custom variables their current value, store variables "All" (every value their own query
lists); a repeated panel is drawn once per value, side by side, as Grafana repeats it. The
time range is the board's own (``now-90d``) ending at ``now_s``.
"""

import copy
import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from matplotlib import dates as mdates

from dashboards.render import (
    COLOURS,
    MAX_TABLE_ROWS,
    Renderer,
    SourceError,
    _defaults,
    _overrides,
    _pale,
    colour_of,
    draw_table,
    legend_entries,
    text_of,
)
from dashboards.sqlfill import fill, sql_variables


class HistoryRenderer(Renderer):
    """A Renderer whose panels run their SQL on one PostgreSQL connection."""

    def __init__(self, conn: Any, now_s: float | None = None) -> None:
        super().__init__(prometheus=None, now_s=now_s)  # type: ignore[arg-type]
        self.conn = conn
        self.values: dict[str, Any] = {}
        self.multi: set[str] = set()

    @classmethod
    def connect(cls, url: str, password: str | None = None,
                now_s: float | None = None) -> "HistoryRenderer":
        """A renderer on the store at ``url`` (``?options=-csearch_path%3D...`` as the store)."""
        import psycopg

        return cls(psycopg.connect(url, password=password, autocommit=True), now_s)

    def __enter__(self) -> "HistoryRenderer":
        return self

    def __exit__(self, *_: Any) -> None:
        self.conn.close()

    def rows(self, sql: str, overrides: dict[str, Any] | None = None,
             range_s: int = 0) -> tuple[list[str], list[tuple]]:
        """Column names and rows of ``sql`` filled with the selection (and ``overrides``)."""
        text = fill(sql, {**self.values, **(overrides or {})}, self.multi,
                    int(self.now_s - range_s), int(self.now_s))
        try:
            with self.conn.cursor() as cur:
                cur.execute(text)
                return [c.name for c in cur.description], cur.fetchall()
        except Exception as error:   # psycopg's errors: drawn in the panel, not raised
            raise SourceError(str(error).splitlines()[0]) from error

    def subtitle(self, board: dict, window: str, when: str) -> str:
        chosen = " · ".join(f"{name} {value if isinstance(value, str) else 'All'}"
                            for name, value in self.values.items())
        return f"uid {board['uid']} · {chosen} · history store at {when} (UTC ranges)"

    def render(self, board: dict, out):
        self.values, self.multi = {}, set()
        for name, variable in sql_variables(board).items():
            if variable.get("multi") or variable.get("includeAll"):
                self.multi.add(name)
            if variable["type"] == "query":
                self.values[name] = [row[0] for row in self.rows(variable["query"])[1]]
            else:
                self.values[name] = variable["current"]["value"]
        return super().render(self._expanded(board), out)

    def _expanded(self, board: dict) -> dict:
        """The board with repeated panels copied per value and variables in titles filled."""
        out = copy.deepcopy(board)
        panels = []
        for panel in out.get("panels", []):
            copies = [(panel, {})]
            if panel.get("repeat"):
                name = panel["repeat"]
                width = panel["gridPos"]["w"]
                copies = []
                for i, value in enumerate(self.values.get(name, [])[:24 // width]):
                    twin = copy.deepcopy(panel)
                    twin["gridPos"]["x"] = panel["gridPos"]["x"] + i * width
                    copies.append((twin, {name: value}))
            for twin, chosen in copies:
                twin["_values"] = chosen
                values = {**self.values, **chosen}
                twin["title"] = re.sub(
                    r"\$(\w+)", lambda m: (v if isinstance(v := values.get(m[1], m[0]), str)
                                           else "All"), twin.get("title", ""))
                panels.append(twin)
        out["panels"] = panels
        return out

    def _table(self, ax, panel: dict, window: str, range_s: int) -> None:
        ax.set_axis_off()
        names, rows = self.rows(panel["targets"][0]["rawSql"], panel.get("_values"), range_s)
        if not rows:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes,
                    color=COLOURS["text"])
            return
        overrides = _overrides(panel)
        cells, colours = [], []
        for row in rows[:MAX_TABLE_ROWS]:
            texts, tints = [], []
            for name, value in zip(names, row):
                props = overrides.get(name)
                if props is None or isinstance(value, str):
                    texts.append("" if value is None else str(value))
                    tints.append("#ffffff")
                    continue
                number = None if value is None else float(value)
                texts.append(text_of(number, props.get("unit", "none"), props.get("decimals"),
                                     props.get("mappings")))
                colour = colour_of(number, props.get("thresholds"), props.get("mappings"))
                tints.append(_pale(colour) if colour else "#ffffff")
            cells.append(texts)
            colours.append(tints)
        draw_table(ax, names, cells, colours, len(rows) - MAX_TABLE_ROWS)

    def _timeseries(self, ax, panel: dict, window: str, range_s: int) -> None:
        sample_refs = next((k[5:].split("|") for k in _overrides(panel)
                            if k.startswith("refs:")), [])
        twin = None
        drawn = 0
        for index, target in enumerate(panel.get("targets", [])):
            names, rows = self.rows(target["rawSql"], panel.get("_values"), range_s)
            xs = [_moment(row[0]) for row in rows]
            for column, name in enumerate(names[1:], start=1):
                ys = [math.nan if row[column] is None else float(row[column]) for row in rows]
                if not xs:
                    continue
                if target["refId"] in sample_refs:
                    twin = twin or ax.twinx()
                    twin.plot(xs, ys, linewidth=1, linestyle="--", label=name, color="C0")
                else:
                    ax.plot(xs, ys, linewidth=1.8, marker="o", label=name, color=f"C{index}")
                drawn += 1
        if not drawn:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes,
                    color=COLOURS["text"])
        ax.set_xlim(_moment(self.now_s - range_s), _moment(self.now_s))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        handles, labels = legend_entries(ax, twin)
        if "min" in _defaults(panel):
            ax.set_ylim(bottom=_defaults(panel)["min"])
        if handles:
            ax.legend(handles, labels, fontsize=8, loc="upper left", framealpha=0.7)


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, Decimal):
        value = float(value)
    return datetime.fromtimestamp(value, UTC)
