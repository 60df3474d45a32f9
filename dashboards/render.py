"""``cxpulse dashboards render``: each built board as one PNG, drawn with matplotlib from the
same queries against a real Prometheus (Grafana cannot run on these machines).

It reads the committed JSON, not the Python: the panels' grid positions, titles, queries,
units, thresholds, value mappings, table joins and right-axis sample series. Key variables
are "All" and ``$window`` its first value. What Grafana draws differs in looks, not figures.
"""

import json
import math
import re
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib import ticker  # noqa: E402

from dashboards.promql import fill  # noqa: E402

COLOURS = {"green": "#56a64b", "red": "#e02f44", "orange": "#ff9830", "yellow": "#f2cc0c",
           "blue": "#3274d9", "text": "#6e6e6e", "transparent": "#ffffff"}
GRID_W_IN, GRID_H_IN = 0.9, 0.4
TITLE_IN, AXIS_IN, LEFT_IN, RIGHT_IN, GAP_IN = 0.32, 0.42, 0.62, 0.55, 0.1
MAX_TABLE_ROWS = 14


class SourceError(RuntimeError):
    """A datasource refused a panel's query (the message says why); drawn in the panel."""


class PrometheusError(SourceError):
    """Prometheus refused a query (the message says why)."""


@dataclass
class Prometheus:
    """The HTTP API of one Prometheus."""

    url: str
    timeout_s: float = 30.0

    def _get(self, path: str, **params: str) -> dict:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=self.timeout_s) as r:
            body = json.loads(r.read())
        if body.get("status") != "success":
            raise PrometheusError(f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def instant(self, expr: str, at_s: float | None = None) -> list[dict]:
        """``/api/v1/query``: a list of {metric, value}."""
        params = {"query": expr}
        if at_s is not None:
            params["time"] = f"{at_s:.3f}"
        try:
            return self._get("/api/v1/query", **params)["result"]
        except urllib.error.HTTPError as error:
            raise PrometheusError(json.loads(error.read()).get("error", str(error))) from None

    def range(self, expr: str, start_s: float, end_s: float, step_s: float) -> list[dict]:
        """``/api/v1/query_range``: a list of {metric, values}."""
        try:
            return self._get("/api/v1/query_range", query=expr, start=f"{start_s:.3f}",
                             end=f"{end_s:.3f}", step=f"{step_s:g}")["result"]
        except urllib.error.HTTPError as error:
            raise PrometheusError(json.loads(error.read()).get("error", str(error))) from None

    def label_values(self, label: str, selector: str) -> list[str]:
        """Values of ``label`` on series matching ``selector``."""
        return self._get(f"/api/v1/label/{label}/values", **{"match[]": selector})


def legend(template: str, labels: dict) -> str:
    """Grafana's ``{{label}}`` legend format."""
    out = template
    for key, value in labels.items():
        out = out.replace("{{" + key + "}}", value).replace("{{ " + key + " }}", value)
    out = re.sub(r"\{\{\s*\w+\s*\}\}", "", out).strip()   # a label the series lacks
    return out or ",".join(f"{k}={v}" for k, v in labels.items() if k != "__name__")


def fmt(value: float | None, unit: str, decimals: int | None) -> str:
    """A value as Grafana's unit formatting would show it (the units the boards use)."""
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf"
    d = 1 if decimals is None else decimals
    if unit == "percentunit":
        return f"{value * 100:.{d}f}%"
    if unit == "s":
        if abs(value) >= 86_400:
            return f"{value / 86_400:.1f} d"
        if abs(value) >= 3600:
            return f"{value / 3600:.1f} h"
        if abs(value) >= 1 or value == 0:
            return f"{value:.{d}f} s"
        return f"{value * 1000:.0f} ms"
    suffix = {"cpm": "/min", "eps": "/s"}.get(unit, "")
    if decimals is None and (abs(value) >= 100 or value == int(value)):
        d = 0
    return f"{value:,.{d}f}{suffix}"


def colour_of(value: float | None, thresholds: dict | None, mappings: list | None) -> str | None:
    """The colour Grafana gives ``value``: a value mapping's, else the threshold step's."""
    if value is None or math.isnan(value):
        return None
    for mapping in mappings or []:
        hit = mapping.get("options", {}).get(f"{value:g}")
        if hit and hit.get("color"):
            return COLOURS.get(hit["color"], hit["color"])
    if not thresholds:
        return None
    colour = None
    for step in thresholds.get("steps", []):
        if step.get("value") is None or value >= step["value"]:
            colour = step["color"]
    return COLOURS.get(colour, colour) if colour else None


def text_of(value: float | None, unit: str, decimals: int | None, mappings: list | None) -> str:
    """The cell text: a value mapping's text, else the formatted value."""
    if value is not None and not math.isnan(value):
        for mapping in mappings or []:
            hit = mapping.get("options", {}).get(f"{value:g}")
            if hit and hit.get("text"):
                return hit["text"]
    return fmt(value, unit, decimals)


def _overrides(panel: dict) -> dict[str, dict]:
    """Field name (or ``refs:A|B``) -> its override properties as a dict."""
    out = {}
    for override in panel.get("fieldConfig", {}).get("overrides", []):
        matcher = override["matcher"]
        key = matcher["options"] if matcher["id"] == "byName" else f"refs:{matcher['options']}"
        out[key] = {p["id"]: p.get("value") for p in override.get("properties", [])}
    return out


def _defaults(panel: dict) -> dict:
    return panel.get("fieldConfig", {}).get("defaults", {})


class Renderer:
    """Draws boards from their JSON with values from one Prometheus at one moment."""

    def __init__(self, prometheus: Prometheus, range_s: int | None = None,
                 now_s: float | None = None) -> None:
        self.prometheus = prometheus
        self.range_s = range_s
        self.now_s = now_s or time.time()
        self.errors: list[str] = []   # query errors drawn in panels, for tests

    def _range_s(self, board: dict) -> int:
        if self.range_s:
            return self.range_s
        start = board.get("time", {}).get("from", "now-1h")
        amount, unit = int(start[4:-1]), start[-1]
        return amount * {"m": 60, "h": 3600, "d": 86_400}[unit]

    def subtitle(self, board: dict, window: str, when: str) -> str:
        """The line under the board's title: what was selected, from where, when."""
        return f"uid {board['uid']} · window {window} · keys: All · Prometheus at {when}"

    def render(self, board: dict, out: Path) -> Path:
        """One PNG of the whole board at ``out``."""
        panels = board.get("panels", [])
        rows = max((p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels), default=1)
        width_in, height_in = 24 * GRID_W_IN, (rows + 2) * GRID_H_IN
        fig = plt.figure(figsize=(width_in, height_in), dpi=80)
        total_h = rows + 2
        window = next((v.get("current", {}).get("value") for v in
                       board.get("templating", {}).get("list", []) if v["name"] == "window"),
                      "1h")
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.now_s))
        fig.text(0.005, 1 - 0.6 / total_h, board["title"], fontsize=17, weight="bold",
                 va="center")
        fig.text(0.995, 1 - 0.6 / total_h,
                 self.subtitle(board, window, when),
                 fontsize=10, ha="right", va="center", color=COLOURS["text"])
        for panel in panels:
            pos = panel["gridPos"]
            left_in, top_in = pos["x"] * GRID_W_IN, (pos["y"] + 1.2) * GRID_H_IN
            w_in, h_in = pos["w"] * GRID_W_IN, pos["h"] * GRID_H_IN
            pad_l, pad_r, pad_b = GAP_IN, GAP_IN, GAP_IN
            if panel["type"] == "timeseries":
                pad_l, pad_r, pad_b = LEFT_IN, RIGHT_IN, AXIS_IN
            elif panel["type"] == "bargauge":
                pad_l = 1.2
            box = [(left_in + pad_l) / width_in,
                   1 - (top_in + h_in - pad_b) / height_in,
                   (w_in - pad_l - pad_r) / width_in,
                   (h_in - pad_b - TITLE_IN) / height_in]
            if panel["type"] == "row":
                fig.text(0.005, 1 - (pos["y"] + 1.7) / total_h, panel["title"]
                         .replace("$window", window), fontsize=13, weight="bold",
                         color="#1f1f1f")
                continue
            ax = fig.add_axes(box)
            try:
                getattr(self, f"_{panel['type']}")(ax, panel, window, self._range_s(board))
            except SourceError as error:
                self.errors.append(f"{board['uid']} / {panel['title']}: {error}")
                ax.text(0.5, 0.5, f"query error: {error}", ha="center", va="center",
                        color=COLOURS["red"], fontsize=8, wrap=True, transform=ax.transAxes)
            fig.text((left_in + GAP_IN) / width_in, 1 - (top_in + 0.05) / height_in,
                     panel["title"].replace("$window", window), fontsize=11, weight="bold",
                     va="top")
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, facecolor="white")
        plt.close(fig)
        return out

    def _query(self, target: dict, window: str, range_s: int) -> str:
        return fill(target["expr"], window=window, range_s=range_s)

    def _timeseries(self, ax, panel: dict, window: str, range_s: int) -> None:
        defaults = _defaults(panel)
        unit = defaults.get("unit", "none")
        overrides = _overrides(panel)
        sample_refs = next((k[5:].split("|") for k in overrides if k.startswith("refs:")), [])
        twin = None
        step = max(range_s / 240, 1)
        drawn = 0
        palette: dict[tuple, str] = {}
        for target in panel.get("targets", []):
            result = self.prometheus.range(self._query(target, window, range_s),
                                           self.now_s - range_s, self.now_s, step)
            for series in result:
                xs = [(float(t) - self.now_s) / 60 for t, _ in series["values"]]
                ys = [float(v) for _, v in series["values"]]
                name = legend(target.get("legendFormat", ""), series["metric"])
                # a ratio and its sample share their labels, hence their colour
                key = tuple(sorted((k, v) for k, v in series["metric"].items()
                                   if k != "__name__"))
                colour = palette.setdefault(key, f"C{len(palette) % 10}")
                if target["refId"] in sample_refs:
                    twin = twin or ax.twinx()
                    twin.plot(xs, ys, linewidth=1, linestyle="--", label=name, color=colour)
                else:
                    ax.plot(xs, ys, linewidth=1.8, label=name, color=colour)
                drawn += 1
        if not drawn:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes,
                    color=COLOURS["text"])
        style = defaults.get("custom", {}).get("thresholdsStyle", {}).get("mode", "off")
        if style != "off":
            for limit in (defaults.get("thresholds") or {}).get("steps", [])[1:]:
                ax.axhline(limit["value"], linestyle="--", linewidth=1.2,
                           color=COLOURS.get(limit["color"], limit["color"]))
        if unit == "percentunit":
            ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0))
        elif unit in ("s", "cpm", "eps"):
            ax.set_ylabel({"s": "seconds", "cpm": "per minute", "eps": "per second"}[unit],
                          fontsize=8)
        if "min" in defaults:
            ax.set_ylim(bottom=defaults["min"])
        if "max" in defaults:
            ax.set_ylim(top=defaults["max"])
        ax.set_xlim(-range_s / 60, 0)
        ax.set_xlabel("minutes before now", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        handles, labels = legend_entries(ax, twin)
        if handles:
            ax.legend(handles[:16], labels[:16], fontsize=7, loc="upper left", ncol=4,
                      framealpha=0.7)

    def _instant(self, panel: dict, window: str, range_s: int) -> list[tuple[dict, dict]]:
        out = []
        for target in panel.get("targets", []):
            for series in self.prometheus.instant(self._query(target, window, range_s),
                                                  self.now_s):
                out.append((target, series))
        return out

    def _stat(self, ax, panel: dict, window: str, range_s: int) -> None:
        defaults = _defaults(panel)
        values = self._instant(panel, window, range_s)
        ax.set_axis_off()
        if not values:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            return
        width = 1 / len(values)
        for i, (target, series) in enumerate(values):
            value = float(series["value"][1])
            colour = colour_of(value, defaults.get("thresholds"), defaults.get("mappings"))
            ax.add_patch(plt.Rectangle((i * width + 0.01, 0.02), width - 0.02, 0.82,
                                       color=colour or COLOURS["blue"], alpha=0.85,
                                       transform=ax.transAxes))
            ax.text(i * width + width / 2, 0.48,
                    text_of(value, defaults.get("unit", "none"), defaults.get("decimals"),
                            defaults.get("mappings")),
                    ha="center", va="center", fontsize=20, color="white", weight="bold",
                    transform=ax.transAxes)
            ax.text(i * width + width / 2, 0.12, legend(target.get("legendFormat", ""),
                                                        series["metric"]),
                    ha="center", va="center", fontsize=9, color="white",
                    transform=ax.transAxes)

    def _bargauge(self, ax, panel: dict, window: str, range_s: int) -> None:
        defaults = _defaults(panel)
        unit = defaults.get("unit", "none")
        values = sorted(((legend(t.get("legendFormat", ""), s["metric"]),
                          float(s["value"][1])) for t, s in self._instant(panel, window,
                                                                          range_s)),
                        reverse=True)
        if not values:
            ax.set_axis_off()
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            return
        names = [n for n, _ in values]
        numbers = [v for _, v in values]
        colours = [colour_of(v, defaults.get("thresholds"), None) or COLOURS["blue"]
                   for v in numbers]
        ax.barh(names, numbers, color=colours)
        ax.invert_yaxis()
        for i, v in enumerate(numbers):
            ax.text(v, i, " " + fmt(v, unit, defaults.get("decimals")), va="center",
                    fontsize=10)
        ax.set_xlim(0, max(numbers) * 1.25 or 1)
        ax.tick_params(labelsize=9)
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)

    def _table(self, ax, panel: dict, window: str, range_s: int) -> None:
        ax.set_axis_off()
        organize = next((t["options"] for t in panel.get("transformations", [])
                         if t["id"] == "organize"), {})
        rename, hidden = organize.get("renameByName", {}), organize.get("excludeByName", {})
        overrides = _overrides(panel)
        columns = [rename.get(f"Value #{t['refId']}", t["refId"]) for t in panel["targets"]]
        rows: dict[tuple, dict] = {}
        label_names: list[str] = []
        for target, series in self._instant(panel, window, range_s):
            labels = {k: v for k, v in series["metric"].items() if not hidden.get(k)}
            key = tuple(sorted(labels.items()))
            rows.setdefault(key, {})[rename.get(f"Value #{target['refId']}")] = \
                float(series["value"][1])
            label_names += [k for k in labels if k not in label_names]
        if not rows:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes,
                    color=COLOURS["text"])
            return
        sort = (panel.get("options", {}).get("sortBy") or [{}])[0]
        records = [(dict(key), values) for key, values in rows.items()]
        if sort.get("displayName"):
            name = sort["displayName"]
            sign = -1 if sort.get("desc") else 1
            records.sort(key=lambda r: (r[1].get(name) is None,
                                        sign * (r[1].get(name) or 0)))
        else:
            records.sort(key=lambda r: tuple(r[0].get(k, "") for k in label_names))
        shown = records[:MAX_TABLE_ROWS]
        cells, colours = [], []
        for labels, values in shown:
            row, row_colours = [labels.get(k, "") for k in label_names], \
                ["#ffffff"] * len(label_names)
            for column in columns:
                props = overrides.get(column, {})
                value = values.get(column)
                row.append(text_of(value, props.get("unit", "none"), props.get("decimals"),
                                   props.get("mappings")))
                colour = colour_of(value, props.get("thresholds"), props.get("mappings"))
                row_colours.append(_pale(colour) if colour else "#ffffff")
            cells.append(row)
            colours.append(row_colours)
        draw_table(ax, label_names + columns, cells, colours, len(records) - len(shown))


