"""`promote` and `rollback`: check the gates, pin the ARN in the manifest, write the PR title and body.

AWS calls per promotion are fixed, whatever a group holds: at most one ListModelPackages (page size 1,
newest Approved first, only without --version/--arn), two DescribeModelPackage (proposed and replaced),
one GetParameter (live record of the previous environment), one HeadObject (the artifact's current S3
version), two Queries (the promotions and releases streams: is the environment held?), one Query and one
ExecuteStatement (the ledger's tail, then its INSERT; a rollback appends its hold too), plus STS. An environment
with a soak adds one GetParameter (its own live record), one Query (the previous environment's deploy records)
and, in the previous environment's account, one DescribeAlarms and a DescribeAlarmHistory per rollback alarm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion import gates, holds, manifest_writer, pr_body, soak
from promotion.aws import AwsContext, calling
from promotion.content import ArtifactState, artifact_state
from promotion.errors import GateFailed
from promotion.ledger import HistoryAction, HistoryRecord, Ledger, utc_now
from promotion.live_records import LiveRecords
from promotion.registry import PackageInfo, Registry
from promotion.report_metrics import with_report_metrics
from workloads.manifest import manifest_path

DEFAULT_PR_BODY_FILE = Path(".modelops/pr.md")

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Plan:
    """A checked promotion, ready to write: everything `--dry-run` shows."""

    model: str
    env: str
    arn: str
    proposed: PackageInfo
    replaced_arn: str | None
    previous_env: str | None
    previous_live: str | None
    snapshot: manifest_writer.Snapshot
    display: str
    new_text: str
    diff: str
    pull_request: pr_body.PullRequest
    rollback: bool
    # Said when a rollback skips the environment's soak (a version live there before has nothing to soak).
    soak_note: str | None = None

    @property
    def unchanged(self) -> bool:
        """The manifest already pins this version with its registered content (nothing to write)."""
        return self.replaced_arn == self.arn and self.snapshot.text == self.new_text


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    written: bool
    pr_body_file: Path | None


def display_path(path: Path) -> str:
    """A path as people see it in messages: relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def target_arn(config: OrgConfig, model: str, *, version: int | None, arn: str | None) -> str | None:
    """The ARN asked for, checked for shape; None means "the newest Approved version"."""
    if version is not None and arn is not None:
        raise InputError("give either --version or --arn, not both")
    if arn is not None:
        gates.require_arn(config, model, arn)
        return arn
    if version is not None:
        if version < 1:
            raise InputError(f"--version: must be 1 or more, got {version}")
        return naming.model_package_arn(config, model, version)
    return None


