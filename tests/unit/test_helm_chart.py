"""The Helm chart's parts that need no cluster and no Helm: its routing table is the services'
(`shared.http.routing`, itself checked against every OpenAPI path), and its values name every
service the image serves, and its example of production values only keys the chart has.
Rendering and linting with Helm itself is `tests/chart/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from shared.http.routing import ROUTES
from shared.settings import DEFAULT_PORTS

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "roster"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_the_ingress_routes_with_the_services_table() -> None:
    routes = _yaml(CHART / "files" / "routes.yaml")["routes"]
    assert [(r["prefix"], r["service"]) for r in routes] == list(ROUTES)


def test_the_values_name_every_service_and_the_example_only_known_keys() -> None:
    values = _yaml(CHART / "values.yaml")
    assert sorted(values["services"]) == sorted(DEFAULT_PORTS)
    production = _yaml(CHART.parent / "values-production.yaml")

    def unknown(given: dict[str, Any], known: dict[str, Any], at: str = "") -> list[str]:
        found = []
        for key, value in given.items():
            if key not in known:
                found.append(at + key)
            elif isinstance(value, dict) and isinstance(known[key], dict) and known[key]:
                found += unknown(value, known[key], f"{at}{key}.")
        return found

    assert unknown(production, values) == []
