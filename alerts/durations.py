"""Prometheus durations (``30s``, ``5m``, ``1h``, ``3d``) as seconds and back."""

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
_DURATION = re.compile(r"^(\d+)([smhd])$")


def seconds(text: str) -> int:
    """``"6h"`` -> 21600; ValueError unless one integer and one unit of s, m, h, d."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m, 1h or 3d")
    value = int(match[1]) * _UNITS[match[2]]
    if value <= 0:
        raise ValueError(f"{text!r} must be longer than 0")
    return value


def duration(seconds_: int) -> str:
    """21600 -> ``"6h"``: the largest unit that divides the value exactly."""
    for unit in ("d", "h", "m"):
        if seconds_ % _UNITS[unit] == 0:
            return f"{seconds_ // _UNITS[unit]}{unit}"
    return f"{seconds_}s"
