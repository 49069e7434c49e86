"""Generate the references of the documentation site from the code: docs/cli.md from the real
CLI's ``--help``, docs/policy-reference.md from the policy's pydantic models (every key, its
type, default and description, and every rule's default severity).

``python -m hygiene.cli.docs`` rewrites them; ``--check`` (run by ``make lint``) fails when a
committed file is out of date, so the references can never drift from the code.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, get_args

import click
from pydantic import BaseModel
from pydantic.fields import FieldInfo

DOCS = Path(__file__).resolve().parents[3] / "docs"
DOC = DOCS / "cli.md"
POLICY_DOC = DOCS / "policy-reference.md"


def _commands(group: click.Command, prefix: str) -> list[tuple[str, click.Command]]:
    found = [(prefix, group)]
    if isinstance(group, click.Group):
        for name in sorted(group.commands):
            found += _commands(group.commands[name], f"{prefix} {name}")
    return found


def render() -> str:
    """The whole reference as Markdown."""
    from hygiene.cli import cli

    out = [
        "# Command reference",
        "",
        "Generated from `hygiene --help` by "
        "`python -m hygiene.cli.docs`; `make lint` checks it is current.",
        "",
    ]
    for path, command in _commands(cli, "hygiene"):
        with click.Context(
            command, info_name=path, terminal_width=100, max_content_width=100
        ) as ctx:
            text = command.get_help(ctx)
        out += [f"## `{path}`", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(out)


def _type_name(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "").replace("hygiene.policy.", "")
    text = re.sub(r"<class '([\w.]+)'>", lambda m: m.group(1).rsplit(".", 1)[-1], text)
    return text.replace("hygiene.findings.Severity", "Severity").replace("NoneType", "None")


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "(required)"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(section)"
    if isinstance(value, dict):
        value = {k: getattr(v, "value", v) for k, v in value.items()}
    value = getattr(value, "value", value)
    text = json.dumps(value, default=str)
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}…`"


def _models(model: type[BaseModel], key: str, seen: set[str]) -> list[tuple[str, type[BaseModel]]]:
    found = [(key, model)]
    for name, info in model.model_fields.items():
        for inner in _inner_models(info.annotation):
            path = f"{key}.{name}" if key else name
            if inner.__name__ not in seen:
                seen.add(inner.__name__)
                found += _models(inner, path, seen)
    return found


def _inner_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _inner_models(arg)]


def render_policy() -> str:
    """The policy reference as Markdown: one table per section (and per list item's model)."""
    from hygiene.policy import Policy

    out = [
        "# Policy reference",
        "",
        "Every key of the policy file, generated from its models (`hygiene/policy.py`) by "
        "`python -m hygiene.cli.docs`; `make lint` checks it is current. Every key has a default, "
        "so a team file holds only what it overrides; `policies/default.yaml` spells the defaults "
        "out and `policies/schema.json` is the same as a JSON Schema for editors. How files merge "
        "and how errors are reported: [The policy](policy.md).",
        "",
    ]
    for path, model in _models(Policy, "", set()):
        title = f"`{path}`" if path else "Top level"
        doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
        out += [f"## {title}", "", doc, "", "| key | type | default | description |"]
        out.append("|---|---|---|---|")
        for name, info in model.model_fields.items():
            cells = [
                f"`{name}`",
                _type_name(info.annotation),
                _default(info),
                (info.description or "").replace("\n", " "),
            ]
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        severity = model.model_fields.get("severity")
        if severity is not None and not severity.is_required():
            table = severity.get_default(call_default_factory=True)
            if isinstance(table, dict) and table:
                out += ["", "Rules and their default severity:", "", "| rule | severity |"]
                out.append("|---|---|")
                out += [f"| `{rule}` | {getattr(v, 'value', v)} |" for rule, v in table.items()]
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Write the references, or with ``--check`` report whether they are current."""
    args = sys.argv[1:] if argv is None else argv
    stale = []
    for path, text in ((DOC, render()), (POLICY_DOC, render_policy())):
        if "--check" in args:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{path} is out of date: run `python -m hygiene.cli.docs`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
