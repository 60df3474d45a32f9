"""The configuration file for what is data: questionnaires, targets, calendar, windows, views.

CXPULSE_* variables (streams/settings.py) say how a deployment runs; this YAML file says what is
measured and against what. One file holds every section; a default ships beside this module
(streams/dataconfig.yaml) and ``CXPULSE_CONFIG_FILE`` names another. The models here are the
file's schema (``cxpulse schema`` exports it as JSON Schema); streams/dataconfig_load.py reads
and reports on a file. The pure objects the maths takes (Questionnaire, SurveyTargets,
CallRules, BusinessCalendar) are built from it by the methods of :class:`DataConfig`.
Every key, its default and its meaning: docs/configuration.md ("The data file").
"""

import re
from collections.abc import Mapping
from datetime import date, time
from types import MappingProxyType
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from metrics.business_hours import BusinessCalendar
from metrics.calls import DEFAULT_TARGET_RINGS, CallRules
from metrics.dives import DiveRules, Measure
from metrics.journeys import Journey
from metrics.contributions import SEGMENT_FIELDS
from metrics.events.base import Label
from metrics.events.surveys import Dimension
from metrics.questionnaires import Questionnaire, catalogue
from metrics.surveys import DEFAULT_MIN_SAMPLE, DEFAULT_TARGET, SurveyTargets
from metrics.views import View
from metrics.windows import WINDOWS

WindowName = Literal[tuple(WINDOWS)]  # type: ignore[valid-type]
SegmentField = Literal[SEGMENT_FIELDS]  # type: ignore[valid-type]
Group = Literal["calls", "tickets", "fcr", "surveys"]
GROUPS: tuple[Group, ...] = ("calls", "tickets", "fcr", "surveys")
DEFAULT_WINDOWS: tuple[WindowName, ...] = ("1h", "24h")
DEFAULT_MAX_KEYS = 500
ViewName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Target = Annotated[float, Field(ge=0, le=100)]
_OPENING = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def _unique(values: tuple) -> tuple:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise PydanticCustomError("repeated", "listed more than once: {repeated}",
                                  {"repeated": ", ".join(repeated)})
    return values


def parse_opening(text: str) -> tuple[time, time]:
    """("09:00-12:00") -> (time(9), time(12)); ValueError unless HH:MM-HH:MM with start < end."""
    match = _OPENING.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not HH:MM-HH:MM (24-hour local time, e.g. 09:00-18:00)")
    start, end = (time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4])))
    if not start < end:
        raise ValueError(f"{text!r} must start before it ends (a window lies within one day)")
    return start, end


def _opening(text: str) -> str:
    parse_opening(text)
    return text


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r} (an IANA name such as Asia/Shanghai)")
    return name


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuestionnaireSpec(_Section):
    """One questionnaire: its integer scale and the dimensions it scores."""

    scale_min: int = Field(1, ge=0, le=1, description="Lowest score (0 or 1, as in events).")
    scale_max: int = Field(ge=2, le=100, description="Highest score = the best answer.")
    dimensions: Annotated[tuple[Dimension, ...], AfterValidator(_unique)] = Field(
        min_length=1, max_length=32, description="Dimension ids in display order.")
    scale_labels: dict[int, str] = Field(
        default_factory=dict, description="Optional display names of scale points: score -> label.")

    @model_validator(mode="after")
    def _labels_on_scale(self) -> Self:
        off = sorted(score for score in self.scale_labels
                     if not self.scale_min <= score <= self.scale_max)
        if off:
            raise PydanticCustomError(
                "label_off_scale", "scale_labels for scores off the scale {low}..{high}: {off}",
                {"low": self.scale_min, "high": self.scale_max, "off": off})
        return self


class QuestionnaireTargets(_Section):
    """Targets of one questionnaire: its own default and per-dimension overrides."""

    default: Target | None = Field(None, description="Target of its dimensions not listed.")
    dimensions: dict[Dimension, Target] = Field(
        default_factory=dict, description="Dimension -> target.")


