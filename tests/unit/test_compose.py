"""docker-compose.yml and the Prometheus, Alertmanager and Grafana files it mounts, statically.

No Docker engine is needed. promtool and amtool are (Debian: prometheus, prometheus-alertmanager):
without them these tests fail, never skip. The last section runs each checker in
tests/compose_checks.py against a deliberately broken input, so a green run means something.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml

from ops.cli import build_parser
from tests.compose_checks import (
    PROMETHEUS_CONFIG,
    PROMETHEUS_SERVICE,
    bind_mounts,
    command_of,
    cxpulse_services,
    defaulted_secrets,
    interpolations,
    missing_host_paths,
    promtool_check_config,
    resolve,
    run_tool,
    scrape_targets,
    service_env,
    settings_from_env,
    staged_prometheus_config,
    target_mismatches,
    undeclared_named_volumes,
    unknown_settings,
    unpinned_images,
    worker_services,
)

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose_text() -> str:
    """docker-compose.yml as text, for the variable references YAML parsing would hide."""
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    """docker-compose.yml parsed, with its anchors and merge keys applied."""
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def prometheus_config(compose: dict[str, Any]) -> dict[str, Any]:
    """The Prometheus config that the compose file mounts into the prometheus service."""
    (mount,) = [
        m for m in bind_mounts(compose)
        if m.service == PROMETHEUS_SERVICE and m.target == PROMETHEUS_CONFIG
    ]
    return yaml.safe_load((REPO / mount.source).read_text())


# --- the compose file ------------------------------------------------------------------------


def test_every_image_is_pinned_or_built(compose: dict[str, Any]) -> None:
    assert unpinned_images(compose) == []


def test_every_host_path_exists_in_the_repo(compose: dict[str, Any]) -> None:
    assert bind_mounts(compose), "expected the configs to be bind-mounted"
    assert missing_host_paths(compose, REPO) == []


def test_named_volumes_and_dependencies_are_declared(compose: dict[str, Any]) -> None:
    assert undeclared_named_volumes(compose) == []
    services = compose["services"]
    for name, service in services.items():
        for dependency, spec in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            if spec.get("condition") == "service_healthy":
                assert "healthcheck" in services[dependency], (
                    f"{name} waits for {dependency} to be healthy, which has no healthcheck"
                )


def test_secrets_are_required_without_defaults(compose_text: str) -> None:
    assert defaulted_secrets(compose_text) == []
    required = {ref.name for ref in interpolations(compose_text) if ref.op == ":?"}
    assert {"POSTGRES_PASSWORD", "GF_SECURITY_ADMIN_PASSWORD"} <= required
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        resolve("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", {})


def test_cxpulse_variables_are_settings_fields(compose: dict[str, Any]) -> None:
    services = cxpulse_services(compose)
    assert {"topics", "simulator"} <= set(services)
    for name, service in services.items():
        env = service_env(service)
        assert unknown_settings(env) == [], name
        settings_from_env(env)


def test_cxpulse_commands_parse(compose: dict[str, Any]) -> None:
    for name, service in cxpulse_services(compose).items():
        words = [resolve(word, {}) for word in command_of(service)]
        try:
            build_parser().parse_args(words[1:])
        except SystemExit as error:
            pytest.fail(f"{name}: `{' '.join(words)}` is not a valid cxpulse command ({error})")


def test_workers_are_distinct_and_reach_kafka(compose: dict[str, Any]) -> None:
    workers = worker_services(compose)
    assert len(workers) >= 2
    settings = {name: settings_from_env(service_env(s)) for name, s in workers.items()}
    assert len({s.worker_id for s in settings.values()}) == len(workers), "worker ids collide"
    for name, s in settings.items():
        assert (s.broker_url, s.broker_profile, s.store) == (
            "kafka://kafka:9092", "kafka", "rocksdb://"
        ), name
        assert (s.web_host, s.web_port, str(s.data_dir)) == ("0.0.0.0", 6066, "/data"), name
    data_volumes = [
        v.partition(":")[0]
        for w in workers.values()
        for v in w.get("volumes") or []
        if isinstance(v, str) and v.split(":")[1] == "/data"
    ]
    assert len(set(data_volumes)) == len(workers), "each worker needs its own /data volume"


def test_kafka_is_kraft_without_zookeeper(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert not [n for n, s in services.items() if "zookeeper" in f"{n} {s.get('image', '')}"]
    (kafka,) = [s for s in services.values() if str(s.get("image", "")).startswith("apache/kafka")]
    env = service_env(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "KAFKA_ZOOKEEPER_CONNECT" not in env
    assert "CLUSTER_ID" in env
    assert "//kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "healthcheck" in kafka


def test_topics_service_runs_once_before_workers(compose: dict[str, Any]) -> None:
    topics = compose["services"]["topics"]
    assert command_of(topics) == ["cxpulse", "topics", "create"]
    assert topics["restart"] == "no"
    assert resolve(service_env(topics)["CXPULSE_TOPIC_PARTITIONS"], {}) == "4"
    for name, worker in worker_services(compose).items():
        assert worker["depends_on"]["topics"]["condition"] == "service_completed_successfully", name


# --- Prometheus, Alertmanager, Grafana -------------------------------------------------------


def test_prometheus_config_passes_promtool(compose: dict[str, Any], tmp_path: Path) -> None:
    config_path = staged_prometheus_config(compose, REPO, tmp_path)
    assert promtool_check_config(config_path) == []


def test_prometheus_scrapes_every_worker(
    compose: dict[str, Any], prometheus_config: dict[str, Any]
) -> None:
    targets = scrape_targets(prometheus_config, "cxpulse")
    assert target_mismatches(targets, worker_services(compose)) == []
    (scrape,) = [s for s in prometheus_config["scrape_configs"] if s["job_name"] == "cxpulse"]
    assert scrape["scrape_interval"] == "5s"
    alertmanagers = [
        target
        for am in prometheus_config["alerting"]["alertmanagers"]
        for static in am["static_configs"]
        for target in static["targets"]
    ]
    assert alertmanagers == ["alertmanager:9093"]
    assert "alertmanager" in compose["services"]


def test_rules_pass_promtool() -> None:
    rules = sorted((REPO / "alerts" / "rules").glob("*.yml"))
    assert rules, "alerts/rules/ holds no rule file"
    result = run_tool("promtool", "check", "rules", *rules)
    assert result.returncode == 0, result.stdout
    tests = sorted((REPO / "alerts" / "tests").glob("*.yml"))
    result = run_tool("promtool", "test", "rules", *tests)
    assert result.returncode == 0, result.stdout


def test_alertmanager_config_passes_amtool(compose: dict[str, Any]) -> None:
    (mount,) = [m for m in bind_mounts(compose) if m.target.endswith("/alertmanager.yml")]
    result = run_tool("amtool", "check-config", REPO / mount.source)
    assert result.returncode == 0, result.stdout


def test_grafana_provisioning_matches_the_stack(compose: dict[str, Any]) -> None:
    grafana_mounts = {
        m.target: REPO / m.source for m in bind_mounts(compose) if m.service == "grafana"
    }
    datasources = yaml.safe_load(
        (grafana_mounts["/etc/grafana/provisioning/datasources"] / "prometheus.yml").read_text()
    )["datasources"]
    assert [(d["uid"], d["url"]) for d in datasources] == [("prometheus", "http://prometheus:9090")]
    providers = yaml.safe_load(
        (grafana_mounts["/etc/grafana/provisioning/dashboards"] / "cxpulse.yml").read_text()
    )["providers"]
    dashboards_path = providers[0]["options"]["path"]
    assert grafana_mounts[dashboards_path] == REPO / "dashboards" / "build"


def test_grafana_reaches_the_history_store_with_the_postgres_password(
        compose: dict[str, Any]) -> None:
    services = compose["services"]
    grafana_mounts = {
        m.target: REPO / m.source for m in bind_mounts(compose) if m.service == "grafana"
    }
    (source,) = yaml.safe_load(
        (grafana_mounts["/etc/grafana/provisioning/datasources"] / "history.yml").read_text()
    )["datasources"]
    assert (source["uid"], source["type"]) == ("cxpulse-history", "grafana-postgresql-datasource")
    postgres = services["postgres"]
    env = service_env(postgres)
    port = postgres["ports"][0].rsplit(":", 1)[-1]
    assert source["url"] == f"postgres:{port}"
    assert (source["user"], source["jsonData"]["database"]) == (
        env["POSTGRES_USER"], env["POSTGRES_DB"])
    # The password is Grafana's environment variable, which compose fills from the same
    # required secret as the postgres service; never a literal.
    assert source["secureJsonData"]["password"] == "$POSTGRES_PASSWORD"
    assert service_env(services["grafana"])["POSTGRES_PASSWORD"] == env["POSTGRES_PASSWORD"]
    assert "postgres" in services["grafana"]["depends_on"]


# --- the helpers catch what they are for -----------------------------------------------------


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("postgres:16.9", True),
        ("prom/prometheus:v2.53.4", True),
        ("localhost:5000/cxpulse:1.0", True),
        ("postgres@sha256:" + "0" * 64, True),
        ("postgres", False),
        ("postgres:latest", False),
        ("localhost:5000/cxpulse", False),
        ("grafana/grafana:${GRAFANA_TAG:-11.6.3}", False),
    ],
)
def test_unpinned_images_table(image: str, pinned: bool) -> None:
    problems = unpinned_images({"services": {"svc": {"image": image}}})
    assert (problems == []) is pinned


def test_unpinned_images_needs_image_or_build() -> None:
    compose = {"services": {"built": {"build": "."}, "empty": {}}}
    assert unpinned_images(compose) == ["empty: neither image nor build"]


def test_missing_host_paths_flags_absent_and_outside_paths(tmp_path: Path) -> None:
    (tmp_path / "present.yml").write_text("x: 1\n")
    compose = {
        "services": {
            "a": {
                "volumes": ["./present.yml:/etc/a.yml:ro", "./absent.yml:/etc/b.yml", "named:/x"]
            },
            "b": {"volumes": [{"type": "bind", "source": "/var/run/docker.sock", "target": "/s"}]},
            "c": {"build": {"context": ".", "dockerfile": "Dockerfile"}},
        }
    }
    assert missing_host_paths(compose, tmp_path) == [
        "a: ./absent.yml does not exist",
        "b: /var/run/docker.sock is outside the repository",
        "c: Dockerfile does not exist",
    ]
    assert undeclared_named_volumes(compose) == ["a: volume named is not declared"]


_DB_ENV = "services:\n  db:\n    environment:\n"


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        (_DB_ENV + "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}\n", 0),
        (_DB_ENV + "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}\n", 2),
        (_DB_ENV + "      POSTGRES_PASSWORD: hunter2\n", 1),
        (_DB_ENV + "      - GF_SECURITY_ADMIN_PASSWORD=${GF_PW}\n", 1),
        (_DB_ENV + "      API_TOKEN: x${TOKEN:?set}\n", 1),
        ("services:\n  db:\n    command: [\"$${NOT_A_VAR:-x}\"]\n", 0),
    ],
)
def test_defaulted_secrets_table(text: str, flagged: int) -> None:
    assert len(defaulted_secrets(text)) == flagged


@pytest.mark.parametrize(
    ("value", "env", "expected"),
    [
        ("${A:-4}", {}, "4"),
        ("${A:-4}", {"A": ""}, "4"),
        ("${A-4}", {"A": ""}, ""),
        ("${A:-4}", {"A": "8"}, "8"),
        ("x${A}y", {}, "xy"),
        ("$${A}", {"A": "8"}, "${A}"),
        ("${A:?need A}", {"A": "s3cret"}, "s3cret"),
    ],
)
def test_resolve_table(value: str, env: dict[str, str], expected: str) -> None:
    assert resolve(value, env) == expected


def test_unknown_settings_flags_misspelt_names() -> None:
    env = {"CXPULSE_BROKER_URL": "kafka://k:9092", "CXPULSE_BROKER_URLS": "x", "OTHER": "1"}
    assert unknown_settings(env) == ["CXPULSE_BROKER_URLS"]


def test_settings_from_env_rejects_invalid_values() -> None:
    with pytest.raises(ValueError, match="CXPULSE_BROKER_URL"):
        settings_from_env({"CXPULSE_BROKER_URL": "kafka:9092"})


def test_target_mismatches_names_both_sides() -> None:
    workers = {
        "worker-1": {"environment": {"CXPULSE_WEB_PORT": 6066}},
        "worker-2": {"environment": {"CXPULSE_WEB_PORT": "${PORT:-7000}"}},
    }
    assert target_mismatches(["worker-1:6066", "worker-3:6066"], workers) == [
        "not scraped: worker-2:7000",
        "scraped but no such worker: worker-3:6066",
    ]


def _broken_stack(tmp_path: Path, prometheus_yml: str, rules_yml: str | None) -> dict[str, Any]:
    repo = tmp_path / "repo"
    (repo / "rules").mkdir(parents=True)
    (repo / "prometheus.yml").write_text(prometheus_yml)
    if rules_yml is not None:
        (repo / "rules" / "x.rules.yml").write_text(rules_yml)
    return {
        "services": {
            PROMETHEUS_SERVICE: {
                "image": "prom/prometheus:v2.53.4",
                "volumes": [
                    f"./prometheus.yml:{PROMETHEUS_CONFIG}:ro",
                    "./rules:/etc/prometheus/rules:ro",
                ],
            }
        }
    }


_VALID_PROMETHEUS = "rule_files: [/etc/prometheus/rules/*.yml]\nscrape_configs: []\n"


def test_promtool_check_config_catches_a_broken_config(tmp_path: Path) -> None:
    broken = "global:\n  scrape_interval: five seconds\n"
    compose = _broken_stack(tmp_path, broken, None)
    config = staged_prometheus_config(compose, tmp_path / "repo", tmp_path / "staged")
    (problem,) = promtool_check_config(config)
    assert problem.startswith("promtool check config failed")


def test_promtool_check_config_catches_an_empty_rule_glob(tmp_path: Path) -> None:
    compose = _broken_stack(tmp_path, _VALID_PROMETHEUS, None)
    config = staged_prometheus_config(compose, tmp_path / "repo", tmp_path / "staged")
    (problem,) = promtool_check_config(config)
    assert problem.endswith("matches no file")


def test_promtool_check_config_catches_a_broken_rule(tmp_path: Path) -> None:
    bad_rule = "groups:\n  - name: g\n    rules:\n      - record: a:b:c\n        expr: sum(\n"
    compose = _broken_stack(tmp_path, _VALID_PROMETHEUS, bad_rule)
    config = staged_prometheus_config(compose, tmp_path / "repo", tmp_path / "staged")
    (problem,) = promtool_check_config(config)
    assert "promtool check config failed" in problem


def test_amtool_catches_a_broken_config(tmp_path: Path) -> None:
    config = tmp_path / "alertmanager.yml"
    config.write_text("route:\n  receiver: nobody\nreceivers:\n  - name: someone\n")
    result = run_tool("amtool", "check-config", config)
    assert result.returncode != 0
    assert "nobody" in result.stdout
