"""``cxpulse history`` and the worker's /history page: one query, re-aggregated from sums.

A query names a metric (a component such as ``calls/offered``, or a figure of
metrics/figures.py such as ``calls.service_level``), filters and a group-by over segment
dimensions, a time range and a granularity. The store sums the components per window and
group; the windows are then added into periods (hour, day, ISO week from Monday, calendar month,
all UTC) and the figure is taken from the period's sums, exactly as the live figures are:
never an average of averages. Every row carries ``n``, the count its figure divides by.

Rows come from the full segments' days for day, week and month, and from the hours of the
narrowest view holding every dimension asked for at hour granularity (docs/history.md).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from metrics.components import Bucket, add_into
from metrics.contributions import SEGMENT_FIELDS
from metrics.figures import figures
from metrics.history import DAY_S, HOUR_S
from metrics.views import View
from streams.history.closing import SEGMENT_VIEW
from streams.history.errors import HistoryQueryError as QueryError
from streams.history.store import open_store
from streams.settings import Settings

GRANULARITIES = ("hour", "day", "week", "month")


@dataclass(frozen=True)
class Query:
    """What to read; times are epoch seconds, ``until_s`` exclusive."""

    metric: str
    by: tuple[str, ...] = ()
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    since_s: int | None = None
    until_s: int | None = None
    granularity: str = "day"

    def __post_init__(self) -> None:
        unknown = [d for d in (*self.by, *(d for d, _ in self.where)) if d not in SEGMENT_FIELDS]
        if unknown:
            raise QueryError(f"unknown dimension {', '.join(unknown)}; use "
                             f"{', '.join(SEGMENT_FIELDS)}")
        if self.granularity not in GRANULARITIES:
            raise QueryError(f"granularity must be one of {', '.join(GRANULARITIES)}")
        if not self.metric:
            raise QueryError("name a metric: a component (calls/offered) or a figure "
                             "(calls.service_level)")

    def describe(self) -> dict[str, Any]:
        return {"metric": self.metric, "by": list(self.by),
                "where": {d: list(v) for d, v in self.where},
                "since": _iso(self.since_s), "until": _iso(self.until_s),
                "granularity": self.granularity}


def _iso(value: int | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value, UTC).isoformat()


def parse_time(text: str) -> int:
    """Epoch seconds of an ISO 8601 date or date-time (UTC when it has no offset)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise QueryError(f"not an ISO 8601 date or time: {text!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def parse_where(items: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``region=north,east`` items -> ((region, (north, east)), ...)."""
    out = []
    for item in items:
        name, sep, values = item.partition("=")
        if not sep or not values:
            raise QueryError(f"filter {item!r}: use DIMENSION=VALUE[,VALUE...]")
        out.append((name.strip(), tuple(v.strip() for v in values.split(","))))
    return tuple(out)


def parse_query(params: Mapping[str, Any]) -> Query:
    """A Query from HTTP parameters: metric, by (comma list), where (repeatable), since,
    until, granularity."""
    def all_of(name: str) -> list[str]:
        getall = getattr(params, "getall", None)
        if getall is not None:
            return list(getall(name, []))
        value = params.get(name)
        return [] if value is None else [value] if isinstance(value, str) else list(value)

    by = tuple(d for text in all_of("by") for d in text.split(",") if d)
    since, until = params.get("since"), params.get("until")
    return Query(params.get("metric", ""), by, parse_where(all_of("where")),
                 parse_time(since) if since else None, parse_time(until) if until else None,
                 params.get("granularity", "day"))


def component_prefix(metric: str) -> str:
    """The components a metric is computed from, as a LIKE pattern (or the component)."""
    if "/" in metric:
        return metric
    parts = metric.split(".")
    if parts[0] in ("tickets", "surveys") and len(parts) >= 3:
        return f"{parts[0]}/{parts[1]}/%"
    if parts[0] in ("calls", "fcr", "clocks"):
        return f"{parts[0]}/%"
    raise QueryError(f"unknown metric {metric!r}: a component (calls/offered) or a figure "
                     "(calls.service_level, tickets.complaint.closure_rate, "
                     "surveys.after_sales_10.attitude.index, fcr.rate)")


def sample_size(metric: str, bucket: Mapping[str, float]) -> float:
    """The count a figure divides by (its ``n``); a component is its own n."""
    if "/" in metric:
        return bucket.get(metric, 0)
    parts = metric.split(".")
    if parts[0] == "calls":
        return bucket.get("calls/offered", 0)
    if parts[0] == "tickets":
        return bucket.get(f"tickets/{parts[1]}/created", 0)
    if parts[0] == "fcr":
        return bucket.get("fcr/contacts", 0)
    if parts[0] == "clocks":
        return bucket.get(f"clocks/{parts[1]}/judged", 0)
    if parts[0] == "surveys" and len(parts) == 4:
        return bucket.get(f"surveys/{parts[1]}/{parts[2]}/responses", 0)
    if parts[0] == "surveys":   # overall index: responses to the questionnaire's dimensions
        return max((v for k, v in bucket.items()
                    if k.startswith(f"surveys/{parts[1]}/") and k.endswith("/responses")),
                   default=0)
    return 0


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def period_start(start_s: int, granularity: str) -> datetime:
    moment = datetime.fromtimestamp(start_s, UTC)
    if granularity == "hour":
        return moment.replace(minute=0, second=0)
    day = moment.replace(hour=0, minute=0, second=0)
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def source(query: Query, views: Mapping[str, View]) -> tuple[str, int]:
    """(view, window size) the query reads: segment days, or the narrowest view's hours."""
    if query.granularity != "hour":
        return SEGMENT_VIEW, DAY_S
    needed = set(query.by) | {d for d, _ in query.where}
    group = component_prefix(query.metric).split("/")[0]
    group = {"clocks": "tickets"}.get(group, group)
    fits = [view for view in views.values()
            if needed <= set(view.dimensions) and group in view.groups]
    if not fits:
        raise QueryError(f"hourly rows are kept per view; no view has {sorted(needed)} and "
                         f"serves {group}: use day, week or month (full segments), or add "
                         "such a view to the data file")
    return min(fits, key=lambda view: len(view.dimensions)).name, HOUR_S


def sums(store: Any, query: Query, view: str, size_s: int) -> dict[tuple[Any, ...], Bucket]:
    """(period start, group values...) -> summed components, from the store."""
    clauses = ["view = ?", "size_s = ?"]
    params: list[Any] = [view, size_s]
    pattern = component_prefix(query.metric)
    clauses.append("component LIKE ?" if pattern.endswith("%") else "component = ?")
    params.append(pattern)
    if query.since_s is not None:
        clauses.append("window_start >= ?")
        params.append(query.since_s)
    if query.until_s is not None:
        clauses.append("window_start < ?")
        params.append(query.until_s)
    for dimension, values in query.where:
        clauses.append(f"{dimension} IN ({', '.join('?' for _ in values)})")
        params.extend(values)
    group = ", ".join(("window_start", *query.by, "component"))
    text = (f"SELECT {group}, SUM(value) FROM history WHERE {' AND '.join(clauses)} "
            f"GROUP BY {group}")
    out: dict[tuple[Any, ...], Bucket] = {}
    for row in store.execute(text, params):
        start, *values, component, value = row
        key = (period_start(int(start), query.granularity), *values)
        add_into(out.setdefault(key, {}), {component: value})
    return out


def answer(store: Any, query: Query, settings: Settings) -> list[dict[str, Any]]:
    """The query's rows: period, group values, metric, value, n (None: zero denominator)."""
    data = settings.data_config()
    view, size_s = source(query, settings.active_views())
    rows = []
    for key, bucket in sorted(sums(store, query, view, size_s).items()):
        period, *values = key
        if "/" in query.metric:
            value = bucket.get(query.metric, 0)
        else:
            value = figures(bucket, data.catalogue(), data.survey_targets.rules()).get(
                query.metric)
        rows.append({"period": period.isoformat(), **dict(zip(query.by, values)),
                     "metric": query.metric, "value": value,
                     "n": _whole(sample_size(query.metric, bucket))})
    return rows


def run_query(settings: Settings, query: Query) -> list[dict[str, Any]]:
    """Open the first configured store, answer ``query``, close it."""
    password = settings.history_password
    store = open_store(settings.history_urls[0],
                       {name: view.dimensions for name, view in settings.active_views().items()},
                       password.get_secret_value() if password is not None else None)
    try:
        return answer(store, query, settings)
    finally:
        store.close()
