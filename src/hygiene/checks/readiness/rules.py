"""Per-repository evaluation of the readiness rules (see the package docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from hygiene.checks.env.dotenv_files import is_example
from hygiene.checks.env.paths import name_ignored
from hygiene.checks.env.reads import UnparsableFile, find_reads
from hygiene.checks.env.records import EnvRead
from hygiene.checks.readiness.alert_rules import (
    KINDS,
    AlertRule,
    Judged,
    classify,
    is_rule_file,
    judge,
    parse_rules,
)
from hygiene.checks.readiness.records import Evidence, RepoFiles
from hygiene.checks.readiness.signals import (
    CODE_SUFFIXES,
    CONFIG_SUFFIXES,
    ENTRY_POINTS,
    JSON_LOGGING,
    PROMETHEUS_CLIENTS,
    find_sentry_dsns,
    find_signals,
)
from hygiene.checks.readiness.web import scan_web
from hygiene.findings import Finding, Location, redact, secret_hash
from hygiene.policy import Policy

# Reads by the application itself (deploy files pass variables on; they do not read them).
APP_READ_KINDS = frozenset(
    {"python", "pydantic-settings", "javascript", "go", "ruby", "java", "rust", "shell"}
)

_KIND_TEXT = {
    "error-rate": "error rate > {error_rate_percent:g}% over {error_rate_window_minutes} min",
    "latency-p95": "P{q:g} latency > {latency_ms:g} ms",
    "disk": "disk use > {disk_percent:g}%",
    "memory": "memory use > {memory_percent:g}%",
}

CHECK = "readiness"


def evaluate(records: Sequence[RepoFiles], policy: Policy, as_of: datetime) -> list[Finding]:
    """Findings for every repository (``as_of`` is unused: readiness does not age)."""
    return [f for repo in records for f in evaluate_repo(repo, policy)]


def repo_finding(
    repo: RepoFiles,
    rule: str,
    severity: str,
    resource: str,
    message: str,
    where: Evidence | None,
    identity: tuple[object, ...] = (),
    details: dict[str, Any] | None = None,
) -> Finding:
    """A readiness finding located in ``repo`` (at ``where`` when there is a place to point to)."""
    location = Location(
        repo=repo.repo,
        path=where.path if where else "",
        line=where.line if where else None,
        commit=repo.commit,
    )
    return Finding.create(
        check=CHECK,
        rule=rule,
        severity=severity,
        resource=resource,
        message=message,
        identity=identity,
        location=location,
        details={"repo": repo.repo, **(details or {})},
    )


def file_reads(path: str, text: str) -> list[EnvRead]:
    """The env read-finders' reads of one file; [] when a finder cannot parse it (a syntax
    error). RecursionError, MemoryError … propagate: the collector names the file."""
    try:
        return find_reads(path, text)
    except UnparsableFile:
        return []


def file_rules(path: str, text: str) -> list[AlertRule]:
    """The Prometheus alerting rules of one file ([] for a file that holds none)."""
    return parse_rules(path, text) if is_rule_file(path, text) else []


def _parsed(repo: RepoFiles) -> tuple[tuple[EnvRead, ...], tuple[AlertRule, ...]]:
    """The collector's parse of the files, else (plain records) a parse here that leaves out a
    file whose parser fails."""
    if repo.reads is not None and repo.alert_rules is not None:
        return repo.reads, repo.alert_rules
    reads: list[EnvRead] = []
    rules: list[AlertRule] = []
    for path, text in sorted(repo.files.items()):
        try:
            reads += file_reads(path, text)
            rules += file_rules(path, text)
        except (RecursionError, MemoryError):
            continue
    return tuple(reads), tuple(rules)


def _classified_rules(repo: RepoFiles) -> list[tuple[AlertRule, str | None]]:
    """Every alerting rule of the repo's rule files with its blueprint kind (or None)."""
    return [(rule, classify(rule.expr)) for rule in _parsed(repo)[1]]


