"""Journey dives: a stage's index against the stage before it, and against its benchmark.

A journey is configuration (data file ``journeys``): the business lines it applies to, its
stages in order and an optional benchmark index per stage. For one business line, each stage's
window totals (the ``journey`` view: business_line + journey_stage) give the curve; a stage
dives when its index is more than ``journey_min_points`` below the reference AND the fall is
significant at ``journey_alpha`` (one-sided normal test on the index standard errors) AND each
sampled side has ``journey_min_responses``. The benchmark is a fixed number, so only the stage
side is sampled. Formulas and choices: docs/dives.md, "Journey dives".
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from metrics.components import Bucket
from metrics.dives import Dive, DiveRules, Measure, Side, compare
from metrics.drivers import dimension_driver, operational_driver
from metrics.errors import MetricInputError


@dataclass(frozen=True)
class Journey:
    """An ordered journey and the business lines it describes."""

    name: str
    business_lines: tuple[str, ...]
    stages: tuple[str, ...]
    benchmarks: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.stages)) != len(self.stages) or not self.stages:
            raise MetricInputError(f"journey {self.name}: stages must be listed once each")
        unknown = set(self.benchmarks) - set(self.stages)
        if unknown:
            raise MetricInputError(f"journey {self.name}: benchmarks for unknown stages "
                                   f"{sorted(unknown)}")


def _side(bucket: Bucket, measure: Measure) -> Side:
    prefix = measure.prefix()
    return Side.of(int(bucket.get(prefix + "responses", 0)), int(bucket.get(prefix + "sum_scores", 0)),
                   int(bucket.get(prefix + "sum_squares", 0)), measure.scale_max)


def _judge(key: str, kind: str, stage: Side, reference: Side, rules: DiveRules,
           sampled_reference: bool) -> Dive:
    found = compare(reference, stage)
    if found is None:
        return Dive(key, kind, False, recent=stage.n, baseline=reference.n, index=stage.index,
                    reference=reference.index, note="no index")
    depth, margin, p = found
    enough = stage.n >= rules.journey_min_responses and (
        not sampled_reference or reference.n >= rules.journey_min_responses)
    active = enough and depth > rules.journey_min_points and p < rules.journey_alpha
    note = "" if enough else "below the minimum sample"
    return Dive(key, kind, active, active, depth, margin, p, stage.n, reference.n, stage.index,
                reference.index, note=note)


def journey_dives(journey: Journey, line: str, buckets: Mapping[str, Bucket], measure: Measure,
                  rules: DiveRules, key_of) -> list[Dive]:
    """Both journey dives of every stage of ``line`` that has totals in ``buckets``.

    ``buckets``: stage -> window totals; ``key_of(stage)`` names the view key. The previous
    stage is the one just before in the journey's order (none for the first stage); a stage
    without a benchmark has no benchmark dive.
    """
    dives = []
    previous: tuple[Side, Bucket] | None = None
    for stage in journey.stages:
        bucket = buckets.get(stage)
        side = _side(bucket, measure) if bucket is not None else Side(0, None, None)
        key = key_of(stage)
        if bucket is not None:
            if previous is not None:
                dive = _judge(key, "stage_vs_previous", side, previous[0], rules, True)
                dives.append(_with_drivers(dive, bucket, previous[1], measure, rules))
            benchmark = journey.benchmarks.get(stage)
            if benchmark is not None:
                dive = _judge(key, "stage_vs_benchmark", side, Side.fixed(benchmark), rules, False)
                reference = previous[1] if previous is not None else None
                dives.append(_with_drivers(dive, bucket, reference, measure, rules))
        previous = (side, bucket) if bucket is not None else None
    return dives


def _with_drivers(dive: Dive, bucket: Bucket, reference: Bucket | None, measure: Measure,
                  rules: DiveRules) -> Dive:
    """Drivers against the previous stage (a benchmark has no dimensions to compare)."""
    if not dive.active or reference is None:
        return dive
    driver, drop = dimension_driver(bucket, reference, measure, rules.min_responses)
    name, before, after = operational_driver(bucket, reference)
    return Dive(**{**dive.as_dict(), "driver": driver, "driver_drop": drop, "measure": name,
                   "measure_from": before, "measure_to": after})
