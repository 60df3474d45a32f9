"""Pipeline health: events in, rejections by reason, late events, lag, seeks and skipped
messages, worker status, scrape duration, event-loop lag and garbage-collection pauses."""

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from grafana_foundation_sdk.models.dashboard import ValueMap, ValueMappingResult

from dashboards.boards.common import frame
from dashboards.context import Context
from dashboards.panels import (
    GREEN,
    ORANGE,
    RED,
    Column,
    Series,
    low_sample_mapping,
    stat_panel,
    steps,
    table_panel,
    timeseries_panel,
)
from dashboards.queries import pipeline
from dashboards.queries.select import low_sample

UID = "cxpulse-pipeline"


def build(ctx: Context) -> Dashboard:
    """The board; rows: workers, flow, data quality, loss and rebalances, event loop."""
    limits = ctx.spec.pipeline
    dead, late, loop = limits["deadletter_rate"], limits["late_events"], limits["event_loop_lag"]
    board = frame(ctx, UID, ctx.t("cxpulse · Pipeline health", "cxpulse · 管道健康"),
                  ctx.t("Workers, events in, rejections, late events, lag, seeks and skipped "
                        "messages, scrape cost, event-loop lag and GC pauses.",
                        "工作进程、流入事件、拒收、迟到、积压、回退与跳过、抓取耗时、事件循环延迟与 GC 暂停。"),
                  window=False)
    board = board.with_row(Row(ctx.t("Workers", "工作进程")))
    board = board.with_panel(stat_panel(
        ctx, ctx.t("Worker status", "工作进程状态"),
        ctx.t("Prometheus' up per worker: 1 scraped, 0 unreachable (CxpulseWorkerDown).",
              "每个 worker 的 up：1 正常，0 无法抓取。"),
        [Series(pipeline.workers_up(), "{{instance}}")],
        thresholds=steps(RED, (1, GREEN)),
        mappings=[ValueMap({"1": ValueMappingResult(text=ctx.t("up", "在线"), index=0),
                            "0": ValueMappingResult(text=ctx.t("DOWN", "离线"), index=1)})],
        width=8, height=5))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Scrape duration per worker", "每个 worker 的抓取耗时"),
        ctx.t("Seconds to render one /metrics; OpenMetrics asks for under a second.",
              "一次 /metrics 的耗时；应低于 1 秒。"),
        [Series(pipeline.scrape_duration_s(), "{{instance}}")], unit="s", minimum=0,
        thresholds=steps(GREEN, (1, RED)), width=8, height=5))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Series per worker", "每个 worker 的序列数"),
        ctx.t("Samples per scrape (the series budget, docs/metrics.md).",
              "每次抓取的样本数（序列预算）。"),
        [Series(pipeline.scrape_samples(), "{{instance}}")], minimum=0, width=8, height=5))
    board = board.with_row(Row(ctx.t("Flow", "流量")))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Events in per topic", "各主题流入事件"),
        ctx.t("Accepted events per second, all workers.", "每秒接受的事件数。"),
        [Series(pipeline.events_in(), "{{topic}}")], unit="eps", minimum=0))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Consumer lag per topic", "各主题消费积压"),
        ctx.t(f"Messages behind the high-water mark; the alert pages above "
              f"{limits['consumer_lag'].above:g}.", "落后于最高水位的消息数。"),
        [Series(pipeline.consumer_lag(), "{{topic}}")], minimum=0,
        thresholds=steps(GREEN, (limits["consumer_lag"].above, RED))))
    board = board.with_row(Row(ctx.t("Data quality", "数据质量")))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Rejections by reason", "按原因的拒收"),
        ctx.t("Rejected (dead-lettered) events per second by topic and reason.",
              "每秒拒收（死信）事件数。"),
        [Series(pipeline.rejections_by_reason(), "{{topic}} {{reason}}")], unit="eps",
        minimum=0))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Late and duplicate events", "迟到与重复事件"),
        ctx.t("Late events are counted and left out of every metric; duplicates are dropped.",
              "迟到事件计数但不计入指标；重复事件被丢弃。"),
        [Series(pipeline.late_per_s(), ctx.t("{{topic}} late", "{{topic}} 迟到")),
         Series(pipeline.duplicates_per_s(), ctx.t("{{topic}} duplicate", "{{topic}} 重复"))],
        unit="eps", minimum=0))
    board = board.with_panel(table_panel(
        ctx, ctx.t("Rejected and late ratios (10 min) per topic", "拒收率与迟到率（10 分钟）"),
        ctx.t(f"Rejected / received and late / valid over 10 minutes, with the events behind "
              f"them; the alerts need {dead.min_events} events.",
              f"拒收率与迟到率及其样本；告警需要至少 {dead.min_events} 个事件。"),
        [Column(ctx.t("rejected", "拒收率"), pipeline.rejected_ratio(), unit="percentunit",
                decimals=2, thresholds=steps(GREEN, (dead.above, RED))),
         Column(ctx.t("sample (received)", "样本（接收）"), pipeline.received_10m(), decimals=0),
         Column(ctx.t("late", "迟到率"), pipeline.late_ratio(), unit="percentunit", decimals=2,
                thresholds=steps(GREEN, (late.above, RED))),
         Column(ctx.t("sample (valid)", "样本（有效）"), pipeline.valid_10m(), decimals=0),
         Column(ctx.t("sample check", "样本检查"), low_sample(pipeline.received_10m(),
                                                          dead.min_events),
                mappings=low_sample_mapping(ctx, dead.min_events))], height=6))
    board = board.with_row(Row(ctx.t("Loss and rebalances (in the time range)",
                                     "丢失与再平衡（所选时间范围）")))
    board = board.with_panel(table_panel(
        ctx, ctx.t("Seeks, skipped and stale messages per topic", "回退、跳过与过期消息"),
        ctx.t("Skipped messages are loss (page); seeks and stale messages follow rebalances "
              "and restarts.", "跳过即丢失（告警）；回退与过期随再平衡与重启出现。"),
        [Column(ctx.t("seeks", "回退"), pipeline.seeks(), decimals=0),
         Column(ctx.t("skipped", "跳过"), pipeline.skipped(), decimals=0,
                thresholds=steps(GREEN, (1, RED))),
         Column(ctx.t("stale", "过期"), pipeline.stale_messages(), decimals=0)],
        width=12, height=7))
    board = board.with_panel(table_panel(
        ctx, ctx.t("Stage-2 partials by result", "二阶段分片（按结果）"),
        ctx.t("overlap and unknown_view partials are anomalies (alert); folded keys mean a "
              "view reached its key cap.", "overlap 与 unknown_view 为异常；折叠表示视图达到分组上限。"),
        [Column(ctx.t("partials", "分片"), pipeline.partials(), decimals=0)],
        width=6, height=7))
    board = board.with_panel(table_panel(
        ctx, ctx.t("Folded into other", "折叠到 other"), "",
        [Column(ctx.t("folded", "折叠"), pipeline.folded(), decimals=0,
                thresholds=steps(GREEN, (1, ORANGE)))], width=6, height=7))
    board = board.with_row(Row(ctx.t("Event loop", "事件循环")))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Event-loop lag p99 per worker", "事件循环延迟 p99"),
        ctx.t(f"How late a short sleep wakes (cxpulse_event_loop_lag_seconds, 5 min); the "
              f"alert fires above {loop.above:g} s.", f"告警阈值 {loop.above:g} 秒。"),
        [Series(pipeline.loop_lag_p99_s(), "{{instance}}")], unit="s", minimum=0,
        thresholds=steps(GREEN, (loop.above, RED)), width=8))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("GC pauses p99 per generation", "GC 暂停 p99（按代）"),
        ctx.t("cxpulse_gc_pause_seconds: a collection holds the interpreter lock; thin "
              "dashed (right axis): collections per second.", "GC 持有解释器锁；细虚线：每秒回收次数。"),
        [Series(pipeline.gc_pause_p99_s(), "{{instance}} gen {{generation}}"),
         Series(pipeline.gc_pauses_per_s(), ctx.t("{{instance}} gen {{generation}} /s",
                                                  "{{instance}} 第{{generation}}代 /秒"),
                sample=True)], unit="s", minimum=0, width=8))
    board = board.with_panel(timeseries_panel(
        ctx, ctx.t("Flush time p99 and event age p90", "刷写耗时 p99 与事件时延 p90"),
        ctx.t("Stage-1 flush wall time per worker; processing time minus event time per topic.",
              "一阶段刷写耗时；处理时间减事件时间。"),
        [Series(pipeline.flush_p99_s(), ctx.t("{{instance}} flush", "{{instance}} 刷写")),
         Series(pipeline.event_age_p90_s(), ctx.t("{{topic}} event age", "{{topic}} 事件时延"))],
        unit="s", minimum=0, width=8))
    return board
