"""The simulated operation, compiled once from the config: customers, agents, rates, pickers.

Everything here is derived deterministically from the seed, so two runs with the same config and
start share the same customers (segment fields stay stable per customer across the run).
"""

import random
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from typing import Generic, NamedTuple, TypeVar

from traffic.simulate import diurnal
from traffic.simulate.calls import ANSWERED_SHARE
from traffic.simulate.config import SimulatorConfig
from traffic.simulate.tickets import expected_events_per_ticket
from traffic.simulate.timestamps import Timestamps

T = TypeVar("T")

# Customer tenure mix (share, youngest days, oldest days): new (<= 3 months), in between, old.
_TENURE = ((0.15, 0, 89), (0.20, 90, 365), (0.65, 366, 3_650))
_UNKNOWN_TENURE_SHARE = 0.02
_AGENT_SKILL_SD = 0.6
_RECENT_SIZE = 2_000
_FREQUENT_CONTACT_SHARE = 0.25
_FREQUENT_CUSTOMER_SHARE = 0.05


class Customer(NamedTuple):
    """Stable customer fields; ``since`` is an ISO date or None (tenure unknown)."""

    id: str
    since: str | None
    tier: str
    region: str
    business_line: str
    assets: int


class Agent(NamedTuple):
    """An agent id and a skill offset in 10-point points (0 = average)."""

    id: str
    skill: float


class Picker(Generic[T]):
    """Weighted choice with a precomputed cumulative table; zero weights are never picked."""

    __slots__ = ("values", "cum")

    def __init__(self, weights: dict[T, float]) -> None:
        kept = [(value, weight) for value, weight in weights.items() if weight > 0]
        total = sum(weight for _, weight in kept)
        self.values = [value for value, _ in kept]
        running, self.cum = 0.0, []
        for _, weight in kept:
            running += weight
            self.cum.append(running / total)
        self.cum[-1] = 1.0

    def pick(self, rng: random.Random) -> T:
        """One value, with probability proportional to its weight."""
        return self.values[bisect_right(self.cum, rng.random())]


class Recent(Generic[T]):
    """A fixed-size ring of recent values, for repeat contacts by the same customer."""

    __slots__ = ("items", "next")

    def __init__(self) -> None:
        self.items: list[T] = []
        self.next = 0

    def add(self, value: T) -> None:
        """Remember ``value``, forgetting the oldest once full."""
        if len(self.items) < _RECENT_SIZE:
            self.items.append(value)
        else:
            self.items[self.next] = value
            self.next = (self.next + 1) % _RECENT_SIZE

    def pick(self, rng: random.Random) -> T | None:
        """A uniformly chosen remembered value, or None while empty."""
        return self.items[int(rng.random() * len(self.items))] if self.items else None


