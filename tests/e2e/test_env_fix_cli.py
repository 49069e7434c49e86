"""The installed ``hygiene env fix``: a diff by default, the files changed with ``--write``,
exit codes, and no dotenv content anywhere in its output."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_cli
from tests.fixtures.env.hostile import hostile_dotenv, leaks

CODE = (
    "import os\n"
    "PORT = os.environ['APP_PORT']\n"
    "KEY = os.environ['SIGNING_KEY']\n"
    "LAST = os.getenv('LAST_SETTING')\n"
)


def app(make_repo: Callable[..., Path]) -> Path:
    repo = make_repo(
        "app",
        [
            {
                ".gitignore": ".env\n",
                ".env.example": "APP_PORT=8080\n",
                "app/config.py": CODE,
                "packages/web/package.json": "{}\n",
                "packages/web/src/main.js": "const u = process.env.WEB_URL;\n",
                "package.json": '{"workspaces": ["packages/*"]}\n',
            }
        ],
    )
    (repo / ".env").write_text("SIGNING_KEY=" + hostile_dotenv())
    return repo


def test_fix_prints_a_diff_that_applies_and_leaves_nothing_to_fix(
    make_repo: Callable[..., Path],
) -> None:
    repo = app(make_repo)
    proc = run_cli("env", "fix", "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert leaks(proc.stdout + proc.stderr) == []
    assert proc.stdout == (
        "--- a/.env.example\n"
        "+++ b/.env.example\n"
        "@@ -1,0 +2,7 @@\n"
        "+\n"
        "+# read in app/config.py:4\n"
        "+LAST_SETTING=\n"
        "+# read in app/config.py:3\n"
        "+SIGNING_KEY=\n"
        "+# read in packages/web/src/main.js:1\n"  # the package has no example: the root's
        "+WEB_URL=\n"
    )
    assert "3 variable(s) into 1 example(s)" in proc.stderr
    assert (repo / ".env.example").read_text() == "APP_PORT=8080\n"  # not written
    subprocess.run(
        ["git", "apply", "--unidiff-zero", "-"], cwd=repo, input=proc.stdout, text=True, check=True
    )
    again = run_cli("env", "fix", "--repo", str(repo))
    assert (again.returncode, again.stdout) == (0, "")
    assert "nothing to add" in again.stderr


def test_fix_write_changes_the_example_in_place(make_repo: Callable[..., Path]) -> None:
    repo = app(make_repo)
    (repo / "packages/web/.env.example").write_text("")  # an empty example of the package
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    proc = run_cli("env", "fix", "--repo", str(repo / "app"), "--write", "--placeholder", "x")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert (repo / ".env.example").read_text() == (
        "APP_PORT=8080\n\n# read in app/config.py:4\nLAST_SETTING=x\n"
        "# read in app/config.py:3\nSIGNING_KEY=x\n"
    )
    assert (repo / "packages/web/.env.example").read_text() == (
        "# read in packages/web/src/main.js:1\nWEB_URL=x\n"
    )
    assert leaks((repo / ".env.example").read_text()) == []
    report = run_cli("env", "report", str(repo), "--format", "json")
    assert '"undocumented-variable"' not in report.stdout


def test_fix_creates_the_package_example_when_none_covers_it(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo(
        "mono",
        [
            {
                "apps/api/package.json": "{}\n",
                "apps/api/.env.example": "API=1\n",
                "apps/api/main.js": "process.env.API\n",
                "apps/web/package.json": "{}\n",
                "apps/web/main.js": "process.env.WEB\n",
            }
        ],
    )
    proc = run_cli("env", "fix", "--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("--- /dev/null\n+++ b/apps/web/.env.example\n")
    assert "(1 new: apps/web/.env.example)" in proc.stderr


def test_fix_usage_errors_exit_2(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = app(make_repo)
    bad = run_cli("env", "fix", "--repo", str(repo), "--placeholder", "two words")
    assert bad.returncode == 2 and "--placeholder" in bad.stderr
    outside = tmp_path / "plain"
    outside.mkdir()
    assert run_cli("env", "fix", "--repo", str(outside)).returncode == 2
    policy = tmp_path / "p.yaml"
    policy.write_text("env:\n  coverage:\n    - {code: 'a/**', example: ../.env.example}\n")
    proc = run_cli("env", "fix", "--repo", str(repo), "--config", str(policy))
    assert proc.returncode == 2
    assert "p.yaml:3: env.coverage[0].example" in proc.stderr


def test_fix_help_has_examples() -> None:
    proc = run_cli("env", "fix", "--help")
    assert proc.returncode == 0
    assert "hygiene env fix --repo . --placeholder change-me" in proc.stdout
