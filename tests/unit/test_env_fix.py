"""``hygiene env fix`` as a library: the planned edits (pure) and ``env_fix`` on real git
repositories. The diff shows only added lines, names only, no value from any ``.env``."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hygiene.checks.env.collect import collect_repo, env_fix
from hygiene.checks.env.dotenv_files import parse_dotenv
from hygiene.checks.env.fix import Addition, Edit, check_placeholder, plan, summary
from hygiene.checks.env.records import DotenvFile, EnvRead, RepoEnv
from hygiene.checks.env.resolve import resolve
from hygiene.checks.env.rules import evaluate_repo
from hygiene.errors import HygieneError
from hygiene.policy import EnvPolicy
from tests.fixtures.env.hostile import hostile_dotenv, leaks


def example(path: str, text: str) -> DotenvFile:
    return DotenvFile(path, parse_dotenv(text).entries())


def test_plan_adds_each_missing_variable_to_its_covering_example() -> None:
    repo = RepoEnv(
        "r",
        packages=("apps/api", "apps/web"),
        examples=(
            example("docker/.env.example", "DB=1\n"),
            example("apps/api/.env.example", "API=1\n"),
        ),
        reads=(
            EnvRead("DB", "app/config.py", 3, "python"),
            EnvRead("SECRET_KEY", "app/config.py", 12, "python"),
            EnvRead("SECRET_KEY", "app/other.py", 2, "python"),
            EnvRead("API_PORT", "apps/api/main.ts", 4, "javascript"),
            EnvRead("WEB_URL", "apps/web/app.ts", 5, "javascript"),
            EnvRead("DEPLOY_ONLY", "apps/web/k8s.yaml", 5, "kubernetes"),
        ),
    )
    texts = {"docker/.env.example": "DB=1\n", "apps/api/.env.example": "API=1\n"}
    edits = {e.path: e for e in plan(resolve(repo, EnvPolicy()), texts)}
    assert set(edits) == {"docker/.env.example", "apps/api/.env.example"}
    # apps/web has no example of its own: the repository's (docker/) covers it
    assert edits["docker/.env.example"].new == (
        "DB=1\n\n# used in apps/web/k8s.yaml:5\nDEPLOY_ONLY=\n# read in app/config.py:12 (and 1 other place(s))\nSECRET_KEY=\n"
        "# read in apps/web/app.ts:5\nWEB_URL=\n"
    )
    assert (
        edits["apps/api/.env.example"].new == "API=1\n\n# read in apps/api/main.ts:4\nAPI_PORT=\n"
    )


def test_plan_creates_the_example_of_a_package_no_example_covers() -> None:
    repo = RepoEnv(
        "mono",
        packages=("apps/api", "apps/web"),
        examples=(example("apps/api/.env.example", "API=1\n"),),
        reads=(
            EnvRead("API", "apps/api/main.ts", 4, "javascript"),
            EnvRead("WEB_URL", "apps/web/app.ts", 5, "javascript"),
            EnvRead("DEPLOY_ONLY", "apps/web/k8s.yaml", 5, "kubernetes"),
        ),
    )
    [web] = plan(resolve(repo, EnvPolicy()), {"apps/api/.env.example": "API=1\n"})
    assert (web.path, web.old) == ("apps/web/.env.example", None)
    assert web.new.endswith("# read in apps/web/app.ts:5\nWEB_URL=\n")
    assert "DEPLOY_ONLY" not in web.new  # deploy files alone need no example


def test_fixing_leaves_nothing_to_find() -> None:
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "A=1\n"),),
        reads=(EnvRead("A", "a.py", 1, "python"), EnvRead("B", "b.py", 2, "python")),
    )
    [edit] = plan(resolve(repo, EnvPolicy()), {".env.example": "A=1\n"})
    fixed = RepoEnv("r", examples=(example(".env.example", edit.new),), reads=repo.reads)
    assert evaluate_repo(fixed, EnvPolicy()) == []


def test_the_diff_shows_only_added_lines() -> None:
    old = "SECRET_LOOKING=abc123\nOTHER=value-not-to-echo\n"
    edit = Edit(".env.example", old, (Addition("NEW", (EnvRead("NEW", "a.py", 7, "python"),)),))
    assert edit.diff() == (
        "--- a/.env.example\n+++ b/.env.example\n@@ -2,0 +3,3 @@\n+\n+# read in a.py:7\n+NEW=\n"
    )
    created = Edit("svc/.env.example", None, edit.additions, "change-me")
    assert created.diff().startswith("--- /dev/null\n+++ b/svc/.env.example\n@@ -0,0 +1,3 @@\n")
    assert created.new.endswith("NEW=change-me\n")


def test_line_endings_and_a_missing_final_newline_are_kept_right() -> None:
    addition = (Addition("NEW", (EnvRead("NEW", "a.py", 7, "python"),)),)
    crlf = Edit(".env.example", "A=1\r\nB=2\r\n", addition)
    assert crlf.new == "A=1\r\nB=2\r\n\r\n# read in a.py:7\r\nNEW=\r\n"
    unterminated = Edit(".env.example", "A=1", addition)
    assert unterminated.new == "A=1\n\n# read in a.py:7\nNEW=\n"
    assert "A=1" not in unterminated.diff()


@pytest.mark.parametrize("bad", ["two words", "a#b", "$HOME", "'q'", "x\ny", '"'])
def test_unsafe_placeholders_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="placeholder"):
        check_placeholder(bad)
    assert check_placeholder("change-me") == "change-me"
    assert check_placeholder("") == ""


def test_summary() -> None:
    assert summary([]).startswith("nothing to add")
    edit = Edit("a/.env.example", None, (Addition("X", (EnvRead("X", "a/b.py", 1, "python"),)),))
    assert summary([edit]) == "1 variable(s) into 1 example(s) (1 new: a/.env.example)"


# --------------------------------------------------------------------------- real repositories


def test_env_fix_never_copies_a_value_from_a_dotenv_file(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        "app",
        [
            {
                ".gitignore": ".env\n",
                ".env.example": "APP_PORT=8080\n",
                "app/config.py": "import os\nPORT = os.environ['APP_PORT']\n"
                "KEY = os.environ['SIGNING_KEY']\nTOKEN = os.getenv('LAST_SETTING')\n",
            }
        ],
    )
    local = "SIGNING_KEY=" + hostile_dotenv()  # a developer's .env with secrets in it
    (repo / ".env").write_text(local)
    result = env_fix(repo, EnvPolicy())
    [edit] = result.edits
    assert edit.path == ".env.example"
    assert [a.name for a in edit.additions] == ["LAST_SETTING", "SIGNING_KEY"]
    output = edit.diff() + edit.new
    assert leaks(output) == []
    assert "SIGNING_KEY=\n" in edit.new and "LAST_SETTING=\n" in edit.new


def test_env_fix_on_a_repository_without_an_example_plans_one_at_the_root(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo("lib", [{"main.go": 'package main\nimport "os"\nvar x = os.Getenv("GO_X")\n'}])
    [edit] = env_fix(repo, EnvPolicy()).edits
    assert (edit.path, edit.old) == (".env.example", None)
    assert edit.new.endswith("# read in main.go:3\nGO_X=\n")


def test_env_fix_does_not_overwrite_an_untracked_file_where_an_example_is_due(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo("lib", [{"a.py": "import os\nos.environ['A']\n"}])
    (repo / ".env.example").write_text("KEEP=me\n")  # on disk, not committed
    [edit] = env_fix(repo, EnvPolicy()).edits
    assert edit.old == "KEEP=me\n"
    assert edit.new.startswith("KEEP=me\n")


def test_env_fix_refuses_an_example_that_is_not_utf8(make_repo: Callable[..., Path]) -> None:
    repo = make_repo("lib", [{"a.py": "import os\nos.environ['A']\n"}])
    (repo / ".env.example").write_bytes("B=\xe9\n".encode("latin-1"))
    subprocess.run(["git", "add", ".env.example"], cwd=repo, check=True)
    assert [e.path for e in collect_repo(repo, EnvPolicy()).examples] == [".env.example"]
    with pytest.raises(HygieneError, match="not UTF-8"):
        env_fix(repo, EnvPolicy())