class SurveyTargetsSpec(_Section):
    """Index targets (100-point scale) for the gap to target, and the minimum sample."""

    default: Target = Field(DEFAULT_TARGET, description="Target of every dimension not overridden.")
    min_sample: int = Field(DEFAULT_MIN_SAMPLE, ge=1,
                            description="Fewer responses flag an index as a low sample.")
    questionnaires: dict[Label, QuestionnaireTargets] = Field(
        default_factory=dict, description="Questionnaire -> its overrides.")
    _rules: SurveyTargets = PrivateAttr(default_factory=SurveyTargets)

    def model_post_init(self, context: object) -> None:
        self._rules = SurveyTargets(
            default=self.default,
            by_questionnaire={q: t.default for q, t in self.questionnaires.items()
                              if t.default is not None},
            by_dimension={(q, d): value for q, t in self.questionnaires.items()
                          for d, value in t.dimensions.items()},
            min_sample=self.min_sample,
        )

    def target(self, questionnaire: str, dimension: str) -> float:
        """The target of ``dimension`` of ``questionnaire``: the dimension's own, else the
        questionnaire's default, else the file's default."""
        return self._rules.target(questionnaire, dimension)

    def rules(self) -> SurveyTargets:
        """The pure form metrics.figures and the exposition take (built once)."""
        return self._rules


class RingTargetsSpec(_Section):
    """Answered within this many rings is on target: a default and per-queue overrides."""

    default: int = Field(DEFAULT_TARGET_RINGS, ge=1, description="Rings, every queue not listed.")
    queues: dict[Label, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict, description="Queue label -> rings.")


class CalendarSpec(_Section):
    """Business hours: timezone, opening windows, and dates that override chinesecalendar."""

    timezone: Annotated[str, AfterValidator(_timezone)] = Field(
        "Asia/Shanghai", description="IANA timezone of the opening windows and of dates.")
    # The pattern is for the JSON Schema; the validator gives the readable message.
    windows: tuple[Annotated[str, AfterValidator(_opening),
                             Field(json_schema_extra={"pattern": _OPENING.pattern})],
                   ...] = Field(("09:00-18:00",), min_length=1,
                                description="Opening windows of a working day, HH:MM-HH:MM, "
                                            "in order, not overlapping.")
    holidays: Annotated[tuple[date, ...], AfterValidator(_unique)] = Field(
        (), description="Dates that are not working days, whatever chinesecalendar says.")
    workdays: Annotated[tuple[date, ...], AfterValidator(_unique)] = Field(
        (), description="Dates that are working days (调休 make-up days), whatever "
                        "chinesecalendar says.")
    schedule_years: Annotated[tuple[int, ...], AfterValidator(_unique)] = Field(
        (), description="Years whose whole official schedule is in holidays and workdays: "
                        "their other dates are Monday-Friday working days, not a fallback.")

    @field_validator("windows")
    @classmethod
    def _in_order(cls, windows: tuple[str, ...]) -> tuple[str, ...]:
        openings = [parse_opening(text) for text in windows]
        for index in range(1, len(openings)):
            if openings[index][0] < openings[index - 1][1]:
                raise PydanticCustomError(
                    "windows_overlap", "[{i}] {this} overlaps or precedes [{p}] {prev}: list "
                    "the windows in order, without overlaps",
                    {"i": index, "this": windows[index], "p": index - 1,
                     "prev": windows[index - 1]})
        return windows

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise PydanticCustomError("holiday_and_workday", "{dates} listed as both a holiday "
                                      "and a workday", {"dates": ", ".join(map(str, both))})
        empty = [y for y in self.schedule_years if not any(d.year == y for d in self.holidays)]
        if empty:
            raise PydanticCustomError(
                "empty_schedule", "schedule_years {years}: no holidays listed for it; enter "
                "the year's holidays and workdays, or leave the year out",
                {"years": ", ".join(map(str, empty))})
        return self

    def business_calendar(self) -> BusinessCalendar:
        """A fresh calendar (its fallback tally starts at zero), weekdays fallback on."""
        return BusinessCalendar(
            windows=tuple(parse_opening(text) for text in self.windows),
            tz=ZoneInfo(self.timezone), fallback="weekdays",
            holidays=frozenset(self.holidays), workdays=frozenset(self.workdays),
            schedule_years=frozenset(self.schedule_years))


