"""The static quota check of a synthesized assembly (policies/quotas.py) and the counting it shares with the
sandbox (policies/quota_limits.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from policies import quota_limits as limits
from policies.cloud_assembly import StackTemplate, load_assembly
from policies.quotas import (
    BUCKET_POLICY,
    KINDS,
    ROLE_INLINE,
    Measurement,
    failures,
    largest_by_kind,
    main,
    measure_assembly,
    measure_stacks,
)
from policies.sizing_resolver import SizingResolver
from tests.conftest import Synth

ACCOUNT = "111111111111"


def _stack(
    tmp_path: Path, resources: dict[str, Any], *, name: str = "App-Stack", from_s3: bool = True
) -> StackTemplate:
    template = {"Resources": resources}
    template_file = tmp_path / f"{name}.template.json"
    template_file.write_text(json.dumps(template, indent=1))
    return StackTemplate(f"App/{name}", name, ACCOUNT, "eu-west-1", template_file, template, template_from_s3=from_s3)


def _statement(sid: str) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


def _document(*sids: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [_statement(sid) for sid in sids]}


def _by(measurements: list[Measurement], kind: str) -> dict[str, int]:
    return {m.document: m.size for m in measurements if m.kind.name == kind}


# -- counting, as AWS documents it ---------------------------------------------------------------------------


def test_iam_counts_characters_without_whitespace_outside_strings() -> None:
    """IAM quotas: "IAM doesn't count white space when calculating the size of a policy against these limits"
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""
    assert limits.policy_characters('{ "Sid" : "a b" ,\n\t"Action": [ "s3:*" ] }') == 31
    assert limits.policy_characters({"Sid": "a b"}) == len('{"Sid":"a b"}') == 13


def test_a_bucket_policy_counts_the_utf8_bytes_of_the_text_sent() -> None:
    """S3 User Guide, "Bucket policies and user policies": "Bucket policies are limited to 20 KB in size"; a
    template's object is sent as `json.dumps` writes it, separators included, as the sandbox sends it."""
    assert limits.sent_policy_bytes({"Sid": "é"}) == len('{"Sid": "\\u00e9"}') == 17
    assert limits.sent_policy_bytes('{"Sid":"é"}') == 12  # é is two bytes in UTF-8
    assert limits.sent_policy_bytes(b'{"Sid": "a"}') == 12
    assert limits.BUCKET_POLICY_LIMIT == 20_480


def test_a_key_policy_counts_the_bytes_of_its_compact_json() -> None:
    """KMS API Reference, PutKeyPolicy: Policy "Maximum length of 32768"; KMS quotas: "32 KB (32,768 bytes)"."""
    assert limits.key_policy_bytes({"Sid": "a", "Effect": "Allow"}) == len('{"Sid":"a","Effect":"Allow"}') == 28
    assert limits.key_policy_bytes('{ "Sid": "é" }') == 15
    assert limits.KEY_POLICY_LIMIT == 32_768


def test_a_template_counts_its_dynamic_references() -> None:
    """CloudFormation quotas: "Dynamic references: 60 per template"
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html)."""
    text = '{"A": "{{resolve:ssm:/a}}", "B": "{{resolve:secretsmanager:b:SecretString:k}}", "C": "{{other}}"}'
    assert limits.dynamic_references(text) == 2
    assert limits.DYNAMIC_REFERENCES_LIMIT == 60


