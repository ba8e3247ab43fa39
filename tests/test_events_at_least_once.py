"""Events arrive at least once, and the approval workflow acts once per version and environment.

AWS: "SageMaker AI may send multiple events to EventBridge for each state change" (SageMaker Developer Guide,
"Events that Amazon SageMaker AI sends to Amazon EventBridge",
https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html); EventBridge
retries a delivery to a target that fails (EventBridge User Guide, "How EventBridge retries delivering events",
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html), so a target may get an
event more than once, though that page does not say so in words; and Lambda retries a failed asynchronous
invocation, and "Even if your function doesn't return an error, it's possible for it to receive the same event
from Lambda multiple times" (Lambda Developer Guide, "How Lambda handles errors and retries with asynchronous
invocation", https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html). Whether a
metadata-only UpdateModelPackage (a later environment's approval) emits an event is undocumented (aws-facts.md,
"Events": "Don't depend on it").

Three levels:
- the sandbox itself (a reset local AWS): it puts each state change twice by default, and none for a
  metadata-only update of an Approved version;
- the deployed workflow in the sandbox organisation: a duplicated registration emails each approver once, and
  each approval, delivered three times, dispatches once; prod's approval dispatches with no SageMaker event;
- the handlers in this process (moto in-process, as tests/test_approval_handlers.py), where two deliveries can
  be made to overlap exactly: the loser of the conditional write sends nothing and fails, so Lambda retries it,
  and a delivery that dies after its write loses no email.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import pytest
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.typing import LambdaContext
from typer.testing import CliRunner, Result

import cli.main
from accounts import naming
from promotion.content import Content
from promotion.ledger import Ledger
from promotion.registry import Registry, Stage
from sandbox.github_stand_in import GitHubStandIn
from sandbox.lambda_runner import LambdaRunner
from sandbox.moto_compat import registry as sandbox_registry
from sandbox.moto_compat.sns import email_deliveries
from sandbox.organization import Sandbox, account_admin_session, person_role_name, person_session
from sandbox.review_gateway import ReviewGateway
from shared_services.handlers import dispatch, notify
from tests import test_approval_handlers as handlers
from tests.orgs import config_path
from tests.sandbox_fixtures import EmptyAws, data_scientist_session

# The in-process approval workflow of tests/test_approval_handlers.py (moto in this process).
workflow = handlers.workflow
github = handlers.github
token_endpoint = handlers.token_endpoint

SHARED = "111111111111"
REGION: Literal["eu-west-1"] = "eu-west-1"
GROUP = "churn-model"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package-group/{GROUP}"
IMAGE = f"{SHARED}.dkr.ecr.{REGION}.amazonaws.com/churn-model:1.0"
INFERENCE = {
    "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://bucket/artifacts/churn-model/v1/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
STATE_CHANGE = "SageMaker Model Package State Change"
NOTIFY = naming.approval_function_name("notify")
DISPATCH = naming.approval_function_name("dispatch")
QA_APPROVER = "qa.approver@example.com"
PROD_APPROVER = "prod.approver@example.com"
RISK_OFFICER = "risk.officer@example.com"
DATA_SCIENTIST = "data.scientist@example.com"


# -- the sandbox puts each state change more than once ----------------------------------------------------------


def _state_change_queue(aws: EmptyAws) -> tuple[Any, str]:
    """A rule on the registry account's default bus sending every state change to an SQS queue."""
    session = aws.session(SHARED)
    sqs, events = session.client("sqs"), session.client("events")
    queue_url = sqs.create_queue(QueueName="state-changes")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="model-package-state-change",
        EventPattern=json.dumps({"source": ["aws.sagemaker"], "detail-type": [STATE_CHANGE]}),
    )
    events.put_targets(Rule="model-package-state-change", Targets=[{"Id": "queue", "Arn": queue_arn}])
    return sqs, queue_url


