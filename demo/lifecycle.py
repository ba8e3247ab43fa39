"""The demo's steps: the actors, the commands they run, and the approval path they drive.

Run it with `python -m demo` (`make demo`); the package docstring describes what it shows.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError
from rich.console import Console
from rich.markup import escape
from rich.rule import Rule

from accounts import naming
from accounts.config import OrgConfig, load_config
from cli.main import app
from promotion.aws import AwsContext
from promotion.content import split_s3_uri
from promotion.decision_client import ENDPOINT_VARIABLE
from sandbox import identity_provider
from sandbox.approver import ChromiumMissing, Inbox, headless_chromium, require_chromium, subscribe_inbox
from sandbox.authorization.gate import TALLY
from sandbox.github_oidc import deploy_job_session
from sandbox.github_stand_in import GitHubStandIn
from sandbox.images import push_image
from sandbox.lambda_runner import Invocation, LambdaRunner
from sandbox.organization import (
    Sandbox,
    account_admin_session,
    aws_endpoint,
    person_role_name,
    person_session,
    start_sandbox,
)
from sandbox.review_gateway import ReviewGateway

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL = "churn-model"
DATA_SCIENTIST = "data.scientist@example.com"
QA_APPROVER = "qa.approver@example.com"
PROD_APPROVER = "prod.approver@example.com"
RISK_OFFICER = "risk.officer@example.com"  # prod's second approver: its quorum is two
PLATFORM_ENGINEER = "platform.engineer@example.com"
IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models:churn-model-2.4.0"
DEMO_OUTPUT = REPO_ROOT / "demo-output"
NOTIFY = naming.approval_function_name("notify")
DISPATCH = naming.approval_function_name("dispatch")
EMAIL_LINES_SHOWN = 9

console = Console(highlight=False)


class DemoFailed(RuntimeError):
    """A step did not end as the lifecycle expects."""


class ApprovalPath:
    """The deployed approval workflow, driven locally: the Lambda runner, the review gateway, the GitHub
    stand-in, the identity provider stand-in and the qa approver's inbox. The runner overrides URLs of the
    deployed functions that point outside the sandbox: the review link base (the local gateway), GitHub's
    API base (the stand-in), and the identity provider's endpoints and the review function's callback."""

    def __init__(self, config: OrgConfig, sandbox: Sandbox, stack: ExitStack) -> None:
        self.runner = stack.enter_context(LambdaRunner(config, sandbox.endpoint_url))
        self.gateway = stack.enter_context(ReviewGateway(self.runner))
        self.github = stack.enter_context(GitHubStandIn())
        self.identity_provider = stack.enter_context(identity_provider.wire(self.runner, self.gateway))
        self.runner.override(NOTIFY, REVIEW_URL=self.gateway.review_url)
        # `modelops approve` and `reject` reach the deployed approval API here, as AWS_ENDPOINT_URL reaches
        # the other services.
        os.environ[ENDPOINT_VARIABLE] = self.gateway.url.rsplit("/", 1)[0]
        self.runner.override(DISPATCH, GITHUB_API_URL=self.github.url)
        shared = account_admin_session(config, config.accounts.shared_services)
        # The operator stores GitHub's token in the deployed secret (its description says how); the stand-in
        # accepts any token, so a random one stands in and is never printed.
        shared.client("secretsmanager").put_secret_value(
            SecretId=naming.GITHUB_DISPATCH_SECRET, SecretString=f"ghs_sandbox_{secrets.token_hex(16)}"
        )
        self.inbox: Inbox = subscribe_inbox(shared, config, config.chain[0], QA_APPROVER)

    def deliver(self, function: str) -> Invocation:
        """Run the deployed `function` on every event EventBridge routed to it, and return the first run.

        SageMaker may send one state change more than once, and the sandbox does (twice by default): the
        repeated deliveries are shown, and the callers check that they emailed or dispatched nothing more."""
        invocations = self.runner.run_pending(function)
        if not invocations:
            raise DemoFailed(f"EventBridge routed no event to {function}; the lifecycle expects one")
        for invocation in invocations:
            role = invocation.role.rsplit("/", 1)[1]
            console.print(
                f"[dim]EventBridge -> {function} ({invocation.handler}, as role {role}): "
                f"{escape(json.dumps(invocation.result))}[/dim]"
            )
        return invocations[0]

    def dispatch(self) -> None:
        """The Approved event runs the dispatch function; show what GitHub received."""
        seen = len(self.github.requests)
        self.deliver(DISPATCH)
        for request in self.github.requests[seen:]:
            console.print(f"GitHub stand-in received [bold]{request.method} {escape(request.path)}[/bold]")
            console.print(f"  event_type: {escape(str(request.body['event_type']))}")
            console.print(f"  client_payload: {escape(json.dumps(request.body['client_payload']))}")
        if len(self.github.requests) != seen + 1:
            raise DemoFailed(f"GitHub received {len(self.github.requests) - seen} dispatches; the lifecycle expects 1")


class Lifecycle:
    """The demo's actors and the commands they run."""

    def __init__(self, config: OrgConfig, sandbox: Sandbox, workdir: Path, approval: ApprovalPath) -> None:
        self.config = config
        self.sandbox = sandbox
        self.approval = approval
        self.workdir = workdir
        self.workloads = workdir / "workloads"
        self.pr_body = workdir / "pr.md"
        self.card = workdir / "model-card.json"
        self.card.write_text(
            '{"model_overview": {"model_creator": "Data Science"}, '
            '"intended_uses": {"purpose_of_model": "Predicts 90-day retail churn"}}\n'
        )

    def act_as(self, email: str, account: str, permission_set: str) -> None:
        """Make `email`, signed in through Identity Center with `permission_set`, the ambient identity."""
        session = person_session(
            self.config,
            self.sandbox.endpoint_url,
            account=account,
            role_name=person_role_name(permission_set),
            email=email,
        )
        self._ambient(session, email)
        console.print(f"[dim]acting as {email} ({permission_set} in {account})[/dim]")

    def pipeline(self, env: str) -> None:
        """Make the deploy job of deploy.yml for `env` the ambient identity: GitHub's OIDC token for that
        job, exchanged for the environment's deploy role (the only identity its trust admits)."""
        with aws_endpoint(self.sandbox.endpoint_url):
            session = deploy_job_session(self.config, env)
        self._ambient(session, f"the {env} deploy job")
        console.print(
            f"[dim]acting as the {env} deploy job of deploy.yml "
            f"(GitHub OIDC, {naming.github_deploy_role_arn(self.config, env)})[/dim]"
        )

    def _ambient(self, session: boto3.Session, who: str) -> None:
        credentials = session.get_credentials()
        if credentials is None:
            raise DemoFailed(f"the sandbox gave {who} no credentials")
        frozen = credentials.get_frozen_credentials()
        if not (frozen.access_key and frozen.secret_key and frozen.token):
            raise DemoFailed(f"the sandbox gave {who} incomplete credentials")
        os.environ["AWS_ACCESS_KEY_ID"] = frozen.access_key
        os.environ["AWS_SECRET_ACCESS_KEY"] = frozen.secret_key
        os.environ["AWS_SESSION_TOKEN"] = frozen.token

    def modelops(self, *args: str, expect: int = 0) -> None:
        """Run one `modelops` command as a person would type it, and check its exit code."""
        shown = " ".join(a if " " not in a else repr(a) for a in args)
        console.print(f"[bold cyan]$ modelops {shown}[/bold cyan]")
        argv = ["--workloads", str(self.workloads), *args]
        try:
            code = app(argv, prog_name="modelops", standalone_mode=False)
        except SystemExit as exit_:  # typer.Exit inside commands
            code = exit_.code
        code = int(code or 0)
        if code != expect:
            raise DemoFailed(f"`modelops {shown}` exited {code}; the lifecycle expects {expect}")
        if expect:
            console.print(f"[yellow]refused as expected (exit {code})[/yellow]")

    def tampered_export(self) -> Path:
        """`history --json` saved to a file, then one deploy record changed in it, as someone editing an
        exported copy (or the table, were it writable) to claim v2 was live in qa."""
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            app(["history", MODEL, "--json"], prog_name="modelops", standalone_mode=False)
        records = json.loads(captured.getvalue())
        forged = next(r for r in records if r["stream"] == f"{MODEL}/deploys/qa")
        forged["arn"] = forged["arn"].rsplit("/", 1)[0] + "/2"
        path = self.workloads.parent / "history-tampered.json"
        path.write_text(json.dumps(records, indent=2), encoding="utf-8")
        console.print(
            f"[dim]exported the history to {path.name} and changed {forged['stream']} record "
            f"{forged['seq']} to say v2 was deployed[/dim]"
        )
        return path

    # -- the actors ----------------------------------------------------------------------------------

    def approver(self, email: str = QA_APPROVER) -> None:
        self.act_as(email, self.config.accounts.shared_services, naming.APPROVER_PERMISSION_SET)

    def approve_for_prod(self, version: int, reason: str) -> None:
        """Decisions are per environment: prod's approver group decides for prod, two of its members. The
        second approval meets the quorum, and the decision service asks for the promotion itself."""
        for email in (PROD_APPROVER, RISK_OFFICER):
            self.approver(email)
            self.modelops("approve", MODEL, str(version), "--env", "prod", "--reason", reason)
        self.approval.dispatch()

    def platform_engineer(self) -> None:
        self.act_as(PLATFORM_ENGINEER, self.config.accounts.shared_services, naming.PLATFORM_PERMISSION_SET)

    def artifact(self, version: int) -> str:
        return f"s3://{naming.artifact_bucket(self.config)}/{naming.artifact_prefix(MODEL)}v{version}/model.tar.gz"

    def register(self, version: int, *, auc: str, fpr: str, commit: str, person: str = DATA_SCIENTIST) -> None:
        """Upload the version's artifact create-only and register it (its S3 version, SHA-256, image digest)."""
        self.act_as(person, self.config.accounts.data_science, naming.DATA_SCIENTIST_PERMISSION_SET)
        weights = self.workdir / f"churn-model-v{version}.tar.gz"
        weights.write_bytes(f"churn-model release {version}: gradient-boosted trees\n".encode())
        self.modelops(
            "register", MODEL, "--artifact", self.artifact(version), "--upload", str(weights), "--image", IMAGE,
            "--metric", f"auc={auc}", "--metric", f"false_positive_rate={fpr}",
            "--source-commit", commit, "--model-card", str(self.card),
            "--description", f"Gradient-boosted churn model, release {version}",
        )  # fmt: skip

    def approve_on_review_page(self, version: int, reason: str) -> None:
        """The qa approver's route: the email, the review page in Chromium, Approve; then the dispatch."""
        self.approval.deliver(NOTIFY)
        emails = self.approval.inbox.receive()
        if len(emails) != 1:
            raise DemoFailed(f"{QA_APPROVER} received {len(emails)} emails; the lifecycle expects 1")
        [email] = emails
        console.print(f"email to {email.approver} (SQS subscription to {self.approval.inbox.topic_arn}):")
        console.print(f"  Subject: {escape(email.subject)}")
        for line in email.message.splitlines()[:EMAIL_LINES_SHOWN]:
            console.print(f"  | {escape(line)}")
        console.print("  | ... (the personal review link is not shown: it carries a single-use token)")
        DEMO_OUTPUT.mkdir(exist_ok=True)
        with headless_chromium() as browser:
            self.decide_in_browser(browser, email.review_link(), version, reason)
        self.approval.dispatch()

    def decide_in_browser(self, browser: Any, link: str, version: int, reason: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        env = self.config.chain[0]
        browser.get(link)
        console.print(f"Chromium opened the review link: page title {escape(repr(browser.title))}")
        if browser.title != f"Review {MODEL} version {version} for {env}":
            raise DemoFailed(f"the review link opened {browser.title!r}, not the review page of v{version}")
        if browser.find_elements(By.ID, "reason"):
            raise DemoFailed("the review page offered a decision before anyone signed in")
        sign_in = browser.find_element(By.LINK_TEXT, f"Sign in as {QA_APPROVER} to decide")
        console.print(f"no decision form until the approver signs in: clicked {escape(repr(sign_in.text))}")
        sign_in.click()
        WebDriverWait(browser, 20).until(lambda driver: driver.title.startswith("Sign in to modelops"))
        browser.find_element(By.ID, "email").send_keys(QA_APPROVER)
        browser.save_screenshot(str(DEMO_OUTPUT / "sign-in.png"))
        console.print(
            f"the identity provider (sandbox stand-in at {escape(self.approval.identity_provider.url)}) asked who "
            f"is signing in: typed {QA_APPROVER}; saved demo-output/sign-in.png"
        )
        browser.find_element(By.ID, "sign-in").click()
        WebDriverWait(browser, 20).until(lambda driver: driver.title.startswith("Review "))
        if not browser.find_elements(By.ID, "reason"):
            raise DemoFailed(f"signed in as {QA_APPROVER}, the review page still offers no decision")
        console.print(f"back on the review page, signed in as {QA_APPROVER} for this link: the form is there")
        browser.find_element(By.ID, "reason").send_keys(reason)
        browser.save_screenshot(str(DEMO_OUTPUT / "review-page.png"))
        console.print(f"typed the reason {escape(repr(reason))}; saved demo-output/review-page.png")
        browser.find_element(By.CSS_SELECTOR, "button[value='Approved']").click()
        WebDriverWait(browser, 20).until(lambda driver: not driver.title.startswith("Review "))
        browser.save_screenshot(str(DEMO_OUTPUT / "review-decision.png"))
        console.print(
            f"clicked Approve: decision page {escape(repr(browser.title))}; saved demo-output/review-decision.png"
        )
        if browser.title != f"Approved: {MODEL} version {version} for {env}":
            raise DemoFailed(f"the review page answered {browser.title!r} to Approve")

    def replace_artifact(self, version: int) -> None:
        """The attack: after approval, the data-science role overwrites the version's artifact with a plain
        PutObject (no If-None-Match). The bucket policy denies it, as AWS does; were it ever to land, the
        content gate would refuse the version (tests/test_content_gates.py)."""
        self.act_as(DATA_SCIENTIST, self.config.accounts.data_science, naming.DATA_SCIENTIST_PERMISSION_SET)
        bucket, key = split_s3_uri(self.artifact(version))
        s3 = self.data_science_s3()
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=b"attacker's weights\n")
        except ClientError as refused:
            console.print(
                f"[red]attacker[/red] PutObject {escape(self.artifact(version))} without If-None-Match: "
                f"{escape(refused.response['Error']['Code'])}: {escape(refused.response['Error']['Message'])}"
            )
            return
        raise DemoFailed(f"the bucket policy let a plain PutObject replace {self.artifact(version)}")

    def data_science_s3(self) -> Any:
        """S3 as the data-science role, reached as `modelops register` reaches it (the person's own session)."""
        return AwsContext(self.config).data_science().client("s3", region_name=self.config.region)

    def promote_and_deploy(self, version: int, env: str) -> None:
        self.platform_engineer()
        self.modelops("promote", MODEL, "--to", env, "--version", str(version), "--pr-body-file", str(self.pr_body))
        self.show_pr_title()
        self.pipeline(env)
        self.modelops("deploy", env)

    def show_pr_title(self) -> None:
        if self.pr_body.exists():
            title = self.pr_body.read_text().splitlines()[0].removeprefix("## ")
            console.print(f"[dim]promotion PR: {title} (body in {self.pr_body.name})[/dim]")


