"""Grafana boards as Python code (grafana-foundation-sdk), built into dashboards/build/.

queries/ holds the PromQL as named functions, panels.py and variables.py the shapes every
board shares, boards/ one module per board; build.py writes the JSON, validate.py checks it
through the SDK's models, render.py draws it from a real Prometheus. docs/dashboards.md.
"""
