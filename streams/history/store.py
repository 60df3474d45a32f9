"""The history store: closed windows as rows, one code path for SQLite and PostgreSQL.

One row per (component, key, window start, size): the component's sum in that closed window.
Writes are upserts on that natural key, so a window written again (a replay, a restart, an
amendment by late data) replaces its rows and never adds to them. Only the DDL differs per
store; every statement the sink and the queries run is shared (placeholders aside).

URLs: ``sqlite:///relative/or/absolute/path.sqlite`` (embedded default, no server) and
``postgresql://user@host:port/db`` (psycopg 3; a ``?options=-csearch_path%3Dname`` suffix picks
a schema). docs/history.md holds the schema and example SQL.
"""

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metrics.contributions import SEGMENT_FIELDS, SEP
from metrics.history import ClosedWindow
from streams.history.errors import HistoryStoreError

#: Columns of a row, in insert order.
COLUMNS = ("component", "view", "key", *SEGMENT_FIELDS, "window_start", "size_s", "value")
NATURAL_KEY = ("view", "size_s", "component", "window_start", "key")

_TABLE = """CREATE TABLE history (
    component TEXT NOT NULL,
    view TEXT NOT NULL,
    key TEXT NOT NULL,
    {dims},
    window_start BIGINT NOT NULL,
    size_s INTEGER NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (view, size_s, component, window_start, key)
){suffix}"""

#: version -> DDL, per dialect. Applied in order, each in its own transaction with its version.
MIGRATIONS: dict[int, dict[str, list[str]]] = {
    1: {
        dialect: [
            _TABLE.format(dims=",\n    ".join(f"{d} TEXT NOT NULL" for d in SEGMENT_FIELDS),
                          suffix=" WITHOUT ROWID" if dialect == "sqlite" else ""),
            "CREATE INDEX history_by_time ON history (size_s, window_start)",
            "CREATE TABLE history_offsets (topic TEXT NOT NULL, part INTEGER NOT NULL, "
            "next_offset BIGINT NOT NULL, PRIMARY KEY (topic, part))",
        ]
        for dialect in ("sqlite", "postgresql")
    },
}
SCHEMA_VERSION = max(MIGRATIONS)


