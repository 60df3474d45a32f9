"""A scenario compiled for the hot path: which factors apply to one contact at one moment."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from traffic.simulate.errors import ScenarioError

if TYPE_CHECKING:
    from traffic.simulate.config import SimulatorConfig
    from traffic.simulate.scenario import Scenario

MS_PER_MINUTE = 60_000
# Order of the segment fields passed to Effects.at; a rule tests fields by position.
_FIELDS = ("region", "queue", "business_line", "journey_stage", "channel", "kind")


class Factors(NamedTuple):
    """Combined effect on one contact; neutral values change nothing."""

    response_delay: float = 1.0
    wait: float = 1.0
    abandon: float = 1.0
    satisfaction_shift: float = 0.0


NEUTRAL = Factors()


class _Rule(NamedTuple):
    from_ms: int
    until_ms: float
    conditions: tuple[tuple[int, str], ...]
    factors: Factors
    ramp_ms: float = 0.0


class Effects:
    """The effects of a scenario (or none), anchored at the simulation start."""

    __slots__ = ("_rules",)

    def __init__(self, scenario: Scenario | None, config: SimulatorConfig, start_ms: int) -> None:
        """Compile ``scenario`` against ``config``.

        Raises :class:`ScenarioError` when a match names a region, queue, business line or
        journey stage the config does not generate (such an effect could never fire).
        """
        self._rules: tuple[_Rule, ...] = ()
        if scenario is None:
            return
        known = {
            "region": config.regions,
            "queue": config.queues,
            "business_line": config.business_lines,
            "journey_stage": config.journey_stages,
        }
        rules = []
        for index, effect in enumerate(scenario.effects):
            conditions = []
            for position, name in enumerate(_FIELDS):
                value = getattr(effect.match, name)
                if value is None:
                    continue
                value = str(value)
                if name in known and value not in known[name]:
                    raise ScenarioError(
                        f"effects[{index}].match.{name}: {value!r} is not one of the simulated "
                        f"values ({', '.join(known[name])})"
                    )
                conditions.append((position, value))
            until_ms = (float("inf") if effect.until_minute is None
                        else start_ms + effect.until_minute * MS_PER_MINUTE)
            rules.append(_Rule(
                start_ms + round(effect.from_minute * MS_PER_MINUTE),
                until_ms,
                tuple(conditions),
                Factors(effect.response_delay_factor, effect.wait_factor,
                        effect.abandon_factor, effect.satisfaction_shift),
                effect.ramp_minutes * MS_PER_MINUTE,
            ))
        self._rules = tuple(rules)

    def at(
        self, t_ms: int, region: str, queue: str, business_line: str, journey_stage: str,
        channel: str, kind: str,
    ) -> Factors:
        """Factors for a contact of this segment at ``t_ms``; :data:`NEUTRAL` when none apply.

        ``kind`` is ``call`` or the ticket kind. Overlapping effects multiply their factors and
        add their shifts.
        """
        if not self._rules:
            return NEUTRAL
        segment = (region, queue, business_line, journey_stage, channel, kind)
        delay = wait = abandon = 1.0
        shift = 0.0
        # A plain loop: all() over a generator costs more than the rest of this method.
        matched = False
        for from_ms, until_ms, conditions, factors, ramp_ms in self._rules:
            if not from_ms <= t_ms < until_ms:
                continue
            for position, value in conditions:
                if segment[position] != value:
                    break
            else:
                matched = True
                delay *= factors.response_delay
                wait *= factors.wait
                abandon *= factors.abandon
                if ramp_ms and t_ms - from_ms < ramp_ms:
                    shift += factors.satisfaction_shift * (t_ms - from_ms) / ramp_ms
                else:
                    shift += factors.satisfaction_shift
        return Factors(delay, wait, abandon, shift) if matched else NEUTRAL
