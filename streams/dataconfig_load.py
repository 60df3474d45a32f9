"""Read, check and describe a data file (the schema is streams/dataconfig.py).

:func:`load_config` is the one way in: it raises :class:`DataConfigError` naming the file and,
for each problem, its path inside the file (``calendar.windows[1]: ...``), which is what the
worker prints at start-up and ``cxpulse config check`` prints.
"""

import functools
import json
from collections.abc import Sequence
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from streams.calendar_fallback import calendar_warnings
from streams.dataconfig import DataConfig
from streams.errors import DataConfigError

DEFAULT_FILE = Path(str(files("streams").joinpath("dataconfig.yaml")))
SCHEMA_FILE_NAME = "dataconfig.schema.json"
_SCALAR = (str, int, float, bool, date)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping: PyYAML would keep the last
    silently, and a second ``agent:`` view would quietly replace the first."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode,
                       deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"key {key!r} is given twice",
                key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_mapping)


def location(loc: Sequence[int | str]) -> str:
    """A pydantic error location as a path in the file: ('calendar', 'windows', 1) ->
    ``calendar.windows[1]``; a bad mapping key reads ``views.Agent (the key)``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "[key]":
            path += " (the key)"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def problems(error: ValidationError) -> list[str]:
    """One ``path: message`` line per problem of ``error``."""
    lines = []
    items = error.errors(include_url=False)
    failed = {item["loc"][:-1] for item in items if item["loc"]}
    for item in items:
        kind, message, value = item["type"], item["msg"], item.get("input")
        if kind == "too_short" and item["loc"] in failed:
            continue   # "at least 1 item after validation" only because an item failed
        if kind == "extra_forbidden":
            message = "unknown key (docs/configuration.md lists the keys)"
        elif kind == "missing":
            message = "required key missing"
        elif kind.startswith(("literal_error", "enum")):
            message = f"{value!r} is not allowed: {message.removeprefix('Input should be ')}"
        elif isinstance(value, _SCALAR) and len(repr(value)) <= 40 and kind != "unknown_name":
            message = f"{value!r}: {message}"
        message = message.replace("Value error, ", "")
        if not item["loc"] and kind == "unknown_name":
            lines.extend(message.splitlines())   # the message carries its own paths
        else:
            lines.append(f"{location(item['loc'])}: {message}")
    return lines


def _yaml_problem(error: yaml.YAMLError) -> str:
    """``line L, column C: problem`` for a YAML error (its own text names "<unicode string>")."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is None:
        return f"not valid YAML: {problem}"
    context = getattr(error, "context", None)
    return (f"line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {problem}"
            + (f" ({context})" if context else ""))


def parse_config(data: Any, source: Path) -> DataConfig:
    """Validate already-parsed YAML; DataConfigError lists every problem with its path."""
    if not isinstance(data, dict):
        raise DataConfigError(source, ["(top level): expected a mapping of sections "
                                       "(questionnaires, survey_targets, ..., views)"])
    try:
        return DataConfig.model_validate(data)
    except ValidationError as error:
        raise DataConfigError(source, problems(error)) from None


def load_config(path: Path | None = None) -> DataConfig:
    """The data file at ``path`` (None: the shipped default), validated.

    Raises DataConfigError when the file cannot be read, is not YAML, or does not fit the
    schema; the message names the file and each problem's path.
    """
    source = path or DEFAULT_FILE
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataConfigError(source, [f"cannot read it: {error}"]) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise DataConfigError(source, [_yaml_problem(error)]) from None
    return parse_config(data, source)


@functools.cache
def default_config() -> DataConfig:
    """The shipped default file, loaded once (DataConfig is immutable)."""
    return load_config(None)


def summary(config: DataConfig, source: Path, today: date) -> list[str]:
    """What ``cxpulse config check`` prints for a valid file: one line per section."""
    targets, rings, cal = config.survey_targets, config.ring_targets, config.calendar
    overrides = sum((t.default is not None) + len(t.dimensions)
                    for t in targets.questionnaires.values())
    views = ", ".join(v.name + (" (agent cut only)" if v.requires_agent_cut else "")
                      for v in config.views)
    lines = [
        f"OK: {source}",
        "questionnaires: " + ", ".join(
            f"{name} ({q.scale_min}..{q.scale_max}, {len(q.dimensions)} dimensions)"
            for name, q in config.questionnaires.items()),
        f"survey_targets: default {targets.default:g}, {overrides} overrides, "
        f"min_sample {targets.min_sample}",
        f"ring_targets: default {rings.default}, {len(rings.queues)} queue overrides",
        f"calendar: {cal.timezone}, open {', '.join(cal.windows)}; {len(cal.holidays)} "
        f"holidays, {len(cal.workdays)} workdays, schedule_years "
        f"{', '.join(map(str, cal.schedule_years)) or 'none'}",
        f"windows: {', '.join(config.windows)}",
        f"views: {views}",
        "journeys: " + (", ".join(
            f"{name} ({len(j.stages)} stages, {len(j.benchmarks)} benchmarks; "
            f"{', '.join(j.business_lines)})" for name, j in config.journeys.items()) or "none"),
        f"dives: {config.dives.measure.questionnaire}/{config.dives.measure.dimension}, "
        f"time dives on {', '.join(config.dives.time_views)}, journey dives on "
        f"{config.dive_journey_view() or 'none'}",
    ]
    return lines + [f"warning: {w}" for w in calendar_warnings(cal.business_calendar(), today)]


def render_schema() -> str:
    """The JSON Schema of the data file (sorted keys, trailing newline)."""
    schema = DataConfig.model_json_schema(by_alias=True, mode="validation")
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
