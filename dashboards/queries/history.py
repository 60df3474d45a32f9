"""SQL of the History board, as named functions apart from layout: the history store's rows
(docs/history.md "Schema"), re-aggregated from sums and counts, never averages of averages.

Every figure the board offers is a ratio of weighted sums of components (:class:`Ratio`). The
queries carry all of them as one ``terms`` table (figure, part, coefficient, component, ...)
and join it to the history rows of the figure picked in ``$metric``: numerator and denominator
are summed over the period and cut first, then divided, exactly as ``cxpulse history`` does
(tests/integration/test_history_board.py compares the two). Every ratio comes with ``n``, the
count ``cxpulse history`` reports for it (streams/history/query.py ``sample_size``).

Grafana fills the text before PostgreSQL sees it: ``$metric``, ``$dimension`` and
``$questionnaire`` (single values, inserted raw inside the quotes written here), ``$region`` and
``$business_line`` (multi-value: a quoted, comma-separated list for ``IN (...)``), and the macros
``$__unixEpochFrom()`` / ``$__unixEpochTo()`` (the range's ends, epoch seconds, as the
``window_start`` column). dashboards/sqlfill.py fills them the same way for tests and renders.
"""

from dataclasses import dataclass

from metrics.events.tickets import TicketKind
from metrics.history import DAY_S

Term = tuple[float, str]   # (coefficient, component)


@dataclass(frozen=True)
class Ratio:
    """A figure of metrics/figures.py as (sum of numerator terms) / (sum of denominator
    terms), its sample component ``n``, the minimum sample it is trusted at, and whether a
    higher value is better (what "worst" means)."""

    key: str
    numerator: tuple[Term, ...]
    denominator: tuple[Term, ...]
    n: str
    min_n: int
    higher_is_better: bool = True


def ratios(questionnaires: dict[str, tuple[int, tuple[str, ...]]], calls_min: int,
           complaints_min: int, surveys_min: int, default_min: int) -> list[Ratio]:
    """Every figure the board offers, in the order of the ``$metric`` list.

    ``questionnaires``: name -> (scale max, dimensions), the data file's catalogue.
    """
    eligible = ((1, "calls/offered"), (-1, "calls/short_abandoned"))
    out = [
        Ratio("calls.service_level", ((1, "calls/answered_within_target"),), eligible,
              "calls/offered", calls_min),
        Ratio("calls.abandonment_rate", ((1, "calls/abandoned"), (-1, "calls/short_abandoned")),
              eligible, "calls/offered", calls_min, higher_is_better=False),
        Ratio("calls.average_speed_of_answer_s", ((1, "calls/answer_wait_s_sum"),),
              ((1, "calls/answered"),), "calls/offered", calls_min, higher_is_better=False),
        Ratio("fcr.rate", ((1, "fcr/contacts"), (-1, "fcr/failed")), ((1, "fcr/contacts"),),
              "fcr/contacts", default_min),
    ]
    for clock in ("response", "solution"):
        out.append(Ratio(f"clocks.{clock}.on_time_rate", ((1, f"clocks/{clock}/on_time"),),
                         ((1, f"clocks/{clock}/judged"),), f"clocks/{clock}/judged",
                         complaints_min))
    for kind in TicketKind:
        t = f"tickets/{kind.value}"
        out += [
            Ratio(f"tickets.{kind.value}.closure_rate", ((1, f"{t}/closed"),),
                  ((1, f"{t}/created"), (1, f"{t}/reopened")), f"{t}/created", default_min),
            Ratio(f"tickets.{kind.value}.on_time_rate", ((1, f"{t}/closed_on_time"),),
                  ((1, f"{t}/closed_with_due_date"),), f"{t}/created", default_min),
            Ratio(f"tickets.{kind.value}.repeat_rate", ((1, f"{t}/repeats"),),
                  ((1, f"{t}/created"),), f"{t}/created", default_min, higher_is_better=False),
        ]
    for name, (scale_max, dimensions) in questionnaires.items():
        for dimension in dimensions:
            s = f"surveys/{name}/{dimension}"
            out.append(Ratio(f"surveys.{name}.{dimension}.index",
                             ((100 / scale_max, f"{s}/sum_scores"),), ((1, f"{s}/responses"),),
                             f"{s}/responses", surveys_min))
    return out


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def terms_table(figures: list[Ratio]) -> str:
    """``terms (figure, part, coef, component, better, min_n)`` as a VALUES list: one row per
    numerator ('num'), denominator ('den') and sample ('n') term of every figure. ``better``
    is 1 when higher is better, -1 otherwise."""
    rows = []
    for f in figures:
        better = 1 if f.higher_is_better else -1
        parts = [("num", c, comp) for c, comp in f.numerator]
        parts += [("den", c, comp) for c, comp in f.denominator] + [("n", 1, f.n)]
        rows += [f"({_literal(f.key)}, '{part}', {float(c)!r}, {_literal(comp)}, {better}, "
                 f"{f.min_n})" for part, c, comp in parts]
    return ("terms (figure, part, coef, component, better, min_n) AS (VALUES\n    "
            + ",\n    ".join(rows) + ")")


# Pieces every query shares. ``h`` is the history row, ``t`` its term of the picked figure.
_NUM = "COALESCE(SUM(CASE WHEN t.part = 'num' THEN t.coef * h.value END), 0)"
_DEN = "NULLIF(COALESCE(SUM(CASE WHEN t.part = 'den' THEN t.coef * h.value END), 0), 0)"
_N = "COALESCE(SUM(CASE WHEN t.part = 'n' THEN h.value END), 0)"
_RANGE = "h.window_start >= $__unixEpochFrom() AND h.window_start < $__unixEpochTo()"
_CUTS = "h.region IN ($region) AND h.business_line IN ($business_line)"
_DAYS = f"h.view = 'segment' AND h.size_s = {DAY_S}"
_UTC = "to_timestamp(h.window_start) AT TIME ZONE 'UTC'"


