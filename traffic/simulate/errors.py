"""Errors of the simulator package."""

from metrics.errors import ConfigError


class ScenarioError(ConfigError):
    """A scenario file is unreadable or invalid; the message names the file and the field."""
