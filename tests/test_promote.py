"""Promotion and rollback against a local registry: the gates, the manifest, the PR body, the history."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion import deploy, manifest_writer
from promotion.aws import AwsContext
from promotion.cfn_deploy import DeployFailed, DeployResult, DeployTimedOut, StackArtifact
from promotion.deploy_roles import EnvironmentRoles
from promotion.errors import CheckFailed, ConcurrentUpdate, GateFailed
from promotion.ledger import HistoryRecord, Ledger, LedgerRecord
from promotion.live_records import LiveRecords
from promotion.post_deploy import read_manifests
from promotion.promote import Outcome, promote, rollback
from tests.promotion_support import LocalAws
from workloads.manifest import load_manifest

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/{}"


def run_promote(local_aws: LocalAws, workloads: Path, tmp_path: Path, **kwargs: Any) -> Outcome:
    arguments: dict[str, Any] = {"model": "churn-model", "env": "qa", "pr_body_file": tmp_path / "pr.md"}
    arguments.update(kwargs)
    return promote(AwsContext(local_aws.config), local_aws.config, workloads, **arguments)


def pinned(workloads: Path, env: str, config: OrgConfig) -> str:
    return load_manifest(workloads / env / "churn-model.yaml", config).model_package_arn


def test_promoting_an_approved_version_pins_it_and_writes_the_pr_body(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    local_aws.approved(n=1)
    local_aws.approved(n=2, auc=0.93)
    outcome = run_promote(local_aws, workloads, tmp_path, version=2)
    assert outcome.written
    assert pinned(workloads, "qa", local_aws.config) == ARN.format(2)
    body = (tmp_path / "pr.md").read_text()
    assert body.splitlines()[0] == "## Promote churn-model v2 to qa"
    for line in [
        "Promotes **churn-model** in **qa** from v1 to v2.",
        f"| replaced | `{ARN.format(1)}` |",
        f"| proposed | `{ARN.format(2)}` |",
        "| metric | qa requires | replaced `churn-model v1` | proposed `churn-model v2` |",
        "| `auc` | min 0.8 | 0.9 | 0.93 (+0.03) |",
        "| `false_positive_rate` | max 0.2 | 0.05 | 0.05 (=) |",
        "- status: **Approved**",
        "- latest decision: `qa.approver@example.com: test`",
        "- source commit: `0123456789abcdef0123456789abcdef01234567`",
        "- artifact: `s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/v2/model.tar.gz`",
        "- model card: `Draft`",
        "- model card summary: `intended_uses.purpose_of_model: churn`",
        "qa is the first environment of the chain.",
        f"-model_package_arn: {ARN.format(1)}",
        f"+model_package_arn: {ARN.format(2)}",
    ]:
        assert line in body.splitlines(), line
    [record] = [json.loads(value) for value in local_aws.history_values()]
    assert {k: v for k, v in record.items() if k != "when"} == {
        "who": "platform.engineer@example.com",
        "action": "promotion-proposed",
        "reason": "Promote churn-model v2 to qa",
        "arn": ARN.format(2),
        "account": "444444444444",
        "env": "qa",
    }


def test_without_a_version_the_newest_approved_one_is_promoted(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    local_aws.approved(n=1)
    local_aws.approved(n=2)
    local_aws.register(n=3)
    outcome = run_promote(local_aws, workloads, tmp_path)
    assert outcome.plan.arn == ARN.format(2)


def test_a_dry_run_checks_and_writes_nothing(local_aws: LocalAws, workloads: Path, tmp_path: Path) -> None:
    local_aws.approved(n=1)
    local_aws.approved(n=2)
    before = (workloads / "qa" / "churn-model.yaml").read_bytes()
    outcome = run_promote(local_aws, workloads, tmp_path, version=2, dry_run=True)
    assert not outcome.written
    assert f"+model_package_arn: {ARN.format(2)}" in outcome.plan.diff.splitlines()
    # Named as git names it, from the folder holding the manifests, wherever they are (an absolute path here).
    assert outcome.plan.diff.splitlines()[:2] == [
        f"--- a/{workloads.name}/qa/churn-model.yaml",
        f"+++ b/{workloads.name}/qa/churn-model.yaml",
    ]
    assert (workloads / "qa" / "churn-model.yaml").read_bytes() == before
    assert not (tmp_path / "pr.md").exists()
    assert local_aws.history_values() == []


def test_promoting_the_version_already_pinned_changes_nothing(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    local_aws.pin(workloads, "qa", local_aws.approved(n=1))
    outcome = run_promote(local_aws, workloads, tmp_path, version=1)
    assert (outcome.written, outcome.plan.unchanged) == (False, True)
    assert local_aws.history_values() == []


def test_prod_refuses_a_version_not_live_in_qa(local_aws: LocalAws, workloads: Path, tmp_path: Path) -> None:
    local_aws.approved(n=1)
    local_aws.approved(n=2)
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    with pytest.raises(GateFailed) as raised:
        run_promote(local_aws, workloads, tmp_path, env="prod", version=2)
    assert raised.value.failures == [
        "chain-order: v2 is not live in qa, the environment before prod (live there: v1); "
        "promote and deploy it to qa first"
    ]
    assert pinned(workloads, "prod", local_aws.config) == ARN.format(1)


def test_prod_accepts_the_version_live_in_qa_and_names_it_in_the_pr(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    local_aws.approved(n=1)
    local_aws.approved(n=2)
    local_aws.mark_deployed("churn-model", "qa", ARN.format(2))
    run_promote(local_aws, workloads, tmp_path, env="prod", version=2)
    assert pinned(workloads, "prod", local_aws.config) == ARN.format(2)
    assert f"qa runs `{ARN.format(2)}`." in (tmp_path / "pr.md").read_text().splitlines()


def test_every_broken_rule_is_listed_at_once(local_aws: LocalAws, workloads: Path, tmp_path: Path) -> None:
    local_aws.approved(n=1)
    local_aws.approved(n=2, auc=0.82, card=False)
    with pytest.raises(GateFailed) as raised:
        run_promote(local_aws, workloads, tmp_path, env="prod", version=2)
    assert raised.value.failures == [
        "metric-threshold: churn-model v2: auc 0.82 is below prod's minimum 0.85",
        "model-card: churn-model v2 has no model card; prod requires one",
        "chain-order: v2 is not live in qa, the environment before prod (live there: nothing); "
        "promote and deploy it to qa first",
    ]


def test_a_failed_ledger_append_undoes_the_manifest_change(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_aws.approved(n=1)
    local_aws.approved(n=2)
    before = (workloads / "qa" / "churn-model.yaml").read_bytes()

    def refuse(self: Ledger, stream: str, record: HistoryRecord) -> LedgerRecord:
        raise RuntimeError("DynamoDB is down")

    monkeypatch.setattr(Ledger, "append", refuse)
    with pytest.raises(RuntimeError):
        run_promote(local_aws, workloads, tmp_path, version=2)
    assert (workloads / "qa" / "churn-model.yaml").read_bytes() == before
    assert not (tmp_path / "pr.md").exists()


def test_two_promotions_into_the_same_environment_at_once_one_wins_and_nothing_is_lost(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_aws.approved(n=1)
    local_aws.approved(n=2)
    local_aws.approved(n=3)
    both_checked = threading.Barrier(2)
    original_write = manifest_writer.write_pin

    def write_after_both_checked(*args: Any, **kwargs: Any) -> None:
        both_checked.wait()  # both promotions have read the manifest and passed the gates
        original_write(*args, **kwargs)

    monkeypatch.setattr(manifest_writer, "write_pin", write_after_both_checked)
    results: dict[int, object] = {}

    def promote_version(version: int) -> None:
        try:
            results[version] = run_promote(local_aws, workloads, tmp_path / str(version), version=version)
        except ConcurrentUpdate as exc:
            results[version] = exc

    threads = [threading.Thread(target=promote_version, args=(v,)) for v in (2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [v for v, result in results.items() if isinstance(result, Outcome)]
    losers = [result for result in results.values() if isinstance(result, ConcurrentUpdate)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert str(losers[0]).endswith(
        "changed while this promotion was running (another promotion got there first); nothing was written: "
        "run promote again to check the gates against the new pin"
    )
    assert pinned(workloads, "qa", local_aws.config) == ARN.format(winners[0])
    assert [json.loads(v)["arn"] for v in local_aws.history_values()] == [ARN.format(winners[0])]


# -- rollback ---------------------------------------------------------------------------------------


def deployed_v1_then_v3_in_prod(local_aws: LocalAws, workloads: Path) -> None:
    for n in (1, 2, 3):
        local_aws.approved(n=n)
    for arn in (ARN.format(1), ARN.format(3)):
        local_aws.mark_deployed("churn-model", "qa", arn)
        local_aws.mark_deployed("churn-model", "prod", arn)
    manifest = workloads / "prod" / "churn-model.yaml"
    manifest.write_text(manifest.read_text().replace(ARN.format(1), ARN.format(3)))


def test_rollback_pins_the_version_live_before_skipping_only_the_chain_gate(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    deployed_v1_then_v3_in_prod(local_aws, workloads)
    outcome = rollback(
        AwsContext(local_aws.config),
        local_aws.config,
        workloads,
        model="churn-model",
        env="prod",
        pr_body_file=tmp_path / "pr.md",
    )
    assert outcome.plan.pull_request.title == "Roll back churn-model in prod to v1"
    assert pinned(workloads, "prod", local_aws.config) == ARN.format(1)
    assert [json.loads(v)["action"] for v in local_aws.history_values()[-2:]] == ["rollback-proposed", "held"]


def test_rollback_to_a_version_never_live_there_is_refused(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    deployed_v1_then_v3_in_prod(local_aws, workloads)
    with pytest.raises(GateFailed) as raised:
        rollback(
            AwsContext(local_aws.config),
            local_aws.config,
            workloads,
            model="churn-model",
            env="prod",
            to_version=2,
            pr_body_file=tmp_path / "pr.md",
        )
    assert raised.value.failures == [
        "chain-order: v2 was never live in prod; a rollback returns only to a version live there before "
        "(live there so far: v1, v3)"
    ]


def test_rollback_never_skips_the_approval_gate(local_aws: LocalAws, workloads: Path, tmp_path: Path) -> None:
    deployed_v1_then_v3_in_prod(local_aws, workloads)
    local_aws.set_status(ARN.format(1), "Rejected", "prod.approver@example.com: data leak found")
    with pytest.raises(GateFailed) as raised:
        rollback(
            AwsContext(local_aws.config),
            local_aws.config,
            workloads,
            model="churn-model",
            env="prod",
            pr_body_file=tmp_path / "pr.md",
        )
    assert raised.value.failures == [
        "approved: churn-model v1 is Rejected (prod.approver@example.com: data leak found); "
        "only Approved versions can be promoted"
    ]


def test_rollback_with_nothing_earlier_is_refused(local_aws: LocalAws, workloads: Path, tmp_path: Path) -> None:
    local_aws.approved(n=1)
    local_aws.mark_deployed("churn-model", "prod", ARN.format(1))
    with pytest.raises(GateFailed) as raised:
        rollback(AwsContext(local_aws.config), local_aws.config, workloads, model="churn-model", env="prod")
    assert raised.value.failures == [
        "chain-order: no version other than v1 was ever live in prod; nothing to roll back to"
    ]


# -- a constant number of AWS calls, whatever the group holds -------------------------------------------


def promote_calls(local_aws: LocalAws, workloads: Path, tmp_path: Path, versions: int) -> list[str]:
    for n in range(1, versions + 1):
        local_aws.approved(n=n)
    calls: list[str] = []

    def count(session: Any) -> None:
        session.events.register("before-call", lambda model, **_: calls.append(model.name))

    aws = AwsContext(local_aws.config, on_session=count)
    promote(aws, local_aws.config, workloads, model="churn-model", env="qa", pr_body_file=tmp_path / "pr.md")
    return calls


@pytest.mark.parametrize("versions", [2, 12])
def test_a_promotion_makes_the_same_calls_however_many_versions_the_group_holds(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, versions: int
) -> None:
    assert promote_calls(local_aws, workloads, tmp_path, versions) == [
        "GetCallerIdentity",
        "AssumeRole",
        "ListModelPackages",
        "DescribeModelPackage",
        "DescribeModelPackage",
        "HeadObject",
        "Query",  # the promotions stream, then the releases stream: is qa held?
        "Query",
        "Query",  # the tail of churn-model/promotions
        "ExecuteStatement",  # the INSERT of the promotion record
    ]


# -- deploy: a CloudFormation failure writes no live record ---------------------------------------------


QA_ENDPOINTS = "ModelOps-qa-Endpoint-churn-model"
LIVE_PARAMETER = "/modelops/models/churn-model/live-model-package-arn"
# The prod endpoint's rollout as the stack writes it: a 10% canary, 10 min baking after each of its two steps,
# 15 min before the blue fleet goes, and SageMaker's execution timeout for the whole deployment.
PROD_ROLLOUT_TEMPLATE = {
    "Resources": {
        "Endpoint": {
            "Type": "AWS::SageMaker::Endpoint",
            "Properties": {
                "DeploymentConfig": {
                    "BlueGreenUpdatePolicy": {
                        "TrafficRoutingConfiguration": {
                            "Type": "CANARY",
                            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                            "WaitIntervalInSeconds": 600,
                        },
                        "TerminationWaitInSeconds": 900,
                        "MaximumExecutionTimeoutInSeconds": 3900,
                    }
                }
            },
        }
    }
}


def deploy_qa_with(
    local_aws: LocalAws,
    workloads: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    deploy_stack: Any,
    template: dict[str, Any] | None = None,
) -> None:
    """`deploy qa` of one pinned version, with CloudFormation's part played by `deploy_stack`."""
    local_aws.pin(workloads, "qa", local_aws.approved(n=1))
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template or {}))
    artifact = StackArtifact(
        display_name="ModelOps-qa/Endpoint-churn-model",
        stack_name=QA_ENDPOINTS,
        account="444444444444",
        region="eu-west-1",
        template_path=path,
        assets_path=None,
        deploy_role_arn=None,
        cfn_exec_role_arn=None,
        template_object_url=None,
    )
    monkeypatch.setattr(deploy, "stage_stacks", lambda *args, **kwargs: [artifact])
    monkeypatch.setattr(deploy, "deploy_stack", deploy_stack)
    monkeypatch.setattr(deploy, "deployed_template_matches", lambda *args: False)
    monkeypatch.setattr(deploy, "stacks_starting_with", lambda *args: [])
    deploy.deploy(AwsContext(local_aws.config), local_aws.config, workloads, "qa", synthesize=lambda _c, _w, out: out)


