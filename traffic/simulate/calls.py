"""Calls: one call detail record per offered call, emitted when the call ends.

Wait: log-normal around the queue's median, which scales with the diurnal load (the configured
median holds at the daily peak, 40 % of it in the dead of night). Abandonment: each caller has an
exponential patience (mean 120 s); a caller whose patience runs out before the answer hangs up, so
long waits abandon more. A few callers hang up within 5 s regardless (short abandons).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, NamedTuple

from traffic.simulate.sampling import exponential, lognormal
from traffic.simulate.surveys import Contact

if TYPE_CHECKING:
    from traffic.simulate.effects import Effects
    from traffic.simulate.world import Agent, Customer, World

# Rough share of calls answered with the defaults; only used to size the survey rate.
ANSWERED_SHARE = 0.90
SHORT_ABANDON_SHARE = 0.03
SHORT_ABANDON_MIN_S = 0.5
SHORT_ABANDON_MAX_S = 5.0
PATIENCE_MEAN_S = 120.0
WAIT_SIGMA = 0.9
WAIT_MAX_S = 1_800.0
NIGHT_WAIT_FLOOR = 0.4
TALK_MEDIAN_S = 150.0
TALK_SIGMA = 0.7
TALK_PER_TRANSFER_S = 60.0
TALK_MAX_S = 3_600.0
ONE_TRANSFER_SHARE = 0.10
TWO_TRANSFERS_SHARE = 0.02
# Some switches report the ring count themselves; the rest leave it to the wait-based rule.
SWITCH_RINGS_SHARE = 0.30
RING_CADENCE_S = 5.0
# Share of calls from a customer with a recent ticket, chasing it: the cross-channel repeat
# contact that first-contact resolution looks for.
CHASER_SHARE = 0.08


class Call(NamedTuple):
    """A call planned at offer time (all draws made); rendered when it ends.

    ``talk_s`` and ``agent`` are None for an abandoned call, ``rings`` when the switch does not
    report them. ``surveyed`` says a survey follows the call.
    """

    number: int
    offered_ms: int
    end_ms: int
    customer: Customer
    stage: str
    queue: str
    wait_s: float
    rings: int | None
    talk_s: float | None
    transfers: int
    agent: Agent | None
    chased: bool
    surveyed: bool


# NamedTuple's own __new__ is a Python function; tuple.__new__ builds a Call at half the cost.
_tuple_new = tuple.__new__


def speed_driver(wait_s: float) -> float:
    """Service-speed driver (10-point points) from the wait: < 15 s +0.4, < 60 s -0.6, else -1.8."""
    if wait_s < 15.0:
        return 0.4
    if wait_s < 60.0:
        return -0.6
    return -1.8


def plan_call(
    world: World, rng: random.Random, number: int, t_ms: int, effects: Effects
) -> Call:
    """The call offered at ``t_ms`` (epoch ms); ``number`` makes its ids unique in the run."""
    chased = world.recent_tickets.pick(rng) if rng.random() < CHASER_SHARE else None
    if chased is not None:
        customer, stage = chased
    else:
        customer, stage = world.customer(rng), world.stages.pick(rng)
    queue = world.queue_for(stage, rng)
    factors = effects.at(t_ms, customer.region, queue, customer.business_line, stage, "phone",
                         "call")
    if rng.random() < SHORT_ABANDON_SHARE:
        wait_s, answered = rng.uniform(SHORT_ABANDON_MIN_S, SHORT_ABANDON_MAX_S), False
    else:
        median_s = (world.wait_median_s[queue] * factors.wait
                    * (NIGHT_WAIT_FLOOR + (1.0 - NIGHT_WAIT_FLOOR) * world.load(t_ms)))
        wait_s = min(lognormal(rng, median_s, WAIT_SIGMA), WAIT_MAX_S)
        patience_s = exponential(rng, PATIENCE_MEAN_S / factors.abandon)
        answered = patience_s >= wait_s
        if not answered:
            wait_s = patience_s
    # Switches report tenths of a second; int() rounding is much cheaper than round(x, 1).
    wait_s = int(wait_s * 10.0 + 0.5) / 10.0
    rings = int(wait_s // RING_CADENCE_S) + 1 if rng.random() < SWITCH_RINGS_SHARE else None
    if not answered:
        return _tuple_new(Call, (number, t_ms, t_ms + int(wait_s * 1000), customer, stage, queue,
                                wait_s, rings, None, 0, None, chased is not None, False))
    u = rng.random()
    transfers = (2 if u < TWO_TRANSFERS_SHARE
                 else 1 if u < TWO_TRANSFERS_SHARE + ONE_TRANSFER_SHARE else 0)
    talk_s = min(lognormal(rng, TALK_MEDIAN_S, TALK_SIGMA)
                 + TALK_PER_TRANSFER_S * transfers, TALK_MAX_S)
    talk_s = int(talk_s * 10.0 + 0.5) / 10.0
    return _tuple_new(Call, (number, t_ms, t_ms + int((wait_s + talk_s) * 1000), customer, stage,
                            queue, wait_s, rings, talk_s, transfers, world.agent(rng),
                            chased is not None, rng.random() < world.survey_probability))


def call_payload(world: World, call: Call) -> dict[str, Any]:
    """The call detail record of ``call``; ``occurred_at`` is the offer time."""
    customer = call.customer
    payload: dict[str, Any] = {
        "schema_version": 1,
        "type": "call",
        "event_id": f"c-{world.run_tag}-{call.number}",
        "occurred_at": world.timestamps.iso(call.offered_ms),
        "customer_id": customer.id,
        "customer_since": customer.since,
        "value_tier": customer.tier,
        "region": customer.region,
        "channel": "phone",
        "queue": call.queue,
        "business_line": customer.business_line,
        "journey_stage": call.stage,
        "call_id": f"call-{world.run_tag}-{call.number}",
        "outcome": "abandoned" if call.talk_s is None else "answered",
        "wait_s": call.wait_s,
        "transfers": call.transfers,
    }
    if customer.since is None:
        del payload["customer_since"]
    if call.rings is not None:
        payload["rings"] = call.rings
    if call.talk_s is not None:
        payload["talk_s"] = call.talk_s
        payload["agent_id"] = call.agent.id
    return payload


def call_contact(world: World, call: Call) -> Contact:
    """The contact a follow-up survey rates: speed from the wait, skill net of transfers, and a
    fix penalty for transfers and for chasing an open ticket."""
    return Contact(
        call.customer, "phone", call.queue, call.stage, call.agent, "call", "call_id",
        f"call-{world.run_tag}-{call.number}",
        speed_driver(call.wait_s),
        call.agent.skill - 0.6 * call.transfers,
        -0.5 * call.transfers - (1.0 if call.chased else 0.0),
        0.0,
    )
