"""The boards, by fixed uid. A new board (dives, history) adds its module here; a new panel on
an existing board goes into that board's ``build`` (docs/dashboards.md, "Adding panels")."""

from collections.abc import Callable

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards.boards import operations, pipeline, satisfaction, slo, tickets
from dashboards.context import Context

Builder = Callable[[Context], Dashboard]

BOARDS: dict[str, Builder] = {
    operations.UID: operations.build,
    tickets.UID: tickets.build,
    satisfaction.UID: satisfaction.build,
    slo.UID: slo.build,
    pipeline.UID: pipeline.build,
}
"""uid -> builder; the uid is also the JSON file name in dashboards/build/."""
