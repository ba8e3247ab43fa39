"""Deploy one synthesized stack through CloudFormation, as `cdk deploy --method=direct` does.

The caller passes a session already holding the target account's CDK deploy role; CloudFormation acts
with the CDK cfn-exec role passed as `cfn_exec_role_arn`. A failed update is rolled back by
CloudFormation, so the previous resources (and the endpoint they serve) stay in place.

Templates over 51,200 bytes cannot be sent inline: publish the stack's assets with `publish_assets`
(under the file-publishing role, into the CDK staging bucket, as cdk-assets does) and pass
`template_url=stack.template_url`.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from policies.quota_limits import TEMPLATE_BODY_LIMIT

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
SUCCEEDED = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
# Statuses in which the stack runs the template GetTemplate returns (after a rolled-back update, the previous
# one). A stack whose creation rolled back (ROLLBACK_COMPLETE) or that is mid-operation must go to deploy_stack.
SETTLED = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}
NO_UPDATES = "No updates are to be performed."
POLL_SECONDS = 5.0


@dataclass(frozen=True)
class DeployResult:
    """The stack after a deploy: its final status, outputs, and whether anything changed."""

    stack_name: str
    status: str
    outputs: dict[str, str]
    changed: bool


class DeployFailed(Exception):
    """CloudFormation did not complete the deploy; `resource` is the logical id that failed first."""

    def __init__(self, stack_name: str, resource: str, reason: str, status: str = "") -> None:
        self.stack_name = stack_name
        self.resource = resource
        self.reason = " ".join(reason.split())
        self.status = status
        super().__init__(str(self))

    def __str__(self) -> str:
        ending = f" (stack {self.status})" if self.status else ""
        return f"deploy of {self.stack_name} failed at {self.resource}: {self.reason}{ending}"


class DeployTimedOut(DeployFailed):
    """CloudFormation had not finished when the wait ran out: the stack may still complete or roll back."""

    def __init__(self, stack_name: str, waited_seconds: int, status: str) -> None:
        self.waited_seconds = waited_seconds
        super().__init__(stack_name, stack_name, f"CloudFormation had not finished after {waited_seconds} s", status)

    def __str__(self) -> str:
        return (
            f"deploy of {self.stack_name}: CloudFormation had not finished after {self.waited_seconds} s "
            f"(stack {self.status}); it may still complete or roll back"
        )


@dataclass(frozen=True)
class StackArtifact:
    """One stack of a cloud assembly, as its manifest.json describes it."""

    display_name: str
    stack_name: str
    account: str
    region: str
    template_path: Path
    assets_path: Path | None
    deploy_role_arn: str | None
    cfn_exec_role_arn: str | None
    template_object_url: str | None

    @property
    def template_url(self) -> str | None:
        """The HTTPS URL of the published template, as CloudFormation's TemplateURL takes it."""
        if self.template_object_url is None:
            return None
        bucket, key = self.template_object_url.removeprefix("s3://").split("/", 1)
        return f"https://s3.{self.region}.amazonaws.com/{bucket}/{key}"


def _partition(value: str | None) -> str | None:
    # Manifests leave the partition to the deploy tool; modelops deploys to the standard partition.
    return value.replace("${AWS::Partition}", "aws") if value else None


def stack_artifacts(cdk_out: Path) -> dict[str, StackArtifact]:
    """Every stack of the assembly at `cdk_out` and its nested (stage) assemblies, by display path."""
    manifest_path = cdk_out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    found: dict[str, StackArtifact] = {}
    artifacts: dict[str, Any] = manifest.get("artifacts", {})
    for artifact_id, artifact in artifacts.items():
        properties = artifact.get("properties", {})
        if artifact["type"] == "cdk:cloud-assembly":
            found.update(stack_artifacts(cdk_out / properties["directoryName"]))
        elif artifact["type"] == "aws:cloudformation:stack":
            account, region = artifact["environment"].removeprefix("aws://").split("/")
            assets = [
                artifacts[dep]["properties"]["file"]
                for dep in artifact.get("dependencies", [])
                if artifacts.get(dep, {}).get("type") == "cdk:asset-manifest"
            ]
            display = artifact.get("displayName", artifact_id)
            found[display] = StackArtifact(
                display_name=display,
                stack_name=properties.get("stackName", artifact_id),
                account=account,
                region=region,
                template_path=cdk_out / properties["templateFile"],
                assets_path=cdk_out / assets[0] if assets else None,
                deploy_role_arn=_partition(properties.get("assumeRoleArn")),
                cfn_exec_role_arn=_partition(properties.get("cloudFormationExecutionRoleArn")),
                template_object_url=properties.get("stackTemplateAssetObjectUrl"),
            )
    return found