def test_generated_names_are_measured_at_the_length_cloudformation_generates(tmp_path: Path) -> None:
    """CloudFormation's generated physical names are `<stack name>-<logical id>-<random>`, cut at the type's
    longest name (AWS CloudFormation User Guide, "Name type"); a KMS key id is a UUID."""
    stack = _stack(
        tmp_path,
        {
            "Named": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "modelops-promoter"}},
            "Unnamed": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        },
    )
    resolver = SizingResolver(stack)
    assert resolver.resolve({"Fn::GetAtt": ["Named", "Arn"]}, "w") == f"arn:aws:iam::{ACCOUNT}:role/modelops-promoter"
    assert resolver.resolve({"Ref": "Unnamed"}, "w") == "App-Stack-Unnamed-XXXXXXXXXXXXX"
    assert len(resolver.resolve({"Fn::GetAtt": ["Key", "Arn"]}, "w")) == len(
        f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    assert resolver.resolve({"Fn::Sub": "${AWS::AccountId}/${!aws:PrincipalTag/email}"}, "w") == (
        f"{ACCOUNT}/${{aws:PrincipalTag/email}}"
    )
    # What cannot be resolved stays the reviewed files' placeholder.
    assert resolver.resolve({"Fn::ImportValue": "Out"}, "w") == "${ImportValue:Out}"
    assert resolver.resolve({"Ref": "Elsewhere"}, "w") == "${Ref:Elsewhere}"


# -- what is measured ----------------------------------------------------------------------------------------


def test_a_roles_inline_policies_add_up_across_stacks_and_a_name_counts_once(tmp_path: Path) -> None:
    """IAM's 10,240 characters hold for all of a role's inline policies together, wherever they are declared."""
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": "modelops-promoter",
            "AssumeRolePolicyDocument": _document("Trust"),
            "Policies": [{"PolicyName": "one", "PolicyDocument": _document("A")}],
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        },
    }
    extra = {
        "Type": "AWS::IAM::Policy",
        "Properties": {"PolicyName": "two", "PolicyDocument": _document("B"), "Roles": ["modelops-promoter"]},
    }
    replaced = {
        "Type": "AWS::IAM::RolePolicy",
        "Properties": {"RoleName": "modelops-promoter", "PolicyName": "two", "PolicyDocument": _document("C")},
    }
    managed = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"ManagedPolicyName": "extra", "PolicyDocument": _document("D"), "Roles": ["modelops-promoter"]},
    }
    stacks = [
        _stack(tmp_path, {"Role": role}, name="Roles"),
        _stack(tmp_path, {"Extra": extra, "Managed": managed, "Replaced": replaced}, name="Policies"),
    ]
    measurements = measure_stacks(stacks)
    one_document = limits.policy_characters(_document("A"))
    assert one_document == 106
    assert _by(measurements, "role inline policies") == {"role modelops-promoter": 2 * one_document}
    assert _by(measurements, "managed policies per role") == {"role modelops-promoter": 2}
    assert _by(measurements, "role trust policy") == {"role modelops-promoter": 110}
    assert _by(measurements, "managed policy") == {"managed policy extra": one_document}
    inline = next(m for m in measurements if m.kind.name == "role inline policies")
    assert (inline.stack, inline.quota, inline.headroom) == ("App/Roles", 10_240, 10_240 - 212)


def test_key_group_and_parameter_documents_are_held_to_their_own_quotas(tmp_path: Path) -> None:
    """KMS: 32,768 bytes; SageMaker PutModelPackageGroupPolicy: 20,480 characters; SSM Parameter Store quotas:
    a Standard value 4 KB, an Advanced one 8 KB."""
    resources = {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": _document("K")}},
        "Group": {
            "Type": "AWS::SageMaker::ModelPackageGroup",
            "Properties": {"ModelPackageGroupName": "churn-model", "ModelPackageGroupPolicy": _document("G")},
        },
        "Standard": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/a", "Value": "x" * 4_097}},
        "Advanced": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": "/b", "Value": "é" * 4_000, "Tier": "Advanced"},
        },
    }
    measurements = measure_stacks([_stack(tmp_path, resources)])
    sizes = {m.document: (m.size, m.quota) for m in measurements if m.kind.owner != "CloudFormation"}
    # A compact document is 106 bytes; json.dumps adds a space after each of its 6 colons and 4 commas.
    assert sizes == {
        "key Key": (106, 32_768),
        "model package group churn-model": (106 + 10, 20_480),
        "parameter /a": (4_097, 4_096),
        "parameter /b": (8_000, 8_192),
    }
    assert failures(measurements) == ["App/App-Stack: parameter /a: value 4,097 bytes, over SSM's 4,096"]


