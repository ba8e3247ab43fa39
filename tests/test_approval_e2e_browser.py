"""The whole approval path in the sandbox organisation, with a real headless Chromium signing in and
clicking Approve.

Everything runs as the shared-services stack deployed it through CloudFormation; nothing is provisioned
by hand. register (as data science) -> moto emits "SageMaker Model Package State Change" -> the deployed
rule matches and the delivery to the notify function is recorded -> the runner invokes the DEPLOYED notify
function -> the deployed SNS topic -> the approver's email (an SQS queue subscribed to that topic) -> the
review page (the deployed API's routes, served locally in front of the deployed review function), which
offers no decision until the approver signs in -> the identity provider (a local stand-in, on another
site than the gateway, as in AWS): type the email, submit -> back on the review page, signed in ->
Approve -> ledger and registry -> the Approved event -> the deployed dispatch function -> GitHub (a
local stand-in) receives the repository_dispatch.

The environment overrides (review link base, GitHub API base, the identity provider's endpoints and the
review function's callback URL) are the only differences from AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest

from accounts import naming
from promotion.content import Content
from promotion.ledger import Ledger
from promotion.registry import Registry, Stage
from sandbox import identity_provider
from sandbox.approver import headless_chromium, subscribe_inbox
from sandbox.github_stand_in import GitHubStandIn
from sandbox.lambda_runner import LambdaRunner
from sandbox.organization import Sandbox, account_admin_session
from sandbox.review_gateway import ReviewGateway
from tests.conftest import REPO_ROOT
from tests.sandbox_fixtures import data_scientist_session

DEMO_OUTPUT = REPO_ROOT / "demo-output"
SCIENTIST = "data.scientist@example.com"
QA_APPROVER = "qa.approver@example.com"
PROD_APPROVER = "prod.approver@example.com"  # a colleague the qa approver's email was forwarded to
GITHUB_TOKEN = "ghs_sandboxtoken"
REASON = "AUC 0.91 and FPR 0.08 meet the qa gate; lineage checked"
NOTIFY = naming.approval_function_name("notify")
DISPATCH = naming.approval_function_name("dispatch")


@pytest.fixture
def browser() -> Iterator[Any]:
    with headless_chromium() as driver:
        yield driver


def sign_in_as(browser: Any, sign_in: Any, email: str) -> None:
    """Follow the page's sign-in link, type `email` on the identity provider's form and submit; wait until the
    browser is back on the review page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    sign_in.click()
    WebDriverWait(browser, 20).until(lambda driver: driver.title.startswith("Sign in to modelops"))
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, 20).until(lambda driver: driver.title.startswith("Review "))


