"""Wrapping a moto function so that several patches can each add behaviour to it, and each be removed alone."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def wrap(owner: Any, name: str, wrapper: Callable[..., Any]) -> None:
    """Make `owner.name` call `wrapper(inner, *args, **kwargs)`, `inner` being what `owner.name` was.

    `owner` is a module or a class (for methods: `inner` is the plain function, `args[0]` the instance).
    """
    inner = getattr(owner, name)

    @functools.wraps(wrapper)
    def layer(*args: Any, **kwargs: Any) -> Any:
        return wrapper(inner, *args, **kwargs)

    setattr(owner, name, layer)
