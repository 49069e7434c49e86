"""``hygiene init``: starter files for a repository or a platform team — a policy, and on request
a GitHub Actions workflow and a pre-commit entry. A file that exists is never overwritten."""

from __future__ import annotations

from pathlib import Path

import click

from hygiene.errors import HygieneError

POLICY = """\
# hygiene policy: only what differs from the blueprint's defaults (policies/default.yaml in the
# project lists every key). Check it with `hygiene policy validate hygiene.yaml`.
tags:
  required: [Project, Owner, Env]
  allowed_values:
    Env: [prod, staging, dev]

budgets:
  - name: {project}-monthly            # one budget per project; add Owner/Env to narrow the scope
    scope: {{Project: {project}}}
    amount: 1000
    currency: USD
    owner: {owner}

billing:
  sources: []                          # FOCUS/CUR files or s3:// URLs, aws-cost-explorer, aws-budgets

alerts:
  channels:
    - name: team-slack
      type: slack
      url_env: HYGIENE_SLACK_WEBHOOK_URL   # the webhook URL is read from this variable, never here
      min_severity: high
"""

WORKFLOW = """\
# hygiene on every push and pull request: committed secrets (tree and history) and
# .env.example drift, as SARIF in the Security tab. Cloud checks need credentials: see the
# project's deploy/github/hygiene.yml for the nightly audit with an OIDC role.
name: hygiene
on:
  push:
  pull_request:
permissions:
  contents: read
  security-events: write
jobs:
  repo-checks:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0   # the secrets check reads the history
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: pip install hygiene
      - run: >-
          hygiene audit --config hygiene.yaml --only secrets,env --repo . --no-state
          --format sarif -o hygiene.sarif
      - if: always()
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: hygiene.sarif
"""

PRE_COMMIT = """\
# pre-commit: block commits that add a secret .secrets.baseline does not list
# (`hygiene secrets baseline --update` writes the baseline).
repos:
  - repo: local
    hooks:
      - id: hygiene-secrets
        name: hygiene secrets
        entry: hygiene secrets scan
        language: system
        types: [text]
        require_serial: true
"""


@click.command()
@click.option(
    "--dir",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to write the files.",
)
@click.option("--project", default="my-project", show_default=True, help="Project tag value.")
@click.option("--owner", default="team-platform", show_default=True, help="Owner tag value.")
@click.option("--github-actions", is_flag=True, help="Also write .github/workflows/hygiene.yml.")
@click.option(
    "--pre-commit", "pre_commit", is_flag=True, help="Also write .pre-commit-config.yaml."
)
def init(target: Path, project: str, owner: str, github_actions: bool, pre_commit: bool) -> None:
    """Write a starter hygiene.yaml (required tags, one example budget, a Slack channel named by
    environment variable), and on request a GitHub Actions workflow and a pre-commit entry.

    Nothing is overwritten: if any of the files exists, nothing is written and the command
    exits 2 naming it.

    \b
    Examples:
      hygiene init
      hygiene init --project checkout --owner team-payments --github-actions --pre-commit
    """
    files = {target / "hygiene.yaml": POLICY.format(project=project, owner=owner)}
    if github_actions:
        files[target / ".github" / "workflows" / "hygiene.yml"] = WORKFLOW
    if pre_commit:
        files[target / ".pre-commit-config.yaml"] = PRE_COMMIT
    existing = [str(path) for path in files if path.exists() or path.is_symlink()]
    if existing:
        raise HygieneError(
            f"{', '.join(existing)} already exist(s); nothing was written "
            "(move it away or edit it by hand)"
        )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # "x": never replaces a file
            handle.write(text)
        click.echo(f"wrote {path}")
    click.echo(
        "next: edit hygiene.yaml, then `hygiene policy validate hygiene.yaml` and "
        "`hygiene audit --config hygiene.yaml`"
    )
