"""The metric gates read a trained version's metrics from its registered evaluation report, with the gate's own
role: metric values written into the metadata by someone who skips `modelops train` count for nothing, and the
gates' readers may decrypt evaluation reports and no other object of the artifact bucket."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from typer.testing import CliRunner

import cli.main
from accounts.config import OrgConfig
from data_science.local_run import run_steps
from data_science.steps.train import Hyperparameters
from policies.iam.cloudformation.reader import load_deployment
from policies.iam.evaluate import evaluate
from policies.iam.model import Context, Effect, Request
from policies.proof.universe import Universe, build_universe
from promotion import registration
from promotion.aws import AwsContext
from promotion.evaluation import DataLineage
from promotion.sessions import assume_role
from tests.conftest import Synth
from tests.orgs import config_path
from tests.promotion_support import ARTIFACT_BUCKET, IMAGE, LocalAws
from tests.sandbox_fixtures import EmptyAws
from tests.untraced import untraced

CONFIG = config_path("two_env")
QA = "333333333333"
KEY = "arn:aws:kms:eu-west-1:111111111111:key/artifacts-key"
BUCKET_ARN = f"arn:aws:s3:::{ARTIFACT_BUCKET}"
READERS = ["modelops-promoter@shared-services", "modelops-verifier@shared-services"]


@pytest.fixture(scope="module")
def universe(config: OrgConfig, synth: Synth) -> Universe:
    with untraced():
        return build_universe(config, load_deployment(synth.outdir))


def decrypts(universe: Universe, who: str, context: str) -> bool:
    principal = next(p for p in universe.principals if p.id == who)
    resource = next(r for r in universe.resources if r.resource.arn == KEY)
    request = Request(
        principal.principal,
        "kms:Decrypt",
        resource.resource,
        Context(
            {
                "kms:ViaService": "s3.eu-west-1.amazonaws.com",
                "kms:ResourceAliases": ["alias/modelops-artifacts"],
                "kms:EncryptionContext:aws:s3:arn": context,
            }
        ),
    )
    return evaluate(request).effect is Effect.ALLOW


@pytest.mark.parametrize("reader", READERS)
def test_the_gates_readers_decrypt_evaluation_reports_and_no_model_artifact(universe: Universe, reader: str) -> None:
    report = f"{BUCKET_ARN}/artifacts/churn-model/train-1/evaluation.json"
    # A model artifact is stored with the bucket's S3 Bucket Key: its encryption context is the bucket.
    assert (decrypts(universe, reader, report), decrypts(universe, reader, BUCKET_ARN)) == (True, False)
    assert decrypts(universe, reader, f"{BUCKET_ARN}/artifacts/churn-model/train-1/model.tar.gz") is False


def test_metrics_forged_into_the_metadata_do_not_pass_the_gate(
    local_aws: LocalAws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone registers the weak model's report with hand-written metrics (the CLI would never: the attack
    skips it, as a direct CreateModelPackage would); the gate reads the report and refuses."""
    weak = run_steps(tmp_path / "run", Hyperparameters(features="symmetry error", c=0.01))
    forged = registration.Report(body=weak.evaluation.read_bytes(), metrics={"auc": 0.99, "false_positive_rate": 0.01})
    monkeypatch.setattr(registration, "read_report", lambda *args, **kwargs: forged)
    local_aws.act_as("data.scientist@example.com", account="222222222222", permission_set="DataScientist")
    arn = registration.register(
        AwsContext(local_aws.config), local_aws.config, model="churn-model",
        artifact=f"s3://{ARTIFACT_BUCKET}/artifacts/churn-model/forged/model.tar.gz", upload=weak.model_tar,
        image=IMAGE, source_commit="abcdef1", evaluation=weak.evaluation,
        data=DataLineage(location=weak.data.location, version=weak.data.version),
    )  # fmt: skip
    metadata = local_aws.sagemaker().describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"]
    assert (metadata["metric:auc"], metadata["metric:false_positive_rate"]) == ("0.99", "0.01")
    local_aws.set_status(arn, "Approved")
    local_aws.act_as("platform.engineer@example.com", account="111111111111")
    workloads = tmp_path / "workloads"
    workloads.mkdir()
    result = CliRunner().invoke(
        cli.main.app,
        ["--config", str(CONFIG), "--workloads", str(workloads), "promote", "churn-model", "--to", "qa",
         "--version", "1"],
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (
        1,
        "error: metric-threshold: churn-model v1: auc 0.5852 is below qa's minimum 0.8\n"
        "error: metric-threshold: churn-model v1: false_positive_rate 1 is above qa's maximum 0.2\n",
    )
    assert json.loads(weak.evaluation.read_text())["binary_classification_metrics"]["auc"]["value"] == 0.5852


def test_the_sandbox_gives_an_object_stored_without_the_bucket_key_its_own_encryption_context(
    empty_aws: EmptyAws,
) -> None:
    """S3 calls KMS for a read with the object's encryption context: the bucket's ARN under an S3 Bucket Key,
    the object's own ARN otherwise ("Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys", S3 user guide).
    A key grant conditioned on it reaches the one object and not its neighbour under the bucket key."""
    admin = empty_aws.session(QA)
    iam, kms, s3 = admin.client("iam"), admin.client("kms"), admin.client("s3")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket="modelops-contexts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_encryption(
        Bucket="modelops-contexts",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_object(Bucket="modelops-contexts", Key="run/model.tar.gz", Body=b"weights")
    s3.put_object(
        Bucket="modelops-contexts", Key="run/evaluation.json", Body=b"{}",
        ServerSideEncryption="aws:kms", SSEKMSKeyId=key, BucketKeyEnabled=False,
    )  # fmt: skip
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{QA}:root"}, "Action": "sts:AssumeRole"}
    iam.create_role(
        RoleName="reader", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [trust]})
    )
    statements = [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::modelops-contexts/*"},
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key,
            "Condition": {"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::modelops-contexts/*.json"}},
        },
    ]
    iam.put_role_policy(
        RoleName="reader",
        PolicyName="read",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    reader = assume_role(f"arn:aws:iam::{QA}:role/reader", session_name="r", base=admin, region="eu-west-1").client(
        "s3"
    )
    assert reader.get_object(Bucket="modelops-contexts", Key="run/evaluation.json")["Body"].read() == b"{}"
    with pytest.raises(ClientError) as raised:
        reader.get_object(Bucket="modelops-contexts", Key="run/model.tar.gz")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert "kms:Decrypt" in raised.value.response["Error"]["Message"]
