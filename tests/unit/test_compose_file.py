"""`docker-compose.yml` and the `Dockerfile`, checked against what the code expects (issue 18,
part 3): no Docker engine runs here, so the files are read and cross-checked with the settings
classes, the CLI, the launcher's Kafka version, the paths the services write and the console's
routing table."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.cli import BUILT_SERVICES, parser
from shared.http.routing import ROUTES
from shared.settings import DEFAULT_PORTS, ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
SERVICES: dict[str, Any] = COMPOSE["services"]
ROSTER = {
    name: spec for name, spec in SERVICES.items() if spec.get("command", [None])[0] == "serve"
}
# The console keeps no data: no store, no Kafka. Every other service has both.
CONSOLE = "console"
DATA_SERVICES = sorted(set(ROSTER) - {CONSOLE})
SETTINGS = {f"ROSTER_{name.upper()}" for name in ServiceSettings.model_fields}
DOCKERIGNORE = [
    line.strip()
    for line in (ROOT / ".dockerignore").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


def _image_env(name: str) -> str:
    """A variable the runtime image sets (`ENV` of its last stage)."""
    runtime = DOCKERFILE.rsplit("\nFROM ", 1)[1]
    match = re.search(rf"\b{name}=(\S+)", runtime)
    assert match, f"the image sets no {name}"
    return match.group(1)


def _mounts(spec: dict[str, Any]) -> dict[str, str]:
    """Container path -> volume name."""
    return {m.split(":")[1]: m.split(":")[0] for m in spec.get("volumes", [])}


def test_every_service_is_in_the_stack_once_with_its_command() -> None:
    assert sorted(spec["command"][1] for spec in ROSTER.values()) == sorted(BUILT_SERVICES)
    assert sorted(BUILT_SERVICES) == sorted(DEFAULT_PORTS)
    for name, spec in ROSTER.items():
        assert spec["command"] == ["serve", name]
        args = parser().parse_args(spec["command"])
        assert args.service == name


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_container_restarts_unless_stopped(name: str) -> None:
    expected = "no" if name == "seed" else "unless-stopped"  # the seed runs once
    assert SERVICES[name].get("restart") == expected


@pytest.mark.parametrize("name", sorted(ROSTER))
def test_service_ports_health_and_file_system(name: str) -> None:
    spec = ROSTER[name]
    port = _image_env("ROSTER_PORT")
    assert spec["ports"] == [f"{DEFAULT_PORTS[name]}:{port}"]
    # Healthy means ready (`depends_on` waits for it), on the port the image listens on.
    check = " ".join(spec["healthcheck"]["test"])
    assert f"127.0.0.1:{port}/readyz" in check
    assert spec["read_only"] is True and "/tmp" in spec["tmpfs"]
    assert spec["image"] == SERVICES["seed"]["image"] and spec["build"] == "."


@pytest.mark.parametrize("name", DATA_SERVICES)
def test_data_services_wait_for_kafka_and_mongodb(name: str) -> None:
    for dependency in ("kafka", "mongo"):
        assert ROSTER[name]["depends_on"][dependency] == {"condition": "service_healthy"}


def test_the_console_needs_no_store_and_waits_for_the_accounts_service() -> None:
    depends_on = ROSTER[CONSOLE]["depends_on"]
    assert {"kafka", "mongo"}.isdisjoint(depends_on)
    assert depends_on["accounts"] == {"condition": "service_healthy"}
    assert set(depends_on) <= set(ROSTER) - {CONSOLE}


@pytest.mark.parametrize("name", sorted({*ROSTER, "seed"}))
def test_environment_names_are_settings_and_secrets_are_required(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment: dict[str, str] = SERVICES[name]["environment"]
    unknown = {key for key in environment if key.startswith("ROSTER_")} - SETTINGS
    assert unknown == set()
    # The stack refuses to start without its secrets (compose's `${VAR:?message}`).
    assert environment["ROSTER_JWT_SIGNING_KEY"].startswith("${ROSTER_JWT_SIGNING_KEY:?")
    assert environment["ROSTER_ENV"] == "prod"
    assert environment["ROSTER_MONGODB_URL"].startswith("mongodb://mongo:27017/")
    assert "replicaSet=rs0" in environment["ROSTER_MONGODB_URL"]
    assert environment["ROSTER_KAFKA_BOOTSTRAP"] == "kafka:9092"
    # Read from the environment as the container does (a dict setting is JSON there).
    for key, value in environment.items():
        if key.startswith("ROSTER_") and not value.startswith("${"):
            monkeypatch.setenv(key, value)
    settings = ServiceSettings(jwt_signing_key="x" * 40)
    assert settings.env == "prod"


def test_the_dispatcher_requires_its_channel_secret_key() -> None:
    key = ROSTER["dispatcher"]["environment"]["ROSTER_CHANNEL_SECRET_KEYS"]
    assert key.startswith("${ROSTER_CHANNEL_SECRET_KEYS:?")


def test_uploads_go_to_a_volume_the_service_user_owns() -> None:
    importer = ROSTER["importer"]
    upload_dir = importer["environment"]["ROSTER_IMPORT_DIR"]
    assert upload_dir == _image_env("ROSTER_IMPORT_DIR")
    assert _mounts(importer)[upload_dir] in COMPOSE["volumes"]
    # A new named volume takes the owner of the image's directory: the service's user.
    user = re.findall(r"^USER (\d+)", DOCKERFILE, re.MULTILINE)[-1]
    assert user != "0"
    assert re.search(rf"install -d -o {user} -g {user} [^\n]*{re.escape(upload_dir)}", DOCKERFILE)


def test_kafka_keeps_its_log_on_its_volume_and_runs_the_launchers_version() -> None:
    kafka = SERVICES["kafka"]
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    log_dirs = kafka["environment"]["KAFKA_LOG_DIRS"]
    assert _mounts(kafka)[log_dirs] == "kafka-data"
    assert kafka["environment"]["CLUSTER_ID"]  # reused by a new container
    pom = (ROOT / "deploy" / "local" / "kafka" / "pom.xml").read_text()
    version = re.search(r"<kafka.version>(.+)</kafka.version>", pom)
    assert version and kafka["image"] == f"apache/kafka:{version.group(1)}"


def test_mongodb_7_runs_as_a_replica_set_on_its_volume() -> None:
    mongo = SERVICES["mongo"]
    assert mongo["image"] == "mongo:7"
    assert mongo["command"][:2] == ["--replSet", "rs0"]
    assert _mounts(mongo)["/data/db"] == "mongo-data"
    assert "rs.initiate" in mongo["healthcheck"]["test"][1]


def test_the_console_passes_each_path_to_its_owners_container(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its upstreams name every service of the routing table, at the container's name and the
    port the image listens on, as the console reads them from its environment."""
    raw = ROSTER[CONSOLE]["environment"]["ROSTER_CONSOLE_UPSTREAMS"]
    port = _image_env("ROSTER_PORT")
    owners = {service for _, service in ROUTES}
    expected = {service: f"http://{service}:{port}" for service in owners}
    assert json.loads(raw) == expected
    assert owners <= set(DATA_SERVICES)
    monkeypatch.setenv("ROSTER_CONSOLE_UPSTREAMS", raw)
    assert ServiceSettings().console_upstreams == expected


