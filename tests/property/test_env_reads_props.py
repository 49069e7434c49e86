"""Property tests of the env check's read-finders: over arbitrary source text (and bytes) of
every language they claim, they return reads or raise UnparsableFile — nothing else escapes —
and no string value of the source (a default, a literal, a comment, a module-level constant
that is not a variable name) ever appears in a finding or an ``env report`` row.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from hygiene.checks.env.dotenv_files import parse_dotenv
from hygiene.checks.env.read_python import find_python_constants
from hygiene.checks.env.reads import UnparsableFile, find_reads
from hygiene.checks.env.records import DotenvFile, EnvRead, RepoEnv
from hygiene.checks.env.report import inventory
from hygiene.checks.env.rules import evaluate
from hygiene.decoding import decode_text
from hygiene.errors import HygieneError
from hygiene.policy import Policy
from tests.property.conftest import examples

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)
SETTINGS = settings(max_examples=examples(60), deadline=None)

PATHS = (
    "app.py",
    "src/a.ts",
    "main.go",
    "Main.java",
    "main.rs",
    "app.rb",
    "run.sh",
    "bin/tool",
    ".envrc",
    "Dockerfile",
    "docker-compose.yml",
    ".github/workflows/ci.yml",
    "k8s/deploy.yaml",
)

#: every generated value carries it; it is never a variable name (it holds a "-")
MARK = "zq7-mark"
NAMES = st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True)
PIECES = st.text("abcXYZ019 ._:", max_size=6)
VALUES = st.tuples(PIECES, PIECES).map(lambda p: p[0] + MARK + p[1])

#: statements per file, ``{n}`` a variable name and ``{v}`` a value that must never show
TEMPLATES: dict[str, tuple[str, ...]] = {
    "app.py": (
        'a = os.environ["{n}"]',
        'b = os.getenv("{n}", "{v}")',
        'c = os.environ.get("{n}", "{v}")',
        'os.environ.setdefault("{n}", "{v}")',
        'd = "{v}"  # {v}',
        'print("{v}", os.environ[key])',
        'TOKEN = "{v}"\ne = os.getenv(TOKEN)',
        'if "{n}" in os.environ:\n    f = "{v}"',
    ),
    "src/a.ts": (
        "const a = process.env.{n};",
        'const b = process.env.{n} || "{v}";',
        'const c = "{v}"; // {v}',
        "const d = `{v} ${{process.env.{n}}}`;",
        'const e = Deno.env.get("{n}") ?? "{v}";',
        "const f = process.env[key]; /* {v} */",
    ),
    "main.go": ('a := os.Getenv("{n}")', 'b := "{v}" // {v}', 'c, _ := os.LookupEnv("{n}")'),
    "run.sh": ('echo "${n}"', 'X="${{{n}:-{v}}}"', "echo '{v}'", "# {v}", 'Y="{v}"'),
    "Dockerfile": ('ENV {n}="{v}"', 'ARG {n}="{v}"', 'RUN echo "{v}"', "# {v}"),
    "docker-compose.yml": (
        'services:\n  app:\n    image: "{v}"\n    environment:\n      {n}: "{v}"',
        'services:\n  web:\n    environment:\n      - "{n}={v}"\n    command: "{v} ${{{n}}}"',
    ),
    "k8s/deploy.yaml": (
        'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: "{v}"\n      env:\n'
        '        - name: {n}\n          value: "{v}"',
    ),
    ".github/workflows/ci.yml": ('env:\n  {n}: "{v}"\njobs:\n  t:\n    env:\n      {n}: "{v}"',),
}
HEADERS = {"app.py": "import os\n", "main.go": 'package main\nimport "os"\nfunc main() {\n'}
FOOTERS = {"main.go": "}\n"}


@st.composite
def source_files(draw: st.DrawFn) -> dict[str, str]:
    """One file per language holding every statement of its templates, in a drawn order, each
    with a fresh name and value (a YAML file takes one of its templates: each is a whole
    document)."""
    files: dict[str, str] = {}
    for path, templates in sorted(TEMPLATES.items()):
        if path.endswith((".yml", ".yaml")):
            chosen = [draw(st.sampled_from(templates))]
        else:
            chosen = draw(st.permutations(templates))
        statements = [t.format(n=draw(NAMES), v=draw(VALUES)) for t in chosen]
        files[path] = HEADERS.get(path, "") + "\n".join(statements) + "\n" + FOOTERS.get(path, "")
    return files


def _record(files: dict[str, str], documented: list[str]) -> RepoEnv:
    reads: list[EnvRead] = []
    constants: list[tuple[str, str]] = []
    for path, text in files.items():
        reads += find_reads(path, text)
        if path.endswith(".py"):
            constants += find_python_constants(path, text).items()
    example = "".join(f"{name}=1\n" for name in documented)
    return RepoEnv(
        "r",
        examples=(DotenvFile(".env.example", parse_dotenv(example).entries()),),
        reads=tuple(reads),
        constants=tuple(constants),
    )


@SETTINGS
@given(st.sampled_from(PATHS), st.text(max_size=300))
def test_any_text_gives_reads_or_unparsable(path: str, text: str) -> None:
    try:
        reads = find_reads(path, text)
        if path.endswith(".py"):
            find_python_constants(path, text)
    except (UnparsableFile, HygieneError):
        return
    assert all(r.path == path and r.line >= 1 for r in reads)


@SETTINGS
@given(st.sampled_from(PATHS), st.binary(max_size=300))
def test_any_bytes_give_reads_or_unparsable(path: str, data: bytes) -> None:
    text = decode_text(data)
    if text is None:
        return
    with contextlib.suppress(UnparsableFile, HygieneError):
        find_reads(path, text)


@SETTINGS
@given(source_files(), st.lists(NAMES, max_size=4))
def test_no_value_of_the_source_reaches_a_finding(
    files: dict[str, str], documented: list[str]
) -> None:
    try:
        repo = _record(files, documented)
    except UnparsableFile as exc:  # a template must always parse: this is a bug of the test
        raise AssertionError(f"{files!r}: {exc}") from None
    findings = evaluate([repo], Policy(), AS_OF)
    rows = [row.to_json() for row in inventory(repo, Policy().env)]
    shown = json.dumps([[f.to_contract() for f in findings], rows], ensure_ascii=False)
    assert MARK not in shown + repr(findings)
