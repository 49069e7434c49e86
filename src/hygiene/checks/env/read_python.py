"""Variable reads in Python, with the ``ast`` module.

Reads: ``os.environ["X"]``, ``os.environ.get("X")``, ``os.environ.setdefault("X", …)``,
``os.environ.pop("X")``, ``"X" in os.environ``, ``os.getenv("X")``, ``environ.get`` /
``getenv`` imported from ``os`` (under any alias), an injected environment mapping named
``environ`` (``def run(environ): environ.get("X")``, ``ctx.environ["X"]``), and the fields of pydantic ``BaseSettings``
classes (``env_prefix``, ``alias``/``validation_alias``, pydantic v1 ``Field(env=…)``).
``envvar="X"`` (or a list of names) in a call is the click/typer option's variable. Assignments
(``os.environ["X"] = v``) are not reads. A non-literal name is a dynamic read; its expression is
kept so that a module-level string constant (``os.getenv(TOKEN_ENV)``, see
``find_python_constants``) can resolve it across the repository.
"""

from __future__ import annotations

import ast
import re
import threading
from functools import lru_cache

from hygiene.checks.env.records import EnvRead

_ENVIRON_METHODS = {"get", "setdefault", "pop", "__getitem__"}
#: a file without any of these words cannot hold a read: it is not parsed for reads.
_TRIGGERS = ("environ", "getenv", "BaseSettings", "envvar")
_CONSTANT_HINT = re.compile(r"""^[A-Za-z_]\w*\s*(?::[^=\n]*)?=\s*[rRbBuU]?["']""", re.MULTILINE)


