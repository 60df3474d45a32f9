"""History (历史): months of closed windows from the history store (PostgreSQL), for analysts:
a daily trend of any figure with its n, the worst regions last quarter, month-over-month change
per dimension, and the dive curve of a business line along its journey stages.

Its panels and variables run SQL on the datasource ``cxpulse-history``; the SQL is in
dashboards/queries/history.py. Every ratio is re-aggregated from sums and shown with its n.
"""

from grafana_foundation_sdk.builders.dashboard import CustomVariable, Dashboard, QueryVariable, Row
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    ValueMap,
    ValueMappingResult,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from dashboards.boards.common import TAGS
from dashboards.context import HISTORY_DATASOURCE_UID, Context
from dashboards.panels import GREEN, ORANGE, at_least
from dashboards.queries import history
from dashboards.sqlpanels import SqlColumn, sql_table_panel, sql_timeseries_panel
from dashboards.sqlquery import PLUGIN

UID = "cxpulse-history"
DIMENSIONS = ("region", "channel", "queue", "business_line", "journey_stage", "customer_type")
DEFAULT_METRIC = "calls.service_level"


def figures(ctx: Context) -> list[history.Ratio]:
    """The figures of ``$metric``, with the minimum samples of the alert spec and data file."""
    catalogue = {name: (q.scale_max, tuple(q.dimensions))
                 for name, q in ctx.data.catalogue().items()}
    return history.ratios(catalogue, ctx.calls_min_sample, ctx.complaints_min_sample,
                          ctx.survey_min_sample, ctx.default_min_sample)


def _custom(name: str, label: str, values: list[str], first: str) -> CustomVariable:
    return (CustomVariable(name).label(label).values(",".join(values))
            .allow_custom_value(False)
            .current(VariableOption(selected=True, text=first, value=first)))


def _store_values(name: str, label: str) -> QueryVariable:
    """Multi-value, "All" = every value the store has (Grafana quotes each for ``IN``)."""
    return (QueryVariable(name).label(label)
            .datasource(DataSourceRef(type_val=PLUGIN, uid=HISTORY_DATASOURCE_UID))
            .query(history.distinct(name))
            .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
            .sort(VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True)
            .current(VariableOption(selected=True, text="All", value="$__all")))


def build(ctx: Context) -> Dashboard:
    """The board; rows: daily trend, quarter and months, dive curves."""
    ratios = figures(ctx)
    t = ctx.t
    uid = HISTORY_DATASOURCE_UID
    questionnaires = list(ctx.data.catalogue())
    board = (Dashboard(t("cxpulse · History", "cxpulse · 历史")).uid(UID)
             .description(t("Closed windows from the history store: any figure per day, "
                            "quarter and month, re-aggregated from sums, each with its n.",
                            "历史库中的已关闭窗口：按日、季度、月由求和重新聚合，均带样本。"))
             .tags(TAGS).time("now-90d", "now").timezone("utc").refresh("1h"))
    for variable in (
            _custom("metric", t("Figure", "指标"), [r.key for r in ratios], DEFAULT_METRIC),
            _store_values("region", t("Region", "地域")),
            _store_values("business_line", t("Business line", "业态")),
            _custom("dimension", t("Month-over-month by", "环比维度"), list(DIMENSIONS),
                    "channel"),
            _custom("questionnaire", t("Questionnaire (dive curve)", "问卷（下探曲线）"),
                    questionnaires, questionnaires[0])):
        board = board.with_variable(variable)
    flag = _low_n(ctx)
    flag_text = t("Flagged under the figure's minimum sample (alert spec and data file).",
                  "低于该指标最小样本时标出。")
    board = board.with_row(Row(t("Daily trend (UTC days)", "每日趋势（UTC 日）")))
    board = board.with_panel(sql_timeseries_panel(
        uid, t("$metric per day, with its n", "$metric 每日值及样本"),
        t("Numerator and denominator summed per day over the selected regions and business "
          "lines, then divided (as `cxpulse history --granularity day`). Dashed, right axis: "
          "n, the count the figure divides by.",
          "每日先对分子分母求和再相除（同 cxpulse history）。虚线（右轴）：样本 n。"),
        history.daily_value(ratios), history.daily_sample(ratios)))
    board = board.with_row(Row(t("Quarter and months", "季度与月度")))
    board = board.with_panel(sql_table_panel(
        uid, t("Worst regions last quarter: $metric", "上季度最差地域：$metric"),
        t("The calendar quarter (UTC) before the one holding the end of the time range; worst "
          "first (lowest where higher is better). " + flag_text,
          "时间范围结束所在季度的上一个自然季度（UTC），最差在前。" + flag_text),
        history.worst_regions_last_quarter(ratios),
        [SqlColumn("value", decimals=3), SqlColumn("sample (n)", decimals=0),
         SqlColumn("sample check", mappings=flag)], height=10, width=9))
    board = board.with_panel(sql_table_panel(
        uid, t("Month over month: $metric by $dimension", "环比：$metric 按 $dimension"),
        t("Per calendar month (UTC) in the time range: the figure, its change from the month "
          "before, and both months' samples. " + flag_text,
          "时间范围内每个自然月（UTC）的值、较上月变化及两个月的样本。" + flag_text),
        history.month_over_month(ratios),
        [SqlColumn("value", decimals=3), SqlColumn("change", decimals=3),
         SqlColumn("sample (n)", decimals=0), SqlColumn("sample previous month", decimals=0),
         SqlColumn("sample check", mappings=flag)], height=10, width=15))
    board = board.with_row(Row(t("Dive curve per business line", "各业态下探曲线")))
    board = board.with_panel(sql_table_panel(
        uid, t("Dive curve: $questionnaire overall index, $business_line",
               "下探曲线：$questionnaire 总体指数，$business_line"),
        t("Overall index per journey stage = mean of the dimension indices, each from its own "
          "sums (100 points). Sample: the fewest responses of any dimension. One panel per "
          "selected business line. " + flag_text,
          "各旅程阶段总体指数 = 各维度指数（各自由求和计算）的平均；样本：最少回访的维度。"
          "每个所选业态一个面板。" + flag_text),
        history.dive_curve(ratios),
        [SqlColumn("overall index", decimals=1,
                   thresholds=at_least(ctx.data.survey_targets.default)),
         SqlColumn("sample (fewest responses)", decimals=0),
         SqlColumn("sample check", mappings=flag)],
        height=9, width=8, repeat="business_line"))
    return board


def _low_n(ctx: Context) -> list:
    """1 -> "low n" in orange, 0 -> "ok": the minimum is the figure's own, so not in the text."""
    return [ValueMap({
        "1": ValueMappingResult(text=ctx.t("low n", "样本少"), color=ORANGE, index=0),
        "0": ValueMappingResult(text=ctx.t("ok", "足够"), color=GREEN, index=1)})]