def test_failures_come_most_over_first_whatever_the_unit(tmp_path: Path) -> None:
    resources: dict[str, Any] = {f"Topic{index}": {"Type": "AWS::SNS::Topic"} for index in range(1_001)}
    resources["Parameter"] = {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/a", "Value": "x" * 6_000}}
    assert failures(measure_stacks([_stack(tmp_path, resources)])) == [
        "App/App-Stack: template App-Stack.template.json: 1,002 resources, over CloudFormation's 500",
        "App/App-Stack: parameter /a: value 6,000 bytes, over SSM's 4,096",
    ]


def test_a_template_is_held_to_1_mb_from_s3_and_51200_bytes_inline(tmp_path: Path) -> None:
    """CloudFormation quotas: "Template body size in an Amazon S3 object: 1 MB", "in a request: 51,200 bytes"."""
    measurements = measure_stacks(
        [_stack(tmp_path, {}, name="Published"), _stack(tmp_path, {}, name="Inline", from_s3=False)]
    )
    quotas = {m.stack: (m.size, m.quota) for m in measurements if m.kind.name == "template size"}
    assert quotas == {"App/Published": (20, 1_048_576), "App/Inline": (20, 51_200)}


def test_the_assembly_says_which_templates_cloudformation_reads_from_s3(tmp_path: Path) -> None:
    template: dict[str, Any] = {"Resources": {}}
    (tmp_path / "A.template.json").write_text(json.dumps(template))
    (tmp_path / "B.template.json").write_text(json.dumps(template))
    stack = {"type": "aws:cloudformation:stack", "environment": "aws://111111111111/eu-west-1"}
    manifest = {
        "artifacts": {
            "A": {
                **stack,
                "properties": {"templateFile": "A.template.json", "stackTemplateAssetObjectUrl": "s3://b/k"},
            },
            "B": {**stack, "properties": {"templateFile": "B.template.json"}},
        }
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert [(s.path, s.template_from_s3) for s in load_assembly(tmp_path)] == [("A", True), ("B", False)]


def test_a_document_over_its_quota_fails_naming_it_and_its_size(tmp_path: Path) -> None:
    sids = [f"Statement{index:04d}" for index in range(250)]
    policy = {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": _document(*sids)},
    }
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "modelops-artifacts"}}
    measurements = measure_stacks([_stack(tmp_path, {"Bucket": bucket, "Policy": policy})])
    size = limits.sent_policy_bytes(_document(*sids))
    # 250 statements of 86 bytes, 249 separators `, ` and the 42 bytes around them.
    assert size == 250 * 86 + 249 * 2 + 42 == 22_040
    assert failures(measurements) == [
        "App/App-Stack: bucket modelops-artifacts: bucket policy 22,040 bytes, over S3's 20,480"
    ]
    (largest,) = [m for m in largest_by_kind(measurements) if m.kind is BUCKET_POLICY]
    assert (largest.size, largest.headroom, largest.over) == (22_040, -1_560, True)


def test_the_command_exits_1_when_a_document_is_over_and_2_on_a_missing_assembly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resources = {f"Topic{index}": {"Type": "AWS::SNS::Topic"} for index in range(501)}
    stack = _stack(tmp_path, resources, name="Big")
    manifest = {
        "artifacts": {
            "Big": {
                "type": "aws:cloudformation:stack",
                "environment": "aws://111111111111/eu-west-1",
                "properties": {"templateFile": stack.template_file.name, "stackTemplateAssetObjectUrl": "s3://b/k"},
            }
        }
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert main([str(tmp_path)]) == 1
    assert "  Big: template Big.template.json: 501 resources, over CloudFormation's 500" in capsys.readouterr().out
    assert main([str(tmp_path / "missing")]) == 2
    missing = tmp_path / "missing" / "manifest.json"
    assert capsys.readouterr().err == f"error: {missing}: not found (run `make synth` first)\n"


# -- the sample organisation -----------------------------------------------------------------------------------


def test_the_sample_organisation_is_within_every_quota(synth: Synth) -> None:
    measurements = measure_assembly(synth.outdir)
    assert failures(measurements) == []
    measured_kinds = {m.kind.name for m in measurements}
    assert measured_kinds == {kind.name for kind in KINDS} - {"managed policy", "access point policy"}
    promoter = next(m for m in measurements if m.kind is ROLE_INLINE and m.document == "role modelops-promoter")
    assert (promoter.stack, promoter.quota) == ("ModelOps-SharedServices/SharedServices", 10_240)