def _received(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def _registry(aws: EmptyAws) -> Any:
    sagemaker = aws.session(SHARED).client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    return sagemaker


def test_by_default_the_sandbox_puts_each_state_change_twice_as_separate_events(
    empty_aws: EmptyAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SageMaker AI "may send multiple events to EventBridge for each state change" (SageMaker Developer Guide,
    "Events that Amazon SageMaker AI sends to Amazon EventBridge"): the sandbox sends two, each its own event
    (own id), same detail. The number two is the sandbox's choice; AWS gives none."""
    monkeypatch.setattr(sandbox_registry, "state_change_copies", sandbox_registry.state_change_copies_from({}))
    sagemaker = _registry(empty_aws)
    sqs, queue_url = _state_change_queue(empty_aws)

    arn = sagemaker.create_model_package(ModelPackageGroupName=GROUP_ARN, InferenceSpecification=INFERENCE)[
        "ModelPackageArn"
    ]
    first, second = _received(sqs, queue_url)

    assert sandbox_registry.DEFAULT_STATE_CHANGE_COPIES == 2
    assert first["id"] != second["id"]
    assert first["detail"] == second["detail"]
    assert (first["detail"]["ModelPackageArn"], first["detail"]["ModelApprovalStatus"]) == (
        arn,
        "PendingManualApproval",
    )


def test_the_number_of_copies_is_set_by_modelops_sandbox_state_change_copies(
    empty_aws: EmptyAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MODELOPS_SANDBOX_STATE_CHANGE_COPIES=n puts each state change n times; 1 turns the duplicates off."""
    variable = "MODELOPS_SANDBOX_STATE_CHANGE_COPIES"
    monkeypatch.setattr(
        sandbox_registry, "state_change_copies", sandbox_registry.state_change_copies_from({variable: "3"})
    )
    sagemaker = _registry(empty_aws)
    sqs, queue_url = _state_change_queue(empty_aws)

    sagemaker.create_model_package(ModelPackageGroupName=GROUP_ARN, InferenceSpecification=INFERENCE)

    assert len(_received(sqs, queue_url)) == 3
    assert sandbox_registry.state_change_copies_from({variable: "1"}) == 1
    assert sandbox_registry.state_change_copies_from({variable: " "}) == 2


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_number_of_copies_that_is_not_a_whole_number_of_at_least_one_is_refused(value: str) -> None:
    # The sandbox's own setting and message: nothing of AWS's.
    message = f"MODELOPS_SANDBOX_STATE_CHANGE_COPIES must be a whole number of at least 1, got {value!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        sandbox_registry.state_change_copies_from({"MODELOPS_SANDBOX_STATE_CHANGE_COPIES": value})


def test_a_metadata_only_update_of_an_approved_version_puts_no_event(empty_aws: EmptyAws) -> None:
    """A later environment's approval changes only metadata of an Approved version. AWS documents no event for
    that (aws-facts.md: "Whether a metadata-only update (approving an already-Approved version for a later
    environment) emits an event is undocumented. Don't depend on it."), so the sandbox puts none, and a test
    passing here proves nothing depends on one."""
    sagemaker = _registry(empty_aws)
    sqs, queue_url = _state_change_queue(empty_aws)
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP_ARN, InferenceSpecification=INFERENCE, ModelApprovalStatus="Approved"
    )["ModelPackageArn"]
    _received(sqs, queue_url)  # the registration's

    sagemaker.update_model_package(
        ModelPackageArn=arn,
        CustomerMetadataProperties={"modelops.prod.approved": "prod.approver@example.com"},
        ApprovalDescription="prod.approver@example.com: qa evidence holds",
        ModelLifeCycle={"Stage": "prod", "StageStatus": "Approved"},
    )
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")  # the status it has

    assert _received(sqs, queue_url) == []


# -- the deployed workflow in the sandbox organisation -----------------------------------------------------------


def _register(sandbox: Sandbox) -> str:
    """A new version, registered through the group ARN by a data scientist signed in through Identity Center,
    as `modelops register` does: the data-science role, with their identity as the source identity."""
    config = sandbox.config
    data_science = data_scientist_session(sandbox, DATA_SCIENTIST)
    return Registry(data_science.client("sagemaker"), config).register(
        model="churn-model",
        content=Content(
            artifact=f"s3://modelops-artifacts-{SHARED}-{REGION}/artifacts/churn-model/{uuid.uuid4().hex}/model.tar.gz",
            artifact_version="v1",
            artifact_sha256="0" * 64,
            image=f"{SHARED}.dkr.ecr.{REGION}.amazonaws.com/churn@sha256:" + "1" * 64,
        ),
        metrics={"auc": 0.91, "false_positive_rate": 0.08},
        description="churn model, delivered at least once",
        source_commit="4f2c1de",
        training_job=None,
        stage=Stage(stage="qa", status="PendingApproval"),
        model_card=json.dumps({"intended_uses": {"purpose_of_model": "Predicts 90-day churn"}}),
    )


def test_a_registration_delivered_twice_or_three_times_emails_each_approver_once(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_registry, "state_change_copies", 2)
    config = sandbox.config
    shared = account_admin_session(config, config.accounts.shared_services)
    with LambdaRunner(config, sandbox.endpoint_url) as runner:
        runner.pending(NOTIFY)  # events of earlier tests in this organisation are not this test's
        arn = _register(sandbox)
        events = runner.pending(NOTIFY)
        # the two copies SageMaker sent, then EventBridge delivering the first one again
        results = [runner.invoke(NOTIFY, event).result for event in [*events, events[0]]]

    assert [(e["detail-type"], e["detail"]["ModelPackageArn"]) for e in events] == [(STATE_CHANGE, arn)] * 2
    assert results == [
        {"published": 1, "env": "qa"},
        {"published": 0, "env": "qa", "already_published": 1},
        {"published": 0, "env": "qa", "already_published": 1},
    ]
    emails = [
        delivery.endpoint
        for delivery in email_deliveries(config.accounts.shared_services, config.region)
        if f"Model package: {arn}" in delivery.message
    ]
    assert emails == [QA_APPROVER]
    registrations = Ledger(shared.client("dynamodb"), "churn-model").read("churn-model/registrations")
    assert [record.arn for record in registrations].count(arn) == 1


def _modelops(*args: str) -> Result:
    return CliRunner().invoke(cli.main.app, ["--config", str(config_path("two_env")), *args])


def _act_as(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, email: str) -> None:
    """`email` signed in as an approver in the shared-services account, as the ambient identity."""
    config = sandbox.config
    session = person_session(
        config,
        sandbox.endpoint_url,
        account=config.accounts.shared_services,
        role_name=person_role_name(naming.APPROVER_PERMISSION_SET),
        email=email,
    )
    frozen = session.get_credentials().get_frozen_credentials()  # type: ignore[union-attr]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", str(frozen.access_key))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", str(frozen.secret_key))
    monkeypatch.setenv("AWS_SESSION_TOKEN", str(frozen.token))


def test_each_approval_delivered_three_times_dispatches_once_and_prod_needs_no_sagemaker_event(
    sandbox: Sandbox, approval_api: ReviewGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """qa's approval changes ModelApprovalStatus (SageMaker's event follows); prod's is metadata-only (no
    event). The decision service puts its own "ModelOps Environment Approved" for each, and the dispatch
    function, given each three times, asks GitHub once per environment."""
    monkeypatch.setattr(sandbox_registry, "state_change_copies", 2)
    config = sandbox.config
    shared = account_admin_session(config, config.accounts.shared_services)
    shared.client("secretsmanager").put_secret_value(
        SecretId=naming.GITHUB_DISPATCH_SECRET, SecretString="ghs_sandboxtoken"
    )
    arn = _register(sandbox)
    version = arn.rsplit("/", 1)[1]
    events, sqs = shared.client("events"), shared.client("sqs")
    rule = f"test-state-changes-{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=rule)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {"source": ["aws.sagemaker"], "detail-type": [STATE_CHANGE], "detail": {"ModelPackageArn": [arn]}}
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": queue_arn}])
    try:
        with LambdaRunner(config, sandbox.endpoint_url) as runner, GitHubStandIn() as stand_in:
            runner.override(DISPATCH, GITHUB_API_URL=stand_in.url)
            runner.pending(DISPATCH)  # events of earlier tests in this organisation are not this test's

            _act_as(sandbox, monkeypatch, QA_APPROVER)
            decided = _modelops("approve", "churn-model", version, "--reason", "holds on holdout")
            assert decided.exit_code == 0, decided.output
            after_qa = _received(sqs, queue_url)
            for approver in (PROD_APPROVER, RISK_OFFICER):  # prod's quorum is two
                _act_as(sandbox, monkeypatch, approver)
                approved = _modelops("approve", "churn-model", version, "--env", "prod", "--reason", "qa holds")
                assert approved.exit_code == 0, approved.output
            after_prod = _received(sqs, queue_url)

            approvals = runner.pending(DISPATCH)
            results = [runner.invoke(DISPATCH, event).result for event in approvals for _ in range(3)]
            requests = list(stand_in.requests)
    finally:
        events.remove_targets(Rule=rule, Ids=["queue"])
        events.delete_rule(Name=rule)

    assert [e["detail"]["ModelApprovalStatus"] for e in after_qa] == ["Approved"] * 2
    assert after_prod == []
    assert [(e["detail"]["arn"], e["detail"]["env"]) for e in approvals] == [(arn, "qa"), (arn, "prod")]
    sent = {"dispatched": True, "arn": arn, "status": 204}
    assert results == [sent | {"env": "qa"}] * 3 + [sent | {"env": "prod"}] * 3
    assert [(request.path, request.body["client_payload"]["env"]) for request in requests] == [
        ("/repos/example-org/modelops/dispatches", "qa"),
        ("/repos/example-org/modelops/dispatches", "prod"),
    ]


# -- two deliveries at once, and a delivery that dies (handlers in this process) ---------------------------------


@dataclass
class Context:
    """Lambda's context object for one delivery: its own request id, and how long it has left."""

    aws_request_id: str
    remaining_ms: int = 30_000
    function_name: str = NOTIFY
    memory_limit_in_mb: int = 256

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{SHARED}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def delivery(request_id: str, function: str = NOTIFY, remaining_ms: int = 30_000) -> LambdaContext:
    return cast(LambdaContext, Context(request_id, remaining_ms, function))


def overlap(
    first: Callable[[], Any], second: Callable[[], Any], hold: Callable[[Callable[..., Any]], None]
) -> tuple[Any, BaseException | None]:
    """Run `first` in a thread until it reaches the held call, run `second` to its end meanwhile, then let
    `first` go on. Returns first's result and what `second` raised (None if nothing)."""
    reached, released = threading.Event(), threading.Event()

    def wait_for_second(*_: Any, **__: Any) -> None:
        if threading.current_thread().name == "first":
            reached.set()
            assert released.wait(30), "the second delivery did not finish"

    hold(wait_for_second)
    outcome: dict[str, Any] = {}

    def run_first() -> None:
        try:
            outcome["result"] = first()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run_first, name="first")
    thread.start()
    assert reached.wait(30), "the first delivery never reached the held call"
    raised: BaseException | None = None
    try:
        second()
    except BaseException as exc:
        raised = exc
    released.set()
    thread.join(30)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"], raised