def failing(error: DeployFailed) -> Any:
    def fail_update(*args: Any, **kwargs: Any) -> None:
        raise error

    return fail_update


ROLLED_BACK = DeployFailed(
    QA_ENDPOINTS, "ChurnModelEndpoint", "Instance type ml.m5.large is not available", "UPDATE_ROLLBACK_COMPLETE"
)


def test_a_failed_deploy_names_resource_and_reason_and_records_nothing(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CheckFailed) as raised:
        deploy_qa_with(local_aws, workloads, tmp_path, monkeypatch, failing(ROLLED_BACK))
    assert str(raised.value) == (
        "deploy of ModelOps-qa-Endpoint-churn-model failed at ChurnModelEndpoint: Instance type ml.m5.large is not "
        "available (stack UPDATE_ROLLBACK_COMPLETE); CloudFormation rolled the stack back: endpoint "
        "modelops-churn-model does not exist, as before the deploy; the live record of churn-model in qa was not "
        "updated"
    )
    shared = local_aws.admin("111111111111").client("ssm", region_name="eu-west-1")
    workload = local_aws.admin("444444444444").client("ssm", region_name="eu-west-1")
    assert LiveRecords(shared).get("churn-model", "qa") is None
    assert workload.get_parameters(Names=[LIVE_PARAMETER])["Parameters"] == []
    assert local_aws.history_values() == []


