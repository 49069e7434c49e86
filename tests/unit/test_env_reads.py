"""Read-finders, one language family at a time: exact sets of (name, line), near misses
(comments, strings, assignments) left out, computed names reported as dynamic."""

from __future__ import annotations

import pytest

from hygiene.checks.env.reads import UnparsableFile, find_reads, finder_for
from tests.fixtures.env import fixture_files


def reads_of(family: str, path: str) -> tuple[set[tuple[str, int]], set[int]]:
    text = fixture_files(family)[path]
    found = find_reads(path, text)
    return {(r.name, r.line) for r in found if r.name}, {r.line for r in found if r.name is None}


def test_python_reads_with_aliases_membership_and_settings_fields() -> None:
    static, dynamic = reads_of("python", "app/settings.py")
    assert static == {
        ("DATABASE_URL", 10),
        ("REDIS_URL", 11),
        ("REQUEST_TIMEOUT", 12),
        ("API_TOKEN", 13),
        ("AWS_REGION", 14),
        ("HOME", 15),
        ("APP_DEBUG", 29),
        ("APP_WORKERS", 30),
        ("PUBLIC_URL", 31),
    }
    assert dynamic == {23}
    assert reads_of("python", "app/main.py") == ({("FEATURE_FLAGS", 3)}, set())


def test_python_settings_prefix_from_class_config_and_field_env() -> None:
    text = (
        "from pydantic import BaseSettings, Field\n"
        "class S(BaseSettings):\n"
        "    class Config:\n"
        "        env_prefix = 'svc_'\n"
        "    name: str\n"
        "    token: str = Field('', env='RAW_TOKEN')\n"
        "    _private: int = 0\n"
        "class NotSettings:\n"
        "    field: str\n"
    )
    assert {(r.name, r.kind) for r in find_reads("s.py", text)} == {
        ("SVC_NAME", "pydantic-settings"),
        ("RAW_TOKEN", "pydantic-settings"),
    }


def test_python_syntax_error_is_unparsable() -> None:
    with pytest.raises(UnparsableFile, match="line 2"):
        find_reads("bad.py", "import os\ndef broken(:\n    return os.environ['X']\n")
    # a file that never mentions the environment is not parsed at all: it has no reads to miss
    assert find_reads("other.py", "def broken(:\n") == []


def test_javascript_and_typescript() -> None:
    static, dynamic = reads_of("javascript", "src/server.ts")
    assert static == {
        ("API_URL", 4),
        ("PORT", 5),
        ("SESSION_SECRET", 6),
        ("DB_POOL_SIZE", 6),
        ("CALLBACK_HOST", 7),
        ("NODE_ENV", 8),
    }
    assert dynamic == {10}
    assert reads_of("javascript", "web/main.js") == (
        {("VITE_PUBLIC_KEY", 1), ("VITE_SENTRY_DSN", 3)},
        set(),
    )


def test_javascript_near_misses() -> None:
    text = (
        "const a = myprocess.env.NOPE_1;\n"
        "const b = 'process.env.NOPE_2';\n"
        "const c = `process.env.NOPE_3 ${process.env.YES_1}`;\n"
        "// const d = process.env.NOPE_4;\n"
        "const { e } = otherObject;\n"
        "Deno.env.get('YES_2');\n"
    )
    assert {(r.name, r.line) for r in find_reads("x.mjs", text)} == {("YES_1", 3), ("YES_2", 6)}


def test_shell_script() -> None:
    static, dynamic = reads_of("shell", "scripts/deploy.sh")
    assert static == {("IMAGE_TAG", 4), ("DEPLOY_TARGET", 4), ("RETRIES", 6), ("DEPLOY_KEY", 13)}
    assert dynamic == set()


def test_shell_by_shebang_without_suffix_and_envrc() -> None:
    assert finder_for("bin/run", "#!/bin/sh\necho $X\n") is not None
    assert finder_for("bin/run", "just text $X\n") is None
    assert {r.name for r in find_reads(".envrc", "export A=1\necho $B\n")} == {"B"}


