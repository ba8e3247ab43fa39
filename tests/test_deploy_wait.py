"""How long `modelops deploy` waits for a stack, and what it says of an endpoint after a failed or rolled-back
update: derived from the synthesized endpoint stacks of the two_env organisation (qa: linear, 2 steps of
5 min, 5 min termination wait, 2,700 s execution timeout; prod: a 10% canary, 10 min baking after each of
its 2 steps, 15 min termination wait, 3,900 s execution timeout)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from promotion.deploy_wait import endpoint_deployment_seconds, stack_wait_seconds
from promotion.endpoints import LiveEndpoint
from promotion.rollback import endpoint_state, sagemaker_rollback
from tests.conftest import Synth

QA = "ModelOps-qa/Endpoint-churn-model"
PROD = "ModelOps-prod/Endpoint-churn-model"
V1 = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/1"
V2 = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/2"


def endpoint_properties(template: Mapping[str, Any]) -> dict[str, Any]:
    [endpoint] = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Endpoint"]
    properties: dict[str, Any] = endpoint["Properties"]
    return properties


@pytest.mark.parametrize(("stack", "deployment", "wait"), [(QA, 2700, 6000), (PROD, 3900, 8400)])
def test_the_wait_is_twice_the_slowest_endpoints_deployment_bound_plus_ten_minutes(
    synth: Synth, stack: str, deployment: int, wait: int
) -> None:
    """MaximumExecutionTimeoutInSeconds is the "Maximum execution timeout for the deployment", which "should be
    larger than the total waiting time specified in TerminationWaitInSeconds and WaitIntervalInSeconds"
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html). A failed
    update is followed by CloudFormation's rollback, a second deployment under the same settings."""
    template = synth.template_json(stack)
    assert endpoint_deployment_seconds(endpoint_properties(template)) == deployment
    assert stack_wait_seconds(template) == wait
    assert wait > 1800  # the fixed wait before issue 11, shorter than prod's canary baking plus provisioning


def test_baking_and_termination_count_when_they_exceed_the_execution_timeout() -> None:
    policy = {
        "TrafficRoutingConfiguration": {
            "Type": "LINEAR",
            "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 10},
            "WaitIntervalInSeconds": 600,
        },
        "TerminationWaitInSeconds": 3600,
        "MaximumExecutionTimeoutInSeconds": 600,
    }
    # 30 min provisioning + 10 steps x 10 min + 60 min termination wait
    assert endpoint_deployment_seconds({"DeploymentConfig": {"BlueGreenUpdatePolicy": policy}}) == 1800 + 6000 + 3600


def test_a_stack_without_endpoints_waits_for_provisioning_and_the_rest_of_the_stack() -> None:
    assert stack_wait_seconds({"Resources": {}}) == 1800 + 600


def live(status: str, package: str, failure_reason: str | None = None) -> LiveEndpoint:
    return LiveEndpoint("churn-model", status, "churn-model-config-v1", (package,), failure_reason=failure_reason)


def test_an_endpoint_in_service_on_the_version_live_before_is_reported_as_a_sagemaker_rollback() -> None:
    """When SageMaker rolls an update back itself, the endpoint returns to InService on its old config
    (https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html)."""
    assert sagemaker_rollback("churn-model", "prod", live("InService", V1), V2, V1) == (
        "read-back: SageMaker rolled the update of endpoint churn-model in prod back: it is InService on the "
        f"previous config churn-model-config-v1, running {V1}, not the pinned {V2}; the live record was not updated"
    )
    reason = "Alarm modelops-churn-model-5xx-errors fired"
    assert sagemaker_rollback("churn-model", "prod", live("InService", V1, reason), V2, V1) == (
        f"read-back: SageMaker rolled the update of endpoint churn-model in prod back ({reason}): it is InService "
        f"on the previous config churn-model-config-v1, running {V1}, not the pinned {V2}; the live record was not "
        "updated"
    )


@pytest.mark.parametrize(
    ("endpoint", "previous"),
    [
        (live("InService", V2), V1),  # the pinned version serves: no rollback
        (live("Updating", V1), V1),  # not settled
        (live("InService", V1), None),  # nothing was live before: a mismatch, not a rollback
        (live("InService", "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/5"), V1),
    ],
    ids=["pinned-serves", "updating", "nothing-live-before", "another-version"],
)
def test_anything_else_is_not_called_a_sagemaker_rollback(endpoint: LiveEndpoint, previous: str | None) -> None:
    assert sagemaker_rollback("churn-model", "prod", endpoint, V2, previous) is None


def test_an_endpoint_is_as_before_only_on_the_version_live_before_or_absent_when_nothing_was() -> None:
    assert endpoint_state("churn-model", live("InService", V1), V1) == (
        True,
        f"endpoint churn-model is InService on config churn-model-config-v1, running {V1}, the version live before",
    )
    assert endpoint_state("churn-model", None, None) == (
        True,
        "endpoint churn-model does not exist, as before the deploy",
    )
    assert endpoint_state("churn-model", live("Failed", V2), V1) == (
        False,
        f"endpoint churn-model is Failed on config churn-model-config-v1, running {V2}, while {V1} was live before",
    )
