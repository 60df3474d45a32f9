"""Annotation text of every alert, in English and Chinese (CXPULSE_ALERT_LANGUAGE picks one).

Each entry is ``(summary, description)`` per language: Python format strings whose fields the
generator fills with figures and Go-template snippets (``{key}`` is the view key, ``{value}``
and ``{n}`` expand in Prometheus when the alert fires). Summaries name the view key; every
description of a ratio alert gives the value, the objective or limit, and the sample size.
"""

Language = str
LANGUAGES = ("en", "zh")

#: SLI nouns: (English, Chinese, unit in English, unit in Chinese).
NOUNS = {
    "service_level": ("service level (answered within the ring target)", "及时接听率", "calls",
                      "通来电"),
    "complaint_response": ("complaints answered within 24 business hours", "投诉24小时回复及时率",
                           "complaints", "件投诉"),
    "complaint_solution": ("complaints solved within 72 business hours", "投诉72小时解决及时率",
                           "complaints", "件投诉"),
    "first_response_score": ("mean first-response score", "首次响应平均得分", "first responses",
                             "次首次响应"),
    "survey_index": ("survey index", "满意度指数", "responses", "份答卷"),
}

TEXTS: dict[str, dict[Language, tuple[str, str]]] = {
    "BudgetBurn": {
        "en": ("{key}: {noun} is burning its error budget ({long} window)",
               "{key}: {noun} was {value} over the last {long} (objective {objective}), on {n} "
               "{unit}; it also fell below {threshold} over the last {short}. That burns the "
               "error budget at least {factor}x as fast as the objective allows."),
        "zh": ("{key}：{noun}正在消耗错误预算（{long}窗口）",
               "{key}：最近{long}{noun}为 {value}（目标 {objective}），样本 {n} {unit}；最近{short}"
               "也低于 {threshold}。错误预算消耗速度至少是目标允许的 {factor} 倍。"),
    },
    "CxpulseFirstResponseScoreLow": {
        "en": ("{key}: mean first-response score of {{{{ $labels.kind }}}} tickets is low",
               "{key}: {{{{ $labels.kind }}}} tickets scored {value} points on average for their "
               "first response in the {window} window (limit {threshold}), on {n} first "
               "responses."),
        "zh": ("{key}：{{{{ $labels.kind }}}}工单首次响应平均得分偏低",
               "{key}：{window}窗口内{{{{ $labels.kind }}}}工单首次响应平均 {value} 分（下限 "
               "{threshold}），样本 {n} 次首次响应。"),
    },
    "CxpulseSurveyIndexBelowTarget": {
        "en": ("{key}: {{{{ $labels.questionnaire }}}}/{{{{ $labels.dimension }}}} index below "
               "target",
               "{key}: the {{{{ $labels.questionnaire }}}} {{{{ $labels.dimension }}}} index is "
               "{value} in the {window} window (target {{{{ $labels.target }}}}), on {n} "
               "responses; {gap} responses would each have to score one point higher to reach "
               "it."),
        "zh": ("{key}：{{{{ $labels.questionnaire }}}}/{{{{ $labels.dimension }}}}满意度指数低于目标",
               "{key}：{window}窗口内 {{{{ $labels.questionnaire }}}} {{{{ $labels.dimension }}}} "
               "指数为 {value}（目标 {{{{ $labels.target }}}}），样本 {n} 份答卷；还差 {gap} 份"
               "答卷各提高一分才能达标。"),
    },
    "CxpulseSliAbsent": {
        "en": ("No {slo} data from any worker",
               "No worker has exported {series} for {for_}: the {slo} alerts "
               "cannot fire."),
        "zh": ("没有任何 worker 上报 {slo} 数据",
               "已有{for_}没有任何 worker 导出 {series}：{slo} 告警无法触发。"),
    },
    "CxpulseSliStale": {
        "en": ("{slo} data has stopped moving",
               "{series} has not changed on any key of view {{{{ $labels.view }}}} for "
               "{stale_after}: no new events reach this SLI, so its alerts judge old data."),
        "zh": ("{slo} 数据已停止更新",
               "视图 {{{{ $labels.view }}}} 的 {series} 已有{stale_after}没有变化：没有新事件进入"
               "该指标，相关告警基于过期数据。"),
    },
    "CxpulseWorkerDown": {
        "en": ("cxpulse worker {{{{ $labels.instance }}}} is down",
               "Prometheus has failed to scrape the cxpulse worker {{{{ $labels.instance }}}} "
               "for {for_}. Its partitions move to the remaining workers after the session "
               "timeout; if no worker is left, no events are processed."),
        "zh": ("cxpulse worker {{{{ $labels.instance }}}} 宕机",
               "Prometheus 已有{for_}无法抓取 worker {{{{ $labels.instance }}}}。会话超时后其分区"
               "转移到其余 worker；若无 worker 存活，事件将不再被处理。"),
    },
    "CxpulseNoWorkerUp": {
        "en": ("No cxpulse worker is up",
               "For {for_} no cxpulse worker has been scraped successfully (or none is "
               "configured): no events are processed and every live metric is stale."),
        "zh": ("没有任何 cxpulse worker 在运行",
               "已有{for_}没有成功抓取任何 cxpulse worker（或未配置）：事件不再处理，所有实时指标"
               "均已过期。"),
    },
    "CxpulseConsumerLagHigh": {
        "en": ("Consumer lag on {{{{ $labels.topic }}}} is {value} messages",
               "The workers are {value} messages behind on {{{{ $labels.topic }}}} (limit "
               "{threshold}) for {for_}: live figures trail reality."),
        "zh": ("{{{{ $labels.topic }}}} 消费积压 {value} 条",
               "worker 在 {{{{ $labels.topic }}}} 上落后 {value} 条消息（上限 {threshold}）已持续"
               "{for_}：实时指标滞后。"),
    },
    "CxpulseMessagesSkipped": {
        "en": ("Messages on {{{{ $labels.topic }}}} were skipped: data lost",
               "{value} messages on {{{{ $labels.topic }}}} were never read in the last "
               "{window} because the offset their state needs was gone (retention)."),
        "zh": ("{{{{ $labels.topic }}}} 有消息被跳过：数据丢失",
               "最近{window}内 {{{{ $labels.topic }}}} 有 {value} 条消息因所需位点已过期（保留期）"
               "而未被读取。"),
    },
    "CxpulseDeadLetterWriteFailed": {
        "en": ("Rejected events on {{{{ $labels.topic }}}} could not be dead-lettered",
               "{value} rejections from {{{{ $labels.topic }}}} could not be written to the "
               "dead-letter topic in the last {window}: that rejected input is lost."),
        "zh": ("{{{{ $labels.topic }}}} 的拒收事件无法写入死信主题",
               "最近{window}内 {{{{ $labels.topic }}}} 有 {value} 条拒收事件写入死信主题失败："
               "这些输入已丢失。"),
    },
    "CxpulseDeadLetterRateHigh": {
        "en": ("{value} of events on {{{{ $labels.topic }}}} are rejected",
               "{value} of the events on {{{{ $labels.topic }}}} were rejected to the dead-letter "
               "topic over the last {window} (limit {threshold}), on {n} events."),
        "zh": ("{{{{ $labels.topic }}}} 拒收比例 {value}",
               "最近{window}内 {{{{ $labels.topic }}}} 有 {value} 的事件被拒收进入死信主题（上限 "
               "{threshold}），样本 {n} 条事件。"),
    },
    "CxpulseLateEventsHigh": {
        "en": ("{value} of events on {{{{ $labels.topic }}}} arrive late",
               "{value} of the valid events on {{{{ $labels.topic }}}} arrived after the grace "
               "period over the last {window} (limit {threshold}), on {n} events; late events "
               "are left out of every metric."),
        "zh": ("{{{{ $labels.topic }}}} 迟到事件比例 {value}",
               "最近{window}内 {{{{ $labels.topic }}}} 有 {value} 的有效事件超过宽限期到达（上限 "
               "{threshold}），样本 {n} 条事件；迟到事件不计入任何指标。"),
    },
    "CxpulsePartialsAnomalous": {
        "en": ("Stage 2 saw {{{{ $labels.result }}}} partials",
               "{value} partials ended as {{{{ $labels.result }}}} in the last {window}: an "
               "overlap may double-count, unknown_view means workers disagree on the views."),
        "zh": ("第二阶段出现 {{{{ $labels.result }}}} 分片",
               "最近{window}内有 {value} 个分片结果为 {{{{ $labels.result }}}}：overlap 可能重复"
               "计数，unknown_view 说明各 worker 的视图配置不一致。"),
    },
    "CxpulseEventLoopLagHigh": {
        "en": ("Event loop of {{{{ $labels.instance }}}} lags {value}",
               "The 99th percentile event-loop lag of {{{{ $labels.instance }}}} over {window} "
               "is {value} (limit {threshold}): the worker is overloaded or blocked."),
        "zh": ("{{{{ $labels.instance }}}} 事件循环延迟 {value}",
               "{{{{ $labels.instance }}}} 最近{window}事件循环延迟 P99 为 {value}（上限 "
               "{threshold}）：worker 过载或被阻塞。"),
    },
    "CxpulseViewKeysFolded": {
        "en": ("View {{{{ $labels.view }}}} folds keys into other",
               "{value} partials of view {{{{ $labels.view }}}} were folded into its other key "
               "in the last {window}: the view has more keys than max_keys."),
        "zh": ("视图 {{{{ $labels.view }}}} 的键被折叠进 other",
               "最近{window}内视图 {{{{ $labels.view }}}} 有 {value} 个分片被折叠进 other 键："
               "键数超过 max_keys。"),
    },
    "CxpulseTimeDive": {
        "en": ("{key}: satisfaction dived {depth} points below its own baseline",
               "{key}: the overall index is {depth} +/- {margin} points below the key's own "
               "{window} baseline (p = {p}), on {judged} responses since the fall began against "
               "{reference} in the baseline; the sequential detector has held the dive for "
               "{for_}. Driver dimension: {dimension}; operational measure: {measure}. "
               "`cxpulse dives` says when it began."),
        "zh": ("{key}：满意度较自身基线跳水 {depth} 分",
               "{key}：总体指数比该分组自身{window}基线低 {depth} ± {margin} 分（p = {p}），"
               "下跌以来样本 {judged} 份答卷，基线 {reference} 份；序贯检测已持续{for_}。主要下降"
               "维度：{dimension}；运营指标：{measure}。`cxpulse dives` 可查看开始时间。"),
    },
    "CxpulseJourneyDive": {
        "en": ("{key}: journey stage sits {depth} points under its reference "
               "({{{{ $labels.kind }}}})",
               "{key}: over the last {window} the stage's overall index is {depth} +/- {margin} "
               "points below its reference ({{{{ $labels.kind }}}}: the previous stage or the "
               "stage's benchmark), p = {p}, on {judged} responses against {reference} (0 for a "
               "benchmark), for {for_}. Driver dimension: {dimension}; operational measure: "
               "{measure}."),
        "zh": ("{key}：旅程阶段低于参照（{{{{ $labels.kind }}}}）{depth} 分",
               "{key}：最近{window}该阶段总体指数比参照（{{{{ $labels.kind }}}}：上一阶段或本阶段"
               "标杆）低 {depth} ± {margin} 分（p = {p}），样本 {judged} 份答卷，参照 {reference} "
               "份（标杆为 0），已持续{for_}。主要下降维度：{dimension}；运营指标：{measure}。"),
    },
    "CxpulseCalendarFallback": {
        "en": ("Complaint clocks use the weekday fallback calendar",
               "{value} dates had no holiday data and were decided Monday-Friday: complaint "
               "clocks on those dates ignore holidays and 调休 make-up days."),
        "zh": ("投诉时限使用了工作日兜底日历",
               "有 {value} 个日期缺少节假日数据，按周一至周五判定：这些日期的投诉时限忽略节假日与"
               "调休。"),
    },
}
