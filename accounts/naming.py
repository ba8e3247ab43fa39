"""Names and ARNs derived from the configuration: one place, so stacks, policies and the CLI agree."""

from __future__ import annotations

import re
from dataclasses import dataclass

from accounts.config import OrgConfig

PREFIX = "modelops"
ARTIFACT_KEY_ALIAS = f"alias/{PREFIX}-artifacts"
ARTIFACT_ROOT = "artifacts"
DATA_SCIENCE_ROLE = f"{PREFIX}-data-science"
SSM_ROOT = f"/{PREFIX}"
# CDK's default bootstrap qualifier; `cdk bootstrap` creates these roles in every target account.
CDK_QUALIFIER = "hnb659fds"


def artifact_bucket(config: OrgConfig) -> str:
    """The shared-services bucket holding every model's artifacts."""
    return f"{PREFIX}-artifacts-{config.accounts.shared_services}-{config.region}"


def access_log_bucket(config: OrgConfig) -> str:
    """The bucket receiving the artifact bucket's server access logs."""
    return f"{PREFIX}-access-logs-{config.accounts.shared_services}-{config.region}"


def artifact_prefix(model: str) -> str:
    """Key prefix under which one model's artifacts live."""
    return f"{ARTIFACT_ROOT}/{model}/"


def role_arn(account: str, name: str) -> str:
    """ARN of an IAM role without a path."""
    return f"arn:aws:iam::{account}:role/{name}"


def data_science_role_arn(config: OrgConfig) -> str:
    """The role data scientists use to write artifacts and register model packages."""
    return role_arn(config.accounts.data_science, DATA_SCIENCE_ROLE)


def execution_role_name(env: str, model: str) -> str:
    """The SageMaker execution role of one model's endpoint in one environment."""
    return f"{PREFIX}-exec-{env}-{model}"


def execution_role_arn(config: OrgConfig, env: str, model: str) -> str:
    return role_arn(config.environment(env).account, execution_role_name(env, model))


def github_deploy_role_name(target: str) -> str:
    """The GitHub OIDC role in the deployment account for one deploy target (an environment)."""
    return f"{PREFIX}-github-deploy-{target}"


def github_deploy_role_arn(config: OrgConfig, target: str) -> str:
    return role_arn(config.accounts.deployment, github_deploy_role_name(target))


def cdk_role_name(kind: str, account: str, region: str) -> str:
    """A CDK bootstrap role, kind one of deploy, file-publishing, image-publishing, lookup, cfn-exec."""
    return f"cdk-{CDK_QUALIFIER}-{kind}-role-{account}-{region}"


def cdk_role_arn(kind: str, account: str, region: str) -> str:
    return role_arn(account, cdk_role_name(kind, account, region))


def model_package_group_arn(config: OrgConfig, model: str) -> str:
    return f"arn:aws:sagemaker:{config.region}:{config.accounts.shared_services}:model-package-group/{model}"


def model_package_arn(config: OrgConfig, model: str, version: int) -> str:
    return f"arn:aws:sagemaker:{config.region}:{config.accounts.shared_services}:model-package/{model}/{version}"


def endpoint_name(model: str) -> str:
    """The endpoint serving `model` inside a workload account (one per model and account)."""
    return f"{model}"


def live_arn_parameter(model: str) -> str:
    """SSM parameter in a workload account holding the ModelPackage ARN live there (read by batch inference)."""
    return f"{SSM_ROOT}/models/{model}/live-model-package-arn"


def history_parameter(model: str) -> str:
    """SSM parameter in shared services whose versions are the model's decision and promotion history."""
    return f"{SSM_ROOT}/models/{model}/history"


def shared_parameter(name: str) -> str:
    """SSM parameter in shared services that publishes a shared resource (bucket, key-arn, ...)."""
    return f"{SSM_ROOT}/shared/{name}"


def stage_id(env: str) -> str:
    """Construct id of an environment's CDK stage."""
    return f"ModelOps-{env}"


MODEL_PACKAGE_ARN = re.compile(
    r"^arn:aws:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package/(?P<group>[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9]\d*)$"
)


@dataclass(frozen=True)
class ModelPackageRef:
    """The parts of a versioned ModelPackage ARN."""

    arn: str
    region: str
    account: str
    group: str
    version: int


def parse_model_package_arn(arn: str) -> ModelPackageRef:
    """Split a versioned ModelPackage ARN; ValueError says what shape was expected."""
    match = MODEL_PACKAGE_ARN.fullmatch(arn)
    if match is None:
        raise ValueError(
            f"malformed ModelPackage ARN {arn!r}; expected "
            "arn:aws:sagemaker:<region>:<12-digit account>:model-package/<group>/<version>"
        )
    return ModelPackageRef(
        arn=arn,
        region=match["region"],
        account=match["account"],
        group=match["group"],
        version=int(match["version"]),
    )


# Roles the modelops CLI and the pipeline assume, one per purpose (see README "Roles").
APPROVER_ROLE = f"{PREFIX}-approver"  # shared services: the only path that changes approval status
PROMOTER_ROLE = f"{PREFIX}-promoter"  # shared services: reads the registry, reads and appends history
OPERATOR_ROLE = f"{PREFIX}-operator"  # each workload account: reads endpoints, smoke-tests, records the live ARN


def approver_role_arn(config: OrgConfig) -> str:
    return role_arn(config.accounts.shared_services, APPROVER_ROLE)


def promoter_role_arn(config: OrgConfig) -> str:
    return role_arn(config.accounts.shared_services, PROMOTER_ROLE)


def operator_role_arn(config: OrgConfig, env: str) -> str:
    return role_arn(config.environment(env).account, OPERATOR_ROLE)
