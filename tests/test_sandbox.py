"""The sandbox organisation: every account of accounts.yaml, bootstrapped as `cdk bootstrap` does, with the
account stacks deployed from the synthesized templates; and an environment's endpoints deployed through
CloudFormation with the pipeline's roles, serving exactly the pinned ModelPackage ARN.

The module synthesizes once more than the session: a copy of the two_env test organisation's workloads whose
qa manifest pins version 2.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from accounts import naming
from accounts.config import OrgConfig
from cli.sandbox import exports
from policies.cfn_execution import CFN_EXECUTION_POLICIES
from promotion.cfn_deploy import DeployFailed, StackArtifact, deploy_stack, stack_artifacts
from promotion.content import Content
from promotion.sessions import assume_role
from sandbox import cdk_bootstrap
from sandbox.organization import (
    SHARED_SERVICES_STACK,
    Sandbox,
    account_admin_session,
    all_accounts,
    cdk_role_session,
    deploy_artifact,
    person_role_name,
    person_session,
)
from sandbox.review_gateway import ReviewGateway
from tests.conftest import Synth, synthesize
from tests.orgs import workloads_root
from tests.sandbox_fixtures import data_scientist_session
from workloads.manifest import load_manifest

MODEL = "churn-model"
QA_ENDPOINTS = "ModelOps-qa/Endpoint-churn-model"
QA_ENVIRONMENT = "ModelOps-qa/Environment"
MODEL_STACK = "ModelOps-SharedServices/Model-churn-model"
DATA_SCIENTIST = "data.scientist@example.com"
CDK_ROLE_KINDS = ("cfn-exec", "deploy", "file-publishing", "image-publishing", "lookup")


@pytest.fixture(scope="module")
def v2_synth(config: OrgConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The app synthesized from a copy of the session's workloads in which qa pins version 2 of the model."""
    root = tmp_path_factory.mktemp("workloads-v2")
    shutil.copytree(workloads_root("two_env"), root, dirs_exist_ok=True)
    manifest = root / "qa" / f"{MODEL}.yaml"
    pinned = load_manifest(manifest, config).model_package_arn
    manifest.write_text(manifest.read_text().replace(pinned, naming.model_package_arn(config, MODEL, 2)))
    return synthesize(config, tmp_path_factory.mktemp("synth-v2"), root)


def _admin(sandbox: Sandbox, account: str) -> boto3.Session:
    return account_admin_session(sandbox.config, account)


def _data_scientist(sandbox: Sandbox) -> boto3.Session:
    """A data scientist signed in through Identity Center, in the modelops-data-science role."""
    return data_scientist_session(sandbox, DATA_SCIENTIST)


