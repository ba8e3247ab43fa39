"""DynamoDB, SSM Parameter Store, Secrets Manager and KMS.

- DynamoDB ("Actions, resources, and condition keys for Amazon DynamoDB"): item operations on
  `table/<name>`, with dynamodb:LeadingKeys, the partition key values the request reads or writes
  ("Using IAM policy conditions for fine-grained access control"). A PartiQL ExecuteStatement is
  authorized as dynamodb:PartiQLInsert, PartiQLSelect, PartiQLUpdate or PartiQLDelete by its verb.
- SSM: `parameter/<name without its leading slash>`; GetParameters checks each name.
- Secrets Manager: the secret's full ARN (with its random suffix), found by name or ARN.
- KMS: the key's ARN, an alias resolved to its key ("Using aliases to control access to KMS keys": a
  key policy governs the key, whatever name the request uses).
"""

from __future__ import annotations

import re
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.kms.models import kms_backends
from moto.secretsmanager.models import secretsmanager_backends

from sandbox.authorization.calls import Call
from sandbox.authorization.catalog.common import Check, Mapper, NotModelled, Scope, arn_account, everywhere, param

PARTIQL_VERBS = {
    "INSERT": "dynamodb:PartiQLInsert",
    "SELECT": "dynamodb:PartiQLSelect",
    "UPDATE": "dynamodb:PartiQLUpdate",
    "DELETE": "dynamodb:PartiQLDelete",
    "EXISTS": "dynamodb:PartiQLSelect",
}
PARTIQL_TABLE = re.compile(
    r'^\s*(?:INSERT\s+INTO|SELECT\s+.*?\s+FROM|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_.-]+)"?', re.IGNORECASE | re.DOTALL
)


def _table(scope: Scope, name_or_arn: str) -> tuple[str, str, str]:
    """(ARN, account, name) of a table named by name or ARN."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn, arn_account(name_or_arn), name_or_arn.rsplit("/", 1)[-1]
    return scope.arn("dynamodb", f"table/{name_or_arn}"), scope.account, name_or_arn


def _hash_key(account: str, scope: Scope, table: str) -> str | None:
    found = dynamodb_backends[account][scope.region].tables.get(table)
    if found is None:
        return None
    return str(found.hash_key_attr)


def _attribute_string(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, inner),) = value.items()
        if kind in ("S", "N"):
            return str(inner)
    return None


def _leading_keys(values: list[str | None]) -> dict[str, Any]:
    known = [value for value in values if value is not None]
    return {"dynamodb:LeadingKeys": known} if known else {}


def item_call(action: str) -> Mapper:
    """DynamoDB item operations on the table, with dynamodb:LeadingKeys from the item's or query's partition key."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        arn, account, name = _table(scope, param(call, "TableName"))
        hash_key = _hash_key(account, scope, name)
        values: list[str | None] = []
        source = call.params.get("Item") or call.params.get("Key") or {}
        if hash_key is not None and hash_key in source:
            values.append(_attribute_string(source[hash_key]))
        if call.operation == "Query" and hash_key is not None:
            values.append(_query_partition(call, hash_key))
        return [Check(action, arn, account, _leading_keys(values))]

    return mapper


def _query_partition(call: Call, hash_key: str) -> str | None:
    expression = str(call.params.get("KeyConditionExpression") or "")
    names = dict(call.params.get("ExpressionAttributeNames") or {})
    values = call.params.get("ExpressionAttributeValues") or {}
    for left, right in re.findall(r"([#:\w]+)\s*=\s*([#:\w]+)", expression):
        name, placeholder = (
            (names.get(left, left), right) if not left.startswith(":") else (names.get(right, right), left)
        )
        if name == hash_key and placeholder in values:
            return _attribute_string(values[placeholder])
    return None


