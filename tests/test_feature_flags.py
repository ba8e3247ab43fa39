"""The CDK feature flags are set deliberately: cdk.json's `context` holds every flag of the pinned aws-cdk-lib at
its recommended value (as `cdk init` and `cdk flags --set --recommended --all` would write them), and every synth,
in process or through the CDK CLI, uses them (deployment/cdk_app.py, `feature_flags`). Left unset, the CLI
warned "85 feature flags are not configured" and each flag took its legacy default.

Three of them change the synthesized templates; none changes what any policy allows (policies/access.yaml,
redrafted by the generate step, did not change, and the least-privilege proof holds):

- `@aws-cdk/aws-iam:minimizePolicies`: statements of one policy with the same effect, principal and
  conditions are merged, and their actions, resources and principals sorted (the rendered policies' order);
- `@aws-cdk/core:enablePartitionLiterals`: `arn:aws:` written out where the region is known, in place of
  `{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ...]]}`;
- `@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard`: the review API's access log destination is
  the log group's ARN without its `:*` suffix (and so the API deployment's logical id changes).

When aws-cdk-lib is upgraded, the first test names the new flags: set each to its recommended value, or to
another one with the reason here, and run `make generate`.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import aws_cdk

from deployment.cdk_app import feature_flags
from tests.conftest import Synth

# Every recommended value, except those this project sets otherwise on purpose (with the reason next to each).
DELIBERATELY_OTHERWISE: dict[str, Any] = {}


def recommended_flags() -> dict[str, Any]:
    """The recommended values shipped inside the installed aws-cdk-lib's jsii assembly."""
    tarball = next((Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz"))
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        flags: dict[str, Any] = json.load(member)
    return flags


def test_cdk_json_sets_every_flag_of_the_pinned_aws_cdk_lib_at_its_recommended_value() -> None:
    expected = {**recommended_flags(), **DELIBERATELY_OTHERWISE}
    flags = feature_flags()

    assert sorted(set(expected) - set(flags)) == []  # new flags of an upgraded aws-cdk-lib
    assert sorted(set(flags) - set(expected)) == []  # flags that aws-cdk-lib no longer has
    assert {name: value for name, value in flags.items() if expected[name] != value} == {}


def test_the_app_synthesizes_with_the_flags_of_cdk_json(synth: Synth) -> None:
    flags = feature_flags()
    assert {name: synth.app.node.try_get_context(name) for name in flags} == flags