def test_a_rolled_back_stack_whose_endpoint_is_not_what_was_live_before_is_not_called_rolled_back(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workload = local_aws.admin("444444444444").client("ssm", region_name="eu-west-1")
    before = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/7"
    workload.put_parameter(Name=LIVE_PARAMETER, Value=before, Type="String")
    with pytest.raises(CheckFailed) as raised:
        deploy_qa_with(local_aws, workloads, tmp_path, monkeypatch, failing(ROLLED_BACK))
    assert str(raised.value) == (
        "deploy of ModelOps-qa-Endpoint-churn-model failed at ChurnModelEndpoint: Instance type ml.m5.large is not "
        "available (stack UPDATE_ROLLBACK_COMPLETE); the endpoints are not as before the deploy: endpoint "
        f"modelops-churn-model does not exist, while {before} was live before; the live record of churn-model in qa "
        "was not updated"
    )


def test_a_deploy_whose_wait_ran_out_says_so_and_not_that_it_rolled_back(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CheckFailed) as raised:
        deploy_qa_with(
            local_aws,
            workloads,
            tmp_path,
            monkeypatch,
            failing(DeployTimedOut(QA_ENDPOINTS, 8400, "UPDATE_IN_PROGRESS")),
        )
    assert str(raised.value) == (
        "deploy of ModelOps-qa-Endpoint-churn-model: CloudFormation had not finished after 8400 s (stack "
        "UPDATE_IN_PROGRESS); it may still complete or roll back; the endpoints were not read back and the live "
        "record of churn-model in qa was not updated: once the stack has finished, `modelops record-deploy qa` "
        "verifies and records it"
    )
    assert local_aws.history_values() == []


def test_the_deploy_waits_as_long_as_the_stacks_rollout_settings_allow(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prod canary's baking alone is 35 minutes; the wait was a fixed 1,800 s. It is now the deployment's
    bound twice (the update, then CloudFormation's rollback of it) plus 10 minutes for the rest of the stack."""
    waits: list[int] = []

    def record_wait(*args: Any, timeout_seconds: int, **kwargs: Any) -> None:
        waits.append(timeout_seconds)
        raise DeployTimedOut(QA_ENDPOINTS, timeout_seconds, "UPDATE_IN_PROGRESS")

    with pytest.raises(CheckFailed):
        deploy_qa_with(local_aws, workloads, tmp_path, monkeypatch, record_wait, PROD_ROLLOUT_TEMPLATE)
    assert waits == [2 * 3900 + 600]


def stage_artifact(tmp_path: Path, stack_id: str) -> StackArtifact:
    """A qa stack of the synthesized stage, e.g. `Environment` or `Endpoint-churn-model`."""
    path = tmp_path / f"{stack_id}.json"
    path.write_text("{}")
    return StackArtifact(
        display_name=f"ModelOps-qa/{stack_id}",
        stack_name=f"ModelOps-qa-{stack_id}",
        account="444444444444",
        region="eu-west-1",
        template_path=path,
        assets_path=None,
        deploy_role_arn=None,
        cfn_exec_role_arn=None,
        template_object_url=None,
    )


def deploy_qa_stage(
    local_aws: LocalAws,
    workloads: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    unchanged: frozenset[str] = frozenset(),
    failing_stack: str | None = None,
    no_updates: frozenset[str] = frozenset(),
    in_account: tuple[str, ...] = (),
) -> tuple[deploy.StageOutcome, list[str], list[str]]:
    """qa's stage (Environment, then churn-model's and fraud-model's endpoint stacks) through deploy_stacks, with
    CloudFormation played by fakes: the stacks it deployed, in order, and the progress lines."""
    local_aws.pin(workloads, "qa", local_aws.approved(n=1))
    deployed: list[str] = []
    lines: list[str] = []

    def fake_deploy(*args: Any, stack_name: str, **kwargs: Any) -> DeployResult:
        deployed.append(stack_name)
        if stack_name == failing_stack:
            raise DeployFailed(
                stack_name, "Endpoint", "Instance type ml.m5.large is not available", "UPDATE_ROLLBACK_COMPLETE"
            )
        return DeployResult(stack_name, "UPDATE_COMPLETE", {}, changed=stack_name not in no_updates)

    monkeypatch.setattr(deploy, "deploy_stack", fake_deploy)
    monkeypatch.setattr(deploy, "deployed_template_matches", lambda _session, name, _path: name in unchanged)
    monkeypatch.setattr(
        deploy, "stacks_starting_with", lambda _session, prefix: [n for n in in_account if n.startswith(prefix)]
    )
    monkeypatch.setattr(deploy, "delete_stack", lambda _session, name, **kwargs: deployed.append(f"deleted {name}"))
    roles = EnvironmentRoles(AwsContext(local_aws.config), local_aws.config, "qa", lines.append)
    stacks = [
        stage_artifact(tmp_path, name) for name in ("Environment", "Endpoint-churn-model", "Endpoint-fraud-model")
    ]
    outcome = deploy.deploy_stacks(roles, stacks, read_manifests(roles, workloads))
    return outcome, deployed, lines


def test_the_environment_deploys_first_then_only_the_model_stacks_whose_template_changed(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, deployed, lines = deploy_qa_stage(
        local_aws, workloads, tmp_path, monkeypatch, unchanged=frozenset({"ModelOps-qa-Endpoint-churn-model"})
    )
    assert deployed == ["ModelOps-qa-Environment", "ModelOps-qa-Endpoint-fraud-model"]
    assert (outcome.deployed, outcome.unchanged, outcome.failed) == (
        ["ModelOps-qa-Environment", "ModelOps-qa-Endpoint-fraud-model"],
        ["ModelOps-qa-Endpoint-churn-model"],
        {},
    )
    assert lines[-1] == "1 of 2 endpoint stacks unchanged"


def test_the_endpoint_stack_of_a_model_whose_manifest_is_gone_is_deleted_after_the_others_deploy(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CDK leaves a stack it no longer synthesizes in place: without the deletion its endpoint would keep serving."""
    in_account = ("ModelOps-qa-Endpoint-churn-model", "ModelOps-qa-Endpoint-old-model", "ModelOps-qa-Environment")
    outcome, deployed, lines = deploy_qa_stage(local_aws, workloads, tmp_path, monkeypatch, in_account=in_account)
    assert deployed == [
        "ModelOps-qa-Environment",
        "ModelOps-qa-Endpoint-churn-model",
        "ModelOps-qa-Endpoint-fraud-model",
        "deleted ModelOps-qa-Endpoint-old-model",
    ]
    assert (outcome.deleted, lines[-1]) == (
        ["ModelOps-qa-Endpoint-old-model"],
        "deleting ModelOps-qa-Endpoint-old-model: its model has no manifest in qa",
    )


def test_an_environment_stack_with_no_updates_is_unchanged_but_not_counted_among_the_endpoint_stacks(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, deployed, lines = deploy_qa_stage(
        local_aws,
        workloads,
        tmp_path,
        monkeypatch,
        unchanged=frozenset({"ModelOps-qa-Endpoint-churn-model"}),
        no_updates=frozenset({"ModelOps-qa-Environment"}),
    )
    assert (deployed, outcome.deployed, outcome.unchanged) == (
        ["ModelOps-qa-Environment", "ModelOps-qa-Endpoint-fraud-model"],
        ["ModelOps-qa-Endpoint-fraud-model"],
        ["ModelOps-qa-Environment", "ModelOps-qa-Endpoint-churn-model"],
    )
    assert lines[-1] == "1 of 2 endpoint stacks unchanged"


def test_a_failed_model_stack_is_reported_with_its_endpoint_alone_and_the_next_model_still_deploys(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, deployed, _ = deploy_qa_stage(
        local_aws, workloads, tmp_path, monkeypatch, failing_stack="ModelOps-qa-Endpoint-churn-model"
    )
    assert deployed == [
        "ModelOps-qa-Environment",
        "ModelOps-qa-Endpoint-churn-model",
        "ModelOps-qa-Endpoint-fraud-model",
    ]
    assert outcome.deployed == ["ModelOps-qa-Environment", "ModelOps-qa-Endpoint-fraud-model"]
    assert outcome.failed == {
        "churn-model": "deploy of ModelOps-qa-Endpoint-churn-model failed at Endpoint: Instance type ml.m5.large "
        "is not available (stack UPDATE_ROLLBACK_COMPLETE); CloudFormation rolled the stack back: endpoint "
        "modelops-churn-model does not exist, as before the deploy; the live record of churn-model in qa was not "
        "updated"
    }


def test_a_failed_environment_stack_stops_the_deploy_before_any_model_stack(
    local_aws: LocalAws, workloads: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CheckFailed) as raised:
        deploy_qa_stage(local_aws, workloads, tmp_path, monkeypatch, failing_stack="ModelOps-qa-Environment")
    assert str(raised.value) == (
        "deploy of ModelOps-qa-Environment failed at Endpoint: Instance type ml.m5.large is not available (stack "
        "UPDATE_ROLLBACK_COMPLETE); CloudFormation rolled the stack back: endpoint modelops-churn-model does not "
        "exist, as before the deploy; the live record of qa was not updated"
    )


def test_unknown_environment_and_model_are_bad_input(local_aws: LocalAws, workloads: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError) as env:
        run_promote(local_aws, workloads, tmp_path, env="staging", version=1)
    with pytest.raises(InputError) as model:
        run_promote(local_aws, workloads, tmp_path, model="fraud-model", version=1)
    assert str(env.value) == "unknown environment 'staging'; expected one of ['qa', 'prod']"
    assert str(model.value) == "unknown model 'fraud-model'; expected one of ['churn-model']"
