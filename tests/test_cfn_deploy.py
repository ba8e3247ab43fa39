"""promotion/cfn_deploy.py: one stack through CloudFormation, as the pipeline deploys it.

The local AWS stands in for CloudFormation (with its create, update and rollback semantics, see
tests/test_moto_compat.py); the code under test is the production deploy path.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any, Literal

import pytest

from policies.quota_limits import TEMPLATE_BODY_LIMIT
from promotion.cfn_deploy import (
    DeployFailed,
    DeployResult,
    delete_stack,
    deploy_stack,
    deployed_template_matches,
    publish_assets,
    stack_artifacts,
    stack_templates,
    stacks_starting_with,
)
from tests.conftest import Synth
from tests.sandbox_fixtures import EmptyAws

QA = "444444444444"
STACK = "ModelOps-qa-Endpoint-churn-model"
REGION: Literal["eu-west-1"] = "eu-west-1"
PARAMETER = "/modelops/models/churn-model/live-model-package-arn"
MISSING_PACKAGE = f"arn:aws:sagemaker:{REGION}:111111111111:model-package/churn-model/9"


def _parameter_template(value: str, *, metadata: str = "") -> dict[str, Any]:
    template: dict[str, Any] = {
        "Resources": {
            "LiveArn": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": PARAMETER, "Type": "String", "Value": value},
            }
        },
        "Outputs": {"Parameter": {"Value": {"Ref": "LiveArn"}}, "Version": {"Value": value}},
    }
    if metadata:
        template["Metadata"] = {"Padding": metadata}
    return template


def _with_failing_model(template: dict[str, Any]) -> dict[str, Any]:
    """`template` plus a SageMaker Model naming a model package that does not exist."""
    failing: dict[str, Any] = json.loads(json.dumps(template))
    failing["Resources"]["Model"] = {
        "Type": "AWS::SageMaker::Model",
        "Properties": {
            "ExecutionRoleArn": f"arn:aws:iam::{QA}:role/modelops-exec-qa-churn-model",
            "PrimaryContainer": {"ModelPackageName": MISSING_PACKAGE},
        },
    }
    return failing


def _write(tmp_path: Path, name: str, template: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(template))
    return path


def _deploy(aws: EmptyAws, path: Path, **kwargs: Any) -> DeployResult:
    return deploy_stack(aws.session(QA), stack_name=STACK, template_path=path, cfn_exec_role_arn=None, **kwargs)


def _parameter_value(aws: EmptyAws) -> str:
    return str(aws.session(QA).client("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"])


def test_first_deploy_creates_the_stack_and_reports_its_outputs_and_progress(
    empty_aws: EmptyAws, tmp_path: Path
) -> None:
    lines: list[str] = []

    result = _deploy(empty_aws, _write(tmp_path, "t.json", _parameter_template("v1")), progress=lines.append)

    assert result == DeployResult(STACK, "CREATE_COMPLETE", {"Parameter": PARAMETER, "Version": "v1"}, changed=True)
    assert lines == [
        f"{STACK} CREATE_IN_PROGRESS {STACK} User Initiated",
        f"{STACK} CREATE_COMPLETE LiveArn",
        f"{STACK} CREATE_COMPLETE {STACK}",
    ]


def test_unchanged_template_is_not_an_update(empty_aws: EmptyAws, tmp_path: Path) -> None:
    path = _write(tmp_path, "t.json", _parameter_template("v1"))
    _deploy(empty_aws, path)

    again = _deploy(empty_aws, path)

    assert again == DeployResult(STACK, "CREATE_COMPLETE", {"Parameter": PARAMETER, "Version": "v1"}, changed=False)


def test_changed_template_updates_the_stack(empty_aws: EmptyAws, tmp_path: Path) -> None:
    _deploy(empty_aws, _write(tmp_path, "v1.json", _parameter_template("v1")))

    result = _deploy(empty_aws, _write(tmp_path, "v2.json", _parameter_template("v2")))

    assert result == DeployResult(STACK, "UPDATE_COMPLETE", {"Parameter": PARAMETER, "Version": "v2"}, changed=True)
    assert _parameter_value(empty_aws) == "v2"


def test_failed_update_names_the_resource_and_reason_and_leaves_the_previous_stack(
    empty_aws: EmptyAws, tmp_path: Path
) -> None:
    _deploy(empty_aws, _write(tmp_path, "v1.json", _parameter_template("v1")))
    broken = _write(tmp_path, "v2.json", _with_failing_model(_parameter_template("v2")))

    with pytest.raises(DeployFailed) as failed:
        _deploy(empty_aws, broken)

    reason = (
        f'Resource handler returned message: "ModelPackage {MISSING_PACKAGE} does not exist." '
        "(HandlerErrorCode: InvalidRequest)"
    )
    assert (failed.value.stack_name, failed.value.resource, failed.value.reason, failed.value.status) == (
        STACK,
        "Model",
        reason,
        "UPDATE_ROLLBACK_COMPLETE",
    )
    assert str(failed.value) == f"deploy of {STACK} failed at Model: {reason} (stack UPDATE_ROLLBACK_COMPLETE)"
    assert _parameter_value(empty_aws) == "v1"


def test_failed_first_deploy_is_deleted_before_the_next_attempt(empty_aws: EmptyAws, tmp_path: Path) -> None:
    """A stack whose creation rolled back cannot be updated; the next deploy deletes it and creates anew."""
    with pytest.raises(DeployFailed) as failed:
        _deploy(empty_aws, _write(tmp_path, "broken.json", _with_failing_model(_parameter_template("v1"))))

    result = _deploy(empty_aws, _write(tmp_path, "fixed.json", _parameter_template("v1")))

    assert (failed.value.resource, failed.value.status) == ("Model", "ROLLBACK_COMPLETE")
    assert result == DeployResult(STACK, "CREATE_COMPLETE", {"Parameter": PARAMETER, "Version": "v1"}, changed=True)


def test_a_stack_matches_only_the_template_it_completed_with(empty_aws: EmptyAws, tmp_path: Path) -> None:
    """What lets a deploy skip the model stacks that did not change, without a change set or an update each."""
    v1, v2 = (
        _write(tmp_path, "v1.json", _parameter_template("v1")),
        _write(tmp_path, "v2.json", _parameter_template("v2")),
    )
    session = empty_aws.session(QA)

    before = deployed_template_matches(session, STACK, v1)
    _deploy(empty_aws, v1)

    assert (before, deployed_template_matches(session, STACK, v1), deployed_template_matches(session, STACK, v2)) == (
        False,
        True,
        False,
    )


def test_after_a_rolled_back_update_the_stack_matches_the_template_it_went_back_to(
    empty_aws: EmptyAws, tmp_path: Path
) -> None:
    v1 = _write(tmp_path, "v1.json", _parameter_template("v1"))
    broken = _write(tmp_path, "v2.json", _with_failing_model(_parameter_template("v2")))
    _deploy(empty_aws, v1)
    with pytest.raises(DeployFailed):
        _deploy(empty_aws, broken)

    session = empty_aws.session(QA)
    assert (deployed_template_matches(session, STACK, v1), deployed_template_matches(session, STACK, broken)) == (
        True,
        False,
    )


def test_a_stack_whose_creation_rolled_back_matches_no_template(empty_aws: EmptyAws, tmp_path: Path) -> None:
    """ROLLBACK_COMPLETE runs nothing: it must be deleted and created again, so it always deploys."""
    broken = _write(tmp_path, "broken.json", _with_failing_model(_parameter_template("v1")))
    with pytest.raises(DeployFailed):
        _deploy(empty_aws, broken)

    assert deployed_template_matches(empty_aws.session(QA), STACK, broken) is False


def test_the_stacks_of_a_prefix_are_listed_and_a_deleted_one_is_gone(empty_aws: EmptyAws, tmp_path: Path) -> None:
    session = empty_aws.session(QA)
    _deploy(empty_aws, _write(tmp_path, "v1.json", _parameter_template("v1")))
    other = _parameter_template("v1")
    other["Resources"]["LiveArn"]["Properties"]["Name"] = "/modelops/models/fraud-model/live-model-package-arn"
    other_path = _write(tmp_path, "other.json", other)
    deploy_stack(
        session, stack_name="ModelOps-qa-Endpoint-fraud-model", template_path=other_path, cfn_exec_role_arn=None
    )
    lines: list[str] = []

    before = stacks_starting_with(session, "ModelOps-qa-Endpoint-")
    delete_stack(session, "ModelOps-qa-Endpoint-fraud-model", progress=lines.append)

    assert before == [STACK, "ModelOps-qa-Endpoint-fraud-model"]
    assert stacks_starting_with(session, "ModelOps-qa-Endpoint-") == [STACK]
    assert lines[-1] == "ModelOps-qa-Endpoint-fraud-model DELETE_COMPLETE ModelOps-qa-Endpoint-fraud-model"


def test_template_over_the_inline_limit_is_refused_without_a_template_url(empty_aws: EmptyAws, tmp_path: Path) -> None:
    path = _write(tmp_path, "big.json", _parameter_template("v1", metadata="x" * TEMPLATE_BODY_LIMIT))
    size = path.stat().st_size

    with pytest.raises(ValueError, match="template is") as refused:
        _deploy(empty_aws, path)

    assert str(refused.value) == (
        f"{path}: template is {size} bytes; CloudFormation accepts at most 51200 inline. "
        "Publish the stack's assets (publish_assets) and pass template_url"
    )


def _assets_manifest(tmp_path: Path, template: Path, bucket: str) -> Path:
    code = tmp_path / "asset.handler"
    code.mkdir()
    (code / "index.py").write_text("def handler(event, context):\n    return event\n")
    (code / "lib").mkdir()
    (code / "lib" / "util.py").write_text("VALUE = 1\n")
    destination = {"bucketName": bucket, "region": REGION}
    manifest = {
        "version": "55.0.0",
        "files": {
            "template": {
                "source": {"path": template.name, "packaging": "file"},
                "destinations": {"d": {**destination, "objectKey": "template.json"}},
            },
            "code": {
                "source": {"path": code.name, "packaging": "zip"},
                "destinations": {"d": {**destination, "objectKey": "code.zip"}},
            },
        },
        "dockerImages": {},
    }
    return _write(tmp_path, "Stack.assets.json", manifest)


def test_published_template_deploys_through_its_url(empty_aws: EmptyAws, tmp_path: Path) -> None:
    """cdk-assets publishes file assets (the template included) to the staging bucket; CloudFormation reads
    a template over the inline limit from its HTTPS URL."""
    bucket = f"cdk-hnb659fds-assets-{QA}-{REGION}"
    s3 = empty_aws.session(QA).client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    template = _write(tmp_path, "big.json", _parameter_template("v1", metadata="x" * TEMPLATE_BODY_LIMIT))
    assets = _assets_manifest(tmp_path, template, bucket)

    written = publish_assets(empty_aws.session(QA), assets)
    again = publish_assets(empty_aws.session(QA), assets)
    result = _deploy(empty_aws, template, template_url=f"https://s3.{REGION}.amazonaws.com/{bucket}/template.json")

    archive = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=bucket, Key="code.zip")["Body"].read()))
    assert written == [f"s3://{bucket}/template.json", f"s3://{bucket}/code.zip"]
    assert again == []
    assert archive.namelist() == ["index.py", "lib/util.py"]
    assert archive.read("lib/util.py") == b"VALUE = 1\n"
    assert result.status == "CREATE_COMPLETE"


def test_docker_image_assets_are_refused(tmp_path: Path) -> None:
    manifest = _write(tmp_path, "Stack.assets.json", {"files": {}, "dockerImages": {"abc": {}}})

    with pytest.raises(ValueError, match="docker") as refused:
        publish_assets(None, manifest)  # type: ignore[arg-type]

    assert str(refused.value) == f"{manifest}: docker image assets are not supported; reference images by URI"


def test_stack_templates_lists_every_stack_of_the_assembly_and_its_stages(synth: Synth) -> None:
    templates = stack_templates(synth.outdir)

    assert set(templates) == set(synth.stacks)
    for name, path in templates.items():
        assert json.loads(path.read_text()) == synth.template_json(name)


def test_stack_artifact_carries_the_roles_the_pipeline_deploys_with(synth: Synth) -> None:
    qa = stack_artifacts(synth.outdir)["ModelOps-qa/Endpoint-churn-model"]

    assert (qa.stack_name, qa.account, qa.region) == (STACK, QA, REGION)
    assert qa.deploy_role_arn == f"arn:aws:iam::{QA}:role/cdk-hnb659fds-deploy-role-{QA}-{REGION}"
    assert qa.cfn_exec_role_arn == f"arn:aws:iam::{QA}:role/cdk-hnb659fds-cfn-exec-role-{QA}-{REGION}"
    assert qa.template_url is not None
    assert qa.template_url.startswith(f"https://s3.{REGION}.amazonaws.com/cdk-hnb659fds-assets-{QA}-{REGION}/")
    assert qa.template_url.endswith(".json")
    assert qa.assets_path is not None
    assert qa.assets_path.exists()
