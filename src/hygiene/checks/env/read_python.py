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
_TRIGGERS = ("environ", "getenv", "BaseSettings", "envvar", "decouple", "Dynaconf", "LazySettings")
_CONSTANT_HINT = re.compile(r"""^[A-Za-z_]\w*\s*(?::[^=\n]*)?=\s*[rRbBuU]?["']""", re.MULTILINE)


class _Aliases:
    """Names that stand for ``os``, ``os.environ`` and ``os.getenv`` in one module."""

    def __init__(self, nodes: list[ast.AST]) -> None:
        self.os: set[str] = set()
        self.environ: set[str] = set()
        self.getenv: set[str] = set()
        self.environ_module: set[str] = set()  # django-environ: ``import environ``
        self.env_class: set[str] = set()  # ``from environ import Env``
        self.django_env: set[str] = set()  # ``env = environ.Env()``
        self.decouple: set[str] = set()  # ``from decouple import config``; ``AutoConfig()``
        self.decouple_module: set[str] = set()
        self.dynaconf = False
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "environ":
                        self.environ_module.add(alias.asname or "environ")
                    elif alias.name == "decouple":
                        self.decouple_module.add(alias.asname or "decouple")
                    elif alias.name == "dynaconf":
                        self.dynaconf = True
            elif isinstance(node, ast.ImportFrom) and node.module in (
                "environ",
                "decouple",
                "dynaconf",
            ):
                for alias in node.names:
                    bound = alias.asname or alias.name
                    if node.module == "environ" and alias.name == "Env":
                        self.env_class.add(bound)
                    elif node.module == "decouple" and alias.name == "config":
                        self.decouple.add(bound)
                    elif node.module == "dynaconf":
                        self.dynaconf = True
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
        for node in nodes:  # names bound to a reader: env = environ.Env(), getenv = os.getenv
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
                if not isinstance(target, ast.Name):
                    continue
                if isinstance(value, ast.Call) and self.is_django_env_class(value.func):
                    self.django_env.add(target.id)
                elif isinstance(value, ast.Call) and self._is_decouple_config(value.func):
                    self.decouple.add(target.id)
                elif self.is_getenv(value) or (
                    isinstance(value, ast.Attribute)
                    and value.attr == "get"
                    and self.is_environ(value.value)
                ):
                    self.getenv.add(target.id)

    def is_django_env_class(self, node: ast.expr) -> bool:
        """``environ.Env`` (django-environ imported as a module) or ``Env`` imported from it."""
        if isinstance(node, ast.Name):
            return node.id in self.env_class
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "Env"
            and isinstance(node.value, ast.Name)
            and node.value.id in self.environ_module
        )

    def _is_decouple_config(self, node: ast.expr) -> bool:
        """python-decouple's ``AutoConfig(...)`` / ``Config(...)`` (a configured reader)."""
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return node.value.id in self.decouple_module and node.attr in ("AutoConfig", "Config")
        return False

    def is_decouple(self, node: ast.expr) -> bool:
        """python-decouple's ``config`` (imported, bound from ``AutoConfig``, or
        ``decouple.config``)."""
        if isinstance(node, ast.Name):
            return node.id in self.decouple
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "config"
            and isinstance(node.value, ast.Name)
            and node.value.id in self.decouple_module
        )

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
    tree = _parse(path, text)
    nodes = list(ast.walk(tree))
    names = _Aliases(nodes)
    reads: list[EnvRead] = []

    def add(arg: ast.expr | None, node: ast.AST, kind: str = "python", role: str = "read") -> None:
        line = getattr(node, "lineno", 0)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            reads.append(EnvRead(arg.value, path, line, kind, role=role))
        elif arg is not None:
            reads.append(EnvRead(None, path, line, kind, ast.unparse(arg), role=role))

    for node in nodes:
        for arg, kind, role in _name_args(node, names):
            add(arg, node, kind, role)
        if isinstance(node, ast.Call):
            envvar = _keyword(node, "envvar")
            options = envvar.elts if isinstance(envvar, ast.List | ast.Tuple) else [envvar]
            for option in options:
                if _str_constant(option):
                    add(option, node)
            reads.extend(_library_call(path, node, names))
    reads.extend(_settings_reads(path, nodes))
    reads = _through_wrappers(path, nodes, names, reads)
    return sorted(reads, key=lambda r: (r.line, r.name or ""))


#: django-environ's typed readers: ``env.str("X")``, ``env.bool("X", default=False)`` …
_DJANGO_ENVIRON_METHODS = frozenset(
    {
        "str", "bool", "int", "float", "decimal", "list", "tuple", "dict", "json", "url",
        "db_url", "db", "database_url", "cache_url", "cache", "email_url", "email",
        "search_url", "channels_url", "channels", "path", "bytes", "parse_value", "get_value",
    }
)  # fmt: skip


