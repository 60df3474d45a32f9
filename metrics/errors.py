"""The project's exception hierarchy: every cxpulse error derives from CxpulseError."""


class CxpulseError(Exception):
    """Base class of every error cxpulse raises on purpose."""


class ConfigError(CxpulseError):
    """A setting or configuration file is invalid; the message names the setting."""


class RejectedEvent(CxpulseError):
    """An input message failed validation.

    ``reason`` is one of the closed set in :mod:`metrics.events.reasons` (it becomes a metric
    label, so it must stay low-cardinality); ``detail`` is the human-readable explanation.
    """

    def __init__(self, reason: str, detail: str, index: int | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.index = index


class MetricInputError(CxpulseError, ValueError):
    """A metric function got an impossible input (negative time, count above its total, ...).

    Also a ValueError, so callers that only know the standard library can catch it.
    """
