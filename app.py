#!/usr/bin/env python3
"""The CDK app: `cdk synth`, `cdk diff` and `cdk deploy` run this (see cdk.json).

`python app.py` works too: it writes cdk.out/ (or $CDK_OUTDIR). `MODELOPS_CONFIG` names the organisation file
(default accounts/accounts.yaml) and `MODELOPS_WORKLOADS` the manifests folder (default workloads/), as
`modelops --config` and `--workloads` do. A config or manifest error is one `error:` line, exit 2; Ctrl-C
exits 130 (deployment/entry_point.py).
"""

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from pathlib import Path

from deployment import entry_point


def main() -> int:
    """Validate accounts.yaml and the manifests, then synthesize the app."""
    from accounts.config import load_config
    from workloads.manifest import WORKLOADS_ROOT, load_all

    config = load_config(os.environ.get("MODELOPS_CONFIG", "accounts/accounts.yaml"))
    workloads = Path(os.environ.get("MODELOPS_WORKLOADS", WORKLOADS_ROOT))
    load_all(config, workloads)  # a manifest error too is found before jsii starts Node (a second)

    from deployment.cdk_app import build_app

    build_app(config, workloads_root=workloads, outdir=os.environ.get("CDK_OUTDIR", "cdk.out")).synth()
    return 0


if __name__ == "__main__":
    entry_point.run(main)
