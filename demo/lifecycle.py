"""The demo's steps: the actors, the commands they run, and the approval path they drive.

Run it with `python -m demo` (`make demo`); the package docstring describes what it shows.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError
from rich.console import Console
from rich.markup import escape
from rich.rule import Rule

from accounts import naming
from accounts.config import DEFAULT_CONFIG_PATH, OrgConfig, load_config
from accounts.validation import InputError
from cli.main import app
from demo import metrics
from demo.cast import Cast, MissingInConfig, cast
from promotion.aws import AwsContext
from promotion.content import split_s3_uri
from promotion.decision_client import API_URL_VARIABLE, ENDPOINT_VARIABLE
from sandbox.approver import ChromiumMissing, Inbox, headless_chromium, require_chromium, subscribe_inbox
from sandbox.authorization.gate import TALLY
from sandbox.github_oidc import deploy_job_session
from sandbox.human_loop import DISPATCH, NOTIFY, HumanLoop
from sandbox.images import push_image
from sandbox.lambda_runner import Invocation
from sandbox.moto_compat.sns import email_deliveries
from sandbox.organization import (
    Sandbox,
    account_admin_session,
    aws_endpoint,
    person_role_name,
    person_session,
    start_sandbox,
)
from workloads.manifest import load_manifest, manifest_path

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = REPO_ROOT / "workloads"
DEMO_OUTPUT = REPO_ROOT / "demo-output"
EMAIL_LINES_SHOWN = 9
# The sample model card the demo registers with (risk Medium); the purpose is the cast's model's description.
SAMPLE_CARD = Path(__file__).resolve().parent / "cards" / "model-card.json"

console = Console(highlight=False)


class DemoFailed(RuntimeError):
    """A step did not end as the lifecycle expects."""


class ApprovalPath:
    """The deployed approval workflow, driven locally step by step: the human loop `modelops sandbox up` runs
    (sandbox/human_loop.py: the Lambda runner, the review gateway, the identity provider and GitHub
    stand-ins), delivering routed events when the lifecycle says so rather than in the background, and the
    inbox of `reviewer`, an approver of the first environment."""

    def __init__(self, config: OrgConfig, sandbox: Sandbox, stack: ExitStack, reviewer: str) -> None:
        self.loop = HumanLoop(config, sandbox, stack)
        self.github = self.loop.github
        self.identity_provider = self.loop.identity_provider
        # `modelops approve` and `reject` reach the deployed approval API here, as AWS_ENDPOINT_URL reaches
        # the other services.
        os.environ[ENDPOINT_VARIABLE] = self.loop.execute_api_endpoint
        # Data scientists (`card --submit`) are given the API's published URL: they cannot read its SSM parameter.
        os.environ[API_URL_VARIABLE] = self.loop.gateway.published_url
        shared = account_admin_session(config, config.accounts.shared_services)
        self.inbox: Inbox = subscribe_inbox(shared, config, config.chain[0], reviewer)

    def deliver(self, function: str) -> Invocation:
        """Run the deployed `function` on every event EventBridge routed to it, and return the first run.

        SageMaker may send one state change more than once, and the sandbox does (twice by default): the
        repeated deliveries are shown, and the callers check that they emailed or dispatched nothing more."""
        deliveries = self.loop.deliver(function)
        if not deliveries:
            raise DemoFailed(f"EventBridge routed no event to {function}; the lifecycle expects one")
        invocations = []
        for delivery in deliveries:
            if delivery.invocation is None:
                raise DemoFailed(delivery.line())
            console.print(f"[dim]{escape(delivery.line())}[/dim]")
            invocations.append(delivery.invocation)
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

    def __init__(self, config: OrgConfig, cast: Cast, sandbox: Sandbox, workdir: Path, approval: ApprovalPath) -> None:
        self.config = config
        self.cast = cast
        self.model = cast.model.name
        self.sandbox = sandbox
        self.approval = approval
        self.workdir = workdir
        self.workloads = workdir / "workloads"
        self.pr_body = workdir / "pr.md"
        self.card = workdir / "model-card.json"
        # The sample card (risk Medium), with the cast's model's own purpose.
        card = json.loads(SAMPLE_CARD.read_text(encoding="utf-8"))
        card["intended_uses"]["purpose_of_model"] = cast.model.description or cast.model.name
        self.card.write_text(json.dumps(card, indent=2) + "\n")

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
        # The demo's organisation and its copy of the manifests, wherever the demo was started from.
        argv = ["--config", str(DEFAULT_CONFIG_PATH), "--workloads", str(self.workloads), *args]
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
        exported copy (or the table, were it writable) to claim v2 was live in the first environment."""
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            app(
                ["--config", str(DEFAULT_CONFIG_PATH), "history", self.model, "--json"],
                prog_name="modelops",
                standalone_mode=False,
            )
        records = json.loads(captured.getvalue())
        forged = next(r for r in records if r["stream"] == f"{self.model}/deploys/{self.cast.first}")
        forged["arn"] = forged["arn"].rsplit("/", 1)[0] + "/2"
        path = self.workloads.parent / "history-tampered.json"
        path.write_text(json.dumps(records, indent=2), encoding="utf-8")
        console.print(
            f"[dim]exported the history to {path.name} and changed {forged['stream']} record "
            f"{forged['seq']} to say v2 was deployed[/dim]"
        )
        return path

    # -- the actors ----------------------------------------------------------------------------------

    def approver(self, email: str) -> None:
        self.act_as(email, self.config.accounts.shared_services, naming.APPROVER_PERMISSION_SET)

    def env_option(self, env: str) -> list[str]:
        """`--env ENV`, left out for the first environment (the CLI's default), as a person would type it."""
        return [] if env == self.cast.first else ["--env", env]

    def approve(self, env: str, version: int, reason: str, *, already: int = 0) -> None:
        """Decisions are per environment: `env`'s approver group decides, as many members as its quorum
        (`already` of them decided elsewhere). The approval that meets the quorum makes the decision service
        ask for the promotion itself."""
        for email in self.cast.approvers[env][already:]:
            self.approver(email)
            self.modelops("approve", self.model, str(version), *self.env_option(env), "--reason", reason)
        self.approval.dispatch()

    # -- card review (issue 14): the registrant submits the Draft card; the card group approves it ----------

    def review_card(self, version: int) -> None:
        """The version's card goes Draft -> PendingReview -> Approved through the decision service: its
        registrant, the data scientist, submits it; a member of the card approver group (the first environment
        requiring an Approved card) reads it as sections and approves it."""
        self.act_as(self.cast.data_scientist, self.config.accounts.data_science, naming.DATA_SCIENTIST_PERMISSION_SET)
        self.modelops("card", self.model, str(version), "--submit")
        env = self.config.card_environment().name
        reviewer = next(a for a in self.cast.groups[env] if a != self.cast.data_scientist)
        self.approver(reviewer)
        self.modelops("card", self.model, str(version))
        self.modelops(
            "card", self.model, str(version), "--approve", "--reason", "intended use, risk rating and caveats reviewed"
        )

    # -- issue 14, soak and holds: a rollback holds its environment until a person releases it ----------

    def hold_and_release(self, env: str, version: int, reason: str) -> None:
        """The rollback held `env`: a promotion of `version` is refused there, as a dispatched PR's `promote`
        would be, until a platform engineer releases the hold with a reason (recorded in the ledger)."""
        self.platform_engineer()
        self.modelops("promote", self.model, "--to", env, "--version", str(version), expect=1)
        self.modelops("release", self.model, "--env", env, "--reason", reason)

    def platform_engineer(self) -> None:
        self.act_as(self.cast.platform_engineer, self.config.accounts.shared_services, naming.PLATFORM_PERMISSION_SET)

    def artifact(self, version: int) -> str:
        bucket = naming.artifact_bucket(self.config)
        return f"s3://{bucket}/{naming.artifact_prefix(self.model)}v{version}/model.tar.gz"

    def register(self, version: int, values: dict[str, str], *, commit: str, person: str | None = None) -> None:
        """Upload the version's artifact create-only and register it (its S3 version, SHA-256, image digest)."""
        self.act_as(
            person or self.cast.data_scientist, self.config.accounts.data_science, naming.DATA_SCIENTIST_PERMISSION_SET
        )
        weights = self.workdir / f"{self.model}-v{version}.tar.gz"
        weights.write_bytes(f"{self.model} release {version}: gradient-boosted trees\n".encode())
        metric_options = [option for name, value in values.items() for option in ("--metric", f"{name}={value}")]
        self.modelops(
            "register", self.model, "--artifact", self.artifact(version), "--upload", str(weights),
            "--image", self.cast.image, *metric_options,
            "--source-commit", commit, "--model-card", str(self.card),
            "--description", f"{self.model}, release {version}",
        )  # fmt: skip

    # -- issue 14: train, evaluate, register (TRAIN) ---------------------------------------------------------

    def train(self, *, commit: str, weak: bool = False) -> dict[str, str]:
        """`modelops train` as the data scientist: the pipeline's step scripts on scikit-learn's breast-cancer
        data, registered through the register step's code when the evaluation meets the training condition;
        `weak` trains on one feature with strong regularisation, which misses it and registers nothing.
        Returns the gated metrics of the registered version (read back from the registry), as text."""
        self.act_as(self.cast.data_scientist, self.config.accounts.data_science, naming.DATA_SCIENTIST_PERMISSION_SET)
        weak_options = ["--features", "symmetry error", "--c", "0.01"] if weak else []
        before = self.versions()
        self.modelops(
            "train", self.model, "--image", self.cast.image, "--source-commit", commit,
            "--model-card", str(self.card), "--description", f"{self.model}, trained on breast-cancer data",
            *weak_options, expect=1 if weak else 0,
        )  # fmt: skip
        after = self.versions()
        if weak:
            if after != before:
                raise DemoFailed("the weak model was registered; the training condition should have refused it")
            return {}
        [arn] = [arn for arn in after if arn not in before]
        sagemaker = account_admin_session(self.config, self.config.accounts.shared_services).client(
            "sagemaker", region_name=self.config.region
        )
        metadata = sagemaker.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"]
        gated = metrics.chain_bounds(self.cast.model)
        return {name: f"{float(metadata[f'metric:{name}']):g}" for name in gated if f"metric:{name}" in metadata}

    def versions(self) -> list[str]:
        """Every version of the model in the registry (read as the shared-services administrator)."""
        sagemaker = account_admin_session(self.config, self.config.accounts.shared_services).client(
            "sagemaker", region_name=self.config.region
        )
        listed = sagemaker.list_model_packages(ModelPackageGroupName=self.model, MaxResults=100)
        return [str(summary["ModelPackageArn"]) for summary in listed["ModelPackageSummaryList"]]

    # -- end of issue 14's training step ---------------------------------------------------------------------

    def approve_on_review_page(self, version: int, reason: str) -> None:
        """The first environment's route: the email, the review page in Chromium, Approve; then the rest of
        its quorum with the CLI, and the dispatch."""
        reviewer = self.cast.reviewer
        self.approval.deliver(NOTIFY)
        emails = self.approval.inbox.receive()
        if len(emails) != 1:
            raise DemoFailed(f"{reviewer} received {len(emails)} emails; the lifecycle expects 1")
        [email] = emails
        console.print(f"email to {email.approver} (SQS subscription to {self.approval.inbox.topic_arn}):")
        console.print(f"  Subject: {escape(email.subject)}")
        for line in email.message.splitlines()[:EMAIL_LINES_SHOWN]:
            console.print(f"  | {escape(line)}")
        console.print("  | ... (the personal review link is not shown: it carries a single-use token)")
        DEMO_OUTPUT.mkdir(exist_ok=True)
        with headless_chromium() as browser:
            self.decide_in_browser(browser, email.review_link(), version, reason)
        self.approve(self.cast.first, version, reason, already=1)

    def decide_in_browser(self, browser: Any, link: str, version: int, reason: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        env, reviewer = self.cast.first, self.cast.reviewer
        browser.get(link)
        console.print(f"Chromium opened the review link: page title {escape(repr(browser.title))}")
        if browser.title != f"Review {self.model} version {version} for {env}":
            raise DemoFailed(f"the review link opened {browser.title!r}, not the review page of v{version}")
        if browser.find_elements(By.ID, "reason"):
            raise DemoFailed("the review page offered a decision before anyone signed in")
        sign_in = browser.find_element(By.LINK_TEXT, f"Sign in as {reviewer} to decide")
        console.print(f"no decision form until the approver signs in: clicked {escape(repr(sign_in.text))}")
        sign_in.click()
        WebDriverWait(browser, 20).until(lambda driver: driver.title.startswith("Sign in to modelops"))
        browser.find_element(By.ID, "email").send_keys(reviewer)
        browser.save_screenshot(str(DEMO_OUTPUT / "sign-in.png"))
        console.print(
            f"the identity provider (sandbox stand-in at {escape(self.approval.identity_provider.url)}) asked who "
            f"is signing in: typed {reviewer}; saved demo-output/sign-in.png"
        )
        browser.find_element(By.ID, "sign-in").click()
        WebDriverWait(browser, 20).until(lambda driver: driver.title.startswith("Review "))
        if not browser.find_elements(By.ID, "reason"):
            raise DemoFailed(f"signed in as {reviewer}, the review page still offers no decision")
        console.print(f"back on the review page, signed in as {reviewer} for this link: the form is there")
        browser.find_element(By.ID, "reason").send_keys(reason)
        # The whole page in one picture: metrics, model card, lineage and the form.
        width = int(browser.get_window_size()["width"])
        browser.set_window_size(width, int(browser.execute_script("return document.body.scrollHeight")) + 120)
        browser.save_screenshot(str(DEMO_OUTPUT / "review-page.png"))
        console.print(f"typed the reason {escape(repr(reason))}; saved demo-output/review-page.png (the whole page)")
        browser.find_element(By.CSS_SELECTOR, "button[value='Approved']").click()
        WebDriverWait(browser, 20).until(lambda driver: not driver.title.startswith("Review "))
        browser.save_screenshot(str(DEMO_OUTPUT / "review-decision.png"))
        console.print(
            f"clicked Approve: decision page {escape(repr(browser.title))}; saved demo-output/review-decision.png"
        )
        if browser.title != f"Approved: {self.model} version {version} for {env}":
            raise DemoFailed(f"the review page answered {browser.title!r} to Approve")

    def replace_artifact(self, version: int) -> None:
        """The attack: after approval, the data-science role overwrites the version's artifact with a plain
        PutObject (no If-None-Match). The bucket policy denies it, as AWS does; were it ever to land, the
        content gate would refuse the version (tests/test_content_gates.py)."""
        self.act_as(self.cast.data_scientist, self.config.accounts.data_science, naming.DATA_SCIENTIST_PERMISSION_SET)
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
        self.modelops(
            "promote", self.model, "--to", env, "--version", str(version), "--pr-body-file", str(self.pr_body)
        )
        self.show_pr_title()
        self.pipeline(env)
        self.modelops("deploy", env)

    # -- batch inference (issue 14, INFER) --------------------------------------------------------------------

    def batch_inference(self, env: str, rows: int = 20) -> None:
        """Batch inference in `env`, then the post-inference notification: the deploy job runs the example
        job (`modelops batch-inference`, as `modelops-batch-<env>`: the live record, a transform of the
        endpoint's model, its figures), and the notify function asks the next environment's approvers with
        them. Call it after `env`'s deploy; v1 must be a real scikit-learn model.tar.gz (model.joblib)."""
        # scikit-learn is a dev dependency, as the sandbox that runs the transform is; imported when used
        # because it takes a second to import.
        from sklearn.datasets import load_breast_cancer  # type: ignore[import-untyped, unused-ignore]

        features = load_breast_cancer().data[-rows:]  # the dataset's last rows, 30 features each
        source = self.workdir / "customers.csv"
        source.write_text("".join(",".join(repr(float(value)) for value in row) + "\n" for row in features))
        console.print(f"[dim]{source.name}: {rows} records of 30 features for the batch job[/dim]")
        self.pipeline(env)
        self.modelops("batch-inference", self.model, "--env", env, "--input", str(source))
        following = self.config.next_environment(env)
        if following is None:
            return
        self.approval.deliver(NOTIFY)
        asked = [
            delivery
            for delivery in email_deliveries(self.config.accounts.shared_services, self.config.region)
            if "a batch-inference job of it there completed" in delivery.message
        ]
        if not asked:
            raise DemoFailed(f"no approver of {following.name} was asked after the batch job")
        console.print(f"email to {asked[-1].endpoint} ({len(asked)} approver(s) of {following.name} asked):")
        lines = asked[-1].message.splitlines()
        start = next(i for i, line in enumerate(lines) if "batch-inference job" in line)
        for line in lines[start : start + 6]:
            console.print(f"  | {escape(line)}")

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


def shown(values: dict[str, str]) -> str:
    """Metric values as an approver's reason quotes them: `AUC 0.91 and FPR 0.07`."""
    return listed([f"{metrics.label(name)} {value}" for name, value in values.items()])


def listed(names: list[str] | tuple[str, ...], joiner: str = " and ") -> str:
    """`qa`, `qa and prod`, `dev, staging and live`."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + joiner + names[-1]


QUORUM_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}


def copy_manifests(config: OrgConfig, cast: Cast, source: Path, workloads: Path) -> list[str]:
    """Copy the model's manifests from `source` into the demo's `workloads`; return lines saying what they pin.

    Only this model's: other models' manifests pin versions the fresh sandbox registry never had, so their
    gates would refuse every deploy of their environment. An environment without a manifest of the model
    gets none: its first `promote` writes one, the pin and content on the schema's defaults
    (workloads/manifest.py: ml.m5.large x 1, a canary rollout, the default alarms), and the PR shows the
    whole new file, so that environment's approvers review its settings with its first pin. That is what a
    platform team does with a model new to an environment; copying another environment's settings instead
    would carry, say, dev's sizing into production without anyone choosing it."""
    pinned, missing = [], []
    for env in cast.chain:
        original = manifest_path(source, env, cast.model.name)
        if not original.is_file():
            missing.append(env)
            continue
        version = load_manifest(original, config).version  # a broken manifest is named before the sandbox starts
        target = manifest_path(workloads, env, cast.model.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(original, target)
        pinned.append(f"v{version} in {env}")
    lines = [f"the repository's manifests of {cast.model.name} pin {listed(pinned)}"] if pinned else []
    if missing:
        lines.append(
            f"{cast.model.name} has no manifest in {listed(missing, ' or ')}: its first promotion there writes one "
            "on the schema's defaults, for that environment's approvers to review in the PR"
        )
    return lines


def second_step_title(cast: Cast) -> str:
    """`a qa approver may not decide for prod; two prod approvers meet prod's quorum; v1 goes to prod`."""
    parts = []
    outsider = cast.outsider()
    if outsider is not None:
        parts.append(f"a {cast.first} approver may not decide for {outsider[1]}")
    for env in cast.chain[1:]:
        quorum = len(cast.approvers[env])
        if quorum > 1:
            parts.append(f"{QUORUM_WORDS[quorum]} {env} approvers meet {env}'s quorum")
    parts.append(f"v1 goes to {listed(cast.chain[1:], ', then ')}")
    return "; ".join(parts)


def first_version(
    config: OrgConfig, cast: Cast, demo: Lifecycle, numbered: Callable[[str], contextlib.AbstractContextManager[None]]
) -> None:
    """v1 into the first environment, in the order of issue 14: train (or register), card review, approval on
    the review page, promotion and deploy, then batch inference there and the post-inference notification."""
    model, first = cast.model, cast.first
    good = metrics.passing(model, 1)
    gate = f"meet the {first} gate" if first in model.gates else f"reviewed ({first} has no gate)"
    # A model with a training pipeline trains v1 for real; another registers it with typed metrics.
    trains = model.training is not None
    with numbered("train, evaluate and register v1; a weak model fails the condition" if trains else "register v1"):
        if trains:
            good = demo.train(commit="4f2c1de")
            demo.train(commit="4f2c1de", weak=True)
        else:
            demo.register(1, good, commit="4f2c1de")
    with numbered(
        f"card review: the data scientist submits v1's model card, {config.card_environment().approver_group} "
        "approves it"
    ):
        demo.review_card(1)
    with numbered(f"approve v1 on the review page, promote it to {first} and deploy {first}"):
        demo.approve_on_review_page(1, f"{shown(good)} {gate}")
        demo.promote_and_deploy(1, first)
    if trains and cast.chain[1:]:  # a placeholder artifact (a model trained elsewhere) is no model to run
        with numbered(f"batch inference in {first}, then the post-inference notification"):
            demo.batch_inference(first)


def run(config: OrgConfig, cast: Cast, workdir: Path) -> None:
    """The lifecycle of issue 3 along the configured chain, with issue 5's review-page approval and issue 14's
    training, card review, batch inference, and hold and release."""
    model, first, last, chain = cast.model, cast.first, cast.last, cast.chain
    later = chain[1:]
    manifests = copy_manifests(config, cast, WORKLOADS, workdir / "workloads")
    numbers = itertools.count(1)

    def numbered(title: str) -> contextlib.AbstractContextManager[None]:
        return step(f"{next(numbers)}. {title}")

    with step("0. the sandbox organisation: every account, bootstrapped; shared services deployed"):
        sandbox = start_sandbox(config, progress=show_milestones)
    stack = ExitStack()  # the approval path's local servers, closed before the sandbox stops
    try:
        os.environ.update(sandbox.environ)
        approval = ApprovalPath(config, sandbox, stack, cast.reviewer)
        demo = Lifecycle(config, cast, sandbox, workdir, approval)
        for line in manifests:
            console.print(f"[dim]{line}[/dim]")
        # Into the repository the shared-services stack created (never one of the push's own).
        digest = push_image(
            account_admin_session(config, config.accounts.shared_services), cast.image, create_repository=False
        )
        console.print(f"[dim]the image build pushed {cast.image} ({digest}) to the stack's ECR repository[/dim]")
        first_version(config, cast, demo, numbered)
        if later:
            with numbered(second_step_title(cast)):
                outsider = cast.outsider()
                if outsider is not None:
                    demo.approver(outsider[0])
                    demo.modelops(
                        "approve", model.name, "1", "--env", outsider[1], "--reason", f"{first} looked fine", expect=1
                    )
                for previous, env in itertools.pairwise(chain):
                    demo.approve(env, 1, f"Live in {previous}: 5XX 0, latency within budget; card reviewed")
                    demo.promote_and_deploy(1, env)
        with numbered("register v2 and reject it"):
            values, miss = metrics.rejected(model, first, 2)
            demo.register(2, values, commit="9b1e77a")
            demo.approver(cast.reviewer)
            why = miss or "its training data predates Q3"
            demo.modelops("reject", model.name, "2", "--reason", f"{why}; retrain with Q3 data")
        with numbered("try to promote v2: refused, with the reason"):
            demo.platform_engineer()
            demo.modelops("promote", model.name, "--to", first, "--version", "2", expect=1)
        attack = "an attacker tries to replace its artifact: AWS refuses"
        with numbered(f"register v3 and approve it with the CLI; {attack}"):
            better = metrics.passing(model, 3)
            demo.register(3, better, commit="c0ffee3")
            # The CLI route ends in the same decision service, which asks for the promotion.
            demo.approve(first, 3, f"{shown(better)}; card and lineage reviewed")
            demo.replace_artifact(3)
        with numbered(
            f"register v4 (its artifact untouched), approve it, promote and deploy to {listed(chain, ', then to ')}"
        ):
            demo.register(4, better, commit="c0ffee4")
            demo.review_card(4)
            demo.approve(first, 4, f"{shown(better)}; card and lineage reviewed")
            demo.promote_and_deploy(4, first)
            for previous, env in itertools.pairwise(chain):
                if previous == first:
                    demo.platform_engineer()
                    demo.modelops("promote", model.name, "--to", env, "--version", "4", expect=1)  # not approved yet
                demo.approve(env, 4, f"Live in {previous}: {metrics.label(next(iter(better)))} holds, no alarms")
                demo.promote_and_deploy(4, env)
        with numbered("an approver who also trains models registers v5, and may not approve it"):
            demo.register(5, metrics.passing(model, 5), commit="d00dad5", person=cast.reviewer)
            demo.approver(cast.reviewer)
            demo.modelops("approve", model.name, "5", "--reason", "my own model looks great", expect=1)
        with numbered(f"roll {last} back to v1, which holds {last}: a promotion is refused until a release"):
            demo.platform_engineer()
            demo.modelops(
                "rollback",
                model.name,
                "--env",
                last,
                "--pr-body-file",
                str(demo.pr_body),
                "--reason",
                "v4's error rate",
            )
            demo.show_pr_title()
            demo.pipeline(last)
            demo.modelops("deploy", last)
            demo.hold_and_release(last, 4, "v4's errors understood; v5 will fix them")
            demo.pipeline(last)  # the next step's drift check runs as the deploy job again
        with numbered("status, drift and history"):
            demo.modelops("drift", "--env", last)
            others = [other.name for other in config.models[1:]]
            if others:  # the demo pins none of them, so no stack deployed their endpoints
                console.print(
                    f"[dim]drift passed over {listed(others)}: {last}'s operator may describe only the endpoints "
                    f"{last}'s stack deploys, so IAM refused it a look at theirs ({len(others)} refusal(s))[/dim]"
                )
            demo.platform_engineer()
            demo.modelops("history", model.name)
            demo.modelops("status")
            demo.modelops("lineage", model.name, "1")  # issue 14 (TRAIN): live endpoints back to data and code
        with numbered("the ledger verifies, and a tampered copy of it does not"):
            demo.modelops("history", model.name, "--verify")
            demo.modelops("history", model.name, "--verify", "--from", str(demo.tampered_export()), expect=1)
    finally:
        stack.close()
        sandbox.stop()


def main() -> int:
    """Run the lifecycle once; 0 when every step ended as expected, 1 otherwise (2 for an accounts.yaml or
    manifest that is broken or lacks what the demo needs: the one-line error names the file and field)."""
    started = time.perf_counter()
    try:
        config = load_config(DEFAULT_CONFIG_PATH)
        players = cast(config, display_path(DEFAULT_CONFIG_PATH))
        try:
            require_chromium()  # before minutes of set-up, not after
        except ChromiumMissing as missing:
            raise DemoFailed(str(missing)) from None
        with tempfile.TemporaryDirectory(prefix="modelops-demo-") as workdir:
            run(config, players, Path(workdir))
    except InputError as bad:
        print(f"error: {bad}", file=sys.stderr)
        return 2
    except MissingInConfig as missing:  # valid, but the demo needs more of it: input to fix all the same
        print(f"error: {missing}", file=sys.stderr)
        return 2
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


def display_path(path: Path) -> str:
    """`path` relative to the repository, as error messages name files."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
