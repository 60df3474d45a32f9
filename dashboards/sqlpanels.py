"""Panel shapes for SQL against the history store: a table whose query returns its columns
(value, sample, flag) in one go, and a daily series with its sample on the right axis.

The Prometheus shapes of panels.py join one instant query per column on labels; a SQL query
returns whole rows, so these take one query and style its columns by name.
"""

from dataclasses import dataclass, field

from grafana_foundation_sdk.builders import table, timeseries
from grafana_foundation_sdk.builders.dashboard import ThresholdsConfig
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

from dashboards.panels import GREY, REF_IDS, column_overrides, steps
from dashboards.sqlquery import Sql


@dataclass
class SqlColumn:
    """Presentation of one column the table's SQL returns, by its name."""

    name: str
    unit: str = "none"
    decimals: int | None = None
    thresholds: ThresholdsConfig | None = None
    mappings: list = field(default_factory=list)


def sql_table_panel(uid: str, title: str, description: str, sql: str,
                    columns: list[SqlColumn], height: int = 8, width: int = 12,
                    repeat: str | None = None) -> table.Panel:
    """One SQL query as a table, rows in the query's order; ``repeat``: one panel per
    selected value of that variable (Grafana's panel repeat)."""
    panel = (table.Panel().title(title).description(description).height(height).span(width)
             .cell_options(common.TableColoredBackgroundCellOptions())
             .with_target(Sql(sql, "A", uid, "table")))
    for column in columns:
        panel = panel.override_by_name(column.name, column_overrides(column))
    if repeat:
        panel = panel.repeat(repeat).repeat_direction("h").max_per_row(3)
    return panel


def sql_timeseries_panel(uid: str, title: str, description: str, value_sql: str,
                         sample_sql: str, height: int = 9, width: int = 24) -> timeseries.Panel:
    """A daily value (query A, bars of points joined by a line) with its sample (query B)
    dashed on the right axis."""
    sample = REF_IDS[1]
    return (timeseries.Panel().title(title).description(description).height(height)
            .span(width).line_width(2).fill_opacity(0)
            .show_points(common.VisibilityMode.ALWAYS)
            .with_target(Sql(value_sql, REF_IDS[0], uid, "time_series"))
            .with_target(Sql(sample_sql, sample, uid, "time_series"))
            .override_by_query(sample, [
                DynamicConfigValue("custom.lineStyle", {"fill": "dash", "dash": [4, 4]}),
                DynamicConfigValue("custom.lineWidth", 1),
                DynamicConfigValue("custom.axisPlacement", "right"),
                DynamicConfigValue("min", 0),
                DynamicConfigValue("thresholds", steps(GREY).build())]))
