"""docker-compose.yml can't be run here (no Docker engine); at least keep it coherent by reading."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.cli import BUILT_SERVICES
from shared.settings import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_every_built_service_against_kafka_and_mongo() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["mongo"]["image"].startswith("mongo:7")
    assert "--replSet" in services["mongo"]["command"]
    assert services["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    for name in BUILT_SERVICES:
        service = services[name]
        assert service["command"][:2] == ["serve", name]
        assert f"{DEFAULT_PORTS[name]}:{DEFAULT_PORTS[name]}" in service["ports"]
        env = service["environment"]
        assert env["ROSTER_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["ROSTER_MONGODB_URL"].startswith("mongodb://mongo:27017")
        assert env["ROSTER_ENV"] == "prod"
        assert {"kafka", "mongo"} <= set(service["depends_on"])


def test_ci_runs_exactly_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert readme.index("make up") < readme.index("make test") < readme.index("Prerequisites")
