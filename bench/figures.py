"""How a bench takes its arguments and prints its figures: one line per figure, in the one
format the smoke test (tests/e2e/test_bench_smoke.py) looks for, and latency percentiles."""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from typing import Any

# Every figure line reads "<label> : <value>", the label padded to this width.
LABEL_WIDTH = 30


def parse_args(parser: argparse.ArgumentParser, smoke: dict[str, Any]) -> argparse.Namespace:
    """Adds `--smoke`: the `smoke` sizes become the defaults (flags given still win), so the
    test suite can run the whole bench in seconds and see that it still works."""
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, a few seconds: checks the bench works"
    )
    args = parser.parse_args()
    if args.smoke:
        parser.set_defaults(**smoke)
        args = parser.parse_args()
    return args


def figure(label: str, value: str, width: int = LABEL_WIDTH) -> None:
    """One figure line, in the one format the smoke test looks for."""
    print(f"{label:<{width}}: {value}", flush=True)


def percentile(samples: Sequence[float], q: int) -> float:
    """The q-th percentile (1..99), of one sample that sample."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def latency(samples: Sequence[float]) -> str:
    """p50 and p99 in milliseconds, with how many requests they come from."""
    if not samples:
        return "no requests"
    p50, p99 = percentile(samples, 50) * 1000, percentile(samples, 99) * 1000
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(samples):,} requests"
