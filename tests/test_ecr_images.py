"""The model images' ECR repository: one `modelops-models` in shared services, the repository policy, the
roles that push, resolve and pull, and registration resolving a tag to a digest in it in the sandbox.

Pinned to AWS's documentation:
- "Private repository policy examples" (Amazon ECR user guide): a repository policy's statements name no
  Resource, and the push and pull actions,
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
- "Preventing image tags from being overwritten in Amazon ECR" (Amazon ECR user guide; formerly "Image tag
  mutability"): "After tag immutability is turned on, the ImageTagAlreadyExistsException error is returned if
  you push an image with a tag that is already in the repository",
  https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html
- "DescribeImages" (Amazon ECR API reference): registryId is "The AWS account ID associated with the registry
  that contains the repository in which to describe images",
  https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
- "Encryption at rest" (Amazon ECR user guide): when a repository is created with AWS KMS encryption, Amazon
  ECR adds a KMS grant to the key with the repository as grantee principal (and sends two CreateGrant
  requests), https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html

moto evaluates no repository policy: the policy evaluator over the synthesized templates (the proof's universe
of the two_env organisation) is where who may push, resolve, pull and delete is proven.
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from botocore.exceptions import ClientError
from typer.testing import CliRunner

import cli.main
from accounts import naming
from accounts.config import OrgConfig
from policies.iam.cloudformation.reader import load_deployment
from policies.iam.evaluate import evaluate
from policies.iam.model import Context, Effect, Request, Resource
from policies.proof.invariants import Governance
from policies.proof.principals import ProofPrincipal
from policies.proof.universe import Universe, build_universe
from sandbox.images import image_manifest, push_image
from sandbox.organization import Sandbox, account_admin_session, person_role_name, person_session
from shared_services.images import repository_statements
from tests.conftest import Synth, config_with
from tests.orgs import config_path, org_data
from tests.untraced import untraced

SHARED_STACK = "ModelOps-SharedServices/SharedServices"
DATA_SCIENCE_STACK = "ModelOps-DataScience"
REPOSITORY_ARN = "arn:aws:ecr:eu-west-1:111111111111:repository/modelops-models"
REPOSITORY_URI = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models"
DS_ROLE = "arn:aws:iam::222222222222:role/modelops-data-science"
DATA_SCIENCE = "modelops-data-science@data-science"
QA_EXEC, PROD_EXEC = "modelops-exec-qa-churn-model@qa", "modelops-exec-prod-churn-model@prod"
PUSH = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]
PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
REPOSITORY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "DenyDeletingImages", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "ecr:BatchDeleteImage"},
        {
            "Sid": "DataScienceResolvesAndPushesImages",
            "Effect": "Allow",
            "Principal": {"AWS": DS_ROLE},
            "Action": PUSH,
        },
        {
            "Sid": "EndpointExecutionRolesPullImages",
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::444444444444:root", "arn:aws:iam::555555555555:root"]},
            "Action": PULL,
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": [
                        "arn:aws:iam::444444444444:role/modelops-exec-qa-*",
                        "arn:aws:iam::555555555555:role/modelops-exec-prod-*",
                    ]
                }
            },
        },
    ],
}


def resources_of(synth: Synth, stack: str, resource_type: str) -> dict[str, Any]:
    return dict(synth.template(stack).find_resources(resource_type))


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in document["Statement"] if s.get("Sid") == sid)


# -- the repository in the shared-services template ---------------------------------------------------------


def test_shared_services_owns_one_repository_with_immutable_tags_scan_on_push_and_kms(synth: Synth) -> None:
    """One repository for every model, kept when the stack goes; tags cannot move, pushes are scanned, and the
    images are encrypted with KMS (the AWS managed key: ECR decrypts through its own grant on it)."""
    repositories = resources_of(synth, SHARED_STACK, "AWS::ECR::Repository")
    (repository,) = repositories.values()
    properties = dict(repository["Properties"])
    policy = properties.pop("RepositoryPolicyText")

    assert properties == {
        "RepositoryName": "modelops-models",
        "ImageTagMutability": "IMMUTABLE",
        "ImageScanningConfiguration": {"ScanOnPush": True},
        "EncryptionConfiguration": {"EncryptionType": "KMS"},
    }
    assert (repository["DeletionPolicy"], repository["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert policy == REPOSITORY_POLICY


def test_no_other_stack_creates_a_repository(synth: Synth) -> None:
    """Registration, the demo and every endpoint use the shared-services repository: no per-model or
    per-environment one exists."""
    holding = sorted(path for path in synth.stacks if resources_of(synth, path, "AWS::ECR::Repository"))

    assert holding == [SHARED_STACK]


def test_the_repository_policy_does_not_grow_with_the_models() -> None:
    """Principals are named by account and role-name pattern, so 300 models give the same policy, byte for
    byte, as one; issue 13 plans hundreds of models. SetRepositoryPolicy's policyText is at most 10,240
    characters ("Length Constraints: Minimum length of 0. Maximum length of 10240",
    https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html)."""
    data = org_data("two_env")
    churn = data["models"][0]
    many = [{**copy.deepcopy(churn), "name": f"model-{n:03d}"} for n in range(300)]

    def policy_text(config: OrgConfig) -> str:
        return json.dumps(iam.PolicyDocument(statements=repository_statements(config)).to_json(), sort_keys=True)

    one = policy_text(config_with(models=[churn]))

    assert policy_text(config_with(models=many)) == one
    assert len(one) < 1_500


# -- the roles' own policies ----------------------------------------------------------------------------------


def test_the_data_science_role_resolves_and_pushes_in_the_model_repository_only(synth: Synth) -> None:
    roles = resources_of(synth, DATA_SCIENCE_STACK, "AWS::IAM::Role").values()
    (role,) = [r for r in roles if r["Properties"]["RoleName"] == "modelops-data-science"]
    (inline,) = role["Properties"]["Policies"]
    document = inline["PolicyDocument"]

    assert statement(document, "ResolveAndPushImages") == {
        "Sid": "ResolveAndPushImages",
        "Effect": "Allow",
        "Action": PUSH,
        "Resource": REPOSITORY_ARN,
    }
    assert statement(document, "AuthenticateToEcr") == {
        "Sid": "AuthenticateToEcr",
        "Effect": "Allow",
        "Action": "ecr:GetAuthorizationToken",
        "Resource": "*",
    }


@pytest.mark.parametrize("env", ["qa", "prod"])
def test_each_execution_role_pulls_from_the_model_repository_only(synth: Synth, env: str) -> None:
    roles = resources_of(synth, f"ModelOps-{env}/Endpoint-churn-model", "AWS::IAM::Role")
    (execution,) = [r for r in roles.values() if r["Properties"]["RoleName"] == f"modelops-exec-{env}-churn-model"]
    (inline,) = execution["Properties"]["Policies"]
    document = inline["PolicyDocument"]

    assert statement(document, "PullImagesFromSharedServices") == {
        "Sid": "PullImagesFromSharedServices",
        "Effect": "Allow",
        "Action": PULL,
        "Resource": REPOSITORY_ARN,
    }
    assert statement(document, "AuthenticateToEcr")["Resource"] == "*"


# -- who may do what, both sides evaluated ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def universe(config: OrgConfig, synth: Synth) -> Universe:
    with untraced():
        return build_universe(config, load_deployment(synth.outdir))


def repository(universe: Universe, arn: str = REPOSITORY_ARN) -> Resource:
    return next(r.resource for r in universe.resources if r.resource.arn == arn)


def principal(universe: Universe, principal_id: str) -> ProofPrincipal:
    return next(p for p in universe.principals if p.id == principal_id)


def decide(who: ProofPrincipal, action: str, target: Resource) -> Effect:
    return evaluate(Request(who.principal, action, target, Context({"aws:SecureTransport": True}))).effect


def allowed(universe: Universe, action: str) -> list[str]:
    target = repository(universe)
    return sorted(p.id for p in universe.principals if decide(p, action, target) is Effect.ALLOW)


def test_the_proof_reads_the_repository_and_its_policy(universe: Universe) -> None:
    target = repository(universe)

    assert target.account == "111111111111"
    assert target.policy is not None
    assert target.policy.name == "modelops-models@111111111111 repository policy"


@pytest.mark.parametrize("action", PULL)
def test_a_workload_execution_role_may_pull_the_models_images(universe: Universe, action: str) -> None:
    """Its own policy and the repository's both allow it, across accounts."""
    target = repository(universe)

    assert decide(principal(universe, QA_EXEC), action, target) is Effect.ALLOW
    assert decide(principal(universe, PROD_EXEC), action, target) is Effect.ALLOW


