"""Benchmark: a generated organisation of N models x E environments against AWS's quotas (policies/quotas.py).

    python -m benchmarks.quotas [--models 500] [--envs 4]

Synthesizes the organisation in a fresh process, then prints the largest document of each kind with its size,
quota and headroom, and every document over its quota.

A plain synth fails once a stack holds more than 500 resources: CDK refuses it (TooManyResourcesInStack), as
CloudFormation would, before anything else can be measured. So the benchmark synthesizes with CDK's check lifted
(context `@aws-cdk/core:stackResourceLimit: 0`, the setting CDK documents for it) and measures that assembly in
full: the stacks over 500 resources are named in one line, and again among the failures. Any other synth failure
is reported in one line, exit 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.synth import GENERATED_ENVIRONMENTS, SYNTH, large_organisation
from policies.quotas import RESOURCES, measure_assembly, report

REPO_ROOT = Path(__file__).resolve().parents[1]
LIFTED_RESOURCE_LIMIT = json.dumps({"@aws-cdk/core:stackResourceLimit": 0})


def synthesize(config: Path, workloads: Path, outdir: Path) -> tuple[float, str | None]:
    """Wall seconds of the synth in a fresh process, and its error's last line when it failed."""
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_CONTEXT_JSON": LIFTED_RESOURCE_LIMIT,  # read by cdk.App: CDK's 500-resource check is lifted
        # This checkout's code, whichever checkout the venv was installed from.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", SYNTH, str(config), str(workloads), str(outdir)],
        cwd=outdir.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        return seconds, lines[-1] if lines else f"exit {result.returncode}"
    return seconds, None


def main(argv: list[str] | None = None) -> int:
    """Synthesize N x E, print the quota report; 0 when measured (failures included), 1 when synth failed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quotas", description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=500, help="models in the organisation (default 500)")
    parser.add_argument(
        "--envs", type=int, default=4, choices=sorted(GENERATED_ENVIRONMENTS), help="environments (default 4)"
    )
    args = parser.parse_args(argv)
    if args.models < 1:
        parser.error(f"--models {args.models}: expected at least 1")
    size = f"{args.models} models x {args.envs} environments"
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        config, workloads = large_organisation(folder / "org", args.models, args.envs)
        seconds, error = synthesize(config, workloads, folder / "cdk.out")
        if error is not None:
            print(f"quotas, {size}: synth fails, so nothing is measured: {error}")
            return 1
        started = time.perf_counter()
        measurements = measure_assembly(folder / "cdk.out")
        checked = time.perf_counter() - started
    print(f"quotas, {size}: synth {seconds:.1f} s, check {checked:.1f} s")
    too_many = sorted(m.stack for m in measurements if m.kind is RESOURCES and m.over)
    if too_many:
        print(
            f"A plain synth fails at this size (CDK refuses stacks over 500 resources: {', '.join(too_many)}); "
            "measured with that check lifted."
        )
    print(report(measurements))
    return 0


if __name__ == "__main__":
    sys.exit(main())
