"""The example batch-inference job, in the sandbox organisation: after qa's deploy, the qa deploy job runs a
transform of the version live in qa, read from the workload account's own parameter as `modelops-batch-qa`,
and asks prod's approvers to promote it with the job's figures.

The version is a real scikit-learn model (tests/batch_support.py) registered, approved, promoted and deployed
to qa once (module fixture); the sandbox runs the transform as SageMaker's scikit-learn container would
(sandbox/moto_compat/transform.py)."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from accounts import naming
from accounts.config import OrgConfig
from promotion.aws import AwsContext
from promotion.batch_events import BATCH_INFERENCE_COMPLETED
from promotion.batch_inference import batch_inference
from promotion.ledger import Ledger
from sandbox.images import push_image
from sandbox.lambda_runner import LambdaRunner
from sandbox.moto_compat.sns import email_deliveries
from sandbox.organization import Sandbox, account_admin_session
from tests.batch_support import csv_rows, predictions, sklearn_artifact
from tests.orgs import workloads_root
from tests.promotion_support import QA_APPROVER
from tests.sandbox_fixtures import approval_api_served
from tests.test_post_deploy_step import (
    IMAGE,
    LIVE_PARAMETER,
    PIPELINE_SESSION,
    SHARED,
    act_as_person,
    act_as_pipeline,
    modelops,
)

QA, PROD, REGION = "444444444444", "555555555555", "eu-west-1"
BUCKET = f"modelops-batch-{QA}-{REGION}"
NOTIFY = naming.approval_function_name("notify")
ROWS = 7


@dataclass
class QaLive:
    """A real scikit-learn version, live in qa."""

    workloads: Path
    arn: str
    version: int


@pytest.fixture(scope="module")
def qa_live(sandbox_organization: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[QaLive]:
    sandbox = sandbox_organization
    with pytest.MonkeyPatch.context() as monkeypatch, ExitStack() as stack:
        if not sandbox.is_set_up():
            sandbox.reset()
        monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.endpoint_url)
        stack.enter_context(approval_api_served(sandbox, monkeypatch))
        monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        workloads = tmp_path_factory.mktemp("batch") / "workloads"
        shutil.copytree(workloads_root("two_env"), workloads)
        artifact = workloads.parent / "model.tar.gz"
        artifact.write_bytes(sklearn_artifact())
        push_image(account_admin_session(sandbox.config, SHARED), IMAGE)
        act_as_person(monkeypatch, sandbox, "222222222222", naming.DATA_SCIENTIST_PERMISSION_SET, "ds@example.com")
        registered = modelops(
            workloads, "register", "churn-model",
            "--artifact", f"s3://modelops-artifacts-{SHARED}-{REGION}/artifacts/churn-model/batch-{uuid.uuid4().hex}/model.tar.gz",
            "--upload", str(artifact), "--image", IMAGE,
            "--metric", "auc=0.99", "--metric", "false_positive_rate=0.02", "--source-commit", "abcdef1",
        )  # fmt: skip
        assert registered.exit_code == 0, registered.output
        arn = registered.stdout.strip()
        act_as_person(monkeypatch, sandbox, SHARED, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
        approved = modelops(workloads, "approve", "churn-model", arn.rsplit("/", 1)[1], "--reason", "holds")
        assert approved.exit_code == 0, approved.output
        act_as_person(monkeypatch, sandbox, SHARED, naming.PLATFORM_PERMISSION_SET, "platform.engineer@example.com")
        promoted = modelops(workloads, "promote", "churn-model", "--to", "qa", "--arn", arn)
        assert promoted.exit_code == 0, promoted.output
        act_as_pipeline(monkeypatch, sandbox.config, "qa")
        deployed = modelops(workloads, "deploy", "qa")
        assert deployed.exit_code == 0, deployed.output
        with LambdaRunner(sandbox.config, sandbox.endpoint_url) as runner:
            runner.pending(NOTIFY)  # the deploy's own request to prod's approvers is not this module's
        yield QaLive(workloads, arn, int(arn.rsplit("/", 1)[1]))


@pytest.fixture
def qa_job(qa_live: QaLive, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> QaLive:
    """The sandbox with the qa deploy job's credentials as the ambient ones (it assumes the batch role)."""
    act_as_pipeline(monkeypatch, sandbox.config, "qa")
    return qa_live