@contextmanager
def step(title: str) -> Iterator[None]:
    console.print(Rule(f"[bold]{title}[/bold]", align="left"))
    started = time.perf_counter()
    yield
    console.print(f"[dim]({time.perf_counter() - started:.1f} s)[/dim]\n")


def show_milestones(line: str) -> None:
    """Sandbox start-up progress, without the per-resource CloudFormation events."""
    if not line.startswith("ModelOps-"):
        console.print(f"[dim]{line}[/dim]")


def run(config: OrgConfig, workdir: Path) -> None:
    """The lifecycle of issue 3, in order, with issue 5's review-page approval in step 1."""
    shutil.copytree(REPO_ROOT / "workloads", workdir / "workloads", ignore=shutil.ignore_patterns("*.py", "__*"))
    with step("0. the sandbox organisation: every account, bootstrapped; shared services deployed"):
        sandbox = start_sandbox(config, progress=show_milestones)
    stack = ExitStack()  # the approval path's local servers, closed before the sandbox stops
    try:
        os.environ.update(sandbox.environ)
        approval = ApprovalPath(config, sandbox, stack)
        demo = Lifecycle(config, sandbox, workdir, approval)
        console.print("[dim]the repository's example manifests already pin v1 in qa and prod[/dim]")
        # Into the repository the shared-services stack created (never one of the push's own).
        digest = push_image(
            account_admin_session(config, config.accounts.shared_services), IMAGE, create_repository=False
        )
        console.print(f"[dim]the image build pushed {IMAGE} ({digest}) to the stack's ECR repository[/dim]")
        with step("1. register v1, approve it on the review page, promote it to qa and deploy qa"):
            demo.register(1, auc="0.91", fpr="0.07", commit="4f2c1de")
            demo.approve_on_review_page(1, "AUC 0.91 and FPR 0.07 meet the qa gate")
            demo.promote_and_deploy(1, "qa")
        with step("2. a qa approver may not decide for prod; two prod approvers meet prod's quorum; v1 goes to prod"):
            demo.approver(QA_APPROVER)
            demo.modelops("approve", MODEL, "1", "--env", "prod", "--reason", "qa looked fine", expect=1)
            demo.approve_for_prod(1, "Live in qa: 5XX 0, latency within budget; card reviewed")
            demo.promote_and_deploy(1, "prod")
        with step("3. register v2 and reject it"):
            demo.register(2, auc="0.78", fpr="0.19", commit="9b1e77a")
            demo.approver()
            demo.modelops("reject", MODEL, "2", "--reason", "AUC 0.78 is below the qa gate; retrain with Q3 data")
        with step("4. try to promote v2: refused, with the reason"):
            demo.platform_engineer()
            demo.modelops("promote", MODEL, "--to", "qa", "--version", "2", expect=1)
        with step("5. register v3 and approve it with the CLI; an attacker tries to replace its artifact: AWS refuses"):
            demo.register(3, auc="0.93", fpr="0.05", commit="c0ffee3")
            demo.approver()
            demo.modelops("approve", MODEL, "3", "--reason", "AUC 0.93, FPR 0.05; card and lineage reviewed")
            approval.dispatch()  # the CLI route ends in the same decision service, which asks for the promotion
            demo.replace_artifact(3)
        with step("6. register v4 (its artifact untouched), approve it, promote and deploy to qa, then to prod"):
            demo.register(4, auc="0.93", fpr="0.05", commit="c0ffee4")
            demo.approver()
            demo.modelops("approve", MODEL, "4", "--reason", "AUC 0.93, FPR 0.05; card and lineage reviewed")
            approval.dispatch()
            demo.promote_and_deploy(4, "qa")
            demo.platform_engineer()
            demo.modelops("promote", MODEL, "--to", "prod", "--version", "4", expect=1)  # not approved for prod yet
            demo.approve_for_prod(4, "Live in qa: AUC holds, no alarms")
            demo.promote_and_deploy(4, "prod")
        with step("7. an approver who also trains models registers v5, and may not approve it"):
            demo.register(5, auc="0.92", fpr="0.06", commit="d00dad5", person=QA_APPROVER)
            demo.approver(QA_APPROVER)
            demo.modelops("approve", MODEL, "5", "--reason", "my own model looks great", expect=1)
        with step("8. roll prod back to v1"):
            demo.platform_engineer()
            demo.modelops("rollback", MODEL, "--env", "prod", "--pr-body-file", str(demo.pr_body))
            demo.show_pr_title()
            demo.pipeline("prod")
            demo.modelops("deploy", "prod")
        with step("9. status, drift and history"):
            demo.modelops("drift", "--env", "prod")
            demo.platform_engineer()
            demo.modelops("history", MODEL)
            demo.modelops("status")
        with step("9. the ledger verifies, and a tampered copy of it does not"):
            demo.modelops("history", MODEL, "--verify")
            demo.modelops("history", MODEL, "--verify", "--from", str(demo.tampered_export()), expect=1)
    finally:
        stack.close()
        sandbox.stop()


def main() -> int:
    """Run the lifecycle once; 0 when every step ended as expected, 1 otherwise."""
    started = time.perf_counter()
    if not sys.stdout.isatty():
        os.environ.setdefault("COLUMNS", "150")  # tables in CI logs need not fit 80 columns
    config = load_config()
    try:
        try:
            require_chromium()  # before minutes of set-up, not after
        except ChromiumMissing as missing:
            raise DemoFailed(str(missing)) from None
        with tempfile.TemporaryDirectory(prefix="modelops-demo-") as workdir:
            run(config, Path(workdir))
    except DemoFailed as failure:
        console.print(f"[bold red]demo failed:[/bold red] {failure}")
        for refusal in TALLY.refusals[-3:]:
            console.print(f"the sandbox's IAM refused: {refusal}", markup=False)
        return 1
    console.print(
        f"the sandbox's IAM authorized {TALLY.authorized:,} requests and refused {TALLY.refused:,} "
        "(each refusal above was expected)"
    )
    console.print(f"[bold green]demo complete in {time.perf_counter() - started:.1f} s[/bold green]")
    return 0
