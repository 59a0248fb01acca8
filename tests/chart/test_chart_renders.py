"""The Helm chart as Helm sees it, without a cluster: `helm lint --strict` and `helm template`
with the default values and with the production example, every rendered manifest valid against
the Kubernetes schemas of the oldest version the chart supports and of the newest one known,
and what the production values turn on really rendered. Runs last in the suite: Helm is built
from the Go module proxy meanwhile (`tests.support.helm_build`)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version

from shared.settings import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "roster"
PRODUCTION = ROOT / "deploy" / "helm" / "values-production.yaml"
# The oldest Kubernetes the chart is checked against (autoscaling/v2 and policy/v1 are GA).
OLDEST_KUBERNETES = "1.27.0"
# Custom resources of the Prometheus operator: no Kubernetes schema; checked by hand below.
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule"}
VALUES = {"default": [], "production": ["-f", str(PRODUCTION)]}


def run(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=120)


def render(helm: Path, values: list[str], *extra: str) -> list[dict[str, Any]]:
    done = run(helm, "template", "roster", str(CHART), "--namespace", "roster", *values, *extra)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.mark.parametrize("values", VALUES, ids=str)
def test_helm_lint_strict_passes(helm: Path, values: str) -> None:
    done = run(helm, "lint", "--strict", str(CHART), *VALUES[values])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 chart(s) failed" in done.stdout


@pytest.mark.parametrize("version", [OLDEST_KUBERNETES, latest_version() + ".0"])
@pytest.mark.parametrize("values", VALUES, ids=str)
def test_every_rendered_manifest_is_valid_kubernetes(helm: Path, values: str, version: str) -> None:
    manifests = render(helm, VALUES[values])
    assert manifests
    for manifest in manifests:
        name = f"{manifest['kind']}/{manifest['metadata']['name']}"
        if manifest["kind"] in CUSTOM_KINDS:
            assert manifest["apiVersion"] == "monitoring.coreos.com/v1", name
            assert manifest["spec"], name
            continue
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{name} is not valid Kubernetes {version}: {exc.message} at {exc.path}")


def kinds(manifests: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for manifest in manifests:
        found.setdefault(manifest["kind"], []).append(manifest)
    return found


def env_of(deployment: dict[str, Any]) -> dict[str, Any]:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def test_the_production_values_turn_on_what_they_say(helm: Path) -> None:
    rendered = kinds(render(helm, VALUES["production"]))
    deployments = rendered["Deployment"]
    assert len(deployments) == len(DEFAULT_PORTS)
    for deployment in deployments:
        env = env_of(deployment)
        assert env["ROSTER_AUTH_JWKS_URL"] == "http://roster-accounts/.well-known/jwks.json"
        assert env["OTEL_TRACES_EXPORTER"] == "otlp"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http")
        assert env["ROSTER_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert "secretKeyRef" in env["ROSTER_MONGODB_URL"]
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        [container] = pod["containers"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"startupProbe", "livenessProbe", "readinessProbe"} <= set(container)
    [rule] = rendered["PrometheusRule"]
    alerts = yaml.safe_load((CHART / "files" / "alerts.yaml").read_text())
    assert rule["spec"]["groups"] == [alerts]  # the annotations' templates left as they are
    dashboard = [c for c in rendered["ConfigMap"] if c["metadata"]["name"].endswith("-dashboard")]
    assert dashboard and dashboard[0]["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert '"uid": "roster-overview"' in dashboard[0]["data"]["roster.json"]
    assert rendered["ServiceMonitor"] and rendered["NetworkPolicy"]
    assert rendered["PodDisruptionBudget"] and rendered["HorizontalPodAutoscaler"]
    assert rendered["Ingress"]


def test_the_default_values_render_no_optional_parts(helm: Path) -> None:
    rendered = kinds(render(helm, VALUES["default"]))
    for optional in ("PrometheusRule", "ServiceMonitor", "NetworkPolicy"):
        assert optional not in rendered
    for deployment in rendered["Deployment"]:
        assert "OTEL_TRACES_EXPORTER" not in env_of(deployment)  # tracing off by default


def test_tracing_without_a_collector_is_refused_at_render(helm: Path) -> None:
    done = run(helm, "template", "roster", str(CHART), "--set", "tracing.enabled=true")
    assert done.returncode != 0
    assert "tracing.endpoint" in done.stderr
