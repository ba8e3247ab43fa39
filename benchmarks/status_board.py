"""Wall time of `modelops status` for N models x E environments x 20 versions, against the sandbox.

The board reads one page per model (newest first) and the live records ten per call, through the
promoter role; no version is described. Timed from a fresh command (STS and client start-up included),
three runs, best and median printed; set-up (2,000 registrations) is not timed.

    python -m benchmarks.status_board [--models 500] [--envs 4]

The default is issue 13's size: 500 models x 4 environments (dev, qa, staging, prod) x 20 versions.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

import cli.main
from accounts import naming
from accounts.config import OrgConfig, parse_config
from benchmarks.registry_setup import admin
from benchmarks.sandbox import sandbox_process
from promotion.aws import AwsContext
from promotion.live_records import LiveRecords
from promotion.status import board
from tests.orgs import org_data

MODELS = 500
VERSIONS = 20
RUNS = 3
# Environments put in front of two_env's qa and prod, in promotion order, with their accounts.
EARLIER = (("dev", "666666666666"), ("staging", "777777777777"))


def organisation(folder: Path, models: int = MODELS, envs: int = 4) -> tuple[OrgConfig, Path]:
    """The sample organisation (tests/orgs/two_env) with `models` models; with 3 environments `dev` goes in front,
    with 4 `staging` also goes between qa and prod. Written to `folder`."""
    data = org_data("two_env")
    if envs >= 3:
        data["environments"].insert(
            0, {"name": "dev", "account": EARLIER[0][1], "approver_group": "ml-risk-qa", "requires_review": False}
        )
    if envs >= 4:
        data["environments"].insert(
            2, {"name": "staging", "account": EARLIER[1][1], "approver_group": "ml-risk-qa", "requires_review": False}
        )
    data["models"] = [{"name": f"model-{i:03d}"} for i in range(models)]
    path = folder / "accounts.yaml"
    path.write_text(yaml.safe_dump(data))
    return parse_config(data, path), path


def workloads(config: OrgConfig, folder: Path) -> Path:
    root = folder / "workloads"
    for index, env in enumerate(config.chain):
        (root / env).mkdir(parents=True)
        for model in config.models:
            arn = naming.model_package_arn(config, model.name, VERSIONS - index)
            (root / env / f"{model.name}.yaml").write_text(f"model: {model.name}\nmodel_package_arn: {arn}\n")
    return root


def populate(config: OrgConfig) -> None:
    shared = admin(config, config.accounts.shared_services)
    sagemaker = shared.client("sagemaker", region_name=config.region)
    ssm = shared.client("ssm", region_name=config.region)

    def group(name: str) -> None:
        sagemaker.create_model_package_group(ModelPackageGroupName=name)
        for _ in range(VERSIONS):
            sagemaker.create_model_package(
                ModelPackageGroupName=name,
                InferenceSpecification={
                    "Containers": [{"Image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/m:1"}],
                    "SupportedContentTypes": ["text/csv"],
                    "SupportedResponseMIMETypes": ["text/csv"],
                },
            )
        for index, env in enumerate(config.chain):
            # The last environment lags one version behind git: the board must mark it as drift.
            live = VERSIONS - index - (1 if env == config.chain[-1] else 0)
            LiveRecords(ssm).put(name, env, naming.model_package_arn(config, name, live))

    # Sequential: moto's CreateModelPackage is not safe to call concurrently.
    for model in config.models:
        group(model.name)


def timed(function: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> None:
    """Set up the registry and live records, then time the board and the CLI table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.status_board", description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=MODELS, help=f"models (default {MODELS})")
    parser.add_argument("--envs", type=int, default=4, choices=(2, 3, 4), help="environments (default 4)")
    args = parser.parse_args(argv)
    with sandbox_process(), tempfile.TemporaryDirectory() as tmp:
        config, config_path = organisation(Path(tmp), args.models, args.envs)
        root = workloads(config, Path(tmp))
        setup, _ = timed(lambda: populate(config))
        engine_times: list[float] = []
        rows: list[Any] = []
        for _ in range(RUNS):
            seconds, rows = timed(lambda: board(AwsContext(config), config, root))
            engine_times.append(seconds)
        cli_times = []
        for _ in range(RUNS):
            seconds, result = timed(
                lambda: CliRunner().invoke(
                    cli.main.app, ["--config", str(config_path), "--workloads", str(root), "status"]
                )
            )
            assert result.exit_code == 0, result.output
            cli_times.append(seconds)
    drifting = sum(cell.drift for row in rows for cell in row.envs)
    size = f"{len(config.models)} models x {len(config.chain)} environments x {VERSIONS} versions"
    print(f"`modelops status`: {size} (sandbox)")
    print(f"  set-up, not timed: {setup:.1f} s; {len(rows)} rows, {drifting} drifting cells marked")
    print(f"  board (engine):      best {min(engine_times):.2f} s, median {statistics.median(engine_times):.2f} s")
    print(f"  `status` (CLI table): best {min(cli_times):.2f} s, median {statistics.median(cli_times):.2f} s")


if __name__ == "__main__":
    main()
