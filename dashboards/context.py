"""What every board is built from: the data file, the alert spec, the language, fixed UIDs.

Boards read their objectives, thresholds, targets, windows and minimum samples from here, never
from constants of their own, so a board and the alert it mirrors cannot disagree.
"""

from dataclasses import dataclass
from typing import Literal

from alerts.spec import AlertSpec, load_spec
from metrics.views import View
from streams.dataconfig import DataConfig

DATASOURCE_UID = "prometheus"
"""The Prometheus datasource's uid in deploy/grafana/provisioning/datasources/prometheus.yml."""

Language = Literal["en", "zh"]


@dataclass(frozen=True)
class Context:
    """The inputs of a build: data file, alert spec, views and the titles' language."""

    data: DataConfig
    spec: AlertSpec
    views: dict[str, View]
    language: Language = "en"
    datasource_uid: str = DATASOURCE_UID

    @classmethod
    def from_settings(cls, settings, language: Language | None = None) -> "Context":
        """The context a deployment's CXPULSE_* settings give (``language`` overrides)."""
        return cls(data=settings.data_config(),
                   spec=load_spec(settings.alert_spec_file),
                   views=settings.configured_views(),
                   language=language or settings.dashboard_language)

    def t(self, en: str, zh: str) -> str:
        """The title in the build's language (both are written at the call site, so a
        missing translation is visible in review)."""
        return zh if self.language == "zh" else en

    @property
    def windows(self) -> tuple[str, ...]:
        """Live windows exported to Prometheus (``1h``, ``24h``)."""
        return tuple(self.data.windows)

    @property
    def survey_min_sample(self) -> int:
        """Responses below which an index is a low sample (the data file, as the alerts)."""
        return self.data.survey_targets.min_sample

    @property
    def calls_min_sample(self) -> int:
        """Calls a service level needs before the fast burn tier may fire (alert spec)."""
        return self.spec.objectives["service_level"].min_events

    @property
    def complaints_min_sample(self) -> int:
        """Judged complaints the complaint-clock objectives need (alert spec)."""
        return self.spec.objectives["complaint_response"].min_events

    @property
    def responses_min_sample(self) -> int:
        """First responses the first-response-score alert needs (alert spec)."""
        threshold = self.spec.thresholds["first_response_score"]
        return threshold.min_events or self.survey_min_sample

    @property
    def default_min_sample(self) -> int:
        """Ratios no alert guards (closure, on time, repeat, FCR): the survey minimum.

        choice: one stated minimum for every unguarded ratio rather than one per figure.
        """
        return self.survey_min_sample


def default_context(language: Language | None = None) -> Context:
    """The context of the default settings and files (what the committed JSON is built from)."""
    from streams.settings import Settings

    return Context.from_settings(Settings(), language)


__all__ = ["Context", "DATASOURCE_UID", "default_context", "load_spec"]
