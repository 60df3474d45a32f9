"""Everything Prometheus sees: instruments, view series, snapshots and the /metrics render.

The stages hand this package plain numbers (view-key window totals, counts); only here do they
become metric families, so the metric maths in metrics/ never imports a metrics client.
"""
