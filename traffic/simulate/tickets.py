"""Tickets: whole lifecycles, planned at creation and emitted one step at a time.

created -> first_response -> (updated | paused -> resumed)* -> resolved -> closed, sometimes
followed by reopened -> resolved -> closed. Tickets resolved at first contact resolve at the first
response. All timings are per-kind distributions (see :data:`PROFILES` and docs/simulator.md);
every step is clamped, so a lifecycle ends at most 8 days after creation.
"""

from __future__ import annotations

import math
import random
from array import array
from typing import TYPE_CHECKING, Any, NamedTuple

from traffic.simulate.sampling import exponential, lognormal, normal
from traffic.simulate.surveys import Contact

if TYPE_CHECKING:
    from collections.abc import Mapping

    from traffic.simulate.effects import Effects
    from traffic.simulate.world import Customer, World

HOUR_S = 3_600.0


class KindProfile(NamedTuple):
    """Timing and outcome parameters of one ticket kind (seconds, shares in 0..1)."""

    response_median_s: float
    work_median_s: float
    first_contact_share: float
    reopen_share: float
    due_after_s: float | None
    repeat_share: float


PROFILES: dict[str, KindProfile] = {
    "complaint": KindProfile(40 * 60, 10 * HOUR_S, 0.10, 0.08, 72 * HOUR_S, 0.10),
    "repair": KindProfile(60 * 60, 6 * HOUR_S, 0.05, 0.06, 48 * HOUR_S, 0.12),
    "inquiry": KindProfile(20 * 60, 2 * HOUR_S, 0.60, 0.02, None, 0.0),
    "suggestion": KindProfile(3 * HOUR_S, 8 * HOUR_S, 0.50, 0.01, None, 0.0),
}
# sigma 1.5 spreads first responses over all four score bands (<1 h, 1-3 h, 3-24 h, >24 h).
RESPONSE_SIGMA = 1.5
RESPONSE_MIN_S, RESPONSE_MAX_S = 30.0, 48 * HOUR_S
WORK_SIGMA = 1.0
WORK_MIN_S, WORK_MAX_S = 600.0, 72 * HOUR_S
ONE_UPDATE_SHARE, TWO_UPDATES_SHARE = 0.25, 0.15
PAUSE_SHARE, PAUSE_MEAN_S, PAUSE_MIN_S, PAUSE_MAX_S = 0.15, 4 * HOUR_S, 300.0, 12 * HOUR_S
CLOSE_MEAN_S, CLOSE_MIN_S, CLOSE_MAX_S = HOUR_S, 60.0, 12 * HOUR_S
REOPEN_MEAN_S, REOPEN_MIN_S, REOPEN_MAX_S = 12 * HOUR_S, 600.0, 24 * HOUR_S
REWORK_MEAN_S, REWORK_MIN_S, REWORK_MAX_S = 4 * HOUR_S, 600.0, 12 * HOUR_S
# Spare-parts availability of a repair, in 10-point points; scarce parts also slow the work.
PARTS_SD = 0.8
PARTS_WORK_FACTOR = 0.4
ISSUE_CATEGORIES = (
    "product_quality", "delivery_delay", "installation", "billing", "service_attitude",
    "noise", "warranty", "other",
)
_KIND_STAGES = ("repair", "complaint")
# Lifecycle actions, by the 3-bit code packed below each planned step's time.
ACTIONS = ("created", "first_response", "updated", "paused", "resumed", "resolved", "closed",
           "reopened")
(_CREATED, _FIRST_RESPONSE, _UPDATED, _PAUSED, _RESUMED, _RESOLVED, _CLOSED,
 _REOPENED) = range(len(ACTIONS))
_ACTION_BITS, _ACTION_MASK = 3, 7
_EVENTS_PER_WORK = ONE_UPDATE_SHARE + 2 * TWO_UPDATES_SHARE + 2 * PAUSE_SHARE


def expected_events_per_ticket(kind_weights: Mapping[str, float]) -> float:
    """Mean number of lifecycle events per ticket for this kind mix (about 4.7 by default).

    Four always (created, first_response, resolved, closed), plus updates and pause/resume
    pairs for tickets not resolved at first contact, plus three for a reopening.
    """
    total = sum(kind_weights.values())
    mean = 0.0
    for kind, weight in kind_weights.items():
        profile = PROFILES[str(kind)]
        events = (4 + (1 - profile.first_contact_share) * _EVENTS_PER_WORK
                  + 3 * profile.reopen_share)
        mean += weight / total * events
    return mean


def speed_driver(first_response_s: float) -> float:
    """Speed driver (10-point points) by first-response band: <1 h +0.5, <3 h -0.3, <=24 h -1.5,
    more -3.0 (the 5/4/3/1-point response bands of the domain)."""
    if first_response_s < HOUR_S:
        return 0.5
    if first_response_s < 3 * HOUR_S:
        return -0.3
    if first_response_s <= 24 * HOUR_S:
        return -1.5
    return -3.0


