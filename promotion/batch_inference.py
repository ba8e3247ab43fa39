"""The example batch-inference job of a workload account (`modelops batch-inference MODEL --env ENV --input ...`).

1. As `modelops-batch-<env>` (workloads/batch.py), read the live record of MODEL in the account's own
   Parameter Store: the version that passed every gate of the environment and its smoke test.
2. Find the SageMaker Model the endpoint serves (endpoint -> config -> model), and require that it runs that
   ARN; stage the input (a local CSV file is uploaded under `<model>/input/<job>/`), and run a transform job
   of the model: CSV lines in, `<input key>.out` predictions out under `<model>/output/<job>/`, encrypted
   with the environment's endpoint key.
3. Wait for the job; when it completed, count the objects and records in and out, and ask the next
   environment's approvers to promote the version, with those figures (promotion/batch_events.py), as the
   promoter. After the last environment nobody is asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from accounts import naming
from accounts.validation import InputError
from promotion.aws import AwsContext, calling
from promotion.batch_events import BatchFigures, notify_batch_completed
from promotion.deploy_roles import CallingClient, EnvironmentRoles, Progress
from promotion.endpoints import read_endpoint
from promotion.errors import CheckFailed
from promotion.events import NotifyFailed

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from accounts.config import OrgConfig

COMMAND = "batch-inference"
INSTANCE_TYPE = "ml.m5.large"
TERMINAL = ("Completed", "Failed", "Stopped")
POLL_SECONDS = 30.0
# A transform job's own limit is MaxRuntimeInSeconds per invocation; the command waits at most this long.
DEFAULT_TIMEOUT_SECONDS = 3600.0


@dataclass(frozen=True)
class BatchResult:
    """A completed job: what ran, its figures, and whom it asked next (None after the last environment)."""

    model: str
    env: str
    arn: str
    output: str
    figures: BatchFigures
    next_env: str | None
    review_event: str | None


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3_uri(value: str) -> S3Location | None:
    """`s3://bucket/key` as its parts, or None for anything else."""
    if not value.startswith("s3://"):
        return None
    bucket, _, key = value.removeprefix("s3://").partition("/")
    return S3Location(bucket, key) if bucket else None


def input_location(config: OrgConfig, env: str, model: str, value: str, job: str) -> tuple[S3Location, Path | None]:
    """Where the job reads its input, and the local file to upload there first (None: already in S3).

    InputError names `--input` when an S3 location is outside the model's input prefix of the environment's
    batch bucket (the only place its execution role reads), or a local file does not exist."""
    bucket = naming.batch_bucket(config.environment(env).account, config.region)
    prefix = naming.batch_input_prefix(model)
    location = parse_s3_uri(value)
    if location is not None:
        if location.bucket != bucket or not location.key.startswith(prefix) or location.key == prefix:
            raise InputError(
                f"--input {value}: expected a location under s3://{bucket}/{prefix} (the batch bucket of {env})"
            )
        return location, None
    path = Path(value)
    if not path.is_file():
        raise InputError(f"--input {value}: no such file; expected a CSV file or s3://{bucket}/{prefix}...")
    return S3Location(bucket, f"{prefix}{job}/{path.name}"), path


def live_arn(roles: EnvironmentRoles, batch: Any, model: str) -> str:
    """The ARN live in the environment, from the workload account's own parameter (as the batch role)."""
    env = roles.env.name
    try:
        value = batch.client("ssm", region_name=roles.region).get_parameter(Name=naming.live_arn_parameter(model))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            raise CheckFailed(f"{COMMAND}: {model} has no live version in {env} (nothing deployed)") from None
        raise
    return str(value["Parameter"]["Value"])


def served_model(roles: EnvironmentRoles, sagemaker: Any, model: str, arn: str) -> str:
    """The SageMaker Model of the endpoint, which must be InService and run exactly `arn`."""
    env, endpoint = roles.env.name, naming.endpoint_name(model)
    live = read_endpoint(sagemaker, endpoint)
    if live is None:
        raise CheckFailed(f"{COMMAND}: {model} is live in {env} as {arn}, but endpoint {endpoint} does not exist")
    if live.status != "InService" or live.package != arn or len(set(live.models)) != 1:
        raise CheckFailed(
            f"{COMMAND}: endpoint {endpoint} in {env} is {live.status} and runs "
            f"{', '.join(live.packages) or 'no model package'}; expected the live {arn}"
        )
    return live.models[0]


def count(s3: S3Client, bucket: str, prefix: str) -> tuple[int, int]:
    """(objects, non-empty lines) under `prefix`: a CSV record is a line."""
    objects = records = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            objects += 1
            records += sum(1 for line in body.splitlines() if line.strip())
    return objects, records


