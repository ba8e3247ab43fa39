"""The resources the sweep covers, each with the resource policy that governs it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from policies.iam import Policy, Resource
from policies.iam.cloudformation.deployment import Deployment, Document
from policies.proof.bootstrap import CDK_ROLE_KINDS, target_accounts
from policies.proof.errors import ProofError
from policies.proof.samples import OTHER, SAMPLE, arn_account, arn_service, sample_of, sibling_of


@dataclass
class ProofResource:
    """One resource of the sweep, with the symbolic name the matrix uses."""

    symbol: str
    resource: Resource
    service: str
    aliases: tuple[str, ...] = ()
    logging_sources: tuple[str, ...] = ()


def _statement_strings(document: dict[str, Any], element: str) -> Iterator[str]:
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        value = statement.get(element, [])
        yield from [value] if isinstance(value, str) else value


def swept_resources(
    config: OrgConfig,
    deployment: Deployment,
    documents: list[Document],
    policies: Mapping[str, Policy],
    symbolize: Callable[[str], str],
    outsider: str,
) -> list[ProofResource]:
    """Every resource the sweep covers: what our templates deploy, the bootstrap roles, a sample and a
    neighbour of every pattern a policy names, an unnamed object in every bucket, a version in every
    model package group, and a decoy key elsewhere under each alias; each with its governing policy."""
    arns: dict[str, str] = {}  # arn -> owning account
    buckets = {
        arn.removeprefix("arn:aws:s3:::"): r.account
        for arn, r in deployment.resources.items()
        if r.type == "AWS::S3::Bucket"
    }
    for arn, resource in deployment.resources.items():
        arns[arn] = resource.account
    for account in target_accounts(config):
        for kind in CDK_ROLE_KINDS:
            arns[naming.cdk_role_arn(kind, account, config.region)] = account
    _add_pattern_samples(arns, documents, buckets, outsider)
    _add_unnamed_children(arns, deployment, buckets)
    foreign_aliases = _add_alias_decoys(arns, config, deployment, outsider)
    by_name = {doc.name: policies[doc.name] for doc in documents}
    trust_by_role = {
        doc.name.removesuffix(" trust (cdk bootstrap)"): by_name[doc.name]
        for doc in documents
        if doc.name.endswith("(cdk bootstrap)")
    }
    result: list[ProofResource] = []
    for arn, account in sorted(arns.items()):
        if not re.fullmatch(r"\d{12}", account):
            raise ProofError(f"resource {arn}: cannot tell its owning account")
        policy = _resource_policy(arn, deployment, by_name, trust_by_role)
        result.append(_proof_resource(arn, account, policy, deployment, foreign_aliases, symbolize))
    return result


def _add_pattern_samples(
    arns: dict[str, str], documents: list[Document], buckets: dict[str, str], outsider: str
) -> None:
    """A sample and a neighbour of every Resource and NotResource pattern the documents name."""
    patterns = {
        p
        for doc in documents
        for element in ("Resource", "NotResource")
        for p in _statement_strings(doc.document, element)
    }
    for pattern in sorted(patterns - {"*"}):
        if "${" in pattern:
            # A policy variable stands for the caller's own value (`artifacts/${aws:PrincipalTag/...}/*`): the
            # literal patterns' samples and neighbours (each execution role names its own model's prefix) and
            # the unnamed object of every bucket are the resources it is decided on.
            continue
        for candidate in (sample_of(pattern), sibling_of(pattern)):
            if candidate is not None and candidate not in arns:
                arns[candidate] = _owner(candidate, buckets, outsider)


def _add_unnamed_children(arns: dict[str, str], deployment: Deployment, buckets: dict[str, str]) -> None:
    """Every bucket gets an object outside anything a policy names, and every group a version."""
    for name, account in buckets.items():
        arns.setdefault(f"arn:aws:s3:::{name}/{OTHER}/{SAMPLE}", account)
    for arn, resource in list(deployment.resources.items()):
        if resource.type == "AWS::SageMaker::ModelPackageGroup":
            group = arn.rsplit("/", 1)[1]
            arns.setdefault(arn.replace(f"model-package-group/{group}", f"model-package/{group}/1"), resource.account)


def _add_alias_decoys(
    arns: dict[str, str], config: OrgConfig, deployment: Deployment, outsider: str
) -> dict[str, tuple[str, ...]]:
    """A key in another account under the same aliases (an alias condition alone must not reach it);
    returns the decoy's aliases by ARN."""
    foreign_aliases: dict[str, tuple[str, ...]] = {}
    for resource in deployment.resources.values():
        if resource.aliases:
            decoy = f"arn:aws:kms:{config.region}:{outsider}:key/{OTHER}"
            arns.setdefault(decoy, outsider)
            foreign_aliases[decoy] = tuple(sorted({*foreign_aliases.get(decoy, ()), *resource.aliases}))
    return foreign_aliases


def _proof_resource(
    arn: str,
    account: str,
    policy: Policy | None,
    deployment: Deployment,
    foreign_aliases: dict[str, tuple[str, ...]],
    symbolize: Callable[[str], str],
) -> ProofResource:
    """The sweep's resource for `arn`, with the aliases and access-log sources of what deploys it."""
    deployed = deployment.resources.get(arn)
    if deployed is None and arn.startswith("arn:aws:s3:::"):
        # An object has the access-log sources of its bucket (aws:SourceArn of the logging service).
        deployed = deployment.resources.get("arn:aws:s3:::" + arn.removeprefix("arn:aws:s3:::").split("/", 1)[0])
    service = arn_service(arn)
    return ProofResource(
        symbol=symbolize(arn),
        resource=Resource(arn, account, policy),
        service=service,
        aliases=deployed.aliases if deployed and arn == deployed.arn else foreign_aliases.get(arn, ()),
        logging_sources=deployed.logging_sources if deployed else (),
    )


def _owner(arn: str, buckets: dict[str, str], outsider: str) -> str:
    if arn.startswith("arn:aws:s3:::"):
        bucket = arn.removeprefix("arn:aws:s3:::").split("/", 1)[0]
        return buckets.get(bucket, outsider)  # a bucket we do not deploy belongs to someone else
    return arn_account(arn)


def _resource_policy(
    arn: str, deployment: Deployment, policies: dict[str, Policy], bootstrap: dict[str, Policy]
) -> Policy | None:
    """The resource policy governing `arn`: its own, its bucket's, its group's, or a bootstrap trust."""
    owner = deployment.resources.get(arn)
    if owner is None and arn.startswith("arn:aws:s3:::"):
        owner = deployment.resources.get("arn:aws:s3:::" + arn.removeprefix("arn:aws:s3:::").split("/", 1)[0])
    if owner is None and ":model-package/" in arn:
        group = arn.split(":model-package/", 1)[1].split("/", 1)[0]
        owner = deployment.resources.get(arn.split(":model-package/", 1)[0] + f":model-package-group/{group}")
    if owner is not None and owner.policy is not None:
        return policies[owner.policy.name]
    if ":role/" in arn:
        return bootstrap.get(arn.rsplit("/", 1)[1])
    return None