def repo_kinds(repo: RepoFiles) -> frozenset[str]:
    """What the blueprint asks of this repository: ``service`` (a web framework: health and
    metrics endpoints), ``application`` (code with an entry point, or a service: JSON logs),
    ``alerting`` (a service, or its Prometheus rules watch one of the blueprint's critical
    signals — a monitoring repo: the critical alerts are asked of it)."""
    kinds: set[str] = set()
    if scan_web(repo.files).frameworks:
        kinds.add("service")
    code = any(PurePosixPath(p).suffix.lower() in CODE_SUFFIXES for p in repo.files)
    entry = find_signals(repo.files, ENTRY_POINTS, (*CODE_SUFFIXES, ".toml", ""))
    if code and ("service" in kinds or entry):
        kinds.add("application")
    if "service" in kinds or any(kind for _, kind in _classified_rules(repo)):
        kinds.add("alerting")
    return frozenset(kinds)


def evaluate_repo(repo: RepoFiles, policy: Policy) -> list[Finding]:
    """Every readiness finding of one repository."""
    rules = policy.readiness
    out: list[Finding] = []
    name = repo.repo
    web = scan_web(repo.files)
    is_service = bool(web.frameworks)
    first_framework = next(iter(ev for evs in web.frameworks.values() for ev in evs), None)

    out += _env_example(repo, policy)

    if is_service:
        frameworks = sorted(web.frameworks)
        for route in rules.health_paths:
            if route not in web.routes:
                out.append(
                    repo_finding(
                        repo,
                        "health-endpoint-missing",
                        policy.readiness.severity_of("health-endpoint-missing"),
                        f"{name}:{route}",
                        f"{name} is a {'/'.join(frameworks)} service but declares no {route} route; add "
                        f"a {route} handler (liveness/readiness) so deployments can roll back on failure.",
                        first_framework,
                        identity=(route,),
                        details={
                            "route": route,
                            "frameworks": frameworks,
                            "declared_routes": sorted(web.routes)[:50],
                        },
                    )
                )
        clients = find_signals(repo.files, PROMETHEUS_CLIENTS, CODE_SUFFIXES)
        if rules.metrics_path not in web.routes and not clients:
            out.append(
                repo_finding(
                    repo,
                    "metrics-missing",
                    policy.readiness.severity_of("metrics-missing"),
                    f"{name}:{rules.metrics_path}",
                    f"{name} exposes no {rules.metrics_path} route and uses no Prometheus client; expose "
                    "RED metrics (rate, errors, duration) for Prometheus.",
                    first_framework,
                    identity=(rules.metrics_path,),
                    details={"frameworks": frameworks, "declared_routes": sorted(web.routes)[:50]},
                )
            )

    code = [p for p in repo.files if PurePosixPath(p).suffix.lower() in CODE_SUFFIXES]
    if "application" in repo_kinds(repo):
        logging = find_signals(repo.files, JSON_LOGGING, (*CODE_SUFFIXES, *CONFIG_SUFFIXES))
        if not logging:
            out.append(
                repo_finding(
                    repo,
                    "json-logging-missing",
                    policy.readiness.severity_of("json-logging-missing"),
                    f"{name}:logging",
                    f"{name} configures no structured JSON logging (python-json-logger, structlog, pino, "
                    "winston json, slog JSONHandler, zap ...); log JSON with a correlation id.",
                    first_framework or _entry_point(repo),
                    details={"code_files": len(code)},
                )
            )

    out += _alert_rules(repo, policy, is_service, first_framework)
    out += _sentry(repo, policy)
    return out


