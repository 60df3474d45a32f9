"""Errors of the history store and its queries."""

from metrics.errors import CxpulseError


class HistoryStoreError(CxpulseError):
    """The history store cannot be reached, or its schema is newer than this cxpulse."""


class HistoryQueryError(CxpulseError):
    """A history query asks for something the store cannot answer (named in the message)."""
