"""Static checks of a docker-compose file and the configs it mounts, for tests/unit/test_compose.py.

Each checker returns a list of problems (empty when all is well), so a test can assert ``== []``
and show every problem at once. promtool and amtool are required: without them the calling test
fails with the package to install, never skips.
"""

import glob
import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from streams.settings import Settings

PROMETHEUS_SERVICE = "prometheus"
PROMETHEUS_CONFIG = "/etc/prometheus/prometheus.yml"
SETTINGS_PREFIX = "CXPULSE_"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY", re.IGNORECASE)
_INTERPOLATION = re.compile(
    r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)
_TOOL_PACKAGES = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}


class Interpolation(NamedTuple):
    """One ``${NAME}``, ``${NAME:-default}`` or ``${NAME:?message}`` in the compose text."""

    name: str
    op: str
    arg: str


class BindMount(NamedTuple):
    """A host path mounted into a service's container."""

    service: str
    source: str
    target: str


def interpolations(text: str) -> list[Interpolation]:
    """Every variable reference in compose text; ``$${...}`` (escaped) is not one."""
    return [
        Interpolation(m["name"], m["op"] or "", m["arg"] or "")
        for m in _INTERPOLATION.finditer(text)
    ]


def resolve(value: object, env: Mapping[str, str]) -> str:
    """``value`` as Compose would pass it, with variables from ``env`` or their defaults.

    A required variable (``:?`` / ``?``) missing from ``env`` raises KeyError, as Compose refuses.
    """

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"] or ""
        current = env.get(name)
        unset = current is None or (op.startswith(":") and current == "")
        if unset and op.endswith("?"):
            raise KeyError(f"{name}: {arg}")
        if unset and op.endswith("-"):
            return arg
        return current or ""

    return _INTERPOLATION.sub(substitute, str(value)).replace("$$", "$")


def service_env(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's ``environment`` as name -> raw value, from either the list or the map form."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {name: "" if value is None else str(value) for name, value in raw.items()}


def command_of(service: Mapping[str, Any]) -> list[str]:
    """A service's ``command`` as a list of words (the shell form is split on whitespace)."""
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(word) for word in command]


