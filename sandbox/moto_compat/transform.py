"""Batch transform, which moto 5.2.5 records but never runs: CreateTransformJob returns a job that is
Completed at once, having read nothing and written nothing.

The sandbox runs the job as SageMaker's scikit-learn serving container does for a `model.tar.gz` holding
`model.joblib` (its default model_fn loads that file; input_fn parses text/csv rows; predict_fn calls
`predict`; output_fn writes one CSV answer per record): the model's artifact is the `ModelDataUrl` of its
container, or of its model package's first inference container; every input object under the job's
`S3Uri` (S3Prefix) is split into lines (SplitType Line), and the answers are written, one line each, to
`<S3OutputPath>/<the object's path below the prefix's folder>.out`, SSE-KMS with the job's output key
(CreateTransformJob: "the results are stored in the S3OutputPath as <input file name>.out").

The job is Completed when every object transformed, or Failed with a reason when the artifact is not a loadable
model, or a row is not what the model takes; AWS documents the statuses and FailureReason, not the wording, so
the reasons are the sandbox's. It runs within the CreateTransformJob call (AWS's job is asynchronous:
InProgress first); SageMaker reads and writes S3 as the model's execution role, while the sandbox reads the
backends directly, unjudged. The model is unpickled in the sandbox's process, as the container would in its
own: load only artifacts you would deploy.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from typing import Any

from moto.core.utils import utcnow
from moto.kms import models as _kms_models
from moto.s3 import models as _s3_models
from moto.sagemaker import models as _sm_models

from sandbox.moto_compat.endpoints import _package
from sandbox.moto_compat.wrapping import wrap

SageMakerBackend: Any = _sm_models.SageMakerModelBackend
s3_backends: Any = _s3_models.s3_backends
kms_backends: Any = _kms_models.kms_backends
MODEL_FILE = "model.joblib"


class TransformFailed(Exception):
    """The job fails; the message is its FailureReason."""


def split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _s3(bucket: str) -> Any:
    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        raise TransformFailed(f"ClientError: bucket {bucket} does not exist")
    return s3_backends[owner[1]][owner[0]]


def _read(uri: str) -> bytes:
    bucket, key = split_s3_uri(uri)
    found = _s3(bucket).get_object(bucket, key)
    if found is None:
        raise TransformFailed(f"ClientError: {uri} does not exist")
    return bytes(found.value)


def model_data_url(backend: Any, model_name: str) -> str:
    """The artifact of the model's first container: its own ModelDataUrl, or its model package's."""
    model = backend._models.get(model_name)
    if model is None:
        raise TransformFailed(f"ValidationException: Could not find model {model_name}")
    container = model.primary_container or (model.containers[0] if model.containers else {})
    if container.get("ModelDataUrl"):
        return str(container["ModelDataUrl"])
    package = _package(backend, str(container.get("ModelPackageName", "")))
    containers = (getattr(package, "inference_specification", None) or {}).get("Containers", [])
    if not containers or not containers[0].get("ModelDataUrl"):
        raise TransformFailed(f"ClientError: model {model_name} names no model artifact")
    return str(containers[0]["ModelDataUrl"])


def load_model(url: str) -> Any:
    """What the scikit-learn container's default model_fn loads: `model.joblib` from the artifact."""
    # joblib comes with scikit-learn, a dev dependency like moto; imported here, when a job runs, because
    # importing scikit-learn takes a second the sandbox's start should not pay.
    import joblib  # type: ignore[import-untyped, unused-ignore]

    try:
        with tarfile.open(fileobj=io.BytesIO(_read(url)), mode="r:gz") as archive:
            member = archive.extractfile(MODEL_FILE)
            if member is None:
                raise KeyError(MODEL_FILE)
            return joblib.load(io.BytesIO(member.read()))
    except TransformFailed:
        raise
    except Exception as exc:  # any archive or unpickling error: the container could not load the model
        raise TransformFailed(
            f"ClientError: could not load a model from {url} ({MODEL_FILE} in a model.tar.gz): "
            f"{type(exc).__name__}: {exc}"
        ) from None


def predict_lines(model: Any, body: bytes, where: str) -> bytes:
    """Each non-empty CSV line of `body` as one row of floats, and the model's answer for it, one per line."""
    rows = [line for line in body.decode().splitlines() if line.strip()]
    if not rows:
        return b""
    try:
        answers = model.predict([[float(value) for value in row.split(",")] for row in rows])
    except Exception as exc:  # a row the model does not take fails the job, as in the container
        raise TransformFailed(f"ClientError: {where}: {type(exc).__name__}: {exc}") from None
    return "".join(f"{answer}\n" for answer in answers.tolist()).encode()


def _key_arn(key_id: str | None, account: str, region: str) -> str | None:
    if not key_id:
        return None
    try:
        return str(kms_backends[account][region].describe_key(key_id).arn)
    except Exception:  # AWS fails the job on an unusable key; the sandbox keeps the id it was given
        return key_id


def transform(backend: Any, job: Any) -> None:
    """Run `job` as the scikit-learn container would (see the module docstring)."""
    model = load_model(model_data_url(backend, job.model_name))
    source = job.transform_input["DataSource"]["S3DataSource"]["S3Uri"]
    bucket, prefix = split_s3_uri(source)
    folder = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
    out_bucket, out_prefix = split_s3_uri(job.transform_output["S3OutputPath"])
    out_prefix = out_prefix.rstrip("/") + "/" if out_prefix else ""
    key = _key_arn(job.transform_output.get("KmsKeyId"), backend.account_id, backend.region_name)
    store = _s3(bucket)
    objects = store.get_bucket(bucket).keys  # moto's versioned key store: iterating it gives the names
    names = sorted(name for name in objects if name.startswith(prefix))
    if not names:
        raise TransformFailed(f"ClientError: no objects under {source}")
    for name in names:
        answers = predict_lines(model, _read(f"s3://{bucket}/{name}"), f"s3://{bucket}/{name}")
        _s3(out_bucket).put_object(
            out_bucket,
            f"{out_prefix}{name[len(folder) :]}.out",
            answers,
            encryption="aws:kms" if key else None,
            kms_key_id=key,
        )


def _create_transform_job(inner: Callable[..., Any], self: Any, **kwargs: Any) -> Any:
    """CreateTransformJob runs the job before it answers: Completed, or Failed with its reason."""
    job = inner(self, **kwargs)
    try:
        transform(self, job)
    except TransformFailed as exc:
        job.transform_job_status = "Failed"
        job.failure_reason = str(exc)
    else:
        job.transform_job_status = "Completed"
    job.transform_end_time = job.last_modified_time = utcnow()
    return job


def install_transform_jobs() -> None:
    """Transform jobs that read their model and input, and write their answers."""
    wrap(SageMakerBackend, "create_transform_job", _create_transform_job)
