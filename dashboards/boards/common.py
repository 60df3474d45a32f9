"""What every board shares: the dashboard frame (uid, tags, time, refresh, variables)."""

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards.context import Context
from dashboards.variables import all_variables

TAGS = ["cxpulse", "generated"]


def frame(ctx: Context, uid: str, title: str, description: str, refresh: str = "30s",
          time_from: str = "now-1h", window: bool = True) -> Dashboard:
    """An empty board with its fixed uid, time range, refresh and the shared variables."""
    board = (Dashboard(title).uid(uid).description(description).tags(TAGS)
             .refresh(refresh).time(time_from, "now").timezone("browser"))
    for variable in all_variables(ctx, window):
        board = board.with_variable(variable)
    return board
