"""The env check: drift between what code and deploy files read and what ``.env.example``
documents, committed or unignored ``.env`` files, secrets in examples, and example lint.

Parsing (dotenv text, source text → reads) is pure and lives here; reading the repository's
files is the collector's job (``hygiene.checks.env.collect``).
"""

from hygiene.checks.base import CheckSpec

SPEC = CheckSpec(
    name="env",
    summary="Drift between the variables code reads and .env.example; committed .env files",
    collector="hygiene.checks.env.collect:collect",
    evaluator="hygiene.checks.env.rules:evaluate",
    partition="repos",
    scope="repo",
    monthly=True,
)
