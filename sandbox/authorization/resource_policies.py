"""The resource policy that governs a resource, read from the sandbox's state as the service holds it.

A role's trust policy governs sts:* on the role; a KMS key's key policy governs kms:* on it (a key has
one always: moto writes the default key policy when none is given, as KMS does); a bucket policy, a
topic or queue policy, a secret's or a table's resource policy, a model package group's policy (over
the group and its packages) and an ECR repository policy govern their service's actions.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.ecr.models import ecr_backends
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.s3.models import s3_backends
from moto.sagemaker.models import sagemaker_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends

from policies.iam import Policy, PolicyKind


@lru_cache(maxsize=4096)
def compiled(name: str, text: str, kind: PolicyKind) -> Policy:
    """A policy document compiled once per text (the evaluator caches its matches on the Policy)."""
    return Policy(name, json.loads(text), kind)


def _text(document: Any) -> str | None:
    if document is None or document == "":
        return None
    if isinstance(document, bytes):
        return document.decode()
    if isinstance(document, str):
        return document
    return json.dumps(document)


def resource_policy(service: str, arn: str, account: str, partition: str = "aws") -> Policy | None:
    """The resource policy of `arn` (owned by `account`) that governs `service`'s actions, if any."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    arn_service, region, resource = parts[2], parts[3], parts[5]
    found = _LOOKUPS.get((service, arn_service))
    if found is None:
        return None
    kind, lookup = found
    text = _text(lookup(account, region, resource, partition))
    return None if text is None else compiled(f"{kind_noun(kind, service)} of {arn}", text, kind)


def kind_noun(kind: PolicyKind, service: str) -> str:
    """How an error or explanation names a policy of this kind."""
    if kind is PolicyKind.TRUST:
        return "trust policy"
    if kind is PolicyKind.KMS_KEY:
        return "key policy"
    return f"{service} resource policy"


def _role(account: str, _region: str, resource: str, partition: str) -> Any:
    name = resource.rsplit("/", 1)[-1]
    for role in iam_backends[account][partition].roles.values():
        if role.name == name:
            return role.assume_role_policy_document
    return None


def _key(account: str, region: str, resource: str, _partition: str) -> Any:
    key = kms_backends[account][region].keys.get(resource.removeprefix("key/"))
    if key is None:
        return None
    managed = [name for name in key.aliases if name.startswith("alias/aws/")]
    if managed:
        return aws_managed_key_policy(account, region, managed[0].removeprefix("alias/aws/"))
    return key.policy


def aws_managed_key_policy(account: str, region: str, service: str) -> str:
    """The key policy AWS gives an AWS managed key (`alias/aws/<service>`): any principal of the account may
    use it through that service, and the account may read it ("AWS managed keys", KMS developer guide).
    moto gives these keys its default policy, which names only the account root."""
    use = {
        "Sid": "Allow access through the service for all principals in the account that are authorized to use it",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"kms:CallerAccount": account, "kms:ViaService": f"{service}.{region}.amazonaws.com"}
        },
    }
    read = {
        "Sid": "Allow direct access to key metadata to the account",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
        "Resource": "*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [use, read]})


def _bucket(_account: str, _region: str, resource: str, partition: str) -> Any:
    bucket_name = resource.split("/", 1)[0]
    owner = s3_backends.bucket_accounts.get(bucket_name)
    if owner is None:
        return None
    bucket = s3_backends[owner[1]][partition].buckets.get(bucket_name)
    return None if bucket is None else bucket.policy


def _group(account: str, region: str, resource: str, _partition: str) -> Any:
    kind, _, rest = resource.partition("/")
    if kind not in ("model-package-group", "model-package"):
        return None
    group_name = rest.split("/", 1)[0]
    for group in sagemaker_backends[account][region].model_package_groups.values():
        if group.model_package_group_name == group_name:
            return getattr(group, "resource_policy", None)
    return None


def _topic(account: str, region: str, resource: str, _partition: str) -> Any:
    topic = sns_backends[account][region].topics.get(f"arn:aws:sns:{region}:{account}:{resource}")
    return None if topic is None else topic.policy


def _queue(account: str, region: str, resource: str, _partition: str) -> Any:
    queue = sqs_backends[account][region].queues.get(resource)
    return None if queue is None else queue.policy


def _secret(account: str, region: str, resource: str, _partition: str) -> Any:
    for secret in secretsmanager_backends[account][region].secrets.values():
        if secret.arn.endswith(resource):
            return getattr(secret, "policy", None)
    return None


def _table(account: str, region: str, resource: str, partition: str) -> Any:
    arn = f"arn:{partition}:dynamodb:{region}:{account}:{resource.split('/index/', 1)[0]}"
    policy = dynamodb_backends[account][region].resource_policies.get(arn)
    return None if policy is None else policy.policy_doc


def _repository(account: str, region: str, resource: str, partition: str) -> Any:
    repository = ecr_backends[account][region].repositories.get(resource.removeprefix("repository/"))
    if repository is None or not repository.policy:
        return None
    # A repository policy names no Resource: it is the repository's ("Private repository policies",
    # Amazon ECR user guide). The evaluator reads every statement's Resource, so it is written in.
    document = json.loads(repository.policy)
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if "Resource" not in statement and "NotResource" not in statement:
            statement["Resource"] = f"arn:{partition}:ecr:{region}:{account}:{resource}"
    return json.dumps(document)


_LOOKUPS = {
    ("sts", "iam"): (PolicyKind.TRUST, _role),
    ("kms", "kms"): (PolicyKind.KMS_KEY, _key),
    ("s3", "s3"): (PolicyKind.RESOURCE, _bucket),
    ("sagemaker", "sagemaker"): (PolicyKind.RESOURCE, _group),
    ("sns", "sns"): (PolicyKind.RESOURCE, _topic),
    ("sqs", "sqs"): (PolicyKind.RESOURCE, _queue),
    ("secretsmanager", "secretsmanager"): (PolicyKind.RESOURCE, _secret),
    ("dynamodb", "dynamodb"): (PolicyKind.RESOURCE, _table),
    ("ecr", "ecr"): (PolicyKind.RESOURCE, _repository),
}
