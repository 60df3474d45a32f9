"""Run one Faust worker in this process (``cxpulse worker``)."""

import faust
from prometheus_client import disable_created_metrics

from streams.app import create_worker
from streams.settings import Settings


def run_worker(settings: Settings) -> None:
    """Block running a stage-1 worker until SIGINT/SIGTERM; Faust handles the shutdown."""
    settings.data_config()  # validate the data file before anything starts (DataConfigError)
    disable_created_metrics()  # *_created series only add noise to every counter
    (settings.data_dir / settings.worker_id).mkdir(parents=True, exist_ok=True)
    built = create_worker(settings)
    worker = faust.Worker(built.app, loglevel=settings.log_level, redirect_stdouts=False)
    worker.execute_from_commandline()
