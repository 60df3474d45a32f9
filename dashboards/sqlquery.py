"""A PostgreSQL panel query for grafana-foundation-sdk, which has no model for it.

The SDK (build 11.6.0) generates query models for Prometheus, Loki and other plugins but none
for Grafana's core SQL datasources; a target it cannot type decodes into its
``UnknownDataquery`` bag. This module holds the one shape the history board writes (raw SQL
in code mode), a builder so boards place it like any SDK query, and the registration that lets
dashboards/validate.py decode it back into this model instead of the bag.
"""

from dataclasses import dataclass
from typing import Any, Literal, Self

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import runtime
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models.dashboard import DataSourceRef

PLUGIN = "grafana-postgresql-datasource"
"""The PostgreSQL datasource plugin id of Grafana 10.3 and later (``postgres`` before)."""

Format = Literal["table", "time_series"]


@dataclass
class SqlQuery(cogvariants.Dataquery):
    """One raw SQL target: ``format`` "table" (columns as they come) or "time_series" (a
    ``time`` column and one series per other column)."""

    ref_id: str = "A"
    raw_sql: str = ""
    format: Format = "table"
    datasource: DataSourceRef | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"refId": self.ref_id, "rawSql": self.raw_sql,
                                  "format": self.format, "rawQuery": True, "editorMode": "code"}
        if self.datasource is not None:
            out["datasource"] = self.datasource.to_json()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        source = data.get("datasource")
        return cls(ref_id=data.get("refId", "A"), raw_sql=data.get("rawSql", ""),
                   format=data.get("format", "table"),
                   datasource=DataSourceRef.from_json(source) if source else None)


class Sql(cogbuilder.Builder[SqlQuery]):
    """Builder of :class:`SqlQuery`, for ``panel.with_target``."""

    def __init__(self, raw_sql: str, ref_id: str, uid: str, format: Format = "table") -> None:
        self._internal = SqlQuery(ref_id, raw_sql, format, DataSourceRef(type_val=PLUGIN, uid=uid))

    def build(self) -> SqlQuery:
        return self._internal


def register() -> None:
    """Decode targets of the PostgreSQL datasource into :class:`SqlQuery` (idempotent)."""
    runtime.Runtime().register_dataquery_variant(
        runtime.DataqueryConfig(identifier=PLUGIN, from_json_hook=SqlQuery.from_json))
