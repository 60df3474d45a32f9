"""Errors of the streams package."""

from pathlib import Path

from metrics.errors import ConfigError


class DataConfigError(ConfigError):
    """The data file (streams/dataconfig.py) cannot be read or does not fit its schema.

    ``problems`` holds one ``path: message`` line per problem; the message names the file.
    """

    def __init__(self, source: Path, problems: list[str]) -> None:
        super().__init__(f"data file {source}:\n" + "\n".join(f"  {p}" for p in problems))
        self.source = source
        self.problems = problems
