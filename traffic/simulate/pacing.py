"""Real-time pacing of simulated items: event time advances ``speedup`` times faster than real.

Kept apart from the generator so that generation stays pure and pacing is testable with a fake
clock; the producer wraps ``generate(...)`` in ``paced(...)``.
"""

import math
import time
from collections.abc import Callable, Iterable, Iterator

from traffic.simulate.items import SimItem

# Sleeps shorter than this are skipped: the schedule is absolute (anchored at the first item),
# so an item sent up to 2 ms early costs no drift, and tiny sleeps would dominate at high rates.
MIN_SLEEP_S = 0.002


def paced(
    items: Iterable[SimItem],
    speedup: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[SimItem]:
    """Yield ``items`` when their ``emitted_at`` is due: the first at once, the others when
    ``(emitted_at - first emitted_at) / speedup`` seconds of ``clock`` have passed.

    ``speedup`` 1 is real time, 60 runs an hour a minute; 0 or infinity means no pacing. A
    consumer slower than the schedule gets the overdue items back to back (no sleep) until it
    catches up; the schedule never shifts. ``clock`` returns seconds (monotonic) and ``sleep``
    takes seconds; both are parameters so tests can use a fake clock. Raises ValueError for a
    negative or NaN ``speedup``.
    """
    if math.isnan(speedup) or speedup < 0:
        raise ValueError(f"speedup must be >= 0 (0 or inf: no pacing), not {speedup}")
    if speedup == 0 or math.isinf(speedup):
        yield from items
        return
    first_event = first_real_s = None
    for item in items:
        if first_event is None:
            first_event, first_real_s = item.emitted_at, clock()
        due_s = first_real_s + (item.emitted_at - first_event).total_seconds() / speedup
        wait_s = due_s - clock()
        if wait_s >= MIN_SLEEP_S:
            sleep(wait_s)
        yield item