class ViewSpec(_Section):
    """A view as the file writes it (its name is the key): what Prometheus gets per view key."""

    dimensions: Annotated[tuple[SegmentField, ...], AfterValidator(_unique)] = Field(
        description="Segment fields of the view key; [] is one key for everything.")
    groups: Annotated[tuple[Group, ...], AfterValidator(_unique)] = Field(
        GROUPS, min_length=1, description="Metric groups exported for the view.")
    max_keys: int = Field(DEFAULT_MAX_KEYS, ge=1,
                          description="Distinct keys per worker; more fold into 'other'.")
    counters: bool = Field(False, description="Also export stage-1 counters (for rate()).")
    route_by: Annotated[tuple[SegmentField, ...], AfterValidator(_unique)] | None = Field(
        None, description="Route keys by these dimensions only, so keys that share them live "
                          "in one stage-2 partition (the journey view: a business line's "
                          "stages are compared in one place). None: every dimension.")
    distribution: bool = Field(False, description="Also export score distributions.")
    requires_agent_cut: bool = Field(
        False, description="Only active when CXPULSE_AGENT_CUT is on (agent views).")
    export: bool = Field(
        True, description="Serve the view's series on /metrics (and generate its recording "
                          "rules); false keeps its windows in stage 2 for dives only.")

    @model_validator(mode="after")
    def _route_by_own_dimensions(self) -> Self:
        if self.route_by is not None and not set(self.route_by) <= set(self.dimensions):
            raise PydanticCustomError("route_by", "route_by must list dimensions of the view")
        return self

    @model_validator(mode="after")
    def _agent_needs_the_cut(self) -> Self:
        if "agent" in self.dimensions and not self.requires_agent_cut:
            raise PydanticCustomError(
                "agent_view", "a view by agent needs requires_agent_cut: true (without the "
                "agent cut every event's agent is 'all')")
        return self


class JourneySpec(_Section):
    """A customer journey: the business lines it describes, its stages in order, and an
    optional benchmark index (100 points) per stage, e.g. a survey database's average."""

    business_lines: Annotated[tuple[Label, ...], AfterValidator(_unique)] = Field(
        min_length=1, description="Business lines whose stages follow this journey.")
    stages: Annotated[tuple[Label, ...], AfterValidator(_unique)] = Field(
        min_length=2, description="Journey stages in the order a customer meets them.")
    benchmarks: dict[Label, Target] = Field(
        default_factory=dict, description="Stage -> benchmark index on 100 points.")

    @model_validator(mode="after")
    def _benchmarks_of_stages(self) -> Self:
        unknown = sorted(set(self.benchmarks) - set(self.stages))
        if unknown:
            raise PydanticCustomError("unknown_stage", "benchmarks for stages not in stages: "
                                      "{unknown}", {"unknown": ", ".join(unknown)})
        return self


class DiveMeasureSpec(_Section):
    """The survey item dives are judged on."""

    questionnaire: Label = Field("after_sales_10", description="Questionnaire id.")
    dimension: Dimension = Field("overall", description="Its headline dimension.")


