"""The questionnaires the simulator answers, and how service quality drives each dimension.

Scores are drawn on a continuous 10-point "latent" scale and then mapped linearly onto the
questionnaire's own scale, so one satisfaction shift (in 10-point points) means the same on every
questionnaire. Four drivers describe how a contact went, each in 10-point points (0 = typical):

- ``speed``: wait to answer (calls) or time to first response (tickets);
- ``skill``: the agent's skill plus transfers;
- ``fix``: whether the problem was solved at once, late, or came back (repeat repair);
- ``parts``: availability of spare parts; repairs only.

Each dimension is a weighted sum of the drivers; see docs/simulator.md.
"""

from typing import NamedTuple

LATENT_MAX = 10


class Dimension(NamedTuple):
    """One scored dimension and its driver weights; ``repairs_only`` skips it elsewhere."""

    name: str
    speed: float
    skill: float
    fix: float
    parts: float
    repairs_only: bool = False


class Questionnaire(NamedTuple):
    """A questionnaire id, its scale (1..scale_max) and its dimensions in answer order."""

    name: str
    scale_max: int
    dimensions: tuple[Dimension, ...]


CATALOGUE: dict[str, Questionnaire] = {
    q.name: q
    for q in (
        # The classic after-sales set (服务技能, 服务态度, 服务及时性, 配件供应, 服务综合).
        Questionnaire("after_sales_10", 10, (
            Dimension("service_skill", 0.0, 1.0, 0.5, 0.0),
            Dimension("attitude", 0.5, 0.7, 0.0, 0.0),
            Dimension("timeliness", 1.0, 0.0, 0.0, 0.0),
            Dimension("parts_supply", 0.0, 0.0, 0.0, 1.0, repairs_only=True),
            Dimension("overall", 0.5, 0.4, 0.5, 0.2),
        )),
        Questionnaire("segue", 5, (
            Dimension("satisfactory", 0.4, 0.4, 0.4, 0.0),
            Dimension("efficient", 1.0, 0.0, 0.0, 0.0),
            Dimension("genuine", 0.0, 1.0, 0.0, 0.0),
            Dimension("understanding", 0.0, 0.7, 0.3, 0.0),
            Dimension("effective", 0.0, 0.0, 1.0, 0.0),
        )),
        Questionnaire("servqual", 5, (
            Dimension("reliability", 0.0, 0.0, 1.0, 0.0),
            Dimension("responsiveness", 1.0, 0.0, 0.0, 0.0),
            Dimension("assurance", 0.0, 1.0, 0.0, 0.0),
            Dimension("tangibles", 0.0, 0.0, 0.0, 0.5),
            Dimension("empathy", 0.3, 0.7, 0.0, 0.0),
        )),
    )
}


def to_scale(latent: float, scale_max: int) -> int:
    """Map a 10-point latent score onto 1..``scale_max``, rounded half up and clamped.

    1 maps to 1 and 10 to ``scale_max``; values outside 1..10 clamp to the scale's ends.
    """
    if latent <= 1.0:
        return 1
    # int(x + 0.5) rounds half up for x >= 0 and is several times cheaper than round().
    score = int(1.5 + (latent - 1.0) * (scale_max - 1) / (LATENT_MAX - 1))
    return score if score < scale_max else scale_max
