"""The sandbox organisation: every account of accounts.yaml in one local moto, set up as the README's
"Adapting it to your organisation" steps set up a real one.

1. Each account exists with `OrganizationAccountAccessRole`, the administrator role AWS Organizations
   creates in member accounts for the management account. The sandbox's management account is moto's
   default account; every other identity is reached from it through sts:AssumeRole.
2. Each account is bootstrapped as `cdk bootstrap` would (sandbox/cdk_bootstrap.py), with the README's
   options: workload accounts and shared services trust the deployment account.
3. IAM Identity Center's person roles exist (`AWSReservedSSO_<permission set>_<suffix>`); `person_session`
   signs a person in to one, with their email as the session name.
4. The account stacks (data science, deployment roles, shared services and each model's stack there) are
   deployed from the synthesized cloud assembly through CloudFormation, with the roles the pipeline uses:
   assets published by the CDK file-publishing role, the stack deployed by the CDK deploy role with the CDK
   cfn-exec role as CloudFormation's execution role.

Nothing here is a sandbox branch of production code: the deploys go through promotion/cfn_deploy.py and
every call reaches moto through the standard `AWS_ENDPOINT_URL`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from accounts import naming
from accounts.config import OrgConfig
from policies.cfn_execution import CFN_EXECUTION_POLICIES
from policies.permission_sets import PermissionSet, permission_sets
from promotion.cfn_deploy import StackArtifact, deploy_stack, publish_assets, stack_artifacts
from promotion.sessions import assume_role
from sandbox import cdk_bootstrap, identity_center
from sandbox.accounts import (  # re-exported: the management identity is the organisation's
    MANAGEMENT_ACCOUNT,  # noqa: F401
    MANAGEMENT_CREDENTIALS,
    ORGANIZATION_ACCESS_ROLE,
    create_member_account,
)
from sandbox.server import SandboxServer, start_server

Progress = Callable[[str], None]

SSO_SUFFIX = "5a4db0c5a4db0c00"  # Identity Center appends 16 random hex characters; the sandbox's are fixed
SESSION_NAME = "modelops-sandbox"
SSO_INLINE_POLICY = "AwsSSOInlinePolicy"  # the name Identity Center gives a permission set's inline policy

DATA_SCIENCE_STACK = "ModelOps-DataScience"
DEPLOYMENT_ROLES_STACK = "ModelOps-DeploymentRoles"
SHARED_SERVICES_STACK = naming.stack_path(naming.SHARED_SERVICES_STAGE, naming.SHARED_SERVICES_STACK_ID)
# Each model's package group and parameter: `ModelOps-SharedServices/Model-<model>`, after SHARED_SERVICES_STACK.
MODEL_STACK_PREFIX = naming.stack_path(naming.SHARED_SERVICES_STAGE, naming.MODEL_STACK_PREFIX)
# Each model's training pipeline: `ModelOps-Training-<model>`, after DATA_SCIENCE_STACK (whose role it runs as).
TRAINING_STACK_PREFIX = naming.TRAINING_STACK_PREFIX
# The permissions boundary the execution policies require on every role they create (`modelops-workload-boundary`).
WORKLOAD_BOUNDARY_POLICY_FILE = Path(__file__).resolve().parents[1] / "policies" / "workload-boundary-policy.json"


@contextmanager
def aws_endpoint(endpoint_url: str) -> Iterator[None]:
    """Point every AWS client created inside the block at `endpoint_url`, as `AWS_ENDPOINT_URL` does."""
    saved = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = saved


def management_session(config: OrgConfig) -> boto3.Session:
    """The sandbox's management-account identity, from which every account is reached."""
    return boto3.Session(
        aws_access_key_id=MANAGEMENT_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=MANAGEMENT_CREDENTIALS["aws_secret_access_key"],
        region_name=config.region,
    )


def account_admin_session(config: OrgConfig, account: str) -> boto3.Session:
    """Administrator credentials in `account`, through OrganizationAccountAccessRole."""
    return assume_role(
        naming.role_arn(account, ORGANIZATION_ACCESS_ROLE),
        session_name=SESSION_NAME,
        base=management_session(config),
        region=config.region,
    )


