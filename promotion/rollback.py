"""Whether an endpoint is back on what was live before a deploy, in the words the deploy and the read-back use.

"Rolled back" is said only when the endpoint is InService running the version its workload account's live
record names (the version live before the deploy), or, when nothing was live, when no endpoint exists.
SageMaker rolls a blue/green update back by itself when an auto-rollback alarm fires: the endpoint returns to
InService on its previous config, possibly with no FailureReason
(https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from accounts import naming
from promotion.endpoints import LiveEndpoint


def previous_live_arn(ssm: Any, model: str) -> str | None:
    """The ARN the workload account's live record names for `model` (what was live before), or None."""
    try:
        return str(ssm.get_parameter(Name=naming.live_arn_parameter(model))["Parameter"]["Value"])
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code", "")) == "ParameterNotFound":
            return None
        raise


def _running(live: LiveEndpoint) -> str:
    return ", ".join(live.packages) or "no model package"


def endpoint_state(endpoint: str, live: LiveEndpoint | None, previous: str | None) -> tuple[bool, str]:
    """Whether `endpoint` is as it was before the deploy (`previous` live, or nothing), and a clause saying so."""
    if live is None:
        if previous is None:
            return True, f"endpoint {endpoint} does not exist, as before the deploy"
        return False, f"endpoint {endpoint} does not exist, while {previous} was live before"
    if live.status == "InService" and previous is not None and live.package == previous:
        return True, (
            f"endpoint {endpoint} is InService on config {live.config_name}, running {previous}, the version "
            "live before"
        )
    before = previous or "nothing"
    return False, (
        f"endpoint {endpoint} is {live.status} on config {live.config_name}, running {_running(live)}, while "
        f"{before} was live before"
    )


def sagemaker_rollback(endpoint: str, env: str, live: LiveEndpoint, pinned: str, previous: str | None) -> str | None:
    """The read-back's report when SageMaker rolled the update back itself: the endpoint is InService on its
    previous config, running the version live before instead of the pinned one. None otherwise."""
    if live.status != "InService" or previous is None or previous == pinned or live.package != previous:
        return None
    reason = f" ({live.failure_reason})" if live.failure_reason else ""
    return (
        f"read-back: SageMaker rolled the update of endpoint {endpoint} in {env} back{reason}: it is InService on "
        f"the previous config {live.config_name}, running {previous}, not the pinned {pinned}; the live record "
        "was not updated"
    )
