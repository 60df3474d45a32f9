"""Satisfaction (满意度): index per dimension with its sample and 95 % interval, gap to target,
the worst view keys first, and the dives on now with their drivers, so a lead sees what is worst
now, where it fell, and what it would take."""

from grafana_foundation_sdk.builders.dashboard import (
    AnnotationQuery,
    AnnotationTarget,
    Dashboard,
    Row,
)
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from dashboards.boards.common import frame
from dashboards.context import Context
from dashboards.panels import (
    BLUE,
    GREEN,
    ORANGE,
    RED,
    Column,
    Series,
    at_least,
    low_sample_mapping,
    steps,
    table_panel,
    timeseries_panel,
)
from dashboards.queries import dives, surveys
from dashboards.queries.select import low_sample
from streams.annotations import TAGS

UID = "cxpulse-satisfaction"
DIMENSION = ("questionnaire", "dimension")


def build(ctx: Context) -> Dashboard:
    """The board; rows: indices per dimension, worst keys per view, over time."""
    region = ctx.views["region"]
    catalogue = ctx.data.catalogue()
    scales = {name: q.scale_max for name, q in catalogue.items()}
    questionnaires = {name: (q.scale_max, q.dimensions) for name, q in catalogue.items()}
    targets = ctx.data.survey_targets
    default_target = targets.default
    n_min = ctx.survey_min_sample
    board = frame(ctx, UID, ctx.t("cxpulse · Satisfaction", "cxpulse · 满意度"),
                  ctx.t("Indices per dimension with their samples and intervals, the gap to "
                        "target, and the worst view keys first.",
                        "各维度指数及样本与区间、距目标差距、最差的分组优先。"))
    board = board.with_row(Row(ctx.t("Index per dimension, selected regions ($window window)",
                                     "各维度指数（所选地域，$window 窗口）")))
    index = surveys.index(region, scales, DIMENSION)
    n = surveys.responses(region, DIMENSION)
    board = board.with_panel(table_panel(
        ctx, ctx.t("Index per dimension, with n and 95 % interval",
                   "各维度指数（含样本与 95% 区间）"),
        ctx.t(f"Index = mean score / scale max x 100. Red under the target "
              f"({default_target:g} by default); gap = responses that would each have to "
              f"move up one point to reach it. Flagged under {n_min} responses.",
              f"指数 = 平均分 / 满分 x 100。低于目标为红色；差距 = 需提升一分的回访数；"
              f"少于 {n_min} 份标出。"),
        [Column(ctx.t("index", "指数"), index, decimals=1, thresholds=at_least(default_target)),
         Column(ctx.t("low 95%", "下限"), surveys.interval(region, scales, DIMENSION, -1),
                decimals=1),
         Column(ctx.t("high 95%", "上限"), surveys.interval(region, scales, DIMENSION, +1),
                decimals=1),
         Column(ctx.t("gap to target", "还差多少"),
                surveys.gap_to_target_summed(region, targets.target, questionnaires, DIMENSION),
                decimals=0, thresholds=steps(GREEN, (1, RED))),
         Column(ctx.t("sample (responses)", "样本（份）"), n, decimals=0),
         Column(ctx.t("sample check", "样本检查"), low_sample(n, n_min),
                mappings=low_sample_mapping(ctx, n_min))],
        height=12, sort_by=ctx.t("index", "指数")))
    board = board.with_row(Row(ctx.t("Worst view keys first ($window window)",
                                     "最差的分组优先（$window 窗口）")))
    for view_name, en, zh in (("region", "region", "地域"), ("channel", "channel", "渠道"),
                              ("journey", "journey stage", "旅程阶段")):
        view = ctx.views.get(view_name)
        if view is None or "surveys" not in view.groups:
            continue
        key_n = surveys.key_responses(view)
        board = board.with_panel(table_panel(
            ctx, ctx.t(f"Worst first: per {en}", f"最差优先：按{zh}"),
            ctx.t(f"Index per {en}, questionnaire and dimension, lowest first; low samples "
                  f"(under {n_min}) are flagged, not hidden.",
                  f"按{zh}的指数，由低到高；样本少于 {n_min} 标出。"),
            [Column(ctx.t("index", "指数"), surveys.key_index(view), decimals=1,
                    thresholds=at_least(default_target)),
             Column(ctx.t("gap to target", "还差多少"), surveys.gap_to_target(view), decimals=0,
                    thresholds=steps(GREEN, (1, RED))),
             Column(ctx.t("sample (responses)", "样本（份）"), key_n, decimals=0),
             Column(ctx.t("sample check", "样本检查"), low_sample(key_n, n_min),
                    mappings=low_sample_mapping(ctx, n_min))],
            height=10, width=8,
            sort_by=ctx.t("index", "指数")))
    board = board.with_row(Row(ctx.t("Over time", "趋势")))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Overall index per questionnaire and region", "各问卷总体指数（各地域）"),
        ctx.t("Mean of the dimension indices; dashed: the default target.",
              "各维度指数的算术平均；虚线：默认目标。"),
        [Series(surveys.overall_index(region), "{{region}} {{questionnaire}}")],
        thresholds=steps(RED, (default_target, GREEN)), width=16))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Sample: responses per questionnaire", "样本：各问卷回访数"),
        ctx.t(f"Responses behind the indices (the most answered dimension); the dashed line "
              f"is the minimum sample {n_min}.",
              f"指数背后的回访数；橙线为最小样本 {n_min}。"),
        [Series(f"max by (questionnaire) ({surveys.responses(region, DIMENSION)})",
                "{{questionnaire}}")],
        thresholds=steps(ORANGE, (n_min, GREEN)), minimum=0, width=8))
    return with_dives(ctx, board)