def test_dockerfile_compose_actions_kubernetes() -> None:
    assert reads_of("shell", "Dockerfile") == (
        {("IMAGE_TAG", 3), ("APP_PORT", 4), ("LOG_FORMAT", 4)},
        set(),
    )
    assert reads_of("shell", "docker-compose.yml") == (
        {("IMAGE_TAG", 3), ("DB_HOST", 5), ("CACHE_TTL", 6), ("COMPOSE_ONLY_VAR", 7)},
        set(),
    )
    assert reads_of("shell", ".github/workflows/ci.yml") == (
        {("METRICS_TOKEN", 4), ("GITHUB_TOKEN", 9), ("CI_SHARD", 13)},
        set(),
    )
    assert reads_of("shell", "k8s/deployment.yaml") == (
        {("DB_HOST", 12), ("K8S_ONLY_VAR", 14)},
        set(),
    )
    assert reads_of("shell", "k8s/not-a-manifest.yaml") == (set(), set())


def test_invalid_compose_yaml_is_unparsable_but_a_helm_template_is_not_claimed() -> None:
    with pytest.raises(UnparsableFile):
        find_reads("docker-compose.yml", "services: [unclosed\n")
    assert find_reads("chart/templates/deploy.yaml", "apiVersion: {{ .Values.v }}\nkind: [\n") == []


def test_go_java_rust_ruby() -> None:
    assert reads_of("compiled", "cmd/api/main.go") == (
        {("GO_LISTEN_ADDR", 10), ("GO_DEBUG", 11)},
        {17},
    )
    assert reads_of("compiled", "src/main/java/app/Main.java") == (
        {("JAVA_HEAP", 6), ("JAVA_PROFILE", 7)},
        set(),
    )
    assert reads_of("compiled", "src/main.rs") == ({("RUST_LOG", 5), ("RUST_THREADS", 6)}, set())
    assert reads_of("compiled", "lib/app.rb") == (
        {("RAILS_MASTER_KEY", 2), ("RUBY_POOL", 3), ("RUBY_INTERPOLATED", 4)},
        {6},
    )


def test_rust_macros_and_raw_strings() -> None:
    text = 'let a = env!("BUILD_A");\nlet b = option_env!("BUILD_B");\nlet s = r#"env::var("NOPE")"#;\n'
    assert {(r.name, r.line) for r in find_reads("build.rs", text)} == {
        ("BUILD_A", 1),
        ("BUILD_B", 2),
    }


def test_files_no_finder_claims() -> None:
    assert finder_for("README.md", "process.env.X") is None
    assert finder_for("data.json", '{"a": "$X"}') is None


def test_click_and_typer_envvar_options_are_reads() -> None:
    text = (
        "import click\n"
        "@click.option('--state', envvar='APP_STATE')\n"
        "@click.option('--level', envvar=['APP_LEVEL', 'LOG_LEVEL'])\n"
        "def main(state, level): ...\n"
    )
    assert {(r.name, r.line) for r in find_reads("cli.py", text)} == {
        ("APP_STATE", 2),
        ("APP_LEVEL", 3),
        ("LOG_LEVEL", 3),
    }


def test_python_module_constants() -> None:
    from hygiene.checks.env.read_python import find_python_constants

    text = 'A_ENV = "TOKEN"\nB: str = "OTHER"\nTWICE = "X"\nTWICE = "Y"\nN = 3\ndef f():\n    LOCAL = "Z"\n'
    assert find_python_constants("c.py", text) == {"A_ENV": "TOKEN", "B": "OTHER"}


