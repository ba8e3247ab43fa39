"""How long `modelops deploy` waits for one stack: derived from the rollout settings of its endpoints.

A blue/green endpoint update provisions the green fleet, shifts traffic in steps with a baking wait after
each, then waits TerminationWaitInSeconds before the blue fleet goes; MaximumExecutionTimeoutInSeconds is the
"Maximum execution timeout for the deployment", which "should be larger than the total waiting time"
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html). When the update
fails, CloudFormation rolls the stack back, which updates the endpoint to its previous config: a second
deployment under the same settings. The stack's endpoints update in parallel, so the slowest one counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from workloads.manifest import PROVISIONING_ALLOWANCE_SECONDS

# The stack's other resources (models, endpoint configs, alarms, roles, keys) and CloudFormation's own steps.
STACK_ALLOWANCE_SECONDS = 10 * 60
ENDPOINT_TYPE = "AWS::SageMaker::Endpoint"


def _traffic_steps(routing: Mapping[str, Any]) -> int:
    kind = str(routing.get("Type", "ALL_AT_ONCE"))
    if kind == "CANARY":
        return 2  # the canary, then the rest
    if kind == "LINEAR":
        step = routing.get("LinearStepSize", {})
        value = step.get("Value")
        if step.get("Type") == "CAPACITY_PERCENT" and isinstance(value, int) and value > 0:
            return math.ceil(100 / value)
        return 10  # a step in instances: at most ten steps of 10%, SageMaker's smallest linear step
    return 1


def endpoint_deployment_seconds(properties: Mapping[str, Any]) -> int:
    """The longest one update of an endpoint with these CloudFormation properties can run.

    Provisioning plus every baking wait plus the termination wait, or SageMaker's execution timeout when
    that is longer. Without a blue/green policy, provisioning alone.
    """
    policy = properties.get("DeploymentConfig", {}).get("BlueGreenUpdatePolicy")
    if not isinstance(policy, dict):
        return PROVISIONING_ALLOWANCE_SECONDS
    routing = policy.get("TrafficRoutingConfiguration", {})
    baking = _traffic_steps(routing) * int(routing.get("WaitIntervalInSeconds", 0))
    rollout = PROVISIONING_ALLOWANCE_SECONDS + baking + int(policy.get("TerminationWaitInSeconds", 0))
    return max(rollout, int(policy.get("MaximumExecutionTimeoutInSeconds", 0)))


def stack_wait_seconds(template: Mapping[str, Any]) -> int:
    """How long to wait for CloudFormation to deploy `template`: the slowest endpoint's update, twice (the
    update, then CloudFormation's rollback of it), plus the rest of the stack."""
    endpoints = [
        resource.get("Properties", {})
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") == ENDPOINT_TYPE
    ]
    slowest = max((endpoint_deployment_seconds(properties) for properties in endpoints), default=0)
    return max(2 * slowest, PROVISIONING_ALLOWANCE_SECONDS) + STACK_ALLOWANCE_SECONDS