def test_outside_shared_services_only_execution_roles_pull_images(universe: Universe) -> None:
    """Abroad, only `modelops-exec-<env>-*` roles of the workload accounts pull: not the operator, not data
    science, not the outsider. `-sample` is the proof's stand-in for a later model's execution role, which the
    pattern admits without the policy changing. In shared services, the account's own roles may (the
    repository is theirs, and their identity policies decide)."""
    pullers = [p for p in allowed(universe, "ecr:BatchGetImage") if not p.endswith("@shared-services")]

    assert pullers == [PROD_EXEC, "modelops-exec-prod-sample@prod", QA_EXEC, "modelops-exec-qa-sample@qa"]


def test_an_execution_role_pulls_from_no_other_repository(universe: Universe) -> None:
    other = Resource("arn:aws:ecr:eu-west-1:111111111111:repository/zz-other", "111111111111", None)

    assert decide(principal(universe, QA_EXEC), "ecr:BatchGetImage", other) is not Effect.ALLOW


@pytest.mark.parametrize("action", PUSH)
def test_the_data_science_role_may_resolve_tags_and_push(universe: Universe, action: str) -> None:
    assert decide(principal(universe, DATA_SCIENCE), action, repository(universe)) is Effect.ALLOW


def test_execution_roles_may_not_push(universe: Universe) -> None:
    assert decide(principal(universe, QA_EXEC), "ecr:PutImage", repository(universe)) is not Effect.ALLOW


