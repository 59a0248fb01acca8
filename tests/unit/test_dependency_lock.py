"""The lock files (`make lock`) are what `make up`, `make test` and the image install: every
dependency of pyproject.toml, and what builds the project (it is installed without build
isolation), is pinned there at a version its range allows, with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, Version]:
    text = (ROOT / "requirements" / lock).read_text()
    return {canonicalize_name(name): Version(version) for name, version in PIN.findall(text)}


@pytest.mark.parametrize(
    ("lock", "groups"), [("runtime.txt", ()), ("dev.txt", ("dev",))], ids=["runtime", "dev"]
)
def test_every_dependency_is_pinned_within_its_range_with_hashes(
    lock: str, groups: tuple[str, ...]
) -> None:
    pinned = pins(lock)
    wanted = [Requirement(r) for r in PROJECT["dependencies"]]
    wanted += [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    for group in groups:
        wanted += [Requirement(r) for r in PROJECT["optional-dependencies"][group]]
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in requirements/{lock}: run `make lock`"
        assert requirement.specifier.contains(pinned[name]), (
            f"{requirement} but requirements/{lock} pins {pinned[name]}: run `make lock`"
        )
    text = (ROOT / "requirements" / lock).read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text)[1:]  # one per pinned package
    assert len(blocks) == len(pinned) and all("--hash=sha256:" in b for b in blocks)
    assert "--find-links" not in text  # nothing of one machine's setup


def test_floors_stay_past_known_advisories() -> None:
    pinned = pins("dev.txt")
    assert pinned["python-multipart"] >= Version("0.0.30")
    assert pinned["pytest-asyncio"] >= Version("0.26")
