"""The IAM Identity Center permission sets people sign in with, and the one inline policy each carries.

No template of ours creates them: the organisation's Identity Center administrators do, and
Identity Center provisions each as the role `aws-reserved/sso.amazonaws.com/AWSReservedSSO_<set>_<suffix>`
in its account. What a person can do starts there, so the security team reviews these documents like
every deployed policy: `make generate` renders them to `policies/rendered/permission-sets/<set>.json`,
and the least-privilege and governance proofs (policies/proof) model each person as a session of that
role holding exactly this document, no AWS managed policy and no other inline policy. ACCESS.md states
that assumption; account administrators (break-glass) stand outside it.

- `ModelOpsApprover` (shared services): decide through the decision service's IAM route
  (`POST /decisions`), find that route's URL, and read through the verifier. Never a raw write.
- `ModelOpsPlatform` (shared services): promote through the promoter, release holds through the releaser,
  read through the verifier.
- `DataScientist` (data science): register through `modelops-data-science`, naming themselves as the
  session's source identity (that role's trust requires it); submit their versions' model cards through the
  decision service's IAM route (`POST /decisions`; the service admits nothing else from them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from accounts import naming
from accounts.config import OrgConfig

RENDERED_SUBDIR = "permission-sets"
GENERATED_NOTE = "by `make generate` from accounts/accounts.yaml (policies/permission_sets.py); do not edit"
ASSUME_ACTIONS = ["sts:AssumeRole", "sts:SetSourceIdentity"]
DECISIONS_ROUTE = "*/*/POST/decisions"  # any API id and stage: the approval API's IAM-authenticated route


@dataclass(frozen=True)
class PermissionSet:
    """One permission set: where Identity Center provisions it, why people hold it, and its inline policy."""

    name: str
    account: str
    purpose: str
    document: dict[str, Any]

    @property
    def rendered_path(self) -> str:
        """Its file under policies/rendered/."""
        return f"{RENDERED_SUBDIR}/{self.name}.json"

    def to_json(self) -> str:
        """The reviewed file: a generated note, where it is provisioned, and the document."""
        content = {
            "_generated": GENERATED_NOTE,
            "permission_set": self.name,
            "account": self.account,
            "purpose": self.purpose,
            "document": self.document,
        }
        return json.dumps(content, indent=2, sort_keys=True) + "\n"


def _statement(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def permission_sets(config: OrgConfig) -> list[PermissionSet]:
    """Every permission set the organisation's people use, with the document the proof assumes."""
    shared = config.accounts.shared_services
    verifier = naming.verifier_role_arn(config)
    return [
        PermissionSet(
            naming.APPROVER_PERMISSION_SET,
            shared,
            "approvers: decide through the decision service, read through the verifier",
            _document(
                _statement(
                    "DecideThroughTheDecisionService",
                    ["execute-api:Invoke"],
                    [f"arn:aws:execute-api:{config.region}:{shared}:{DECISIONS_ROUTE}"],
                ),
                _statement(
                    "FindTheDecisionService",
                    ["ssm:GetParameter"],
                    [naming.shared_parameter_arn(config, naming.APPROVAL_API_URL_PARAMETER)],
                ),
                _statement("ReadThroughTheVerifier", ASSUME_ACTIONS, [verifier]),
            ),
        ),
        PermissionSet(
            naming.PLATFORM_PERMISSION_SET,
            shared,
            "platform engineers: promote through the promoter, release holds, read through the verifier",
            _document(
                _statement(
                    "PromoteReleaseAndRead",
                    ASSUME_ACTIONS,
                    [naming.promoter_role_arn(config), naming.releaser_role_arn(config), verifier],
                ),
            ),
        ),
        PermissionSet(
            naming.DATA_SCIENTIST_PERMISSION_SET,
            config.accounts.data_science,
            "data scientists: register through modelops-data-science, as themselves; submit model cards",
            _document(
                _statement("RegisterAsThemselves", ASSUME_ACTIONS, [naming.data_science_role_arn(config)]),
                _statement(
                    "SubmitCardsThroughTheDecisionService",
                    ["execute-api:Invoke"],
                    [f"arn:aws:execute-api:{config.region}:{shared}:{DECISIONS_ROUTE}"],
                ),
            ),
        ),
    ]


def rendered_permission_sets(config: OrgConfig) -> dict[str, str]:
    """The reviewed files, by their path under policies/rendered/."""
    return {permission_set.rendered_path: permission_set.to_json() for permission_set in permission_sets(config)}
