"""The Grafana dashboard and the alert rules shipped in the chart are built on metrics the
services serve, with the labels those metrics have; every alert is explained in the runbook."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

from shared.settings import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "deploy" / "helm" / "roster" / "files"
METRIC = re.compile(r"\b(roster_[a-z_]+)\b")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
MATCHER = re.compile(r"\{([^}]*)\}")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def served_metrics() -> dict[str, tuple[str, ...]]:
    """Every roster_* series name a service can serve, with its label names."""
    for service in DEFAULT_PORTS:  # every service's modules, hence every metric they define
        importlib.import_module(f"services.{service}.bootstrap")
    served: dict[str, tuple[str, ...]] = {}
    for collector in set(REGISTRY._names_to_collectors.values()):
        name, kind = getattr(collector, "_name", ""), getattr(collector, "_type", "")
        if not name.startswith("roster_"):
            continue
        for suffix in SUFFIXES.get(kind, ("",)):
            served[name + suffix] = tuple(collector._labelnames)
    return served


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((FILES / "grafana-dashboard.json").read_text())
    return [
        target["expr"]
        for panel in dashboard["panels"]
        if panel["type"] != "row"
        for target in panel["targets"]
    ]


def alert_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = yaml.safe_load((FILES / "alerts.yaml").read_text())["rules"]
    return rules


def problems(expression: str, served: dict[str, tuple[str, ...]]) -> list[str]:
    names = METRIC.findall(expression)
    found = [f"{n} is not served" for n in names if n not in served]
    labels = {label for n in names if n in served for label in served[n]} | {"le"}
    used = [
        label.strip()
        for group in GROUPING.findall(expression)
        for label in group.split(",")
        if label.strip()
    ]
    used += [m.split("=")[0].strip() for ms in MATCHER.findall(expression) for m in ms.split(",")]
    found += [f"{label} is no label of {names}" for label in used if label not in labels]
    return found + ([] if names else ["no roster metric"])


def test_every_dashboard_panel_reads_served_metrics_by_their_labels() -> None:
    served = served_metrics()
    expressions = dashboard_expressions()
    assert len(expressions) >= 10
    assert {p for e in expressions for p in problems(e, served)} == set()
    # What the deployment issue asks the dashboard to show.
    shown = {n for e in expressions for n in METRIC.findall(e)}
    for wanted in (
        "roster_consumer_lag_records",
        "roster_outbox_oldest_event_age_seconds",
        "roster_import_rows_total",
        "roster_dispatcher_messages_total",
    ):
        assert wanted in shown


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_every_alert_reads_served_metrics_and_is_in_the_runbook(rule: dict[str, Any]) -> None:
    assert problems(rule["expr"], served_metrics()) == []
    runbook = (ROOT / "docs" / "operations.md").read_text()
    assert f"`{rule['alert']}`" in runbook
    assert rule["labels"]["severity"] in ("critical", "warning", "info")


def test_a_misspelt_metric_or_label_is_caught() -> None:
    served = served_metrics()
    assert problems("sum(rate(roster_http_request_total[5m]))", served)
    assert problems("sum by (tenant) (rate(roster_http_requests_total[5m]))", served)
    assert problems('roster_consumer_lag_records{org="x"}', served)
    assert problems("sum by (group) (roster_consumer_lag_records)", served) == []
