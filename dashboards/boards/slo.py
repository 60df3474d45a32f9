"""SLOs: per objective of the alert spec, the error budget left, the burn rate per window and
each tier's firing condition. Thresholds and colours come from the spec through alerts/burn.py,
and the tier columns run the alert's own expression, so a tier turns red exactly when its
alert's condition holds (the alert then waits its ``for:``)."""

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row

from alerts.durations import duration
from alerts.rules import selections, tier_rules
from alerts.slis import RATIO_SLIS
from dashboards.boards.common import frame
from dashboards.context import Context
from dashboards.panels import (
    GREEN,
    ORANGE,
    RED,
    Column,
    Series,
    firing_mapping,
    low_sample_mapping,
    stat_panel,
    steps,
    table_panel,
)
from dashboards.queries import slo
from dashboards.queries.select import low_sample

UID = "cxpulse-slos"
SEVERITY_COLOUR = {"critical": RED, "warning": ORANGE, "info": "yellow"}
NAMES = {"service_level": ("Service level (calls)", "及时接听率"),
         "complaint_response": ("Complaints answered within 24 h", "投诉 24 小时回复"),
         "complaint_solution": ("Complaints solved within 72 h", "投诉 72 小时解决")}


def build(ctx: Context) -> Dashboard:
    """One row per objective; one table per objective value (per-key overrides differ)."""
    spec = ctx.spec
    period = spec.burn_rate.period
    board = frame(ctx, UID, ctx.t("cxpulse · SLOs", "cxpulse · 服务目标 (SLO)"),
                  ctx.t("Objective, error budget left and burn rate per window, coloured by "
                        "the burn-rate tiers of alerts/spec.yaml.",
                        "目标、剩余错误预算、各窗口燃烧率，颜色取自告警规格的燃烧率分级。"),
                  time_from="now-6h", window=False)
    board = board.with_panel(stat_panel(
        ctx, ctx.t("Burn-rate alerts firing", "正在触发的燃烧率告警"),
        ctx.t("Firing burn-rate alerts (Prometheus' ALERTS series), by severity.",
              "正在触发的燃烧率告警数（按严重级别）。"),
        [Series(slo.firing_alerts(sorted({RATIO_SLIS[name].alert for name in spec.objectives})),
                "{{severity}}")],
        thresholds=steps(GREEN, (1, RED)), width=24, height=3, decimals=0))
    for name, objective in spec.objectives.items():
        sli = RATIO_SLIS[name]
        view = ctx.views[objective.view]
        key_label = view.dimensions[0]
        en, zh = NAMES[name]
        board = board.with_row(Row(ctx.t(f"{en} per {key_label}", f"{zh}（按{key_label}）")))
        for value, matcher in selections(view, objective.default, objective.keys):
            tiers = tier_rules(spec, value)
            which = ctx.t("keys " + matcher if matcher else "every key",
                          "分组 " + matcher if matcher else "所有分组")
            columns = [Column(ctx.t(f"budget left ({period})", f"剩余预算（{period}）"),
                              slo.budget_left(view, sli, period, matcher, value),
                              unit="percentunit", decimals=1,
                              thresholds=steps(RED, (0, ORANGE), (0.25, GREEN)))]
            for tier in tiers:
                colour = SEVERITY_COLOUR[tier.severity]
                for window_s in (tier.long_s, tier.short_s):
                    columns.append(Column(
                        ctx.t(f"burn {duration(window_s)} (> {tier.factor:.3g})",
                              f"燃烧率 {duration(window_s)}（> {tier.factor:.3g}）"),
                        slo.burn_rate(view, sli, window_s, matcher, value), decimals=2,
                        thresholds=steps(GREEN, (tier.factor, colour))))
            fast = tiers[0]
            sample = slo.events(view, sli, fast.long_s, matcher)
            columns.append(Column(ctx.t(f"sample {duration(fast.long_s)}",
                                        f"样本 {duration(fast.long_s)}"), sample, decimals=0))
            columns.append(Column(ctx.t("sample check", "样本检查"),
                                  low_sample(sample, objective.min_events),
                                  mappings=low_sample_mapping(ctx, objective.min_events)))
            for tier in tiers:
                expr = slo.tier_firing(spec, name, objective, view, value, tier.long_s)
                like = slo.events(view, sli, tier.long_s, matcher)
                columns.append(Column(
                    ctx.t(f"tier {duration(tier.long_s)}/{duration(tier.short_s)}",
                          f"分级 {duration(tier.long_s)}/{duration(tier.short_s)}"),
                    slo.tier_state(expr, like, ", ".join(("view", *view.dimensions, *sli.extra))),
                    mappings=firing_mapping(ctx)))
            board = board.with_panel(table_panel(
                ctx, ctx.t(f"{en}: objective {value:.4g} ({which})",
                           f"{zh}：目标 {value:.4g}（{which}）"),
                ctx.t(f"Budget left over {period} from the counters; burn rate = (1 - SLI) / "
                      f"(1 - {value:.4g}) per window, coloured at its tier's factor "
                      f"(critical red, warning orange); tier = the alert's own condition "
                      f"(both windows and at least {objective.min_events} events in the long "
                      f"one).",
                      f"剩余预算；燃烧率 = (1 - SLI) / (1 - 目标)；分级 = 告警本身的条件。"),
                columns, height=8))
    return board