def batch_session(config: OrgConfig) -> boto3.Session:
    """`modelops-batch-qa`, assumed from the ambient qa deploy job, as the command assumes it."""
    return AwsContext(config).assume(naming.batch_role_arn(config, "qa"))


def test_the_job_runs_the_live_version_and_asks_the_next_approvers_with_its_figures(
    qa_job: QaLive, sandbox: Sandbox, tmp_path: Path
) -> None:
    source = tmp_path / "customers.csv"
    source.write_bytes(csv_rows(200, ROWS))

    result = modelops(qa_job.workloads, "batch-inference", "churn-model", "--env", "qa", "--input", str(source))

    assert result.exit_code == 0, result.output
    job = re.fullmatch(r".*transform job (modelops-churn-model-\d{14}) Completed", result.stdout.splitlines()[0])
    assert job is not None, result.stdout
    name = job.group(1)
    output = f"s3://{BUCKET}/churn-model/output/{name}/"
    with LambdaRunner(sandbox.config, sandbox.endpoint_url) as runner:
        [event] = runner.pending(NOTIFY)
        published = runner.invoke(NOTIFY, event).result
    seconds = event["detail"]["batch"]["seconds"]
    assert result.stdout.splitlines() == [
        f"batch inference of churn-model in qa (account {QA}): transform job {name} Completed",
        f"  ran churn-model v{qa_job.version} ({qa_job.arn}), live in qa, in {seconds:g} s",
        f"  input: {ROWS} records in 1 object(s)",
        f"  output: {ROWS} records in 1 object(s) at {output}",
        f"  asked the approvers of prod to review churn-model v{qa_job.version} (event {event['id']})",
    ]
    # The answers are the model's own, one per row, encrypted with qa's endpoint key.
    s3 = batch_session(sandbox.config).client("s3")
    answers = s3.get_object(Bucket=BUCKET, Key=f"churn-model/output/{name}/customers.csv.out")
    assert answers["Body"].read() == predictions(200, ROWS)
    assert answers["ServerSideEncryption"] == "aws:kms"
    # prod's approvers are asked, each in one email, with the job's figures.
    assert (event["detail-type"], event["source"], event["account"]) == (
        BATCH_INFERENCE_COMPLETED,
        "modelops.pipeline",
        SHARED,
    )
    assert {key: value for key, value in event["detail"]["batch"].items() if key not in ("started", "ended")} == {
        "job": name,
        "status": "Completed",
        "seconds": seconds,
        "objects_in": 1,
        "records_in": ROWS,
        "objects_out": 1,
        "records_out": ROWS,
    }
    assert published == {"published": 2, "env": "prod"}
    emails = [delivery for delivery in email_deliveries(SHARED, REGION) if f"Transform job: {name}" in delivery.message]
    assert sorted(email.endpoint for email in emails) == ["prod.approver@example.com", "risk.officer@example.com"]
    batch = event["detail"]["batch"]
    assert (
        "It is live in qa, and a batch-inference job of it there completed:\n"
        f"  Transform job: {name}\n"
        "  Status: Completed\n"
        f"  Ran: {batch['started']} to {batch['ended']} ({seconds:g} s)\n"
        f"  Input: {ROWS} records in 1 object(s)\n"
        f"  Output: {ROWS} records in 1 object(s)\n"
    ) in emails[0].message


def test_the_job_reads_the_live_record_as_the_workload_accounts_batch_role(
    qa_job: QaLive, sandbox: Sandbox, tmp_path: Path
) -> None:
    readers: list[boto3.Session] = []

    def watch(session: boto3.Session) -> None:
        session.events.register("before-call.ssm.GetParameter", lambda **_: readers.append(session))

    source = tmp_path / "few.csv"
    source.write_bytes(csv_rows(0, 2))
    batch_inference(AwsContext(sandbox.config, on_session=watch), sandbox.config, "churn-model", "qa", str(source))

    [reader] = readers
    identity = reader.client("sts").get_caller_identity()["Arn"]
    assert identity.startswith(f"arn:aws:sts::{QA}:assumed-role/modelops-batch-qa/")


