"""Fixtures and helpers for the promotion engine and CLI tests: a local AWS with the registry groups.

The registry lives in moto (with the sandbox's compatibility patches); every test starts from a reset
server. People act with credentials STS gives an Identity Center role whose session name is their email,
exactly as the CLI sees them in real AWS.
"""

from __future__ import annotations

import functools
import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from accounts import naming
from accounts.config import OrgConfig
from promotion.aws import new_session
from promotion.content import Content, pin_image, record_artifact, split_s3_uri, upload_artifact
from promotion.ledger import HistoryAction, HistoryRecord, Ledger, LedgerRecord, merged
from promotion.live_records import LiveRecords
from promotion.manifest_writer import render_pin, take_snapshot, write_pin
from promotion.metadata import OUTCOME, approval_key, decision_keys
from promotion.registry import describe_package
from sandbox.authorization.gate import GATES
from sandbox.images import push_image
from sandbox.server import SandboxServer
from tests.orgs import workloads_root

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sts import STSClient

HISTORY_FIELDS = ("who", "when", "action", "reason", "arn", "account", "env")
QA_APPROVER = "qa.approver@example.com"
PROD_APPROVER = "prod.approver@example.com"
PLATFORM_ENGINEER = "platform.engineer@example.com"
RISK_OFFICER = "risk.officer@example.com"  # the second member of ml-risk-prod, whose quorum is two
DATA_SCIENTIST = "data.scientist@example.com"
MODEL = "churn-model"
ARTIFACT_BUCKET = "modelops-artifacts-111111111111-eu-west-1"
ARTIFACT = "s3://" + ARTIFACT_BUCKET + "/artifacts/{model}/v{n}/model.tar.gz"
# The stack's repository (shared_services/images.py), whose policy is the only one letting data science resolve tags.
IMAGE_REPOSITORY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models"
IMAGE = f"{IMAGE_REPOSITORY}:churn-model-1.0"
CARD = '{"intended_uses": {"purpose_of_model": "churn"}}'


