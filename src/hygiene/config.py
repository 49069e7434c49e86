"""Policy YAML → typed ``Policy``. Errors name file:line: key, e.g.
``policies/team.yaml:12: budgets[0].amount: must be greater than 0``.

Several files merge in order (org default, then team overrides): mappings merge key by key,
scalars and most lists are replaced, and the lists of named items (budgets, exceptions, repos,
alerts.channels, rotation.registry, probes.services) are appended.

Policy files are outside input and are read defensively: at most ``MAX_POLICY_BYTES``, UTF-8
only (a UTF-8 byte-order mark is allowed; UTF-16/32, other encodings and binary data are
refused naming the line), standard YAML tags only (``!!python/...`` and any other tag are
refused), integers of at most ``MAX_INT_DIGITS`` digits, nesting at most ``MAX_DEPTH`` levels
deep, at most ``MAX_ALIASES`` aliases and ``MAX_NODES`` nodes once aliases are expanded (an
alias counts as the size of the node it names, so an alias bomb is refused while it is composed,
before anything is built from it). An empty file (no YAML document) changes nothing, like
``{}``. Each of these is a ``ConfigError`` naming ``file:line`` (and the
key when known).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hygiene.errors import ConfigError
from hygiene.policy import Policy

APPENDED_LISTS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("budgets",),
        ("exceptions",),
        ("repos",),
        ("alerts", "channels"),
        ("rotation", "registry"),
        ("probes", "services"),
    }
)

KeyPath = tuple[str | int, ...]


def load_policy(paths: Sequence[str | Path] = ()) -> Policy:
    """Load and merge policy files; no files gives the blueprint's defaults."""
    merged: dict[str, Any] = {}
    for path in paths:
        raw = _read_file(Path(path))
        merged = merge(merged, raw)
    try:
        return Policy.model_validate(merged)
    except ValidationError as exc:  # only cross-file problems get here: each file passed alone
        names = ", ".join(str(p) for p in paths) or "<defaults>"
        first = exc.errors()[0]
        raise ConfigError(
            f"{names}: {format_key(first['loc'])}: {_message(first)} (after merging the files)"
        ) from None


def validate_file(path: str | Path) -> Policy:
    """Validate one policy file on its own, as ``hygiene policy validate`` does."""
    return load_policy([path])


def _read_file(path: Path) -> dict[str, Any]:
    text = _decode(path, _read_bytes(path))
    data, lines = _parse(path, text)
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}:1: the policy must be a mapping of sections (tags:, budgets:, ...)"
        )
    try:
        Policy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc, lines)) from None
    return data


def _read_bytes(path: Path) -> bytes:
    """At most ``MAX_POLICY_BYTES`` of the file; I/O problems as errors naming the file."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_POLICY_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: policy file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a policy file") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{path}: cannot read the policy file: {reason}") from None
    if len(data) > MAX_POLICY_BYTES:
        raise ConfigError(
            f"{path}: larger than {MAX_POLICY_BYTES // 1024} KiB; is this a policy file?"
        )
    return data


_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _decode(path: Path, data: bytes) -> str:
    """UTF-8 text (a leading BOM dropped); anything else is an error naming the line."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            raise ConfigError(
                f"{path}:1: the file is {name} (byte-order mark); policy files must be UTF-8, "
                "save it as UTF-8"
            )
    nul = data.find(b"\x00")
    if nul >= 0:
        if _looks_utf16(data):
            raise ConfigError(
                f"{path}:1: the file looks like UTF-16 without a byte-order mark; policy files "
                "must be UTF-8, save it as UTF-8"
            )
        line = data.count(b"\n", 0, nul) + 1
        raise ConfigError(f"{path}:{line}: binary data (a NUL byte), not a YAML policy file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02X}); policy files must be "
            "UTF-8, save it as UTF-8"
        ) from None