class Ticket:
    """One open ticket; ``plan`` packs its remaining steps, last first, as ``ms << 3 | action``.

    A busy run keeps hundreds of thousands of tickets open, so the state is compact: the plan
    is an array of machine integers rather than a list of tuples, and ids are built when sent.
    """

    __slots__ = ("number", "customer", "kind", "channel", "queue", "stage", "agent", "due_at",
                 "asset_id", "issue_category", "plan", "first_contact", "resolutions",
                 "speed", "fix", "parts")

    def __init__(self) -> None:
        self.resolutions = 0

    def next_ms(self) -> int:
        """Epoch ms of the next planned step; IndexError when the lifecycle is over."""
        return self.plan[-1] >> _ACTION_BITS

    def contact(self, world: World) -> Contact:
        """The contact a follow-up survey rates."""
        return Contact(self.customer, self.channel, self.queue, self.stage, self.agent,
                       self.kind, "ticket_id", f"tk-{world.run_tag}-{self.number}", self.speed,
                       self.agent.skill, self.fix, self.parts)


def _clamped(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def open_ticket(
    world: World, rng: random.Random, number: int, t_ms: int, effects: Effects
) -> Ticket:
    """A ticket created at ``t_ms`` with its whole lifecycle planned."""
    ticket = Ticket()
    kind = ticket.kind = world.ticket_kinds.pick(rng)
    profile = PROFILES[kind]
    customer, repeat = _customer_and_subject(world, rng, ticket, profile)
    # Repairs and complaints are journey stages of their own when the journey has them.
    stage = kind if kind in _KIND_STAGES and kind in world.stage_shift else world.stages.pick(rng)
    ticket.number = number
    ticket.customer, ticket.stage = customer, stage
    ticket.channel = world.ticket_channels.pick(rng)
    ticket.queue = world.queue_for(stage, rng)
    ticket.agent = world.agent(rng)
    ticket.due_at = (None if profile.due_after_s is None
                     else world.timestamps.iso(t_ms + int(profile.due_after_s * 1000)))
    world.recent_tickets.add((customer, stage))
    factors = effects.at(t_ms, customer.region, ticket.queue, customer.business_line, stage,
                         ticket.channel, kind)
    response_s = _clamped(
        lognormal(rng, profile.response_median_s, RESPONSE_SIGMA)
        * factors.response_delay, RESPONSE_MIN_S, RESPONSE_MAX_S,
    )
    ticket.parts = normal(rng, PARTS_SD) - (1.0 if repeat else 0.0) if kind == "repair" else 0.0
    ticket.first_contact = rng.random() < profile.first_contact_share
    ticket.plan, resolved_s = _plan(rng, profile, t_ms, response_s, ticket)
    ticket.speed = speed_driver(response_s)
    ticket.fix = ((0.6 if ticket.first_contact else 0.0)
                  - (1.0 if resolved_s > 24 * HOUR_S else 0.0) - (1.5 if repeat else 0.0))
    return ticket


def _customer_and_subject(
    world: World, rng: random.Random, ticket: Ticket, profile: KindProfile
) -> tuple[Customer, bool]:
    """Pick the customer, and the asset (repairs) or issue (complaints); True for a repeat."""
    ticket.asset_id = ticket.issue_category = None
    if ticket.kind == "repair":
        recent = world.recent_repairs
    elif ticket.kind == "complaint":
        recent = world.recent_complaints
    else:
        return world.customer(rng), False
    previous = recent.pick(rng) if rng.random() < profile.repeat_share else None
    if previous is not None:
        customer, subject = previous
    else:
        customer = world.customer(rng)
        subject = (f"{customer.id}-a{1 + int(rng.random() * customer.assets)}"
                   if ticket.kind == "repair"
                   else ISSUE_CATEGORIES[int(rng.random() * len(ISSUE_CATEGORIES))])
    recent.add((customer, subject))
    if ticket.kind == "repair":
        ticket.asset_id = subject
    else:
        ticket.issue_category = subject
    return customer, previous is not None


def _plan(
    rng: random.Random, profile: KindProfile, t_ms: int, response_s: float, ticket: Ticket
) -> tuple[array[int], float]:
    """(packed steps, last first; seconds from creation to first resolution).

    Steps are appended in time order by construction; steps sharing a millisecond keep their
    logical order (first_response before a resolution at first contact, resumed before an
    update), so no sort is needed.
    """
    first_ms = t_ms + int(response_s * 1000)
    steps = [(t_ms, _CREATED), (first_ms, _FIRST_RESPONSE)]
    if ticket.first_contact:
        resolved_ms = first_ms
    else:
        work_s = _clamped(
            lognormal(rng, profile.work_median_s, WORK_SIGMA)
            * math.exp(-PARTS_WORK_FACTOR * ticket.parts / PARTS_SD), WORK_MIN_S, WORK_MAX_S,
        )
        u = rng.random()
        updates = (2 if u < TWO_UPDATES_SHARE
                   else 1 if u < TWO_UPDATES_SHARE + ONE_UPDATE_SHARE else 0)
        offsets_s = sorted(rng.random() * work_s for _ in range(updates))
        pause_at_s, pause_s = work_s, 0.0
        if rng.random() < PAUSE_SHARE:
            pause_at_s = rng.random() * work_s
            pause_s = _clamped(exponential(rng, PAUSE_MEAN_S), PAUSE_MIN_S, PAUSE_MAX_S)
        pause_placed = pause_s == 0.0  # no pause: nothing to place
        for offset_s in offsets_s:
            if offset_s >= pause_at_s and not pause_placed:
                steps.append((first_ms + int(pause_at_s * 1000), _PAUSED))
                steps.append((first_ms + int((pause_at_s + pause_s) * 1000), _RESUMED))
                pause_placed = True
            # Nothing is updated while the ticket waits on the customer: later updates move on.
            shifted_s = offset_s + (pause_s if offset_s >= pause_at_s else 0.0)
            steps.append((first_ms + int(shifted_s * 1000), _UPDATED))
        if not pause_placed:
            steps.append((first_ms + int(pause_at_s * 1000), _PAUSED))
            steps.append((first_ms + int((pause_at_s + pause_s) * 1000), _RESUMED))
        resolved_ms = first_ms + int((work_s + pause_s) * 1000)
    steps.append((resolved_ms, _RESOLVED))
    closed_ms = resolved_ms + _delay_ms(rng, CLOSE_MEAN_S, CLOSE_MIN_S, CLOSE_MAX_S)
    steps.append((closed_ms, _CLOSED))
    if rng.random() < profile.reopen_share:
        reopened_ms = closed_ms + _delay_ms(rng, REOPEN_MEAN_S, REOPEN_MIN_S, REOPEN_MAX_S)
        resolved_again_ms = reopened_ms + _delay_ms(rng, REWORK_MEAN_S, REWORK_MIN_S,
                                                    REWORK_MAX_S)
        steps += [
            (reopened_ms, _REOPENED),
            (resolved_again_ms, _RESOLVED),
            (resolved_again_ms + _delay_ms(rng, CLOSE_MEAN_S, CLOSE_MIN_S, CLOSE_MAX_S),
             _CLOSED),
        ]
    packed = array("q", [step_ms << _ACTION_BITS | action for step_ms, action in reversed(steps)])
    return packed, (resolved_ms - t_ms) / 1000


def _delay_ms(rng: random.Random, mean_s: float, low_s: float, high_s: float) -> int:
    return int(_clamped(exponential(rng, mean_s), low_s, high_s) * 1000)


class Step(NamedTuple):
    """One emitted lifecycle step; ``first_resolution`` is when a survey may follow."""

    action: str
    t_ms: int
    payload: dict[str, Any]
    first_resolution: bool


def advance(world: World, ticket: Ticket, number: int) -> Step:
    """Take the ticket's next planned step and build its event; ``number`` makes its id unique.

    ``agent_id`` appears once the ticket is assigned (from the first response on);
    ``resolved_at_first_contact`` only on resolutions. Raises IndexError when the plan is done.
    """
    packed = ticket.plan.pop()
    t_ms, action = packed >> _ACTION_BITS, ACTIONS[packed & _ACTION_MASK]
    customer: Customer = ticket.customer
    payload: dict[str, Any] = {
        "schema_version": 1,
        "type": "ticket",
        "event_id": f"t-{world.run_tag}-{number}",
        "occurred_at": world.timestamps.iso(t_ms),
        "customer_id": customer.id,
        "customer_since": customer.since,
        "value_tier": customer.tier,
        "region": customer.region,
        "channel": ticket.channel,
        "queue": ticket.queue,
        "business_line": customer.business_line,
        "journey_stage": ticket.stage,
        "ticket_id": f"tk-{world.run_tag}-{ticket.number}",
        "kind": ticket.kind,
        "action": action,
    }
    if customer.since is None:
        del payload["customer_since"]
    if action != "created":
        payload["agent_id"] = ticket.agent.id
    if ticket.due_at is not None:
        payload["due_at"] = ticket.due_at
    if ticket.asset_id is not None:
        payload["asset_id"] = ticket.asset_id
    if ticket.issue_category is not None:
        payload["issue_category"] = ticket.issue_category
    first_resolution = False
    if action == "resolved":
        first_resolution = ticket.resolutions == 0
        payload["resolved_at_first_contact"] = ticket.first_contact and first_resolution
        ticket.resolutions += 1
    return Step(action, t_ms, payload, first_resolution)