def test_without_a_live_record_in_the_environment_the_job_is_refused(
    qa_job: QaLive, sandbox: Sandbox, tmp_path: Path
) -> None:
    admin = account_admin_session(sandbox.config, QA).client("ssm")
    admin.delete_parameter(Name=LIVE_PARAMETER)
    source = tmp_path / "few.csv"
    source.write_bytes(csv_rows(0, 2))
    try:
        result = modelops(qa_job.workloads, "batch-inference", "churn-model", "--env", "qa", "--input", str(source))
    finally:
        admin.put_parameter(Name=LIVE_PARAMETER, Value=qa_job.arn, Type="String")

    assert (result.exit_code, result.stderr) == (
        1,
        "error: batch-inference: churn-model has no live version in qa (nothing deployed)\n",
    )


def test_an_input_outside_the_models_input_prefix_is_an_input_error(qa_job: QaLive) -> None:
    elsewhere = f"s3://{BUCKET}/other-model/input/x.csv"

    result = modelops(qa_job.workloads, "batch-inference", "churn-model", "--env", "qa", "--input", elsewhere)

    assert (result.exit_code, result.stderr) == (
        2,
        f"error: --input {elsewhere}: expected a location under s3://{BUCKET}/churn-model/input/ "
        "(the batch bucket of qa)\n",
    )


