"""Composes the whole CDK app from accounts.yaml and the workload manifests."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from data_science.stack import DataScienceStack
from data_science.training_stack import TrainingStack
from deployment.stages import SharedServicesStage, WorkloadStage
from workloads.manifest import WORKLOADS_ROOT, load_all

CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"


def feature_flags(cdk_json: Path = CDK_JSON) -> dict[str, Any]:
    """The CDK feature flags of cdk.json's `context`, where `cdk flags` reads and sets them.

    The CDK CLI passes them to `python app.py`; every synth in process (the generate step, `modelops deploy`,
    the tests) passes them too, so that each synthesizes the templates `cdk synth` would. Every flag is at the
    value the pinned aws-cdk-lib recommends; tests/test_feature_flags.py holds them there and says which ones
    change the templates.
    """
    try:
        context = json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {})
    except FileNotFoundError:
        raise InputError(f"{cdk_json}: not found; the CDK app synthesizes from a checkout of the repository") from None
    return dict(context)


# `cdk synth -c modelops:models=churn-model,fraud-model`: build only these models' own stacks (see build_app).
MODELS_CONTEXT = "modelops:models"


def synthesize(config: OrgConfig, workloads_root: Path, outdir: Path) -> Path:
    """Synthesize the app for `config` and `workloads_root` into `outdir`; returns the cloud assembly's path.

    CDK's built-in template validation is off here (the deploy path): `make test` synthesizes the sample and
    generated organisations with it on, and a deploy synthesizes the templates those tests validated."""
    build_app(config, workloads_root=workloads_root, outdir=str(outdir), validate=False).synth()
    return outdir


def selected_models(app: cdk.App, config: OrgConfig) -> list[str] | None:
    """The models named by the `modelops:models` context (comma-separated), or None when it is absent: every model.

    A name accounts.yaml does not configure is an InputError naming it."""
    value = app.node.try_get_context(MODELS_CONTEXT)
    if value is None:
        return None
    names = [name.strip() for name in str(value).split(",") if name.strip()]
    known = [model.name for model in config.models]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InputError(
            f"context {MODELS_CONTEXT}: {unknown[0]!r} is not a model of accounts.yaml; expected some of {known}"
        )
    return names


def build_app(
    config: OrgConfig,
    *,
    workloads_root: Path = WORKLOADS_ROOT,
    outdir: str | None = None,
    models: Collection[str] | None = None,
    validate: bool | None = None,
) -> cdk.App:
    """Build (not yet synthesize) the app: account stacks plus the pipeline and its stages.

    Synthesizing it writes only into `outdir` (a temporary directory when None): the GitHub engine's
    workflow included. The generate step (deployment/generate.py) copies what the repository commits.

    `models` (or the `modelops:models` context) builds only those models' own stacks (`Model-<m>`,
    `Endpoint-<m>`) beside every constant stack: the synth a promotion needs, whose cost does not grow with
    the organisation. Each per-model stack depends only on accounts.yaml, the code and its own model's
    manifests, and each constant stack is built from every manifest, so the selected stacks' templates are
    the ones a full synth writes (tests/test_selective_synth.py). `validate` turns CDK's built-in
    CloudFormation validation on or off; None leaves CDK's default (on, unless `--no-validation` or
    `CDK_VALIDATION=false`).
    """
    app = cdk.App(outdir=outdir, context=feature_flags(), builtin_cloud_formation_validation=validate)
    if models is None:
        models = selected_models(app, config)
    manifests = load_all(config, workloads_root)

    data_science_env = cdk.Environment(account=config.accounts.data_science, region=config.region)
    data_science = DataScienceStack(app, "ModelOps-DataScience", config=config, env=data_science_env)
    for spec in config.models:
        if spec.training is not None and (models is None or spec.name in models):
            training = TrainingStack(
                app, naming.training_stack_id(spec.name), config=config, model=spec.name, env=data_science_env
            )
            training.add_stack_dependency(data_science, "the pipeline role it runs as comes first")
    shared = SharedServicesStage(app, config=config, manifests=manifests, models=models)
    workloads = [
        WorkloadStage(app, config=config, env_name=env, manifests=manifests[env], models=models) for env in config.chain
    ]

    if config.pipeline.engine == "github-actions":
        from deployment.github_pipeline import add_github_pipeline
        from deployment.github_roles_stack import GitHubDeploymentRolesStack

        # Deployed once by hand: the pipeline never changes its own trust.
        GitHubDeploymentRolesStack(
            app,
            "ModelOps-DeploymentRoles",
            config=config,
            env=cdk.Environment(account=config.accounts.deployment, region=config.region),
        )
        add_github_pipeline(app, config=config, shared=shared, workloads=workloads)
    else:
        from deployment.codepipeline_stack import CodePipelineStack

        CodePipelineStack(
            app,
            "ModelOps-Pipeline",
            config=config,
            shared=shared,
            workloads=workloads,
            env=cdk.Environment(account=config.accounts.deployment, region=config.region),
        )
    return app