def _env_example(repo: RepoFiles, policy: Policy) -> list[Finding]:
    reads: list[Evidence] = []
    names: set[str] = set()
    for read in _parsed(repo)[0]:
        if (
            read.name
            and read.kind in APP_READ_KINDS
            and not name_ignored(read.name, policy.env.ignore_names)
        ):
            names.add(read.name)
            reads.append(Evidence(read.path, read.line, read.name))
    examples = [p for p in repo.files if is_example(PurePosixPath(p).name, policy.env.examples)]
    if not names or examples:
        return []
    example = policy.env.examples[0] if policy.env.examples else ".env.example"
    shown = sorted(names)
    return [
        repo_finding(
            repo,
            "env-example-missing",
            policy.readiness.severity_of("env-example-missing"),
            f"{repo.repo}:{example}",
            f"{repo.repo} reads {len(shown)} environment variable(s) ({', '.join(shown[:5])}"
            f"{' ...' if len(shown) > 5 else ''}) but has no {example}; add one with safe defaults.",
            reads[0],
            identity=(example,),
            details={"variables": shown},
        )
    ]


def _entry_point(repo: RepoFiles) -> Evidence | None:
    found = find_signals(repo.files, ENTRY_POINTS, (*CODE_SUFFIXES, ".toml", ""))
    return found[0] if found else None


def _alert_rules(
    repo: RepoFiles, policy: Policy, is_service: bool, anchor: Evidence | None
) -> list[Finding]:
    limits = policy.readiness.alerts
    rule_files = [p for p, t in sorted(repo.files.items()) if is_rule_file(p, t)]
    classified = [(rule, kind) for rule, kind in _classified_rules(repo) if kind]
    if not is_service and not classified:
        return []  # no service, and its rules (if any) watch something else: nothing asked
    by_kind: dict[str, list[Judged]] = {kind: [] for kind in KINDS}
    for rule, kind in classified:
        by_kind[kind].append(judge(rule, kind, limits))
    out: list[Finding] = []
    texts = {
        k: v.format(q=limits.latency_quantile * 100, **limits.model_dump())
        for k, v in _KIND_TEXT.items()
    }
    for kind in KINDS:
        judged = by_kind[kind]
        if not judged:
            out.append(
                repo_finding(
                    repo,
                    "alert-rule-missing",
                    policy.readiness.severity_of("alert-rule-missing"),
                    f"{repo.repo}:alerts/{kind}",
                    f"{repo.repo} has no Prometheus alert for {texts[kind]}; add one "
                    f"({'in ' + rule_files[0] if rule_files else 'in a rules file'}).",
                    Evidence(rule_files[0], 1, "rules") if rule_files else anchor,
                    identity=(kind,),
                    details={"kind": kind, "blueprint": texts[kind], "rule_files": rule_files},
                )
            )
        elif all(j.looser for j in judged):
            best = min(judged, key=lambda j: len(j.looser))
            out.append(
                repo_finding(
                    repo,
                    "alert-rule-looser",
                    policy.readiness.severity_of("alert-rule-looser"),
                    f"{repo.repo}:{best.rule.path}",
                    f"Alert {best.rule.name} is looser than the blueprint's {texts[kind]} "
                    f"({'; '.join(best.looser)}); tighten its expression or for:.",
                    Evidence(best.rule.path, best.rule.line, best.rule.name),
                    identity=(kind, best.rule.name),
                    details={**best.details(), "blueprint": texts[kind]},
                )
            )
    return out


def _sentry(repo: RepoFiles, policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    for where, dsn in find_sentry_dsns(repo.files):
        digest = secret_hash(dsn)
        out.append(
            repo_finding(
                repo,
                "sentry-dsn-hardcoded",
                policy.readiness.severity_of("sentry-dsn-hardcoded"),
                f"{repo.repo}:{where.path}",
                f"A Sentry DSN is hard-coded in {where.path}; read it from the SENTRY_DSN environment "
                "variable instead (and rotate the key if the repository is shared).",
                where,
                identity=(digest,),
                details={"preview": redact(dsn), "sha256": digest},
            )
        )
    return out
