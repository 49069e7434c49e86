"""Generate docs/cli.md, the command reference, from the real CLI's ``--help``.

``python -m hygiene.cli.docs`` rewrites it; ``--check`` (run by ``make lint``) fails when the
committed file is out of date, so the reference can never drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


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


def main(argv: list[str] | None = None) -> int:
    """Write the reference, or with ``--check`` report whether it is current."""
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is out of date: run `python -m hygiene.cli.docs`", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
