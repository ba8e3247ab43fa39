"""The decision service's own event: an environment's approvers approved a version.

When a decision completes an environment's quorum, the decision service puts one "ModelOps Environment
Approved" event on the shared-services default bus; the approval workflow's rule hands it to the dispatch
function, which asks GitHub for the promotion PR. This replaces SageMaker's "Model Package State Change"
for promotions: SageMaker emits that event when ModelApprovalStatus changes, which happens only at the
first environment's approval; whether a metadata-only update (a later environment's approval) emits one is
undocumented. Consumers re-read the version rather than trust the event.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from accounts import naming

if TYPE_CHECKING:
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef

DECISION_EVENT_SOURCE = "modelops.decisions"
ENVIRONMENT_APPROVED = "ModelOps Environment Approved"


def environment_approved_entry(*, arn: str, env: str, bus_arn: str) -> PutEventsRequestEntryTypeDef:
    """The PutEvents entry saying that version `arn` is approved for `env`."""
    ref = naming.parse_model_package_arn(arn)
    detail = {"model": ref.group, "version": ref.version, "arn": arn, "env": env}
    return {
        "Source": DECISION_EVENT_SOURCE,
        "DetailType": ENVIRONMENT_APPROVED,
        "Detail": json.dumps(detail, sort_keys=True),
        "EventBusName": bus_arn,
    }