def _pale(colour: str) -> str:
    """A cell background: the colour mixed with white, so the text stays readable."""
    rgb = matplotlib.colors.to_rgb(colour)
    return matplotlib.colors.to_hex(tuple(0.55 + 0.45 * c for c in rgb))


def is_sql_board(board: dict) -> bool:
    """Whether the board's panels query the history store (SQL) rather than Prometheus."""
    return any("rawSql" in target for panel in board.get("panels", [])
               for target in panel.get("targets") or [])


def render_boards(build_dir: Path, prometheus_url: str | None, out: Path,
                  range_s: int | None = None, history_url: str | None = None,
                  history_password: str | None = None) -> list[Path]:
    """One ``<uid>.png`` under ``out`` per built board whose source is given: the live boards
    from ``prometheus_url``, the SQL boards from the history store at ``history_url``."""
    boards = [json.loads(path.read_text(encoding="utf-8"))
              for path in sorted(build_dir.glob("*.json"))]
    paths = []
    if prometheus_url:
        renderer = Renderer(Prometheus(prometheus_url), range_s)
        paths += [renderer.render(board, out / f"{board['uid']}.png")
                  for board in boards if not is_sql_board(board)]
    if history_url:
        from dashboards.render_sql import HistoryRenderer

        with HistoryRenderer.connect(history_url, history_password) as sql_renderer:
            paths += [sql_renderer.render(board, out / f"{board['uid']}.png")
                      for board in boards if is_sql_board(board)]
    return paths


def legend_entries(ax: Any, twin: Any) -> tuple[list[Any], list[str]]:
    """The legend entries of a panel's axes, with the sample axis (dashed, right) set up and
    its entries added when the panel has one."""
    handles, labels = ax.get_legend_handles_labels()
    if twin is not None:
        twin.set_ylabel("sample (dashed)", fontsize=8)
        twin.set_ylim(bottom=0)
        twin.tick_params(labelsize=8)
        more_h, more_l = twin.get_legend_handles_labels()
        handles, labels = handles + more_h, labels + more_l
    return handles, labels


def draw_table(ax: Any, names: list[str], cells: list[list[str]], colours: list[list[str]],
               hidden: int) -> None:
    """A table panel's cells on ``ax``: bold grey header, and a note of ``hidden`` rows left
    out (both renderers show at most MAX_TABLE_ROWS)."""
    table = ax.table(cellText=cells, cellColours=colours, colLabels=names,
                     loc="upper center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.25)
    for (row, _), cell in table.get_celld().items():
        if row == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#eeeeee")
    if hidden > 0:
        ax.text(1, 0, f"{hidden} more rows", ha="right", va="bottom",
                fontsize=8, color=COLOURS["text"], transform=ax.transAxes)
