"""Library-use signals: Prometheus clients, structured JSON logging, hard-coded Sentry DSNs.

Each signal is a name and a regex, looked for in files of the languages it belongs to (config
files too for logging: a ``dictConfig`` YAML naming ``pythonjsonlogger`` counts).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from hygiene.checks.readiness.records import Evidence, line_of

CODE_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".go")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".ini", ".cfg", ".conf")

PROMETHEUS_CLIENTS: dict[str, re.Pattern[str]] = {
    "prometheus_client": re.compile(r"^\s*(?:from|import)\s+prometheus_client\b", re.M),
    "prometheus-fastapi-instrumentator": re.compile(r"prometheus_fastapi_instrumentator"),
    "django-prometheus": re.compile(r"['\"]django_prometheus['\"]"),
    "prometheus-flask-exporter": re.compile(r"prometheus_flask_exporter"),
    "prom-client": re.compile(
        r"""(?:require\(|from\s+)\s*['"](?:prom-client|express-prom-bundle)['"]"""
    ),
    "client_golang": re.compile(r'"github\.com/prometheus/client_golang/'),
}

JSON_LOGGING: dict[str, re.Pattern[str]] = {
    "python-json-logger": re.compile(r"pythonjsonlogger|json_log_formatter"),
    "structlog JSONRenderer": re.compile(r"structlog\.processors\.JSONRenderer|\bJSONRenderer\("),
    "loguru serialize": re.compile(r"logger\.add\([^)]*serialize\s*=\s*True"),
    "json.dumps formatter": re.compile(
        r"class\s+\w+\((?:logging\.)?Formatter\)[\s\S]{0,800}?json\.dumps"
    ),
    "pino": re.compile(r"""(?:require\(|from\s+)\s*['"]pino(?:-http)?['"]"""),
    "winston json": re.compile(r"format\.json\(\)"),
    "bunyan": re.compile(r"""(?:require\(|from\s+)\s*['"]bunyan['"]"""),
    "slog JSONHandler": re.compile(r"slog\.NewJSONHandler"),
    "zap": re.compile(r"zap\.NewProduction|zapcore\.NewJSONEncoder"),
    "logrus JSONFormatter": re.compile(r"logrus\.JSONFormatter"),
    "zerolog": re.compile(r'"github\.com/rs/zerolog'),
}

# An application (not a library): it has an entry point or ships as a container.
ENTRY_POINTS: dict[str, re.Pattern[str]] = {
    "python __main__": re.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]", re.M),
    "console script": re.compile(r"^\[project\.scripts\]|^\[tool\.poetry\.scripts\]", re.M),
    "go main": re.compile(r"^func\s+main\(\)", re.M),
    "node server": re.compile(r"\.listen\("),
    "container": re.compile(r"^(?:FROM|ENTRYPOINT|CMD)\b", re.M),
}

# A DSN: scheme://<public key>[:<secret>]@host/<project id>
SENTRY_DSN = re.compile(
    r"""https?://[0-9a-f]{32}(?::[0-9a-f]{32})?@[\w.-]+(?::\d+)?/\d+""", re.IGNORECASE
)


def _suffix(path: str) -> str:
    return PurePosixPath(path).suffix.lower()


def find_signals(
    files: dict[str, str], signals: dict[str, re.Pattern[str]], suffixes: tuple[str, ...]
) -> list[Evidence]:
    """Every signal match in files with one of ``suffixes`` (the first per file and signal)."""
    found: list[Evidence] = []
    for path, text in sorted(files.items()):
        if _suffix(path) not in suffixes:
            continue
        for name, pattern in signals.items():
            match = pattern.search(text)
            if match:
                found.append(Evidence(path, line_of(text, match.start()), name))
    return found


def find_sentry_dsns(files: dict[str, str]) -> list[tuple[Evidence, str]]:
    """Hard-coded Sentry DSNs in code and config: (where, the DSN). Callers must redact it."""
    found: list[tuple[Evidence, str]] = []
    for path, text in sorted(files.items()):
        if _suffix(path) not in (*CODE_SUFFIXES, *CONFIG_SUFFIXES) or _is_example(path):
            continue
        for match in SENTRY_DSN.finditer(text):
            found.append(
                (Evidence(path, line_of(text, match.start()), "sentry dsn"), match.group(0))
            )
    return found


def _is_example(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return name.startswith(".env") or "example" in name or "sample" in name