class DivesSpec(_Section):
    """Dive detection (docs/dives.md): what is judged, where, and how strictly."""

    measure: DiveMeasureSpec = Field(default_factory=DiveMeasureSpec)
    time_views: Annotated[tuple[ViewName, ...], AfterValidator(_unique)] = Field(
        ("all", "region", "region_stage", "journey"),
        description="Views whose keys get time dives.")
    journey_view: ViewName | None = Field(
        "journey", description="The view of business_line + journey_stage that journey dives "
                               "read; None: no journey dives.")
    journey_min_points: float = Field(5.0, gt=0, le=100, description="Points below the "
                                      "previous stage or benchmark before a stage dives.")
    journey_alpha: float = Field(0.01, gt=0, lt=0.5, description="One-sided significance "
                                 "level of a journey dive.")
    journey_min_responses: int = Field(100, ge=2, description="Responses a stage (and the "
                                       "previous stage) needs before it may dive.")
    journey_window: WindowName = Field("7d", description="Window the journey curve is drawn on.")
    design_points: float = Field(5.0, gt=0, le=50, description="Smallest sustained fall "
                                 "(points) the time detector is tuned to catch.")
    target_run_days: float = Field(365.0, gt=1, description="In-control run length per view key "
                                   "(days between false alarms) the threshold is set from.")
    step_minutes: int = Field(10, ge=1, le=60, description="Time detector step.")
    span_hours: int = Field(12, ge=1, le=23, description="Hours the detector runs over.")
    baseline_days: int = Field(7, ge=1, le=29, description="Baseline length before the span.")
    recent_hours: int = Field(3, ge=1, le=23, description="Recent side when no dive is on.")
    min_responses: int = Field(30, ge=2, description="Responses the recent side needs.")
    min_baseline: int = Field(300, ge=2, description="Responses the baseline needs.")
    shrink_responses: int = Field(200, ge=0, description="Pulls an hour of the day's baseline "
                                  "mean towards the whole baseline's: weight n / (n + this).")
    dispersion_min_days: int = Field(3, ge=2, description="Baseline days with responses the "
                                     "over-dispersion estimate needs (fewer: phi = 1).")
    dispersion_cap: float = Field(4.0, ge=1, le=100, description="Largest variance inflation "
                                  "phi the time detector's sigma may take from its baseline.")

    def rules(self) -> DiveRules:
        return DiveRules(**self.model_dump(exclude={"measure", "time_views", "journey_view"}))


