"""Holds and soak against the local AWS: the rollback's hold refuses promote and verify until a platform engineer
releases it with a reason; the soak gate reads qa's deploy records and alarms (promotion/soak.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from typer.testing import CliRunner, Result

import cli.main
from accounts import naming
from accounts.config import OrgConfig, parse_config
from accounts.validation import InputError
from promotion import gates, holds
from promotion.aws import AwsContext
from promotion.cfn_deploy import stack_artifacts
from promotion.errors import AwsAccessDenied, GateFailed
from promotion.ledger import HistoryAction, HistoryRecord, Ledger, utc_iso
from promotion.live_records import LiveRecords
from promotion.promote import promote, rollback
from promotion.verify import verify
from sandbox.organization import Sandbox, account_admin_session, deploy_artifact, person_role_name, person_session
from tests.orgs import config_path
from tests.promotion_support import PLATFORM_ENGINEER, QA_APPROVER, LocalAws

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/{}"
QA = "444444444444"


def rolled_back_prod_to_v1(local_aws: LocalAws, workloads: Path, tmp_path: Path) -> None:
    """v1 then v3 live in qa and prod, v2 approved; then prod rolled back to v1 (which holds prod at v1)."""
    for n in (1, 2, 3):
        local_aws.approved(n=n)
    for arn in (ARN.format(1), ARN.format(3)):
        local_aws.mark_deployed("churn-model", "qa", arn)
        local_aws.mark_deployed("churn-model", "prod", arn)
    local_aws.pin(workloads, "prod", ARN.format(3))
    rollback(
        AwsContext(local_aws.config),
        local_aws.config,
        workloads,
        model="churn-model",
        env="prod",
        pr_body_file=tmp_path / "pr.md",
        reason="5xx errors after v3",
    )


def held_when(local_aws: LocalAws) -> str:
    [held] = [r for r in local_aws.ledger().read("churn-model/promotions") if r.action == HistoryAction.HELD]
    return gates.when_text(held.when)


def hold_message(local_aws: LocalAws) -> str:
    return (
        f"hold: prod is held at churn-model v1 since the rollback by {PLATFORM_ENGINEER} at {held_when(local_aws)} "
        '("5xx errors after v3"); release it with `modelops release churn-model --env prod --reason ...`'
    )


def test_a_rollback_holds_prod_and_promote_of_another_version_is_refused_naming_the_hold(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    rolled_back_prod_to_v1(local_aws, workloads, tmp_path)
    with pytest.raises(GateFailed) as refused:
        promote(AwsContext(local_aws.config), local_aws.config, workloads, model="churn-model", env="prod", version=3)
    assert refused.value.failures == [hold_message(local_aws)]
    actions = [json.loads(v)["action"] for v in local_aws.history_values()][-2:]
    assert actions == ["rollback-proposed", "held"]


def test_verify_refuses_a_held_environments_manifest_pinning_anything_but_the_held_version(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    rolled_back_prod_to_v1(local_aws, workloads, tmp_path)
    assert verify(AwsContext(local_aws.config), local_aws.config, workloads, envs=["prod"])[1] == []
    local_aws.pin(workloads, "prod", ARN.format(3))  # a hand edit undoing the rollback
    _files, failures = verify(AwsContext(local_aws.config), local_aws.config, workloads, envs=["prod"])
    assert [str(f) for f in failures] == [
        f"{workloads}/prod/churn-model.yaml: {ARN.format(3)}: {hold_message(local_aws)}"
    ]


def test_a_release_needs_a_reason_and_a_held_environment(local_aws: LocalAws, workloads: Path, tmp_path: Path) -> None:
    aws = AwsContext(local_aws.config)
    with pytest.raises(GateFailed) as not_held:
        holds.release(aws, local_aws.config, model="churn-model", env="prod", reason="fixed")
    assert not_held.value.failures == ["hold: prod is not held for churn-model; nothing to release"]
    rolled_back_prod_to_v1(local_aws, workloads, tmp_path)
    with pytest.raises(InputError) as no_reason:
        holds.release(aws, local_aws.config, model="churn-model", env="prod", reason="  ")
    assert str(no_reason.value) == "--reason: a release needs a reason, which the ledger keeps; got nothing"


def test_a_release_is_recorded_with_who_and_why_and_promotion_resumes(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    rolled_back_prod_to_v1(local_aws, workloads, tmp_path)
    record = holds.release(
        AwsContext(local_aws.config), local_aws.config, model="churn-model", env="prod", reason="v3 fixed by v4"
    )
    assert (record.stream, record.seq, record.action, record.who, record.arn, record.env) == (
        "churn-model/releases",
        1,
        HistoryAction.RELEASED,
        PLATFORM_ENGINEER,
        ARN.format(1),
        "prod",
    )
    assert record.reason == "releases hold 2: v3 fixed by v4"  # the promotions stream: rollback-proposed, held
    assert holds.release_summary("churn-model", record) == (
        f"released prod of churn-model (held at v1); recorded as record 1 of churn-model/releases by "
        f"{PLATFORM_ENGINEER}"
    )
    outcome = promote(
        AwsContext(local_aws.config),
        local_aws.config,
        workloads,
        model="churn-model",
        env="prod",
        version=3,
        pr_body_file=tmp_path / "pr.md",
    )
    assert outcome.written
    assert [json.loads(v)["action"] for v in local_aws.history_values()][-3:] == [
        "held",
        "released",
        "promotion-proposed",
    ]


# -- soak -------------------------------------------------------------------------------------------------


def soaking(config: OrgConfig, hours: int = 24) -> OrgConfig:
    data = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    for env in data["environments"]:
        if env["name"] == "prod":
            env["soak_hours"] = hours
    return parse_config(data, "accounts.yaml")


def cloudwatch(local_aws: LocalAws) -> Any:
    return local_aws.admin(QA).client("cloudwatch", region_name=local_aws.config.region)


def v2_live_in_qa_since(local_aws: LocalAws, moment: datetime) -> None:
    """v1 then v2 deployed in qa, v2 at `moment` (qa's deploy records and live record, as qa's recorder writes
    them), both approved, and qa's endpoint alarms in place (OK)."""
    local_aws.approved(n=1)
    local_aws.approved(n=2)
    for arn, at in ((ARN.format(1), moment - timedelta(days=1)), (ARN.format(2), moment)):
        local_aws.ledger().append(
            naming.deploys_stream("churn-model", "qa"),
            HistoryRecord("ci", utc_iso(at), HistoryAction.DEPLOYED, "test", arn, QA, "qa"),
        )
    ssm = local_aws.admin(local_aws.config.accounts.shared_services).client("ssm", region_name="eu-west-1")
    LiveRecords(ssm).put("churn-model", "qa", ARN.format(2))
    for signal in naming.ROLLBACK_SIGNALS:
        cloudwatch(local_aws).put_metric_alarm(
            AlarmName=naming.rollback_alarm_name("churn-model", signal),
            Namespace="AWS/SageMaker",
            MetricName="Invocation5XXErrors",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )


