"""PromQL of every panel, as named functions apart from layout (kubernetes-mixin habit).

Each function returns one PromQL expression; board modules only place them. Grafana template
variables (``$queue``, ``$window``, ``$__rate_interval``) stay in the text; dashboards/promql.py
fills them for tests and the PNG renderer. Ratios come from the recording rules of
alerts/rules/ (numerators and denominators summed across workers first); each ratio has a
sample function beside it (its denominator), and ``low_sample`` flags it.
"""
