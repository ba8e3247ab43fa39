"""Renders every policy document of a synthesized cloud assembly into reviewable JSON files.

    python -m policies.render <cdk.out> <out dir>

One file per document: `<out>/<stack path, "/" -> "__">/<LogicalId>.<kind>[.<name>].json`, plus
`<out>/INDEX.md`. CloudFormation intrinsics are rendered as readable placeholders
(`${Ref:X}`, `${X.Arn}`), pseudo parameters are resolved to the stack's account and region, and
keys are sorted, so the files change only when a deployed policy changes. The security team
reviews these files in pull requests (see policies/README.md).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policies.cloud_assembly import AssemblyError, StackTemplate, load_assembly
from policies.policy_sources import POLICY_SOURCES, PolicySource, table_policy_document
from policies.render_intrinsics import IntrinsicRenderer

GENERATED_NOTE = "by `make policies` from the synthesized templates; do not edit"
INDEX_FILE = "INDEX.md"


class RenderError(ValueError):
    """Bad input: the message names the file, resource or field and what was expected."""


# --------------------------------------------------------------------------- policy documents


# The properties of an AWS::Lambda::Permission that decide who may invoke what.
_LAMBDA_PERMISSION_FIELDS = (
    "Action",
    "Principal",
    "PrincipalOrgID",
    "SourceAccount",
    "SourceArn",
    "EventSourceToken",
    "FunctionUrlAuthType",
)

# Name properties shown next to `${Ref:X}` in INDEX.md, so a reviewer reads role and bucket names.
_NAME_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SageMaker::ModelPackageGroup": "ModelPackageGroupName",
    "AWS::ApiGateway::RestApi": "Name",
}


@dataclass(frozen=True)
class RenderedPolicy:
    """One policy document as reviewed: the file it goes to and its content."""

    stack: StackTemplate
    resource: str
    resource_type: str
    kind: str
    name: str | None  # distinguishes several documents of one kind on a resource (inline policies)
    attached_to: Any
    document: Any
    managed_policy_arns: tuple[Any, ...] = ()

    @property
    def relative_path(self) -> str:
        """Where the file goes under the output directory."""
        suffix = f".{self.name}" if self.name else ""
        return f"{stack_directory(self.stack.path)}/{self.resource}.{self.kind}{suffix}.json"

    def to_json(self) -> str:
        """The file's content: where the document is deployed, then the document with sorted keys."""
        content: dict[str, Any] = {
            "_generated": GENERATED_NOTE,
            "stack": self.stack.path,
            "resource": self.resource,
            "resource_type": self.resource_type,
            "attached_to": self.attached_to,
        }
        if self.managed_policy_arns:
            content["managed_policy_arns"] = list(self.managed_policy_arns)
        content["document"] = _sorted_keys(self.document)
        return json.dumps(content, indent=2, ensure_ascii=False) + "\n"


def stack_directory(stack_path: str) -> str:
    """The folder of a stack's rendered policies: its display path with `/` written as `__`."""
    return stack_path.replace("/", "__")


def extract_policies(stack: StackTemplate) -> list[RenderedPolicy]:
    """Every policy document that `stack` deploys, rendered, in logical-id order."""
    renderer = IntrinsicRenderer(stack)
    policies: list[RenderedPolicy] = []
    for logical_id, resource in sorted(stack.resources.items()):
        resource_type = resource.get("Type", "")
        properties = resource.get("Properties", {})
        source = POLICY_SOURCES.get(resource_type)
        if source is None:
            _refuse_unknown_documents(stack, logical_id, resource_type, properties)
            continue
        policies.extend(_extract(stack, renderer, logical_id, resource_type, properties, source))
    return policies


