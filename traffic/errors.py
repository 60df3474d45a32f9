"""Errors of the traffic package (the simulator's own are in traffic/simulate/errors.py)."""

from metrics.errors import CxpulseError


class ProducerError(CxpulseError):
    """Events could not be delivered to Kafka."""
