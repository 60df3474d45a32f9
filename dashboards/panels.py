"""Panel shapes the boards share: ratio tables with their samples, time series, stats.

Only layout and presentation live here; every expression comes from dashboards/queries/.
A ratio is always placed with its sample (a column, or a series on the right axis) and a
low-sample flag column that marks values under the stated minimum instead of hiding them.
"""

from dataclasses import dataclass, field
from typing import Any

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    DataTransformerConfig,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from dashboards.context import Context

REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
GREEN, ORANGE, RED, BLUE, GREY = "green", "orange", "red", "blue", "text"
HIDDEN_COLUMNS = ("Time", "view", "window", "__name__")


def steps(base: str, *points: tuple[float, str]) -> ThresholdsConfig:
    """Absolute thresholds: ``base`` colour, then each (value, colour) from value upwards."""
    return (ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE)
            .steps([Threshold(None, base), *(Threshold(v, c) for v, c in points)]))


def at_least(minimum: float) -> ThresholdsConfig:
    """Red below ``minimum``, green from it (a ratio against its target or objective)."""
    return steps(RED, (minimum, GREEN))


def low_sample_mapping(ctx: Context, minimum: int) -> list:
    """1 -> "low n (< minimum)" in orange, 0 -> "ok": the flag column of a ratio."""
    return [ValueMap({
        "1": ValueMappingResult(text=ctx.t(f"low n (< {minimum})", f"样本少 (< {minimum})"),
                                color=ORANGE, index=0),
        "0": ValueMappingResult(text=ctx.t("ok", "足够"), color=GREEN, index=1)})]


def firing_mapping(ctx: Context) -> list:
    """1 -> the alert tier's condition holds (red), 0 -> quiet (green)."""
    return [ValueMap({
        "1": ValueMappingResult(text=ctx.t("FIRING", "告警中"), color=RED, index=0),
        "0": ValueMappingResult(text=ctx.t("quiet", "正常"), color=GREEN, index=1)})]


def query(ctx: Context, expr: str, legend: str, ref: str, instant: bool = False,
          as_table: bool = False) -> Dataquery:
    """A Prometheus query on the provisioned datasource."""
    q = (Dataquery().expr(expr).legend_format(legend).ref_id(ref)
         .datasource(DataSourceRef(type_val="prometheus", uid=ctx.datasource_uid)))
    if instant:
        q = q.instant()
    else:
        q = q.range()
    if as_table:
        q = q.format(PromQueryFormat.TABLE)
    return q


@dataclass
class Column:
    """One value column of a table: its name, expression and presentation."""

    name: str
    expr: str
    unit: str = "none"
    decimals: int | None = None
    thresholds: ThresholdsConfig | None = None
    mappings: list = field(default_factory=list)


def table_panel(ctx: Context, title: str, description: str, columns: list[Column],
                height: int = 8, width: int = 24, sort_by: str | None = None,
                descending: bool = False, hidden: tuple[str, ...] = ()) -> table.Panel:
    """Instant queries joined on their labels: one row per view key, one column per query;
    ``hidden`` label columns are left out besides the usual (time, view, window, name).

    Grafana's ``merge`` joins the frames on their label columns and ``organize`` names each
    ``Value #<ref>`` column; dashboards/render.py does the same join.
    """
    panel = (table.Panel().title(title).description(description).height(height).span(width)
             .cell_options(common.TableColoredBackgroundCellOptions()))
    rename = {}
    for ref, column in zip(REF_IDS, columns):
        panel = panel.with_target(query(ctx, column.expr, column.name, ref, instant=True,
                                        as_table=True))
        rename[f"Value #{ref}"] = column.name
        panel = panel.override_by_name(column.name, column_overrides(column))
    panel = panel.with_transformation(DataTransformerConfig("merge", options={}))
    panel = panel.with_transformation(DataTransformerConfig("organize", options={
        "excludeByName": {name: True for name in (*HIDDEN_COLUMNS, *hidden)},
        "renameByName": rename}))
    if sort_by:
        panel = panel.sort_by([common_builders.TableSortByFieldState()
                               .display_name(sort_by).desc(descending)])
    return panel


