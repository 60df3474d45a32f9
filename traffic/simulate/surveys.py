"""Survey responses (回访) that follow an answered call or a resolved ticket of the same customer.

A :class:`Contact` carries what the survey needs to know about how the service went (the four
drivers of :mod:`traffic.simulate.questionnaires`); the response inherits the contact's customer,
channel, queue, journey stage and agent, so it lands in the same segment as the contact.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, NamedTuple

from traffic.simulate.questionnaires import CATALOGUE, to_scale
from traffic.simulate.sampling import exponential, normal, normals

if TYPE_CHECKING:
    from traffic.simulate.effects import Effects
    from traffic.simulate.world import Agent, Customer, World

# Mean latent score (10-point) of a typical contact before drivers and stage shifts: an
# index in the low 80s, where most after-sales operations sit.
BASE_LATENT = 8.2
# Respondent mood moves every dimension of one response together; item noise moves one.
MOOD_SD = 0.8
ITEM_SD = 0.7
CALL_DELAY_MEAN_S = 180.0
TICKET_DELAY_MEAN_S = 1_800.0
MIN_DELAY_S = 10.0
MAX_DELAY_S = 86_400.0


class Contact(NamedTuple):
    """A finished contact a survey may follow; drivers are in 10-point points."""

    customer: Customer
    channel: str
    queue: str
    stage: str
    agent: Agent
    kind: str
    ref_field: str
    ref_id: str
    speed: float
    skill: float
    fix: float
    parts: float


def survey_delay_ms(kind: str, rng: random.Random) -> int:
    """Delay from the end of a contact to the response, in ms.

    Exponential: mean 3 min after a call (IVR or SMS link), 30 min after a ticket's resolution
    (app push or call-back); clamped to 10 s .. 24 h.
    """
    mean_s = CALL_DELAY_MEAN_S if kind == "call" else TICKET_DELAY_MEAN_S
    delay_s = min(max(exponential(rng, mean_s), MIN_DELAY_S), MAX_DELAY_S)
    return int(delay_s * 1000)


def make_survey(
    world: World, rng: random.Random, number: int, t_ms: int, contact: Contact,
    effects: Effects,
) -> dict[str, Any]:
    """The survey payload answered at ``t_ms`` about ``contact``.

    Scores: base + journey-stage shift + scenario shift + respondent mood + weighted drivers +
    item noise, on the 10-point latent scale, then mapped to the questionnaire's scale.
    ``parts_supply``-like dimensions are skipped unless the contact was a repair.
    """
    customer = contact.customer
    shift = effects.at(
        t_ms, customer.region, contact.queue, customer.business_line, contact.stage,
        contact.channel, contact.kind,
    ).satisfaction_shift
    questionnaire = CATALOGUE[world.questionnaires.pick(rng)]
    scale_max = questionnaire.scale_max
    centre = BASE_LATENT + world.stage_shift[contact.stage] + shift + normal(rng, MOOD_SD)
    speed, skill, fix, parts = contact.speed, contact.skill, contact.fix, contact.parts
    is_repair = contact.kind == "repair"
    noise = normals(rng, ITEM_SD, len(questionnaire.dimensions))
    scores = {}
    for (name, w_speed, w_skill, w_fix, w_parts, repairs_only), item_noise in zip(
        questionnaire.dimensions, noise, strict=True
    ):
        if repairs_only and not is_repair:
            continue
        latent = (centre + w_speed * speed + w_skill * skill + w_fix * fix + w_parts * parts
                  + item_noise)
        scores[name] = to_scale(latent, scale_max)
    payload: dict[str, Any] = {
        "schema_version": 1,
        "type": "survey",
        "event_id": f"s-{world.run_tag}-{number}",
        "occurred_at": world.timestamps.iso(t_ms),
        "customer_id": customer.id,
        "customer_since": customer.since,
        "value_tier": customer.tier,
        "region": customer.region,
        "channel": contact.channel,
        "queue": contact.queue,
        "business_line": customer.business_line,
        "journey_stage": contact.stage,
        "agent_id": contact.agent.id,
        "questionnaire": questionnaire.name,
        "scale_min": 1,
        "scale_max": scale_max,
        "scores": scores,
        contact.ref_field: contact.ref_id,
    }
    if customer.since is None:
        del payload["customer_since"]
    return payload
