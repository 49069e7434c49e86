"""Which read-finder applies to a file, and running it: path + text → reads. Pure.

The table below is the whole catalogue of languages; a file no finder claims is not read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePosixPath

import yaml

from hygiene.checks.env.read_clike import (
    find_dotnet_reads,
    find_elixir_reads,
    find_erb_reads,
    find_fsharp_reads,
    find_go_reads,
    find_java_reads,
    find_php_reads,
    find_ruby_reads,
    find_rust_reads,
    find_spring_config_reads,
    find_vb_reads,
)
from hygiene.checks.env.read_deploy import (
    find_actions_reads,
    find_compose_reads,
    find_kubernetes_reads,
    is_kubernetes,
)
from hygiene.checks.env.read_js import find_component_reads, find_js_reads
from hygiene.checks.env.read_python import find_python_reads
from hygiene.checks.env.read_shell import find_dockerfile_reads, find_shell_reads
from hygiene.checks.env.records import EnvRead, convention_of

Finder = Callable[[str, str], list[EnvRead]]

BY_SUFFIX: dict[str, Finder] = {
    ".py": find_python_reads,
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts"), find_js_reads),
    ".go": find_go_reads,
    **dict.fromkeys((".java", ".kt", ".kts", ".scala", ".groovy"), find_java_reads),
    ".rs": find_rust_reads,
    **dict.fromkeys((".rb", ".rake", ".gemspec", ".ru", ".jbuilder", ".podspec"), find_ruby_reads),
    **dict.fromkeys((".sh", ".bash", ".zsh", ".ksh"), find_shell_reads),
    **dict.fromkeys((".php", ".phtml"), find_php_reads),
    **dict.fromkeys((".cs", ".csx"), find_dotnet_reads),
    **dict.fromkeys((".fs", ".fsx", ".fsi"), find_fsharp_reads),
    ".vb": find_vb_reads,
    **dict.fromkeys((".ex", ".exs"), find_elixir_reads),
    ".erb": find_erb_reads,
    **dict.fromkeys((".vue", ".svelte", ".astro"), find_component_reads),
}
_SHEBANG = re.compile(
    r"^#!\s*\S*(?:/|env\s+)(?:-\S+\s+)*(?P<interpreter>(?:ba|z|k|da)?sh|ruby|python[\d.]*|node)\b"
)
_BY_INTERPRETER: dict[str, Finder] = {"ruby": find_ruby_reads, "node": find_js_reads}
#: Ruby files known by name: Bundler, Rake, Guard, Capistrano, Danger, Fastlane
RUBY_NAMES = frozenset(
    {
        "Gemfile",
        "Rakefile",
        "Guardfile",
        "Capfile",
        "Dangerfile",
        "Fastfile",
        "Appfile",
        "Podfile",
        "Vagrantfile",
        "Brewfile",
    }
)
_COMPOSE = re.compile(r"^(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml$")
_SPRING = re.compile(r"^(?:application|bootstrap)(?:[-.][\w.-]+)?\.(?:ya?ml|properties)$")
_DOCKERFILE = re.compile(
    r"^(?:Dockerfile|Containerfile)(?:\..+)?$|\.(?:dockerfile|containerfile)$", re.I
)


#: what ``finder_for`` may claim beyond BY_SUFFIX: a collector that pre-filters paths by name
#: must keep these (Spring's application*.properties, Ruby files known by name, ERB YAML)
CLAIMED_SUFFIXES = frozenset({*BY_SUFFIX, ".yml", ".yaml", ".properties"})
CLAIMED_NAMES = frozenset({*RUBY_NAMES, ".envrc"})


class UnparsableFile(ValueError):
    """A file a finder claims but cannot parse (a Python SyntaxError, invalid compose YAML)."""


def finder_for(path: str, text: str) -> Finder | None:
    """The finder for ``path`` (by name, suffix, shebang or content), or None."""
    pure = PurePosixPath(path)
    name, suffix = pure.name, pure.suffix.lower()
    if name == ".envrc":
        return find_shell_reads
    if name in RUBY_NAMES:
        return find_ruby_reads
    if _DOCKERFILE.search(name):
        return find_dockerfile_reads
    if _SPRING.match(name):
        return find_spring_config_reads
    if suffix in (".yml", ".yaml"):
        if _COMPOSE.match(name):
            return find_compose_reads
        if path.startswith(".github/workflows/"):
            return find_actions_reads
        if "<%" in text:
            return find_erb_reads  # Rails' config/*.yml and other ERB-templated YAML
        return find_kubernetes_reads if is_kubernetes(text) else None
    if suffix in BY_SUFFIX:
        return BY_SUFFIX[suffix]
    if not suffix and (shebang := _SHEBANG.match(text)):
        interpreter = shebang["interpreter"]
        if interpreter.startswith("python"):
            return find_python_reads
        return _BY_INTERPRETER.get(interpreter, find_shell_reads)
    return None


def find_reads(path: str, text: str) -> list[EnvRead]:
    """Every read in one file (empty when no finder claims it); UnparsableFile when the file
    cannot be parsed."""
    finder = finder_for(path, text)
    if finder is None:
        return []
    try:
        found = finder(path, text)
    except SyntaxError as exc:
        raise UnparsableFile(f"line {exc.lineno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise UnparsableFile(f"{where}{getattr(exc, 'problem', None) or 'invalid YAML'}") from None
    return [
        replace(read, convention=convention)
        if read.name and (convention := convention_of(read.name))
        else read
        for read in found
    ]
