"""What every check is: a :class:`CheckSpec` row in its package's ``__init__.py``.

A check lives in one folder, ``checks/<name>/``: ``__init__.py`` holds its ``SPEC`` (and nothing
that imports an SDK, so ``hygiene --help`` stays fast), ``collect.py`` its collector (which
sources feed it), ``rules.py`` its pure evaluation — and, when its stats need the rules (tag
compliance, budget status), a *tally* the pipeline feeds beside ``evaluate``, so nothing is judged
twice. The tables other modules used to keep by check
name — which checks shard by account or by repository, which are judged per repository or per
account in the scorecard, which the monthly report expects — are fields of the row.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Literal, cast

from hygiene.context import Collector, Evaluator, TallyFactory

#: how ``audit --shard I/N`` splits a check: by AWS account slice, by repository, or not at all
#: (it runs whole on shard 0)
Partition = Literal["aws", "repos"]
#: what the scorecard judges the check per: a repository, an account/project, or a service
Scope = Literal["repo", "account", "service"]


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: its name, what it audits, where its two halves live, and how the
    run, the scorecard and the monthly report treat it."""

    name: str
    summary: str
    collector: str  # "module:function"
    evaluator: str  # "module:function"
    cloud: bool = False
    partition: Partition | None = None
    scope: Scope = "service"
    monthly: bool = False  # the monthly report expects it and says when it did not run
    tally: str | None = None  # "module:Class": stats counted from each batch and its findings

    def load_collector(self) -> Collector:
        """Import the collector function."""
        return cast(Collector, _load(self.collector))

    def load_evaluator(self) -> Evaluator:
        """Import the evaluator function."""
        return cast(Evaluator, _load(self.evaluator))

    def load_tally(self) -> TallyFactory | None:
        """Import the tally class (None when the check's stats need no rules)."""
        return cast(TallyFactory, _load(self.tally)) if self.tally else None


def _load(target: str) -> object:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
