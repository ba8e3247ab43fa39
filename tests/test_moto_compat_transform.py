"""sandbox/moto_compat/transform.py: a transform job runs its model as SageMaker's scikit-learn container does
(CreateTransformJob, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html):
`<input file name>.out` per input object, one answer per CSV line, SSE-KMS with the job's output key; a job
whose artifact is not a loadable model is Failed with the reason (DescribeTransformJob's FailureReason, whose
wording AWS does not document: the sandbox's)."""

from __future__ import annotations

from typing import Any, Literal

from tests.batch_support import csv_rows, predictions, sklearn_artifact, tar_gz
from tests.sandbox_fixtures import EmptyAws

QA = "444444444444"
REGION: Literal["eu-west-1"] = "eu-west-1"
BUCKET = "batch-bucket"
ARTIFACT = f"s3://{BUCKET}/artifacts/model.tar.gz"


def _set_up(aws: EmptyAws, artifact: bytes) -> tuple[Any, Any, str]:
    """A bucket with the artifact and two input objects, a model of the artifact and a key, in qa."""
    session = aws.session(QA)
    s3, sagemaker = session.client("s3"), session.client("sagemaker")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=BUCKET, Key="artifacts/model.tar.gz", Body=artifact)
    s3.put_object(Bucket=BUCKET, Key="churn/input/job/a.csv", Body=csv_rows(0, 5))
    s3.put_object(Bucket=BUCKET, Key="churn/input/job/more/b.csv", Body=csv_rows(100, 3) + b"\n")
    sagemaker.create_model(
        ModelName="churn",
        ExecutionRoleArn=f"arn:aws:iam::{QA}:role/modelops-exec-qa-churn",
        PrimaryContainer={"Image": "sklearn:1.2", "ModelDataUrl": ARTIFACT},
    )
    key = session.client("kms").create_key()["KeyMetadata"]["Arn"]
    return s3, sagemaker, str(key)


def _run(sagemaker: Any, key: str) -> dict[str, Any]:
    sagemaker.create_transform_job(
        TransformJobName="modelops-churn-1",
        ModelName="churn",
        TransformInput={
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/churn/input/job/"}},
            "ContentType": "text/csv",
            "SplitType": "Line",
        },
        TransformOutput={"S3OutputPath": f"s3://{BUCKET}/churn/output/job", "KmsKeyId": key},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
    )
    described: dict[str, Any] = sagemaker.describe_transform_job(TransformJobName="modelops-churn-1")
    return described


def test_a_transform_job_writes_one_prediction_per_input_row(empty_aws: EmptyAws) -> None:
    s3, sagemaker, key = _set_up(empty_aws, sklearn_artifact())

    described = _run(sagemaker, key)

    assert (described["TransformJobStatus"], described.get("FailureReason", "")) == ("Completed", "")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="churn/output/")["Contents"]
    assert [item["Key"] for item in listed] == ["churn/output/job/a.csv.out", "churn/output/job/more/b.csv.out"]
    first = s3.get_object(Bucket=BUCKET, Key="churn/output/job/a.csv.out")
    assert first["Body"].read() == predictions(0, 5)
    assert (first["ServerSideEncryption"], first["SSEKMSKeyId"]) == ("aws:kms", key)
    assert s3.get_object(Bucket=BUCKET, Key="churn/output/job/more/b.csv.out")["Body"].read() == predictions(100, 3)


def test_a_transform_job_whose_artifact_is_not_a_loadable_model_fails_with_the_reason(empty_aws: EmptyAws) -> None:
    s3, sagemaker, key = _set_up(empty_aws, tar_gz({"weights.bin": b"not a model"}))

    described = _run(sagemaker, key)

    assert described["TransformJobStatus"] == "Failed"
    assert described["FailureReason"] == (
        f"ClientError: could not load a model from {ARTIFACT} (model.joblib in a model.tar.gz): "
        "KeyError: \"filename 'model.joblib' not found\""
    )
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="churn/output/")
