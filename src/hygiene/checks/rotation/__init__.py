"""The rotation check — key, secret and certificate rotation age: SPEC here, the collector in
``collect.py``, the pure rules in ``rules.py``."""

from hygiene.checks.base import CheckSpec

SPEC = CheckSpec(
    name="rotation",
    summary="Key, secret and certificate rotation age",
    collector="hygiene.checks.rotation.collect:collect",
    evaluator="hygiene.checks.rotation.rules:evaluate",
    cloud=True,
    partition="aws",
    scope="account",
    monthly=True,
)
