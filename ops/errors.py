"""Errors of the ops package."""

from metrics.errors import CxpulseError


class BrokerError(CxpulseError):
    """The embedded broker could not be started or did not answer."""