def _refused(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def test_the_batch_role_reads_no_other_accounts_parameters_and_passes_no_role(qa_job: QaLive, sandbox: Sandbox) -> None:
    session = batch_session(sandbox.config)
    ssm, sagemaker = session.client("ssm"), session.client("sagemaker")
    caller = f"arn:aws:sts::{QA}:assumed-role/modelops-batch-qa/{PIPELINE_SESSION}"
    prod_parameter = naming.ssm_parameter_arn(REGION, PROD, LIVE_PARAMETER)
    shared_live = naming.ssm_parameter_arn(REGION, SHARED, naming.live_record_parameter("churn-model", "qa"))
    own = naming.ssm_parameter_arn(REGION, QA, LIVE_PARAMETER)
    execution_role = naming.execution_role_arn(sandbox.config, "qa", "churn-model")
    no_identity = "because no identity-based policy allows the {} action"

    for parameter in (prod_parameter, shared_live):
        assert _refused(lambda name=parameter: ssm.get_parameter(Name=name)) == (
            "AccessDeniedException",
            f"User: {caller} is not authorized to perform: ssm:GetParameter on resource: {parameter} "
            + no_identity.format("ssm:GetParameter"),
        )
    assert _refused(lambda: ssm.put_parameter(Name=LIVE_PARAMETER, Value="x", Overwrite=True)) == (
        "AccessDeniedException",
        f"User: {caller} is not authorized to perform: ssm:PutParameter on resource: {own} "
        + no_identity.format("ssm:PutParameter"),
    )
    # No role passes: a model of its own, with the endpoint's execution role, is refused.
    model = f"arn:aws:sagemaker:{REGION}:{QA}:model/stolen"
    assert _refused(
        lambda: sagemaker.create_model(
            ModelName="stolen", ExecutionRoleArn=execution_role, PrimaryContainer={"ModelPackageName": qa_job.arn}
        )
    ) == (
        "AccessDeniedException",
        f"User: {caller} is not authorized to perform: sagemaker:CreateModel on resource: {model} "
        + no_identity.format("sagemaker:CreateModel"),
    )


def test_the_batch_role_runs_no_transform_whose_output_is_not_under_the_environments_key(
    qa_job: QaLive, sandbox: Sandbox
) -> None:
    sagemaker = batch_session(sandbox.config).client("sagemaker")
    caller = f"arn:aws:sts::{QA}:assumed-role/modelops-batch-qa/{PIPELINE_SESSION}"
    job = "modelops-churn-model-19990101000000"

    refused = _refused(
        lambda: sagemaker.create_transform_job(
            TransformJobName=job,
            ModelName="any",
            TransformInput={
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/churn-model/input/"}}
            },
            TransformOutput={"S3OutputPath": f"s3://{BUCKET}/churn-model/output/{job}/"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )
    )

    assert refused == (
        "AccessDeniedException",
        f"User: {caller} is not authorized to perform: sagemaker:CreateTransformJob on resource: "
        f"arn:aws:sagemaker:{REGION}:{QA}:transform-job/{job} because no identity-based policy allows the "
        "sagemaker:CreateTransformJob action",
    )


def test_a_batch_event_for_a_version_not_live_there_asks_nobody(qa_job: QaLive, sandbox: Sandbox) -> None:
    """The notify function trusts no event: a batch-inference event naming a version that is not the latest
    deploy record of qa (here, one never deployed) is refused, as a forged deploy-verified event is."""
    forged = qa_job.arn.rsplit("/", 1)[0] + "/99"
    figures = {"job": "modelops-churn-model-1", "status": "Completed", "started": "x", "ended": "y", "seconds": 1}
    event = {
        "version": "0",
        "id": "forged-1",
        "detail-type": BATCH_INFERENCE_COMPLETED,
        "source": "modelops.pipeline",
        "account": SHARED,
        "time": "2026-12-05T10:00:00Z",
        "region": REGION,
        "resources": [forged],
        "detail": {
            "model": "churn-model",
            "env": "qa",
            "arn": forged,
            "batch": {**figures, "objects_in": 1, "records_in": 1, "objects_out": 1, "records_out": 1},
        },
    }

    ledger = Ledger(account_admin_session(sandbox.config, SHARED).client("dynamodb"), "churn-model")
    latest = ledger.last("churn-model/deploys/qa")
    assert latest is not None

    with LambdaRunner(sandbox.config, sandbox.endpoint_url) as runner:
        result = runner.invoke(NOTIFY, event).result

    assert result == {
        "published": 0,
        "refused": f"the latest record of churn-model/deploys/qa (record {latest.seq}) is deployed {qa_job.arn}, "
        f"not {forged}",
    }


def test_a_transform_that_fails_is_reported_with_its_reason_and_asks_nobody(
    qa_job: QaLive, sandbox: Sandbox, tmp_path: Path
) -> None:
    with LambdaRunner(sandbox.config, sandbox.endpoint_url) as runner:
        runner.pending(NOTIFY)  # what earlier tests' jobs asked
    source = tmp_path / "short.csv"
    source.write_text("1.0,2.0,3.0\n")

    result = modelops(qa_job.workloads, "batch-inference", "churn-model", "--env", "qa", "--input", str(source))

    job = re.search(r"modelops-churn-model-\d{14}", result.stderr)
    assert job is not None, result.output
    name = job.group(0)
    uri = f"s3://{BUCKET}/churn-model/input/{name}/short.csv"
    # The progress lines come first on stderr; the error is the last line.
    assert (result.exit_code, result.stderr[result.stderr.index("error: ") :]) == (
        1,
        f"error: batch-inference: transform job {name} of churn-model in qa is Failed: ClientError: {uri}: "
        "ValueError: X has 3 features, but StandardScaler is expecting 30 features as input.; "
        "nobody was asked to review\n",
    )
    with LambdaRunner(sandbox.config, sandbox.endpoint_url) as runner:
        assert runner.pending(NOTIFY) == []


def test_an_input_already_under_the_models_prefix_is_read_where_it_is(qa_job: QaLive, sandbox: Sandbox) -> None:
    s3 = batch_session(sandbox.config).client("s3")
    s3.put_object(Bucket=BUCKET, Key="churn-model/input/daily/2026-12-05.csv", Body=csv_rows(300, 4))
    s3.put_object(Bucket=BUCKET, Key="churn-model/input/daily/2026-12-06.csv", Body=csv_rows(310, 2))
    with LambdaRunner(sandbox.config, sandbox.endpoint_url) as runner:
        runner.pending(NOTIFY)  # what earlier tests' jobs asked
    daily = f"s3://{BUCKET}/churn-model/input/daily/"

    result = modelops(qa_job.workloads, "batch-inference", "churn-model", "--env", "qa", "--input", daily)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2] == "  input: 6 records in 2 object(s)"
    name = re.search(r"modelops-churn-model-\d{14}", lines[0])
    assert name is not None
    output = f"churn-model/output/{name.group(0)}/"
    assert lines[3] == f"  output: 6 records in 2 object(s) at s3://{BUCKET}/{output}"
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=output)["Contents"]
    assert [item["Key"].removeprefix(output) for item in listed] == ["2026-12-05.csv.out", "2026-12-06.csv.out"]
    answer = s3.get_object(Bucket=BUCKET, Key=f"{output}2026-12-06.csv.out")["Body"].read()
    assert answer == predictions(310, 2)