def _name_args(node: ast.AST, names: _Aliases) -> list[tuple[ast.expr, str, str]]:
    """The name arguments of one read node: (expression, kind, role)."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        if names.is_environ(node.value):
            return [(node.slice, "python", "read")]
    elif isinstance(node, ast.Call):
        func = node.func
        first = node.args[0] if node.args else _keyword(node, "key") or _keyword(node, "var")
        if first is None:
            return []
        if names.is_getenv(func) or (
            isinstance(func, ast.Attribute)
            and func.attr in _ENVIRON_METHODS
            and names.is_environ(func.value)
        ):
            role = (
                "default"
                if isinstance(func, ast.Attribute) and func.attr == "setdefault"
                else "read"
            )
            return [(first, "python", role)]
        if isinstance(func, ast.Name) and func.id in names.django_env:
            return [(first, "django-environ", "read")]
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _DJANGO_ENVIRON_METHODS
            and isinstance(func.value, ast.Name)
            and func.value.id in names.django_env
        ):
            return [(first, "django-environ", "read")]
        if names.is_decouple(func):
            return [(first, "decouple", "read")]
    elif (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.In | ast.NotIn)
        and names.is_environ(node.comparators[0])
    ):
        return [(node.left, "python", "read")]
    return []


def _library_call(path: str, node: ast.Call, names: _Aliases) -> list[EnvRead]:
    """``environ.Env(X=(bool, False))`` declares X; ``Dynaconf(envvar_prefix="APP")`` reads
    every ``APP_*`` (dynamic, with a prefix; dynaconf's default prefix is ``DYNACONF``)."""
    func = _base_name(node.func)
    if func == "Env" and names.is_django_env_class(node.func):
        return [
            EnvRead(k.arg, path, node.lineno, "django-environ")
            for k in node.keywords
            if k.arg is not None
        ]
    if func in ("Dynaconf", "LazySettings") and names.dynaconf:
        value: ast.expr | None = None
        for key in ("envvar_prefix", "ENVVAR_PREFIX_FOR_DYNACONF", "ENVVAR_PREFIX"):
            value = value or _keyword(node, key)
        if isinstance(value, ast.Constant) and value.value is False:
            return []
        prefix = _str_constant(value) if value is not None else "DYNACONF"
        expression = ast.unparse(node)[:120]
        return [
            EnvRead(
                None,
                path,
                node.lineno,
                "dynaconf",
                expression,
                prefix=f"{prefix}_" if prefix else "",
            )
        ]
    return []


def _param_name(arg: ast.expr, params: list[str]) -> tuple[str, str, str] | None:
    """(param, prefix, suffix) when ``arg`` is a parameter, or a parameter with a literal
    prefix or suffix (``key + "_FILE"``, ``f"{key}_FILE"``)."""
    if isinstance(arg, ast.Name) and arg.id in params:
        return arg.id, "", ""
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add):
        left, right = arg.left, arg.right
        if isinstance(left, ast.Name) and left.id in params and _str_constant(right) is not None:
            return left.id, "", str(_str_constant(right))
        if isinstance(right, ast.Name) and right.id in params and _str_constant(left) is not None:
            return right.id, str(_str_constant(left)), ""
    if isinstance(arg, ast.JoinedStr):
        parts = arg.values
        values = [v for v in parts if isinstance(v, ast.FormattedValue)]
        if (
            len(values) == 1
            and isinstance(values[0].value, ast.Name)
            and values[0].value.id in params
        ):
            index = parts.index(values[0])
            before = "".join(str(_str_constant(p) or "") for p in parts[:index])
            after = "".join(str(_str_constant(p) or "") for p in parts[index + 1 :])
            return values[0].value.id, before, after
    return None


def _through_wrappers(
    path: str, nodes: list[ast.AST], names: _Aliases, reads: list[EnvRead]
) -> list[EnvRead]:
    """Functions of the module that read the variable their parameter names (``def
    envbool(s, default): v = os.getenv(s, default)``): each call with a literal name is a read
    of it, and the dynamic read inside is explained when the module calls the function."""
    wrappers: dict[
        str, list[tuple[int, str, str, str]]
    ] = {}  # name → (index, prefix, suffix, kind)
    inner: dict[int, str] = {}  # line of a dynamic read inside a wrapper → the wrapper
    for fn in nodes:
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        offset = 1 if params[:1] in (["self"], ["cls"]) else 0
        for node in ast.walk(fn):
            for arg, kind, _ in _name_args(node, names):
                found = _param_name(arg, params)
                if found:
                    param, prefix, suffix = found
                    wrappers.setdefault(fn.name, []).append(
                        (params.index(param) - offset, prefix, suffix, kind)
                    )
                    inner[getattr(node, "lineno", 0)] = fn.name
    if not wrappers:
        return reads
    out: list[EnvRead] = []
    called: set[str] = set()
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
        ):
            name = func.attr
        if name not in wrappers:
            continue
        called.add(name)
        for index, prefix, suffix, kind in wrappers[name]:
            if index < 0 or index >= len(node.args):
                continue
            arg = node.args[index]
            literal = _str_constant(arg)
            if literal is not None:
                out.append(EnvRead(prefix + literal + suffix, path, node.lineno, kind))
            else:
                out.append(EnvRead(None, path, node.lineno, kind, ast.unparse(arg)))
    kept = [r for r in reads if not (r.name is None and inner.get(r.line) in called)]
    return [*kept, *out]


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
