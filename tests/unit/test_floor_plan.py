"""Every service keeps the floor plan the next ones are copied from: one registry maps messages to
handlers, consumers only name their topics (decoding is shared, dispatch is the bus's), routes
and workers send commands to the bus, and the service layer knows ports, never adapters."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.messagebus import MessageBus
from shared.settings import DEFAULT_PORTS

ROOT = Path(__file__).resolve().parents[2]
SERVICES = tuple(DEFAULT_PORTS)


def modules(service: str, layer: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((ROOT / "services" / service / layer).rglob("*.py")):
        yield path, ast.parse(path.read_text(), filename=str(path))


def imported(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def calls(tree: ast.Module, name: str) -> int:
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    )


@pytest.mark.parametrize("service", SERVICES)
def test_consumers_dispatch_nothing_themselves_and_touch_no_adapter(service: str) -> None:
    for path, tree in modules(service, "entrypoints"):
        if path.name != "consumers.py":
            continue
        assert calls(tree, "isinstance") == 0, f"{path}: dispatch belongs to the bus"
        assert not [m for m in imported(tree) if ".adapters" in m], path


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_layer_knows_ports_not_adapters(service: str) -> None:
    for path, tree in modules(service, "service_layer"):
        adapters = [m for m in imported(tree) if ".adapters" in m or m.startswith("pymongo")]
        assert not adapters, f"{path} imports {adapters}: declare a port in ports.py"


@pytest.mark.parametrize("service", SERVICES)
def test_one_registry_holds_every_handler_and_the_bus_is_built_from_it(service: str) -> None:
    registry = __import__(f"services.{service}.service_layer.registry", fromlist=["_"])
    bootstrap = __import__(f"services.{service}.bootstrap", fromlist=["_"])
    # A service that only follows events (the flows service, so far) has no commands yet.
    assert registry.COMMAND_HANDLERS or registry.EVENT_HANDLERS
    source = (ROOT / "services" / service / "bootstrap.py").read_text()
    assert "commands=COMMAND_HANDLERS" in source and "events=EVENT_HANDLERS" in source
    assert isinstance(bootstrap.build_bus, object)


@pytest.mark.parametrize("service", SERVICES)
def test_routes_send_commands_to_the_bus_and_never_call_a_handler(service: str) -> None:
    for path, tree in modules(service, "entrypoints"):
        handler_modules = [
            m for m in imported(tree) if m.endswith(("handlers", "pipeline", "member_changes"))
        ]
        assert not handler_modules, f"{path} reaches handlers {handler_modules} past the bus"


def test_the_bus_refuses_a_type_registered_twice_over() -> None:
    async def handler(message: object) -> None: ...

    with pytest.raises(TypeError):
        MessageBus(commands={int: handler}, events={int: [handler]}, dependencies={})
