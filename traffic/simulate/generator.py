"""The seeded traffic simulator: a deterministic stream of calls, ticket events and surveys.

Contacts (calls and new tickets) arrive as a Poisson process shaped by the diurnal curve. What
follows a contact happens later in event time: a call's record is sent when it ends, a ticket's
lifecycle steps at their planned times, a survey some minutes after the contact. A priority
queue keyed by emission time (:mod:`traffic.simulate.schedule`) holds one entry per open ticket
plus the calls and surveys in flight, so memory is bounded by rate x lifecycle length (see
docs/simulator.md).
No wall clock and no global random state is used: the same config, scenario and start always
give the same items.
"""

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from traffic.simulate.calls import call_contact, call_payload, plan_call
from traffic.simulate.config import SimulatorConfig
from traffic.simulate.effects import Effects
from traffic.simulate.faults import FaultInjector
from traffic.simulate.items import SimItem, new_item
from traffic.simulate.scenario import Scenario
from traffic.simulate.schedule import Schedule
from traffic.simulate.surveys import Contact, make_survey, survey_delay_ms
from traffic.simulate.tickets import Ticket, advance, open_ticket
from traffic.simulate.world import World

__all__ = ["SimItem", "generate"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Schedule entry codes: a call ending, a ticket's next step, a survey answered, and a finished
# message held back to be delivered late.
_CALL, _TICKET, _SURVEY, _LATE = 0, 1, 2, 3


def generate(
    config: SimulatorConfig,
    scenario: Scenario | None,
    start: datetime,
    count: int | None = None,
    duration_s: float | None = None,
) -> Iterator[SimItem]:
    """Items in non-decreasing ``emitted_at`` order, starting at ``start`` (event time).

    ``start`` must be timezone-aware; it is truncated to the millisecond and overrides
    ``config.start`` (which is only a default for callers). The stream stops after ``count``
    items (faults included) or before the first item emitted ``duration_s`` seconds or more
    after ``start``, whichever comes first; with neither it never ends. About the first day of
    event time is a warm-up: ticket steps and surveys follow the contacts that cause them, so
    their share of the stream ramps up to the configured mix.

    Raises ValueError for a naive ``start`` or a negative limit, and
    :class:`~traffic.simulate.errors.ScenarioError` when the scenario names segment values the
    config does not generate. Arguments are checked at the call, not at the first ``next()``.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    if count is not None and count < 0:
        raise ValueError(f"count must be >= 0, not {count}")
    if duration_s is not None and not duration_s >= 0:
        raise ValueError(f"duration_s must be >= 0, not {duration_s}")
    start_ms = (start - _EPOCH) // timedelta(milliseconds=1)
    world = World(config, start_ms)
    effects = Effects(scenario, config, start_ms)
    end_ms = float("inf") if duration_s is None else start_ms + duration_s * 1000
    items = _stream(world, effects, end_ms)
    if config.invalid_share or config.duplicate_share:
        items = _with_faults(
            items, FaultInjector(config.seed, config.invalid_share, config.duplicate_share)
        )
    return items if count is None else itertools.islice(items, count)


def _with_faults(items: Iterator[SimItem], faults: FaultInjector) -> Iterator[SimItem]:
    for item in items:
        yield from faults.before(item)
        yield item


def _stream(world: World, effects: Effects, end_ms: float) -> Iterator[SimItem]:
    """The valid events, in emission order, until ``end_ms`` (epoch ms, exclusive).

    Pending entries stay compact (a planned call, an open ticket, a survey due); payloads are
    built only when emitted, so they are short-lived and the working set stays small.
    """
    config = world.config
    rng = random.Random(f"{config.seed}/traffic")
    # Lateness has its own stream so that late_share does not reshuffle the traffic itself.
    late_rng = random.Random(f"{config.seed}/late")
    late_share, late_ms = config.late_share, int(config.late_by_s * 1000)
    call_probability, survey_probability = world.call_probability, world.survey_probability
    to_datetime = world.timestamps.datetime
    schedule = Schedule()
    push, peek_ms, pop = schedule.push, schedule.peek_ms, schedule.pop
    calls = tickets = ticket_events = surveys = 0

    def schedule_survey(contact: Contact, after_ms: int) -> None:
        nonlocal surveys
        push(after_ms + survey_delay_ms(contact.kind, rng), _SURVEY, (surveys, contact))
        surveys += 1

    next_arrival = world.arrivals.next_ms
    next_arrival_ms = next_arrival(world.start_ms, rng)
    while True:
        due_ms = peek_ms()
        while next_arrival_ms <= due_ms:
            t_ms = int(next_arrival_ms)
            if rng.random() < call_probability:
                call = plan_call(world, rng, calls, t_ms, effects)
                push(call.end_ms, _CALL, call)
                calls += 1
            else:
                push(t_ms, _TICKET, open_ticket(world, rng, tickets, t_ms, effects))
                tickets += 1
            next_arrival_ms = next_arrival(next_arrival_ms, rng)
            due_ms = peek_ms()
        emit_ms, code, entry = pop()
        if emit_ms >= end_ms:
            return
        if code == _CALL:
            call = entry
            if call.surveyed:
                schedule_survey(call_contact(world, call), emit_ms)
            kind, key, payload, occurred_ms = (
                "call", call.customer.id, call_payload(world, call), call.offered_ms
            )
        elif code == _TICKET:
            ticket: Ticket = entry
            step = advance(world, ticket, ticket_events)
            ticket_events += 1
            if ticket.plan:
                push(ticket.next_ms(), _TICKET, ticket)
            if step.first_resolution and rng.random() < survey_probability:
                schedule_survey(ticket.contact(world), emit_ms)
            kind, key, payload, occurred_ms = "ticket", ticket.customer.id, step.payload, emit_ms
        elif code == _SURVEY:
            number, contact = entry
            payload = make_survey(world, rng, number, emit_ms, contact, effects)
            kind, key, occurred_ms = "survey", contact.customer.id, emit_ms
        else:
            kind, key, payload, occurred_ms = entry
        if code != _LATE and late_share and late_rng.random() < late_share:
            push(emit_ms + late_ms, _LATE, (kind, key, payload, occurred_ms))
            continue
        emitted_at = to_datetime(emit_ms)
        occurred_at = emitted_at if occurred_ms == emit_ms else to_datetime(occurred_ms)
        yield new_item(kind, key, payload, occurred_at, emitted_at)