def dive_views(ctx: Context) -> list:
    """The views with dives (the data file's time views, then the journey view), configured."""
    names = [*ctx.data.dives.time_views, ctx.data.dive_journey_view()]
    return [ctx.views[n] for n in dict.fromkeys(names) if n in ctx.views]


def with_dives(ctx: Context, board: Dashboard) -> Dashboard:
    """The dives row (table of dives on now, detector ratio) and the dive annotations."""
    views = dive_views(ctx)
    if not views:
        return board
    hidden = tuple(dict.fromkeys(d for v in views for d in v.dimensions))
    rules = ctx.data.dives
    board = board.with_row(Row(ctx.t("Dives", "跳水")))
    depth = ctx.t("depth (points)", "跌幅（分）")
    board = board.with_panel(table_panel(
        ctx, ctx.t("Dives on now", "正在跳水"),
        ctx.t(f"Keys whose overall index has dived: against their own "
              f"{rules.baseline_days}-day baseline (time) or the previous stage or its "
              f"benchmark (journey). Depth +/- 95 % margin, one-sided p, responses judged and "
              f"in the reference (0 for a benchmark), the dimension that fell most and the "
              f"operational measure that rose most. Deepest first.",
              f"总体指数跳水的分组：对比自身近 {rules.baseline_days} 天基线（time）或上一阶段/"
              f"标杆（journey）。跌幅 ± 95% 误差、单侧 p、判定与参照样本（标杆为 0）、下降最多的"
              f"维度与上升最多的运营指标。跌幅大者优先。"),
        [Column(depth, dives.on_now(views, "cxpulse_dive_depth_points"), decimals=1,
                thresholds=steps(ORANGE, (rules.design_points * 2, RED))),
         Column(ctx.t("+/- margin", "± 误差"),
                dives.on_now(views, "cxpulse_dive_depth_margin_points"), decimals=1),
         Column("p", dives.on_now(views, "cxpulse_dive_p_value"), decimals=6),
         Column(ctx.t("judged (responses)", "判定样本（份）"),
                dives.on_now(views, "cxpulse_dive_responses", side="judged"), decimals=0),
         Column(ctx.t("reference (responses)", "参照样本（份）"),
                dives.on_now(views, "cxpulse_dive_responses", side="reference"), decimals=0)],
        height=8, sort_by=depth, descending=True, hidden=hidden))
    time_views = [v for v in views if v.name in rules.time_views]
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Time-dive detector: statistic / threshold", "时间跳水检测：统计量 / 阈值"),
        ctx.t("CUSUM statistic over its threshold per key (1 = in alarm; a dive is on when the "
              "samples suffice too). Its threshold already follows the key's response rate; the "
              "table above gives the samples of the dives on.",
              "各分组 CUSUM 统计量与阈值之比（1 = 报警；样本足够时即为跳水）。阈值已按分组回访"
              "速率设定；样本见上表。"),
        [Series(dives.detector_ratio(time_views), "{{key}}")],
        thresholds=steps(BLUE, (1, RED)), minimum=0, maximum=1, width=24))
    prometheus = DataSourceRef(type_val="prometheus", uid=ctx.datasource_uid)
    board = board.annotation(AnnotationQuery().name(ctx.t("Dive starts", "跳水开始"))
                             .datasource(prometheus).enable(True).icon_color("red")
                             .expr(dives.starts(views)))
    board = board.annotation(AnnotationQuery().name(ctx.t("Dive ends", "跳水结束"))
                             .datasource(prometheus).enable(True).icon_color("green")
                             .expr(dives.ends(views)))
    return board.annotation(
        AnnotationQuery().name(ctx.t("Dives (annotator)", "跳水（标注器）"))
        .datasource(DataSourceRef(type_val="grafana", uid="-- Grafana --")).enable(True)
        .icon_color("purple")
        .target(AnnotationTarget().type("tags").tags(list(TAGS))
                .match_any(False).limit(100)))