def execute_statement(call: Call, scope: Scope) -> list[Check]:
    """A PartiQL statement, authorized by its verb on its table, with the partition key it names."""
    statement = str(param(call, "Statement"))
    verb = statement.strip().split(None, 1)[0].upper() if statement.strip() else ""
    match = PARTIQL_TABLE.match(statement)
    if verb not in PARTIQL_VERBS or match is None:
        raise NotModelled(f"dynamodb:ExecuteStatement {statement[:40]!r}")
    arn, account, name = _table(scope, match[1])
    hash_key = _hash_key(account, scope, name)
    values: list[str | None] = []
    if hash_key is not None:
        values.append(_statement_key_value(statement, hash_key, call.params.get("Parameters") or []))
    return [Check(PARTIQL_VERBS[verb], arn, account, _leading_keys(values))]


def _statement_key_value(statement: str, key: str, parameters: list[Any]) -> str | None:
    """The partition key value a statement names: a literal (`'key': 'value'`, `"key" = 'value'`) or a
    `?` parameter, counted in the order the statement's parameters appear."""
    pattern = re.compile(rf"""['"]{re.escape(key)}['"]\s*[:=]\s*('([^']*)'|\?)""")
    found = pattern.search(statement)
    if found is None:
        return None
    if found[1] != "?":
        return found[2]
    index = statement[: found.start(1)].count("?")
    return _attribute_string(parameters[index]) if index < len(parameters) else None


def batch_write(call: Call, scope: Scope) -> list[Check]:
    """BatchWriteItem: one check per table, with the partition keys of its puts and deletes."""
    checks = []
    for table, requests in (param(call, "RequestItems") or {}).items():
        arn, account, name = _table(scope, table)
        hash_key = _hash_key(account, scope, name)
        values: list[str | None] = []
        for request in requests:
            item = (
                (request.get("PutRequest") or {}).get("Item") or (request.get("DeleteRequest") or {}).get("Key") or {}
            )
            if hash_key is not None and hash_key in item:
                values.append(_attribute_string(item[hash_key]))
        checks.append(Check("dynamodb:BatchWriteItem", arn, account, _leading_keys(values)))
    return checks


def table_call(action: str) -> Mapper:
    """A table operation on the table's ARN."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        arn, account, _name = _table(scope, param(call, "TableName"))
        return [Check(action, arn, account)]

    return mapper


DYNAMODB: dict[str, Mapper] = {
    **{
        operation: item_call(f"dynamodb:{operation}")
        for operation in ("PutItem", "GetItem", "DeleteItem", "UpdateItem", "Query")
    },
    **{
        operation: table_call(f"dynamodb:{operation}")
        for operation in ("CreateTable", "DescribeTable", "DeleteTable", "Scan", "UpdateTable")
    },
    "ExecuteStatement": execute_statement,
    "BatchWriteItem": batch_write,
    "ListTables": everywhere("dynamodb:ListTables"),
}


def _parameter(scope: Scope, name: str) -> tuple[str, str]:
    if name.startswith("arn:"):
        return name, arn_account(name)
    return scope.arn("ssm", f"parameter/{name.lstrip('/')}"), scope.account


def parameter_call(action: str) -> Mapper:
    """SSM parameter operations, one check per parameter named."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        names = call.params.get("Names") or [param(call, "Name")]
        return [Check(action, *_parameter(scope, name)) for name in names]

    return mapper


def parameters_by_path(call: Call, scope: Scope) -> list[Check]:
    """GetParametersByPath on the path's parameter ARN."""
    return [Check("ssm:GetParametersByPath", *_parameter(scope, str(param(call, "Path")).rstrip("/") or "/"))]


SSM: dict[str, Mapper] = {
    **{
        operation: parameter_call(f"ssm:{operation}")
        for operation in (
            "GetParameter",
            "GetParameters",
            "PutParameter",
            "DeleteParameter",
            "GetParameterHistory",
            "LabelParameterVersion",
        )
    },
    "GetParametersByPath": parameters_by_path,
    "DescribeParameters": everywhere("ssm:DescribeParameters"),
}


def _secret(scope: Scope, secret_id: str) -> tuple[str, str]:
    account = arn_account(secret_id) if secret_id.startswith("arn:") else scope.account
    region = secret_id.split(":")[3] if secret_id.startswith("arn:") else scope.region
    backend = secretsmanager_backends[account][region]
    for secret in backend.secrets.values():
        if secret_id in (secret.arn, secret.name):
            return secret.arn, account
    if secret_id.startswith("arn:"):
        return secret_id, account
    return scope.arn("secretsmanager", f"secret:{secret_id}-??????"), account