def test_the_seed_waits_for_every_data_service_and_is_a_command_of_the_cli() -> None:
    seed = SERVICES["seed"]
    assert set(seed["depends_on"]) == set(DATA_SERVICES)  # it signs in without the console
    args = parser().parse_args(seed["command"])
    assert args.func.__name__ == "cmd_seed"
    assert args.contacts_url == f"http://contacts:{_image_env('ROSTER_PORT')}"


def test_the_image_builds_the_console_from_its_lock_file_and_serves_it() -> None:
    stage = re.search(r"^FROM \S+ AS console\n(.*?)(?=^FROM )", DOCKERFILE, re.M | re.S)
    assert stage, "no console stage before the runtime's"
    build = stage.group(1)
    assert "package-lock.json" in build and "npm ci " in build and "npm run build" in build
    assert build.index("package-lock.json") < build.index("npm ci ") < build.index("npm run build")
    assert re.search(r"^ARG NODE_IMAGE=node:20\b", DOCKERFILE, re.M)
    assets = _image_env("ROSTER_CONSOLE_ASSETS_DIR")
    assert re.search(rf"^COPY --from=console \S+/dist {re.escape(assets)}$", DOCKERFILE, re.M)
    assert "ROSTER_CONSOLE_ASSETS_DIR" in SETTINGS
    # What a local build left is not sent to the image: it is built there.
    for built in ("node_modules", "dist"):
        assert f"services/console/web/{built}" in DOCKERIGNORE


def test_the_image_is_multi_stage_non_root_locked_and_checked() -> None:
    assert len(re.findall(r"^FROM ", DOCKERFILE, re.MULTILINE)) >= 2
    assert "--require-hashes -r requirements/runtime.txt" in DOCKERFILE
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", DOCKERFILE, re.MULTILINE)
    for label in ("version", "source", "revision"):
        assert f"org.opencontainers.image.{label}=" in DOCKERFILE
    assert re.findall(r"^USER (\S+)", DOCKERFILE, re.MULTILINE)[-1].split(":")[0] == "10001"
