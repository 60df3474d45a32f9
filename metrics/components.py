"""Additive components: the flat ``{key: number}`` buckets that partials and windows are made of.

Every metric of the catalogue is a ratio or index of sums and counts, so stage 1 publishes only
components, stage 2 and ``cxpulse report`` add and subtract them, and ratios are computed last
(in PromQL, or by the typed totals in metrics.calls, metrics.tickets and metrics.surveys, which
this module rebuilds from a bucket). Keys are ``/``-separated paths; docs/metrics.md lists them.

    calls/<CallTotals field>
    tickets/<kind>/<field>                 created, repeats, first_responses, resolved, ...
    tickets/<kind>/first_response_points/<points>
    tickets/<kind>/resolved_band/<band>
    tickets/<kind>/opened, tickets/<kind>/opened_created_s   backlog deltas (+ open, - close)
    clocks/<response|solution>/<judged|on_time>              complaint time limits
    fcr/<contacts|failed|dropped>                            first-contact resolution
    surveys/<questionnaire>/<dimension>/<responses|sum_scores|sum_squares>
    surveys/<questionnaire>/<dimension>/score/<score>
"""

from collections.abc import Iterable, Mapping
from dataclasses import fields

from metrics.calls import CallTotals
from metrics.surveys import SurveyTotals
from metrics.tickets import TicketTotals

Number = int | float
Bucket = dict[str, Number]

CALL_FIELDS = tuple(f.name for f in fields(CallTotals))
TICKET_COUNTS = ("created", "repeats", "first_responses", "first_response_points_sum",
                 "resolved", "closed", "closed_with_due_date", "closed_on_time", "reopened")
#: Components that are running totals (backlog): summed over all time, never windowed.
BACKLOG_FIELDS = ("opened", "opened_created_s")


def add_into(target: Bucket, source: Mapping[str, Number], sign: int = 1) -> None:
    """target += sign * source, key by key (a zero result is kept: it is still a series)."""
    get = target.get   # the hottest loop of the worker: no attribute lookup per key
    if sign == 1:
        for key, value in source.items():
            target[key] = get(key, 0) + value
    else:
        for key, value in source.items():
            target[key] = get(key, 0) + sign * value


def total(buckets: Iterable[Mapping[str, Number]]) -> Bucket:
    """The sum of ``buckets``."""
    out: Bucket = {}
    for bucket in buckets:
        add_into(out, bucket)
    return out


#: is_backlog_key's answers: component keys come from the catalogue, a few hundred at most.
_BACKLOG: dict[str, bool] = {}
_MEMO_MAX = 100_000
#: split_backlog's plans per bucket shape (its keys, in order).
_SPLITS: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def is_backlog_key(key: str) -> bool:
    """Whether ``key`` is a backlog running total (tickets/<kind>/opened...)."""
    found = _BACKLOG.get(key)
    if found is None:
        if len(_BACKLOG) >= _MEMO_MAX:
            _BACKLOG.clear()
        found = _BACKLOG[key] = (key.startswith("tickets/")
                                 and key.rsplit("/", 1)[-1] in BACKLOG_FIELDS)
    return found


def backlog_split(shape: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(windowed keys, backlog keys) of a bucket whose keys are ``shape``, in its order;
    memoised, as the same few bucket shapes recur in every partial."""
    found = _SPLITS.get(shape)
    if found is None:
        if len(_SPLITS) >= _MEMO_MAX:
            _SPLITS.clear()
        found = _SPLITS[shape] = (tuple(k for k in shape if not is_backlog_key(k)),
                                  tuple(k for k in shape if is_backlog_key(k)))
    return found


def call_totals(bucket: Mapping[str, Number]) -> CallTotals:
    """The typed call totals of ``bucket`` (zeros where absent)."""
    return CallTotals(**{name: bucket.get(f"calls/{name}", 0) for name in CALL_FIELDS})


def ticket_kinds(bucket: Mapping[str, Number]) -> list[str]:
    """Ticket kinds present in ``bucket``."""
    return sorted({key.split("/")[1] for key in bucket if key.startswith("tickets/")})


def ticket_totals(bucket: Mapping[str, Number], kind: str) -> TicketTotals:
    """The typed totals of ticket ``kind`` in ``bucket``."""
    prefix = f"tickets/{kind}/"
    values = {name: int(bucket.get(prefix + name, 0)) for name in TICKET_COUNTS}
    points: dict[int, int] = {}
    bands: dict[str, int] = {}
    for key, value in bucket.items():
        if key.startswith(prefix + "first_response_points/"):
            points[int(key.rsplit("/", 1)[1])] = int(value)
        elif key.startswith(prefix + "resolved_band/"):
            bands[key.rsplit("/", 1)[1]] = int(value)
    return TicketTotals(first_response_by_points=points, resolved_by_band=bands, **values)


def survey_dimensions(bucket: Mapping[str, Number]) -> list[tuple[str, str]]:
    """(questionnaire, dimension) pairs present in ``bucket``."""
    return sorted({tuple(key.split("/")[1:3]) for key in bucket  # type: ignore[misc]
                   if key.startswith("surveys/")})


def survey_totals(bucket: Mapping[str, Number], questionnaire: str, dimension: str,
                  scale_min: int, scale_max: int) -> SurveyTotals:
    """The typed totals of one questionnaire dimension in ``bucket``."""
    prefix = f"surveys/{questionnaire}/{dimension}/"
    counts = {
        int(key.rsplit("/", 1)[1]): int(value)
        for key, value in bucket.items() if key.startswith(prefix + "score/")
    }
    return SurveyTotals(
        scale_min, scale_max,
        responses=int(bucket.get(prefix + "responses", 0)),
        sum_scores=int(bucket.get(prefix + "sum_scores", 0)),
        sum_squares=int(bucket.get(prefix + "sum_squares", 0)),
        counts_by_score=counts,
    )