def promote_v2_to_prod(local_aws: LocalAws, workloads: Path, tmp_path: Path) -> Any:
    config = soaking(local_aws.config)
    return promote(
        AwsContext(config),
        config,
        workloads,
        model="churn-model",
        env="prod",
        version=2,
        pr_body_file=tmp_path / "pr.md",
    )


def test_promote_to_prod_is_refused_until_v2_has_been_live_in_qa_for_prods_soak(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    v2_live_in_qa_since(local_aws, datetime.now(UTC) - timedelta(hours=2, minutes=5, seconds=20))
    with pytest.raises(GateFailed) as refused:
        promote_v2_to_prod(local_aws, workloads, tmp_path)
    assert refused.value.failures == [
        "soak: churn-model v2 has been live in qa for 2h 05m; prod requires 24h (21h 54m remaining)"
    ]


def test_an_alarm_that_fired_in_qa_since_v2_went_live_refuses_prod_even_after_the_soak(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    v2_live_in_qa_since(local_aws, datetime.now(UTC) - timedelta(hours=30))
    alarm = naming.rollback_alarm_name("churn-model", "5xx-errors")
    for state in ("ALARM", "OK"):  # it fired, and is quiet again now
        cloudwatch(local_aws).set_alarm_state(AlarmName=alarm, StateValue=state, StateReason="test")
    [_ok, fired] = cloudwatch(local_aws).describe_alarm_history(AlarmName=alarm)["AlarmHistoryItems"]
    with pytest.raises(GateFailed) as refused:
        promote_v2_to_prod(local_aws, workloads, tmp_path)
    assert refused.value.failures == [
        f"soak: churn-model v2's alarm modelops-churn-model-5xx-errors in qa entered ALARM at "
        f"{gates.moment_text(fired['Timestamp'])} since it went live; prod requires 24h healthy"
    ]


def test_v2_live_in_qa_for_the_whole_soak_and_healthy_is_promoted_to_prod(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    v2_live_in_qa_since(local_aws, datetime.now(UTC) - timedelta(hours=25))
    assert promote_v2_to_prod(local_aws, workloads, tmp_path).written


def test_verify_refuses_a_hand_edited_prod_manifest_whose_version_has_not_soaked_in_qa(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    v2_live_in_qa_since(local_aws, datetime.now(UTC) - timedelta(hours=2, minutes=5, seconds=20))
    local_aws.pin(workloads, "prod", ARN.format(2))
    config = soaking(local_aws.config)
    _files, failures = verify(AwsContext(config), config, workloads, envs=["prod"])
    assert [str(f) for f in failures] == [
        f"{workloads}/prod/churn-model.yaml: {ARN.format(2)}: soak: churn-model v2 has been live in qa for 2h 05m; "
        "prod requires 24h (21h 54m remaining)"
    ]


# -- the CLI ----------------------------------------------------------------------------------------------


def modelops(workloads: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli.main.app, ["--config", str(config_path("two_env")), "--workloads", str(workloads), *args]
    )


def test_modelops_rollback_says_it_holds_prod_and_release_without_a_reason_exits_2(
    local_aws: LocalAws, workloads: Path, tmp_path: Path
) -> None:
    for n in (1, 2, 3):
        local_aws.approved(n=n)
    for arn in (ARN.format(1), ARN.format(3)):
        local_aws.mark_deployed("churn-model", "qa", arn)
        local_aws.mark_deployed("churn-model", "prod", arn)
    local_aws.pin(workloads, "prod", ARN.format(3))
    body = tmp_path / "pr.md"
    rolled = modelops(workloads, "rollback", "churn-model", "--env", "prod", "--pr-body-file", str(body))
    assert (rolled.exit_code, rolled.stdout.splitlines()[1:]) == (
        0,
        [
            "hold: prod is held at v1; nothing else is promoted there until "
            "`modelops release churn-model --env prod --reason ...`",
            f"PR title and body: {body}",
        ],
    )
    refused = modelops(workloads, "release", "churn-model", "--env", "prod")
    assert (refused.exit_code, refused.stderr) == (
        2,
        "error: --reason: a release needs a reason, which the ledger keeps; got nothing\n",
    )
    released = modelops(workloads, "release", "churn-model", "--env", "prod", "--reason", "v3 fixed by v4")
    assert (released.exit_code, released.stdout) == (
        0,
        f"released prod of churn-model (held at v1); recorded as record 1 of churn-model/releases by "
        f"{PLATFORM_ENGINEER}\n",
    )


# -- who may do what, in the sandbox organisation (IAM enforced) ------------------------------------------


def signed_in(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, permission_set: str, email: str) -> AwsContext:
    """`email` signed in through Identity Center with `permission_set`, as the ambient identity."""
    config = sandbox.config
    session = person_session(
        config,
        sandbox.endpoint_url,
        account=config.accounts.shared_services,
        role_name=person_role_name(permission_set),
        email=email,
    )
    frozen = session.get_credentials().get_frozen_credentials()  # type: ignore[union-attr]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(frozen.access_key))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(frozen.secret_key))
    monkeypatch.setenv("AWS_SESSION_TOKEN", str(frozen.token))
    return AwsContext(config)


def test_in_the_sandbox_only_a_platform_engineer_releases_a_hold_through_the_releaser(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sandbox.config
    model = "churn-model"
    engineer = signed_in(sandbox, monkeypatch, naming.PLATFORM_PERMISSION_SET, PLATFORM_ENGINEER)
    promoter = engineer.promoter().client("dynamodb", region_name=config.region)
    held = holds.held_record(config, "prod", ARN.format(1), who=PLATFORM_ENGINEER, reason="sandbox hold")
    Ledger(promoter, model).append(naming.promotions_stream(model), held)
    forged = HistoryRecord(
        PLATFORM_ENGINEER,
        held.when,
        HistoryAction.RELEASED,
        "releases hold 999: by the promoter",
        ARN.format(1),
        held.account,
        "prod",
    )
    with pytest.raises(ClientError) as by_promoter:  # the promotion workflow reaches the promoter: it may not release
        Ledger(promoter, model).append(naming.releases_stream(model), forged)
    assert by_promoter.value.response["Error"]["Code"] == "AccessDeniedException"

    approver = signed_in(sandbox, monkeypatch, naming.APPROVER_PERMISSION_SET, QA_APPROVER)
    with pytest.raises(AwsAccessDenied) as by_approver:
        holds.release(approver, config, model=model, env="prod", reason="an approver tries")
    assert str(by_approver.value).startswith(
        "access denied: cannot assume arn:aws:iam::111111111111:role/modelops-releaser: User: "
        "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_ModelOpsApprover_"
    )

    engineer = signed_in(sandbox, monkeypatch, naming.PLATFORM_PERMISSION_SET, PLATFORM_ENGINEER)
    record = holds.release(engineer, config, model=model, env="prod", reason="sandbox release")
    assert (record.stream, record.who, record.env) == ("churn-model/releases", PLATFORM_ENGINEER, "prod")
    assert record.reason.endswith(": sandbox release")


def test_in_the_sandbox_the_promoter_and_verifier_read_qas_alarms_through_its_soak_reader_and_nothing_more(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = sandbox.config
    # qa's environment stack, as qa's first deploy creates it (the organisation's set-up deploys no workload stack).
    qa_environment = stack_artifacts(sandbox.cdk_out)["ModelOps-qa/Environment"]
    deploy_artifact(config, qa_environment, admin=account_admin_session(config, QA))
    engineer = signed_in(sandbox, monkeypatch, naming.PLATFORM_PERMISSION_SET, PLATFORM_ENGINEER)
    for reader in (naming.promoter_role_arn(config), naming.verifier_role_arn(config)):
        alarms: Any = engineer.soak_reader("qa", reader=reader).client("cloudwatch", region_name=config.region)
        name = naming.rollback_alarm_name("churn-model", "5xx-errors")
        assert alarms.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"] == []
        assert alarms.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []  # qa deployed no endpoint here
        with pytest.raises(ClientError) as writing:
            alarms.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="hide the incident")
        assert writing.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_rollback_is_exempt_from_prods_soak_and_says_so(local_aws: LocalAws, workloads: Path, tmp_path: Path) -> None:
    for n in (1, 2, 3):
        local_aws.approved(n=n)
    for arn in (ARN.format(1), ARN.format(3)):
        local_aws.mark_deployed("churn-model", "qa", arn)
        local_aws.mark_deployed("churn-model", "prod", arn)
    local_aws.pin(workloads, "prod", ARN.format(3))
    config = soaking(local_aws.config)  # qa has no alarms and v1 is not live there: a promotion would be refused
    outcome = rollback(AwsContext(config), config, workloads, model="churn-model", env="prod", dry_run=True)
    assert (
        outcome.plan.soak_note
        == "soak: churn-model v1 was live in prod before; a rollback is exempt from prod's 24h soak"
    )