def _register(sandbox: Sandbox) -> str:
    inference: Any = {
        "Containers": [
            {
                "Image": f"{sandbox.config.accounts.shared_services}.dkr.ecr.eu-west-1.amazonaws.com/{MODEL}:1.0",
                "ModelDataUrl": f"s3://{naming.artifact_bucket(sandbox.config)}/artifacts/{MODEL}/model.tar.gz",
            }
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    # Both sides of the cross-account call require the content record (shared_services/registry.py); these
    # tests are about deploys, so it names a placeholder version and digest.
    content = Content(
        artifact=inference["Containers"][0]["ModelDataUrl"],
        artifact_version="sandbox-version",
        artifact_sha256="0" * 64,
        image=inference["Containers"][0]["Image"],
    )
    created = (
        _data_scientist(sandbox)
        .client("sagemaker")
        .create_model_package(
            ModelPackageGroupName=naming.model_package_group_arn(sandbox.config, MODEL),
            InferenceSpecification=inference,
            CustomerMetadataProperties=content.metadata(),
        )
    )
    return str(created["ModelPackageArn"])


def _ensure_versions(sandbox: Sandbox, count: int) -> None:
    """At least `count` versions in the registry (earlier tests of this session may have registered some)."""
    registry = _admin(sandbox, sandbox.config.accounts.shared_services).client("sagemaker")
    existing = registry.list_model_packages(ModelPackageGroupName=MODEL)["ModelPackageSummaryList"]
    for _ in range(count - len(existing)):
        _register(sandbox)


def _ensure_approved_versions(sandbox: Sandbox, count: int) -> None:
    """At least `count` versions in the registry, each Approved: CreateModel deploys only an Approved version
    (tests/test_moto_compat_limits.py). The registry's admin approves them: these tests are about deploys."""
    _ensure_versions(sandbox, count)
    registry = _admin(sandbox, sandbox.config.accounts.shared_services).client("sagemaker")
    for version in registry.list_model_packages(ModelPackageGroupName=MODEL)["ModelPackageSummaryList"]:
        if version["ModelApprovalStatus"] != "Approved":
            registry.update_model_package(ModelPackageArn=version["ModelPackageArn"], ModelApprovalStatus="Approved")


def _served_arn(sandbox: Sandbox, account: str) -> tuple[str, str]:
    """(endpoint ARN, ModelPackage ARN) read back: endpoint -> config -> model -> container."""
    sagemaker = _admin(sandbox, account).client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=naming.endpoint_name(MODEL))
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    model = sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    container = model.get("PrimaryContainer") or model["Containers"][0]
    return str(endpoint["EndpointArn"]), str(container["ModelPackageName"])


def _qa(synth: Synth) -> StackArtifact:
    return stack_artifacts(synth.outdir)[QA_ENDPOINTS]


def _deploy_qa(config: OrgConfig, synth: Synth) -> None:
    """qa's Environment stack (the endpoint key the endpoint names by alias), then churn-model's endpoint stack."""
    deploy_artifact(config, stack_artifacts(synth.outdir)[QA_ENVIRONMENT])
    deploy_artifact(config, _qa(synth))


def _pinned(config: OrgConfig, version: int) -> str:
    return naming.model_package_arn(config, MODEL, version)


# -- the organisation ------------------------------------------------------------------------------------


def test_every_account_is_bootstrapped_with_the_cdk_roles_and_version(sandbox: Sandbox) -> None:
    config = sandbox.config
    for account in all_accounts(config):
        session = _admin(sandbox, account)
        roles = {role["RoleName"] for role in session.client("iam").list_roles()["Roles"]}
        version = session.client("ssm").get_parameter(Name=naming.CDK_BOOTSTRAP_VERSION_PARAMETER)["Parameter"]

        assert {naming.cdk_role_name(kind, account, config.region) for kind in CDK_ROLE_KINDS} <= roles, account
        assert version["Value"] == cdk_bootstrap.BOOTSTRAP_VERSION


def test_workload_deploy_roles_trust_the_deployment_account_and_data_science_trusts_only_itself(
    sandbox: Sandbox,
) -> None:
    """As the README's `cdk bootstrap --trust <deployment account>` for workload accounts and shared services."""
    config = sandbox.config

    def trusted(account: str) -> list[Any]:
        role = (
            _admin(sandbox, account)
            .client("iam")
            .get_role(RoleName=naming.cdk_role_name("deploy", account, config.region))["Role"]
        )
        return [s["Principal"]["AWS"] for s in role["AssumeRolePolicyDocument"]["Statement"]]

    qa = config.environment("qa").account
    assert trusted(qa) == [qa, qa, [config.accounts.deployment]]
    assert trusted(config.accounts.data_science) == [config.accounts.data_science] * 2


def test_cfn_exec_roles_carry_the_execution_policies_the_readme_bootstraps_with(sandbox: Sandbox) -> None:
    """Workload accounts: the least-privilege ModelOpsCfnExec and ModelOpsCfnExecKeys policies from policies/;
    others: CDK's default."""
    config = sandbox.config
    qa, shared = config.environment("qa").account, config.accounts.shared_services

    def attached(account: str) -> list[str]:
        iam = _admin(sandbox, account).client("iam")
        role = naming.cdk_role_name("cfn-exec", account, config.region)
        return [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]]

    iam = _admin(sandbox, qa).client("iam")
    qa_policies = {
        name: iam.get_policy_version(PolicyArn=f"arn:aws:iam::{qa}:policy/{name}", VersionId="v1")["PolicyVersion"][
            "Document"
        ]
        for name in CFN_EXECUTION_POLICIES
    }
    assert attached(qa) == [f"arn:aws:iam::{qa}:policy/{name}" for name in CFN_EXECUTION_POLICIES]
    assert attached(shared) == [cdk_bootstrap.ADMINISTRATOR_ACCESS]
    assert qa_policies == {name: json.loads(path.read_text()) for name, path in CFN_EXECUTION_POLICIES.items()}


