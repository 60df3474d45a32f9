"""Template variables: the view keys (region, queue, channel, business line, journey stage)
and the live window. Every board carries all of them, so a lead keeps one selection across
boards; a panel on a view without that dimension ignores it (docs/dashboards.md)."""

from grafana_foundation_sdk.builders.dashboard import CustomVariable, QueryVariable
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from dashboards.context import Context

KEY_VARIABLES = (
    # (variable, view, label, family that every key of the view has, en, zh)
    ("region", "region", "region", "cxpulse_window_calls_offered", "Region", "地域"),
    ("queue", "queue", "queue", "cxpulse_window_calls_offered", "Queue", "队列"),
    ("channel", "channel", "channel", "cxpulse_window_tickets_created", "Channel", "渠道"),
    ("business_line", "journey", "business_line", "cxpulse_window_tickets_created",
     "Business line", "业态"),
    ("journey_stage", "journey", "journey_stage", "cxpulse_window_tickets_created",
     "Journey stage", "旅程阶段"),
)


def key_variable_query(view: str, label: str, family: str) -> str:
    """``label_values(family{view="region"}, region)``: the keys Prometheus has now."""
    return f'label_values({family}{{view="{view}"}}, {label})'


def key_variables(ctx: Context) -> list[QueryVariable]:
    """One multi-value variable per view dimension, "All" = ``.*``; only views configured in
    the data file get one."""
    out = []
    for name, view, label, family, en, zh in KEY_VARIABLES:
        if view not in ctx.views:
            continue
        out.append(QueryVariable(name).label(ctx.t(en, zh))
                   .datasource(DataSourceRef(type_val="prometheus", uid=ctx.datasource_uid))
                   .query(key_variable_query(view, label, family))
                   .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
                   .sort(VariableSort.ALPHABETICAL_ASC)
                   .multi(True).include_all(True).all_value(".*")
                   .current(VariableOption(selected=True, text="All", value="$__all")))
    return out


def window_variable(ctx: Context) -> CustomVariable:
    """The live window (the data file's ``windows``), first one selected."""
    first = ctx.windows[0]
    return (CustomVariable("window").label(ctx.t("Window", "窗口"))
            .values(",".join(ctx.windows))
            .current(VariableOption(selected=True, text=first, value=first)))


def all_variables(ctx: Context, window: bool = True) -> list:
    """Every board's variables: the window (where its panels use one), then the view keys."""
    return ([window_variable(ctx)] if window else []) + key_variables(ctx)
