#!/usr/bin/env python3
"""The CDK app: `cdk synth`, `cdk diff` and `cdk deploy` run this (see cdk.json).

`python app.py` works too: it writes cdk.out/ and the generated .github/workflows/deploy.yml.
"""

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from accounts.config import load_config
from deployment.cdk_app import build_app

config = load_config(os.environ.get("MODELOPS_CONFIG", "accounts/accounts.yaml"))
build_app(config, outdir=os.environ.get("CDK_OUTDIR", "cdk.out")).synth()
