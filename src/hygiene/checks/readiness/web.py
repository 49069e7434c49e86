"""Web frameworks and the routes they declare: FastAPI, Flask, Django, Express, Go net/http
(and gin, echo, chi on top of it).

Each framework is a name, a regex that says a file uses it, and regexes whose first group is a
declared route path. Pure and regex-based: a route built at run time from variables is not seen,
which the README states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from hygiene.checks.readiness.records import Evidence, line_of

_Q = r"""[rf]?['"`]"""  # an opening quote (Python r/f prefixes, JS backticks)
_PATH = r"""([^'"`]*)"""


@dataclass(frozen=True)
class Framework:
    """How to recognise one web framework and the routes declared with it."""

    name: str
    suffixes: tuple[str, ...]
    uses: re.Pattern[str]
    routes: tuple[re.Pattern[str], ...]


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


FRAMEWORKS: tuple[Framework, ...] = (
    Framework(
        "fastapi",
        (".py",),
        _r(r"^\s*(?:from\s+fastapi\b|import\s+fastapi\b)"),
        (
            _r(rf"@\w+(?:\.\w+)*\.(?:get|head|api_route|route)\(\s*{_Q}{_PATH}"),
            _r(rf"\.add_api_route\(\s*{_Q}{_PATH}"),
        ),
    ),
    Framework(
        "flask",
        (".py",),
        _r(r"^\s*(?:from\s+flask\b|import\s+flask\b)"),
        (
            _r(rf"@\w+(?:\.\w+)*\.(?:route|get)\(\s*{_Q}{_PATH}"),
            _r(rf"\.add_url_rule\(\s*{_Q}{_PATH}"),
        ),
    ),
    Framework(
        "django",
        (".py",),
        _r(r"^\s*from\s+django\.(?:urls|conf\.urls)\s+import\b"),
        (_r(rf"\b(?:re_)?path\(\s*{_Q}\^?/?{_PATH}"), _r(rf"\burl\(\s*{_Q}\^?/?{_PATH}")),
    ),
    Framework(
        "express",
        (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"),
        _r(r"""require\(\s*['"]express['"]\s*\)|from\s+['"]express['"]"""),
        (
            _r(rf"\b\w+\.(?:get|head|all|use)\(\s*{_Q}{_PATH}"),
            _r(rf"\b\w+\.route\(\s*{_Q}{_PATH}"),
            _r(
                rf"""{_Q}(/[\w/.-]*){_Q}\s*:"""
            ),  # @godaddy/terminus healthChecks: {'/healthz': ...}
        ),
    ),
    Framework(
        "go-http",
        (".go",),
        _r(r'"net/http"|"github\.com/(?:gin-gonic/gin|labstack/echo[\w/]*|go-chi/chi[\w/]*)"'),
        (
            _r(rf"\.(?:HandleFunc|Handle)\(\s*{_Q}(?:[A-Z]+\s+)?{_PATH}"),
            _r(rf"\.(?:GET|HEAD|Any|Get)\(\s*{_Q}{_PATH}"),  # gin, echo, chi on net/http
        ),
    ),
)


def normalise_route(raw: str) -> str:
    """``healthz/`` → ``/healthz``; ``^readyz/?$`` → ``/readyz``; ``GET /metrics`` → ``/metrics``."""
    path = raw.strip().split(" ")[-1]
    path = re.sub(r"[\^$?]+$", "", path.removeprefix("^")).rstrip("/")
    path = path.removesuffix("/")
    return "/" + path.lstrip("/")


@dataclass
class WebScan:
    """What the web detectors found in one repository."""

    frameworks: dict[str, list[Evidence]]
    routes: dict[str, list[Evidence]]  # normalised route → where it is declared


def scan_web(files: dict[str, str]) -> WebScan:
    """Frameworks used and routes declared across the files."""
    frameworks: dict[str, list[Evidence]] = {}
    routes: dict[str, list[Evidence]] = {}
    for path, text in sorted(files.items()):
        suffix = PurePosixPath(path).suffix.lower()
        for framework in FRAMEWORKS:
            if suffix not in framework.suffixes:
                continue
            use = framework.uses.search(text)
            if not use:
                continue
            frameworks.setdefault(framework.name, []).append(
                Evidence(path, line_of(text, use.start()), framework.name)
            )
            for pattern in framework.routes:
                for match in pattern.finditer(text):
                    route = normalise_route(match.group(1))
                    routes.setdefault(route, []).append(
                        Evidence(
                            path, line_of(text, match.start()), f"{framework.name} route {route}"
                        )
                    )
    return WebScan(frameworks, routes)