def cdk_role_session(
    config: OrgConfig, account: str, kind: str, *, admin: boto3.Session | None = None
) -> boto3.Session:
    """A CDK bootstrap role of `account` (deploy, file-publishing, ...), assumed from inside the account
    (from `admin`, that account's administrator session, when given)."""
    return assume_role(
        naming.cdk_role_arn(kind, account, config.region),
        session_name=SESSION_NAME,
        base=admin or account_admin_session(config, account),
        region=config.region,
    )


def all_accounts(config: OrgConfig) -> list[str]:
    """Every account of accounts.yaml: the three core accounts, then the chain's workload accounts."""
    core = [config.accounts.shared_services, config.accounts.data_science, config.accounts.deployment]
    return core + [env.account for env in config.environments]


def person_role_name(permission_set: str) -> str:
    """The sandbox's Identity Center role of `permission_set`, e.g. AWSReservedSSO_DataScientist_5a4db0c5a4db0c00."""
    return naming.sso_role_name(permission_set, SSO_SUFFIX)


def person_roles(config: OrgConfig) -> dict[str, list[PermissionSet]]:
    """Account -> the permission sets provisioned there (policies/permission_sets.py): the people the
    CLI starts from."""
    found: dict[str, list[PermissionSet]] = {}
    for permission_set in permission_sets(config):
        found.setdefault(permission_set.account, []).append(permission_set)
    return found


def person_session(config: OrgConfig, endpoint_url: str, *, account: str, role_name: str, email: str) -> boto3.Session:
    """Credentials of a person signed in through Identity Center: the role `role_name` in `account`, with the
    person's email as the session name (so CloudTrail and the approval record name the person) and as the
    `email` session tag (the attribute for access control the trust policies read).

    Identity Center signs people in with SAML (sandbox/identity_center.py plays it): the session is the
    one AssumeRoleWithSAML gives, judged by the role's trust policy.
    """
    with aws_endpoint(endpoint_url):
        return identity_center.sign_in(**_sign_in_request(account, role_name, email), region=config.region)


def person_credentials(
    region: str, endpoint_url: str, *, account: str, permission_set: str, email: str
) -> dict[str, Any]:
    """STS's Credentials of `email` signed in through Identity Center to `permission_set`'s role in `account`,
    as `person_session` signs in (what an AWS profile's `credential_process` hands botocore)."""
    with aws_endpoint(endpoint_url):
        return identity_center.sign_in_credentials(
            **_sign_in_request(account, person_role_name(permission_set), email), region=region
        )


def _sign_in_request(account: str, role_name: str, email: str) -> dict[str, Any]:
    return {
        "role_arn": f"arn:aws:iam::{account}:role{naming.SSO_ROLE_PATH}{role_name}",
        "provider_arn": saml_provider_arn(account),
        "email": email,
        "tags": {naming.PERSON_TAG: email},
    }


def saml_provider_arn(account: str) -> str:
    """The SAML provider Identity Center creates in `account` (its person roles trust it)."""
    return f"arn:aws:iam::{account}:saml-provider/{identity_center.provider_name(SSO_SUFFIX)}"


# -- set-up steps ---------------------------------------------------------------------------------------


def _create_role(iam: Any, name: str, trust: dict[str, Any], path: str = "/") -> None:
    try:
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=3600)
    except ClientError as error:
        if error.response["Error"]["Code"] != "EntityAlreadyExists":
            raise


def _execution_policies(config: OrgConfig, account: str, session: boto3.Session) -> list[str]:
    """The README's `--cloudformation-execution-policies` for `account`."""
    workload_accounts = {env.account for env in config.environments}
    if account not in workload_accounts or not all(path.exists() for path in CFN_EXECUTION_POLICIES.values()):
        return [cdk_bootstrap.ADMINISTRATOR_ACCESS]
    iam = session.client("iam")
    _create_managed_policy(iam, naming.WORKLOAD_BOUNDARY_POLICY, WORKLOAD_BOUNDARY_POLICY_FILE)
    for name, path in CFN_EXECUTION_POLICIES.items():
        _create_managed_policy(iam, name, path)
    return [f"arn:aws:iam::{account}:policy/{name}" for name in CFN_EXECUTION_POLICIES]