def test_nobody_deletes_an_image(universe: Universe) -> None:
    """A rollback pulls an older approved digest: no principal, administrators included, may delete one."""
    assert allowed(universe, "ecr:BatchDeleteImage") == []


def test_only_shared_services_roles_change_the_repository_policy(universe: Universe) -> None:
    """No role of another account, data science included, may rewrite who pulls or pushes."""
    changers = allowed(universe, "ecr:SetRepositoryPolicy")

    assert changers
    assert [p for p in changers if not p.endswith("@shared-services")] == []


# -- in the sandbox: the stack's repository, and registration's tag-to-digest ----------------------------------


def test_the_sandbox_deploys_the_repository_as_its_template_says(sandbox: Sandbox) -> None:
    """The shared-services stack, deployed in the sandbox, leaves the repository with its policy, immutable
    tags, scan on push and KMS encryption (the AWS managed key: ECR reports its ARN)."""
    ecr = account_admin_session(sandbox.config, "111111111111").client("ecr", region_name="eu-west-1")
    (described,) = ecr.describe_repositories(repositoryNames=["modelops-models"])["repositories"]
    policy = ecr.get_repository_policy(repositoryName="modelops-models")["policyText"]

    assert described["repositoryArn"] == REPOSITORY_ARN
    assert described["repositoryUri"] == REPOSITORY_URI
    assert described["imageTagMutability"] == "IMMUTABLE"
    assert described["imageScanningConfiguration"] == {"scanOnPush": True}
    assert described["encryptionConfiguration"]["encryptionType"] == "KMS"
    assert described["encryptionConfiguration"]["kmsKey"].startswith("arn:aws:kms:eu-west-1:111111111111:key/")
    assert json.loads(policy) == REPOSITORY_POLICY


