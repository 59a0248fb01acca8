"""What CI runs (`.ci/run`) is the README's test command. (The compose file and the image are
checked in `test_compose_file.py`.)"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert readme.index("make up") < readme.index("make test") < readme.index("Prerequisites")