def wait_for(sagemaker: Any, job: str, timeout: float, poll: float, sleep: Callable[[float], None]) -> dict[str, Any]:
    """DescribeTransformJob until the job ends; CheckFailed when it outlasts `timeout` seconds."""
    waited = 0.0
    while True:
        described: dict[str, Any] = sagemaker.describe_transform_job(TransformJobName=job)
        if described["TransformJobStatus"] in TERMINAL:
            return described
        if waited >= timeout:
            raise CheckFailed(
                f"{COMMAND}: transform job {job} is still {described['TransformJobStatus']} after {timeout:g} s; "
                "nobody was asked to review"
            )
        sleep(poll)
        waited += poll


def _iso(moment: Any) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(moment, datetime) else "unknown"


def figures_of(described: dict[str, Any], s3: S3Client, source: S3Location, output: S3Location) -> BatchFigures:
    """The job's figures: SageMaker's status and times, and the counts in the batch bucket."""
    started, ended = described.get("TransformStartTime"), described.get("TransformEndTime")
    seconds = (ended - started).total_seconds() if isinstance(started, datetime) and isinstance(ended, datetime) else 0
    objects_in, records_in = count(s3, source.bucket, source.key)
    objects_out, records_out = count(s3, output.bucket, output.key)
    return BatchFigures(
        job=str(described["TransformJobName"]),
        status=str(described["TransformJobStatus"]),
        started=_iso(started),
        ended=_iso(ended),
        seconds=float(seconds),
        objects_in=objects_in,
        records_in=records_in,
        objects_out=objects_out,
        records_out=records_out,
    )


def run_transform(
    sagemaker: Any, *, job: str, model_name: str, source: S3Location, output: S3Location, key: str
) -> None:
    """CreateTransformJob: every object under `source` split into CSV lines, answers assembled by line."""
    sagemaker.create_transform_job(
        TransformJobName=job,
        ModelName=model_name,
        BatchStrategy="MultiRecord",
        TransformInput={
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": source.uri}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": output.uri, "Accept": "text/csv", "AssembleWith": "Line", "KmsKeyId": key},
        TransformResources={"InstanceType": INSTANCE_TYPE, "InstanceCount": 1},
    )


def batch_inference(
    aws: AwsContext,
    config: OrgConfig,
    model: str,
    env: str,
    source: str,
    *,
    progress: Progress | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    poll: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> BatchResult:
    """Run the example batch-inference job of `model` in `env` (see the module docstring)."""
    config.model(model)  # InputError naming the known models
    roles = EnvironmentRoles(aws, config, env, progress or (lambda _message: None))
    job = naming.transform_job_name(model, now().strftime("%Y%m%d%H%M%S"))
    location, upload = input_location(config, env, model, source, job)
    output = S3Location(location.bucket, f"{naming.batch_output_prefix(model)}{job}/")
    batch_role = naming.batch_role_arn(config, env)
    with calling(f"the batch inference of {env} (account {roles.account})", role=batch_role):
        batch = roles.batch()
        arn = live_arn(roles, batch, model)
        sagemaker = batch.client("sagemaker", region_name=roles.region)
        s3 = batch.client("s3", region_name=roles.region)
        model_name = served_model(roles, sagemaker, model, arn)
        if upload is not None:
            roles.progress(f"uploading {upload.name} to {location.uri}")
            s3.put_object(Bucket=location.bucket, Key=location.key, Body=upload.read_bytes())
        roles.progress(f"running transform job {job} of {model_name} ({arn})")
        key = naming.endpoint_key_alias_arn(roles.region, roles.account, env)
        run_transform(sagemaker, job=job, model_name=model_name, source=location, output=output, key=key)
        described = wait_for(sagemaker, job, timeout, poll, sleep)
        if described["TransformJobStatus"] != "Completed":
            reason = described.get("FailureReason") or "no reason given"
            raise CheckFailed(
                f"{COMMAND}: transform job {job} of {model} in {env} is {described['TransformJobStatus']}: "
                f"{reason}; nobody was asked to review"
            )
        figures = figures_of(described, s3, location, output)
    following = config.next_environment(env)
    event = None
    if following is not None:
        roles.progress(f"asking the approvers of {following.name} to review {model}")
        promoter = naming.promoter_role_arn(config)
        shared = f"EventBridge in the shared-services account {config.accounts.shared_services}"
        with calling(shared, role=promoter):
            events = roles.promoter().client("events", region_name=roles.region)
        try:
            event = notify_batch_completed(
                events=CallingClient(events, shared, promoter), model=model, env=env, arn=arn, figures=figures
            )
        except NotifyFailed as exc:
            raise CheckFailed(
                f"{COMMAND}: transform job {job} completed, but the approvers of {following.name} were not asked: {exc}"
            ) from None
    return BatchResult(
        model=model,
        env=env,
        arn=arn,
        output=output.uri,
        figures=figures,
        next_env=following.name if following is not None else None,
        review_event=event,
    )
