"""The engine: detect-secrets' plugins and filters behind hygiene's prefilter and line cap.

``scan_content`` follows detect-secrets' own ``scan_file`` step for step — file-name filters,
transformers (INI, YAML, then the eager INI pass when nothing was found), line filters, every
plugin, secret filters — with two differences: only the lines the prefilter selects reach the
plugins (and only the plugins whose trigger matched), and lines longer than the cap are skipped.
Then hygiene's own false-positive filters (``filters.py``) run. Verification is off: a batch job
makes no calls to third-party APIs.

detect-secrets keeps its configuration in process-global settings; ``configure()`` sets them once
per process (the worker processes call it in their initializer).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import io
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hygiene.scan.filters as hygiene_filters
from hygiene.scan.hits import Category, SecretHit

#: 2: legacy and UTF-16 text decoded; 3: hit categories, engines; 4: filters by kind;
#: 5: ``pragma: allowlist secret`` honoured for every engine
ENGINE_VERSION = "5"
#: detect-secrets' filters that assume a file on disk; the engine scans blob contents.
DISABLED_FILTERS = ("detect_secrets.filters.common.is_invalid_file",)

_lock = threading.Lock()
_configured = False


@dataclass(frozen=True)
class EngineConfig:
    """What changes the result of scanning a text (its fingerprint keys the blob cache)."""

    max_line_length: int = 4000
    max_file_bytes: int = 2_000_000
    prefilter: bool = True
    hygiene_filters: bool = True
    #: the detectors that run over each text, in order (names of :data:`ENGINES`)
    engines: tuple[str, ...] = ("kingfisher", "hygiene")

    def fingerprint(self) -> str:
        """A stable hash of the engine, detect-secrets' version, and this configuration.

        The plugin set (all of the installed detect-secrets' plugins) and its default filters
        follow from its version, so the fingerprint needs no import of detect-secrets: a warm
        rescan that finds every blob cached never loads it.
        """
        data = {
            "engine": ENGINE_VERSION,
            "disabled_filters": list(DISABLED_FILTERS),
            "hygiene_filters": list(hygiene_filters.VALUE_FILTERS) if self.hygiene_filters else [],
            "max_line_length": self.max_line_length,
            "max_file_bytes": self.max_file_bytes,
            "prefilter": self.prefilter,
            "engines": {name: engine_version(name) for name in self.engines},
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class ContentResult:
    """The outcome of scanning one text: hits, or why it was not scanned."""

    hits: list[SecretHit] = field(default_factory=list)
    skipped: str | None = None  # "binary" | "too-large" | "excluded-file"
    long_lines: int = 0
    #: path → whether detect-secrets' file-name filters exclude it (kept for blobs with hits,
    #: so a warm rescan need not load detect-secrets to decide)
    file_filtered: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-able form for the scanned-blob cache (hashes and previews only)."""
        return {
            "hits": [h.to_json() for h in self.hits],
            "skipped": self.skipped,
            "long_lines": self.long_lines,
            "file_filtered": self.file_filtered,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContentResult:
        """The inverse of :meth:`to_json`."""
        return cls(
            hits=[SecretHit.from_json(h) for h in data.get("hits", [])],
            skipped=data.get("skipped"),
            long_lines=int(data.get("long_lines", 0)),
            file_filtered=dict(data.get("file_filtered") or {}),
        )


def configure() -> None:
    """Set detect-secrets' global settings once: every plugin, default filters, no file checks."""
    global _configured
    with _lock:
        if _configured:
            return
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.settings import get_settings

        settings = get_settings()
        plugin_classes: list[type] = list(get_mapping_from_secret_type_to_class().values())
        settings.configure_plugins([{"name": plugin.__name__} for plugin in plugin_classes])
        settings.disable_filters(*DISABLED_FILTERS)
        _configured = True


class _NamedText(io.StringIO):
    """A text with a file name, as detect-secrets' transformers expect."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name


_triggers: dict[bool, list[Any]] = {}


def _plugins() -> list[Any]:
    from detect_secrets.settings import get_plugins

    return list(get_plugins())


def _get_triggers() -> list[Any]:
    from hygiene.scan.prefilter import trigger_for

    if False not in _triggers:
        _triggers[False] = [trigger_for(p) for p in _plugins()]
    return _triggers[False]


# A line configparser would reject: not blank, not a comment, not indented (a continuation),
# not a [section], and no '=' or ':' delimiter. Any such line makes the whole INI parse fail.
_NOT_INI_LINE = re.compile(r"^(?![ \t]|[#;\[]|[ \t]*$)[^=:\n]*$", re.MULTILINE)


_FIRST_CONTENT_LINE = re.compile(r"^[ \t]*[^ \t\n#;]", re.MULTILINE)


def _could_be_ini(text: str, with_header: bool) -> bool:
    """False when configparser must reject ``text`` (``with_header``: after ``[global]``)."""
    if not with_header:  # the first line with content must open a [section]
        first = _FIRST_CONTENT_LINE.search(text)
        if first is None or not first.group().lstrip().startswith("["):
            return False
    return _NOT_INI_LINE.search(text) is None


def _transformed(text: str, path: str, eager: bool) -> list[str] | None:
    """detect-secrets' ``get_transformed_file``, skipping INI parses that must fail."""
    from detect_secrets.transformers import ParsingError, get_transformers
    from detect_secrets.transformers.config import ConfigFileTransformer, EagerConfigFileTransformer

    transformer: Any
    for transformer in get_transformers():
        if not transformer.should_parse_file(path) or eager != transformer.is_eager:
            continue
        is_ini = isinstance(transformer, ConfigFileTransformer | EagerConfigFileTransformer)
        if is_ini and not _could_be_ini(text, with_header=eager):
            continue
        try:
            return list(transformer.parse_file(_NamedText(text, path)))
        except (ParsingError, UnicodeDecodeError):
            continue
    return None


#: detect-secrets' own file-name filters (``detect_secrets.filters.heuristic``: is_lock_file,
#: is_non_text_file, is_swagger_file), copied so that deciding whether to scan a file never
#: imports detect-secrets (0.3 s a run); a test keeps the copy equal to the installed version.
DETECT_SECRETS_LOCK_FILES = frozenset(
    {
        "Brewfile.lock.json", "Cartfile.resolved", "composer.lock", "Gemfile.lock",
        "Package.resolved", "package-lock.json", "Podfile.lock", "yarn.lock", "Pipfile.lock",
        "poetry.lock", "Cargo.lock", "packages.lock.json",
    }
)  # fmt: skip
DETECT_SECRETS_NON_TEXT = frozenset(
    {
        ".7z", ".bin", ".bmp", ".bz2", ".class", ".css", ".dmg", ".doc", ".eot", ".exe", ".gif",
        ".gz", ".ico", ".iml", ".ipr", ".iws", ".jar", ".jpeg", ".jpg", ".lock", ".map", ".mo",
        ".pdf", ".png", ".prefs", ".psd", ".rar", ".realm", ".s7z", ".sum", ".svg", ".tar",
        ".tif", ".tiff", ".ttf", ".webp", ".woff", ".xls", ".xlsx", ".zip",
    }
)  # fmt: skip


@functools.lru_cache(maxsize=65536)
@functools.lru_cache(maxsize=65536)
def file_filtered(path: str) -> bool:
    """True when the file name alone rules the file out (lock files, binaries, swagger)."""
    if hygiene_filters.is_extra_lock_file(path):
        return True
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    suffix = name[dot:] if dot > 0 else ""
    return (
        name in DETECT_SECRETS_LOCK_FILES or suffix in DETECT_SECRETS_NON_TEXT or "swagger" in path
    )


def decode(content: bytes) -> str | None:
    """Text with universal newlines, or None for binary content: UTF-8, UTF-16/32 (with a BOM,
    or BOM-less UTF-16) and legacy cp1252/latin-1 text (``hygiene.decoding.decode_text``), so a
    key in a Windows-1252 or UTF-16 file is scanned rather than skipped as binary."""
    from hygiene.decoding import decode_text

    text = decode_text(content)
    if text is None:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


#: The detectors a text can go through: name → ``"module:function"``, each a
#: ``(text, path, config, result) -> list[SecretHit]`` that applies hygiene's filters to what it
#: finds (it alone holds the values) and counts skipped long lines in ``result``.
ENGINES: dict[str, str] = {
    "detect-secrets": "hygiene.scan.engine:detect_secrets_hits",
    "kingfisher": "hygiene.scan.kingfisher:detect",
    "hygiene": "hygiene.scan.formats:detect",
}
#: Which of two hits on the same value and line is kept: the more specific kind.
CATEGORY_RANK = {
    "provider-token": 0,
    "private-key": 1,
    "password": 2,
    "password-hash": 3,
    "generic": 4,
    "encrypted-file": 5,
}


def engine_version(name: str) -> str:
    """The version of an engine's rules, for the cache fingerprint: its module's ``version()``
    (an unknown name is an error)."""
    if name not in ENGINES:
        raise ValueError(f"unknown secrets engine {name!r}; engines: {', '.join(ENGINES)}")
    module, _, _ = ENGINES[name].partition(":")
    return str(importlib.import_module(module).version())


def version() -> str:
    """The detect-secrets engine's version: the installed detect-secrets (its plugin set and
    default filters follow from it), read without importing it."""
    from importlib.metadata import version as installed

    return installed("detect-secrets")


@functools.cache
def _engine(name: str) -> Any:
    module, _, attribute = ENGINES[name].partition(":")
    return getattr(importlib.import_module(module), attribute)


_engine_lock = threading.RLock()
_engine_pid = os.getpid()


def engine_lock() -> threading.RLock:
    """Held while an engine scans in this process and while the scan pool forks its workers.

    The checks run in threads, and the secrets check forks scan workers: a worker forked while
    another thread was inside an engine (Kingfisher's Rust scanner, the Vectorscan prefilter,
    each with locks of their own) inherits those locks held and waits on them for ever. Forking
    under this lock means no engine is mid-scan at that moment. A forked child gets a new lock.
    """
    global _engine_lock, _engine_pid
    if _engine_pid != os.getpid():
        _engine_lock, _engine_pid = threading.RLock(), os.getpid()
    return _engine_lock


def scan_content(text: str, path: str, config: EngineConfig | None = None) -> ContentResult:
    """Scan one text as if it were the file ``path`` (its name picks filters and transformers),
    with every engine of ``config.engines``; one hit per value and line, the most specific."""
    config = config or EngineConfig()
    result = ContentResult()
    if file_filtered(path):
        result.skipped = "excluded-file"
        return result
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    hits: list[SecretHit] = []
    with engine_lock():
        for name in config.engines:
            found = _engine(name)(text, path, config, result)
            if name != "detect-secrets":  # detect-secrets applies its own allowlist filter
                found = without_allowlisted(found, text, path)
            hits += found
    result.hits = merge_hits(hits)
    return result


#: detect-secrets' inline comment syntaxes (``detect_secrets.filters.allowlist``): (start, end)
_COMMENTS = (("#", ""), ("//", ""), (r"/\*", r" *\*/"), ("'", ""), ("--", ""),
             (r"<!--[# \t]*?", " *?-->"))  # fmt: skip


@functools.cache
def _allowlist_pattern(yaml: bool, nextline: bool) -> re.Pattern[str]:
    """detect-secrets' allowlist pragma in any of its comment syntaxes (only ``#`` in a
    ``.yaml`` file); a nextline pragma must be alone on its line."""
    comments = _COMMENTS[:1] if yaml else _COMMENTS
    word = "allowlist[ -]nextline" if nextline else "(?:allow|white)list"
    caret = "^" if nextline else ""  # nothing may precede a nextline pragma
    return re.compile(
        "|".join(
            rf"(?:{caret}[ \t]*{start} *pragma: ?{word}[ -]secret.*?{end}[ \t]*$)"
            for start, end in comments
        )
    )


def is_allowlisted(line: str, previous: str, path: str) -> bool:
    """True when ``line`` carries detect-secrets' ``pragma: allowlist secret`` comment, or the
    line before it is ``pragma: allowlist nextline secret`` (the same rules as detect-secrets)."""
    yaml = os.path.splitext(path)[1] == ".yaml"
    return bool(
        _allowlist_pattern(yaml, nextline=False).search(line)
        or _allowlist_pattern(yaml, nextline=True).search(previous)
    )


def without_allowlisted(hits: list[SecretHit], text: str, path: str) -> list[SecretHit]:
    """``hits`` less those on a line the user allowlisted (``pragma: allowlist secret``)."""
    if not hits or "pragma" not in text:
        return hits
    lines = text.split("\n")

    def line(number: int) -> str:
        return lines[number - 1] if 0 < number <= len(lines) else ""

    return [h for h in hits if not is_allowlisted(line(h.line), line(h.line - 1), path)]


def merge_hits(hits: list[SecretHit]) -> list[SecretHit]:
    """One engine's word per (line, value): where engines agree, the one whose hit is the most
    specific category (then the first engine) is kept; an engine's own hits are left as it made
    them (detect-secrets reports one value under two types, and its baselines expect both)."""
    groups: dict[tuple[int, str], list[SecretHit]] = {}
    for hit in hits:
        groups.setdefault((hit.line, hit.sha256), []).append(hit)
    kept: list[SecretHit] = []
    for group in groups.values():
        best = min(group, key=lambda h: CATEGORY_RANK[h.category])
        kept += [h for h in group if h.engine == best.engine]
    return kept


def detect_secrets_hits(
    text: str, path: str, config: EngineConfig, result: ContentResult
) -> list[SecretHit]:
    """detect-secrets' plugins over ``text`` (its passes: plain, then its INI/YAML transformers)."""
    configure()
    for lines, joined in _passes(text, path):
        hits = list(_scan_lines(lines, path, config, result, joined))
        if hits:
            return hits
    return []


def scan_bytes(content: bytes, path: str, config: EngineConfig | None = None) -> ContentResult:
    """Scan raw blob bytes: binary and oversized blobs are skipped (and say so)."""
    config = config or EngineConfig()
    if len(content) > config.max_file_bytes:
        return ContentResult(skipped="too-large")
    text = decode(content)
    if text is None:
        return ContentResult(skipped="binary")
    return scan_content(text, path, config)


def _passes(text: str, path: str) -> Iterator[tuple[list[str] | None, str | None]]:
    """detect-secrets' passes over a file: (lines, the same lines joined when that is ``text``)."""
    first = _transformed(text, path, eager=False)
    yield (first, None) if first is not None else (None, text)  # split only if needed
    eager = _transformed(text, path, eager=True)
    if eager:
        yield eager, None


def _scan_lines(
    lines: list[str] | None,
    path: str,
    config: EngineConfig,
    result: ContentResult,
    joined: str | None = None,
) -> Iterator[SecretHit]:
    from detect_secrets.core.scan import _is_filtered_out, _scan_line
    from detect_secrets.util.code_snippet import get_code_snippet

    from hygiene.scan.prefilter import candidate_lines

    plugins = _plugins()
    if lines is None:
        assert joined is not None
        if config.prefilter:
            candidates = candidate_lines(joined, _get_triggers())
            if not candidates:
                return
        lines = joined.split("\n")
        if not config.prefilter:
            names = {type(p).__name__ for p in plugins}
            candidates = {number: names for number in range(1, len(lines) + 1)}
    elif config.prefilter and not any("\n" in line.rstrip("\n") for line in lines):
        candidates = candidate_lines(
            "\n".join(line.rstrip("\n") for line in lines), _get_triggers()
        )
    else:
        names = {type(p).__name__ for p in plugins}
        candidates = {number: names for number in range(1, len(lines) + 1)}
    seen: set[tuple[str, int, str]] = set()
    for number in sorted(candidates):
        line = lines[number - 1].rstrip()
        if len(line) > config.max_line_length:
            result.long_lines += 1
            continue
        wanted = candidates[number]
        snippet = get_code_snippet(lines=lines, line_number=number)
        found = [
            (plugin, secret)
            for plugin in plugins
            if type(plugin).__name__ in wanted
            for secret in _scan_line(
                plugin=plugin, filename=path, line=line, line_number=number, context=snippet
            )
        ]
        # detect-secrets applies its line filters before the plugins; they are pure, so
        # applying them only to lines where a plugin found something gives the same result.
        if not found or _is_filtered_out(
            required_filter_parameters=["line"], filename=path, line=line, context=snippet
        ):
            continue
        line_hits: list[SecretHit] = []
        for plugin, secret in found:
            value = secret.secret_value or ""
            if _is_filtered_out(
                required_filter_parameters=["context"],
                filename=secret.filename,
                secret=value,
                plugin=plugin,
                line=line,
                context=snippet,
            ):
                continue
            full = _whole_token(plugin, line, value) if config.hygiene_filters else value
            if config.hygiene_filters:  # `key = value  # note`: the note is not the value
                full = hygiene_filters.without_inline_comment(full)
            if config.hygiene_filters and hygiene_filters.filtered_by(full, line, path):
                continue
            key = (secret.type, number, full)
            if key in seen:
                continue
            seen.add(key)
            line_hits.append(
                SecretHit.of(
                    secret.type,
                    number,
                    full,
                    baseline_value=value,
                    category=DETECT_SECRETS_CATEGORY.get(secret.type, "provider-token"),
                    key_id=full if _AWS_KEY_ID.match(full) else None,
                )
            )
        yield from _prefer_specific(line_hits) if config.hygiene_filters else line_hits


#: an AWS access key id (the public half; detect-secrets reports the secret half as the same type)
_AWS_KEY_ID = re.compile(r"^(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}$")

#: detect-secrets' types that are not a provider's token format
DETECT_SECRETS_CATEGORY: dict[str, Category] = {
    "Secret Keyword": "generic",
    "Base64 High Entropy String": "generic",
    "Hex High Entropy String": "generic",
    "Private Key": "private-key",
    "Basic Auth Credentials": "password",
}

#: Detectors that flag any high-entropy or keyword-assigned value; a specific detector's hit on
#: the same value on the same line makes theirs redundant.
GENERIC_TYPES = frozenset(
    {"Base64 High Entropy String", "Hex High Entropy String", "Secret Keyword"}
)


def _prefer_specific(hits: list[SecretHit]) -> list[SecretHit]:
    specific = {h.sha256 for h in hits if h.type not in GENERIC_TYPES}
    return [h for h in hits if h.type not in GENERIC_TYPES or h.sha256 not in specific]


def _whole_token(plugin: Any, line: str, value: str) -> str:
    """The whole match when a regex detector captured only a short prefix of it.

    detect-secrets' GitHub and GitLab patterns capture the prefix (``ghp``) rather than the
    token, so every token would share one hash; hygiene keeps the whole token's hash (the
    baseline hash stays detect-secrets' own, so baselines still match).
    """
    from detect_secrets.plugins.base import RegexBasedDetector

    if not isinstance(plugin, RegexBasedDetector) or len(value) >= 8:
        return value
    for pattern in plugin.denylist:
        for match in pattern.finditer(line):
            if match.groups() and value in match.groups() and len(match.group(0)) > len(value):
                return match.group(0)
    return value


def scan_text(text: str, path: str) -> list[SecretHit]:
    """Secrets in ``text`` as if it were the file ``path``; never returns a value.

    The stable entry point for other checks (e.g. values in ``.env.example``).
    """
    return scan_content(text, path).hits