class Promoter:
    """One promotion or rollback, with the registry and Parameter Store reached through the promoter role."""

    def __init__(self, aws: AwsContext, config: OrgConfig, workloads_root: Path, progress: Progress = _quiet) -> None:
        self.aws = aws
        self.config = config
        self.root = workloads_root
        self.progress = progress
        self.role = naming.promoter_role_arn(config)
        self.ssm_what = f"Parameter Store in the shared-services account {config.accounts.shared_services}"
        self.ledger_what = f"the ledger in the shared-services account {config.accounts.shared_services}"

    def _registry(self) -> Registry:
        return Registry(self.aws.promoter().client("sagemaker", region_name=self.config.region), self.config)

    def _ssm(self) -> LiveRecords:
        return LiveRecords(self.aws.promoter().client("ssm", region_name=self.config.region))

    def _ledger(self, model: str) -> Ledger:
        return Ledger(self.aws.promoter().client("dynamodb", region_name=self.config.region), model)

    def _artifact_state(self, package: PackageInfo) -> ArtifactState | None:
        """The recorded artifact's current S3 version (None when the version recorded no content)."""
        if package.content is None:
            return None
        self.progress(f"reading {package.content.artifact}")
        with calling("the artifact bucket", role=self.role):
            s3 = self.aws.promoter().client("s3", region_name=self.config.region)
            return artifact_state(s3, package.content.artifact)

    def _with_report_metrics(self, package: PackageInfo) -> tuple[PackageInfo, list[gates.GateFailure]]:
        """The version with the metrics of its registered evaluation report (promotion/report_metrics.py)."""
        if package.lineage.evaluation_report is None:
            return package, []
        self.progress(f"reading {package.lineage.evaluation_report}")
        with calling("the artifact bucket", role=self.role):
            return with_report_metrics(self.aws.promoter().client("s3", region_name=self.config.region), package)

    def plan(
        self,
        *,
        model: str,
        env: str,
        version: int | None = None,
        arn: str | None = None,
        rollback_candidates: list[str] | None = None,
    ) -> Plan:
        """Check every gate for pinning `model` in `env`; raises GateFailed listing each broken rule.

        `rollback_candidates` (ARNs live in `env` before) replaces the chain-order gate for a rollback.
        """
        self.config.model(model)
        self.config.environment(env)
        requested = target_arn(self.config, model, version=version, arn=arn)
        path = manifest_path(self.root, env, model)
        display = display_path(path)
        snapshot, current = manifest_writer.take_snapshot(path, self.config, env=env, model=model)
        replaced_arn = current.model_package_arn if current is not None else None

        self.progress("reading the registry")
        with calling("the SageMaker registry", role=self.role):
            registry = self._registry()
            if requested is None:
                latest = registry.latest_approved(model)
                if latest is None:
                    raise GateFailed([f"approved: {model} has no Approved version in the registry"])
                requested = latest.arn
            proposed = registry.describe(requested)
            replaced = registry.describe(replaced_arn) if replaced_arn not in {None, requested} else None
        if proposed is None:
            raise InputError(f"{requested} does not exist in the registry")
        if replaced_arn == requested:
            replaced = proposed

        proposed, report_failures = self._with_report_metrics(proposed)
        failures = report_failures + gates.package_failures(self.config, model, env, requested, proposed)
        failures += gates.content_gate(proposed, proposed.content, self._artifact_state(proposed))
        previous = self.config.previous_environment(env)
        previous_live: str | None = None
        if previous is not None:
            self.progress(f"reading what is live in {previous.name}")
            with calling(self.ssm_what, role=self.role):
                previous_live = self._ssm().get(model, previous.name)
        if rollback_candidates is None:
            failures += gates.chain_failures(self.config, env, requested, previous_live=previous_live)
        failures += self._hold_and_soak(model, env, requested, rollback=rollback_candidates is not None)
        if failures:
            raise GateFailed([str(failure) for failure in failures])

        if proposed.content is None:  # the content gate refused it above; this keeps the type checker sure
            raise GateFailed([f"content: {proposed.label} records no registered content"])
        new_text = manifest_writer.render_pin(snapshot, requested, self.config, proposed.content.manifest_fields())
        # As git names it: from the folder holding the manifests folder (`workloads/qa/churn-model.yaml`).
        diff = manifest_writer.unified_diff(snapshot, new_text, path.relative_to(self.root.parent).as_posix())
        pull_request = pr_body.build(
            config=self.config,
            model=model,
            env=env,
            proposed=proposed,
            replaced_arn=replaced_arn,
            replaced=replaced,
            previous_env=previous.name if previous is not None else None,
            previous_live=previous_live,
            diff=diff,
            rollback=rollback_candidates is not None,
        )
        return Plan(
            model=model,
            env=env,
            arn=requested,
            proposed=proposed,
            replaced_arn=replaced_arn,
            previous_env=previous.name if previous is not None else None,
            previous_live=previous_live,
            snapshot=snapshot,
            display=display,
            new_text=new_text,
            diff=diff,
            pull_request=pull_request,
            rollback=rollback_candidates is not None,
            soak_note=self._soak_note(model, env, requested) if rollback_candidates is not None else None,
        )

    def _hold_and_soak(self, model: str, env: str, arn: str, *, rollback: bool) -> list[gates.GateFailure]:
        """The hold gate, then (not for a rollback, nor a version live here already) the soak gate."""
        self.progress(f"reading the holds of {env}")
        with calling(self.ledger_what, role=self.role):
            dynamodb = self.aws.promoter().client("dynamodb", region_name=self.config.region)
            failures = gates.hold_failures(model, env, arn, holds.read_hold(dynamodb, model, env))
        if rollback or self.config.environment(env).soak_hours == 0:
            return failures
        with calling(self.ssm_what, role=self.role):
            live_here = self._ssm().get(model, env)
        if gates.soak_exempt(arn, live_here=live_here):
            return failures
        self.progress(f"reading the soak of {gates.version_label(arn)} before {env}")
        with calling(self.ledger_what, role=self.role):
            evidence = soak.soak_evidence(
                self.aws, self.config, model=model, env=env, arn=arn, dynamodb=dynamodb, reader=self.role
            )
        return failures + soak.soak_failures(self.config, model, env, arn, evidence)

    def _soak_note(self, model: str, env: str, arn: str) -> str | None:
        """A rollback's word on the soak it skips (None when `env` requires none)."""
        hours = self.config.environment(env).soak_hours
        if hours == 0:
            return None
        return (
            f"soak: {model} {gates.version_label(arn)} was live in {env} before; a rollback is exempt from {env}'s "
            f"{hours}h soak"
        )

    def apply(self, plan: Plan, *, pr_body_file: Path, reason: str = "") -> Outcome:
        """Write the manifest (compare-and-swap), record the proposal in the ledger, then write the PR file."""
        if plan.unchanged:
            return Outcome(plan=plan, written=False, pr_body_file=None)
        self.progress(f"writing {plan.display}")
        manifest_writer.write_pin(plan.snapshot, plan.new_text, display=plan.display)
        try:
            with calling(self.ledger_what, role=self.role):
                self._ledger(plan.model).append(
                    naming.promotions_stream(plan.model),
                    HistoryRecord(
                        who=self.aws.identity(),
                        when=utc_now(),
                        action=HistoryAction.ROLLBACK_PROPOSED if plan.rollback else HistoryAction.PROMOTION_PROPOSED,
                        reason=reason or plan.pull_request.title,
                        arn=plan.arn,
                        account=self.config.environment(plan.env).account,
                        env=plan.env,
                    ),
                )
                if plan.rollback:
                    # The rollback holds its environment: no automated promotion undoes it until a release.
                    self._ledger(plan.model).append(
                        naming.promotions_stream(plan.model),
                        holds.held_record(
                            self.config,
                            plan.env,
                            plan.arn,
                            who=self.aws.identity(),
                            reason=reason or plan.pull_request.title,
                        ),
                    )
        except BaseException:
            # Nothing half-written: without its ledger record the manifest change is undone.
            manifest_writer.restore(plan.snapshot, plan.new_text)
            raise
        pr_body_file.parent.mkdir(parents=True, exist_ok=True)
        # The body's first line is the title as a heading (`## Promote ...`), for the workflow to reuse.
        pr_body_file.write_text(plan.pull_request.body, encoding="utf-8")
        return Outcome(plan=plan, written=True, pr_body_file=pr_body_file)

    def rollback_candidates(self, *, model: str, env: str, to_version: int | None) -> tuple[str, list[str]]:
        """The ARN to roll back to and every ARN live in `env` before, from `env`'s own deploy records."""
        self.config.model(model)
        self.config.environment(env)
        self.progress(f"reading the deploy records of {env}")
        with calling(self.ledger_what, role=self.role):
            deployed = self._ledger(model).deployed_arns(env)
        with calling(self.ssm_what, role=self.role):
            live_now = self._ssm().get(model, env)
        earlier = [arn for arn in deployed if arn != live_now]
        if to_version is not None:
            if to_version < 1:
                raise InputError(f"--to-version: must be 1 or more, got {to_version}")
            wanted = naming.model_package_arn(self.config, model, to_version)
            if wanted not in deployed:
                seen = ", ".join(sorted({gates.version_label(arn) for arn in deployed})) or "none"
                raise GateFailed(
                    [
                        f"chain-order: v{to_version} was never live in {env}; a rollback returns only to a "
                        f"version live there before (live there so far: {seen})"
                    ]
                )
            return wanted, deployed
        if not earlier:
            raise GateFailed(
                [
                    f"chain-order: no version other than {gates.version_label(live_now)} was ever live in "
                    f"{env}; nothing to roll back to"
                ]
            )
        return earlier[-1], deployed