class _Aliases:
    """Names that stand for ``os``, ``os.environ`` and ``os.getenv`` in one module."""

    def __init__(self, nodes: list[ast.AST]) -> None:
        self.os: set[str] = set()
        self.environ: set[str] = set()
        self.getenv: set[str] = set()
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "os":
                        self.os.add(alias.asname or "os")
            elif isinstance(node, ast.ImportFrom) and node.module == "os":
                for alias in node.names:
                    if alias.name in ("environ", "environb"):
                        self.environ.add(alias.asname or alias.name)
                    elif alias.name in ("getenv", "getenvb"):
                        self.getenv.add(alias.asname or alias.name)
            elif isinstance(node, ast.arg) and node.arg == "environ":
                self.environ.add("environ")  # the environment passed in as a parameter

    def is_environ(self, node: ast.expr) -> bool:
        """``os.environ`` under any alias, or an environment passed in: a parameter called
        ``environ`` or an attribute ``.environ`` (``environ.get(X)``, ``ctx.environ[X]``), the
        usual way testable code receives the environment. A local dict that happens to be
        called ``environ`` is not one."""
        if isinstance(node, ast.Name):
            return node.id in self.environ
        return isinstance(node, ast.Attribute) and node.attr in ("environ", "environb")

    def is_getenv(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.getenv
        return (
            isinstance(node, ast.Attribute)
            and node.attr in ("getenv", "getenvb")
            and isinstance(node.value, ast.Name)
            and node.value.id in self.os
        )


# CPython 3.11's AST conversion keeps its recursion depth in per-interpreter state, so two
# threads parsing at once (the env and readiness checks run concurrently) can fail with
# "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905). Parse one at a time.
_PARSE_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _parse(path: str, text: str) -> ast.Module:
    with _PARSE_LOCK:
        return ast.parse(text, filename=path)


def find_python_constants(path: str, text: str) -> dict[str, str]:
    """Module-level names bound once, to a string literal: ``TOKEN_ENV = "API_TOKEN"``."""
    values: dict[str, str] = {}
    seen: set[str] = set()
    if not _CONSTANT_HINT.search(text):
        return values
    try:
        body = _parse(path, text).body
    except SyntaxError:
        return values
    for stmt in body:
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            targets, value = [stmt.target], stmt.value
        for target in targets:
            if isinstance(target, ast.Name):
                if target.id in seen:
                    values.pop(target.id, None)
                    continue
                seen.add(target.id)
                constant = _str_constant(value)
                if constant is not None:
                    values[target.id] = constant
    return values


def find_python_reads(path: str, text: str) -> list[EnvRead]:
    """Every environment read in Python source ``text``; SyntaxError propagates."""
    if not any(word in text for word in _TRIGGERS):
        return []  # the common case, without parsing the file
    nodes = list(ast.walk(_parse(path, text)))
    names = _Aliases(nodes)
    reads: list[EnvRead] = []

    def add(arg: ast.expr | None, node: ast.AST) -> None:
        line = getattr(node, "lineno", 0)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            reads.append(EnvRead(arg.value, path, line, "python"))
        elif arg is not None:
            reads.append(EnvRead(None, path, line, "python", ast.unparse(arg)))

    for node in nodes:
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            if names.is_environ(node.value):
                add(node.slice, node)
        elif isinstance(node, ast.Call):
            func = node.func
            first = node.args[0] if node.args else _keyword(node, "key")
            if names.is_getenv(func) or (
                isinstance(func, ast.Attribute)
                and func.attr in _ENVIRON_METHODS
                and names.is_environ(func.value)
            ):
                add(first, node)
            envvar = _keyword(node, "envvar")
            options = envvar.elts if isinstance(envvar, ast.List | ast.Tuple) else [envvar]
            for option in options:
                if _str_constant(option):
                    add(option, node)
        elif (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and names.is_environ(node.comparators[0])
        ):
            add(node.left, node)
    reads.extend(_settings_reads(path, nodes))
    return sorted(reads, key=lambda r: (r.line, r.name or ""))


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _str_constant(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _own_config(cls: ast.ClassDef) -> dict[str, object]:
    """``env_prefix`` / ``case_sensitive`` set by the class itself: ``model_config =
    SettingsConfigDict(…)`` (or a dict) or pydantic v1's ``class Config:``."""
    found: dict[str, object] = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == "model_config" for t in targets):
                value = stmt.value
                if isinstance(value, ast.Call):
                    pairs = [(k.arg, k.value) for k in value.keywords]
                elif isinstance(value, ast.Dict):
                    pairs = [
                        (_str_constant(k), v) for k, v in zip(value.keys, value.values, strict=True)
                    ]
                else:
                    pairs = []
                for key, item in pairs:
                    if key in _CONFIG_KEYS and isinstance(item, ast.Constant):
                        found[key] = item.value
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            for inner in stmt.body:
                if isinstance(inner, ast.Assign) and isinstance(inner.value, ast.Constant):
                    for target in inner.targets:
                        if isinstance(target, ast.Name) and target.id in _CONFIG_KEYS:
                            found[target.id] = inner.value.value
    return found


_CONFIG_KEYS = ("env_prefix", "case_sensitive")


def _settings_reads(path: str, nodes: list[ast.AST]) -> list[EnvRead]:
    """Fields of ``BaseSettings`` subclasses, and of their subclasses in the same module (which
    inherit the parent's configuration)."""
    configs: dict[str, dict[str, object]] = {"BaseSettings": {}}
    reads: list[EnvRead] = []
    classes = sorted((n for n in nodes if isinstance(n, ast.ClassDef)), key=lambda c: c.lineno)
    for cls in classes:
        parent = next((_base_name(b) for b in cls.bases if _base_name(b) in configs), None)
        if parent is None:
            continue
        config = {**configs[parent], **_own_config(cls)}
        configs[cls.name] = config
        reads.extend(_settings_fields(path, cls, config))
    return reads


def _settings_fields(path: str, cls: ast.ClassDef, config: dict[str, object]) -> list[EnvRead]:
    """One read per field; pydantic-settings matches names case-insensitively unless
    ``case_sensitive`` is set, so they are upper-cased."""
    prefix = str(config.get("env_prefix") or "")
    sensitive = config.get("case_sensitive") is True
    reads = []
    for stmt in cls.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        field = stmt.target.id
        if (
            field.startswith("_")
            or field == "model_config"
            or "ClassVar" in ast.unparse(stmt.annotation)
        ):
            continue
        explicit = None
        if isinstance(stmt.value, ast.Call) and _base_name(stmt.value.func) == "Field":
            for key in ("validation_alias", "alias", "env"):
                explicit = _str_constant(_keyword(stmt.value, key))
                if explicit:
                    break
        name = explicit if explicit else prefix + field
        reads.append(
            EnvRead(name if sensitive else name.upper(), path, stmt.lineno, "pydantic-settings")
        )
    return reads