class World:
    """Derived tables and mutable history (recent repairs, complaints, tickets) of one run."""

    def __init__(self, config: SimulatorConfig, start_ms: int) -> None:
        self.config = config
        self.start_ms = start_ms
        self.utc_offset_ms = round(config.utc_offset_h * diurnal.MS_PER_HOUR)
        self.timestamps = Timestamps(self.utc_offset_ms)
        # Ids carry the seed and the start second, so a second run on the same topics is not
        # mistaken for redelivered copies of the first by event_id deduplication.
        self.run_tag = f"{config.seed}-{start_ms // 1000}"
        self.customers = _CustomerPool(config, start_ms)
        self._customer_count = config.customers
        self._frequent_count = max(1, round(config.customers * _FREQUENT_CUSTOMER_SHARE))
        agent_rng = random.Random(f"{config.seed}/agents")
        self.agents = [
            Agent(f"agent-{k:04d}", agent_rng.gauss(0.0, _AGENT_SKILL_SD))
            for k in range(config.agents)
        ]
        self.stages = Picker({s: config.stage_weights.get(s, 1.0) for s in config.journey_stages})
        self.stage_shift = {s: config.stage_satisfaction_shift.get(s, 0.0)
                            for s in config.journey_stages}
        self.queue_of_stage = {s: config.queue_by_stage.get(s) for s in config.journey_stages}
        self.any_queue = Picker(dict.fromkeys(config.queues, 1.0))
        self.wait_median_s = {q: config.queue_wait_median_s.get(q, config.default_wait_median_s)
                              for q in config.queues}
        self.ticket_kinds = Picker({k.value: w for k, w in config.ticket_kind_weights.items()})
        self.ticket_channels = Picker(
            {c.value: w for c, w in config.ticket_channel_weights.items()}
        )
        self.questionnaires = Picker(config.questionnaire_weights)
        self.recent_repairs: Recent[tuple[Customer, str]] = Recent()
        self.recent_complaints: Recent[tuple[Customer, str]] = Recent()
        self.recent_tickets: Recent[tuple[Customer, str]] = Recent()
        self._load_minute, self._load = -1.0, 1.0
        self._init_rates(config)

    def _init_rates(self, config: SimulatorConfig) -> None:
        # Contacts are calls and new tickets; surveys and later ticket steps follow them.
        calls_per_s = config.call_share * config.rate_per_s
        tickets_per_s = (config.ticket_share * config.rate_per_s
                         / expected_events_per_ticket(config.ticket_kind_weights))
        contacts_per_s = calls_per_s + tickets_per_s
        self.arrivals = diurnal.Arrivals(contacts_per_s, self.utc_offset_ms)
        self.call_probability = calls_per_s / contacts_per_s if contacts_per_s else 0.0
        surveyable_per_s = ANSWERED_SHARE * calls_per_s + tickets_per_s
        wanted_per_s = config.survey_share * config.rate_per_s
        self.survey_probability = min(1.0, wanted_per_s / surveyable_per_s) if wanted_per_s else 0.0

    def customer(self, rng: random.Random) -> Customer:
        """A customer: a quarter of contacts come from the frequent 5 % of the pool (each of
        them contacts the centre ~5.8x as often as the average), the rest from anyone."""
        u = rng.random()
        if u < _FREQUENT_CONTACT_SHARE:
            return self.customers[int(u / _FREQUENT_CONTACT_SHARE * self._frequent_count)]
        return self.customers[int(rng.random() * self._customer_count)]

    def agent(self, rng: random.Random) -> Agent:
        """A uniformly chosen agent."""
        return self.agents[int(rng.random() * len(self.agents))]

    def queue_for(self, stage: str, rng: random.Random) -> str:
        """The queue handling ``stage``, or any queue when the stage is unmapped."""
        return self.queue_of_stage[stage] or self.any_queue.pick(rng)

    def load(self, epoch_ms: float) -> float:
        """Diurnal level at ``epoch_ms`` relative to the daily peak: 1 at peak, ~0.04 at night.

        Evaluated once per minute of event time: queues do not feel finer changes.
        """
        minute = epoch_ms // 60_000
        if minute != self._load_minute:
            self._load_minute = minute
            self._load = diurnal.level_at_ms(minute * 60_000, self.utc_offset_ms) / diurnal.PEAK
        return self._load


class _CustomerPool:
    """Customers made on first contact, each from its own seeded stream: a customer's fields
    depend only on the seed and its index, never on the order in which the run meets them."""

    __slots__ = ("_seed", "_start_day", "_tiers", "_regions", "_business_lines", "_line_edges", "_made",
                 "_since")

    def __init__(self, config: SimulatorConfig, start_ms: int) -> None:
        self._seed = config.seed
        # Tenure is relative to the start date so that the new/old mix is the same every run.
        self._start_day = datetime.fromtimestamp(start_ms / 1000, UTC).date()
        self._tiers = Picker(config.value_tier_weights)
        self._regions = config.regions
        self._business_lines = config.business_lines
        weights = config.business_line_weights
        # Cumulative shares, or None for equal lines (the draw every earlier run made).
        self._line_edges: list[float] | None = None
        if weights is not None:
            total = sum(weights.get(line, 1.0) for line in config.business_lines)
            running, self._line_edges = 0.0, []
            for line in config.business_lines:
                running += weights.get(line, 1.0) / total
                self._line_edges.append(running)
        self._made: list[Customer | None] = [None] * config.customers
        self._since: dict[int, str] = {}

    def __getitem__(self, index: int) -> Customer:
        customer = self._made[index]
        if customer is None:
            customer = self._made[index] = self._make(index)
        return customer

    def _line(self, u: float) -> str:
        if self._line_edges is None:
            return self._business_lines[int(u * len(self._business_lines))]
        for line, edge in zip(self._business_lines, self._line_edges):
            if u < edge:
                return line
        return self._business_lines[-1]

    def _make(self, index: int) -> Customer:
        rng = random.Random(f"{self._seed}/customer/{index}")
        since = None
        if rng.random() >= _UNKNOWN_TENURE_SHARE:
            u = rng.random()
            for share, youngest, oldest in _TENURE:
                if u < share:
                    break
                u -= share
            age = rng.randint(youngest, oldest)
            since = self._since.get(age)
            if since is None:
                since = self._since[age] = (self._start_day - timedelta(days=age)).isoformat()
        return Customer(
            id=f"cust-{index:07d}",
            since=since,
            tier=self._tiers.pick(rng),
            region=self._regions[int(rng.random() * len(self._regions))],
            business_line=self._line(rng.random()),
            assets=1 + int(rng.random() * 3),
        )
