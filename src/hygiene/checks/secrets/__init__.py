"""The secrets check — secrets committed to git, in the tree and in the whole history: SPEC here, the collector in
``collect.py``, the pure rules in ``rules.py``."""

from hygiene.checks.base import CheckSpec

SPEC = CheckSpec(
    name="secrets",
    summary="Secrets committed to git, in the tree and in the whole history",
    collector="hygiene.checks.secrets.collect:collect",
    evaluator="hygiene.checks.secrets.rules:evaluate",
    partition="repos",
    scope="repo",
    monthly=True,
)
