"""The env check: drift between what code and deploy files read and what ``.env.example``
documents, committed or unignored ``.env`` files, secrets in examples, and example lint.

Parsing (dotenv text, source text → reads) is pure and lives here; reading the repository's
files is the collector's job (``hygiene.collect.env``).
"""

from hygiene.checks.env.evaluate import evaluate, evaluate_repo

__all__ = ["evaluate", "evaluate_repo"]
