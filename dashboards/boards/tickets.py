"""Tickets (工单): first-response bands (5/4/3/1 points), complaint 24 h / 72 h clocks and
breaches, backlog and age, closure, on-time, repeat and first-contact rates."""

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

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
    bars_panel,
    low_sample_mapping,
    steps,
    table_panel,
    timeseries_panel,
)
from dashboards.queries import tickets
from dashboards.queries.select import low_sample

UID = "cxpulse-tickets"


def build(ctx: Context) -> Dashboard:
    """The board; rows: response bands, complaint clocks, backlog, rates per queue."""
    queue, region = ctx.views["queue"], ctx.views["region"]
    score = ctx.spec.thresholds["first_response_score"]
    n_resp, n_clock, n_rate = (ctx.responses_min_sample, ctx.complaints_min_sample,
                               ctx.default_min_sample)
    response = ctx.spec.objectives["complaint_response"].default
    solution = ctx.spec.objectives["complaint_solution"].default
    board = frame(ctx, UID, ctx.t("cxpulse · Tickets", "cxpulse · 工单"),
                  ctx.t("First-response bands, complaint clocks, backlog and age, closure, "
                        "on-time, repeat and first-contact rates.",
                        "首次响应评分段、投诉时限、积压与时长、关闭率、按时率、重复率、一次解决率。"))
    board = board.with_row(Row(ctx.t("First response, $window window",
                                     "首次响应评分（$window 窗口）")))
    board = board.with_panel(bars_panel(
        ctx, ctx.t("First-response band distribution", "首次响应评分分布"),
        ctx.t("Share of first responses per band: 5 points under 1 h, 4 under 3 h, 3 up to "
              "24 h, 1 beyond (selected queues, all kinds). The sample is beside it.",
              "各评分段占比：1 小时内 5 分，3 小时内 4 分，24 小时内 3 分，超过 1 分。"),
        [Series(tickets.response_points_share(queue), ctx.t("{{points}} points", "{{points}} 分"))],
        unit="percentunit", width=16))
    board = board.with_panel(bars_panel(
        ctx, ctx.t("Sample: first responses", "样本：首次响应数"),
        ctx.t(f"First responses behind the distribution; orange under {n_resp}.",
              f"分布背后的首次响应数；少于 {n_resp} 为橙色。"),
        [Series(tickets.first_responses_all(queue), ctx.t("first responses", "首次响应"))],
        thresholds=steps(ORANGE, (n_resp, BLUE)), width=8))
    board = board.with_panel(table_panel(
        ctx, ctx.t("Mean first-response score per queue and kind", "各队列各类工单首次响应平均分"),
        ctx.t(f"Red under {score.default:g} (the alert's limit), on {n_resp} or more "
              f"first responses.", f"低于 {score.default:g} 为红色（告警阈值）。"),
        [Column(ctx.t("mean points", "平均分"), tickets.first_response_points(queue),
                decimals=2, thresholds=at_least(score.default)),
         Column(ctx.t("sample (responses)", "样本（响应数）"),
                tickets.component(queue, "first_responses"), decimals=0),
         Column(ctx.t("sample check", "样本检查"),
                low_sample(tickets.component(queue, "first_responses"), n_resp),
                mappings=low_sample_mapping(ctx, n_resp))], height=9))
    board = board.with_row(Row(ctx.t("Complaint clocks: 24 h response, 72 h "
                                     "solution, business hours", "投诉时限：24 小时回复，72 小时解决")))
    for clock, objective, en, zh in (("response", response, "24 h response", "24 小时回复"),
                                     ("solution", solution, "72 h solution", "72 小时解决")):
        board = board.with_panel(table_panel(
            ctx, ctx.t(f"Complaints on time: {en}, per region", f"投诉按时：{zh}（各地域）"),
            ctx.t(f"Judged complaints within the clock / judged; red under the objective "
                  f"{objective:.0%}; breaches = judged late.",
                  f"时限内 / 已判定；低于目标 {objective:.0%} 为红色；超时 = 判定超时数。"),
            [Column(ctx.t("on time", "按时率"), tickets.clock_on_time(region, clock),
                    unit="percentunit", decimals=1, thresholds=at_least(objective)),
             Column(ctx.t("breaches", "超时"), tickets.clock_breaches(region, clock),
                    decimals=0, thresholds=steps(GREEN, (1, RED))),
             Column(ctx.t("sample (judged)", "样本（已判定）"),
                    tickets.clock_judged(region, clock), decimals=0),
             Column(ctx.t("sample check", "样本检查"),
                    low_sample(tickets.clock_judged(region, clock), n_clock),
                    mappings=low_sample_mapping(ctx, n_clock))], width=12, height=7))
    board = board.with_row(Row(ctx.t("Backlog and age (now)", "积压与时长（当前）")))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Open tickets per kind", "各类未结工单"),
        ctx.t("Tickets open now, selected queues.", "当前未结工单（所选队列）。"),
        [Series(tickets.backlog(queue), "{{kind}}")], minimum=0))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Mean age of open tickets per kind", "未结工单平均时长"),
        ctx.t("now - mean creation time of the open tickets (wall clock).",
              "当前时间 - 未结工单平均创建时间。"),
        [Series(tickets.backlog_mean_age_s(queue), "{{kind}}")], unit="s", minimum=0))
    board = board.with_row(Row(ctx.t("Rates per queue and kind ($window window)",
                                     "各队列各类工单比率（$window 窗口）")))
    board = board.with_panel(table_panel(
        ctx, ctx.t("Closure, on-time and repeat rates", "关闭率、按时整改率、重复率"),
        ctx.t(f"Closure = closed / (created + reopened); on time = closed by the due date / "
              f"closed with one; repeat = repeats / created. Each with its sample; flagged "
              f"under {n_rate}.", f"关闭率、按时率、重复率及各自样本；少于 {n_rate} 标出。"),
        [Column(ctx.t("closure", "关闭率"), tickets.closure(queue), unit="percentunit",
                decimals=1),
         Column(ctx.t("sample (closure)", "样本（关闭）"), tickets.closure_sample(queue), decimals=0),
         Column(ctx.t("on time", "按时率"), tickets.on_time(queue), unit="percentunit",
                decimals=1),
         Column(ctx.t("sample (on time)", "样本（按时）"), tickets.component(queue, "closed_with_due_date"),
                decimals=0),
         Column(ctx.t("repeat", "重复率"), tickets.repeat(queue), unit="percentunit",
                decimals=1, thresholds=steps(GREEN, (0.1, ORANGE), (0.2, RED))),
         Column(ctx.t("sample (created)", "样本（新建）"), tickets.component(queue, "created"), decimals=0),
         Column(ctx.t("sample check", "样本检查"),
                low_sample(tickets.component(queue, "created"), n_rate),
                mappings=low_sample_mapping(ctx, n_rate))], height=10, width=16))
    board = board.with_panel(table_panel(
        ctx, ctx.t("First-contact resolution per queue", "各队列一次解决率"),
        ctx.t("(contacts - failed) / contacts: no reopen and no further contact on the issue "
              "within the FCR window, across channels.", "无重开且窗口内无再次联系的比例。"),
        [Column(ctx.t("FCR", "一次解决率"), tickets.fcr(queue), unit="percentunit", decimals=1),
         Column(ctx.t("sample (contacts)", "样本（联系数）"), tickets.fcr_contacts(queue),
                decimals=0),
         Column(ctx.t("sample check", "样本检查"), low_sample(tickets.fcr_contacts(queue), n_rate),
                mappings=low_sample_mapping(ctx, n_rate))], height=10, width=8))
    return board
