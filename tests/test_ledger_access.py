"""Who can write the audit ledger and the live records, over every role chain (the project's IAM evaluator on
the two_env organisation's deployed policies, as tests/test_governance_invariants.py uses it).

The ledger is append-only because every writer holds only dynamodb:PartiQLInsert (an INSERT of an existing
key fails with DuplicateItemException: ql-reference.insert.html) scoped to its own streams by
dynamodb:LeadingKeys; environment X's roles cannot write environment Y's live record or deploy records."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from accounts.config import OrgConfig
from policies.iam.cloudformation.deployment import Deployment
from policies.iam.cloudformation.reader import load_deployment
from policies.proof.invariants import Governance
from policies.proof.universe import build_universe
from tests.conftest import Synth
from tests.untraced import untraced

SHARED = "111111111111"
LEDGER = f"arn:aws:dynamodb:eu-west-1:{SHARED}:table/modelops-ledger"
# Every model's records: the roles name `/modelops/models/*/live/<env>`, swept on the proof's sample model.
MODELS = f"arn:aws:ssm:eu-west-1:{SHARED}:parameter/modelops/models/"
# Every way to change or remove an item, besides the INSERT writers hold.
REWRITES = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:DeleteTable",
    "dynamodb:UpdateTable",
)
LEADING_KEYS = "dynamodb:leadingkeys"
APPROVER = "person ModelOpsApprover (qa.approver@example.com)"
PLATFORM = "person ModelOpsPlatform (platform.engineer@example.com)"
SCIENTIST = "person DataScientist (data.scientist@example.com)"
QA_PIPELINE = (
    "GitHub Actions repo:example-org/modelops:environment:qa:"
    "job_workflow_ref:example-org/modelops/.github/workflows/deploy.yml@refs/heads/main"
)


@pytest.fixture(scope="module")
def deployment(synth: Synth) -> Deployment:
    return load_deployment(synth.outdir)


def writes(governance: Governance, starts: tuple[str, ...]) -> dict[str, list[str]]:
    """For each path from `starts` to a role of ours: every ledger rewrite it is allowed, each stream it may
    insert into, and each live record it may write."""
    found: dict[str, list[str]] = {}
    for start in governance.chains.starts():
        if start.label not in starts:
            continue
        for path in governance.chains.reachable(start):
            if not path.hops or path.identity.who.modelled == "administrator":
                continue  # the start itself holds nothing here; the CDK roles are the reviewed deploy path
            identity = path.identity
            allowed = [a for a in REWRITES if governance.allowed(identity, a, lambda arn: arn == LEDGER)]
            inserts = governance.allowed(identity, "dynamodb:PartiQLInsert", lambda arn: arn == LEDGER)
            allowed += sorted({f"PartiQLInsert {dict(labels).get(LEADING_KEYS)}" for _, labels, _ in inserts})
            live = governance.allowed(
                identity, "ssm:PutParameter", lambda arn: arn.startswith(MODELS) and "/live/" in arn
            )
            allowed += sorted({f"PutParameter {target.resource.arn.removeprefix(MODELS)}" for target, _, _ in live})
            key = re.sub(r" \((source identity|by the trust)[^)]*\)", "", str(path))  # one key per role chain
            found[key] = sorted(set(allowed) | set(found.get(key, [])))
    return found


def governance_of(config: OrgConfig, deployment: Deployment) -> Governance:
    with untraced():
        return Governance(build_universe(config, deployment))


@pytest.mark.slow
def test_each_person_and_the_qa_pipeline_write_only_their_own_stream_and_environment(
    config: OrgConfig, deployment: Deployment
) -> None:
    with untraced():
        found = writes(governance_of(config, deployment), (APPROVER, PLATFORM, SCIENTIST, QA_PIPELINE))
    qa = f"{QA_PIPELINE} → sts:AssumeRoleWithWebIdentity modelops-github-deploy-qa → sts:AssumeRole"
    assert {path: allowed for path, allowed in found.items() if allowed} == {
        f"{PLATFORM} → sts:AssumeRole modelops-promoter": ["PartiQLInsert sample/promotions"],
        # Releases of holds: only a platform engineer, through the releaser (the pipeline never reaches it).
        f"{PLATFORM} → sts:AssumeRole modelops-releaser": ["PartiQLInsert sample/releases"],
        f"{qa} modelops-promoter": ["PartiQLInsert sample/promotions"],
        f"{qa} modelops-recorder-qa": ["PartiQLInsert sample/deploys/qa", "PutParameter sample/live/qa"],
    }


@pytest.mark.slow
def test_a_promoter_given_put_item_and_every_stream_is_caught_inserting_and_still_refused_put_item(
    config: OrgConfig, deployment: Deployment
) -> None:
    """The old attack: the promoter forges a "deployed in qa" record. Widened to every stream it may insert
    into them (caught here); PutItem over an existing record the table's own policy still refuses."""
    copied = copy.deepcopy(deployment)
    [promoter] = [d for d in copied.documents() if d.name == f"modelops-promoter@{SHARED}/modelops-promoter"]
    statement: dict[str, Any] = next(s for s in promoter.document["Statement"] if s.get("Sid") == "AppendPromotions")
    statement["Action"] = ["dynamodb:PartiQLInsert", "dynamodb:PutItem", "dynamodb:Query"]
    statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] = ["*/*"]
    with untraced():
        found = writes(governance_of(config, copied), (PLATFORM,))
    assert found[f"{PLATFORM} → sts:AssumeRole modelops-promoter"] == [
        "PartiQLInsert sample/decisions",
        "PartiQLInsert sample/deploys/prod",
        "PartiQLInsert sample/deploys/qa",
        "PartiQLInsert sample/deploys/sample",
        "PartiQLInsert sample/promotions",  # its own stream, a sample of its own since the dispatch reads holds
        "PartiQLInsert sample/registrations",
        "PartiQLInsert sample/releases",
        "PartiQLInsert sample/sample",
    ]


@pytest.mark.slow
def test_a_recorder_without_its_null_test_would_insert_with_no_leading_keys(
    config: OrgConfig, deployment: Deployment
) -> None:
    """ForAllValues over an absent key holds: without `Null: false` a request AWS gave no leading keys passes."""
    copied = copy.deepcopy(deployment)
    name = f"modelops-recorder-qa@{SHARED}/modelops-recorder-qa"
    [recorder] = [d for d in copied.documents() if d.name == name]
    next(s for s in recorder.document["Statement"] if s.get("Sid") == "AppendDeployRecords")["Condition"].pop("Null")
    with untraced():
        found = writes(governance_of(config, copied), (QA_PIPELINE,))
    assert found[
        f"{QA_PIPELINE} → sts:AssumeRoleWithWebIdentity modelops-github-deploy-qa → sts:AssumeRole modelops-recorder-qa"
    ] == [
        "PartiQLInsert absent",
        "PartiQLInsert sample/deploys/qa",
        "PutParameter sample/live/qa",
    ]
