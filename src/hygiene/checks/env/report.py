"""The inventory behind ``hygiene env report``: every variable with where it is read and where it
is documented. Pure: built from a ``RepoEnv`` record and the policy."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from hygiene.checks.env.paths import name_ignored
from hygiene.checks.env.records import RepoEnv
from hygiene.checks.env.resolve import Coverer, resolve
from hygiene.policy import EnvPolicy

STATUSES = ("undocumented", "no-example", "documented-elsewhere", "unused", "documented", "ignored")


@dataclass
class VariableRow:
    """One variable of a repository.

    ``status``: ``undocumented`` (read where the covering example does not document it and
    no other does), ``no-example`` (read where no example covers the code),
    ``documented-elsewhere`` (read, documented only in an example that does not cover the
    read), ``unused`` (documented, read nowhere in the repository), ``documented`` (read and
    documented), ``ignored`` (a platform name from ``env.ignore_names``). ``examples``: the
    examples consulted for its reads (the covering example first).
    """

    name: str
    status: str = "documented"
    read_at: list[str] = field(default_factory=list)  # "path:line (kind)"
    documented_in: list[str] = field(default_factory=list)  # "example:line"
    examples: list[str] = field(default_factory=list)  # the examples consulted for its reads

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {
            "name": self.name,
            "status": self.status,
            "read_at": self.read_at,
            "documented_in": self.documented_in,
            "examples": self.examples,
        }


def inventory(repo: RepoEnv, policy: EnvPolicy) -> list[VariableRow]:
    """Every variable read or documented in ``repo``, sorted by name."""
    res = resolve(repo, policy)
    rows: dict[str, VariableRow] = defaultdict(lambda: VariableRow(""))
    statuses: dict[str, set[str]] = defaultdict(set)

    def row(name: str) -> VariableRow:
        item = rows[name]
        item.name = name
        return item

    for example in repo.examples:
        for entry in example.entries:
            row(entry.key).documented_in.append(f"{example.path}:{entry.line}")
    for read in res.reads:
        name = read.name or ""
        row(name).read_at.append(f"{read.path}:{read.line} ({read.kind})")
        if name_ignored(name, policy.ignore_names):
            statuses[name].add("ignored")
    coverer = Coverer(repo, policy)
    for read in res.reads:
        coverage = coverer.of(read.path)
        consulted = coverage.consulted if coverage else []
        item = row(read.name or "")
        item.examples += [p for p in consulted if p not in item.examples]
    for (_, name), _reads in res.undocumented.items():
        statuses[name].add("undocumented")
    for (_, name), _reads in res.elsewhere.items():
        statuses[name].add("documented-elsewhere")
    for by_name in res.uncovered.values():
        for name in by_name:
            statuses[name].add("no-example")
    for _, entry in res.unused(policy):
        statuses[entry.key].add("unused")
    for (_, name), _reads in res.documented.items():
        statuses[name].add("documented")
    for name, item in rows.items():
        found = statuses.get(name) or {
            "ignored" if name_ignored(name, policy.ignore_names) else "unused"
        }
        item.status = next(s for s in STATUSES if s in found)
    return sorted(rows.values(), key=lambda r: r.name)
