"""Benchmark: the least-privilege sweep (policies/proof.py) over the sample organisation (tests/orgs/two_env).

    python -m benchmarks.iam_sweep [CDK_OUT]

Synthesizes the app into a temporary directory unless CDK_OUT is given, then runs the full sweep
three times and prints the decisions, the best wall time and decisions per second.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from policies.iam.cloudformation.reader import load_deployment
from policies.proof.results import run_proof
from policies.proof.universe import build_universe
from tests.orgs import load_org, workloads_root

RUNS = 3


def _synthesized(workdir: Path) -> Path:
    from deployment.cdk_app import synthesize

    return synthesize(load_org("two_env"), workloads_root("two_env"), workdir / "cdk.out")


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        cdk_out = Path(argv[0]) if argv else _synthesized(Path(tmp))
        universe = build_universe(load_org("two_env"), load_deployment(cdk_out))
        runs = [run_proof(universe) for _ in range(RUNS)]
    best = min(runs, key=lambda run: run.seconds)
    print(
        f"principals {len(universe.principals)}, actions {len(universe.actions)}, resources {len(universe.resources)}"
    )
    rate = best.decisions / best.seconds
    print(f"decisions {best.decisions}, best of {RUNS}: {best.seconds:.2f} s, {rate:,.0f} decisions/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