def promote(
    aws: AwsContext,
    config: OrgConfig,
    workloads_root: Path,
    *,
    model: str,
    env: str,
    version: int | None = None,
    arn: str | None = None,
    dry_run: bool = False,
    pr_body_file: Path = DEFAULT_PR_BODY_FILE,
    reason: str = "",
    progress: Progress = _quiet,
) -> Outcome:
    """Pin a version of `model` in `env` after every gate passes; `dry_run` checks and writes nothing."""
    promoter = Promoter(aws, config, workloads_root, progress)
    plan = promoter.plan(model=model, env=env, version=version, arn=arn)
    if dry_run:
        return Outcome(plan=plan, written=False, pr_body_file=None)
    return promoter.apply(plan, pr_body_file=pr_body_file, reason=reason)


def rollback(
    aws: AwsContext,
    config: OrgConfig,
    workloads_root: Path,
    *,
    model: str,
    env: str,
    to_version: int | None = None,
    dry_run: bool = False,
    pr_body_file: Path = DEFAULT_PR_BODY_FILE,
    reason: str = "",
    progress: Progress = _quiet,
) -> Outcome:
    """Pin the version live in `env` before (or `to_version`); every gate but chain order applies."""
    promoter = Promoter(aws, config, workloads_root, progress)
    target, deployed = promoter.rollback_candidates(model=model, env=env, to_version=to_version)
    plan = promoter.plan(model=model, env=env, arn=target, rollback_candidates=deployed)
    if dry_run:
        return Outcome(plan=plan, written=False, pr_body_file=None)
    return promoter.apply(plan, pr_body_file=pr_body_file, reason=reason)
