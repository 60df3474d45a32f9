"""Views: named sets of segment dimensions that Prometheus gets instead of the full segment.

A full segment is the cross product region x channel x queue x business line x journey stage x
customer type (x agent): an analyst's question, far too many series for a live board. A view
keeps a few of those dimensions and sums the rest away, so ``region`` has one key per region and
``all`` exactly one. Pure maths: a view turns a segment key into its view key and picks the
component keys its metric groups serve; stage 1 routes partials by view key, stage 2 keeps
windows per view key and the exposition labels each series with ``view`` and the view's
dimensions only.

View keys are ``<view>`` followed by one ``|<value>`` per dimension: ``all``, ``region|north``,
``journey|residential|handover``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from metrics.components import Bucket, Number
from metrics.contributions import SEGMENT_FIELDS, SEP
from metrics.errors import ConfigError

#: The metric groups a view can serve, by the first part of the component key.
GROUPS: Mapping[str, str] = {"calls": "calls", "tickets": "tickets", "clocks": "tickets",
                             "fcr": "fcr", "surveys": "surveys"}
ALL_GROUPS = frozenset(GROUPS.values())
#: The value a dimension takes in the key that collects what a view's key cap folded away.
OTHER = "other"


@dataclass(frozen=True)
class View:
    """One view: its name, the segment dimensions it keeps and what it serves.

    ``max_keys`` caps the keys one owner (a stage-2 partition, or a worker's stage-1 counters)
    admits; later keys fold into the ``other`` key, counted. ``counters``: stage-1 counters
    (for ``rate()``) are exported for this view too. ``distribution``: the per-score survey
    counts are exported (otherwise only top- and bottom-box counts). ``export``: False keeps the
    view's windows in stage 2 (for dives and history) without serving them to Prometheus.
    """

    name: str
    dimensions: tuple[str, ...] = ()
    groups: frozenset[str] = ALL_GROUPS
    max_keys: int = 500
    counters: bool = False
    distribution: bool = False
    requires_agent_cut: bool = False
    #: Dimensions the key is routed by (None: all); keys equal on them share a partition.
    route_by: tuple[str, ...] | None = None
    export: bool = True

    def __post_init__(self) -> None:
        # Any iterables are accepted (a YAML list, a tuple); stored as a tuple and a frozenset.
        object.__setattr__(self, "dimensions", tuple(self.dimensions))
        object.__setattr__(self, "groups", frozenset(self.groups))
        unknown = [d for d in self.dimensions if d not in SEGMENT_FIELDS]
        if unknown:
            raise ConfigError(f"view {self.name}: unknown dimensions {unknown}; "
                              f"use {', '.join(SEGMENT_FIELDS)}")
        if len(set(self.dimensions)) != len(self.dimensions):
            raise ConfigError(f"view {self.name}: a dimension is listed twice")
        if not self.groups or not self.groups <= ALL_GROUPS:
            raise ConfigError(f"view {self.name}: groups must be a non-empty subset of "
                              f"{sorted(ALL_GROUPS)}")
        if self.max_keys < 1:
            raise ConfigError(f"view {self.name}: max_keys must be at least 1")
        object.__setattr__(self, "_positions",
                           tuple(SEGMENT_FIELDS.index(d) for d in self.dimensions))
        if self.route_by is not None:
            if not set(self.route_by) <= set(self.dimensions):
                raise ConfigError(f"view {self.name}: route_by must list its own dimensions")
            object.__setattr__(self, "route_by", tuple(self.route_by))
        kept = tuple(i for i, d in enumerate(self.dimensions)
                     if self.route_by is None or d in self.route_by)
        object.__setattr__(self, "_route_positions", kept)

    def key_of(self, segment: str) -> str:
        """The view key of a full segment key."""
        if not self.dimensions:
            return self.name
        values = segment.split(SEP)
        return SEP.join((self.name, *(values[i] for i in self._positions)))  # type: ignore

    def route_key(self, key: str) -> str:
        """The part of view key ``key`` that chooses its stage-2 partition: the key itself,
        or the view name and the ``route_by`` dimensions only."""
        if self.route_by is None:
            return key
        values = key.split(SEP)[1:]
        return SEP.join((self.name, *(values[i] for i in self._route_positions)))  # type: ignore

    def other_key(self) -> str:
        """The key that collects folded keys (``other`` in every dimension)."""
        return SEP.join((self.name, *(OTHER for _ in self.dimensions)))

    def serves(self, component: str) -> bool:
        """Whether the component key belongs to one of the view's groups."""
        return GROUPS.get(component.split("/", 1)[0]) in self.groups


def view_name(key: str) -> str:
    """The view a view key belongs to."""
    return key.split(SEP, 1)[0]


def key_labels(views: Mapping[str, View], key: str) -> dict[str, str]:
    """Prometheus labels of a view key: ``view`` and one label per dimension."""
    name, *values = key.split(SEP)
    return {"view": name, **dict(zip(views[name].dimensions, values, strict=True))}


class Projector:
    """Sums full-segment buckets into view-key buckets, keeping each view's groups only.

    Memoised, as the same few hundred component keys and the same bucket shapes recur in every
    flush: each segment's view keys, and per bucket shape (its component names, in order)
    which components go to which view. Both memos start again past MEMO_MAX entries.
    """

    MEMO_MAX = 100_000

    def __init__(self, views: Iterable[View]) -> None:
        self.views = tuple(views)
        self._keys: dict[str, tuple[str, ...]] = {}
        self._plans: dict[tuple[str, ...], tuple[tuple[int, tuple[str, ...]], ...]] = {}
        self._served: dict[str, frozenset[int]] = {}

    def keys_of(self, segment: str) -> tuple[str, ...]:
        """The key of ``segment`` in every view, in view order."""
        keys = self._keys.get(segment)
        if keys is None:
            if len(self._keys) >= self.MEMO_MAX:
                self._keys.clear()
            keys = self._keys[segment] = tuple(view.key_of(segment) for view in self.views)
        return keys

    def plan(self, shape: tuple[str, ...]) -> tuple[tuple[int, tuple[str, ...]], ...]:
        """(view index, the components of ``shape`` it serves) for every view serving any."""
        found = self._plans.get(shape)
        if found is None:
            if len(self._plans) >= self.MEMO_MAX:
                self._plans.clear()
            found = self._plans[shape] = tuple(
                (index, served) for index, view in enumerate(self.views)
                if (served := tuple(c for c in shape if index in self._serving(c))))
        return found

    def _serving(self, component: str) -> frozenset[int]:
        """The indexes of the views that serve ``component`` (memoised: bucket shapes vary
        far more than the component keys they are made of)."""
        found = self._served.get(component)
        if found is None:
            if len(self._served) >= self.MEMO_MAX:
                self._served.clear()
            found = self._served[component] = frozenset(
                index for index, view in enumerate(self.views) if view.serves(component))
        return found

    def project(self, segment: str, bucket: Mapping[str, Number]) -> Iterable[tuple[str, Bucket]]:
        """(view key, its share of ``bucket``) for every view that serves part of it."""
        keys = self.keys_of(segment)
        for index, components in self.plan(tuple(bucket)):
            yield keys[index], {component: bucket[component] for component in components}


class KeyCap:
    """First-come admission of view keys, ``max_keys`` per view; later keys fold to ``other``.

    ``folded`` counts the distinct keys folded per view. Which keys fold depends on the order
    keys first arrive; docs/metrics.md says so and the fold counter shows when it happens.
    """

    def __init__(self, views: Mapping[str, View]) -> None:
        self.views = views
        self.admitted: dict[str, set[str]] = {}
        self.folded: dict[str, set[str]] = {}

    def admit(self, key: str) -> str:
        """``key`` itself when admitted (now or before), else its view's ``other`` key."""
        name = view_name(key)
        admitted = self.admitted.setdefault(name, set())
        if key in admitted:
            return key
        view = self.views[name]
        other = view.other_key()
        if key == other or len(admitted) < view.max_keys:
            admitted.add(key)
            return key
        self.folded.setdefault(name, set()).add(key)
        return other

    def folded_keys(self, name: str) -> int:
        return len(self.folded.get(name, ()))