@dataclass
class Store:
    """An open history store. Not thread-safe: one per thread (the sink runs in one)."""

    url: str
    dialect: str
    conn: Any
    dimensions: dict[str, tuple[str, ...]]   # view name -> its dimensions ("segment": all)

    def sql(self, text: str) -> str:
        """``text`` with ``?`` placeholders in this store's style."""
        return text if self.dialect == "sqlite" else text.replace("%", "%%").replace("?", "%s")

    # -- schema ----------------------------------------------------------------------------
    def version(self) -> int:
        cur = self.conn.cursor()
        try:
            cur.execute("SELECT version FROM history_schema")
        except Exception as error:   # no table yet: version 0
            if not _missing_table(error):
                raise
            self.conn.rollback()
            return 0
        row = cur.fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> int:
        """Apply the migrations this store lacks; returns the schema version."""
        current = self.version()
        if current > SCHEMA_VERSION:
            raise HistoryStoreError(
                f"{self.url}: schema version {current} is newer than this cxpulse knows "
                f"({SCHEMA_VERSION}); upgrade cxpulse")
        for version in sorted(v for v in MIGRATIONS if v > current):
            with self._transaction() as cur:
                if version == 1:
                    cur.execute("CREATE TABLE history_schema (version INTEGER NOT NULL)")
                    cur.execute("INSERT INTO history_schema VALUES (0)")
                for statement in MIGRATIONS[version][self.dialect]:
                    cur.execute(statement)
                cur.execute(self.sql("UPDATE history_schema SET version = ?"), (version,))
        return SCHEMA_VERSION

    # -- writes ----------------------------------------------------------------------------
    def row_values(self, window: ClosedWindow) -> Iterator[tuple[Any, ...]]:
        name, *values = window.key.split(SEP)
        fields = dict.fromkeys(SEGMENT_FIELDS, "*")
        fields.update(zip(self.dimensions[name], values, strict=True))
        dims = tuple(fields[d] for d in SEGMENT_FIELDS)
        for component, value in sorted(window.components.items()):
            yield (component, name, window.key, *dims, window.start_s, window.size_s,
                   float(value))

    def upsert(self, windows: Iterable[ClosedWindow],
               source: tuple[str, int, int] | None = None) -> int:
        """Write every component of ``windows`` in one transaction; returns rows written.

        ``source`` (topic, partition, offset) of the message they came in is saved in the same
        transaction: the sink's restart point (:meth:`next_offset`)."""
        statement = self.sql(
            f"INSERT INTO history ({', '.join(COLUMNS)}) VALUES "
            f"({', '.join('?' for _ in COLUMNS)}) "
            f"ON CONFLICT ({', '.join(NATURAL_KEY)}) DO UPDATE SET value = excluded.value")
        rows = [row for window in windows for row in self.row_values(window)]
        with self._transaction() as cur:
            if rows:
                cur.executemany(statement, rows)
            if source is not None:
                topic, partition, offset = source
                cur.execute(self.sql(
                    "INSERT INTO history_offsets (topic, part, next_offset) VALUES (?, ?, ?) "
                    "ON CONFLICT (topic, part) DO UPDATE SET next_offset = excluded.next_offset"),
                    (topic, partition, offset + 1))
        return len(rows)

    def next_offset(self, topic: str, partition: int) -> int | None:
        """The offset of ``topic``[``partition``] the sink needs next (None: nothing written)."""
        rows = self.execute("SELECT next_offset FROM history_offsets WHERE topic = ? AND part = ?",
                            (topic, partition))
        return int(rows[0][0]) if rows else None

    def retain(self, size_s: int, keep_s: float) -> int:
        """Delete windows of ``size_s`` that start more than ``keep_s`` before the newest one
        (event time, so a backfill of an old period is not deleted as it lands)."""
        with self._transaction() as cur:
            cur.execute(self.sql("SELECT MAX(window_start) FROM history WHERE size_s = ?"),
                        (size_s,))
            newest = cur.fetchone()[0]
            if newest is None:
                return 0
            cur.execute(self.sql("DELETE FROM history WHERE size_s = ? AND window_start < ?"),
                        (size_s, int(newest - keep_s)))
            return cur.rowcount

    # -- reads -----------------------------------------------------------------------------
    def execute(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read-only statement (``?`` placeholders) and return its rows."""
        cur = self.conn.cursor()
        cur.execute(self.sql(text), tuple(params))
        rows = cur.fetchall()
        self.conn.rollback()   # end the read transaction (PostgreSQL holds a snapshot)
        return rows

    def rows(self) -> dict[tuple[str, str, int, int], float]:
        """Every row: (component, key, window start, size) -> value (tests, benchmarks)."""
        return {(c, k, int(s), int(z)): v for c, k, s, z, v in self.execute(
            "SELECT component, key, window_start, size_s, value FROM history")}

    def size_bytes(self) -> int:
        """Bytes the history table and its indexes take on disk."""
        if self.dialect == "sqlite":
            rows = self.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'history%'")
            return int(rows[0][0] or 0)
        return int(self.execute("SELECT pg_total_relation_size('history')")[0][0])

    def close(self) -> None:
        self.conn.close()

    # -- helpers ---------------------------------------------------------------------------
    def _transaction(self) -> "_Transaction":
        return _Transaction(self)


class _Transaction:
    """A cursor whose block commits on success and rolls back on error."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> Any:
        self.cur = self.store.conn.cursor()
        if self.store.dialect == "sqlite":
            self.cur.execute("BEGIN IMMEDIATE")   # take the write lock now, not mid-way
        return self.cur

    def __exit__(self, kind: Any, *_: Any) -> None:
        if kind is None:
            self.store.conn.commit()
        else:
            self.store.conn.rollback()


def _missing_table(error: Exception) -> bool:
    text = str(error).lower()
    return "no such table" in text or "does not exist" in text


def open_store(url: str, dimensions: dict[str, tuple[str, ...]], password: str | None = None,
               timeout_s: float = 30.0) -> Store:
    """Connect to the store at ``url`` and bring its schema up to date.

    ``dimensions``: view name -> its dimensions, for every view whose rows are written
    (``segment`` is added: every dimension). Raises HistoryStoreError when the URL is not a
    sqlite:/// or postgresql:// URL or the store cannot be reached.
    """
    dimensions = {**dimensions, "segment": SEGMENT_FIELDS}
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE above).
        conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")   # readers never block the sink
        # No fsync per commit (WAL: a process crash still loses nothing committed; a power
        # loss may lose the last transactions, offsets included, and the sink then reads
        # those messages again and upserts the same rows).
        conn.execute("PRAGMA synchronous=NORMAL")
        # Component keys are lower case; a case-sensitive LIKE 'surveys/x/%' can use the
        # primary key (measured: the dive-curve query 1.7 s -> see docs/history.md).
        conn.execute("PRAGMA case_sensitive_like = ON")
        store = Store(url, "sqlite", _SqliteAutocommit(conn), dimensions)
    elif url.startswith(("postgresql://", "postgres://")):
        import psycopg

        deadline = time.monotonic() + timeout_s
        while True:
            try:
                conn = psycopg.connect(url, password=password, connect_timeout=10)
                break
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise HistoryStoreError(f"history store {url}: {error}") from error
                time.sleep(1)
        store = Store(url, "postgresql", conn, dimensions)
    else:
        raise HistoryStoreError(
            f"history store URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST/DB")
    store.migrate()
    return store


class _SqliteAutocommit:
    """sqlite3 in autocommit mode with explicit BEGIN, behind the commit/rollback calls the
    store makes on a psycopg connection (so both take the same code path)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.raw = conn

    def cursor(self) -> sqlite3.Cursor:
        return self.raw.cursor()

    def commit(self) -> None:
        if self.raw.in_transaction:
            self.raw.execute("COMMIT")

    def rollback(self) -> None:
        if self.raw.in_transaction:
            self.raw.execute("ROLLBACK")

    def close(self) -> None:
        self.raw.close()
