"""Composes the whole CDK app from accounts.yaml and the workload manifests."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk

from accounts.config import OrgConfig
from data_science.stack import DataScienceStack
from deployment.codeowners import write_codeowners
from deployment.stages import SharedServicesStage, WorkloadStage
from workloads.manifest import WORKLOADS_ROOT, load_all

DEFAULT_WORKFLOW_PATH = ".github/workflows/deploy.yml"


def build_app(
    config: OrgConfig,
    *,
    workloads_root: Path = WORKLOADS_ROOT,
    outdir: str | None = None,
    workflow_path: str = DEFAULT_WORKFLOW_PATH,
) -> cdk.App:
    """Build (not yet synthesize) the app: account stacks plus the pipeline and its stages.

    `workflow_path` is where the GitHub engine writes its workflow, relative to the working directory;
    `.github/CODEOWNERS` is written beside its `workflows/` folder, whichever the engine, since both
    take their source from the GitHub repository whose reviews it governs.
    """
    app = cdk.App(outdir=outdir)
    manifests = load_all(config, workloads_root)

    DataScienceStack(
        app,
        "ModelOps-DataScience",
        config=config,
        env=cdk.Environment(account=config.accounts.data_science, region=config.region),
    )
    shared = SharedServicesStage(app, config=config, manifests=manifests)
    workloads = [WorkloadStage(app, config=config, env_name=env, manifests=manifests[env]) for env in config.chain]

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
        add_github_pipeline(app, config=config, shared=shared, workloads=workloads, workflow_path=workflow_path)
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
    write_codeowners(config, Path(workflow_path).parent.parent / "CODEOWNERS")
    return app
