"""The synthesized cloud assembly (cdk.out): every stack template, nested stages and stacks included.

The renderer, the proof's template reader and the checkov and cfn-lint tests all read the deployed
templates through `load_assembly`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"


class AssemblyError(ValueError):
    """A cloud assembly that cannot be read: the message names the file or field and what was expected."""


@dataclass(frozen=True)
class StackTemplate:
    """One deployed template; `path` is the stack's display path, e.g. `ModelOps-qa/Endpoint-churn-model`."""

    path: str
    stack_name: str
    account: str | None
    region: str | None
    template_file: Path
    template: dict[str, Any]
    # CloudFormation reads the template from S3 (TemplateURL): the assembly names its published object, or it is
    # a nested stack. Otherwise a deploy can only send it inline (TemplateBody).
    template_from_s3: bool = False

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """The template's `Resources` section: logical id -> resource."""
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources


def load_assembly(cdk_out: Path) -> list[StackTemplate]:
    """Every stack template of the assembly at `cdk_out`, sorted by display path.

    Stages are nested assemblies (`assembly-<stage>/manifest.json`); nested stacks are the
    templates named by an `AWS::CloudFormation::Stack` resource's `aws:asset:path` metadata.
    """
    stacks = sorted(_load_manifest(cdk_out), key=lambda stack: stack.path)
    seen: set[str] = set()
    for stack in stacks:
        if stack.path in seen:
            raise AssemblyError(f"{cdk_out}: stack display path {stack.path!r} appears more than once")
        seen.add(stack.path)
    return stacks


def _load_manifest(directory: Path) -> list[StackTemplate]:
    manifest_file = directory / "manifest.json"
    artifacts = _read_json(manifest_file, hint="run `make synth` first").get("artifacts")
    if not isinstance(artifacts, dict):
        raise AssemblyError(f"{manifest_file}: field 'artifacts': expected an object")
    stacks: list[StackTemplate] = []
    for artifact_id, artifact in sorted(artifacts.items()):
        properties = artifact.get("properties", {})
        if artifact.get("type") == NESTED_ASSEMBLY_ARTIFACT:
            stacks.extend(_load_manifest(directory / _required(properties, "directoryName", manifest_file)))
        elif artifact.get("type") == STACK_ARTIFACT:
            template_file = directory / _required(properties, "templateFile", manifest_file)
            account, region = _parse_environment(artifact.get("environment", ""), manifest_file)
            stack = StackTemplate(
                path=artifact.get("displayName") or artifact_id,
                stack_name=properties.get("stackName") or artifact_id,
                account=account,
                region=region,
                template_file=template_file,
                template=_read_json(template_file, hint="expected a CloudFormation template"),
                template_from_s3="stackTemplateAssetObjectUrl" in properties,
            )
            stacks.append(stack)
            stacks.extend(_nested_stacks(stack, directory))
    return stacks


def _nested_stacks(parent: StackTemplate, directory: Path) -> list[StackTemplate]:
    nested: list[StackTemplate] = []
    for logical_id, resource in sorted(parent.resources.items()):
        if resource.get("Type") != NESTED_STACK_TYPE:
            continue
        asset_path = resource.get("Metadata", {}).get("aws:asset:path")
        if not isinstance(asset_path, str):
            raise AssemblyError(
                f"{parent.template_file}: Resources.{logical_id}.Metadata.aws:asset:path: "
                "expected the nested stack's template file"
            )
        child = StackTemplate(
            path=f"{parent.path}/{logical_id}",
            stack_name=f"{parent.stack_name}-{logical_id}",
            account=parent.account,
            region=parent.region,
            template_file=directory / asset_path,
            template=_read_json(directory / asset_path, hint="expected a nested stack template"),
            template_from_s3=True,
        )
        nested.append(child)
        nested.extend(_nested_stacks(child, directory))
    return nested


def _parse_environment(environment: str, manifest_file: Path) -> tuple[str | None, str | None]:
    """`aws://111111111111/eu-west-1` -> (account, region); environment-agnostic parts -> None."""
    if not environment.startswith("aws://") or environment.count("/") != 3:
        raise AssemblyError(f"{manifest_file}: environment {environment!r}: expected aws://<account>/<region>")
    account, region = environment.removeprefix("aws://").split("/")
    return (
        None if account.startswith("unknown-") else account,
        None if region.startswith("unknown-") else region,
    )


def _required(properties: dict[str, Any], key: str, manifest_file: Path) -> str:
    value = properties.get(key)
    if not isinstance(value, str) or not value:
        raise AssemblyError(f"{manifest_file}: artifact property {key!r}: expected a file or directory name")
    return value


def _read_json(path: Path, *, hint: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise AssemblyError(f"{path}: not found ({hint})") from None
    except json.JSONDecodeError as error:
        raise AssemblyError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(data, dict):
        raise AssemblyError(f"{path}: expected a JSON object ({hint})")
    return data