def _create_managed_policy(iam: Any, name: str, document: Path) -> None:
    """`aws iam create-policy` as the README's bootstrap step runs it; a second run leaves the policy as it is."""
    try:
        iam.create_policy(PolicyName=name, PolicyDocument=document.read_text())
    except ClientError as error:
        if error.response["Error"]["Code"] != "EntityAlreadyExists":
            raise


def _bootstrap_account(config: OrgConfig, account: str, session: boto3.Session, workdir: Path) -> None:
    """`cdk bootstrap aws://<account>/<region>` with the README's options, as the CDKToolkit stack."""
    deployment = config.accounts.deployment
    trusted = [] if account in (config.accounts.data_science, deployment) else [deployment]
    workload = account in {env.account for env in config.environments}
    template = cdk_bootstrap.bootstrap_template(
        account,
        config.region,
        trusted=trusted,
        trusted_for_lookup=[deployment] if workload else [],
        execution_policies=_execution_policies(config, account, session),
    )
    path = workdir / f"{cdk_bootstrap.TOOLKIT_STACK}-{account}.json"
    path.write_text(json.dumps(template, indent=1))
    deploy_stack(session, stack_name=cdk_bootstrap.TOOLKIT_STACK, template_path=path, cfn_exec_role_arn=None)


def _create_person_roles(admin: boto3.Session, account: str, provisioned: list[PermissionSet]) -> None:
    """The SAML provider and the roles Identity Center provisions for permission sets: SAML trust,
    Identity Center's path, and the permission set's inline policy (`AwsSSOInlinePolicy`), exactly the
    reviewed document of policies/rendered/permission-sets/."""
    iam = admin.client("iam")
    try:
        iam.create_saml_provider(
            Name=identity_center.provider_name(SSO_SUFFIX), SAMLMetadataDocument=identity_center.provider_metadata()
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": saml_provider_arn(account)},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                "Condition": {"StringEquals": {"SAML:aud": identity_center.SAML_AUDIENCE}},
            }
        ],
    }
    for permission_set in provisioned:
        name = person_role_name(permission_set.name)
        _create_role(iam, name, trust, path=naming.SSO_ROLE_PATH)
        iam.put_role_policy(
            RoleName=name, PolicyName=SSO_INLINE_POLICY, PolicyDocument=json.dumps(permission_set.document)
        )


def deploy_artifact(
    config: OrgConfig,
    artifact: StackArtifact,
    progress: Progress | None = None,
    *,
    admin: boto3.Session | None = None,
) -> None:
    """Deploy one stack as the pipeline does: publish its assets with the file-publishing role, then
    CloudFormation with the deploy role and the cfn-exec role."""
    admin = admin or account_admin_session(config, artifact.account)
    if artifact.assets_path is not None:
        publish_assets(cdk_role_session(config, artifact.account, "file-publishing", admin=admin), artifact.assets_path)
    deploy_stack(
        cdk_role_session(config, artifact.account, "deploy", admin=admin),
        stack_name=artifact.stack_name,
        template_path=artifact.template_path,
        cfn_exec_role_arn=artifact.cfn_exec_role_arn,
        template_url=artifact.template_url if artifact.assets_path is not None else None,
        progress=progress,
    )