def stack_templates(cdk_out: Path) -> dict[str, Path]:
    """Stack display path (e.g. "ModelOps-qa/Endpoint-churn-model") -> its template file in the assembly."""
    return {name: artifact.template_path for name, artifact in stack_artifacts(cdk_out).items()}


def _zip_directory(directory: Path) -> bytes:
    """A reproducible zip of `directory` (sorted entries, fixed timestamps), as cdk-assets builds it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(str(path.relative_to(directory)), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def publish_assets(session: boto3.Session, assets_path: Path) -> list[str]:
    """Upload the file assets of one stack (its template included) to their staging bucket.

    `session` holds the target account's CDK file-publishing role. Objects already present are kept,
    since their keys are content hashes. Returns the s3:// URLs written. Docker image assets are
    refused: modelops stacks reference images by URI.
    """
    manifest = json.loads(assets_path.read_text())
    if manifest.get("dockerImages"):
        raise ValueError(f"{assets_path}: docker image assets are not supported; reference images by URI")
    s3 = session.client("s3")
    written = []
    for asset in manifest.get("files", {}).values():
        source = assets_path.parent / asset["source"]["path"]
        packaging = asset["source"].get("packaging", "file")
        for destination in asset["destinations"].values():
            bucket, key = destination["bucketName"], destination["objectKey"]
            try:
                s3.head_object(Bucket=bucket, Key=key)
                continue
            except ClientError as error:
                if error.response["Error"]["Code"] not in ("404", "NoSuchKey", "NotFound"):
                    raise
            body = _zip_directory(source) if packaging == "zip" else source.read_bytes()
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            written.append(f"s3://{bucket}/{key}")
    return written


def _describe(cfn: Any, stack_name: str) -> dict[str, Any] | None:
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if "does not exist" in error.response["Error"].get("Message", ""):
            return None
        raise
    return stacks[0] if stacks else None


def _latest_event_id(cfn: Any, stack_id: str) -> str | None:
    events = cfn.describe_stack_events(StackName=stack_id).get("StackEvents", [])
    return str(events[0]["EventId"]) if events else None


def _events_since(cfn: Any, stack_id: str, marker: str | None) -> list[dict[str, Any]]:
    """Stack events after `marker`, oldest first."""
    newest_first: list[dict[str, Any]] = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack_id):
        for event in page["StackEvents"]:
            if marker is not None and event["EventId"] == marker:
                return list(reversed(newest_first))
            newest_first.append(event)
    return list(reversed(newest_first))


def _first_failure(events: list[dict[str, Any]]) -> tuple[str, str] | None:
    for event in events:
        if event["ResourceStatus"].endswith("_FAILED") and event["ResourceType"] != "AWS::CloudFormation::Stack":
            return str(event["LogicalResourceId"]), str(event.get("ResourceStatusReason", ""))
    return None


def _wait(
    cfn: Any,
    stack_id: str,
    stack_name: str,
    marker: str | None,
    progress: Callable[[str], None] | None,
    deadline: float,
    timeout_seconds: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Poll until the stack leaves *_IN_PROGRESS; report each new event through `progress`."""
    seen: list[dict[str, Any]] = []
    while True:
        stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
        events = _events_since(cfn, stack_id, marker)
        for event in events[len(seen) :]:
            if progress is not None:
                reason = f" {event['ResourceStatusReason']}" if event.get("ResourceStatusReason") else ""
                progress(f"{stack_name} {event['ResourceStatus']} {event['LogicalResourceId']}{reason}")
        seen = events
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            return stack, events
        if time.monotonic() > deadline:
            raise DeployTimedOut(stack_name, timeout_seconds, str(stack["StackStatus"]))
        time.sleep(POLL_SECONDS)


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {str(o["OutputKey"]): str(o["OutputValue"]) for o in stack.get("Outputs", []) or []}


def _delete_failed_creation(cfn: Any, stack: dict[str, Any], deadline: float) -> None:
    """A stack whose creation rolled back cannot be updated; CloudFormation requires deleting it first."""
    cfn.delete_stack(StackName=stack["StackId"])
    while True:
        status = cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"]
        if status == "DELETE_COMPLETE":
            return
        if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            raise DeployFailed(stack["StackName"], stack["StackName"], "could not delete the rolled-back stack", status)
        time.sleep(POLL_SECONDS)


def deployed_template_matches(session: boto3.Session, stack_name: str, template_path: Path) -> bool:
    """Whether `stack_name` is settled and runs exactly the template at `template_path`.

    One DescribeStacks and one GetTemplate: cheaper than the update (or change set) that CloudFormation would
    answer "No updates are to be performed.", which is what lets a stage of hundreds of model stacks deploy
    only the ones that changed. Templates are compared as JSON documents; the synthesized stacks take no
    parameters but CDK's BootstrapVersion, whose default is unchanged.
    """
    cfn = session.client("cloudformation")
    existing = _describe(cfn, stack_name)
    if existing is None or existing["StackStatus"] not in SETTLED:
        return False
    body = cfn.get_template(StackName=stack_name, TemplateStage="Original")["TemplateBody"]
    # botocore parses a JSON template body into a document; a YAML one stays a string, and differs.
    return not isinstance(body, str) and bool(body == json.loads(template_path.read_text()))