def _extract(
    stack: StackTemplate,
    renderer: IntrinsicRenderer,
    logical_id: str,
    resource_type: str,
    properties: dict[str, Any],
    source: PolicySource,
) -> list[RenderedPolicy]:
    where = f"{stack.template_file}: Resources.{logical_id}"
    attached_to = _attached_to(renderer, logical_id, properties, source)

    def policy(kind: str, document: Any, name: str | None = None, **extra: Any) -> RenderedPolicy:
        return RenderedPolicy(stack, logical_id, resource_type, kind, name, attached_to, document, **extra)

    policies: list[RenderedPolicy] = []
    if resource_type == "AWS::Lambda::Permission":
        fields = {key: properties[key] for key in _LAMBDA_PERMISSION_FIELDS if key in properties}
        policies.append(policy(source.kind, renderer.render(fields)))
    elif resource_type == "AWS::Events::EventBusPolicy":
        fields = {
            key: properties[key] for key in ("Statement", "Action", "Principal", "Condition") if key in properties
        }
        policies.append(policy(source.kind, renderer.render(fields)))
    elif resource_type == "AWS::DynamoDB::Table":
        table_policy = table_policy_document(properties)
        if table_policy is not None:
            field = f"{where}.Properties.ResourcePolicy.PolicyDocument"
            policies.append(policy(source.kind, _document(renderer.render(table_policy), field)))
    elif source.document and source.document in properties:
        document = _document(renderer.render(properties[source.document]), f"{where}.Properties.{source.document}")
        managed = tuple(renderer.render(properties.get("ManagedPolicyArns", [])))
        policies.append(policy(source.kind, document, managed_policy_arns=managed))
    for index, inline in enumerate(properties.get("Policies", [])):
        field = f"{where}.Properties.Policies[{index}]"
        name = renderer.render(inline.get("PolicyName"))
        if not isinstance(name, str) or not re.fullmatch(r"[\w+=,.@-]+", name):
            raise RenderError(f"{field}.PolicyName: expected a literal policy name, got {name!r}")
        document = _document(renderer.render(inline.get("PolicyDocument")), f"{field}.PolicyDocument")
        policies.append(policy("identity-policy", document, name))
    return policies


def _attached_to(renderer: IntrinsicRenderer, logical_id: str, properties: dict[str, Any], source: PolicySource) -> Any:
    if not source.attached_to:
        return f"${{Ref:{logical_id}}}"
    targets: list[Any] = []
    for key in source.attached_to:
        value = renderer.render(properties.get(key))
        targets.extend(value if isinstance(value, list) else [] if value is None else [value])
    if len(targets) == 1:
        return targets[0]
    return targets or "default"  # an EventBusPolicy without EventBusName applies to the default bus


