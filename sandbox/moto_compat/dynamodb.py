"""DynamoDB's PartiQL INSERT as AWS documents it, which moto 5.2.5 does not follow.

moto's ExecuteStatement converts every item of every table into PartiQL's form on each call (the ledger's
10,000 records make each append slower than the last), and its INSERT overwrites an item whose key exists.
AWS: "If the DynamoDB table already has an item with the same primary key as the primary key of the item
being inserted, DuplicateItemException is returned"
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.insert.html).

The patch runs `INSERT INTO "table" VALUE {'attribute': ?, ...}` with parameters itself: one key lookup and
one put, under a lock (moto's server answers requests on several threads). Any other statement, or an
INSERT in another shape (literals in the VALUE), is moto's as before.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb import models as _dynamodb_models
from moto.dynamodb.exceptions import DynamodbException, MockValidationException
from moto.dynamodb.models.dynamo_type import DynamoType

from sandbox.moto_compat.wrapping import wrap

Backend: Any = _dynamodb_models.DynamoDBBackend

INSERT = re.compile(r"^\s*INSERT\s+INTO\s+\"(?P<table>[A-Za-z0-9_.-]+)\"\s+VALUE\s+\{(?P<fields>.*)\}\s*$", re.S | re.I)
FIELD = re.compile(r"^\s*'(?P<name>[^']+)'\s*:\s*\?\s*$")
_LOCK = threading.Lock()


class DuplicateItemException(DynamodbException):
    """An INSERT whose primary key is taken (AWS's error code and message)."""

    def __init__(self) -> None:
        super().__init__("DuplicateItemException", "Duplicate primary key exists in table")


def parameterised_insert(statement: str, parameters: list[dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """(table, item) of an INSERT whose every value is a `?` parameter; None for any other statement."""
    match = INSERT.match(statement)
    if match is None:
        return None
    names = []
    for part in match["fields"].split(","):
        field = FIELD.match(part)
        if field is None:
            return None
        names.append(field["name"])
    if len(names) != len(parameters):
        raise MockValidationException(
            f"Number of parameters in request and statement don't match: {len(parameters)} != {len(names)}"
        )
    return match["table"], dict(zip(names, parameters, strict=True))


def _execute_statement(
    inner: Callable[..., Any], self: Any, statement: str, parameters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    insert = parameterised_insert(statement, parameters or [])
    if insert is None:
        return list(inner(self, statement, parameters))
    table_name, item = insert
    table = self.get_table(table_name)
    missing = [key for key in (table.hash_key_attr, table.range_key_attr) if key and key not in item]
    if missing:
        raise MockValidationException(f"One or more parameter values were invalid: Missing the key {missing[0]}")
    hash_key = DynamoType(item[table.hash_key_attr])
    range_key = DynamoType(item[table.range_key_attr]) if table.range_key_attr else None
    with _LOCK:
        if table.get_item(hash_key, range_key) is not None:
            raise DuplicateItemException()
        table.put_item(item)
    return []


def install_partiql_insert() -> None:
    """ExecuteStatement runs parameterised INSERTs as AWS does (see the module docstring)."""
    wrap(Backend, "execute_statement", _execute_statement)
