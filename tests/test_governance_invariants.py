"""Governance as invariants over role chains (policies/proof/chains.py, policies/proof/invariants.py), on the
two_env test organisation: they hold for its deployed policies, and each attack of issue 9 put back makes
them fail, naming the path from the person (or service) to the request."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from accounts import naming
from accounts.config import OrgConfig
from policies.access_matrix import render_markdown
from policies.iam.cloudformation.deployment import Deployment
from policies.iam.cloudformation.reader import load_deployment
from policies.proof.actions import SERVICES, all_actions, uncovered_services
from policies.proof.invariants import INVARIANTS, Governance, Verdict, decision_keys
from policies.proof.universe import build_universe
from promotion import metadata
from tests.conftest import Synth
from tests.untraced import untraced

SHARED = "111111111111"
DATA_SCIENCE = "222222222222"
PACKAGE = f"arn:aws:sagemaker:eu-west-1:{SHARED}:model-package/churn-model/1"
GROUP = f"arn:aws:sagemaker:eu-west-1:{SHARED}:model-package-group/churn-model"
APPROVER = "person ModelOpsApprover (qa.approver@example.com)"
PLATFORM = "person ModelOpsPlatform (platform.engineer@example.com)"
SCIENTIST = "person DataScientist (data.scientist@example.com)"
DECISION_SERVICE = "service lambda.amazonaws.com → sts:AssumeRole modelops-approval-review"

Change = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def deployment(synth: Synth) -> Deployment:
    return load_deployment(synth.outdir)


@pytest.fixture(scope="module")
def governance(config: OrgConfig, deployment: Deployment) -> Governance:
    with untraced():  # the sweep's hot loops, as in tests/test_least_privilege_proof.py
        return Governance(build_universe(config, deployment))


@pytest.fixture(scope="module")
def verdicts(governance: Governance) -> dict[str, Verdict]:
    with untraced():
        return {verdict.name: verdict for verdict in governance.check()}


def attacked(config: OrgConfig, deployment: Deployment, changes: dict[str, Change]) -> dict[str, Verdict]:
    """The verdicts once each named deployed document is changed as given (the attack put back)."""
    copied = copy.deepcopy(deployment)
    documents = {document.name: document for document in copied.documents()}
    for name, change in changes.items():
        change(documents[name].document)
    with untraced():
        return {verdict.name: verdict for verdict in Governance(build_universe(config, copied)).check()}


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in document["Statement"] if s.get("Sid") == sid)
    return found


def failing(verdicts: dict[str, Verdict]) -> list[str]:
    return [name for name, verdict in verdicts.items() if not verdict.holds]


# --- the deployed policies ---


def test_every_invariant_holds_over_every_path_of_the_deployed_policies(verdicts: dict[str, Verdict]) -> None:
    summary = {name: (v.violations, v.paths_checked, len(v.trusted)) for name, v in verdicts.items()}
    print("\n" + "\n".join(f"{name}: {v.paths_checked} paths, {v.requests} requests" for name, v in verdicts.items()))
    assert summary == {
        # 63 paths before issue 10; the recorder roles add 4 (each deploy subject's, with and without a source
        # identity), the near-miss GitHub subjects 5 (each only itself, see below); issue 11 adds API Gateway's
        # path into the account's CloudWatch Logs role (shared_services/api_gateway_logging.py). Issue 14 adds
        # 20: the platform engineer's path to the releaser, the soak reader in qa reached from each path into
        # the promoter or the verifier (people 6, GitHub subjects 8), SageMaker Pipelines' path into the
        # training pipeline role (1), and the batch roles (each deploy subject's, with and without a source
        # identity: 4).
        "only-decision-service-decides": ([], 93, 51),
        "no-person-writes-decisions": ([], 20, 0),
        # The same paths as only-decision-service-decides (the deploy path trusted likewise).
        "only-card-reviewers-approve-cards": ([], 93, 51),
        "registrant-is-the-person": ([], 20, 0),
        "outsiders-get-nothing": ([], 6, 0),
        # Every path of every start (administrators judged too: the bucket policy's Denies bind them); the
        # paths reaching an administrator are trusted only to change the bucket's rules.
        "approved-content-is-immutable": ([], 144, 51),
        # Every path, administrators judged too (the table's policy binds them; they are trusted only with
        # the table's configuration).
        "ledger-is-append-only": ([], 144, 51),
        # Every path but those reaching an administrator (the deploy path, trusted).
        "environments-write-only-their-own-records": ([], 93, 51),
        # Every path but those reaching an administrator (the deploy path, trusted).
        "only-platform-engineers-release-holds": ([], 93, 51),
        # Every path but those reaching an administrator (the deploy path, trusted).
        "only-the-deploy-path-shapes-the-registry": ([], 93, 51),
        # Every path of every GitHub subject the sweep presents: the three deploy targets' subjects with the
        # bootstrap, operator and shared-services roles they reach (46), the promotion workflow's (4), a pull
        # request's (4), and eight near misses, each reaching only itself (8); issue 14: the soak reader in qa,
        # from the promoter and verifier paths of the pinned subjects (8), and the batch roles (4).
        "only-the-reviewed-workflow-drives-the-pipeline": ([], 74, 0),
    }


def test_each_person_reaches_exactly_the_roles_their_permission_set_names(governance: Governance) -> None:
    reached = {
        start.label: [str(path) for path in governance.chains.reachable(start)]
        for start in governance.chains.starts()
        if start.kind == "person"
    }
    assert reached == {
        APPROVER: [
            APPROVER,
            f"{APPROVER} → sts:AssumeRole modelops-verifier",
            f"{APPROVER} → sts:AssumeRole modelops-verifier (source identity qa.approver@example.com)",
            f"{APPROVER} → sts:AssumeRole modelops-verifier (source identity someone.else@example.com)",
            f"{APPROVER} → sts:AssumeRole modelops-verifier → sts:AssumeRole modelops-soak-reader",
            f"{APPROVER} → sts:AssumeRole modelops-verifier → sts:AssumeRole modelops-soak-reader (source identity "
            "someone.else@example.com; by the trust policy alone)",
            f"{APPROVER} → sts:AssumeRole modelops-verifier (source identity qa.approver@example.com) → "
            "sts:AssumeRole modelops-soak-reader",
        ],
        PLATFORM: [
            PLATFORM,
            f"{PLATFORM} → sts:AssumeRole modelops-promoter",
            f"{PLATFORM} → sts:AssumeRole modelops-promoter (source identity platform.engineer@example.com)",
            f"{PLATFORM} → sts:AssumeRole modelops-promoter (source identity someone.else@example.com)",
            f"{PLATFORM} → sts:AssumeRole modelops-releaser (source identity platform.engineer@example.com)",
            f"{PLATFORM} → sts:AssumeRole modelops-verifier",
            f"{PLATFORM} → sts:AssumeRole modelops-verifier (source identity platform.engineer@example.com)",
            f"{PLATFORM} → sts:AssumeRole modelops-verifier (source identity someone.else@example.com)",
            f"{PLATFORM} → sts:AssumeRole modelops-promoter → sts:AssumeRole modelops-soak-reader",
            f"{PLATFORM} → sts:AssumeRole modelops-promoter → sts:AssumeRole modelops-soak-reader (source identity "
            "someone.else@example.com; by the trust policy alone)",
            f"{PLATFORM} → sts:AssumeRole modelops-promoter (source identity platform.engineer@example.com) → "
            "sts:AssumeRole modelops-soak-reader",
        ],
        SCIENTIST: [
            SCIENTIST,
            f"{SCIENTIST} → sts:AssumeRole modelops-data-science (source identity data.scientist@example.com)",
        ],
    }


def test_only_the_decision_service_reaches_a_decision_role_and_always_with_a_source_identity(
    governance: Governance,
) -> None:
    reaching = sorted(
        str(path) for path in governance.paths() if path.identity.role_name.startswith("modelops-decision")
    )
    assert reaching == [
        f"{DECISION_SERVICE} → sts:AssumeRole modelops-decision-prod (source identity someone.else@example.com)",
        f"{DECISION_SERVICE} → sts:AssumeRole modelops-decision-qa (source identity someone.else@example.com)",
    ]


WORKFLOWS = "job_workflow_ref:example-org/modelops/.github/workflows"
DEPLOY_YML = f"{WORKFLOWS}/deploy.yml"
ZZ_FORK_DEPLOY = "job_workflow_ref:zz-other/modelops/.github/workflows/deploy.yml@refs/heads/main"
ZZ_REPO_DEPLOY = "job_workflow_ref:example-org/zz-other/.github/workflows/deploy.yml@refs/heads/main"


def test_outsiders_lookalikes_and_unpinned_github_subjects_reach_nothing(governance: Governance) -> None:
    alone = [
        start.label
        for start in governance.chains.starts()
        if [str(path) for path in governance.chains.reachable(start)] == [start.label]
    ]
    assert alone == [
        "person ModelOpsApprover_Extra (someone.else@example.com)",
        "person ModelOpsPlatform_Extra (someone.else@example.com)",
        "person DataScientist_Extra (someone.else@example.com)",
        f"GitHub Actions repo:zz-other/modelops:environment:prod:{ZZ_FORK_DEPLOY}",
        f"GitHub Actions repo:example-org/zz-other:environment:prod:{ZZ_REPO_DEPLOY}",
        f"GitHub Actions repo:example-org/modelops:ref:refs/heads/main:{DEPLOY_YML}@refs/heads/main",
        f"GitHub Actions repo:example-org/modelops:environment:prod:{WORKFLOWS}/zz-other.yml@refs/heads/main",
        f"GitHub Actions repo:example-org/modelops:environment:prod:{DEPLOY_YML}@refs/heads/zz-other",
        f"GitHub Actions repo:example-org/modelops:environment:prod:{DEPLOY_YML}@refs/pull/1/merge",
        "GitHub Actions repo:example-org/modelops:environment:prod",
        f"GitHub Actions repo:example-org/modelops:environment:promotion:{WORKFLOWS}/zz-other.yml@refs/heads/main",
        "outsider",
        "org-member",
        "anonymous",
        "service events.amazonaws.com",
        "service logging.s3.amazonaws.com",
        "service logs.eu-west-1.amazonaws.com",
    ]


def test_the_deploy_path_is_listed_as_trusted_not_judged(verdicts: dict[str, Verdict]) -> None:
    trusted = verdicts["only-decision-service-decides"].trusted
    roles = sorted({path.rsplit(" → ", 1)[-1].split(" ")[1] for path in trusted})
    kinds = ("cfn-exec", "deploy", "file-publishing", "image-publishing", "lookup")
    accounts = (SHARED, "444444444444", "555555555555")
    assert roles == sorted(f"cdk-hnb659fds-{kind}-role-{account}-eu-west-1" for kind in kinds for account in accounts)


def test_the_invariants_spell_the_approval_keys_as_promotion_writes_them(config: OrgConfig) -> None:
    assert {env: decision_keys(config, env) for env in config.chain} == {
        env: metadata.decision_keys(config, env) for env in config.chain
    }


def test_access_md_states_every_invariant_and_what_the_proofs_assume() -> None:
    lines = render_markdown({"principals": {}}).splitlines()
    invariants = lines[lines.index("## Invariants") :]
    assert (
        [line.split("**")[1] for line in invariants if line.startswith("- **")],
        [line for line in invariants if line.startswith("- ") and not line.startswith("- **")][:2],
    ) == (
        [invariant.name for invariant in INVARIANTS],
        [
            "- People sign in through IAM Identity Center with the permission sets `ModelOpsApprover`, "
            "`ModelOpsPlatform`, `DataScientist`, and each carries exactly",
            "- Account administrators (break-glass) are trusted and out of scope, and so are the identities modelled",
        ],
    )


# --- the attacks of issue 9, put back ---


def test_a_decision_role_that_trusts_the_approver_permission_set_fails_naming_the_approver(
    config: OrgConfig, deployment: Deployment
) -> None:
    def trust_approvers(document: dict[str, Any]) -> None:
        document["Statement"].append(
            {
                "Sid": "ApproversPermissionSet",
                "Effect": "Allow",
                "Principal": {"AWS": naming.account_root_arn(SHARED)},
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                "Condition": {
                    "ArnLike": {"aws:PrincipalArn": naming.sso_role_arn_patterns(SHARED, "ModelOpsApprover")}
                },
            }
        )

    verdicts = attacked(config, deployment, {f"modelops-decision-qa@{SHARED} trust": trust_approvers})
    assert (failing(verdicts), verdicts["no-person-writes-decisions"].violations[0]) == (
        ["only-decision-service-decides", "no-person-writes-decisions", "only-card-reviewers-approve-cards"],
        # qa approves model cards in two_env: the first request the approver could make is a card submission,
        # which carries nothing IAM can see (the ModelCard has no condition key).
        f"{APPROVER} → sts:AssumeRole modelops-decision-qa (by the trust policy alone) → sagemaker:UpdateModelPackage "
        f"{PACKAGE}",
    )


def test_the_old_approver_pattern_lets_a_lookalike_permission_set_in_and_fails_naming_it(
    config: OrgConfig, deployment: Deployment
) -> None:
    def old_pattern(document: dict[str, Any]) -> None:
        condition = statement(document, "ApproversPermissionSet")["Condition"]
        condition["ArnLike"]["aws:PrincipalArn"] = (
            f"arn:aws:iam::{SHARED}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_ModelOpsApprover_*"
        )

    verdicts = attacked(config, deployment, {f"modelops-verifier@{SHARED} trust": old_pattern})
    assert (failing(verdicts), verdicts["outsiders-get-nothing"].violations) == (
        ["outsiders-get-nothing"],
        [
            "person ModelOpsApprover_Extra (someone.else@example.com) → sts:AssumeRole modelops-verifier "
            "(by the trust policy alone)",
            "person ModelOpsApprover_Extra (someone.else@example.com) → sts:AssumeRole modelops-verifier "
            "(source identity someone.else@example.com; by the trust policy alone)",
            "person ModelOpsApprover_Extra (someone.else@example.com) → sts:AssumeRole modelops-verifier "
            "(by the trust policy alone) → sts:AssumeRole modelops-soak-reader",
            "person ModelOpsApprover_Extra (someone.else@example.com) → sts:AssumeRole modelops-verifier "
            "(by the trust policy alone) → sts:AssumeRole modelops-soak-reader (source identity "
            "someone.else@example.com; by the trust policy alone)",
        ],
    )


def test_an_api_policy_opening_the_iam_route_to_everyone_fails_naming_the_anonymous_caller(
    config: OrgConfig, deployment: Deployment
) -> None:
    """Only methods without authorization are public by design: the public statement naming POST /decisions
    (AWS_IAM) too lets lookalike permission sets, the outsider and the anonymous caller invoke it."""

    def open_decisions(document: dict[str, Any]) -> None:
        statement(document, "ReviewPagesArePublic")["Resource"].append(
            f"arn:aws:execute-api:eu-west-1:{SHARED}:approval-workflow-api/v1/POST/decisions"
        )

    verdicts = attacked(config, deployment, {f"approval-workflow-api@{SHARED} API policy": open_decisions})
    decisions = "arn:aws:execute-api:<region>:<shared-services>:approval-workflow-api/v1/POST/decisions"
    assert (failing(verdicts), verdicts["outsiders-get-nothing"].violations) == (
        ["outsiders-get-nothing"],
        [
            f"person ModelOpsApprover_Extra (someone.else@example.com) → execute-api:Invoke {decisions}",
            f"person ModelOpsPlatform_Extra (someone.else@example.com) → execute-api:Invoke {decisions}",
            f"outsider → execute-api:Invoke {decisions}",
            f"org-member → execute-api:Invoke {decisions}",
            f"anonymous → execute-api:Invoke {decisions}",
        ],
    )


def test_a_qa_decision_role_without_its_null_block_may_write_prods_keys_and_fails_naming_the_key(
    config: OrgConfig, deployment: Deployment
) -> None:
    def drop_null(document: dict[str, Any]) -> None:
        statement(document, "RecordDecisionsForQa")["Condition"].pop("Null")

    verdicts = attacked(config, deployment, {f"modelops-decision-qa@{SHARED}/modelops-decision-qa": drop_null})
    path = f"{DECISION_SERVICE} → sts:AssumeRole modelops-decision-qa (source identity someone.else@example.com)"
    assert (failing(verdicts), verdicts["only-decision-service-decides"].violations[:2]) == (
        ["only-decision-service-decides"],
        [
            f"{path} → sagemaker:UpdateModelPackage {PACKAGE} with "
            "sagemaker:customermetadataproperties/approval:prod:1=Approved",
            f"{path} → sagemaker:UpdateModelPackage {PACKAGE} with "
            "sagemaker:customermetadataproperties/approval:prod:2=Approved",
        ],
    )


def test_registration_without_its_null_block_lets_data_science_forge_a_qa_decision(
    config: OrgConfig, deployment: Deployment
) -> None:
    def drop_null(sid: str) -> Change:
        return lambda document: statement(document, sid)["Condition"].pop("Null")

    verdicts = attacked(
        config,
        deployment,
        {
            f"modelops-data-science@{DATA_SCIENCE}/modelops-data-science": drop_null("RegisterPendingVersions"),
            f"churn-model@{SHARED} group policy": drop_null("DataScienceRegistersPendingVersions"),
        },
    )
    assert (failing(verdicts), verdicts["no-person-writes-decisions"].violations[0]) == (
        ["no-person-writes-decisions", "only-card-reviewers-approve-cards"],
        f"{SCIENTIST} → sts:AssumeRole modelops-data-science (source identity data.scientist@example.com) → "
        f"sagemaker:CreateModelPackage {GROUP} with sagemaker:customermetadataproperties/approval:qa:decision=Approved",
    )
    assert verdicts["only-card-reviewers-approve-cards"].violations[0] == (
        f"{SCIENTIST} → sts:AssumeRole modelops-data-science (source identity data.scientist@example.com) → "
        f"sagemaker:CreateModelPackage {GROUP} with sagemaker:customermetadataproperties/card:approval=Approved"
    )


def test_a_data_science_trust_without_the_source_identity_condition_lets_a_person_register_as_anyone(
    config: OrgConfig, deployment: Deployment
) -> None:
    def drop_source_identity(document: dict[str, Any]) -> None:
        statement(document, "DataScientistsPermissionSet")["Condition"].pop("StringEquals")

    verdicts = attacked(config, deployment, {f"modelops-data-science@{DATA_SCIENCE} trust": drop_source_identity})
    assert (failing(verdicts), verdicts["registrant-is-the-person"].violations) == (
        ["registrant-is-the-person"],
        [
            f"{SCIENTIST} → sts:AssumeRole modelops-data-science: "
            "source identity absent, not data.scientist@example.com",
            f"{SCIENTIST} → sts:AssumeRole modelops-data-science (source identity someone.else@example.com): "
            "source identity someone.else@example.com, not data.scientist@example.com",
        ],
    )


def test_a_grant_of_identity_center_or_organizations_is_swept_and_fails_naming_the_person_who_reaches_it(
    config: OrgConfig, deployment: Deployment
) -> None:
    def escalate(document: dict[str, Any]) -> None:
        document["Statement"].append(
            {"Sid": "Escalate", "Effect": "Allow", "Action": ["sso:*", "organizations:*"], "Resource": "*"}
        )

    verdicts = attacked(config, deployment, {f"modelops-promoter@{SHARED}/modelops-promoter": escalate})
    violations = verdicts["no-person-writes-decisions"].violations
    assert (
        failing(verdicts),
        f"{PLATFORM} → sts:AssumeRole modelops-promoter → sso:CreateAccountAssignment *" in violations,
        f"{PLATFORM} → sts:AssumeRole modelops-promoter → organizations:CreateAccount *" in violations,
    ) == (["no-person-writes-decisions"], True, True)


def test_a_review_function_that_may_create_model_package_groups_fails_naming_the_group_it_would_add(
    config: OrgConfig, deployment: Deployment
) -> None:
    """The roles name `model-package-group/*`: that is the configured models only while nobody but the deploy
    path adds a group."""

    def create_groups(document: dict[str, Any]) -> None:
        document["Statement"].append(
            {
                "Sid": "CreateGroups",
                "Effect": "Allow",
                "Action": "sagemaker:CreateModelPackageGroup",
                "Resource": f"arn:aws:sagemaker:eu-west-1:{SHARED}:model-package-group/*",
            }
        )

    verdicts = attacked(
        config, deployment, {f"modelops-approval-review@{SHARED}/modelops-approval-review": create_groups}
    )
    assert (failing(verdicts), verdicts["only-the-deploy-path-shapes-the-registry"].violations) == (
        ["only-the-deploy-path-shapes-the-registry"],
        [f"{DECISION_SERVICE} → sagemaker:CreateModelPackageGroup {GROUP}"],
    )


def test_a_service_no_swept_list_names_is_swept_because_a_policy_names_it(
    config: OrgConfig, deployment: Deployment
) -> None:
    copied = copy.deepcopy(deployment)
    promoter = next(d for d in copied.documents() if d.name == f"modelops-promoter@{SHARED}/modelops-promoter")
    promoter.document["Statement"].append(
        {"Effect": "Allow", "Action": ["sso:*", "organizations:*", "ec2:*"], "Resource": "*"}
    )
    with untraced():
        fixed = build_universe(config, copied, actions=all_actions(SERVICES))
        named = build_universe(config, copied)
    assert (
        uncovered_services(fixed.policies.values(), fixed.actions),
        uncovered_services(named.policies.values(), named.actions),
        sorted({"ec2", "organizations", "sso"} & {a.split(":", 1)[0] for a in named.actions}),
    ) == (["ec2", "organizations", "sso"], [], ["ec2", "organizations", "sso"])


def test_decision_roles_trusting_the_decision_service_without_a_source_identity_fail_naming_the_service(
    config: OrgConfig, deployment: Deployment
) -> None:
    def drop_null(document: dict[str, Any]) -> None:
        statement(document, "DecisionServiceOnly")["Condition"].pop("Null")

    verdicts = attacked(
        config,
        deployment,
        {f"modelops-decision-qa@{SHARED} trust": drop_null, f"modelops-decision-prod@{SHARED} trust": drop_null},
    )
    assert (failing(verdicts), verdicts["only-decision-service-decides"].violations) == (
        ["only-decision-service-decides", "only-card-reviewers-approve-cards"],
        [
            f"{DECISION_SERVICE} → sts:AssumeRole modelops-decision-prod → sagemaker:UpdateModelPackage {PACKAGE} with "
            "sagemaker:modellifecycle:stage=prod, sagemaker:modellifecycle:stagestatus=Approved: without a source "
            "identity (the approver it acts for)",
            # qa approves model cards in two_env: its first allowed request is a card submission, which carries
            # nothing IAM can see (the ModelCard has no condition key).
            f"{DECISION_SERVICE} → sts:AssumeRole modelops-decision-qa → sagemaker:UpdateModelPackage {PACKAGE}: "
            "without a source identity (the approver it acts for)",
        ],
    )
    assert verdicts["only-card-reviewers-approve-cards"].violations[0] == (
        f"{DECISION_SERVICE} → sts:AssumeRole modelops-decision-qa → sagemaker:UpdateModelPackage {PACKAGE} with "
        "sagemaker:customermetadataproperties/card:approval=Approved"
    )


def test_a_prod_decision_role_whose_null_block_forgets_the_card_key_may_approve_cards_and_fails_naming_it(
    config: OrgConfig, deployment: Deployment
) -> None:
    """The card approval is guarded by IAM alone (ModelCard has no condition key): a decision role of an
    environment that does not approve cards must leave `card:approval` absent."""

    def forget_card_key(document: dict[str, Any]) -> None:
        statement(document, "RecordDecisionsForProd")["Condition"]["Null"].pop(
            "sagemaker:CustomerMetadataProperties/card:approval"
        )

    verdicts = attacked(
        config, deployment, {f"modelops-decision-prod@{SHARED}/modelops-decision-prod": forget_card_key}
    )
    path = f"{DECISION_SERVICE} → sts:AssumeRole modelops-decision-prod (source identity someone.else@example.com)"
    assert (failing(verdicts), verdicts["only-card-reviewers-approve-cards"].violations[:1]) == (
        ["only-card-reviewers-approve-cards"],
        [
            f"{path} → sagemaker:UpdateModelPackage {PACKAGE} with "
            + "sagemaker:customermetadataproperties/card:approval=Approved"
        ],
    )


def test_a_card_approval_that_may_set_a_stage_lets_the_card_role_decide_and_fails_naming_the_request(
    config: OrgConfig, deployment: Deployment
) -> None:
    def allow_stages(document: dict[str, Any]) -> None:
        statement(document, "RecordModelCardApprovals")["Condition"]["Null"].pop("sagemaker:ModelLifeCycle:stage")

    verdicts = attacked(config, deployment, {f"modelops-decision-qa@{SHARED}/modelops-decision-qa": allow_stages})
    path = f"{DECISION_SERVICE} → sts:AssumeRole modelops-decision-qa (source identity someone.else@example.com)"
    assert failing(verdicts) == ["only-decision-service-decides"]
    assert (
        verdicts["only-decision-service-decides"]
        .violations[0]
        .startswith(f"{path} → sagemaker:UpdateModelPackage {PACKAGE} with ")
    )


# --- the attacks of issue 10, put back ---

DEPLOYMENT = "333333333333"


def test_a_deploy_role_trusting_githubs_default_subject_lets_any_workflow_naming_prod_in_and_fails_naming_it(
    config: OrgConfig, deployment: Deployment
) -> None:
    # The trust of issue 10's report: `sub` = repo:<owner>/<repo>:environment:prod only. A workflow file
    # pushed to any branch that names environment prod gets that subject once the template is reset.
    def default_subject(document: dict[str, Any]) -> None:
        condition = document["Statement"][0]["Condition"]["StringEquals"]
        condition["token.actions.githubusercontent.com:sub"] = "repo:example-org/modelops:environment:prod"

    verdicts = attacked(config, deployment, {f"modelops-github-deploy-prod@{DEPLOYMENT} trust": default_subject})
    violations = verdicts["only-the-reviewed-workflow-drives-the-pipeline"].violations
    # It also writes prod's live and deploy records, which only prod's reviewed deploys may write.
    assert (failing(verdicts), violations[0]) == (
        ["environments-write-only-their-own-records", "only-the-reviewed-workflow-drives-the-pipeline"],
        "GitHub Actions repo:example-org/modelops:environment:prod → sts:AssumeRoleWithWebIdentity "
        "modelops-github-deploy-prod: subject repo:example-org/modelops:environment:prod is not the reviewed "
        f"workflow's repo:example-org/modelops:environment:prod:{DEPLOY_YML}@refs/heads/main",
    )


ARTIFACT = "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model"
ARTIFACT_BUCKET_POLICY = "modelops-artifacts-111111111111-eu-west-1 bucket policy"


def test_an_artifact_bucket_without_its_overwrite_deny_lets_data_science_replace_an_approved_artifact(
    config: OrgConfig, deployment: Deployment
) -> None:
    # Issue 10's report: the data-science role kept s3:PutObject on artifacts/<model>/* after approval, and a
    # plain PutObject replaced the current version SageMaker loads under the approved ARN.
    def allow_overwrites(document: dict[str, Any]) -> None:
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != "DenyOverwritingArtifacts"]

    verdicts = attacked(config, deployment, {ARTIFACT_BUCKET_POLICY: allow_overwrites})
    violations = verdicts["approved-content-is-immutable"].violations
    assert (failing(verdicts), violations[0]) == (
        ["approved-content-is-immutable"],
        f"{SCIENTIST} → sts:AssumeRole modelops-data-science (source identity data.scientist@example.com) → "
        f"s3:PutObject {ARTIFACT}/sample without If-None-Match",
    )


LEDGER = f"arn:aws:dynamodb:eu-west-1:{SHARED}:table/modelops-ledger"
# The recorders name `/modelops/models/*/live/<env>`: the proof decides on its sample, `sample/live/<env>`.
LIVE_PARAMETERS = f"arn:aws:ssm:eu-west-1:{SHARED}:parameter/modelops/models/sample/live"
QA_DEPLOY = (
    "GitHub Actions repo:example-org/modelops:environment:qa:job_workflow_ref:"
    f"{DEPLOY_YML.removeprefix('job_workflow_ref:')}@refs/heads/main → sts:AssumeRoleWithWebIdentity "
    "modelops-github-deploy-qa → sts:AssumeRole modelops-recorder-qa"
)


def test_a_promoter_that_may_put_items_is_stopped_by_the_table_policy_and_without_it_fails_naming_the_engineer(
    config: OrgConfig, deployment: Deployment
) -> None:
    # Issue 10's report: 100 writes by the promoter evicted every record of the SSM history. PutItem on the
    # ledger would let it overwrite one instead; the table's own Deny stops that too, so both must go.
    def put_items(document: dict[str, Any]) -> None:
        document["Statement"].append(
            {"Sid": "Rewrite", "Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": LEDGER}
        )

    def deny_only_deletion(document: dict[str, Any]) -> None:
        statement(document, "NobodyRewritesTheLedger")["Action"] = ["dynamodb:DeleteTable"]

    promoter = f"modelops-promoter@{SHARED}/modelops-promoter"
    granted = attacked(config, deployment, {promoter: put_items})
    unguarded = attacked(
        config, deployment, {promoter: put_items, f"modelops-ledger@{SHARED} table policy": deny_only_deletion}
    )
    platform = [v for v in unguarded["ledger-is-append-only"].violations if v.startswith(PLATFORM)]
    assert (failing(granted), failing(unguarded), platform[0]) == (
        [],
        ["ledger-is-append-only"],
        f"{PLATFORM} → sts:AssumeRole modelops-promoter → dynamodb:PutItem {LEDGER}",
    )


def test_a_qa_recorder_that_may_write_every_live_record_lets_qa_rewrite_prods_and_fails_naming_it(
    config: OrgConfig, deployment: Deployment
) -> None:
    # Issue 10's report: the qa deploy role could rewrite prod's live record (through the shared promoter).
    def every_live_record(document: dict[str, Any]) -> None:
        statement(document, "RecordLiveVersions")["Resource"] = (
            f"arn:aws:ssm:eu-west-1:{SHARED}:parameter/modelops/models/*"
        )

    verdicts = attacked(config, deployment, {f"modelops-recorder-qa@{SHARED}/modelops-recorder-qa": every_live_record})
    assert (failing(verdicts), verdicts["environments-write-only-their-own-records"].violations[0]) == (
        ["environments-write-only-their-own-records"],
        f"{QA_DEPLOY} → ssm:PutParameter {LIVE_PARAMETERS}/prod",
    )


def test_a_qa_recorder_that_may_insert_into_every_deploy_stream_lets_qa_forge_prods_deploys_and_fails_naming_it(
    config: OrgConfig, deployment: Deployment
) -> None:
    # A forged "deployed in prod" record would let a rollback in a later environment skip prod.
    def every_stream(document: dict[str, Any]) -> None:
        condition = statement(document, "AppendDeployRecords")["Condition"]
        condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] = ["churn-model/deploys/*"]

    verdicts = attacked(config, deployment, {f"modelops-recorder-qa@{SHARED}/modelops-recorder-qa": every_stream})
    assert (failing(verdicts), verdicts["environments-write-only-their-own-records"].violations[0]) == (
        ["environments-write-only-their-own-records"],
        f"{QA_DEPLOY} → dynamodb:PartiQLInsert {LEDGER} with dynamodb:leadingkeys=churn-model/deploys/prod",
    )


def test_a_table_policy_denying_only_deletion_lets_the_deploy_paths_administrators_rewrite_records_and_fails(
    config: OrgConfig, deployment: Deployment
) -> None:
    # Without the table's Deny of record writes, an identity policy that allows dynamodb:* (AdministratorAccess,
    # which the CDK bootstrap roles a GitHub deploy job reaches hold) may overwrite a record.
    def deny_only_deletion(document: dict[str, Any]) -> None:
        statement(document, "NobodyRewritesTheLedger")["Action"] = ["dynamodb:DeleteTable"]

    verdicts = attacked(config, deployment, {f"modelops-ledger@{SHARED} table policy": deny_only_deletion})
    violations = verdicts["ledger-is-append-only"].violations
    assert (failing(verdicts), violations[0]) == (
        ["ledger-is-append-only"],
        "GitHub Actions repo:example-org/modelops:environment:shared-services:job_workflow_ref:"
        f"{DEPLOY_YML.removeprefix('job_workflow_ref:')}@refs/heads/main → sts:AssumeRoleWithWebIdentity "
        "modelops-github-deploy-shared-services → sts:AssumeRole cdk-hnb659fds-deploy-role-111111111111-eu-west-1 "
        f"→ dynamodb:PutItem {LEDGER}",
    )


def test_a_promoter_that_may_append_releases_lets_automation_release_a_hold_and_fails_naming_it(
    config: OrgConfig, deployment: Deployment
) -> None:
    # The promotion workflow reaches the promoter: were releases its stream, an automated promotion could end the
    # hold a rollback placed, and undo the rollback.
    def releases_too(document: dict[str, Any]) -> None:
        condition = statement(document, "AppendPromotions")["Condition"]
        condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] = ["*/promotions", "*/releases"]

    verdicts = attacked(config, deployment, {f"modelops-promoter@{SHARED}/modelops-promoter": releases_too})
    violation = verdicts["only-platform-engineers-release-holds"].violations[0]
    assert (failing(verdicts), violation) == (
        ["only-platform-engineers-release-holds"],
        f"{PLATFORM} → sts:AssumeRole modelops-promoter → dynamodb:PartiQLInsert {LEDGER} with "
        "dynamodb:leadingkeys=churn-model/releases",
    )


def test_a_releaser_trusting_platform_engineers_without_their_source_identity_fails_naming_the_path(
    config: OrgConfig, deployment: Deployment
) -> None:
    # Without the source-identity condition the release would not name who released it.
    def anyone(document: dict[str, Any]) -> None:
        del statement(document, "PlatformEngineersAsThemselves")["Condition"]["StringEquals"]

    verdicts = attacked(config, deployment, {f"modelops-releaser@{SHARED} trust": anyone})
    violation = verdicts["only-platform-engineers-release-holds"].violations[0]
    assert (failing(verdicts), violation) == (
        ["only-platform-engineers-release-holds"],
        f"{PLATFORM} → sts:AssumeRole modelops-releaser → dynamodb:PartiQLInsert {LEDGER} with "
        "dynamodb:leadingkeys=churn-model/releases",
    )


def test_a_card_submission_that_may_set_an_approval_status_lets_the_card_role_decide_and_fails_naming_it(
    config: OrgConfig, deployment: Deployment
) -> None:
    def allow_status(document: dict[str, Any]) -> None:
        statement(document, "RecordModelCardSubmissions")["Condition"]["Null"].pop("sagemaker:ModelApprovalStatus")

    verdicts = attacked(config, deployment, {f"modelops-decision-qa@{SHARED}/modelops-decision-qa": allow_status})
    path = f"{DECISION_SERVICE} → sts:AssumeRole modelops-decision-qa (source identity someone.else@example.com)"
    assert failing(verdicts) == ["only-decision-service-decides"]
    assert verdicts["only-decision-service-decides"].violations[0] == (
        f"{path} → sagemaker:UpdateModelPackage {PACKAGE} with sagemaker:modelapprovalstatus=Approved"
    )
