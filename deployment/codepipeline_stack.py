"""The CodePipeline engine: the same stages as the GitHub workflow, through `aws_cdk.pipelines`.

Source is the GitHub repository through a CodeConnections connection; the synth step runs the pinned
CDK CLI. Shared services deploys first, then each environment in chain order, and an environment with
`requires_review: true` waits for a manual approval before anything of it deploys.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import pipelines
from constructs import Construct

from accounts.config import OrgConfig
from deployment.github_pipeline import CDK_CLI_VERSION, CLI_ENV, NODE_VERSION, PYTHON_VERSION
from deployment.stages import SharedServicesStage, WorkloadStage

PIPELINE_NAME = "modelops"


def approval_step_id(env: str) -> str:
    """The id (and CodePipeline action name) of the manual approval before `env`."""
    return f"Approve-{env}"


class CodePipelineStack(cdk.Stack):
    """`ModelOps-Pipeline` in the deployment account."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: OrgConfig,
        shared: SharedServicesStage,
        workloads: list[WorkloadStage],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        connection_arn = config.pipeline.codestar_connection_arn
        if connection_arn is None:  # the config model refuses this already; kept for the type checker
            raise ValueError("pipeline.codestar_connection_arn: the codepipeline engine needs a connection")
        source = pipelines.CodePipelineSource.connection(
            config.pipeline.repository, config.pipeline.branch, connection_arn=connection_arn
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=PIPELINE_NAME,
            # Deploys cross accounts: the artifact bucket needs a KMS key the target accounts can use.
            cross_account_keys=True,
            # Self-mutation installs this CLI too; unpinned it would take whatever aws-cdk@2 is latest.
            cli_version=CDK_CLI_VERSION,
            synth=pipelines.ShellStep(
                "Synth",
                input=source,
                install_commands=[
                    "python -m venv .venv",
                    ".venv/bin/python -m pip install --requirement requirements.lock",
                    ".venv/bin/python -m pip install --no-deps --editable .",
                    f"npm install --global aws-cdk@{CDK_CLI_VERSION}",
                ],
                commands=["cdk synth"],
                env=CLI_ENV,
            ),
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=codebuild.LinuxBuildImage.STANDARD_7_0),
                partial_build_spec=codebuild.BuildSpec.from_object(
                    {"phases": {"install": {"runtime-versions": {"python": PYTHON_VERSION, "nodejs": NODE_VERSION}}}}
                ),
            ),
        )
        self.pipeline.add_stage(shared)
        for stage in workloads:
            environment = config.environment(stage.env_name)
            pre = (
                [pipelines.ManualApprovalStep(approval_step_id(stage.env_name))] if environment.requires_review else []
            )
            self.pipeline.add_stage(stage, pre=pre)