def _document(value: Any, field: str) -> Any:
    """A rendered policy document; some properties take it as a JSON string."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise RenderError(f"{field}: expected a policy document (an object or JSON text)") from None
    if not isinstance(value, dict) or "Statement" not in value:
        raise RenderError(f"{field}: expected a policy document with a 'Statement'")
    return value


def _refuse_unknown_documents(stack: StackTemplate, logical_id: str, resource_type: str, properties: Any) -> None:
    for path in _statement_paths(properties, "Properties"):
        raise RenderError(
            f"{stack.template_file}: Resources.{logical_id}.{path}: {resource_type} holds a policy document "
            "that policies/render.py does not know; add the type to POLICY_SOURCES"
        )


def _statement_paths(value: Any, path: str) -> Iterable[str]:
    if isinstance(value, dict):
        if "Statement" in value:
            yield path
            return
        for key, item in value.items():
            yield from _statement_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _statement_paths(item, f"{path}[{index}]")


def _sorted_keys(value: Any) -> Any:
    """Objects with sorted keys; list order is kept (statement order is what the author wrote)."""
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


# --------------------------------------------------------------------------- INDEX.md


def render_index(stacks: list[StackTemplate], policies: list[RenderedPolicy]) -> str:
    """INDEX.md: per stack, each file with who is granted (principals) and on what (resources)."""
    lines = [
        "# Rendered policy documents",
        "",
        f"Generated {GENERATED_NOTE}.",
        "Each row is one file: the principals its Allow statements grant, and the resources they cover",
        "(for a resource policy, the resource it is attached to). Deny statements are counted, not listed;",
        "conditions are in the file. `${Ref:X}` is the resource with logical id X in the same stack.",
    ]
    for stack in stacks:
        stack_policies = [policy for policy in policies if policy.stack.path == stack.path]
        if not stack_policies:
            continue
        names = _resource_names(stack)
        lines += [
            "",
            f"## {stack.path} (account {stack.account or 'any'}, {stack.region or 'any region'})",
            "",
            "| file | principals | resources | denies |",
            "| --- | --- | --- | --- |",
        ]
        for policy in stack_policies:
            principals, resources, denies = _summary(policy)
            file_name = policy.relative_path.split("/", 1)[1]
            link = f"[{file_name}]({policy.relative_path})"
            cells = [link, _cell(principals, names), _cell(resources, names), str(denies)]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _summary(policy: RenderedPolicy) -> tuple[list[str], list[str], int]:
    """(principals, resources, number of Deny statements) of one rendered document."""
    target = _as_strings(policy.attached_to)
    if policy.kind == "lambda-permission":
        return _as_strings(policy.document.get("Principal")), target, 0
    statements = policy.document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    allows = [statement for statement in statements if statement.get("Effect") == "Allow"]
    denies = len(statements) - len(allows)
    if policy.kind == "identity-policy":
        resources = [value for statement in allows for value in _as_strings(statement.get("Resource"))]
        return target, _unique(resources), denies
    principals = [value for statement in allows for value in _principal_strings(statement)]
    return _unique(principals), target, denies


def _principal_strings(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        return [value for kind in sorted(principal) for value in _as_strings(principal[kind])]
    if "NotPrincipal" in statement:
        return ["NOT " + value for value in _principal_strings({"Principal": statement["NotPrincipal"]})]
    return _as_strings(principal)


def _as_strings(value: Any) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [item if isinstance(item, str) else json.dumps(item, sort_keys=True) for item in values]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _resource_names(stack: StackTemplate) -> dict[str, str]:
    names: dict[str, str] = {}
    for logical_id, resource in stack.resources.items():
        name = resource.get("Properties", {}).get(_NAME_PROPERTIES.get(resource.get("Type", ""), ""))
        if isinstance(name, str):
            names[f"${{Ref:{logical_id}}}"] = name
    return names


def _cell(values: list[str], names: dict[str, str]) -> str:
    def readable(value: str) -> str:
        shown = f"{names[value]} (`{value}`)" if value in names else f"`{value}`"
        return shown.replace("|", "\\|")

    return "<br>".join(readable(value) for value in values) or "—"


# --------------------------------------------------------------------------- writing


def render_assembly(cdk_out: Path) -> dict[str, str]:
    """Every rendered file of the assembly at `cdk_out`: relative path -> content."""
    stacks = load_assembly(cdk_out)
    policies = [policy for stack in stacks for policy in extract_policies(stack)]
    files: dict[str, str] = {}
    for policy in policies:
        if policy.relative_path in files:
            raise RenderError(f"{policy.stack.template_file}: two policies render to {policy.relative_path}")
        files[policy.relative_path] = policy.to_json()
    files[INDEX_FILE] = render_index(stacks, policies)
    return dict(sorted(files.items()))


def write_rendered(files: dict[str, str], out_dir: Path) -> None:
    """Replace `out_dir` with exactly `files`: stale files go, and a failure leaves the old tree intact."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        for relative_path, content in files.items():
            target = staging / relative_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        previous = out_dir.with_name(f".{out_dir.name}-previous")
        shutil.rmtree(previous, ignore_errors=True)
        if out_dir.exists():
            out_dir.rename(previous)
        staging.rename(out_dir)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """`python -m policies.render <cdk.out> <out dir>`; 0 on success, 2 on bad input."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m policies.render <cdk.out> <out dir>", file=sys.stderr)
        return 2
    cdk_out, out_dir = Path(args[0]), Path(args[1])
    try:
        files = render_assembly(cdk_out)
    except (AssemblyError, RenderError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write_rendered(files, out_dir)
    print(f"{out_dir}: {len(files) - 1} policy documents rendered, index in {out_dir / INDEX_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
