"""The env collector on real git repositories built from the fixtures, through the pipeline."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from hygiene.checks.env import read_deploy
from hygiene.checks.env.collect import collect, collect_repo, env_report
from hygiene.checks.env.rules import evaluate
from hygiene.context import RunContext
from hygiene.errors import CheckSkipped, HygieneError
from hygiene.findings import Finding
from hygiene.pipeline import run_audit
from hygiene.policy import Policy
from tests.conftest import git
from tests.fixtures.env import SECRET, fixture_files
from tests.fixtures.env.expected import DRIFT, EXPECTED

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)


def build(make_repo: Callable[..., Path], family: str) -> Path:
    return make_repo(family, [fixture_files(family)])


def drift(findings: list[Finding]) -> set[tuple[str, str, str]]:
    return {
        (f.rule, f.details["variable"], f.details["example"]) for f in findings if f.rule in DRIFT
    }


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_each_family_reports_exactly_its_drift(make_repo: Callable[..., Path], family: str) -> None:
    repo = build(make_repo, family)
    record = collect_repo(repo, Policy().env)
    assert record.repo == family
    assert drift(evaluate([record], Policy(), AS_OF)) == EXPECTED[family]


def test_python_repo_other_rules(make_repo: Callable[..., Path]) -> None:
    repo = build(make_repo, "python")
    findings = evaluate([collect_repo(repo, Policy().env)], Policy(), AS_OF)
    others = {
        (f.rule, f.resource, f.location.path, f.location.line)  # type: ignore[union-attr]
        for f in findings
        if f.rule not in DRIFT
    }
    assert others == {
        ("committed-dotenv", "python:.env", ".env", None),
        ("dotenv-not-ignored", "python:.env", ".gitignore", None),
        ("example-contains-secret", "python:.env.example", ".env.example", 4),
        ("lowercase-key", "python:.env.example", ".env.example", 10),
        ("unquoted-spaces", "python:.env.example", ".env.example", 11),
        ("duplicated-key", "python:.env.example", ".env.example", 12),
        ("dynamic-read", "python:app/settings.py", "app/settings.py", 23),
    }
    head = git(repo, "rev-parse", "HEAD").strip()
    assert {f.location.commit for f in findings} == {head}  # type: ignore[union-attr]
    assert SECRET not in str([f.to_contract() for f in findings])


def test_local_untracked_dotenv_keys_not_in_the_example(make_repo: Callable[..., Path]) -> None:
    repo = build(make_repo, "javascript")
    (repo / ".env").write_text("API_URL=http://real\nLOCAL_ONLY_FLAG=1\nexport OTHER_LOCAL=2\n")
    (repo / ".env.local").write_text("PORT=1\n")
    record = collect_repo(repo, Policy().env)
    assert record.committed_dotenvs == ()
    assert record.unignored_dotenvs == ()
    found = {
        (f.rule, f.details.get("variable"), f.location.path, f.location.line)  # type: ignore[union-attr]
        for f in evaluate([record], Policy(), AS_OF)
        if f.rule == "env-only-variable"
    }
    assert found == {
        ("env-only-variable", "LOCAL_ONLY_FLAG", ".env", 2),
        ("env-only-variable", "OTHER_LOCAL", ".env", 3),
    }


def test_missing_example_and_unparsable_file(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        "noexample",
        [
            {
                "app.py": "import os\nA = os.environ['ALPHA']\n",
                "broken.py": 'import os\ndef f(:\n    os.environ["X"]\n',
                "run.sh": "#!/bin/sh\necho $BETA\n",
                ".gitignore": ".env\n",
            }
        ],
    )
    findings = evaluate([collect_repo(repo, Policy().env)], Policy(), AS_OF)
    assert {(f.rule, f.resource) for f in findings} == {
        ("missing-example", "noexample:.env.example"),
        ("unparsable-file", "noexample:broken.py"),
    }
    [missing] = [f for f in findings if f.rule == "missing-example"]
    assert missing.details["variables"] == ["ALPHA", "BETA"]


def test_exclude_globs_keep_files_out(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        "excl",
        [
            {
                ".env.example": "KEPT=1\n",
                "src/a.js": "process.env.KEPT;\n",
                "node_modules/lib/index.js": "process.env.FROM_DEPENDENCY;\n",
                "vendored/x.py": "import os\nos.environ['VENDORED']\n",
                ".gitignore": ".env\n",
            }
        ],
    )
    policy = Policy.model_validate({"env": {"exclude": ["**/node_modules/**", "vendored/**"]}})
    assert evaluate([collect_repo(repo, policy.env)], policy, AS_OF) == []


def test_collect_errors_and_skips(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    good = build(make_repo, "compiled")
    not_git = tmp_path / "plain"
    not_git.mkdir()
    ctx = RunContext(run_id="t", as_of=AS_OF, policy=Policy(), repos=(good, not_git))
    collection = collect(ctx)
    assert [[r.repo for r in batch] for batch in collection.record_batches()] == [["compiled"]]
    assert collection.scopes == ["compiled"]
    assert len(collection.errors) == 1 and "not inside a git repository" in collection.errors[0]
    assert collection.stats["repos"] == 1
    with pytest.raises(CheckSkipped):
        collect(RunContext(run_id="t", as_of=AS_OF, policy=Policy()))
    with pytest.raises(HygieneError, match="not a directory"):
        collect_repo(tmp_path / "missing", Policy().env)


def test_pipeline_runs_the_env_check(make_repo: Callable[..., Path]) -> None:
    repo = build(make_repo, "monorepo")
    run = run_audit(policy=Policy(), as_of=AS_OF, only=["env"], repos=[repo])
    assert run.status == "complete"
    assert drift(run.findings) == EXPECTED["monorepo"]
    [result] = [r for r in run.results if r.name == "env"]
    assert result.status == "ok" and result.scopes == ["monorepo"]
    assert result.stats["examples"] == 3


def test_env_report_applies_policy_exceptions(make_repo: Callable[..., Path]) -> None:
    repo = build(make_repo, "javascript")
    policy = Policy.model_validate(
        {
            "exceptions": [
                {
                    "match": {"rule": "unused-variable", "variable": "UNUSED_JS_VAR"},
                    "reason": "read by a cron job in another repo",
                    "owner": "team-web",
                    "expires": "2027-01-01",
                }
            ]
        }
    )
    report = env_report(repo, policy, AS_OF)
    assert drift(report.findings) == EXPECTED["javascript"] - {
        ("unused-variable", "UNUSED_JS_VAR", ".env.example")
    }
    assert {r.name: r.status for r in report.variables}["UNUSED_JS_VAR"] == "unused"


def test_scripts_by_shebang_and_files_too_large(
    make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import hygiene.checks.env.collect as collector

    repo = make_repo(
        "scripts",
        [
            {
                ".env.example": "DOCUMENTED=1\n",
                ".gitignore": ".env\n",
                "bin/deploy": '#!/usr/bin/env bash\necho "$DOCUMENTED $FROM_SHEBANG_SCRIPT"\n',
                "bin/notes": "echo $NOT_A_SCRIPT\n",
                "big.py": "import os\n" + "x = os.environ['HUGE']\n" * 200,
            }
        ],
    )
    monkeypatch.setattr(collector, "MAX_FILE_BYTES", 1000)
    record = collect_repo(repo, Policy().env)
    assert {r.name for r in record.reads} == {"DOCUMENTED", "FROM_SHEBANG_SCRIPT"}
    assert record.unparsable == (("big.py", "larger than 1000 bytes, not read"),)
    assert record.stats["files_too_large"] == 1


def test_committed_dotenv_in_a_subdirectory(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        "sub",
        [
            {
                ".env.example": "DOCUMENTED=1\n",
                ".gitignore": ".env\n",
                "app.py": "import os\nos.environ['DOCUMENTED']\n",
                "deploy/.env.production": "DOCUMENTED=prod\nPROD_ONLY=1\n",
            }
        ],
    )
    found = {
        (f.rule, f.resource, str(f.details.get("keys") or f.details.get("variable")))
        for f in evaluate([collect_repo(repo / "deploy", Policy().env)], Policy(), AS_OF)
    }
    assert found == {
        ("committed-dotenv", "sub:deploy/.env.production", "['DOCUMENTED', 'PROD_ONLY']"),
        ("env-only-variable", "sub:deploy/.env.production", "PROD_ONLY"),
    }


def test_links_out_of_the_repository_and_special_files_are_not_read(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "reads.py").write_text("import os\nos.environ['FROM_OUTSIDE']\n")
    (outside / "dotenv").write_text("OUTSIDE_KEY=1\n")
    repo = make_repo(
        "links",
        [
            {
                ".gitignore": ".env\n.env.local\n",
                ".env.example": "DOCUMENTED=1\n",
                "app.py": "import os\nos.environ['DOCUMENTED']\n",
            }
        ],
    )
    (repo / "linked.py").symlink_to(outside / "reads.py")
    (repo / "script").symlink_to(outside / "reads.py")
    git(repo, "add", "linked.py", "script")
    git(repo, "commit", "-q", "-m", "links")
    (repo / ".env").symlink_to(outside / "dotenv")
    os.mkfifo(repo / ".env.local")
    record = collect_repo(repo, Policy().env)
    assert {r.name for r in record.reads} == {"DOCUMENTED"}
    assert record.local_envs == ()
    assert record.stats["files_skipped"] == 4  # (a tracked FIFO: tests/e2e/test_env_cli.py)
    assert evaluate([record], Policy(), AS_OF) == []


def test_utf16_and_cp1252_files_are_decoded(make_repo: Callable[..., Path]) -> None:
    repo = make_repo("encodings", [{".gitignore": ".env\n"}])
    (repo / ".env.example").write_bytes("# réglages\nFROM_UTF16=1\n".encode("utf-16"))
    (repo / "app.py").write_bytes(
        "# caf\xe9 \u201cquoted\u201d\nimport os\nos.environ['FROM_UTF16']\n".encode("cp1252")
    )
    (repo / "run.sh").write_bytes("#!/bin/sh\necho $FROM_UTF16_LE\n".encode("utf-16-le"))
    git(repo, "add", ".env.example", "app.py", "run.sh")
    git(repo, "commit", "-q", "-m", "encodings")
    record = collect_repo(repo, Policy().env)
    assert [e.key for e in record.examples[0].entries] == ["FROM_UTF16"]
    assert {(r.name, r.path) for r in record.reads} == {
        ("FROM_UTF16", "app.py"),
        ("FROM_UTF16_LE", "run.sh"),
    }
    assert {f.rule for f in evaluate([record], Policy(), AS_OF)} == {"undocumented-variable"}


def _pathological_files() -> dict[str | None, str]:
    deep = "[" * 10_000 + "]" * 10_000
    return {
        ".gitignore": ".env\n",
        ".env.example": "DOCUMENTED=1\n",
        "app.py": "import os\nos.environ['DOCUMENTED']\nos.environ['STILL_SEEN']\n",
        # a generated module: ast recurses once per "+" (RecursionError)
        "gen.py": "import os\nos.environ['GENERATED']\nx = " + "+".join(["1"] * 50_000) + "\n",
        # 10,000 levels of flow sequences: PyYAML's composer recurses per level
        "docker-compose.yml": f"services: {deep}\n",
        "k8s/deploy.yaml": f"apiVersion: v1\nkind: Pod\nspec: {deep}\n",
    }


def test_one_pathological_file_stays_that_file_s_error(make_repo: Callable[..., Path]) -> None:
    bad = make_repo("generated", [_pathological_files()])
    good = make_repo(
        "clean",
        [{".gitignore": ".env\n", ".env.example": "A=1\n", "x.py": "import os\nos.getenv('B')\n"}],
    )
    run = run_audit(policy=Policy(), as_of=AS_OF, only=["env"], repos=[bad, good])
    assert run.status == "incomplete"
    [result] = [r for r in run.results if r.name == "env"]
    assert result.status == "error" and result.scopes == ["generated", "clean"]
    # PyYAML's C parser (libyaml, in the locked wheel) refuses nesting deeper than 1,000 levels
    # with a parse error: the compose file is an `unparsable-file` (info) finding, not an error
    # of the run; ast still recurses on gen.py
    assert read_deploy._LOADER is yaml.CSafeLoader
    assert result.stats["errors"] == [
        "generated: gen.py: too deeply nested to parse (RecursionError); "
        "its environment reads were not audited"
    ]
    assert result.stats["files_failed"] == 1
    assert {
        (f.location.repo, f.rule, f.details.get("variable"))  # type: ignore[union-attr]
        for f in run.findings
    } == {
        ("generated", "undocumented-variable", "STILL_SEEN"),
        ("generated", "unparsable-file", None),
        ("clean", "undocumented-variable", "B"),
        ("clean", "unused-variable", "A"),
    }
