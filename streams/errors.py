"""Errors of the streams package."""

from metrics.errors import CxpulseError


class BrokerError(CxpulseError):
    """The embedded broker could not be started or did not answer."""


class ProducerError(CxpulseError):
    """Events could not be delivered to Kafka."""