def bootstrap_organization(
    config: OrgConfig, endpoint_url: str, *, cdk_out: Path | None = None, progress: Progress | None = None
) -> None:
    """Create every account, bootstrap it, provision the person roles, and deploy the account stacks
    (data science, deployment roles if the assembly has them, shared services, each model's) from `cdk_out`
    (synthesized from the shipped workloads when None)."""
    say = progress or (lambda _message: None)
    with aws_endpoint(endpoint_url), tempfile.TemporaryDirectory(prefix="modelops-sandbox-") as scratch:
        workdir = Path(scratch)
        for account in all_accounts(config):
            create_member_account(account)
        admins = {account: account_admin_session(config, account) for account in all_accounts(config)}
        for account, admin in admins.items():
            _bootstrap_account(config, account, admin, workdir)
        say(f"bootstrapped {len(admins)} accounts")
        for account, provisioned in person_roles(config).items():
            _create_person_roles(admins[account], account, provisioned)
        assembly = cdk_out if cdk_out is not None else synthesize(config, workdir / "app")
        artifacts = stack_artifacts(assembly)
        models = sorted(name for name in artifacts if name.startswith(MODEL_STACK_PREFIX))
        training = sorted(name for name in artifacts if name.startswith(TRAINING_STACK_PREFIX))
        for name in (DATA_SCIENCE_STACK, *training, DEPLOYMENT_ROLES_STACK, SHARED_SERVICES_STACK, *models):
            if name in artifacts:
                deploy_artifact(config, artifacts[name], progress, admin=admins[artifacts[name].account])
                say(f"deployed {name}")


def synthesize(config: OrgConfig, workdir: Path, workloads_root: Path | None = None) -> Path:
    """Synthesize the CDK app into `workdir/cdk.out` and return that path; nothing else is written."""
    from deployment.cdk_app import synthesize as synthesize_app  # jsii starts Node on import: only here
    from workloads.manifest import WORKLOADS_ROOT

    return synthesize_app(config, workloads_root or WORKLOADS_ROOT, workdir / "cdk.out")


@dataclass
class Sandbox:
    """A running sandbox organisation."""

    server: SandboxServer
    config: OrgConfig
    cdk_out: Path
    progress: Progress | None = field(default=None, repr=False)
    scratch: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)
    owns_server: bool = True

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    @property
    def environ(self) -> dict[str, str]:
        """What a shell or a process needs to act as the sandbox's management identity."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": MANAGEMENT_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": MANAGEMENT_CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": self.config.region,
        }

    def is_set_up(self) -> bool:
        """Whether the organisation is in place (moto's state is per process; any reset clears it)."""
        with aws_endpoint(self.endpoint_url):
            try:  # after a reset the member account's access role is gone too: AssumeRole is refused
                cfn = account_admin_session(self.config, self.config.accounts.shared_services).client("cloudformation")
                stacks = cfn.describe_stacks(StackName=cdk_bootstrap.TOOLKIT_STACK)["Stacks"]
            except ClientError:
                return False
        return bool(stacks) and stacks[0]["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")

    def reset(self) -> None:
        """Forget everything, then set the organisation up again (accounts, bootstrap, account stacks)."""
        self.server.reset()
        bootstrap_organization(self.config, self.endpoint_url, cdk_out=self.cdk_out, progress=self.progress)

    def stop(self) -> None:
        """Stop the server (unless it was handed in) and remove the synthesized assembly it made."""
        if self.owns_server:
            self.server.stop()
        if self.scratch is not None:
            self.scratch.cleanup()


def start_sandbox(
    config: OrgConfig,
    *,
    port: int = 0,
    cdk_out: Path | None = None,
    progress: Progress | None = None,
    server: SandboxServer | None = None,
) -> Sandbox:
    """Start moto in-process (or use `server`) and set the organisation up in it from `cdk_out`
    (synthesized from the shipped workloads when None, once: `reset()` reuses it)."""
    scratch = None
    if cdk_out is None:
        scratch = tempfile.TemporaryDirectory(prefix="modelops-sandbox-app-")
        cdk_out = synthesize(config, Path(scratch.name))
    owns_server = server is None
    server = server or start_server(port)
    if progress is not None:
        progress(f"sandbox listening on {server.endpoint_url}")
    try:
        bootstrap_organization(config, server.endpoint_url, cdk_out=cdk_out, progress=progress)
    except BaseException:
        if owns_server:
            server.stop()
        if scratch is not None:
            scratch.cleanup()
        raise
    return Sandbox(
        server=server, config=config, cdk_out=cdk_out, progress=progress, scratch=scratch, owns_server=owns_server
    )