def _from(figures: list[Ratio], pick: str) -> str:
    """The terms of the figures ``pick`` selects, and the history rows of their components.

    ``component = ANY (ARRAY(...))`` lets PostgreSQL read only those components' ranges of
    the primary key (view, size, component, window start) instead of every row of the days.
    """
    return (f"WITH {terms_table(figures)},\n"
            f"picked AS MATERIALIZED (SELECT * FROM terms WHERE {pick})\n"
            "{select}\n"
            "FROM history AS h JOIN picked AS t ON t.component = h.component\n"
            f"WHERE {_DAYS} AND h.component = ANY (ARRAY(SELECT component FROM picked))\n")


def _picked(figures: list[Ratio], where: str) -> str:
    return _from(figures, "figure = '$metric'") + f"  AND {where}\n"


def daily_value(figures: list[Ratio]) -> str:
    """Time series: ``$metric`` per UTC day over the range, selected regions and lines
    (None where the day has no denominator)."""
    return (_picked(figures, f"{_RANGE} AND {_CUTS}").format(
        select=f'SELECT to_timestamp(h.window_start) AS "time", {_NUM} / {_DEN} AS "$metric"')
        + "GROUP BY h.window_start ORDER BY 1")


def daily_sample(figures: list[Ratio]) -> str:
    """Time series: the sample (``n``) behind each day of :func:`daily_value`."""
    return (_picked(figures, f"{_RANGE} AND {_CUTS}").format(
        select=f'SELECT to_timestamp(h.window_start) AS "time", {_N} AS "n ($metric)"')
        + "GROUP BY h.window_start ORDER BY 1")


def _flag(n: str = "n") -> str:
    return f"CASE WHEN {n} < min_n THEN 1 ELSE 0 END"


def worst_regions_last_quarter(figures: list[Ratio]) -> str:
    """Table: ``$metric`` per region over the calendar quarter (UTC) before the one holding
    the range's end, worst first (lowest where higher is better), with n and a low-n flag."""
    quarter = f"date_trunc('quarter', to_timestamp($__unixEpochTo()) AT TIME ZONE 'UTC')"
    where = (f"h.window_start >= EXTRACT(EPOCH FROM {quarter} - INTERVAL '3 months')\n"
             f"  AND h.window_start < EXTRACT(EPOCH FROM {quarter})\n"
             "  AND h.business_line IN ($business_line)")
    inner = _picked(figures, where).format(
        select=f"SELECT h.region, {_NUM} / {_DEN} AS value, {_N} AS n, MAX(t.better) AS better,"
               f" MAX(t.min_n) AS min_n")
    return (f"SELECT region, value, n AS \"sample (n)\", {_flag()} AS \"sample check\"\n"
            f"FROM (\n{inner}GROUP BY h.region) AS per_region\n"
            "ORDER BY better * value ASC NULLS LAST, region")


def month_over_month(figures: list[Ratio]) -> str:
    """Table: ``$metric`` per calendar month (UTC) and value of ``$dimension`` over the range,
    its change from the previous month, and both months' samples."""
    inner = _picked(figures, f"{_RANGE} AND {_CUTS}").format(
        select=f"SELECT h.$dimension AS key, to_char({_UTC}, 'YYYY-MM') AS month, "
               f"{_NUM} / {_DEN} AS value, {_N} AS n, MAX(t.min_n) AS min_n")
    return ("SELECT key AS \"$dimension\", month, value,\n"
            "       value - LAG(value) OVER (PARTITION BY key ORDER BY month) AS change,\n"
            "       n AS \"sample (n)\",\n"
            "       LAG(n) OVER (PARTITION BY key ORDER BY month) AS \"sample previous month\",\n"
            f"       {_flag()} AS \"sample check\"\n"
            f"FROM (\n{inner}GROUP BY 1, 2) AS monthly\n"
            "ORDER BY key, month")


def dive_curve(figures: list[Ratio]) -> str:
    """Table: the overall index of ``$questionnaire`` per journey stage of the business line
    ``$business_line`` (one panel per line: Grafana repeats it), over the range and selected
    regions. The overall index is the mean of the dimension indices, each from its own sums
    (docs/metrics.md); its sample is the fewest responses of any dimension."""
    pick = ("left(figure, length('surveys.$questionnaire.')) = 'surveys.$questionnaire.' "
            "AND right(figure, length('.index')) = '.index'")
    picked = (_from(figures, pick).format(
        select=f"SELECT h.journey_stage, t.figure, {_NUM} / {_DEN} AS idx, {_N} AS responses, "
               "MAX(t.min_n) AS min_n")
        + f"  AND {_RANGE} AND {_CUTS}\nGROUP BY h.journey_stage, t.figure\n")
    return ("SELECT journey_stage AS \"journey stage\", AVG(idx) AS \"overall index\",\n"
            "       MIN(responses) AS \"sample (fewest responses)\",\n"
            f"       {_flag('MIN(responses)').replace('min_n', 'MAX(min_n)')} AS \"sample check\"\n"
            f"FROM (\n{picked}) AS per_dimension\n"
            "GROUP BY journey_stage ORDER BY journey_stage")


def distinct(column: str) -> str:
    """A variable's values: every value of ``column`` in the segment days."""
    return (f"SELECT DISTINCT {column} FROM history WHERE view = 'segment' AND size_s = {DAY_S} "
            f"ORDER BY 1")
