"""Timestamps: fast ISO formatting equals datetime.isoformat, in every offset."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from traffic.simulate.timestamps import Timestamps

HOUR_MS = 3_600_000


@pytest.mark.parametrize(
    ("offset_ms", "epoch_ms", "expected"),
    [
        (8 * HOUR_MS, 0, "1970-01-01T08:00:00.000+08:00"),
        (8 * HOUR_MS, 1_772_380_800_123, "2026-03-02T00:00:00.123+08:00"),
        (8 * HOUR_MS, 1_772_380_799_999, "2026-03-01T23:59:59.999+08:00"),
        (0, 1_772_380_800_000, "2026-03-01T16:00:00.000+00:00"),
        (-(5 * HOUR_MS + 1_800_000), 1_772_380_800_000, "2026-03-01T10:30:00.000-05:30"),
        (5 * HOUR_MS + 2_700_000, 951_782_400_000, "2000-02-29T05:45:00.000+05:45"),
    ],
)
def test_iso(offset_ms, epoch_ms, expected):
    assert Timestamps(offset_ms).iso(epoch_ms) == expected


@pytest.mark.parametrize("offset_h", [8, 0, -5.5, 5.75, 14, -12])
def test_iso_matches_isoformat_and_datetime_is_exact(offset_h):
    stamps = Timestamps(round(offset_h * HOUR_MS))
    rng = random.Random(offset_h)
    for _ in range(2_000):
        epoch_ms = rng.randrange(946_684_800_000, 4_102_444_800_000)
        moment = stamps.datetime(epoch_ms)
        assert moment == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=epoch_ms)
        assert moment.utcoffset() == timedelta(hours=offset_h)
        assert stamps.iso(epoch_ms) == moment.isoformat(timespec="milliseconds")
        assert datetime.fromisoformat(stamps.iso(epoch_ms)) == moment
