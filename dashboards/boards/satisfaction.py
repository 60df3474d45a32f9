"""Satisfaction (满意度): index per dimension with its sample and 95 % interval, gap to target,
and the worst view keys first, so a lead sees what is worst now and what it would take."""

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from dashboards.boards.common import frame
from dashboards.context import Context
from dashboards.panels import (
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
from dashboards.queries import surveys
from dashboards.queries.select import low_sample

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
    return board
