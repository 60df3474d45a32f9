"""Pure cxpulse domain code: event contract, metric maths and the Prometheus exposition.

Nothing in this package imports faust or kafka; stream code calls into it.
"""
