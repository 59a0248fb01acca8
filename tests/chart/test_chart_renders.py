"""The Helm chart as Helm sees it, without a cluster: `helm lint --strict` and `helm template`
with the default values and with the production example, every rendered manifest valid against
the Kubernetes schemas of the oldest version the chart supports and of the newest one known,
and what the production values turn on really rendered. Runs last in the suite: Helm is built
from the Go module proxy meanwhile (`tests.support.helm_build`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import latest_version

from shared.http.routing import ROUTES
from shared.settings import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "roster"
PRODUCTION = ROOT / "deploy" / "helm" / "values-production.yaml"
# The oldest Kubernetes the chart is checked against (autoscaling/v2 and policy/v1 are GA).
OLDEST_KUBERNETES = "1.27.0"
# Custom resources of the Prometheus operator: no Kubernetes schema; checked by hand below.
CUSTOM_KINDS = {"ServiceMonitor", "PrometheusRule"}
VALUES = {"default": [], "production": ["-f", str(PRODUCTION)]}
# The console keeps no data: no store, no Kafka, no consumer (hence no consumer lag).
CONSOLE = "console"
# What only services with a store and Kafka get.
STORE_ENV = ("ROSTER_MONGODB", "ROSTER_KAFKA")


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


def component(manifest: dict[str, Any]) -> str:
    name: str = manifest["metadata"]["labels"]["app.kubernetes.io/component"]
    return name


def by_component(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {component(manifest): manifest for manifest in manifests}


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A label selector (matchLabels only, as the chart writes them) matches these labels."""
    assert set(selector) <= {"matchLabels"}, selector
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def test_the_production_values_turn_on_what_they_say(helm: Path) -> None:
    rendered = kinds(render(helm, VALUES["production"]))
    deployments = rendered["Deployment"]
    assert len(deployments) == len(DEFAULT_PORTS)
    assert sorted(by_component(deployments)) == sorted(DEFAULT_PORTS)
    for deployment in deployments:
        env = env_of(deployment)
        assert env["ROSTER_AUTH_JWKS_URL"] == "http://roster-accounts/.well-known/jwks.json"
        assert env["OTEL_TRACES_EXPORTER"] == "otlp"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http")
        if component(deployment) != CONSOLE:
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


def test_autoscaling_on_consumer_lag_leaves_out_the_console(helm: Path) -> None:
    """Every autoscaled service scales on its consumer group's lag too, but the console: it
    consumes nothing, so it scales on CPU only."""
    autoscalers = by_component(kinds(render(helm, VALUES["production"]))["HorizontalPodAutoscaler"])
    assert CONSOLE in autoscalers
    for name, autoscaler in autoscalers.items():
        external = [m for m in autoscaler["spec"]["metrics"] if m["type"] == "External"]
        if name == CONSOLE:
            assert external == []
            continue
        [lag] = external
        group = lag["external"]["metric"]["selector"]["matchLabels"]
        assert list(group.values()) == [f"roster.{name}"]


@pytest.mark.parametrize("values", VALUES, ids=str)
def test_the_console_gets_the_services_addresses_and_nothing_of_the_stores(
    helm: Path, values: str
) -> None:
    rendered = kinds(render(helm, VALUES[values]))
    console = by_component(rendered["Deployment"])[CONSOLE]
    [container] = console["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["serve", CONSOLE]
    env = env_of(console)
    assert [name for name in env if name.startswith(STORE_ENV)] == []
    # The services take only the accounts service's tokens: the console needs no secret at all.
    assert [name for name, value in env.items() if isinstance(value, dict)] == []
    assert {m["name"] for m in container["volumeMounts"]} == {"tmp"}
    assert env["ROSTER_AUTH_JWKS_URL"] == "http://roster-accounts/.well-known/jwks.json"
    # Every service of the routing table, at its Service (port 80, to the pods' http port).
    upstreams = json.loads(env["ROSTER_CONSOLE_UPSTREAMS"])
    assert upstreams == {service: f"http://roster-{service}" for _, service in ROUTES}
    services = {s["metadata"]["name"]: s for s in rendered["Service"]}
    deployments = by_component(rendered["Deployment"])
    for name, url in upstreams.items():
        service = services[url.removeprefix("http://")]
        assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(80, "http")]
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert selects({"matchLabels": service["spec"]["selector"]}, pod_labels)


def test_the_console_takes_the_shared_key_only_while_the_services_do(helm: Path) -> None:
    rendered = kinds(render(helm, [], "--set", "auth.accountsKeys=false"))
    env = env_of(by_component(rendered["Deployment"])[CONSOLE])
    assert "secretKeyRef" in env["ROSTER_JWT_SIGNING_KEY"]
    assert "ROSTER_AUTH_JWKS_URL" not in env
    secrets = [name for name, value in env.items() if isinstance(value, dict)]
    assert secrets == ["ROSTER_JWT_SIGNING_KEY"]


@pytest.mark.parametrize("values", VALUES, ids=str)
def test_the_ingress_routes_v1_by_the_table_and_the_rest_to_the_console(
    helm: Path, values: str
) -> None:
    [ingress] = kinds(render(helm, VALUES[values]))["Ingress"]
    [rule] = ingress["spec"]["rules"]
    paths = [
        (p["path"], p["pathType"], p["backend"]["service"]["name"]) for p in rule["http"]["paths"]
    ]
    table = [(prefix, "Prefix", f"roster-{service}") for prefix, service in ROUTES]
    assert paths == [*table, ("/", "Prefix", f"roster-{CONSOLE}")]
    for path in rule["http"]["paths"]:
        assert path["backend"]["service"]["port"] == {"name": "http"}


def test_the_network_policy_lets_the_ingress_and_the_console_reach_the_services(
    helm: Path,
) -> None:
    rendered = kinds(render(helm, VALUES["production"]))
    [policy] = rendered["NetworkPolicy"]
    production = yaml.safe_load(PRODUCTION.read_text())
    controller = production["networkPolicy"]["ingressNamespaceSelector"]
    pods = by_component(rendered["Deployment"])
    labels = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in pods.items()}
    # Every pod of the release is behind the policy, the console's among them ...
    assert all(selects(policy["spec"]["podSelector"], pod) for pod in labels.values())
    assert policy["spec"]["policyTypes"] == ["Ingress"]  # egress (to the services) stays open
    ports = [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]]
    assert set(ports) == {"http"}  # the port every container names, the Services' target
    peers = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
    # ... reachable from the ingress controller's namespace ...
    assert {"namespaceSelector": controller} in peers
    # ... and each service from the console's pods (in the release's namespace).
    same_namespace = [p["podSelector"] for p in peers if set(p) == {"podSelector"}]
    assert any(selects(selector, labels[CONSOLE]) for selector in same_namespace)


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