def test_mask_keeps_offsets_and_hides_only_comments_and_string_contents() -> None:
    from hygiene.checks.env.lexing import HIDDEN, JAVASCRIPT, RUBY, mask

    js = 'a("x\\"y"); // c\n/* b\nb */ `t ${f("z")} u`;\n'
    masked = mask(js, JAVASCRIPT)
    assert len(masked) == len(js) and masked.count("\n") == js.count("\n")
    h = HIDDEN
    assert (
        masked == f'a("{h * 4}"); {" " * 4}\n{" " * 4}\n{" " * 4} `{h * 2}${{f("{h}")}}{h * 2}`;\n'
    )
    rb = 'x = "a #{ENV["K"]} b" # note\n'
    assert mask(rb, RUBY) == f'x = "{h * 2}#{{ENV["{h}"]}}{h * 2}" {" " * 6}\n'


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("m.go", 'v := myos.Getenv("NO_1") + os.GetenvX("NO_2") + os.Getenv("YES")', {"YES"}),
        (
            "A.java",
            'MySystem.getenv("NO_1"); System.getenvX("NO_2"); System.getenv("YES");',
            {"YES"},
        ),
        ("a.rb", 'MY_ENV["NO_1"]; ENVIRONMENT["NO_2"]; x.ENV["NO_3"]; ENV["YES"]', {"YES"}),
        ("m.rs", 'my_env::var("NO_1"); env::variable("NO_2"); env::var("YES")', {"YES"}),
        ("a.sh", "echo \\$NO_1 $$ \"$YES\" '$NO_2'  # $NO_3", {"YES"}),
        ("a.sh", "NO_1=1\necho $NO_1 ${lower_case}\n", set()),
        (
            "a.py",
            'env = {"NO_1": 1}\nenv["NO_1"]\nenviron = {}\nenviron["NO_2"]\nimport os\nos.environ["YES"]\n',
            {"YES"},
        ),
        (
            "a.ts",
            "const x = { process: { env: 1 } }; x.process.env.NO_1; process.envy.NO_2; process.env.YES",
            {"YES"},
        ),
    ],
)
def test_near_misses_are_not_reads(path: str, text: str, expected: set[str]) -> None:
    assert {r.name for r in find_reads(path, text)} == expected


def test_python_settings_subclasses_inherit_config_and_case_sensitive_keeps_case() -> None:
    text = (
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n"
        "class Base(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_prefix='svc_')\n"
        "    host: str\n"
        "class Prod(Base):\n"
        "    replicas: int = 3\n"
        "class Exact(BaseSettings):\n"
        "    model_config = {'case_sensitive': True, 'env_prefix': 'My_'}\n"
        "    Value: str\n"
    )
    assert {(r.name, r.line) for r in find_reads("s.py", text)} == {
        ("SVC_HOST", 4),
        ("SVC_REPLICAS", 6),
        ("My_Value", 9),
    }


def test_python_injected_environment_mapping_is_read() -> None:
    source = (
        "ENDPOINT_ENV = 'SVC_ENDPOINT'\n"
        "def connect(environ):\n"
        "    return environ.get('SVC_TOKEN'), environ[ENDPOINT_ENV]\n"
        "def run(ctx):\n"
        "    return ctx.environ.get('SVC_REGION')\n"
        "def unrelated(settings):\n"
        "    return settings.get('NOT_A_READ')\n"
    )
    found = find_reads("svc/client.py", source)
    assert {(r.name, r.line) for r in found if r.name} == {("SVC_TOKEN", 3), ("SVC_REGION", 5)}
    assert {r.line for r in found if not r.name} == {3}  # environ[ENDPOINT_ENV]: resolved repo-wide


def test_shell_indented_assignment_makes_a_local() -> None:
    script = (
        "#!/bin/sh\n"
        "if [ -f x ]; then\n"
        '  PORT="$(cat x)"\n'
        "else\n"
        '  PORT="${BASE_PORT:-5432}"\n'
        "fi\n"
        'echo "$PORT $DB_NAME"\n'
    )
    found = find_reads("scripts/start.sh", script)
    assert {(r.name, r.line) for r in found} == {("BASE_PORT", 5), ("DB_NAME", 7)}