@dataclass
class Series:
    """One query of a time series; ``sample`` series go on the right axis, dashed."""

    expr: str
    legend: str
    sample: bool = False


def timeseries_panel(ctx: Context, title: str, description: str, series: list[Series],
                     unit: str = "none", height: int = 8, width: int = 12,
                     thresholds: ThresholdsConfig | None = None,
                     sample_unit: str = "none", minimum: float | None = None,
                     maximum: float | None = None) -> timeseries.Panel:
    """Lines over the board's time range; samples as thin dashed lines on the right axis;
    thresholds drawn as dashed lines when given."""
    panel = (timeseries.Panel().title(title).description(description).height(height)
             .span(width).unit(unit).line_width(2).fill_opacity(0))
    if minimum is not None:
        panel = panel.min(minimum)
    if maximum is not None:
        panel = panel.max(maximum)
    for ref, item in zip(REF_IDS, series):
        panel = panel.with_target(query(ctx, item.expr, item.legend, ref))
    if thresholds is not None:
        panel = panel.thresholds(thresholds).thresholds_style(
            common_builders.GraphThresholdsStyleConfig()
            .mode(common.GraphThresholdsStyleMode.DASHED))
    if any(item.sample for item in series):
        sample_refs = "|".join(ref for ref, s in zip(REF_IDS, series) if s.sample)
        panel = panel.override_by_query(sample_refs, [
            DynamicConfigValue("custom.lineStyle", {"fill": "dash", "dash": [4, 4]}),
            DynamicConfigValue("custom.lineWidth", 1),
            DynamicConfigValue("custom.axisPlacement", "right"),
            DynamicConfigValue("unit", sample_unit),
            DynamicConfigValue("min", 0),
            DynamicConfigValue("max", None),
            DynamicConfigValue("thresholds", steps(GREY).build())])
    return panel


def stat_panel(ctx: Context, title: str, description: str, series: list[Series],
               unit: str = "none", height: int = 4, width: int = 6,
               thresholds: ThresholdsConfig | None = None, mappings: list | None = None,
               decimals: int | None = None) -> stat.Panel:
    """Current values as big numbers, coloured by thresholds or mappings."""
    panel = (stat.Panel().title(title).description(description).height(height).span(width)
             .unit(unit).color_mode(common.BigValueColorMode.BACKGROUND)
             .graph_mode(common.BigValueGraphMode.NONE)
             .thresholds(thresholds or steps(BLUE)))
    if decimals is not None:
        panel = panel.decimals(decimals)
    if mappings:
        panel = panel.mappings(mappings)
    for ref, item in zip(REF_IDS, series):
        panel = panel.with_target(query(ctx, item.expr, item.legend, ref, instant=True))
    return panel


def bars_panel(ctx: Context, title: str, description: str, series: list[Series],
               unit: str = "none", height: int = 8, width: int = 12,
               thresholds: ThresholdsConfig | None = None) -> bargauge.Panel:
    """Horizontal bars of current values (a distribution, a ranking)."""
    panel = (bargauge.Panel().title(title).description(description).height(height)
             .span(width).unit(unit).orientation(common.VizOrientation.HORIZONTAL)
             .display_mode(common.BarGaugeDisplayMode.BASIC)
             .thresholds(thresholds or steps(BLUE)))
    for ref, item in zip(REF_IDS, series):
        panel = panel.with_target(query(ctx, item.expr, item.legend, ref, instant=True))
    return panel


def column_overrides(column: Any) -> list[DynamicConfigValue]:
    """A table column's field overrides: unit, decimals, and thresholds colouring its
    background (or plain cells), and value mappings; ``column`` is a Column or SqlColumn."""
    props = [DynamicConfigValue("unit", column.unit)]
    if column.decimals is not None:
        props.append(DynamicConfigValue("decimals", column.decimals))
    if column.thresholds is not None:
        props.append(DynamicConfigValue("thresholds", column.thresholds.build()))
    else:
        props.append(DynamicConfigValue("custom.cellOptions", {"type": "auto"}))
    if column.mappings:
        props.append(DynamicConfigValue("mappings", column.mappings))
    return props
