"""`status`: the promotion board. Each model's newest versions with their registry status, and for each
environment the version pinned in git against the version a deploy verified live, drift marked.

Reads through the promoter role only: one ListModelPackages per model (one page, newest first), one
GetParameters per ten live records, whatever the registry holds, and the holds and soaks
(promotion/status_soak.py: two Queries per model, one more per environment with a soak).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from accounts import naming
from accounts.config import OrgConfig
from promotion.aws import AwsContext, calling
from promotion.gates import Hold
from promotion.live_records import LiveRecords
from promotion.registry import Registry, VersionSummary
from promotion.status_soak import views
from workloads.manifest import load_all

DEFAULT_VERSIONS = 10
LIST_WORKERS = 8
Progress = Callable[[str], None]


@dataclass(frozen=True)
class EnvCell:
    """One model in one environment: the ARN git pins and the ARN live there."""

    env: str
    pinned: str | None
    live: str | None
    hold: Hold | None = None  # the rollback's hold, until a release
    soak: str | None = None  # the soak left for the version live in the environment before

    @property
    def drift(self) -> bool:
        return self.pinned != self.live


@dataclass(frozen=True)
class BoardRow:
    model: str
    versions: list[VersionSummary]
    envs: list[EnvCell]


def board(
    aws: AwsContext,
    config: OrgConfig,
    workloads_root: Path,
    *,
    model: str | None = None,
    versions: int = DEFAULT_VERSIONS,
    progress: Progress | None = None,
) -> list[BoardRow]:
    """The board for every configured model, or for `model` only."""
    models = [config.model(model).name] if model is not None else [spec.name for spec in config.models]
    manifests = load_all(config, workloads_root)
    pinned = {
        (entry.manifest.model, env): entry.manifest.model_package_arn
        for env, entries in manifests.items()
        for entry in entries
    }
    role = naming.promoter_role_arn(config)
    with calling("the SageMaker registry", role=role):
        registry = Registry(aws.promoter().client("sagemaker", region_name=config.region), config)

        def newest(name: str) -> list[VersionSummary]:
            if progress is not None:
                progress(f"listing {name}")
            return list(registry.versions(name, limit=versions))

        # One call per model, independent of each other: overlap their round trips (clients are thread-safe).
        with ThreadPoolExecutor(max_workers=LIST_WORKERS) as pool:
            listed = dict(zip(models, pool.map(newest, models), strict=True))
    with calling(f"Parameter Store in the shared-services account {config.accounts.shared_services}", role=role):
        live = LiveRecords(aws.promoter().client("ssm", region_name=config.region)).get_many(
            ((name, env) for name in models for env in config.chain), workers=LIST_WORKERS
        )
    ledger = f"the ledger in the shared-services account {config.accounts.shared_services}"
    with calling(ledger, role=role):
        dynamodb = aws.promoter().client("dynamodb", region_name=config.region)
        extras = views(dynamodb, config, models, live, workers=LIST_WORKERS)
    return [
        BoardRow(
            model=name,
            versions=listed[name],
            envs=[
                EnvCell(
                    env=env,
                    pinned=pinned.get((name, env)),
                    live=live.get((name, env)),
                    hold=extras[(name, env)].hold,
                    soak=extras[(name, env)].soak,
                )
                for env in config.chain
            ],
        )
        for name in models
    ]
