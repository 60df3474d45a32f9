"""Operations live (运营实时): per queue, service level within N rings against its target,
calls offered and abandoned, short abandons, speed of answer, what changed in the last hour.
Refreshes every 10 s."""

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from alerts.rules import selections
from dashboards.boards.common import frame
from dashboards.context import Context
from dashboards.panels import (
    Column,
    Series,
    at_least,
    low_sample_mapping,
    steps,
    table_panel,
    timeseries_panel,
    GREEN,
    ORANGE,
    RED,
)
from dashboards.queries import calls
from dashboards.queries.select import low_sample

UID = "cxpulse-operations"


def build(ctx: Context) -> Dashboard:
    """The board; rows: now per queue, over time, what changed."""
    view = ctx.views["queue"]
    objective = ctx.spec.objectives["service_level"]
    chosen = selections(view, objective.default, objective.keys)
    rings = ctx.data.ring_targets
    n_min = ctx.calls_min_sample
    board = frame(ctx, UID, ctx.t("cxpulse · Operations live", "cxpulse · 运营实时"),
                  ctx.t("Per queue, now: service level within N rings against its target, "
                        "calls, abandons, speed of answer; what changed in the last hour.",
                        "各队列实时：N 声内接通率对比目标、来电、放弃、平均应答时长、近一小时变化。"),
                  refresh="10s")
    board = board.with_row(Row(ctx.t("Now, per queue ($window window)",
                                     "当前各队列（$window 窗口）")))
    board = board.with_panel(table_panel(
        ctx, ctx.t("Service level within N rings vs target", "N 声内接通率 vs 目标"),
        ctx.t(f"Answered within the queue's ring target / (offered - short abandons). Red "
              f"under the objective of the alert spec; 'sample' is the calls behind the ratio, "
              f"flagged under {n_min} (the alert's minimum).",
              f"在队列振铃目标内接听 / (来电 - 短时放弃)。低于告警目标为红色；样本少于 {n_min} 时标出。"),
        [Column(ctx.t("rings (N)", "振铃数 N"), calls.ring_target(view, rings.default,
                                                                  rings.queues), decimals=0),
         Column(ctx.t("service level", "接通率"), calls.service_level(view),
                unit="percentunit", decimals=1, thresholds=at_least(objective.default)),
         Column(ctx.t("objective", "目标"), calls.objective(view, chosen),
                unit="percentunit", decimals=0),
         Column(ctx.t("vs objective", "差距"), calls.service_level_vs_objective(view, chosen),
                unit="percentunit", decimals=1, thresholds=steps(RED, (0, GREEN))),
         Column(ctx.t("sample (calls)", "样本（通）"), calls.eligible_calls(view), decimals=0),
         Column(ctx.t("sample check", "样本检查"), low_sample(calls.eligible_calls(view), n_min),
                mappings=low_sample_mapping(ctx, n_min)),
         Column(ctx.t("offered", "来电"), calls.component(view, "offered"), decimals=0),
         Column(ctx.t("abandoned", "放弃"), calls.component(view, "abandoned"), decimals=0),
         Column(ctx.t("short abandons", "短时放弃"), calls.component(view, "short_abandoned"),
                decimals=0),
         Column(ctx.t("abandonment", "放弃率"), calls.abandonment(view), unit="percentunit",
                decimals=1, thresholds=steps(GREEN, (0.05, ORANGE), (0.10, RED))),
         Column(ctx.t("speed of answer", "平均应答"), calls.speed_of_answer(view), unit="s",
                decimals=1),
         Column(ctx.t("answered", "接听"), calls.component(view, "answered"), decimals=0)],
        height=9))
    board = board.with_row(Row(ctx.t("Over time", "趋势")))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Service level per queue ($window window)", "各队列接通率（$window 窗口）"),
        ctx.t("Solid: service level; thin dashed (right axis): calls behind it. Green dashed: "
              "the default objective.", "实线：接通率；细虚线（右轴）：样本通数。绿色虚线：默认目标。"),
        [Series(calls.service_level(view), "{{queue}}"),
         Series(calls.eligible_calls(view), ctx.t("{{queue}} calls", "{{queue}} 通数"),
                sample=True)],
        unit="percentunit", minimum=0, maximum=1, thresholds=at_least(objective.default)))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Calls per minute: offered, abandoned, short abandons",
                   "每分钟来电、放弃、短时放弃"),
        ctx.t("Stage-1 counters summed across workers (arrival time).",
              "各 worker 计数之和（到达时间）。"),
        [Series(calls.per_minute(view, "offered"), ctx.t("{{queue}} offered", "{{queue}} 来电")),
         Series(calls.per_minute(view, "abandoned"),
                ctx.t("{{queue}} abandoned", "{{queue}} 放弃")),
         Series(calls.per_minute(view, "short_abandoned"),
                ctx.t("{{queue}} short abandons", "{{queue}} 短时放弃"))],
        unit="cpm", minimum=0))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Speed of answer per queue ($window window)", "各队列平均应答时长"),
        ctx.t("Mean wait of answered calls; thin dashed (right axis): answered calls behind it.",
              "已接来电的平均等待；细虚线（右轴）：样本接听数。"),
        [Series(calls.speed_of_answer(view), "{{queue}}"),
         Series(calls.component(view, "answered"), ctx.t("{{queue}} answered", "{{queue}} 接听"),
                sample=True)],
        unit="s", minimum=0, width=24))
    board = board.with_row(Row(ctx.t("What changed in the last hour", "近一小时变化")))
    board = board.with_panel(table_panel(
        ctx, ctx.t("Last hour against the day and against an hour ago",
                   "近一小时 vs 全天、vs 一小时前"),
        ctx.t("Service level of the 1 h window minus the 24 h window (what the last hour did "
              "differently), and minus the 1 h window an hour ago; calls offered against an "
              "hour ago. Red: worse.",
              "1 小时窗口接通率减 24 小时窗口，及减一小时前；来电量对比一小时前。红色：变差。"),
        [Column(ctx.t("SL 1h - 24h", "接通率 1h-24h"), calls.change_vs_day(view),
                unit="percentunit", decimals=1, thresholds=steps(RED, (-0.05, ORANGE),
                                                                 (0, GREEN))),
         Column(ctx.t("SL now - 1h ago", "接通率 较一小时前"), calls.change_vs_hour_ago(view),
                unit="percentunit", decimals=1, thresholds=steps(RED, (-0.05, ORANGE),
                                                                 (0, GREEN))),
         Column(ctx.t("offered now - 1h ago", "来电 较一小时前"),
                calls.offered_change_vs_hour_ago(view), decimals=0),
         Column(ctx.t("sample 1h (calls)", "1h 样本（通）"),
                calls.eligible_calls(view, window="1h"),
                decimals=0),
         Column(ctx.t("sample check", "样本检查"),
                low_sample(calls.eligible_calls(view, window="1h"), n_min),
                mappings=low_sample_mapping(ctx, n_min))],
        height=7))
    return board
