"""Wall time of `modelops verify` at size, against the sandbox: every manifest, and a one-manifest change.

    python -m benchmarks.verify [--models 500] [--envs 4]

The organisation is benchmarks.synth's generated one (N models x E environments, each model with the sample's
gates). Each model has one registered version, with its content recorded (artifact version, SHA-256, image by
digest), approved for every environment by that environment's quorum as the decision service records it, and live
in every environment; each manifest pins it, as `promote` writes it. The set-up writes with set-up credentials and
is not timed; the sandbox runs in a process of its own, as `modelops sandbox up` runs it.

Timed, three runs each, best and median printed, and each run must find no failure:
- `verify`, every manifest (N x E);
- `verify --changed-from HEAD` after one manifest changed (a comment added, as a reviewer's edit would).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from accounts import naming
from accounts.config import OrgConfig, load_config
from benchmarks.registry_setup import admin, quorum_approvals, register_approved
from benchmarks.sandbox import sandbox_process
from benchmarks.synth import GENERATED_ENVIRONMENTS, large_organisation
from promotion.aws import AwsContext
from promotion.content import pin_image
from promotion.live_records import LiveRecords
from promotion.manifest_writer import render_pin, take_snapshot, write_pin
from promotion.registry import describe_package
from promotion.verify import verify
from sandbox.images import push_image
from tests.promotion_support import create_ledger_table

RUNS = 3
IMAGE_TAG = "bench-1.0"
# Above every environment's thresholds in the sample's gates.
METRICS = {"metric:auc": "0.95", "metric:false_positive_rate": "0.01"}


def populate(config: OrgConfig, workloads: Path) -> None:
    """One approved, live version per model, pinned in every environment (see the module docstring)."""
    shared = admin(config, config.accounts.shared_services)
    sagemaker = shared.client("sagemaker", region_name=config.region)
    s3 = shared.client("s3", region_name=config.region)
    ssm = shared.client("ssm", region_name=config.region)
    bucket = naming.artifact_bucket(config)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": config.region})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    create_ledger_table(shared.client("dynamodb", region_name=config.region))
    uri = f"{naming.model_image_repository_uri(config)}:{IMAGE_TAG}"
    push_image(shared, uri)
    image = pin_image(shared.client("ecr", region_name=config.region), uri)
    approvals = quorum_approvals(config)
    live = LiveRecords(ssm)
    for spec in config.models:
        model = spec.name
        sagemaker.create_model_package_group(ModelPackageGroupName=model)
        arn = register_approved(
            sagemaker,
            s3,
            group=model,
            artifact=f"s3://{bucket}/{naming.artifact_prefix(model)}v1/model.tar.gz",
            body=model.encode(),
            image=image,
            metrics=METRICS,
            card_status="Approved",
            approvals=approvals,
        )
        package = describe_package(sagemaker, arn)
        if package is None or package.content is None:
            raise SystemExit(f"{arn}: not readable back with its content after registration")
        for env in config.chain:
            live.put(model, env, arn)
            path = workloads / env / f"{model}.yaml"
            snapshot, _ = take_snapshot(path, config, env=env, model=model)
            write_pin(snapshot, render_pin(snapshot, arn, config, package.content.manifest_fields()), display=str(path))


def git(workloads: Path, *args: str) -> None:
    """Run git in the workloads folder (a repository of its own here)."""
    subprocess.run(["git", "-C", str(workloads), *args], check=True, capture_output=True)  # noqa: S603, S607


def timed_verify(config: OrgConfig, workloads: Path, changed_from: str | None) -> tuple[list[float], int]:
    """Seconds of each run and the number of manifests checked; a failure stops the benchmark."""
    times: list[float] = []
    checked = 0
    for _ in range(RUNS):
        started = time.perf_counter()
        files, failures = verify(AwsContext(config), config, workloads, changed_from=changed_from)
        times.append(time.perf_counter() - started)
        if failures:
            raise SystemExit(f"verify found {len(failures)} failures; first: {failures[0]}")
        checked = len(files)
    return times, checked


def main(argv: list[str] | None = None) -> None:
    """Set up, then time a full verify and a one-manifest `--changed-from`."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.verify", description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=500, help="models (default 500)")
    parser.add_argument("--envs", type=int, default=4, choices=sorted(GENERATED_ENVIRONMENTS), help="default 4")
    args = parser.parse_args(argv)
    with sandbox_process(), tempfile.TemporaryDirectory() as temp:
        config_file, workloads = large_organisation(Path(temp) / "org", args.models, args.envs)
        config = load_config(config_file)
        started = time.perf_counter()
        populate(config, workloads)
        setup = time.perf_counter() - started
        git(workloads, "init", "-q")
        git(workloads, "add", ".")
        git(workloads, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "pins")
        full, everything = timed_verify(config, workloads, None)
        changed = workloads / config.chain[-1] / f"{config.models[0].name}.yaml"
        changed.write_text(changed.read_text() + "# reviewed\n")
        one, single = timed_verify(config, workloads, "HEAD")
    print(
        f"`modelops verify`: {args.models} models x {args.envs} environments (sandbox; set-up {setup:.0f} s, not timed)"
    )
    print(f"  every manifest ({everything}): best {min(full):.2f} s, median {statistics.median(full):.2f} s")
    print(f"  --changed-from, {single} manifest changed: best {min(one):.2f} s, median {statistics.median(one):.2f} s")


if __name__ == "__main__":
    main()