def stacks_starting_with(session: boto3.Session, prefix: str) -> list[str]:
    """The names of the account's stacks (not deleted) that start with `prefix`, sorted.

    DescribeStacks without a name lists them, which the CDK deploy role may call; ListStacks it may not.
    """
    cfn = session.client("cloudformation")
    names = {
        str(stack["StackName"])
        for page in cfn.get_paginator("describe_stacks").paginate()
        for stack in page["Stacks"]
        if str(stack["StackName"]).startswith(prefix) and stack["StackStatus"] != "DELETE_COMPLETE"
    }
    return sorted(names)


def delete_stack(
    session: boto3.Session,
    stack_name: str,
    *,
    progress: Callable[[str], None] | None = None,
    timeout_seconds: int = 1800,
) -> None:
    """Delete `stack_name` and wait until it is gone; DeployFailed names the resource that would not go.

    CloudFormation deletes with the role the stack was deployed with, and keeps what is retained
    (DeletionPolicy Retain).
    """
    cfn = session.client("cloudformation")
    existing = _describe(cfn, stack_name)
    if existing is None:
        return
    deadline = time.monotonic() + timeout_seconds
    stack_id = str(existing["StackId"])
    marker = _latest_event_id(cfn, stack_id)
    cfn.delete_stack(StackName=stack_id)
    stack, events = _wait(cfn, stack_id, stack_name, marker, progress, deadline, timeout_seconds)
    status = str(stack["StackStatus"])
    if status != "DELETE_COMPLETE":
        failure = _first_failure(events) or (stack_name, str(stack.get("StackStatusReason", status)))
        raise DeployFailed(stack_name, failure[0], failure[1], status)


def _template_argument(template_path: Path, template_url: str | None) -> dict[str, str]:
    if template_url is not None:
        return {"TemplateURL": template_url}
    body = template_path.read_text()
    size = len(body.encode())
    if size > TEMPLATE_BODY_LIMIT:
        raise ValueError(
            f"{template_path}: template is {size} bytes; CloudFormation accepts at most "
            f"{TEMPLATE_BODY_LIMIT} inline. Publish the stack's assets (publish_assets) and pass template_url"
        )
    return {"TemplateBody": body}


def deploy_stack(
    session: boto3.Session,
    *,
    stack_name: str,
    template_path: Path,
    cfn_exec_role_arn: str | None,
    parameters: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    timeout_seconds: int = 1800,
    template_url: str | None = None,
) -> DeployResult:
    """Create or update `stack_name` from `template_path` and wait for CloudFormation to finish.

    An unchanged template and parameters give `changed=False`. A failure raises DeployFailed naming the
    first resource that failed and CloudFormation's reason, and the stack's status. When CloudFormation has
    not finished after `timeout_seconds` (derive it with promotion.deploy_wait), DeployTimedOut.
    """
    cfn = session.client("cloudformation")
    deadline = time.monotonic() + timeout_seconds
    request: dict[str, Any] = {
        "StackName": stack_name,
        "Capabilities": CAPABILITIES,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted((parameters or {}).items())],
        **_template_argument(template_path, template_url),
    }
    if cfn_exec_role_arn is not None:
        request["RoleARN"] = cfn_exec_role_arn

    existing = _describe(cfn, stack_name)
    if existing is not None and existing["StackStatus"].endswith("_IN_PROGRESS"):
        raise DeployFailed(stack_name, stack_name, "another operation is in progress", existing["StackStatus"])
    if existing is not None and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        _delete_failed_creation(cfn, existing, deadline)
        existing = None

    if existing is None:
        stack_id = str(cfn.create_stack(**request, OnFailure="ROLLBACK")["StackId"])
        marker = None
    else:
        stack_id = str(existing["StackId"])
        marker = _latest_event_id(cfn, stack_id)
        try:
            cfn.update_stack(**request)
        except ClientError as error:
            if error.response["Error"].get("Message") == NO_UPDATES:
                return DeployResult(stack_name, str(existing["StackStatus"]), _outputs(existing), changed=False)
            raise

    stack, events = _wait(cfn, stack_id, stack_name, marker, progress, deadline, timeout_seconds)
    status = str(stack["StackStatus"])
    if status not in SUCCEEDED:
        failure = _first_failure(events) or (stack_name, str(stack.get("StackStatusReason", status)))
        raise DeployFailed(stack_name, failure[0], failure[1], status)
    return DeployResult(stack_name, status, _outputs(stack), changed=True)