def cxpulse_services(compose: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Services that run the ``cxpulse`` command line."""
    return {
        name: service
        for name, service in compose["services"].items()
        if command_of(service)[:1] == ["cxpulse"]
    }


def worker_services(compose: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Services that run ``cxpulse worker``."""
    return {
        name: service
        for name, service in cxpulse_services(compose).items()
        if command_of(service)[1:2] == ["worker"]
    }


def unpinned_images(compose: Mapping[str, Any]) -> list[str]:
    """Services whose image is untagged or ``latest`` and that have no ``build`` section."""
    problems = []
    for name, service in compose["services"].items():
        if "build" in service:
            continue
        image = service.get("image")
        if not image:
            problems.append(f"{name}: neither image nor build")
            continue
        if "@sha256:" in image:
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if tag in ("", "latest") or "$" in tag:
            problems.append(f"{name}: image {image!r} is not pinned to a fixed tag")
    return problems


def bind_mounts(compose: Mapping[str, Any]) -> list[BindMount]:
    """Every host-path volume of every service (named volumes are left out)."""
    mounts = []
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            if isinstance(volume, str):
                source, _, rest = volume.partition(":")
                target = rest.split(":", 1)[0]
                if source.startswith((".", "/", "~")):
                    mounts.append(BindMount(name, source, target))
            elif volume.get("type") == "bind":
                mounts.append(BindMount(name, volume["source"], volume["target"]))
    return mounts


def missing_host_paths(compose: Mapping[str, Any], root: Path) -> list[str]:
    """Bind sources, build contexts and Dockerfiles that do not exist inside ``root``."""
    wanted = [(m.service, m.source) for m in bind_mounts(compose)]
    for name, service in compose["services"].items():
        build = service.get("build")
        if isinstance(build, str):
            wanted.append((name, build))
        elif build:
            context = build.get("context", ".")
            wanted.append((name, context))
            if "dockerfile" in build:
                wanted.append((name, str(Path(context) / build["dockerfile"])))
    problems = []
    for service, source in wanted:
        path = (root / source).resolve()
        if not path.is_relative_to(root.resolve()):
            problems.append(f"{service}: {source} is outside the repository")
        elif not path.exists():
            problems.append(f"{service}: {source} does not exist")
    return problems


def undeclared_named_volumes(compose: Mapping[str, Any]) -> list[str]:
    """Named volumes used by a service but missing from the top-level ``volumes``."""
    declared = set(compose.get("volumes") or {})
    problems = []
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = volume.partition(":")[0] if isinstance(volume, str) else volume.get("source")
            kind = "volume" if isinstance(volume, str) else volume.get("type")
            if kind == "volume" and source and not source.startswith((".", "/", "~")):
                if source not in declared:
                    problems.append(f"{name}: volume {source} is not declared")
    return problems


def defaulted_secrets(compose_text: str) -> list[str]:
    """Secrets that could start with a default or a literal value instead of a required variable.

    A secret is any variable or environment key whose name looks like a password, token or key.
    """
    problems = [
        f"${{{ref.name}{ref.op}{ref.arg}}} gives a secret a default; use ${{{ref.name}:?...}}"
        for ref in interpolations(compose_text)
        if SECRET_NAME.search(ref.name) and ref.op not in (":?", "?")
    ]
    for name, service in (yaml.safe_load(compose_text).get("services") or {}).items():
        for key, value in service_env(service).items():
            refs = interpolations(value)
            required = len(refs) == 1 and refs[0].op in (":?", "?") and value.startswith("${")
            if SECRET_NAME.search(key) and not (required and value.endswith("}")):
                problems.append(f"{name}: {key} must be exactly a required ${{VAR:?...}}")
    return problems


def unknown_settings(env: Mapping[str, str]) -> list[str]:
    """``CXPULSE_*`` names that are not a field of streams.settings.Settings."""
    fields = set(Settings.model_fields)
    return sorted(
        name
        for name in env
        if name.startswith(SETTINGS_PREFIX)
        and name.removeprefix(SETTINGS_PREFIX).lower() not in fields
    )


#: Required secrets of the compose file that cxpulse settings take (placeholders for checks).
DEPLOY_SECRETS = {"POSTGRES_PASSWORD": "set-at-deploy"}


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """Validate a service's ``CXPULSE_*`` values (defaults of ``${...}`` applied) as Settings."""
    values = {
        # Required secrets are given at deploy time; any value checks the rest.
        name.removeprefix(SETTINGS_PREFIX).lower(): resolve(value, DEPLOY_SECRETS)
        for name, value in env.items()
        if name.startswith(SETTINGS_PREFIX)
    }
    # A list setting comes as JSON, as pydantic-settings reads it from the environment.
    return Settings(**{name: json.loads(value) if value.startswith("[") else value
                       for name, value in values.items()})


def scrape_targets(prometheus_config: Mapping[str, Any], job: str) -> list[str]:
    """host:port targets of one scrape job's static_configs."""
    for scrape in prometheus_config.get("scrape_configs") or []:
        if scrape["job_name"] == job:
            return [t for static in scrape.get("static_configs") or [] for t in static["targets"]]
    return []


def target_mismatches(targets: list[str], workers: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Differences between scrape targets and the worker services' host:CXPULSE_WEB_PORT."""
    default_port = str(Settings.model_fields["web_port"].default)
    expected = {
        f"{name}:{resolve(service_env(service).get('CXPULSE_WEB_PORT', default_port), {})}"
        for name, service in workers.items()
    }
    actual = set(targets)
    return [f"not scraped: {t}" for t in sorted(expected - actual)] + [
        f"scraped but no such worker: {t}" for t in sorted(actual - expected)
    ]


def require_tool(name: str) -> str:
    """Absolute path of ``name``; fails the test (never skips) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        package = _TOOL_PACKAGES.get(name, name)
        pytest.fail(
            f"{name} is required to check the deploy configs but is not on PATH: "
            f"apt-get install -y {package}",
            pytrace=False,
        )
    return path


def run_tool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run promtool or amtool; stdout and stderr together in ``.stdout``."""
    command = [require_tool(str(args[0])), *map(str, args[1:])]
    return subprocess.run(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60,
        check=False,
    )


def stage_mounts(compose: Mapping[str, Any], service: str, root: Path, dest: Path) -> None:
    """Copy ``service``'s bind mounts from ``root`` to ``dest`` at their container paths."""
    for mount in bind_mounts(compose):
        if mount.service != service:
            continue
        source, target = root / mount.source, dest / mount.target.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)


def staged_prometheus_config(compose: Mapping[str, Any], root: Path, dest: Path) -> Path:
    """The Prometheus config laid out under ``dest`` as in its container, rule paths rebased.

    promtool opens rule_files on this machine, so absolute container paths are moved under
    ``dest``, where stage_mounts put what the container would see.
    """
    stage_mounts(compose, PROMETHEUS_SERVICE, root, dest)
    config_path = dest / PROMETHEUS_CONFIG.lstrip("/")
    config = yaml.safe_load(config_path.read_text())
    config["rule_files"] = [
        str(dest / pattern.lstrip("/")) if pattern.startswith("/") else pattern
        for pattern in config.get("rule_files") or []
    ]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    return config_path


def promtool_check_config(config_path: Path) -> list[str]:
    """Problems promtool finds in a Prometheus config, and rule globs that match no file."""
    result = run_tool("promtool", "check", "config", config_path)
    if result.returncode != 0:
        return [f"promtool check config failed:\n{result.stdout}"]
    # promtool accepts a glob that matches nothing, which would leave every rule unchecked.
    config = yaml.safe_load(config_path.read_text())
    return [
        f"rule_files entry {pattern} matches no file"
        for pattern in config.get("rule_files") or []
        if not glob.glob(str(config_path.parent / pattern))
    ]