def test_an_approver_approves_in_the_browser_and_github_is_asked_for_the_promotion_pr(
    sandbox: Sandbox, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    config = sandbox.config
    shared = account_admin_session(config, config.accounts.shared_services)
    # What an operator does once after deploying: store the GitHub token in the deployed secret.
    shared.client("secretsmanager").put_secret_value(SecretId=naming.GITHUB_DISPATCH_SECRET, SecretString=GITHUB_TOKEN)
    inbox = subscribe_inbox(shared, config, "qa", QA_APPROVER)
    history = Ledger(shared.client("dynamodb"), "churn-model")
    with (
        LambdaRunner(config, sandbox.endpoint_url) as runner,
        ReviewGateway(runner) as gateway,
        GitHubStandIn() as github,
        identity_provider.wire(runner, gateway) as signin,
    ):
        runner.override(NOTIFY, REVIEW_URL=gateway.review_url)
        runner.override(DISPATCH, GITHUB_API_URL=github.url)
        for function in (NOTIFY, DISPATCH):
            runner.pending(function)  # events of earlier tests in this organisation are not this test's
        history_before = history.read("churn-model/decisions")

        # 1. A data scientist registers a version through the group ARN, from the data-science account.
        data_science = data_scientist_session(sandbox, SCIENTIST)
        arn = Registry(data_science.client("sagemaker"), config).register(
            model="churn-model",
            content=Content(
                artifact="s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/v1/model.tar.gz",
                artifact_version="v1",
                artifact_sha256="0" * 64,
                image="111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn@sha256:" + "1" * 64,
            ),
            metrics={"auc": 0.91, "false_positive_rate": 0.08},
            description="Gradient-boosted churn model, retrained on October data",
            source_commit="4f2c1de",
            training_job=None,
            stage=Stage(stage="qa", status="PendingApproval"),
            model_card=json.dumps({"intended_uses": {"purpose_of_model": "Predicts 90-day churn"}}),
        )
        version = naming.parse_model_package_arn(arn).version

        # 2-3. The deployed rule routed the event to notify, which emails the qa approver. SageMaker may send
        # the event more than once (the sandbox sends it twice): the second delivery emails nobody.
        notified, duplicate = runner.run_pending(NOTIFY)
        assert duplicate.result == {"published": 0, "env": "qa", "already_published": 1}
        assert (notified.result, notified.role, notified.overridden) == (
            {"published": 1, "env": "qa"},
            naming.role_arn(config.accounts.shared_services, NOTIFY),
            ("REVIEW_URL",),
        )
        [logged] = [json.loads(line) for line in notified.logs if '"review request' in line]
        assert (logged["message"], logged["approver"], logged["function_request_id"]) == (
            "review request published",
            QA_APPROVER,
            notified.request_id,
        )
        shipped = shared.client("logs").get_log_events(
            logGroupName=f"/aws/lambda/{NOTIFY}", logStreamName=notified.log_stream
        )
        assert [event["message"] for event in shipped["events"]] == notified.logs
        [email] = inbox.receive()
        assert (email.subject, email.approver) == (f"[modelops] Review churn-model v{version} for qa", QA_APPROVER)
        DEMO_OUTPUT.mkdir(exist_ok=True)
        (DEMO_OUTPUT / "notification.txt").write_text(f"Subject: {email.subject}\n\n{email.message}")
        link = email.review_link()
        assert link.startswith(f"{gateway.review_url}?token=")

        # 4. Whoever opens the link sees the version, and no decision until they sign in.
        browser.get(link)
        assert browser.title == f"Review churn-model version {version} for qa"
        assert browser.find_elements(By.ID, "reason") == []
        sign_in = browser.find_element(By.LINK_TEXT, f"Sign in as {QA_APPROVER} to decide")

        # 5. A colleague the email was forwarded to signs in as who they are: the link decides nothing for them.
        sign_in_as(browser, sign_in, PROD_APPROVER)
        assert browser.title == f"Review churn-model version {version} for qa"
        assert browser.find_element(By.CSS_SELECTOR, "#decide ~ [role=alert]").text == (
            f"Signed in as {PROD_APPROVER}, but this link was sent to {QA_APPROVER}. "
            f"Only {QA_APPROVER} can decide with it."
        )
        assert browser.find_elements(By.ID, "reason") == []

        # 6. The approver signs in at the identity provider, comes back to the page, gives a reason and approves.
        sign_in_as(browser, browser.find_element(By.LINK_TEXT, f"Sign in as {QA_APPROVER} to decide"), QA_APPROVER)
        assert browser.title == f"Review churn-model version {version} for qa"
        assert signin.signed_in == [PROD_APPROVER, QA_APPROVER]
        browser.find_element(By.ID, "reason").send_keys(REASON)
        browser.save_screenshot(str(DEMO_OUTPUT / "review-page.png"))
        browser.find_element(By.CSS_SELECTOR, "button[value='Approved']").click()
        WebDriverWait(browser, 20).until(lambda driver: driver.title.startswith("Approved"))
        assert browser.title == f"Approved: churn-model version {version} for qa"
        browser.save_screenshot(str(DEMO_OUTPUT / "review-decision.png"))

        # 7. The registry shows Approved and the ledger has the decision.
        described = shared.client("sagemaker").describe_model_package(ModelPackageName=arn)
        assert (described["ModelApprovalStatus"], described["ApprovalDescription"]) == (
            "Approved",
            f"{QA_APPROVER}: {REASON}",
        )
        *earlier, entry = history.read("churn-model/decisions")
        assert earlier == history_before
        assert {k: asdict(entry)[k] for k in ("who", "action", "reason", "arn", "env")} == {
            "who": QA_APPROVER,
            "action": "approved",
            "reason": REASON,
            "arn": arn,
            "env": "qa",
        }

        # 8. The Approved event reaches the deployed dispatch function, which asks GitHub for the PR.
        [dispatched] = runner.run_pending(DISPATCH)
        assert dispatched.result == {"dispatched": True, "arn": arn, "env": "qa", "status": 204}
        [request] = github.requests
        assert (request.method, request.path) == ("POST", "/repos/example-org/modelops/dispatches")
        assert request.body == {
            "event_type": "model-approved",
            "client_payload": {"model": "churn-model", "version": version, "arn": arn, "env": "qa"},
        }
        assert {k: request.headers[k] for k in ("authorization", "accept", "x-github-api-version")} == {
            "authorization": f"Bearer {GITHUB_TOKEN}",
            "accept": "application/vnd.github+json",
            "x-github-api-version": "2022-11-28",
        }

        # The same link, opened again, explains that the version is decided and changes nothing.
        browser.get(link)
        assert browser.title == "Already decided"
        assert browser.find_element(By.CSS_SELECTOR, "[role=alert]").text.startswith(
            f"churn-model v{version} is already Approved by qa.approver@example.com at "
        )
        assert gateway.failures == []