class DataConfig(_Section):
    """The whole file. Read ``views`` (typed, in file order) rather than ``view_specs``."""

    questionnaires: dict[Label, QuestionnaireSpec] = Field(
        min_length=1, description="Questionnaire id -> its scale and dimensions.")
    survey_targets: SurveyTargetsSpec = Field(default_factory=SurveyTargetsSpec)
    ring_targets: RingTargetsSpec = Field(default_factory=RingTargetsSpec)
    calendar: CalendarSpec = Field(default_factory=CalendarSpec)
    windows: Annotated[tuple[WindowName, ...], AfterValidator(_unique)] = Field(
        DEFAULT_WINDOWS, min_length=1, description="Live windows exported to Prometheus.")
    view_specs: dict[ViewName, ViewSpec] = Field(
        alias="views", min_length=1, description="View name -> view.")
    journeys: dict[Label, JourneySpec] = Field(
        default_factory=dict, description="Journey name -> its lines, stages and benchmarks.")
    dives: DivesSpec = Field(default_factory=DivesSpec)
    _views: tuple[View, ...] = PrivateAttr(())
    _catalogue: Mapping[str, Questionnaire] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _targets_name_known_dimensions(self) -> Self:
        problems = []
        for name, targets in self.survey_targets.questionnaires.items():
            where = f"survey_targets.questionnaires.{name}"
            known = self.questionnaires.get(name)
            if known is None:
                problems.append(f"{where}: not a questionnaire of this file "
                                f"(known: {', '.join(self.questionnaires)})")
                continue
            problems += [f"{where}.dimensions.{d}: not a dimension of {name} "
                         f"(known: {', '.join(known.dimensions)})"
                         for d in targets.dimensions if d not in known.dimensions]
        if problems:
            raise PydanticCustomError("unknown_name", "{problems}",
                                      {"problems": "\n".join(problems)})
        return self

    @model_validator(mode="after")
    def _dives_name_known_things(self) -> Self:
        # Without a dives section the defaults apply where they fit (a file without the
        # measure's questionnaire has no dives; views it lacks are skipped).
        if "dives" not in self.model_fields_set:
            return self
        problems = []
        measure = self.dives.measure
        known = self.questionnaires.get(measure.questionnaire)
        if known is None:
            problems.append(f"dives.measure.questionnaire: {measure.questionnaire} is not a "
                            f"questionnaire of this file")
        elif measure.dimension not in known.dimensions:
            problems.append(f"dives.measure.dimension: {measure.dimension} is not a dimension "
                            f"of {measure.questionnaire}")
        problems += [f"dives.time_views: {name} is not a view of this file"
                     for name in self.dives.time_views if name not in self.view_specs]
        journey_view = self.dives.journey_view
        if journey_view is not None:
            spec = self.view_specs.get(journey_view)
            if spec is None or set(spec.dimensions) != {"business_line", "journey_stage"}:
                problems.append(f"dives.journey_view: {journey_view} must be a view of exactly "
                                f"business_line and journey_stage")
            elif tuple(spec.route_by or ()) != ("business_line",):
                problems.append(f"views.{journey_view}.route_by must be [business_line], so a "
                                f"line's stages meet in one stage-2 partition")
        lines = [line for journey in self.journeys.values() for line in journey.business_lines]
        twice = sorted({line for line in lines if lines.count(line) > 1})
        if twice:
            problems.append(f"journeys: business lines in more than one journey: {twice}")
        if problems:
            raise PydanticCustomError("dives", "{problems}", {"problems": "\n".join(problems)})
        return self

    def model_post_init(self, context: object) -> None:
        # Built once: the stream reads these per event or per scrape.
        self._views = tuple(View(name, spec.dimensions, frozenset(spec.groups), spec.max_keys,
                                 spec.counters, spec.distribution, spec.requires_agent_cut,
                                 spec.route_by, spec.export)
                            for name, spec in self.view_specs.items())
        self._catalogue = MappingProxyType(catalogue(
            Questionnaire(name, q.scale_min, q.scale_max, q.dimensions,
                          tuple(sorted(q.scale_labels.items(), reverse=True)))
            for name, q in self.questionnaires.items()))

    @property
    def views(self) -> tuple[View, ...]:
        """Every configured view in file order, agent views included."""
        return self._views

    def active_views(self, agent_cut: bool) -> tuple[View, ...]:
        """The views a worker serves: those needing the agent cut only when it is on."""
        return tuple(v for v in self._views if agent_cut or not v.requires_agent_cut)

    def catalogue(self) -> Mapping[str, Questionnaire]:
        """Questionnaire id -> Questionnaire (read-only), what surveys are checked against."""
        return self._catalogue

    def dive_journey_view(self) -> str | None:
        """The journey view dives read, when it exists and is routed by business line."""
        name = self.dives.journey_view
        spec = self.view_specs.get(name) if name is not None else None
        if spec is None or tuple(spec.route_by or ()) != ("business_line",):
            return None
        return name

    def journey_list(self) -> tuple[Journey, ...]:
        """The configured journeys, as the pure objects metrics/journeys.py takes."""
        return tuple(Journey(name, spec.business_lines, spec.stages, dict(spec.benchmarks))
                     for name, spec in self.journeys.items())

    def dive_measure(self) -> Measure | None:
        """The survey item dives judge, with its scale and the candidate driver dimensions;
        None when the file has no such questionnaire dimension (no dives)."""
        spec = self.dives.measure
        known = self.questionnaires.get(spec.questionnaire)
        if known is None or spec.dimension not in known.dimensions:
            return None
        return Measure(spec.questionnaire, spec.dimension, known.scale_min, known.scale_max,
                       tuple(d for d in known.dimensions if d != spec.dimension))

    def call_rules(self, cadence_s: float, short_abandon_s: float) -> CallRules:
        """The call formula parameters: ring targets from the file, timings from settings."""
        return CallRules(cadence_s, short_abandon_s, self.ring_targets.default,
                         dict(self.ring_targets.queues))
