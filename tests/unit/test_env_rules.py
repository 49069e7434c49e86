"""The env rules over plain records: exact findings, monorepo resolution, policy knobs, stable
ids, and no secret value anywhere in a finding."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygiene.checks.env.dotenv_files import lint, parse_dotenv
from hygiene.checks.env.records import DotenvFile, EnvRead, RepoEnv
from hygiene.checks.env.report import inventory
from hygiene.checks.env.rules import evaluate
from hygiene.checks.env.secrets import is_high_entropy, secret_marks
from hygiene.config import load_policy
from hygiene.errors import ConfigError
from hygiene.findings import Severity
from hygiene.policy import EnvPolicy, Policy
from hygiene.scan import scan_text

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)
SECRET = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def example(path: str, text: str) -> DotenvFile:
    parsed = parse_dotenv(text)
    return DotenvFile(path, parsed.entries(), secrets=secret_marks(parsed, scan_text(text, path)))


def read(name: str | None, path: str, line: int = 1, kind: str = "python") -> EnvRead:
    return EnvRead(name, path, line, kind, "" if name else "key")


def rules(records: list[RepoEnv], policy: Policy | None = None) -> set[tuple[str, str | None, str]]:
    found = evaluate(records, policy or Policy(), AS_OF)
    return {(f.rule, f.details.get("variable"), f.resource) for f in found}


def test_undocumented_unused_and_ignored_names() -> None:
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "USED=1\nUNUSED=2\nHOME=/root\n"),),
        reads=(
            read("USED", "a.py", 3),
            read("NEW", "a.py", 4),
            read("NEW", "b.py", 9),
            read("PATH", "a.py", 5),
            read("GITHUB_SHA", "a.py", 6),
        ),
    )
    assert rules([repo]) == {
        ("undocumented-variable", "NEW", "r:.env.example"),
        ("unused-variable", "UNUSED", "r:.env.example"),
    }
    [new] = [f for f in evaluate([repo], Policy(), AS_OF) if f.rule == "undocumented-variable"]
    assert (new.location.path, new.location.line) == ("a.py", 4)  # type: ignore[union-attr]
    assert new.details["reads"] == [
        {"path": "a.py", "line": 4, "kind": "python"},
        {"path": "b.py", "line": 9, "kind": "python"},
    ]
    assert new.severity is Severity.MEDIUM


def test_monorepo_nearest_example_then_ancestors() -> None:
    repo = RepoEnv(
        "mono",
        examples=(
            example(".env.example", "SHARED=1\nROOT_ONLY=1\n"),
            example("svc/api/.env.example", "API_X=1\n"),
            example("svc/web/.env.template", "WEB_X=1\n"),
        ),
        reads=(
            read("SHARED", "svc/api/app.py"),
            read("API_X", "svc/api/app.py"),
            read("WEB_X", "svc/api/app.py"),
            read("WEB_X", "svc/web/i.js", kind="javascript"),
            read("TOP", "tools/t.sh", kind="shell"),
        ),
    )
    # WEB_X is documented, but in another folder's example: a low note, never "undocumented"
    assert rules([repo]) == {
        ("documented-elsewhere", "WEB_X", "mono:svc/api/.env.example"),
        ("undocumented-variable", "TOP", "mono:.env.example"),
        ("unused-variable", "ROOT_ONLY", "mono:.env.example"),
    }


def test_references_inside_the_example_count_as_reads() -> None:
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "HOST=x\nURL=${HOST}/v1\n"),),
        reads=(read("URL", "a.py"),),
    )
    assert rules([repo]) == set()


def test_missing_example_lists_the_variables_once() -> None:
    repo = RepoEnv("r", reads=(read("B", "x/b.py", 2), read("A", "a.py", 7), read("HOME", "a.py")))
    [finding] = evaluate([repo], Policy(), AS_OF)
    assert (finding.rule, finding.resource) == ("missing-example", "r:.env.example")
    assert finding.details["variables"] == ["A", "B"]
    assert finding.details["directories"] == [".", "x"]
    assert (finding.location.path, finding.location.line) == ("a.py", 7)  # type: ignore[union-attr]


def test_dotenv_files_rules() -> None:
    local = DotenvFile(
        ".env", parse_dotenv("DOCUMENTED=1\nLOCAL_ONLY=2\nUSER=me\n").entries(), tracked=True
    )
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "DOCUMENTED=1\n"),),
        local_envs=(local,),
        reads=(read("DOCUMENTED", "a.py"),),
        committed_dotenvs=(".env",),
        unignored_dotenvs=(".env",),
    )
    found = {f.rule: f for f in evaluate([repo], Policy(), AS_OF)}
    assert set(found) == {"committed-dotenv", "dotenv-not-ignored", "env-only-variable"}
    assert found["committed-dotenv"].severity is Severity.HIGH
    assert found["committed-dotenv"].details == {"keys": ["DOCUMENTED", "LOCAL_ONLY", "USER"]}
    assert found["env-only-variable"].details["variable"] == "LOCAL_ONLY"


def test_secret_in_example_is_reported_redacted_never_in_clear() -> None:
    text = (
        f"API_TOKEN={SECRET}\n"
        "DATABASE_URL=postgres://app:app@localhost:5432/app\n"
        "SESSION_SECRET=change-me\n"
        "SIGNING_KEY=Zk3qP9vL2mX8rT5wY7nB4cH6jD1sF0aG\n"
        "PUBLIC_ID=550e8400-e29b-41d4-a716-446655440000\n"
        "PLACEHOLDER=<your-token-here>\n"
        "BUILD_REF=Qm7vR2xK9pL4wT8nZ3cB6hJ1dF5sG0aY\n"  # no engine reports it: the entropy test does
    )
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", text),),
        reads=tuple(
            read(k, "a.py")
            for k in (
                "API_TOKEN",
                "DATABASE_URL",
                "SESSION_SECRET",
                "SIGNING_KEY",
                "PUBLIC_ID",
                "PLACEHOLDER",
                "BUILD_REF",
            )
        ),
    )
    found = [f for f in evaluate([repo], Policy(), AS_OF) if f.rule == "example-contains-secret"]
    assert {(f.details["variable"], f.details["detector"], f.location.line) for f in found} == {  # type: ignore[union-attr]
        ("API_TOKEN", "stripe-access-key", 1),
        ("SIGNING_KEY", "secret-assignment", 4),  # the engine's own keyword-assignment hit
        ("BUILD_REF", "high-entropy", 7),
    }
    dumped = json.dumps([f.to_contract() for f in found])
    assert SECRET not in dumped and "Zk3qP9vL2mX8rT5wY7nB4cH6jD1sF0aG" not in dumped
    assert "Qm7vR2xK9pL4wT8nZ3cB6hJ1dF5sG0aY" not in dumped
    assert {f.details["preview"] for f in found} == {"sk_l…", "Zk3q…", "Qm7v…"}
    assert all(f.severity is Severity.HIGH for f in found)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9kL2mN8p", True),
        ("a8f5f167f44f4964e6c998dee827110c", True),
        ("my-company-assets-prod-eu-west", False),
        ("application_default_credentials", False),
        ("your-api-key-here-1234567890", False),
        ("550e8400-e29b-41d4-a716-446655440000", False),
        ("short1A", False),
        ("${SOME_VARIABLE_REFERENCE_HERE}", False),
    ],
)
def test_high_entropy_test(value: str, expected: bool) -> None:
    assert is_high_entropy(value) is expected


def test_lint_findings_and_dynamic_and_unparsable() -> None:
    parsed = parse_dotenv("A=1\nA=2\nlower=x\n")
    repo = RepoEnv(
        "r",
        examples=(DotenvFile(".env.example", parsed.entries(), lint=lint(parsed)),),
        reads=(
            read("A", "a.py"),
            read("lower", "a.py"),
            read(None, "a.py", 4),
            read(None, "a.py", 8),
        ),
        unparsable=(("bad.py", "line 1: invalid syntax"),),
    )
    found = evaluate([repo], Policy(), AS_OF)
    assert {(f.rule, f.resource, f.severity) for f in found} == {
        ("duplicated-key", "r:.env.example", Severity.LOW),
        ("lowercase-key", "r:.env.example", Severity.LOW),
        ("dynamic-read", "r:a.py", Severity.INFO),
        ("unparsable-file", "r:bad.py", Severity.INFO),
    }
    [dynamic] = [f for f in found if f.rule == "dynamic-read"]
    assert [r["line"] for r in dynamic.details["reads"]] == [4, 8]


def test_ids_do_not_depend_on_lines() -> None:
    def run(line: int) -> dict[str, str]:
        repo = RepoEnv(
            "r",
            examples=(example(".env.example", "\n" * line + "OLD=1\n"),),
            reads=(read("NEW", "a.py", line),),
        )
        return {f.rule: f.id for f in evaluate([repo], Policy(), AS_OF)}

    assert run(1) == run(40)


def test_policy_severity_override_ignore_names_and_example_names() -> None:
    policy = Policy.model_validate(
        {
            "env": {
                "severity": {"unused-variable": "info"},
                "ignore_names": ["LEGACY_*"],
                "examples": ["env.dist"],
            }
        }
    )
    repo = RepoEnv(
        "r",
        examples=(example("env.dist", "UNUSED=1\nLEGACY_A=1\n"),),
        reads=(read("LEGACY_B", "a.py"), read("NEW", "a.py")),
    )
    found = {
        (f.rule, f.details.get("variable"), f.severity) for f in evaluate([repo], policy, AS_OF)
    }
    assert found == {
        ("unused-variable", "UNUSED", Severity.INFO),
        ("undocumented-variable", "NEW", Severity.MEDIUM),
    }


def test_unknown_rule_in_policy_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("env:\n  severity:\n    undocumented-varable: low\n")
    with pytest.raises(ConfigError, match=r"p\.yaml:2: env\.severity: unknown env rule"):
        load_policy([path])


def test_inventory_rows() -> None:
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "DOC=1\nUNUSED=1\n"),),
        reads=(read("DOC", "a.py", 2), read("NEW", "b.py", 3), read("HOME", "a.py", 4)),
    )
    rows = {r.name: (r.status, r.read_at, r.documented_in) for r in inventory(repo, EnvPolicy())}
    assert rows == {
        "DOC": ("documented", ["a.py:2 (python)"], [".env.example:1"]),
        "UNUSED": ("unused", [], [".env.example:2"]),
        "NEW": ("undocumented", ["b.py:3 (python)"], []),
        "HOME": ("ignored", ["a.py:4 (python)"], []),
    }


def test_dynamic_reads_of_repository_constants_resolve() -> None:
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "TOKEN=\n"),),
        reads=(
            EnvRead(None, "cli.py", 3, "python", "MEMORY_ENV"),
            EnvRead(None, "cli.py", 4, "python", "settings.TOKEN_ENV"),
            EnvRead(None, "cli.py", 5, "python", "AMBIGUOUS"),
            EnvRead(None, "cli.py", 6, "python", "f'X_{n}'"),
        ),
        constants=(
            ("MEMORY_ENV", "APP_MEMORY"),
            ("TOKEN_ENV", "TOKEN"),
            ("AMBIGUOUS", "ONE"),
            ("AMBIGUOUS", "TWO"),
        ),
    )
    found = evaluate([repo], Policy(), AS_OF)
    assert {(f.rule, f.details.get("variable")) for f in found} == {
        ("undocumented-variable", "APP_MEMORY"),
        ("dynamic-read", None),
    }
    [dynamic] = [f for f in found if f.rule == "dynamic-read"]
    assert [r["line"] for r in dynamic.details["reads"]] == [5, 6]


def test_the_env_page_documents_every_rule_with_an_example() -> None:
    from hygiene.policy import ENV_SEVERITY

    page = Path(__file__).resolve().parents[2] / "docs" / "checks" / "env.md"
    section = page.read_text(encoding="utf-8")
    severities = {s.value for s in Severity}
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if line.startswith("| `") and cells[2] in severities:
            rows[cells[1].strip("`")] = cells
    assert set(rows) == set(ENV_SEVERITY)
    for rule, severity in ENV_SEVERITY.items():
        assert rows[rule][2] == severity.value, rule
        assert rows[rule][4].startswith("`") and rows[rule][4].endswith("`"), rule


def test_messages_say_how_a_deploy_file_uses_the_variable() -> None:
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "A=1\n"),),
        reads=(
            read("A", "a.py"),
            read("K8S_X", "k8s/d.yaml", 9, "kubernetes"),
            read("PY_X", "b.py", 2),
        ),
    )
    messages = {f.details["variable"]: f.message for f in evaluate([repo], Policy(), AS_OF)}
    assert messages == {
        "K8S_X": "K8S_X is set in k8s/d.yaml:9 but .env.example (the nearest example above it) "
        "does not document it; add it there with a safe default or a placeholder.",
        "PY_X": "PY_X is read in b.py:2 but .env.example (the nearest example above it) "
        "does not document it; add it there with a safe default or a placeholder.",
    }


def test_deploy_files_alone_do_not_need_an_example() -> None:
    ci_only = RepoEnv(
        "lib", reads=(read("PYTHONUNBUFFERED_X", ".github/workflows/ci.yml", 4, "github-actions"),)
    )
    assert evaluate([ci_only], Policy(), AS_OF) == []
    mixed = RepoEnv(
        "app", reads=(read("FROM_CODE", "a.py", 2), read("FROM_K8S", "k8s/d.yaml", 9, "kubernetes"))
    )
    [finding] = evaluate([mixed], Policy(), AS_OF)
    assert (finding.rule, finding.details["variables"]) == ("missing-example", ["FROM_CODE"])
