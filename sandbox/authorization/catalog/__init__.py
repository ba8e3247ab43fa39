"""What IAM authorizes for each API call the sandbox serves: the actions, the resources and the request
context, as the Service Authorization Reference lists them for the operation.

Each service's module maps its operations; an operation that no module maps is refused by the gate
(`NotModelled`): the sandbox never lets through a call it cannot judge.
"""

from __future__ import annotations

from sandbox.authorization.catalog.common import Check, NotModelled, Scope
from sandbox.authorization.catalog.registry import checks_for

__all__ = ["Check", "NotModelled", "Scope", "checks_for"]
