"""The env check's rules: records of each repository + policy → findings. Pure.

Every finding is about a file of the repo: ``resource`` is ``<repo>:<path>`` of the example (or
dotenv file) the problem belongs to, ``location`` the line a person should look at, and the
identity the variable name plus that path — never a line number.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hygiene.checks.env.paths import name_ignored
from hygiene.checks.env.records import EnvRead, RepoEnv
from hygiene.checks.env.resolve import CASE_INSENSITIVE_KINDS, Coverer, Resolution, resolve
from hygiene.findings import Finding, Location, Severity
from hygiene.policy import EnvPolicy, Policy

CHECK = "env"
DEPLOY_KINDS = frozenset({"dockerfile", "compose", "github-actions", "kubernetes"})
_VERBS = {
    "dockerfile": "declared in",
    "compose": "passed to a service or interpolated in",
    "github-actions": "set in",
    "kubernetes": "set in",
    "dotenv-reference": "expanded in",
}
MAX_LISTED_READS = 20


def _severity(policy: EnvPolicy, rule: str) -> Severity:
    return policy.severity_of(rule)


def _reads(reads: Sequence[EnvRead]) -> list[dict[str, Any]]:
    return [{"path": r.path, "line": r.line, "kind": r.kind} for r in reads[:MAX_LISTED_READS]]


class _Builder:
    """Findings of one repository."""

    def __init__(self, repo: RepoEnv, policy: EnvPolicy) -> None:
        self.repo, self.policy = repo, policy
        self.findings: list[Finding] = []

    def add(
        self,
        rule: str,
        resource_path: str,
        message: str,
        identity: tuple[object, ...],
        path: str,
        line: int | None,
        details: dict[str, Any],
    ) -> None:
        self.findings.append(
            Finding.create(
                check=CHECK,
                rule=rule,
                severity=_severity(self.policy, rule),
                resource=f"{self.repo.repo}:{resource_path}",
                message=message,
                identity=identity,
                location=Location(
                    repo=self.repo.repo, path=path, line=line, commit=self.repo.commit
                ),
                details=details,
            )
        )


def evaluate(records: Sequence[RepoEnv], policy: Policy, as_of: datetime) -> list[Finding]:
    """All env findings of all repositories (``as_of`` is unused: these rules have no clock)."""
    findings: list[Finding] = []
    for repo in records:
        findings.extend(evaluate_repo(repo, policy.env))
    return findings


def evaluate_repo(repo: RepoEnv, policy: EnvPolicy) -> list[Finding]:
    """The findings of one repository."""
    out = _Builder(repo, policy)
    resolution = resolve(repo, policy)
    _drift(out, resolution)
    _missing_example(out, resolution)
    _dotenv_files(out, resolution)
    _examples(out)
    _unauditable(out, resolution)
    return out.findings


def _drift(out: _Builder, res: Resolution) -> None:
    for (example, name), reads in sorted(res.undocumented.items()):
        coverage = res.coverage[(example, name)]
        first = reads[0]
        more = f" and {len(reads) - 1} other place(s)" if len(reads) > 1 else ""
        also = [p for p in coverage.consulted if p != example]
        consulted = f"; {', '.join(also)} also consulted" if also else ""
        out.add(
            "undocumented-variable",
            example,
            f"{name} is {_VERBS.get(first.kind, 'read in')} {first.path}:{first.line}{more} but "
            f"{example} ({coverage.describe()}{consulted}) does not document it; "
            f"add it there with a safe default or a placeholder.",
            (name, example),
            first.path,
            first.line,
            {
                "variable": name,
                "example": example,
                "consulted": coverage.consulted,
                "coverage": coverage.how,
                "reads": _reads(reads),
                "read_count": len(reads),
            },
        )
    for (example, name), reads in sorted(res.elsewhere.items()):
        coverage = res.coverage[(example, name)]
        first = reads[0]
        where = res.documenting(name, first.kind in CASE_INSENSITIVE_KINDS)
        out.add(
            "documented-elsewhere",
            example,
            f"{name} is {_VERBS.get(first.kind, 'read in')} {first.path}:{first.line}; it is "
            f"documented in {', '.join(where)}, not in {example} ({coverage.describe()}); "
            "document it there too, or map this code to that example with env.coverage.",
            (name, example),
            first.path,
            first.line,
            {
                "variable": name,
                "example": example,
                "consulted": coverage.consulted,
                "coverage": coverage.how,
                "documented_in": where,
                "reads": _reads(reads),
                "read_count": len(reads),
            },
        )
    for file, entry in res.unused(out.policy):
        out.add(
            "unused-variable",
            file.path,
            f"{entry.key} is documented in {file.path}:{entry.line} but nothing in the "
            "repository reads it; remove it from the example or add the code that reads it.",
            (entry.key, file.path),
            file.path,
            entry.line,
            {"variable": entry.key, "example": file.path},
        )


def _missing_example(out: _Builder, res: Resolution) -> None:
    # Deploy files alone (a CI workflow's env:) do not make a repository need an example.
    for example, by_name in sorted(res.uncovered.items()):
        reads = sorted(
            (r for rs in by_name.values() for r in rs if r.kind not in DEPLOY_KINDS),
            key=lambda r: (r.path, r.line),
        )
        if not reads:
            continue
        names = sorted({str(r.name) for r in reads})
        directories = sorted({r.path.rpartition("/")[0] for r in reads})
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        out.add(
            "missing-example",
            example,
            f"The code reads {len(names)} environment variable(s) ({shown}) that no example "
            f"file covers; add {example} listing them with safe defaults "
            "(hygiene env fix writes it).",
            (example,),
            reads[0].path,
            reads[0].line,
            {
                "variables": names,
                "directories": [d or "." for d in directories],
                "reads": _reads(reads),
                "example": example,
                "consulted": [],
            },
        )


def _dotenv_files(out: _Builder, res: Resolution) -> None:
    repo = out.repo
    for path in repo.committed_dotenvs:
        local = next((f for f in repo.local_envs if f.path == path), None)
        keys = sorted(local.keys) if local else []
        out.add(
            "committed-dotenv",
            path,
            f"{path} is committed to git; remove it from the repository (git rm --cached), add it "
            "to .gitignore and rotate any secret it held.",
            (path,),
            path,
            None,
            {"keys": keys},
        )
    for path in repo.unignored_dotenvs:
        out.add(
            "dotenv-not-ignored",
            path,
            f"{path} is not covered by .gitignore; add '.env' to .gitignore so local secrets "
            "cannot be committed.",
            (path,),
            ".gitignore",
            None,
            {"dotenv": path},
        )
    known = {e.key for f in repo.examples for e in f.entries}
    coverer = Coverer(repo, out.policy)
    for local in repo.local_envs:
        coverage = coverer.of(local.path)
        if coverage is None:
            continue
        example = coverage.example
        seen: set[str] = set()
        for entry in local.entries:
            if entry.key in known or entry.key in seen:
                continue
            seen.add(entry.key)
            if name_ignored(entry.key, out.policy.ignore_names):
                continue
            out.add(
                "env-only-variable",
                local.path,
                f"{entry.key} is set in {local.path} but no example documents it; add it to "
                f"{example} (the example covering {local.path}) so others know it exists.",
                (entry.key, example),
                local.path,
                entry.line,
                {
                    "variable": entry.key,
                    "example": example,
                    "consulted": coverage.consulted,
                    "dotenv": local.path,
                },
            )


def _examples(out: _Builder) -> None:
    for example in out.repo.examples:
        for mark in example.secrets:
            out.add(
                "example-contains-secret",
                example.path,
                f"The value of {mark.key} in {example.path}:{mark.line} looks like a real secret "
                f"({mark.detector}); replace it with a placeholder and rotate the secret.",
                (mark.key, example.path),
                example.path,
                mark.line,
                {
                    "variable": mark.key,
                    "detector": mark.detector,
                    "preview": mark.preview,
                    "sha256": mark.sha256,
                    "example": example.path,
                },
            )
        ordinal: dict[tuple[str, str | None], int] = {}
        for issue in example.lint:
            number = ordinal[(issue.rule, issue.key)] = ordinal.get((issue.rule, issue.key), 0) + 1
            out.add(
                issue.rule,
                example.path,
                f"{example.path}:{issue.line}: {issue.text}.",
                (issue.key or "", example.path, number),
                example.path,
                issue.line,
                {"variable": issue.key, "example": example.path},
            )


def _unauditable(out: _Builder, res: Resolution) -> None:
    for path, reads in sorted(res.dynamic.items()):
        lines = ", ".join(str(r.line) for r in reads[:10])
        out.add(
            "dynamic-read",
            path,
            f"{path} reads environment variables whose names are computed (line(s) {lines}); "
            "they cannot be audited statically, so check them by hand or read them by name.",
            (path,),
            path,
            reads[0].line,
            {
                "reads": [
                    {"line": r.line, "expression": r.expression} for r in reads[:MAX_LISTED_READS]
                ]
            },
        )
    for path, reason in out.repo.unparsable:
        out.add(
            "unparsable-file",
            path,
            f"{path} could not be parsed ({reason}); its environment reads were not audited.",
            (path,),
            path,
            None,
            {"reason": reason},
        )
