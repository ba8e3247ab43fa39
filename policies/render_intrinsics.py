"""CloudFormation intrinsics rendered as readable placeholders, for the reviewed policy files.

Unlike the proof's StackResolver, which must resolve every intrinsic to a literal or fail, this keeps
what it cannot flatten visible (`${Ref:X}`, `${X.Arn}`, an `Fn::If` object): a reviewer reads the
template's intent, not a guess.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from policies.cloud_assembly import StackTemplate

_NO_VALUE = object()  # Ref AWS::NoValue: the property or list item is dropped
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class IntrinsicRenderer:
    """Renders CloudFormation intrinsics of one stack as readable strings.

    `Ref X` -> `${Ref:X}`, `Fn::GetAtt [X, Arn]` -> `${X.Arn}`, `Fn::Join` and `Fn::Sub` are
    flattened to one string, pseudo parameters become the stack's account, region and partition.
    An intrinsic that cannot be flattened (e.g. `Fn::If`) stays an object with rendered arguments.
    """

    def __init__(self, stack: StackTemplate) -> None:
        self._mappings: dict[str, Any] = stack.template.get("Mappings", {})
        self._pseudo: dict[str, str] = {"AWS::StackName": stack.stack_name}
        if stack.account is not None:
            self._pseudo["AWS::AccountId"] = stack.account
        if stack.region is not None:
            partition, url_suffix = _partition(stack.region)
            self._pseudo |= {"AWS::Region": stack.region, "AWS::Partition": partition}
            self._pseudo["AWS::URLSuffix"] = url_suffix
        self._handlers: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Join": self._join,
            "Fn::Sub": self._sub,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._find_in_map,
            "Fn::ImportValue": lambda argument: f"${{ImportValue:{self._render(argument)}}}",
        }

    def render(self, value: Any) -> Any:
        """`value` with every intrinsic rendered; `AWS::NoValue` items removed."""
        rendered = self._render(value)
        return None if rendered is _NO_VALUE else rendered

    def _render(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in map(self._render, value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            handler = self._handlers.get(key)
            if handler is not None:
                return handler(argument)
        return {key: item for key, item in ((k, self._render(v)) for k, v in value.items()) if item is not _NO_VALUE}

    def _ref(self, name: Any) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self._pseudo:
            return self._pseudo[name]
        return f"${{{name}}}" if str(name).startswith("AWS::") else f"${{Ref:{name}}}"

    def _get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            return f"${{{argument}}}"
        parts = self._render(argument)
        if isinstance(parts, list) and all(isinstance(part, str) for part in parts):
            return "${" + ".".join(parts) + "}"
        return {"Fn::GetAtt": parts}

    def _join(self, argument: Any) -> Any:
        separator, parts = argument
        rendered = self._render(parts)
        if isinstance(rendered, list) and all(isinstance(part, str) for part in rendered):
            return separator.join(rendered)
        return {"Fn::Join": [separator, rendered]}

    def _sub(self, argument: Any) -> Any:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self._render(value) for name, value in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is CloudFormation's escape for a literal ${Literal}
                return "${" + name[1:] + "}"
            if name in values:
                value = values[name]
                return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            if name in self._pseudo:
                return self._pseudo[name]
            if "." in name or name.startswith("AWS::"):
                return "${" + name + "}"
            return "${Ref:" + name + "}"

        return _SUB_VARIABLE.sub(substitute, text)

    def _select(self, argument: Any) -> Any:
        index, items = self._render(argument)
        if isinstance(items, list) and str(index).isdigit() and int(index) < len(items):
            return items[int(index)]
        return {"Fn::Select": [index, items]}

    def _split(self, argument: Any) -> Any:
        separator, text = self._render(argument)
        if isinstance(text, str) and "${" not in text:
            return text.split(separator)
        return {"Fn::Split": [separator, text]}

    def _find_in_map(self, argument: Any) -> Any:
        rendered = self._render(argument)
        value: Any = self._mappings
        for key in rendered:
            if not isinstance(key, str) or not isinstance(value, dict) or key not in value:
                return {"Fn::FindInMap": rendered}
            value = value[key]
        return value


def _partition(region: str) -> tuple[str, str]:
    """The partition and URL suffix of a region (AWS general reference, "ARN formats")."""
    if region.startswith("cn-"):
        return "aws-cn", "amazonaws.com.cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov", "amazonaws.com"
    return "aws", "amazonaws.com"
