"""Which example covers which code (#18 §1) and the example family (§2): the layouts real
applications use, the policy override, and the rule that no variable is ever reported both
undocumented and unused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hygiene.checks.env.collect import collect_repo
from hygiene.checks.env.dotenv_files import is_dotenv, is_example, parse_dotenv
from hygiene.checks.env.layout import package_roots
from hygiene.checks.env.records import DotenvFile, EnvRead, RepoEnv
from hygiene.checks.env.report import inventory
from hygiene.checks.env.rules import evaluate
from hygiene.config import load_policy
from hygiene.errors import ConfigError
from hygiene.findings import Finding, Severity
from hygiene.policy import EnvPolicy, Policy

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)


def example(path: str, text: str) -> DotenvFile:
    return DotenvFile(path, parse_dotenv(text).entries())


def read(name: str, path: str, line: int = 1, kind: str = "python") -> EnvRead:
    return EnvRead(name, path, line, kind)


def findings(repo: RepoEnv, policy: Policy | None = None) -> list[Finding]:
    return evaluate([repo], policy or Policy(), AS_OF)


def drift(repo: RepoEnv, policy: Policy | None = None) -> set[tuple[str, str, str]]:
    return {
        (f.rule, str(f.details.get("variable") or f.details.get("variables")), f.resource)
        for f in findings(repo, policy)
        if f.rule != "dynamic-read"
    }


# --------------------------------------------------------------------------- layouts


def test_root_example_covers_the_whole_repository() -> None:
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "A=1\nB=1\n"),),
        reads=(read("A", "deep/down/app.py"), read("C", "src/x.py", 4)),
    )
    assert drift(repo) == {
        ("undocumented-variable", "C", "r:.env.example"),
        ("unused-variable", "B", "r:.env.example"),
    }
    [c] = [f for f in findings(repo) if f.rule == "undocumented-variable"]
    assert c.details["consulted"] == [".env.example"]
    assert c.details["coverage"] == "nearest"


def test_docker_example_covers_code_elsewhere_the_healthchecks_case() -> None:
    # healthchecks: docker/.env.example, hc/settings.py reads ALLOWED_HOSTS. Before #18 the
    # variable was both "read but no example" and "documented but unused".
    repo = RepoEnv(
        "hc",
        examples=(example("docker/.env.example", "ALLOWED_HOSTS=localhost\nDB=sqlite\n"),),
        reads=(
            read("ALLOWED_HOSTS", "hc/settings.py", 40),
            read("DB", "docker/entrypoint.sh", 3, "shell"),
            read("SITE_ROOT", "hc/settings.py", 41),
        ),
    )
    assert drift(repo) == {("undocumented-variable", "SITE_ROOT", "hc:docker/.env.example")}
    [site] = findings(repo)
    assert site.details["coverage"] == "repository"
    assert site.details["consulted"] == ["docker/.env.example"]
    assert "docker/.env.example (the repository's example (none above it))" in site.message


def test_the_repository_example_nearest_the_root_is_preferred() -> None:
    repo = RepoEnv(
        "r",
        examples=(
            example("deploy/k8s/.env.example", "K=1\n"),
            example("docker/.env.example", "D=1\n"),
        ),
        reads=(read("K", "deploy/k8s/x.sh", kind="shell"), read("NEW", "app/main.py")),
    )
    [new] = [f for f in findings(repo) if f.rule == "undocumented-variable"]
    assert new.details["example"] == "docker/.env.example"


def test_monorepo_packages_own_examples() -> None:
    repo = RepoEnv(
        "mono",
        packages=("apps/api", "apps/web", "packages/ui"),
        examples=(
            example(".env.example", "SHARED=1\n"),
            example("apps/api/.env.example", "API_KEY=\n"),
        ),
        reads=(
            read("SHARED", "apps/api/src/main.ts", kind="javascript"),
            read("API_KEY", "apps/api/src/main.ts", kind="javascript"),
            read("API_PORT", "apps/api/src/main.ts", 9, kind="javascript"),
            read("WEB_URL", "apps/web/src/app.ts", 2, kind="javascript"),
            read("SHARED", "packages/ui/x.ts", kind="javascript"),
        ),
    )
    found = {f.details["variable"]: f for f in findings(repo)}
    assert set(found) == {"API_PORT", "WEB_URL"}
    assert found["API_PORT"].details["example"] == "apps/api/.env.example"
    assert found["API_PORT"].details["coverage"] == "package"
    assert found["API_PORT"].details["consulted"] == ["apps/api/.env.example", ".env.example"]
    # a package without its own example is covered by the root's (shared variables)
    assert found["WEB_URL"].details["example"] == ".env.example"
    assert found["WEB_URL"].details["coverage"] == "nearest"


def test_a_package_example_never_covers_code_outside_its_package() -> None:
    repo = RepoEnv(
        "mono",
        packages=("apps/api", "apps/web"),
        examples=(example("apps/api/.env.example", "API_KEY=\n"),),
        reads=(
            read("API_KEY", "apps/api/main.py"),
            read("WEB_URL", "apps/web/app.py", 2),
            read("TOOL_DIR", "scripts/build.py", 3),
        ),
    )
    [tools, web] = sorted(
        (f for f in findings(repo) if f.rule == "missing-example"), key=lambda f: f.resource
    )
    assert (tools.resource, tools.details["variables"]) == ("mono:.env.example", ["TOOL_DIR"])
    assert (web.resource, web.details["variables"]) == (
        "mono:apps/web/.env.example",
        ["WEB_URL"],
    )


def test_per_environment_examples_are_consulted_together() -> None:
    repo = RepoEnv(
        "rails",
        examples=(
            example(".env.test.example", "TEST_ONLY=1\nSHARED=1\n"),
            example(".env.local.example", "LOCAL_ONLY=1\n"),
            example(".env.example", "SHARED=1\nNOBODY=1\n"),
        ),
        reads=(
            read("TEST_ONLY", "spec/x.rb", kind="ruby"),
            read("LOCAL_ONLY", "app/y.rb", kind="ruby"),
            read("SHARED", "app/y.rb", kind="ruby"),
            read("NEW", "app/z.rb", 5, kind="ruby"),
        ),
    )
    assert drift(repo) == {
        ("undocumented-variable", "NEW", "rails:.env.example"),  # the primary: .env.example
        ("unused-variable", "NOBODY", "rails:.env.example"),
    }
    [new] = [f for f in findings(repo) if f.rule == "undocumented-variable"]
    assert new.details["consulted"] == [".env.example", ".env.local.example", ".env.test.example"]


def test_documented_in_another_example_is_a_low_note_not_undocumented() -> None:
    repo = RepoEnv(
        "mono",
        packages=("apps/api", "apps/web"),
        examples=(
            example("apps/api/.env.example", "DATABASE_URL=\n"),
            example("apps/web/.env.example", "WEB=1\n"),
        ),
        reads=(
            read("DATABASE_URL", "apps/web/server.ts", 7, "javascript"),
            read("WEB", "apps/web/server.ts", 8, "javascript"),
        ),
    )
    [note] = findings(repo)
    assert (note.rule, note.severity, note.resource) == (
        "documented-elsewhere",
        Severity.LOW,
        "mono:apps/web/.env.example",
    )
    assert note.details["documented_in"] == ["apps/api/.env.example"]
    assert "documented in apps/api/.env.example, not in apps/web/.env.example" in note.message
    rows = {r.name: r.status for r in inventory(repo, EnvPolicy())}
    assert rows == {"DATABASE_URL": "documented-elsewhere", "WEB": "documented"}


# --------------------------------------------------------------------------- policy


def test_policy_coverage_overrides_the_layout() -> None:
    policy = Policy.model_validate(
        {
            "env": {
                "coverage": [
                    {"code": "worker/**", "example": "deploy/worker.env.example"},
                    {"code": "cron/**", "example": "cron/.env.example"},
                ]
            }
        }
    )
    repo = RepoEnv(
        "r",
        examples=(
            example(".env.example", "APP=1\n"),
            example("deploy/worker.env.example", "QUEUE=1\n"),
        ),
        reads=(
            read("APP", "app.py"),
            read("QUEUE", "worker/run.py"),
            read("APP", "worker/run.py", 2),  # the root's example does not cover worker/
            read("SCHEDULE", "cron/job.py", 3),
        ),
    )
    found = {(f.rule, f.resource): f for f in findings(repo, policy)}
    assert set(found) == {
        ("documented-elsewhere", "r:deploy/worker.env.example"),
        ("missing-example", "r:cron/.env.example"),
    }
    note = found[("documented-elsewhere", "r:deploy/worker.env.example")]
    assert (note.details["variable"], note.details["coverage"]) == ("APP", "policy")
    assert "mapped to it by env.coverage" in note.message


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{code: 'a/**', example: ../x/.env.example}", "not a path inside the repository"),
        ("{code: 'a/**', example: /etc/.env.example}", "not a path inside the repository"),
        ("{code: 'a/**', example: 'a/*/.env.example'}", "one file, not a glob"),
        ("{code: '', example: a/.env.example}", "at least 1 character"),
        ("{code: 'a/**'}", "required key is missing"),
        ("{code: 'a/**', example: a/.env.example, extra: 1}", "extra"),
    ],
)
def test_bad_coverage_entries_are_config_errors_with_file_line_and_key(
    tmp_path: Path, entry: str, message: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"env:\n  coverage:\n    - {entry}\n")
    with pytest.raises(ConfigError, match=r"p\.yaml:3: env\.coverage\[0\]") as raised:
        load_policy([path])
    assert message.lower() in str(raised.value).lower()


def test_a_coverage_example_must_be_named_like_an_example(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("env:\n  coverage:\n    - {code: 'a/**', example: a/config.yml}\n")
    with pytest.raises(ConfigError, match=r"p\.yaml:2: env\.coverage: .*entry 0.*a/config\.yml"):
        load_policy([path])


# --------------------------------------------------------------------------- never both

_NAMES = st.sampled_from(["A", "B", "C", "D"])
_DIRS = st.sampled_from(["", "docker", "apps/api", "apps/web", "apps/api/src", "tools"])


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


@settings(max_examples=200, deadline=None)
@given(
    examples=st.dictionaries(_DIRS, st.lists(_NAMES, max_size=4), max_size=3),
    reads=st.lists(st.tuples(_NAMES, _DIRS), max_size=8),
    monorepo=st.booleans(),
)
def test_no_variable_is_ever_both_undocumented_and_unused(
    examples: dict[str, list[str]], reads: list[tuple[str, str]], monorepo: bool
) -> None:
    repo = RepoEnv(
        "r",
        packages=("apps/api", "apps/web") if monorepo else (),
        examples=tuple(
            example(_join(d, ".env.example"), "".join(f"{k}=1\n" for k in keys))
            for d, keys in examples.items()
        ),
        reads=tuple(read(name, _join(d, "main.py")) for name, d in reads),
    )
    found = findings(repo)
    missing = {
        f.details["variable"]
        for f in found
        if f.rule in ("undocumented-variable", "documented-elsewhere")
    } | {v for f in found if f.rule == "missing-example" for v in f.details["variables"]}
    unused = {f.details["variable"] for f in found if f.rule == "unused-variable"}
    assert missing.isdisjoint(unused)
    read_names = {name for name, _ in reads}
    assert unused.isdisjoint(read_names)  # a key anything reads is never unused
    for f in found:  # every drift finding names the example it consulted
        if f.rule != "missing-example":
            assert f.details["example"] in f.message


# --------------------------------------------------------------------------- layout


def test_package_roots_from_workspace_files() -> None:
    tracked = [
        "package.json",
        "packages/a/package.json",
        "packages/b/package.json",
        "tools/x/package.json",
        "go/svc/go.mod",
        "crates/core/Cargo.toml",
    ]
    files = {
        "package.json": '{"workspaces": ["packages/*", "!packages/b"]}',
        "go.work": "go 1.22\nuse (\n  ./go/svc // the service\n)\n",
        "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
    }
    assert package_roots(tracked, files.get) == (
        "crates/core",
        "go/svc",
        "packages/a",
        "packages/b",
    )
    pnpm = {"pnpm-workspace.yaml": "packages:\n  - 'apps/**'\n"}
    assert package_roots(["apps/web/site/package.json"], pnpm.get) == ("apps/web/site",)
    yarn = {"package.json": '{"workspaces": {"packages": ["libs/*"]}}'}
    assert package_roots(["libs/x/package.json", "apps/y/package.json"], yarn.get) == ("libs/x",)


def test_package_roots_without_workspace_files_use_the_conventional_folders() -> None:
    tracked = [
        "apps/api/package.json",
        "services/billing/pyproject.toml",
        "apps/docs/README.md",  # no manifest: not a package
        "src/package.json",
        "package.json",
    ]
    assert package_roots(tracked, lambda rel: None) == ("apps/api", "services/billing")
    assert package_roots(tracked, {"package.json": "{not json"}.get) == (
        "apps/api",
        "services/billing",
    )


# --------------------------------------------------------------------------- example family

FAMILY = [
    ".env.example",
    ".env.local.example",
    ".env.test.example",
    ".env.development-example",
    ".env.sample",
    ".env.production.sample",
    ".env.template",
    ".env.dist",
    "env.example",
    "example.env",
    ".env.defaults",
    "sample.env",
    ".env.tpl",
    ".env.example.local",
    "docker.env.example",
    ".ENV.EXAMPLE",
]


@pytest.mark.parametrize("name", FAMILY)
def test_every_name_of_the_example_family_is_an_example(name: str) -> None:
    assert is_example(name)
    assert not is_dotenv(name)


@pytest.mark.parametrize("name", [".env", ".env.local", ".env.production", ".env.test"])
def test_real_dotenv_files_are_not_examples(name: str) -> None:
    assert not is_example(name)
    assert is_dotenv(name)


def test_the_family_is_configurable() -> None:
    assert is_example("settings.dist", ["settings.dist"])
    assert not is_example(".env.sample", [".env.example"])
    assert is_dotenv(".env.sample", [".env.example"])


@pytest.mark.parametrize("name", FAMILY)
def test_a_committed_example_is_documentation_not_a_committed_secret(
    make_repo: Callable[..., Path], name: str
) -> None:
    repo = make_repo(
        "app",
        [
            {
                ".gitignore": ".env\n",
                f"config/{name}": "DATABASE_URL=postgres://localhost/app\nLOCAL_ONLY=1\n",
                "config/settings.py": "import os\nURL = os.environ['DATABASE_URL']\n",
            }
        ],
    )
    (repo / "config" / ".env").write_text("LOCAL_ONLY=2\n")  # a developer's own file
    record = collect_repo(repo, EnvPolicy())
    assert [e.path for e in record.examples] == [f"config/{name}"]
    rules = {(f.rule, f.details.get("variable")) for f in evaluate([record], Policy(), AS_OF)}
    assert rules == {("unused-variable", "LOCAL_ONLY")}


# --------------------------------------------------------------------------- real-world classes


def test_commented_out_bindings_document_a_variable_and_are_never_unused() -> None:
    text = "# Port to listen on\n# GOTIFY_SERVER_PORT=80\n#API_KEY=\n# Example: a,b,c\nSET=1\n"
    parsed = parse_dotenv(text)
    from hygiene.checks.env.dotenv_files import commented_entries

    entries = parsed.entries() + commented_entries(text, parsed)
    assert [(e.key, e.line, e.commented) for e in entries] == [
        ("SET", 5, False),
        ("GOTIFY_SERVER_PORT", 2, True),
        ("API_KEY", 3, True),
    ]
    repo = RepoEnv(
        "r",
        examples=(DotenvFile(".env.example", entries),),
        reads=(read("GOTIFY_SERVER_PORT", "main.go", 3, "go"), read("SET", "main.go", 4, "go")),
    )
    assert findings(repo) == []  # API_KEY is commented out: optional, not "unused"


def test_name_file_is_documented_by_name_the_docker_secrets_convention() -> None:
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "SECRET_KEY=\n"),),
        reads=(
            read("SECRET_KEY", "s.py"),
            read("SECRET_KEY_FILE", "s.py", 2),
            read("X_FILE", "s.py"),
        ),
    )
    assert drift(repo) == {("undocumented-variable", "X_FILE", "r:.env.example")}


def test_reads_only_tests_make_need_no_example_but_count_as_uses() -> None:
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "TEST_DB=\n"),),
        reads=(
            read("TEST_DB", "tests/conftest.py"),
            read("E2E_BROWSER", "test/application_system_test_case.rb", kind="ruby"),
            read("API_ID", "src/__tests__/a.spec.ts", kind="javascript"),
            read("GO_FLAG", "config/config_test.go", kind="go"),
        ),
    )
    assert findings(repo) == []


def test_platform_and_build_tool_names_are_ignored_by_default() -> None:
    names = ["CARGO_PKG_VERSION", "XDG_CONFIG_HOME", "RAILS_ENV", "VITEST", "BUNDLE_GEMFILE"]
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "A=1\n"),),
        reads=(read("A", "a.py"), *(read(n, "a.py") for n in names)),
    )
    assert findings(repo) == []


def test_a_vite_apps_committed_env_defaults_are_documentation_for_its_folder_only(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo(
        "pb",
        [
            {
                ".gitignore": "*.local\n",
                "ui/vite.config.js": "export default {}\n",
                "ui/.env": 'PB_BACKEND_URL = "../"\n',
                "ui/.env.development": 'PB_BACKEND_URL = "http://127.0.0.1:8090"\n',
                "ui/src/api.js": "const u = import.meta.env.PB_BACKEND_URL;\n",
                "apis/file.go": 'package apis\nimport "os"\nvar w = os.Getenv("PB_WORKERS")\n',
            }
        ],
    )
    record = collect_repo(repo, EnvPolicy())
    assert record.committed_dotenvs == ()
    assert sorted(e.path for e in record.examples) == ["ui/.env", "ui/.env.development"]
    found = {(f.rule, f.resource) for f in evaluate([record], Policy(), AS_OF)}
    # the Go backend is not covered by the front-end's defaults: it needs its own example
    assert ("missing-example", "pb:.env.example") in found
    assert not any(rule == "committed-dotenv" for rule, _ in found)
    assert ("dotenv-not-ignored", "pb:ui/.env") not in found


def test_dotenv_not_ignored_only_where_an_example_says_a_dotenv_is_made(
    make_repo: Callable[..., Path],
) -> None:
    gotify = make_repo(
        "gotify",
        [
            {
                "gotify-server.env.example": "GOTIFY_PORT=80\n",
                "m.go": 'var p = os.Getenv("GOTIFY_PORT")\n',
            }
        ],
    )
    app = make_repo(
        "app", [{"docker/.env.example": "A=1\n", "a.py": "import os\nos.environ['A']\n"}]
    )
    assert collect_repo(gotify, EnvPolicy()).unignored_dotenvs == ()  # it makes gotify-server.env
    assert collect_repo(app, EnvPolicy()).unignored_dotenvs == ("docker/.env",)


def test_rake_tasks_and_lint_configs_are_tooling() -> None:
    repo = RepoEnv(
        "r",
        examples=(example(".env.example", "A=1\n"),),
        reads=(
            read("A", "app/a.rb", kind="ruby"),
            read("COLD_ITERATIONS", "lib/tasks/benchmarking.rake", kind="ruby"),
            read("HOPP_LINT_FOR_PROD", "packages/agent/eslint.config.mjs", kind="javascript"),
        ),
    )
    assert findings(repo) == []