def test_a_person_signs_in_to_their_identity_center_role_under_their_email(sandbox: Sandbox) -> None:
    config = sandbox.config
    account = config.accounts.data_science
    role = person_role_name(naming.DATA_SCIENTIST_PERMISSION_SET)

    session = person_session(config, sandbox.endpoint_url, account=account, role_name=role, email=DATA_SCIENTIST)

    assert (
        session.client("sts").get_caller_identity()["Arn"]
        == f"arn:aws:sts::{account}:assumed-role/AWSReservedSSO_DataScientist_5a4db0c5a4db0c00/{DATA_SCIENTIST}"
    )
    path = _admin(sandbox, account).client("iam").get_role(RoleName=role)["Role"]["Path"]
    assert path == naming.SSO_ROLE_PATH


def test_shared_services_stack_is_deployed_with_bucket_key_and_group_policy(sandbox: Sandbox, synth: Synth) -> None:
    config = sandbox.config
    session = _admin(sandbox, config.accounts.shared_services)
    template = synth.template_json(SHARED_SERVICES_STACK)["Resources"]
    groups = [
        r
        for r in synth.template_json(MODEL_STACK)["Resources"].values()
        if r["Type"] == "AWS::SageMaker::ModelPackageGroup"
    ]
    bucket_policies = [r for r in template.values() if r["Type"] == "AWS::S3::BucketPolicy"]

    cfn = session.client("cloudformation")
    stack = cfn.describe_stacks(StackName="ModelOps-SharedServices-SharedServices")
    model_stack = cfn.describe_stacks(StackName="ModelOps-SharedServices-Model-churn-model")
    policy = session.client("sagemaker").get_model_package_group_policy(ModelPackageGroupName=MODEL)
    bucket_policy = json.loads(session.client("s3").get_bucket_policy(Bucket=naming.artifact_bucket(config))["Policy"])
    aliases = {a["AliasName"]: a for a in session.client("kms").list_aliases()["Aliases"]}
    key = aliases[naming.ARTIFACT_KEY_ALIAS]["TargetKeyId"]

    assert (stack["Stacks"][0]["StackStatus"], model_stack["Stacks"][0]["StackStatus"]) == (
        "CREATE_COMPLETE",
        "CREATE_COMPLETE",
    )
    assert json.loads(policy["ResourcePolicy"]) == groups[0]["Properties"]["ModelPackageGroupPolicy"]
    expected_sids = [
        [s.get("Sid") for s in p["Properties"]["PolicyDocument"]["Statement"]]
        for p in bucket_policies
        if p["Properties"]["Bucket"]["Ref"].startswith("ArtifactsBucket")
    ]
    assert [[s.get("Sid") for s in bucket_policy["Statement"]]] == expected_sids
    assert bucket_policy["Statement"][0]["Resource"][0] == naming.artifact_bucket_arn(config)
    assert session.client("kms").get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True