# The KMS call Secrets Manager makes with the caller's permissions ("Secret encryption and decryption in
# AWS Secrets Manager": reading needs kms:Decrypt, writing kms:GenerateDataKey, on the secret's key).
SECRET_KEY_ACTIONS = {"GetSecretValue": "kms:Decrypt", "PutSecretValue": "kms:GenerateDataKey"}


def secret_call(action: str) -> Mapper:
    """Secrets Manager operations on the secret's full ARN, with the KMS call made for the caller."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        key = "SecretId" if "SecretId" in call.params else "Name"
        arn, account = _secret(scope, str(param(call, key)))
        checks = [Check(action, arn, account)]
        key_action = SECRET_KEY_ACTIONS.get(call.operation)
        if key_action is not None:
            checks += _secret_key_checks(arn, account, key_action, scope)
        return checks

    return mapper


def _secret_key_checks(secret_arn: str, account: str, action: str, scope: Scope) -> list[Check]:
    region = secret_arn.split(":")[3] if secret_arn.startswith("arn:") else scope.region
    found = next((s for s in secretsmanager_backends[account][region].secrets.values() if s.arn == secret_arn), None)
    # Without a key of its own a secret uses aws/secretsmanager, whose AWS managed key policy lets every
    # principal of the account use it through Secrets Manager: nothing more to judge.
    key_id = str(getattr(found, "kms_key_id", None) or "") if found is not None else ""
    if not key_id:
        return []
    arn, key_account = key_arn(Scope(account, region, scope.partition), key_id)
    context: dict[str, Any] = {
        "kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
        "kms:ResourceAliases": key_aliases(arn),
    }
    return [Check(action, arn, key_account, context)]


SECRETS: dict[str, Mapper] = {
    operation: secret_call(f"secretsmanager:{operation}")
    for operation in (
        "GetSecretValue",
        "PutSecretValue",
        "DescribeSecret",
        "CreateSecret",
        "UpdateSecret",
        "GetResourcePolicy",
    )
}


def key_arn(scope: Scope, key_id: str) -> tuple[str, str]:
    """The ARN and account of the key `key_id` names: a key id or ARN, an alias name or alias ARN."""
    account = arn_account(key_id) if key_id.startswith("arn:") else scope.account
    region = key_id.split(":")[3] if key_id.startswith("arn:") else scope.region
    backend = kms_backends[account][region]
    try:
        key = backend.describe_key(key_id)
    except Exception:  # an unknown key: authorized on the ARN it would have, then moto answers NotFound
        bare = key_id.rsplit("/", 1)[-1]
        return scope.arn("kms", f"key/{bare}", account=account, region=region), account
    return str(key.arn), account


def key_aliases(arn: str) -> list[str]:
    """The alias names that point at the key `arn` (kms:ResourceAliases)."""
    parts = arn.split(":")
    if len(parts) < 6 or not parts[5].startswith("key/"):
        return []
    key = kms_backends[parts[4]][parts[3]].keys.get(parts[5].removeprefix("key/"))
    return sorted(key.aliases) if key is not None else []


def key_call(action: str) -> Mapper:
    """KMS operations on the key's ARN (an alias resolved to its key)."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        return [Check(action, *key_arn(scope, str(param(call, "KeyId"))))]

    return mapper


KMS: dict[str, Mapper] = {
    **{
        operation: key_call(f"kms:{operation}")
        for operation in (
            "DescribeKey",
            "GetKeyPolicy",
            "PutKeyPolicy",
            "Encrypt",
            "GenerateDataKey",
            "ListResourceTags",
            "EnableKeyRotation",
            "GetKeyRotationStatus",
        )
    },
    "ListKeys": everywhere("kms:ListKeys"),
    "ListAliases": everywhere("kms:ListAliases"),
    "CreateKey": everywhere("kms:CreateKey"),
}