def test_two_deliveries_at_once_email_each_approver_once_and_lambda_retries_the_loser(
    workflow: handlers.Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first delivery has won the conditional write and is sending; the second, at that moment, finds the
    email in progress, sends nothing and fails (Lambda retries a failed asynchronous invocation); its retry,
    after the first finished, finds the email sent."""
    arn = workflow.register()
    event = handlers.state_change(arn, "PendingManualApproval")
    send = notify.send_review_request

    def hold(wait: Callable[..., Any]) -> None:
        def held(request: dict[str, Any], *, sns: Any) -> dict[str, Any]:
            wait()
            return send(request, sns=sns)

        monkeypatch.setattr(notify, "send_review_request", held)

    first, raised = overlap(
        lambda: notify.handler(event, delivery("first")), lambda: notify.handler(event, delivery("second")), hold
    )
    retried = notify.handler(event, delivery("second-retry"))

    assert first == {"published": 1, "env": "qa"}
    assert isinstance(raised, IdempotencyAlreadyInProgressError)
    assert retried == {"published": 0, "env": "qa", "already_published": 1}
    assert [message["MessageAttributes"]["approver"]["Value"] for message in workflow.messages("qa")] == [QA_APPROVER]
    assert [record.arn for record in workflow.ledger().read("churn-model/registrations")] == [arn]


# What the dying delivery had left: long enough that the next delivery reaches its write before the claim
# expires, even on a loaded machine.
LEFT_MS = 4000


class Died(BaseException):
    """The Lambda process ends (timeout, out of memory): no clean-up after this point runs, Powertools' neither."""


def test_a_delivery_that_dies_after_its_write_and_before_sending_loses_no_email(
    workflow: handlers.Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dead delivery's claim holds only until its Lambda timeout (the time it had left); a retry before
    that sends nothing and fails, so Lambda tries again; the retry after it takes the claim over and sends."""
    arn = workflow.register()
    event = handlers.state_change(arn, "PendingManualApproval")
    send = notify.send_review_request
    dying = {"first": True}

    def dies_once(request: dict[str, Any], *, sns: Any) -> dict[str, Any]:
        if dying.pop("first", False):
            raise Died
        return send(request, sns=sns)

    monkeypatch.setattr(notify, "send_review_request", dies_once)

    with pytest.raises(Died):
        notify.handler(event, delivery("dies", remaining_ms=LEFT_MS))
    with pytest.raises(IdempotencyAlreadyInProgressError):
        notify.handler(event, delivery("too-soon"))
    time.sleep(LEFT_MS / 1000 + 0.2)  # past the dead delivery's timeout
    late = notify.handler(event, delivery("after-timeout"))
    again = notify.handler(event, delivery("duplicate"))

    assert late == {"published": 1, "env": "qa"}
    assert again == {"published": 0, "env": "qa", "already_published": 1}
    assert len(workflow.messages("qa")) == 1


def test_two_dispatch_deliveries_at_once_ask_github_once(
    workflow: handlers.Workflow, github: handlers.GitHubStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = workflow.register()
    handlers.post_decision(handlers.issue(workflow, arn))
    event = handlers.environment_approved(arn)
    send = dispatch.send

    def hold(wait: Callable[..., Any]) -> None:
        def held(request: dispatch.DispatchRequest) -> int:
            wait()
            return send(request)

        monkeypatch.setattr(dispatch, "send", held)

    first, raised = overlap(
        lambda: dispatch.handler(event, delivery("first", DISPATCH)),
        lambda: dispatch.handler(event, delivery("second", DISPATCH)),
        hold,
    )
    retried = dispatch.handler(event, delivery("second-retry", DISPATCH))

    assert first == {"dispatched": True, "arn": arn, "env": "qa", "status": 204}
    assert isinstance(raised, IdempotencyAlreadyInProgressError)
    assert retried == first
    assert [request["body"]["client_payload"]["env"] for request in github.requests] == ["qa"]
