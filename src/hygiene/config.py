"""Policy YAML → typed ``Policy``. Errors name file:line: key, e.g.
``policies/team.yaml:12: budgets[0].amount: must be greater than 0``.

Several files merge in order (org default, then team overrides): mappings merge key by key,
scalars and most lists are replaced, and the lists of named items (budgets, exceptions, repos,
alerts.channels, rotation.registry, probes.services) are appended.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hygiene.errors import ConfigError
from hygiene.policy import Policy

APPENDED_LISTS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("budgets",),
        ("exceptions",),
        ("repos",),
        ("alerts", "channels"),
        ("rotation", "registry"),
        ("probes", "services"),
    }
)

KeyPath = tuple[str | int, ...]


def load_policy(paths: Sequence[str | Path] = ()) -> Policy:
    """Load and merge policy files; no files gives the blueprint's defaults."""
    merged: dict[str, Any] = {}
    for path in paths:
        raw = _read_file(Path(path))
        merged = merge(merged, raw)
    try:
        return Policy.model_validate(merged)
    except ValidationError as exc:  # only cross-file problems get here: each file passed alone
        names = ", ".join(str(p) for p in paths) or "<defaults>"
        first = exc.errors()[0]
        raise ConfigError(
            f"{names}: {format_key(first['loc'])}: {_message(first)} (after merging the files)"
        ) from None


def validate_file(path: str | Path) -> Policy:
    """Validate one policy file on its own, as ``hygiene policy validate`` does."""
    return load_policy([path])


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: policy file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the policy file: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem}") from None
    if node is None:
        return {}
    lines: dict[KeyPath, int] = {}
    _index_lines(node, (), lines, path)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}:1: the policy must be a mapping of sections (tags:, budgets:, ...)"
        )
    try:
        Policy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc, lines)) from None
    return data


def _index_lines(node: yaml.Node, at: KeyPath, lines: dict[KeyPath, int], path: Path) -> None:
    lines[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise ConfigError(
                    f"{path}:{key_node.start_mark.line + 1}: {format_key((*at, key))}: "
                    "duplicated key"
                )
            seen.add(key)
            _index_lines(value_node, (*at, key), lines, path)
            lines[(*at, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*at, index), lines, path)


def _format_errors(path: Path, exc: ValidationError, lines: dict[KeyPath, int]) -> str:
    messages = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
        line = _line_for(loc, lines)
        messages.append(f"{path}:{line}: {format_key(loc)}: {_message(error)}")
    return "\n".join(messages)


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and part.startswith("function-")


def _line_for(loc: KeyPath, lines: dict[KeyPath, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _message(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(error.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    return message[0].lower() + message[1:] if message else message


def format_key(loc: Iterable[object]) -> str:
    """``('budgets', 0, 'amount')`` → ``budgets[0].amount``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


def merge(
    base: dict[str, Any], override: dict[str, Any], at: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Deep-merge two raw policy mappings (see the module docstring for the rules)."""
    result = dict(base)
    for key, value in override.items():
        here = (*at, key)
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value, here)
        elif (
            here in APPENDED_LISTS and isinstance(value, list) and isinstance(result.get(key), list)
        ):
            result[key] = [*result[key], *value]
        else:
            result[key] = value
    return result


def policy_schema() -> dict[str, Any]:
    """JSON Schema of the policy format (``policies/schema.json``)."""
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://hygiene.invalid/policy.schema.json"
    return schema