@dataclass
class LocalAws:
    """The reset local AWS of one test, and the organisation in it."""

    server: SandboxServer
    config: OrgConfig
    monkeypatch: pytest.MonkeyPatch
    _admins: dict[str, boto3.Session] = field(default_factory=dict)

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    def admin(self, account: str) -> boto3.Session:
        """Set-up credentials inside `account` (what a platform bootstrap would use)."""
        if account not in self._admins:
            self._admins[account] = person_session(
                self.endpoint_url, account=account, role="modelops-test-admin", email="admin@example.com"
            )
        return self._admins[account]

    def act_as(self, email: str, *, account: str | None = None, permission_set: str = "ModelOpsPlatform") -> None:
        """Make `email`, signed in through Identity Center, the ambient identity of boto3 (and the CLI)."""
        session = person_session(
            self.endpoint_url,
            account=account or self.config.accounts.shared_services,
            role=f"AWSReservedSSO_{permission_set}_0123456789abcdef",
            email=email,
        )
        credentials = session.get_credentials()
        assert credentials is not None
        frozen = credentials.get_frozen_credentials()
        self.monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(frozen.access_key))
        self.monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(frozen.secret_key))
        self.monkeypatch.setenv("AWS_SESSION_TOKEN", str(frozen.token))

    # -- the registry, as the data-science role and the approver role leave it -----------------------

    def sagemaker(self) -> SageMakerClient:
        return self.admin(self.config.accounts.shared_services).client("sagemaker", region_name=self.config.region)

    def register(
        self,
        *,
        auc: float = 0.9,
        fpr: float = 0.05,
        card: bool = True,
        model: str = MODEL,
        n: int = 1,
        person: str = DATA_SCIENTIST,
    ) -> str:
        """Register a version the way `modelops register` does: as the data scientist, via the data-science
        account (the registry records the session as CreatedBy), after uploading its artifact create-only, with
        the content record (artifact version and SHA-256, image by digest)."""
        data_science = self.data_scientist(person)
        client = data_science.client("sagemaker", region_name=self.config.region)
        artifact = ARTIFACT.format(model=model, n=n)
        content = self.upload(artifact, f"{model} v{n} weights".encode())
        arguments: dict[str, Any] = {
            "ModelPackageGroupName": naming.model_package_group_arn(self.config, model),
            "ModelPackageDescription": f"{model} candidate",
            "InferenceSpecification": {
                "Containers": [{"Image": content.image, "ModelDataUrl": artifact}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "ModelApprovalStatus": "PendingManualApproval",
            "MetadataProperties": {"CommitId": "0123456789abcdef0123456789abcdef01234567"},
            "CustomerMetadataProperties": {
                "metric:auc": str(auc),
                "metric:false_positive_rate": str(fpr),
                **content.metadata(),
            },
        }
        if card:
            arguments["ModelCard"] = {"ModelCardContent": CARD, "ModelCardStatus": "Draft"}  # as registration does
        return str(client.create_model_package(**arguments)["ModelPackageArn"])

    def upload(self, artifact: str, body: bytes) -> Content:
        """Put `body` at `artifact` as the data scientist, create-only, and read back what registration
        records (the content of promotion.content)."""
        s3 = self.data_scientist().client("s3", region_name=self.config.region)
        upload_artifact(s3, artifact, body)
        version, sha256, _etag = record_artifact(s3, artifact)
        image = pin_image(self.data_scientist().client("ecr", region_name=self.config.region), IMAGE)
        return Content(artifact=artifact, artifact_version=version, artifact_sha256=sha256, image=image)

    def pin(self, workloads: Path, env: str, arn: str) -> None:
        """Pin `arn` with its registered content in `workloads/<env>/<model>.yaml`, as `promote` writes it."""
        package = describe_package(self.sagemaker(), arn)
        assert package is not None
        assert package.content is not None
        path = workloads / env / f"{package.group}.yaml"
        snapshot, _ = take_snapshot(path, self.config, env=env, model=package.group)
        text = render_pin(snapshot, arn, self.config, package.content.manifest_fields())
        write_pin(snapshot, text, display=str(path))

    def replace_artifact(self, artifact: str, body: bytes = b"attacker's weights") -> str:
        """The attack: a plain PutObject over an existing artifact (moto does not evaluate the bucket policy
        that refuses it in AWS); returns the new current version id."""
        bucket, key = split_s3_uri(artifact)
        s3 = self.data_scientist().client("s3", region_name=self.config.region)
        return str(s3.put_object(Bucket=bucket, Key=key, Body=body)["VersionId"])

    def data_scientist(self, email: str = DATA_SCIENTIST) -> boto3.Session:
        """`email`'s session in the data-science account, with their email as source identity."""
        if email not in self._admins:
            self._admins[email] = person_session(
                self.endpoint_url,
                account=self.config.accounts.data_science,
                role="modelops-test-admin",
                email=email,
                source_identity=email,
            )
        return self._admins[email]

    def set_status(self, arn: str, status: str, description: str = "") -> None:
        """The registry's approval status alone; `Approved` also records an approval for every environment."""
        client = self.admin(self.config.accounts.shared_services).client("sagemaker", region_name=self.config.region)
        client.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus=status,  # type: ignore[arg-type]
            ApprovalDescription=description or f"{QA_APPROVER}: test",
        )
        if status == "Approved":
            self.record_decisions(arn, "Approved", tuple(self.config.chain))

    def approved(self, *, envs: tuple[str, ...] | None = None, **kwargs: object) -> str:
        """A registered version approved, as the decision function records it, for `envs` (default: all)."""
        arn = self.register(**kwargs)  # type: ignore[arg-type]
        self.set_status(arn, "Approved")
        if envs is not None:  # only these: take back the others
            remove = [key for env in self.config.chain if env not in envs for key in decision_keys(self.config, env)]
            self.sagemaker().update_model_package(ModelPackageArn=arn, CustomerMetadataPropertiesToRemove=remove)
        return arn

    def record_decisions(self, arn: str, status: str, envs: tuple[str, ...]) -> None:
        """The per-environment decision metadata `decide` writes, by a member of each environment's group."""
        metadata: dict[str, str] = {}
        for env in envs:
            # A reject by one member; an approval by as many distinct members as the environment requires.
            count = self.config.environment(env).approvals_required if status == "Approved" else 1
            metadata[approval_key(env, OUTCOME)] = status
            for number, approver in enumerate(self.config.approvers(env).members[:count], start=1):
                metadata[approval_key(env, str(number))] = f"{status} {approver} 2026-01-01T00:00:00Z"
        if metadata:
            self.sagemaker().update_model_package(ModelPackageArn=arn, CustomerMetadataProperties=metadata)

    def ledger(self, model: str = MODEL) -> Ledger:
        """The model's ledger, read and written with set-up credentials."""
        client = self.admin(self.config.accounts.shared_services).client("dynamodb", region_name=self.config.region)
        return Ledger(client, model)

    def mark_deployed(self, model: str, env: str, arn: str) -> None:
        """What a successful `modelops deploy` records in shared services: the deploy record, the live record."""
        ssm = self.admin(self.config.accounts.shared_services).client("ssm", region_name=self.config.region)
        self.ledger(model).append(
            naming.deploys_stream(model, env),
            HistoryRecord(
                who="ci",
                when="2026-01-01T00:00:00Z",
                action=HistoryAction.DEPLOYED,
                reason="test",
                arn=arn,
                account=self.config.environment(env).account,
                env=env,
            ),
        )
        LiveRecords(ssm).put(model, env, arn)

    def history_values(self, model: str = MODEL) -> list[str]:
        """The writer's fields (who, when, action, reason, arn, account, env) of every record but the
        registrations, by time, as sorted compact JSON."""
        streams = [s for s in naming.ledger_streams(self.config, model) if s != naming.registrations_stream(model)]
        records = merged(self.ledger(model).read_streams(streams))
        return [json.dumps({k: r.as_dict()[k] for k in HISTORY_FIELDS}, sort_keys=True) for r in records]

    def decision_records(self, model: str = MODEL) -> list[LedgerRecord]:
        """The model's decisions stream, oldest first."""
        return self.ledger(model).read(naming.decisions_stream(model))


@functools.cache
def _signing_in(endpoint_url: str) -> STSClient:
    """The STS client people sign in through. Its keys are fixed and stored nowhere in moto, so a reset
    leaves it valid; one per server saves a session and a client per sign-in."""
    base = new_session(
        region="eu-west-1",
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    return base.client("sts", endpoint_url=endpoint_url)


def person_session(
    endpoint_url: str, *, account: str, role: str, email: str, source_identity: str | None = None
) -> boto3.Session:
    """Credentials of `email` signed in to `role` in `account` (STS AssumeRole, session name = email)."""
    sts = _signing_in(endpoint_url)
    arn = naming.role_arn(account, role)
    credentials = (
        sts.assume_role(RoleArn=arn, RoleSessionName=email, SourceIdentity=source_identity)
        if source_identity
        else sts.assume_role(RoleArn=arn, RoleSessionName=email)
    )["Credentials"]
    return new_session(
        region="eu-west-1",
        access_key=credentials["AccessKeyId"],
        secret_key=credentials["SecretAccessKey"],
        token=credentials["SessionToken"],
    )


def create_ledger_table(client: Any) -> None:
    """The ledger's table as shared_services/ledger.py declares it (keys and billing; the rest is AWS's)."""
    client.create_table(
        TableName=naming.LEDGER_TABLE,
        KeySchema=[{"AttributeName": "stream", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "stream", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def local_aws(sandbox_server: SandboxServer, config: OrgConfig, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalAws]:
    """A reset local AWS holding the registry's groups; boto3 reaches it through AWS_ENDPOINT_URL.

    It shares the session's sandbox server (moto's state is per process): a later `sandbox` test sets
    the organisation up again. It holds none of the organisation's roles (people and the CLI sign in to
    roles that do not exist), so the sandbox's IAM runs in audit mode for it: it judges and counts
    every request without refusing it. Tests of who may do what use the `sandbox` fixture instead.
    """
    # One log line per request is noise in a failing test's captured log, and costs time.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    saved = {gate: gate.enforcing for gate in GATES}
    for gate in GATES:
        gate.enforcing = False
    local_server = sandbox_server
    local_server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_server.endpoint_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", config.region)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    aws = LocalAws(local_server, config, monkeypatch)
    shared = aws.admin(config.accounts.shared_services).client("sagemaker", region_name=config.region)
    for model in config.models:
        shared.create_model_package_group(ModelPackageGroupName=model.name)
    admin = aws.admin(config.accounts.shared_services)
    s3 = admin.client("s3", region_name=config.region)
    s3.create_bucket(Bucket=ARTIFACT_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket=ARTIFACT_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    push_image(admin, IMAGE)
    create_ledger_table(admin.client("dynamodb", region_name=config.region))
    aws.act_as(PLATFORM_ENGINEER)
    yield aws
    for gate in GATES:
        gate.enforcing = saved[gate]


@pytest.fixture
def workloads(tmp_path: Path) -> Path:
    """A copy of the two_env test organisation's manifests (the `config` fixture's), for tests that write them."""
    root = tmp_path / "workloads"
    shutil.copytree(workloads_root("two_env"), root)
    return root