def _looks_utf16(data: bytes) -> bool:
    """NUL bytes at only one parity, as ASCII text in UTF-16 LE or BE has."""
    sample = data[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return (even == 0) != (odd == 0) and max(even, odd) * 4 >= len(sample)


def _parse(path: Path, text: str) -> tuple[Any, dict[KeyPath, int]]:
    """The data of the file and the line of each key path, with ``PolicyLoader``'s limits."""
    try:
        loader = PolicyLoader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_error(path, text, exc) from None
    try:
        node = loader.get_single_node()
        if node is None:  # an empty file (or only comments) changes nothing: the defaults
            return {}, {}
        lines: dict[KeyPath, int] = {}
        _index_lines(node, (), lines, path)  # before construction, which rewrites merge keys
        return loader.construct_document(node), lines
    except PolicyYAMLError as exc:
        raise ConfigError(f"{path}:{_mark_line(exc.problem_mark)}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        line = _mark_line(exc.problem_mark or exc.context_mark)
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(path, text, exc) from None
    except yaml.YAMLError as exc:  # nothing else is expected; still an error for people
        raise ConfigError(f"{path}: invalid YAML: {type(exc).__name__}") from None
    finally:
        loader.dispose()


def _reader_error(path: Path, text: str, exc: yaml.reader.ReaderError) -> ConfigError:
    line = text.count("\n", 0, exc.position) + 1
    return ConfigError(
        f"{path}:{line}: invalid YAML: character U+{exc.character:04X} is not allowed"
    )


def _mark_line(mark: yaml.Mark | None) -> int:
    return mark.line + 1 if mark is not None else 1


# --------------------------------------------------------------------------- the YAML loader

#: Limits on a policy file (a real one is a few KiB, a few hundred nodes, a handful of levels).
MAX_POLICY_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_NODES = 100_000
MAX_INT_DIGITS = 64

_YAML = "tag:yaml.org,2002:"
#: The standard YAML tags SafeLoader builds (``<<`` merge keys included); any other is refused.
STANDARD_TAGS: frozenset[str] = frozenset(
    {
        *(
            _YAML + name
            for name in (
                "null",
                "bool",
                "int",
                "float",
                "binary",
                "timestamp",
                "omap",
                "pairs",
                "set",
                "str",
                "seq",
                "map",
            )
        ),
        _YAML + "merge",
    }
)


class PolicyYAMLError(yaml.MarkedYAMLError):
    """A policy file beyond a limit of ``PolicyLoader``, or a value its tag cannot build."""

    def __init__(self, problem: str, mark: yaml.Mark | None, key: KeyPath = ()) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.key = key

    def __str__(self) -> str:
        return f"{format_key(self.key)}: {self.problem}" if self.key else str(self.problem)


class PolicyLoader(yaml.SafeLoader):
    """SafeLoader with bounds: depth, aliases, expanded size, standard tags, integer digits.

    Sizes are counted while composing, an alias adding the expanded size of the node it names,
    so a "billion laughs" document is refused after reading a few hundred bytes.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._total = 0  # nodes composed so far, aliases expanded
        self._size: dict[yaml.Node, int] = {}
        self._height: dict[yaml.Node, int] = {}
        self._keys: list[str | int] = []
        self._key_of: dict[yaml.Node, KeyPath] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self._keys.append(_key_part(parent, index))
        try:
            if self.check_event(yaml.AliasEvent):
                return self._compose_alias(parent, index)
            return self._compose_new(parent, index)
        finally:
            self._keys.pop()

    def _here(self) -> KeyPath:
        return tuple(part for part in self._keys if part != "")

    def _compose_alias(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise PolicyYAMLError(
                f"more than {MAX_ALIASES} aliases (*name); write the values out",
                event.start_mark,
                self._here(),
            )
        target = self.anchors.get(event.anchor)
        if target is not None:
            if target not in self._size:
                raise PolicyYAMLError(
                    f"alias *{event.anchor} refers to a node that contains it",
                    event.start_mark,
                    self._here(),
                )
            self._grow(self._size[target], event.start_mark)
            if self._depth + self._height[target] > MAX_DEPTH:
                raise PolicyYAMLError(
                    f"nested deeper than {MAX_DEPTH} levels (through alias *{event.anchor})",
                    event.start_mark,
                )
        node = super().compose_node(parent, index)
        assert node is not None  # an alias always names a node
        return node

    def _compose_new(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        mark = self.peek_event().start_mark
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise PolicyYAMLError(f"nested deeper than {MAX_DEPTH} levels", mark)
        before = self._total
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        assert node is not None  # the composer is called at a node's start event
        self._grow(1, mark)
        self._size[node] = self._total - before
        self._height[node] = 1 + max((self._height[c] for c in _children(node)), default=0)
        self._key_of[node] = self._here()
        self._check_node(node)
        return node

    def _grow(self, nodes: int, mark: yaml.Mark) -> None:
        self._total += nodes
        if self._total > MAX_NODES:
            raise PolicyYAMLError(
                f"more than {MAX_NODES} YAML nodes once aliases are expanded; "
                "is this a policy file?",
                mark,
                self._here(),
            )

    def _check_node(self, node: yaml.Node) -> None:
        if node.tag not in STANDARD_TAGS:
            raise PolicyYAMLError(
                f"tag {node.tag.removeprefix(_YAML)!r} is not allowed: policy files use plain "
                "YAML (strings, numbers, booleans, null, lists and mappings)",
                node.start_mark,
                self._here(),
            )
        if node.tag == _YAML + "int" and _digits(str(node.value)) > MAX_INT_DIGITS:
            raise PolicyYAMLError(
                f"integer of more than {MAX_INT_DIGITS} digits", node.start_mark, self._here()
            )

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, IndexError, AttributeError, TypeError, OverflowError):
            kind = str(node.tag).removeprefix(_YAML)
            raise PolicyYAMLError(
                f"not a valid {kind} value", node.start_mark, self._key_of.get(node, ())
            ) from None


def _key_part(parent: yaml.Node | None, index: Any) -> str | int:
    """The key path part of a node composed under ``parent`` (``""``: none, or a mapping key)."""
    if isinstance(parent, yaml.SequenceNode) and isinstance(index, int):
        return index
    if isinstance(parent, yaml.MappingNode) and isinstance(index, yaml.ScalarNode):
        return str(index.value)
    return ""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _digits(value: str) -> int:
    return len(value.replace("_", "").lstrip("+-"))


def _index_lines(node: yaml.Node, at: KeyPath, lines: dict[KeyPath, int], path: Path) -> None:
    lines[at] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise ConfigError(
                    f"{path}:{key_node.start_mark.line + 1}: {format_key((*at, key))}: "
                    "duplicated key"
                )
            seen.add(key)
            _index_lines(value_node, (*at, key), lines, path)
            lines[(*at, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*at, index), lines, path)


def _format_errors(path: Path, exc: ValidationError, lines: dict[KeyPath, int]) -> str:
    messages = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
        line = _line_for(loc, lines)
        messages.append(f"{path}:{line}: {format_key(loc)}: {_message(error)}")
    return "\n".join(messages)


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and part.startswith("function-")


def _line_for(loc: KeyPath, lines: dict[KeyPath, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _message(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = printable(str(error.get("msg", "invalid")))
    message = message.removeprefix("Value error, ")
    return message[0].lower() + message[1:] if message else message


def format_key(loc: Iterable[object]) -> str:
    """``('budgets', 0, 'amount')`` → ``budgets[0].amount`` (control characters escaped,
    an empty or space-padded key quoted)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + _key_text(str(part))
    return out or "<root>"


def _key_text(key: str) -> str:
    """A key as written in messages: quoted when empty or padded with spaces."""
    return repr(key) if not key or key != key.strip() else printable(key)


def printable(text: str) -> str:
    """``text`` with control and other unprintable characters escaped (``\\r``, ``\\x00``), so
    a key read from a file cannot break a message into lines."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def merge(
    base: dict[str, Any], override: dict[str, Any], at: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Deep-merge two raw policy mappings (see the module docstring for the rules)."""
    result = dict(base)
    for key, value in override.items():
        here = (*at, key)
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value, here)
        elif (
            here in APPENDED_LISTS and isinstance(value, list) and isinstance(result.get(key), list)
        ):
            result[key] = [*result[key], *value]
        else:
            result[key] = value
    return result


def policy_schema() -> dict[str, Any]:
    """JSON Schema of the policy format (``policies/schema.json``)."""
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://hygiene.invalid/policy.schema.json"
    return schema