def test_a_pushed_tag_cannot_be_moved_to_other_bytes(sandbox: Sandbox) -> None:
    """ImageTagAlreadyExistsException, as "Preventing image tags from being overwritten in Amazon ECR" (the
    image-tag-mutability page) says. Only the code is asserted: AWS documents no message."""
    session = account_admin_session(sandbox.config, "111111111111")
    tag = f"churn-model-{uuid.uuid4().hex[:8]}"
    push_image(session, f"{REPOSITORY_URI}:{tag}", create_repository=False)
    ecr = session.client("ecr", region_name="eu-west-1")

    with pytest.raises(ClientError) as raised:
        ecr.put_image(repositoryName="modelops-models", imageManifest=image_manifest(f"{tag}-other"), imageTag=tag)

    assert raised.value.response["Error"]["Code"] == "ImageTagAlreadyExistsException"


def test_registration_pins_the_digest_pushed_to_the_stacks_repository(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`modelops register --image <repository>:<tag>` as a data scientist (the data-science role): DescribeImages
    in the shared-services registry resolves the tag, and the version's container names the image by digest."""
    image = f"{REPOSITORY_URI}:churn-model-{uuid.uuid4().hex[:8]}"
    digest = push_image(account_admin_session(sandbox.config, "111111111111"), image, create_repository=False)
    person = person_session(
        sandbox.config,
        sandbox.endpoint_url,
        account="222222222222",
        role_name=person_role_name(naming.DATA_SCIENTIST_PERMISSION_SET),
        email="data.scientist@example.com",
    )
    frozen = person.get_credentials().get_frozen_credentials()  # type: ignore[union-attr]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(frozen.access_key))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(frozen.secret_key))
    monkeypatch.setenv("AWS_SESSION_TOKEN", str(frozen.token))
    weights = tmp_path / "model.tar.gz"
    weights.write_bytes(b"churn-model weights")
    key = f"artifacts/churn-model/ecr-{uuid.uuid4().hex}/model.tar.gz"

    result = CliRunner().invoke(
        cli.main.app,
        [
            "--config", str(config_path("two_env")), "--workloads", str(tmp_path),
            "register", "churn-model",
            "--artifact", f"s3://modelops-artifacts-111111111111-eu-west-1/{key}", "--upload", str(weights),
            "--image", image, "--metric", "auc=0.91", "--source-commit", "abcdef1",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    arn = result.stdout.strip()
    sagemaker = account_admin_session(sandbox.config, "111111111111").client("sagemaker", region_name="eu-west-1")
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    (container,) = described["InferenceSpecification"]["Containers"]
    assert container["Image"] == f"{REPOSITORY_URI}@{digest}"
    assert described["CustomerMetadataProperties"]["content:image"] == f"{REPOSITORY_URI}@{digest}"


# -- the governance invariant: approved content includes the image ---------------------------------------------


def test_the_repository_without_its_delete_deny_lets_the_deploy_path_delete_an_approved_image(
    config: OrgConfig, synth: Synth
) -> None:
    """approved-content-is-immutable holds for the deployed policies (tests/test_governance_invariants.py); with
    the repository policy's DenyDeletingImages removed, the shared-services administrators, reached through the
    reviewed deploy workflow, could delete an image an approved version pins, and the invariant names the path."""
    deployment = load_deployment(synth.outdir)
    (document,) = [d for d in deployment.documents() if d.name == "modelops-models@111111111111 repository policy"]
    document.document["Statement"] = [s for s in document.document["Statement"] if s["Sid"] != "DenyDeletingImages"]

    with untraced():
        verdicts = {v.name: v for v in Governance(build_universe(config, deployment)).check()}

    assert [name for name, verdict in verdicts.items() if not verdict.holds] == ["approved-content-is-immutable"]
    violations = verdicts["approved-content-is-immutable"].violations
    assert violations[0] == (
        "GitHub Actions repo:example-org/modelops:environment:shared-services:job_workflow_ref:"
        "example-org/modelops/.github/workflows/deploy.yml@refs/heads/main → sts:AssumeRoleWithWebIdentity "
        "modelops-github-deploy-shared-services → sts:AssumeRole cdk-hnb659fds-deploy-role-111111111111-eu-west-1 "
        f"→ ecr:BatchDeleteImage {REPOSITORY_ARN}"
    )
    assert all(v.endswith(f"→ ecr:BatchDeleteImage {REPOSITORY_ARN}") for v in violations)
    assert all("cdk-hnb659fds-" in v for v in violations)
