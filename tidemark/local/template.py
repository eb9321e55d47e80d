"""Reading template.yaml: CloudFormation's short-form tags, SAM Globals, and intrinsic functions.

Only what a template may say is interpreted here; what each resource becomes lives in deploy.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)  # type: ignore[no-untyped-call]


def load(path: Path) -> dict[str, Any]:
    with path.open() as f:
        template: dict[str, Any] = yaml.load(f, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    return template


def with_globals(template: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    """A SAM resource's properties with the template's Globals merged in, as SAM does."""
    kind = resource["Type"].removeprefix("AWS::Serverless::")
    defaults = template.get("Globals", {}).get(kind, {})
    merged = {**defaults, **resource.get("Properties", {})}
    if "Environment" in defaults or "Environment" in resource.get("Properties", {}):
        variables = {
            **defaults.get("Environment", {}).get("Variables", {}),
            **resource.get("Properties", {}).get("Environment", {}).get("Variables", {}),
        }
        merged["Environment"] = {"Variables": variables}
    return merged


# Ref AWS::NoValue: the property (or list item) it stands for is left out.
NO_VALUE = object()


class Resolver:
    """Evaluates Ref, Fn::GetAtt, Fn::Sub, Fn::Join and Fn::If against deployed resources, and the
    template's Conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition)."""

    def __init__(
        self,
        template: dict[str, Any],
        stack_name: str,
        ref: Callable[[str], str],
        get_att: Callable[[str, str], str],
        given: Mapping[str, str] | None = None,
    ) -> None:
        """`given`: parameters' values instead of their defaults, as `sam deploy --parameter-overrides`."""
        self.parameters = {
            name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()
        }
        unknown = sorted(set(given or {}) - set(self.parameters))
        if unknown:
            raise KeyError(f"template.yaml has no parameter {', '.join(unknown)}")
        self.parameters.update(given or {})
        self.pseudo = {**PSEUDO, "AWS::StackName": stack_name}
        self._conditions: dict[str, Any] = template.get("Conditions", {})
        self._ref = ref
        self._get_att = get_att

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self(v) for v in value) if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref":
                return NO_VALUE if argument == "AWS::NoValue" else self.ref(argument)
            if name == "Fn::If":
                condition, if_true, if_false = argument
                return self(if_true if self.condition(condition) else if_false)
            if name == "Fn::GetAtt":
                return self._get_att(*argument)
            if name == "Fn::Sub":
                return self.sub(argument)
            if name == "Fn::Join":
                separator, parts = argument
                return separator.join(str(self(p)) for p in parts)
            if name.startswith("Fn::"):
                raise ValueError(f"local mode does not evaluate {name}: use Ref, GetAtt, Sub, Join or If")
        resolved = {k: self(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            raise KeyError(f"template.yaml names condition '{name}', which it does not define")
        return self._holds(self._conditions[name])

    def _holds(self, expression: Any) -> bool:
        ((name, argument),) = expression.items()
        if name == "Condition":
            return self.condition(argument)
        if name == "Fn::Equals":
            left, right = (str(self(a)) for a in argument)
            return left == right
        if name == "Fn::Not":
            return not self._holds(argument[0])
        if name == "Fn::And":
            return all(self._holds(a) for a in argument)
        if name == "Fn::Or":
            return any(self._holds(a) for a in argument)
        raise ValueError(f"local mode does not evaluate the condition function {name}")

    def ref(self, name: str) -> str:
        if name in self.pseudo:
            return str(self.pseudo[name])
        if name in self.parameters:
            return self.parameters[name]
        return self._ref(name)

    def sub(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self(variables[name]))
            if "." in name and name.split(".", 1)[0] not in self.pseudo:
                return str(self._get_att(*name.split(".", 1)))
            return self.ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)
