"""SSM Parameter Store's Standard tier value limit, which moto 5.2.5 does not enforce.

A Standard parameter's value is at most 4 KB; an Advanced one's 8 KB (Systems Manager User Guide, "Managing
parameter tiers"; PutParameter, Value). moto stores a value of any size. The sandbox refuses a Standard value
over 4,096 bytes of UTF-8 with AWS's ValidationException. AWS's message speaks of "4096 characters"; the
sandbox counts bytes, the stricter reading of "4 KB", so that what the sandbox accepts AWS accepts too.
Intelligent-Tiering picks the tier that fits, and Advanced is not this patch's: neither is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.ssm import models as _ssm_models
from moto.ssm.exceptions import ValidationException

from sandbox.moto_compat.wrapping import wrap

ssm_models: Any = _ssm_models

STANDARD_VALUE_LIMIT = 4096  # bytes: "4 KB"
ADVANCED_TIERS_PAGE = (
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
)
TOO_LARGE = (
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger "
    "parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see "
    + ADVANCED_TIERS_PAGE
)


def _tier(backend: Any, name: str, tier: str | None, overwrite: bool) -> str:
    """The tier PutParameter gives the parameter: the request's, else (on overwrite) the parameter's own, else
    the account's default (Standard)."""
    if tier is not None:
        return tier
    versions = backend._parameters.get(name) if overwrite else None
    if versions:
        return str(versions[-1].tier)
    return str(backend.default_parameter_tier)


def _put_parameter(
    inner: Callable[..., Any],
    self: Any,
    name: str,
    description: str,
    value: str,
    parameter_type: str,
    allowed_pattern: str,
    keyid: str,
    overwrite: bool,
    tags: list[dict[str, str]],
    data_type: str,
    tier: str | None,
    policies: str | None,
) -> Any:
    """PutParameter refuses a Standard value over 4 KB, before anything is stored."""
    if (
        value is not None
        and _tier(self, name, tier, overwrite) == "Standard"
        and len(value.encode()) > STANDARD_VALUE_LIMIT
    ):
        raise ValidationException(TOO_LARGE)
    return inner(
        self,
        name,
        description,
        value,
        parameter_type,
        allowed_pattern,
        keyid,
        overwrite,
        tags,
        data_type,
        tier,
        policies,
    )


def install_standard_value_limit() -> None:
    """Refuse a Standard parameter value over 4 KB."""
    wrap(ssm_models.SimpleSystemManagerBackend, "put_parameter", _put_parameter)
