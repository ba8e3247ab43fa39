"""The policy renderer behind policies/rendered, specified on a small hand-written cloud assembly. (That the
committed policies/rendered is what a fresh synth of the shipped organisation renders is checked in
tests/test_shipped_organisation.py.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from policies.render import GENERATED_NOTE, main, render_assembly, write_rendered
from tests.conftest import Synth


def tree(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_a_synthesized_organisation_renders_every_policy_stack_with_an_index_linking_each_file(
    synth: Synth, tmp_path: Path
) -> None:
    files = render_assembly(synth.outdir)
    write_rendered(files, tmp_path / "rendered")
    assert tree(tmp_path / "rendered") == {name: text.encode() for name, text in files.items()}
    policies = sorted(name for name in files if name != "INDEX.md")
    assert sorted({name.split("/")[0] for name in policies}) == [
        "ModelOps-DataScience",
        "ModelOps-DeploymentRoles",
        "ModelOps-SharedServices__Model-churn-model",
        "ModelOps-SharedServices__SharedServices",
        "ModelOps-prod__Endpoint-churn-model",
        "ModelOps-prod__Environment",
        "ModelOps-qa__Endpoint-churn-model",
        "ModelOps-qa__Environment",
    ]
    assert sorted(re.findall(r"\]\(([^)]+)\)", files["INDEX.md"])) == policies


# --------------------------------------------------------------------------- the renderer on a small assembly

SHARED_TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Key1234": {
            "Type": "AWS::KMS::Key",
            "Properties": {
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {
                                "AWS": {
                                    "Fn::Join": [
                                        "",
                                        [
                                            "arn:",
                                            {"Ref": "AWS::Partition"},
                                            ":iam::",
                                            {"Ref": "AWS::AccountId"},
                                            ":role/admin",
                                        ],
                                    ]
                                }
                            },
                            "Action": ["kms:Describe*", "kms:PutKeyPolicy"],
                            "Resource": "*",
                        }
                    ],
                }
            },
        },
        "BucketPolicy99": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "Bucket42"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadArtifacts",
                            "Effect": "Allow",
                            "Principal": {
                                "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RoleName}"}
                            },
                            "Action": "s3:GetObject",
                            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket42", "Arn"]}, "/artifacts/*"]]},
                            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                        }
                    ],
                },
            },
        },
        "Bucket42": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "modelops-artifacts"}},
        "Exec77": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": "modelops-exec",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "sagemaker.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "Policies": [
                    {
                        "PolicyName": "Logs",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": "logs:PutLogEvents",
                                    "Resource": {
                                        "Fn::Sub": [
                                            "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}:*",
                                            {"Group": "/aws/sagemaker/Endpoints/x"},
                                        ]
                                    },
                                }
                            ],
                        },
                    }
                ],
            },
        },
    }
}

DATA_SCIENCE_TEMPLATE: dict[str, Any] = {
    "Resources": {"Topic1": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}}
}


def write_assembly(root: Path, shared_template: dict[str, Any] = SHARED_TEMPLATE) -> Path:
    """A cdk.out with a top-level stack and a stage (nested assembly), as CDK writes them."""
    stage = root / "assembly-Org-Shared"
    stage.mkdir(parents=True)
    (root / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "assembly-Org-Shared": {
                        "type": "cdk:cloud-assembly",
                        "properties": {"directoryName": "assembly-Org-Shared", "displayName": "Org-Shared"},
                    },
                    "Org-DataScience": {
                        "type": "aws:cloudformation:stack",
                        "environment": "aws://222222222222/eu-west-1",
                        "properties": {"templateFile": "Org-DataScience.template.json"},
                        "displayName": "Org-DataScience",
                    },
                }
            }
        )
    )
    (root / "Org-DataScience.template.json").write_text(json.dumps(DATA_SCIENCE_TEMPLATE))
    (stage / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "OrgSharedServicesABC": {
                        "type": "aws:cloudformation:stack",
                        "environment": "aws://111111111111/eu-west-1",
                        "properties": {
                            "templateFile": "OrgShared.template.json",
                            "stackName": "Org-Shared-Services",
                        },
                        "displayName": "Org-Shared/Services",
                    }
                }
            }
        )
    )
    (stage / "OrgShared.template.json").write_text(json.dumps(shared_template))
    return root


def test_each_policy_document_gets_one_file_named_by_stack_resource_and_kind(tmp_path: Path) -> None:
    files = render_assembly(write_assembly(tmp_path / "cdk.out"))
    assert list(files) == [
        "INDEX.md",
        "Org-Shared__Services/BucketPolicy99.bucket-policy.json",
        "Org-Shared__Services/Exec77.identity-policy.Logs.json",
        "Org-Shared__Services/Exec77.trust-policy.json",
        "Org-Shared__Services/Key1234.key-policy.json",
    ]


def test_intrinsics_render_as_placeholders_and_pseudo_parameters_resolve(tmp_path: Path) -> None:
    files = render_assembly(write_assembly(tmp_path / "cdk.out"))
    assert files["Org-Shared__Services/BucketPolicy99.bucket-policy.json"] == (
        json.dumps(
            {
                "_generated": GENERATED_NOTE,
                "stack": "Org-Shared/Services",
                "resource": "BucketPolicy99",
                "resource_type": "AWS::S3::BucketPolicy",
                "attached_to": "${Ref:Bucket42}",
                "document": {
                    "Statement": [
                        {
                            "Action": "s3:GetObject",
                            "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}},
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::111111111111:role/${Ref:RoleName}"},
                            "Resource": "${Bucket42.Arn}/artifacts/*",
                            "Sid": "ReadArtifacts",
                        }
                    ],
                    "Version": "2012-10-17",
                },
            },
            indent=2,
        )
        + "\n"
    )
    key_policy = json.loads(files["Org-Shared__Services/Key1234.key-policy.json"])
    assert key_policy["document"]["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111111111111:role/admin"}
    inline = json.loads(files["Org-Shared__Services/Exec77.identity-policy.Logs.json"])
    assert inline["document"]["Statement"][0]["Resource"] == (
        "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/sagemaker/Endpoints/x:*"
    )


def test_index_lists_each_file_with_principals_and_resources(tmp_path: Path) -> None:
    index = render_assembly(write_assembly(tmp_path / "cdk.out"))["INDEX.md"]
    assert index.split("## ", 1)[1] == (
        "Org-Shared/Services (account 111111111111, eu-west-1)\n"
        "\n"
        "| file | principals | resources | denies |\n"
        "| --- | --- | --- | --- |\n"
        "| [BucketPolicy99.bucket-policy.json](Org-Shared__Services/BucketPolicy99.bucket-policy.json)"
        " | `arn:aws:iam::111111111111:role/${Ref:RoleName}` | modelops-artifacts (`${Ref:Bucket42}`) | 0 |\n"
        "| [Exec77.trust-policy.json](Org-Shared__Services/Exec77.trust-policy.json)"
        " | `sagemaker.amazonaws.com` | modelops-exec (`${Ref:Exec77}`) | 0 |\n"
        "| [Exec77.identity-policy.Logs.json](Org-Shared__Services/Exec77.identity-policy.Logs.json)"
        " | modelops-exec (`${Ref:Exec77}`)"
        " | `arn:aws:logs:eu-west-1:111111111111:log-group:/aws/sagemaker/Endpoints/x:*` | 0 |\n"
        "| [Key1234.key-policy.json](Org-Shared__Services/Key1234.key-policy.json)"
        " | `arn:aws:iam::111111111111:role/admin` | `${Ref:Key1234}` | 0 |\n"
    )


def test_rerendering_removes_files_of_policies_that_no_longer_exist(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    (out / "Gone__Stack").mkdir(parents=True)
    (out / "Gone__Stack" / "Old.bucket-policy.json").write_text("{}\n")
    assert main([str(write_assembly(tmp_path / "cdk.out")), str(out)]) == 0
    assert sorted(tree(out)) == sorted(render_assembly(tmp_path / "cdk.out"))


def test_a_missing_assembly_is_a_one_line_error_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "cdk.out"), str(tmp_path / "rendered")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path}/cdk.out/manifest.json: not found (run `make synth` first)\n"
    assert not (tmp_path / "rendered").exists()


def test_a_policy_on_a_resource_type_the_renderer_does_not_know_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = {
        "Type": "AWS::Backup::BackupVault",
        "Properties": {"AccessPolicy": {"Version": "2012-10-17", "Statement": []}},
    }
    write_assembly(tmp_path / "cdk.out", {"Resources": {"Vault1": vault}})
    assert main([str(tmp_path / "cdk.out"), str(tmp_path / "rendered")]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path}/cdk.out/assembly-Org-Shared/OrgShared.template.json: "
        "Resources.Vault1.Properties.AccessPolicy: AWS::Backup::BackupVault holds a policy document "
        "that policies/render.py does not know; add the type to POLICY_SOURCES\n"
    )