def test_a_version_registered_by_data_science_is_read_by_the_verifier_and_not_by_a_workload_administrator(
    sandbox: Sandbox,
) -> None:
    """Registered through the data scientist's role into the shared registry; read by ARN through the verifier
    (the platform engineer's way to read); a workload account's administrator, whom the group's policy does not
    name, is refused across accounts."""
    config = sandbox.config

    arn = _register(sandbox)
    engineer = person_session(
        config,
        sandbox.endpoint_url,
        account=config.accounts.shared_services,
        role_name=person_role_name(naming.PLATFORM_PERMISSION_SET),
        email="platform.engineer@example.com",
    )
    verifier = assume_role(
        naming.verifier_role_arn(config),
        session_name="platform.engineer@example.com",
        source_identity="platform.engineer@example.com",
        base=engineer,
    )
    described = verifier.client("sagemaker").describe_model_package(ModelPackageName=arn)
    administrator = _admin(sandbox, config.environment("qa").account).client("sagemaker")
    with pytest.raises(ClientError) as refused:
        administrator.describe_model_package(ModelPackageName=arn)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"

    assert naming.parse_model_package_arn(arn).account == config.accounts.shared_services
    assert (described["ModelPackageArn"], described["ModelApprovalStatus"]) == (arn, "PendingManualApproval")


# -- an environment's endpoints, through CloudFormation -------------------------------------------------------


def test_qa_deploy_serves_exactly_the_pinned_arn(sandbox: Sandbox, synth: Synth) -> None:
    config = sandbox.config
    _ensure_approved_versions(sandbox, 2)
    manifest = load_manifest(workloads_root("two_env") / "qa" / f"{MODEL}.yaml", config)

    _deploy_qa(config, synth)

    endpoint_arn, served = _served_arn(sandbox, config.environment("qa").account)
    assert served == manifest.model_package_arn
    assert endpoint_arn == naming.endpoint_arn(config.region, config.environment("qa").account, MODEL)


def test_pinning_a_new_version_switches_the_live_endpoint_and_keeps_its_name(
    sandbox: Sandbox, synth: Synth, v2_synth: Synth
) -> None:
    config = sandbox.config
    qa = config.environment("qa").account
    _ensure_approved_versions(sandbox, 2)
    _deploy_qa(config, synth)
    endpoint_before, _ = _served_arn(sandbox, qa)

    _deploy_qa(config, v2_synth)

    assert _served_arn(sandbox, qa) == (endpoint_before, _pinned(config, 2))


def test_failed_update_names_the_resource_and_reason_and_the_previous_version_keeps_serving(
    sandbox: Sandbox, v2_synth: Synth, tmp_path: Path
) -> None:
    config = sandbox.config
    qa = config.environment("qa").account
    _ensure_approved_versions(sandbox, 2)
    _deploy_qa(config, v2_synth)
    artifact = _qa(v2_synth)
    missing = _pinned(config, 99)
    broken = tmp_path / "broken.template.json"
    broken.write_text(artifact.template_path.read_text().replace(_pinned(config, 2), missing))
    model = next(
        logical_id
        for logical_id, resource in v2_synth.template_json(QA_ENDPOINTS)["Resources"].items()
        if resource["Type"] == "AWS::SageMaker::Model"
    )

    with pytest.raises(DeployFailed) as failed:
        deploy_stack(
            cdk_role_session(config, qa, "deploy"),
            stack_name=artifact.stack_name,
            template_path=broken,
            cfn_exec_role_arn=artifact.cfn_exec_role_arn,
        )

    assert (failed.value.resource, failed.value.status) == (model, "UPDATE_ROLLBACK_COMPLETE")
    assert failed.value.reason == (
        f'Resource handler returned message: "ModelPackage {missing} does not exist." '
        "(HandlerErrorCode: InvalidRequest)"
    )
    assert "\n" not in str(failed.value)
    assert _served_arn(sandbox, qa)[1] == _pinned(config, 2)


def test_sandbox_up_prints_the_approval_apis_address_with_the_aws_endpoint(approval_api: ReviewGateway) -> None:
    lines = exports("http://127.0.0.1:5000", approval_api.url)
    port = approval_api.url.split(":")[2].split("/")[0]
    assert lines == [
        "export AWS_ENDPOINT_URL=http://127.0.0.1:5000",
        f"export AWS_ENDPOINT_URL_EXECUTE_API=http://127.0.0.1:{port}",
    ]
