"""The policy: typed models of the organisation's rules, with the blueprint's defaults.

Every field has a default, so ``{}`` is a valid policy and a team file may hold only the
keys it overrides. ``policies/default.yaml`` spells these defaults out; a test keeps them equal.
Loading (YAML, file:line:key errors, merging) lives in ``config.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal, TypeVar, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hygiene.findings import Severity

Named = TypeVar("Named", bound="BaseModel")


def unique_names(items: list[Named], what: str) -> list[Named]:
    """Validator body: ``items`` must not repeat a ``name`` (budgets, registry entries)."""
    seen: set[str] = set()
    for item in items:
        name = item.name  # type: ignore[attr-defined]
        if name in seen:
            raise ValueError(f"{what} name {name!r} is used twice")
        seen.add(name)
    return items


class Strict(BaseModel):
    """Base for policy sections: unknown keys are errors, not silently ignored.

    A section's ``severity`` map is checked here once for all sections: a rule it does not know
    is an error (a typo must not silently keep the default), and rules left out keep the
    blueprint's default rather than whatever a check would fall back to.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    # SecretsPolicy also takes per-detector keys ("aws-access-key/in-tree").
    severity_per_detector: ClassVar[bool] = False

    @field_validator("severity", check_fields=False)
    @classmethod
    def _severity_rules(cls, severity: dict[str, Severity]) -> dict[str, Severity]:
        defaults = cls.model_fields["severity"].get_default(call_default_factory=True)
        known = set(defaults)
        unknown = sorted(
            key
            for key in severity
            if key not in known
            and not (cls.severity_per_detector and key.partition("/")[2] in known)
        )
        if unknown:
            section = cls.__name__.removesuffix("Policy").lower()
            raise ValueError(
                f"unknown {section} rule(s) {', '.join(unknown)}; rules: {', '.join(defaults)}"
            )
        return {**defaults, **severity}

    def severity_of(self, rule: str, detector: str = "") -> Severity:
        """The one severity lookup every check uses: ``<detector>/<rule>`` (sections that take
        per-detector keys), else ``rule`` from this section's ``severity`` — the policy's choice,
        else the blueprint's default. An unknown rule is a programming error (KeyError)."""
        table = cast(Mapping[str, Severity], self.__dict__.get("severity", {}))
        if detector and self.severity_per_detector and f"{detector}/{rule}" in table:
            return table[f"{detector}/{rule}"]
        if rule in table:
            return table[rule]
        defaults = type(self).model_fields["severity"].get_default(call_default_factory=True)
        if rule in defaults:  # a section built without validation (model_copy) keeps the default
            return Severity(defaults[rule])
        raise KeyError(f"{type(self).__name__} has no rule {rule!r}")


# --------------------------------------------------------------------------- tags


class TagsPolicy(Strict):
    """Required tags (GCP: labels), their key aliases and allowed values."""

    required: list[str] = Field(default_factory=lambda: ["Project", "Owner", "Env"])
    key_aliases: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "Project": ["project", "PROJECT", "project_name", "ProjectName"],
            "Owner": ["owner", "OWNER", "team", "Team"],
            "Env": ["env", "ENV", "Environment", "environment", "stage", "Stage"],
        },
        description="Other spellings of a required key; found on a resource they count, but "
        "are reported as tag-key-case.",
    )
    allowed_values: dict[str, list[str]] = Field(
        default_factory=lambda: {"Env": ["local", "dev", "staging", "prod"]},
        description="Keys whose values are restricted (the blueprint's environment hierarchy).",
    )
    value_aliases: dict[str, dict[str, str]] = Field(
        default_factory=lambda: {
            "Env": {
                "production": "prod",
                "prd": "prod",
                "development": "dev",
                "develop": "dev",
                "stage": "staging",
                "stg": "staging",
            }
        },
        description="Values normalised before comparison (production → prod).",
    )
    severity: dict[str, Severity] = Field(
        default_factory=lambda: {
            "missing-tag": Severity.MEDIUM,
            "invalid-tag-value": Severity.MEDIUM,
            "tag-key-case": Severity.LOW,
            "empty-tag-value": Severity.MEDIUM,
            "duplicate-tag-key": Severity.MEDIUM,
        }
    )
    skip_aws_managed: bool = Field(
        True,
        description="Ignore what AWS manages itself: service-linked roles, default VPC "
        "resources, AWS-managed KMS keys.",
    )
    resource_types: list[str] = Field(
        default_factory=list, description="Only these resource types (empty: all)."
    )


# --------------------------------------------------------------------------- budgets


class Thresholds(Strict):
    """Percentages of the budget at which a budget alerts."""

    actual: list[float] = Field(default_factory=lambda: [80.0, 100.0])
    forecast: list[float] = Field(default_factory=lambda: [100.0])


class Budget(Strict):
    """A monthly budget over a scope of tag values and/or accounts."""

    name: str = Field(min_length=1)
    scope: dict[str, str] = Field(
        default_factory=dict,
        description="Tag values (Project: checkout, Env: prod) and/or provider keys "
        "(SubAccountId, ProviderName) that select the spend.",
    )
    amount: Decimal = Field(gt=0)
    currency: str = Field("USD", min_length=3, max_length=3)
    metric: Literal["BilledCost", "EffectiveCost"] = "BilledCost"
    thresholds: Thresholds = Field(default_factory=Thresholds)
    owner: str | None = None

    @field_validator("currency", mode="before")
    @classmethod
    def _currency_code(cls, value: object) -> object:
        """``usd`` is ``USD``, as the billing readers normalise the bills' currencies."""
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if not (value.isascii() and value.isalpha()):
            raise ValueError("must be an ISO 4217 currency code of three letters, e.g. USD")
        return value


class AnomalyPolicy(Strict):
    """How a day's spend is judged against the trailing window."""

    window_days: int = Field(30, ge=7)
    min_points: int = Field(8, ge=3)
    threshold: float = Field(
        3.5, gt=0, description="Robust z-score (median/MAD) above which a day is an anomaly."
    )
    min_amount: Decimal = Field(Decimal("10"), ge=0, description="Ignore days under this spend.")
    min_change_percent: float = Field(
        25.0,
        ge=0,
        description="Ignore days closer than this to the trailing median (% of it): weekend "
        "dips of a steady bill score high but matter to nobody.",
    )


class BillingPolicy(Strict):
    """Where spend comes from and the spend rules' knobs."""

    sources: list[str] = Field(
        default_factory=list,
        description="FOCUS/CUR files, directories, globs or s3:// URLs; 'aws-cost-explorer'; "
        "'aws-budgets'; 'gcp-budgets'; bigquery://project.dataset.table (the GCP export, or "
        "?schema=focus for a FOCUS view); athena://DB.TABLE?workgroup=…&output=s3://… (FOCUS; "
        "&schema=cur2 for a CUR 2.0 table).",
    )
    untagged_max_percent: float = Field(10.0, ge=0, le=100)
    provider_thresholds: Thresholds = Field(
        default_factory=Thresholds,
        description="Thresholds for budgets defined in AWS Budgets or GCP (aws-budgets, "
        "gcp-budgets) that have no alert thresholds of their own; a budget that has some is "
        "judged against its own.",
    )
    severity: dict[str, Severity] = Field(
        default_factory=lambda: {
            "budget-exceeded": Severity.HIGH,
            "budget-threshold": Severity.MEDIUM,
            "forecast-exceeds-budget": Severity.MEDIUM,
            "budget-without-alerts": Severity.LOW,
            "no-budget": Severity.LOW,
            "untagged-spend": Severity.MEDIUM,
            "spend-anomaly": Severity.MEDIUM,
            "currency-mismatch": Severity.HIGH,
        }
    )
    anomaly: AnomalyPolicy = Field(default_factory=AnomalyPolicy)


# --------------------------------------------------------------------------- rotation


class ExternalSecret(Strict):
    """A secret managed outside the clouds, tracked by hand in the policy."""

    name: str = Field(min_length=1)
    kind: str = "external"
    owner: str | None = None
    env: str | None = None
    last_rotated: date
    max_age_days: int | None = Field(None, gt=0)


class RotationPolicy(Strict):
    """Maximum ages of keys and secrets (days), per kind and per Env."""

    max_age_days: int = Field(90, gt=0)
    per_kind: dict[str, int] = Field(
        default_factory=lambda: {"kms-key": 365},
        description="Kinds: iam-access-key, secretsmanager-secret, kms-key, gcp-sa-key, "
        "gcp-secret, external. The most specific limit wins: a registry entry's own "
        "max_age_days, then per_kind, then per_env, then max_age_days. kms-key defaults to "
        "365, KMS's own default rotation period.",
    )
    per_env: dict[str, int] = Field(default_factory=lambda: {"prod": 90, "dev": 180})
    warn_days: int = Field(
        14, ge=0, description="rotation-due-soon this many days before the limit."
    )
    grace_days: int = Field(
        7, ge=0, description="New unused keys younger than this are not unused."
    )
    unused_days: int = Field(
        90, gt=0, description="A credential unused this long is unused-credential."
    )
    certificate_warn_days: int = Field(30, ge=0)
    registry: list[ExternalSecret] = Field(default_factory=list)
    severity: dict[str, Severity] = Field(
        default_factory=lambda: {
            "rotation-overdue": Severity.HIGH,
            "rotation-due-soon": Severity.LOW,
            "rotation-disabled": Severity.MEDIUM,
            "unused-credential": Severity.MEDIUM,
            "multiple-active-keys": Severity.MEDIUM,
            "certificate-expiring": Severity.HIGH,
            "root-access-key": Severity.CRITICAL,
            "root-mfa-disabled": Severity.HIGH,
        }
    )

    @field_validator("registry")
    @classmethod
    def _unique_registry_names(cls, registry: list[ExternalSecret]) -> list[ExternalSecret]:
        return unique_names(registry, "registry")


# --------------------------------------------------------------------------- backups


class BackupsPolicy(Strict):
    """The blueprint's continuity rules: daily backups, kept 30 days."""

    frequency_hours: int = Field(24, gt=0)
    retention_days: int = Field(30, gt=0)
    rpo_minutes: int = Field(
        1440, gt=0, description="RPO of a resource with no tier tag (blueprint: 24 hours)."
    )
    tier_tag: str = Field(
        "Tier", description="Tag whose value names the resource's tier (1, 2, 3, tier-1, ...)."
    )
    tier_rpo_minutes: dict[str, int] = Field(
        default_factory=lambda: {"1": 5, "2": 60, "3": 1440},
        description="RPO per tier (blueprint section 1: 5 min, 1 hour, 24 hours).",
    )
    backup_bucket_patterns: list[str] = Field(
        default_factory=lambda: ["*backup*"],
        description="Globs on S3 bucket names that hold backups (also: a bucket tagged Purpose=backup).",
    )
    severity: dict[str, Severity] = Field(
        default_factory=lambda: {
            "backup-disabled": Severity.HIGH,
            "retention-too-short": Severity.MEDIUM,
            "pitr-disabled": Severity.MEDIUM,
            "not-in-backup-plan": Severity.MEDIUM,
            "plan-not-daily": Severity.MEDIUM,
            "plan-retention-too-short": Severity.MEDIUM,
            "volume-not-backed-up": Severity.HIGH,
            "bucket-versioning-disabled": Severity.MEDIUM,
            "rpo-exceeds-tier": Severity.HIGH,
        }
    )


# --------------------------------------------------------------------------- readiness / probes


class AlertThresholds(Strict):
    """The blueprint's critical alerts (section 2)."""

    error_rate_percent: float = Field(1.0, gt=0)
    error_rate_window_minutes: int = Field(5, gt=0)
    latency_quantile: float = Field(0.95, gt=0, lt=1)
    latency_ms: float = Field(500.0, gt=0)
    disk_percent: float = Field(85.0, gt=0, le=100)
    memory_percent: float = Field(85.0, gt=0, le=100)
    for_minutes: int = Field(
        5,
        ge=0,
        description="Longest for: accepted on a critical alert (blueprint: over 5 minutes).",
    )


class ReadinessPolicy(Strict):
    """Repository readiness: health endpoints, metrics, JSON logs, alert rules, Sentry DSN."""

    health_paths: list[str] = Field(default_factory=lambda: ["/healthz", "/readyz"])
    metrics_path: str = "/metrics"
    alerts: AlertThresholds = Field(default_factory=AlertThresholds)
    max_file_bytes: int = Field(1_000_000, gt=0)
    exclude: list[str] = Field(
        default_factory=lambda: [
            "**/node_modules/**",
            "**/vendor/**",
            "**/.venv/**",
            "**/dist/**",
            "**/*.min.js",
            "**/tests/**",
            "**/test/**",
            "**/testdata/**",
            "**/__tests__/**",
            "**/fixtures/**",
        ],
        description="Globs left out: dependencies, build output, and test code (fixtures are not "
        "the service).",
    )
    severity: dict[str, Severity] = Field(
        default_factory=lambda: {
            "env-example-missing": Severity.LOW,
            "health-endpoint-missing": Severity.MEDIUM,
            "metrics-missing": Severity.MEDIUM,
            "json-logging-missing": Severity.LOW,
            "alert-rule-missing": Severity.MEDIUM,
            "alert-rule-looser": Severity.MEDIUM,
            "sentry-dsn-hardcoded": Severity.HIGH,
        }
    )


class ProbeService(Strict):
    """A running service whose endpoints the probes check."""

    name: str = Field(min_length=1)
    url: str = Field(
        pattern=r"^https?://[^/\s]+",
        description="Base URL, e.g. https://api.internal:8080 (http or https; no credentials).",
    )
    paths: list[str] = Field(default_factory=lambda: ["/healthz", "/readyz", "/metrics"])
    project: str | None = None
    owner: str | None = None
    env: str | None = None


class ProbesPolicy(Strict):
    """Live probes (opt-in): no services listed, no probe runs."""

    services: list[ProbeService] = Field(default_factory=list)
    timeout_seconds: float = Field(5.0, gt=0)
    slow_ms: float = Field(
        500.0, gt=0, description="A response slower than this is probe-slow (blueprint P95)."
    )
    severity: dict[str, Severity] = Field(
        default_factory=lambda: {
            "probe-failed": Severity.HIGH,
            "probe-slow": Severity.LOW,
            "metrics-unparseable": Severity.MEDIUM,
        }
    )


# --------------------------------------------------------------------------- secrets / env


#: Default severity of a committed secret by its kind (``scan.hits.Category``); critical is left
#: for a token the provider confirms live (``--validate``).
SECRET_SEVERITY: dict[str, Severity] = {
    "provider-token": Severity.HIGH,
    "private-key": Severity.HIGH,
    "password": Severity.HIGH,
    "generic": Severity.MEDIUM,
    "password-hash": Severity.LOW,
    "encrypted-file": Severity.INFO,
    # a JWT of no known issuer: a signed claim set (test fixtures, docs samples, public anon
    # keys), not a provider's credential format; a provider's JWT-shaped key has its own rule
    "kingfisher-jwt/provider-token": Severity.MEDIUM,
}
#: Where test data, fixtures, examples and docs live: a secret there is one level lower.
SECRET_TEST_PATHS = [
    "**/test/**", "**/tests/**", "**/__tests__/**", "**/spec/**", "**/specs/**", "**/testdata/**",
    "**/test-data/**", "**/test_data/**", "**/fixtures/**", "**/__fixtures__/**", "**/__mocks__/**",
    "**/mocks/**", "**/e2e/**", "**/cypress/**", "**/*_test.*", "**/*_spec.*", "**/test_*",
    "**/*.test.*", "**/*.spec.*", "**/example/**", "**/examples/**", "**/sample/**",
    "**/samples/**", "**/docs/**", "**/doc/**", "**/*.md", "**/*.rst", "**/*.example",
    "**/*.sample", "**/*.dist", "**/*.template", "**/.env.example", "**/.env.sample",
]  # fmt: skip
SecretsEngine = Literal["detect-secrets", "kingfisher", "hygiene"]
_SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)


class SecretsLowering(Strict):
    """How many severity levels a committed secret is reported below its kind's severity."""

    history_only: int = Field(
        1, ge=0, le=4, description="Levels lower when HEAD no longer holds the secret."
    )
    test_paths: int = Field(
        1, ge=0, le=4, description="Levels lower under secrets.test_paths (tests, examples, docs)."
    )


class SecretsPolicy(Strict):
    """Secret-scanning options.

    ``severity`` is keyed by a secret's kind (``provider-token``, ``private-key``, ``password``,
    ``generic``, ``password-hash``, ``encrypted-file``), or ``<detector>/<kind>`` for one detector
    (``secret-keyword/generic: low``); ``lower`` then takes levels off for history-only secrets
    and for test/example/docs paths.
    """

    history: bool = True
    max_line_length: int = Field(4000, gt=80)
    max_file_bytes: int = Field(2_000_000, gt=0)
    exclude_paths: list[str] = Field(
        default_factory=lambda: ["**/*.min.js", "**/*.map", "**/node_modules/**", "**/vendor/**"]
    )
    baseline: str = ".secrets.baseline"
    engines: list[SecretsEngine] = Field(
        default_factory=lambda: cast(list[SecretsEngine], ["kingfisher", "hygiene"]),
        min_length=1,
        description="Detectors run over every text, in order: kingfisher (provider formats), "
        "hygiene (config files, key-value, hashes, keys), detect-secrets (compatibility).",
    )
    severity_per_detector: ClassVar[bool] = True
    severity: dict[str, Severity] = Field(default_factory=lambda: dict(SECRET_SEVERITY))
    lower: SecretsLowering = Field(default_factory=SecretsLowering)
    test_paths: list[str] = Field(
        default_factory=lambda: list(SECRET_TEST_PATHS),
        description="Globs of test, fixture, example and docs paths (see lower.test_paths).",
    )
    workers: int = Field(0, ge=0, description="Processes for the scan (0: one per CPU).")
    archive_depth: int = Field(
        3, ge=0, description="How deep archives inside archives are opened (0: not at all)."
    )
    archive_max_bytes: int = Field(
        64 * 1024 * 1024, gt=0, description="Uncompressed bytes read from one archive at most."
    )
    archive_max_entries: int = Field(
        10_000, gt=0, description="Entries read from one archive (all levels) at most."
    )

    @field_validator("severity", mode="before")
    @classmethod
    def _rules_are_not_severity_keys(cls, severity: object) -> object:
        if not isinstance(severity, Mapping):
            return severity
        old = sorted(
            str(key)
            for key in severity
            if str(key).rpartition("/")[2] in ("in-tree", "history-only")
        )
        if old:
            raise ValueError(
                f"{', '.join(old)}: a secret's severity follows its kind since #17, not in-tree/"
                "history-only; write severity: {provider-token: high, private-key: high, "
                "password: high, generic: medium, password-hash: low, encrypted-file: info} "
                "(or <detector>/<kind>) and lower: {history_only: 1} for history-only secrets"
            )
        return severity

    def severity_for(self, category: str, detector: str, *, in_tree: bool, path: str) -> Severity:
        """A committed secret's severity: its kind's (``<detector>/<kind>`` first), then
        ``lower.history_only`` levels less when only history holds it and ``lower.test_paths``
        less under ``test_paths`` (never below info)."""
        base = self.severity_of(category, detector=detector)
        steps = 0 if in_tree else self.lower.history_only
        if _matches_any(path, self.test_paths):
            steps += self.lower.test_paths
        index = min(_SEVERITY_ORDER.index(base) + steps, len(_SEVERITY_ORDER) - 1)
        return _SEVERITY_ORDER[index]


def _matches_any(path: str, patterns: list[str]) -> bool:
    """A ``**/``-style glob of ``patterns`` matches ``path`` (also at the repository's root)."""
    from fnmatch import fnmatchcase

    return any(
        fnmatchcase(path, p) or (p.startswith("**/") and fnmatchcase(path, p[3:])) for p in patterns
    )


ENV_SEVERITY: dict[str, Severity] = {
    "undocumented-variable": Severity.MEDIUM,
    "unused-variable": Severity.LOW,
    "committed-dotenv": Severity.HIGH,
    "dotenv-not-ignored": Severity.MEDIUM,
    "example-contains-secret": Severity.HIGH,
    "env-only-variable": Severity.LOW,
    "missing-example": Severity.MEDIUM,
    "duplicated-key": Severity.LOW,
    "lowercase-key": Severity.LOW,
    "unquoted-spaces": Severity.LOW,
    "missing-equals": Severity.LOW,
    "invalid-line": Severity.LOW,
    "dynamic-read": Severity.INFO,
    "unparsable-file": Severity.INFO,
    "documented-elsewhere": Severity.LOW,
}


#: Base names of example files (globs, case-insensitive): documentation, never committed secrets.
ENV_EXAMPLE_PATTERNS = (
    ".env.example",
    ".env.sample",
    ".env.template",
    "example.env",
    "env.example",
    "sample.env",
    ".env.dist",
    ".env.defaults",
    ".env.tpl",
    ".env.*.example",
    ".env.*.sample",
    ".env.*.template",
    ".env.*.dist",
    ".env.*.tpl",
    ".env.example.*",
    ".env.sample.*",
    ".env*-example",
    ".env*-sample",
    ".env*_example",
    "*.env.example",
    "*.env.sample",
    "*.env.template",
)


#: Variables the OS, the shell, CI, a runtime or a build tool sets: not the application's
#: configuration, so no example needs them.
ENV_PLATFORM_NAMES = (
    "PATH",
    "HOME",
    "USER",
    "SHELL",
    "PWD",
    "TERM",
    "LANG",
    "LC_*",
    "TZ",
    "TMPDIR",
    "TEMP",
    "TMP",
    "HOSTNAME",
    "EDITOR",
    "XDG_*",
    "APPDATA",
    "LOCALAPPDATA",
    "USERPROFILE",
    "NO_COLOR",
    "FORCE_COLOR",
    "CI",
    "GITHUB_*",
    "RUNNER_*",
    "NODE_ENV",
    "npm_*",
    "VITEST*",
    "JEST_WORKER_ID",
    "PYTHONPATH",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "VIRTUAL_ENV",
    "CARGO",
    "CARGO_*",
    "OUT_DIR",
    "GOPATH",
    "GOROOT",
    "GOCACHE",
    "GOOS",
    "GOARCH",
    "GOFLAGS",
    "JAVA_HOME",
    "BUNDLE_*",
    "BUNDLER_*",
    "RAILS_ENV",
    "RACK_ENV",
    "TAURI_*",
    "KUBERNETES_SERVICE_*",
    "VERCEL",
    "VERCEL_*",
    "NETLIFY",
    "RAILWAY_*",
    "DYNO",
)
#: Code only tests and developer tools run (lint and test-runner configs, Rake tasks, whose
#: ENV["X"] are task arguments): reads there need no example.
ENV_TEST_PATHS = (
    "**/test/**",
    "**/tests/**",
    "**/__tests__/**",
    "**/spec/**",
    "**/e2e/**",
    "**/testdata/**",
    "**/*_test.go",
    "**/*_test.py",
    "**/test_*.py",
    "**/conftest.py",
    "**/*_spec.rb",
    "**/*_test.rb",
    "**/*.test.*",
    "**/*.spec.*",
    "**/*Test.java",
    "**/*Test.kt",
    "**/lib/tasks/**",
    "**/eslint.config.*",
    "**/.eslintrc*",
    "**/prettier.config.*",
    "**/stylelint.config.*",
    "**/jest.config.*",
    "**/vitest.config.*",
    "**/playwright.config.*",
    "**/cypress.config.*",
)


class EnvCoverage(Strict):
    """One ``env.coverage`` entry: the example that documents the code matching a glob."""

    code: str = Field(
        min_length=1, description="Git-style glob of code paths (apps/api/**) this entry covers."
    )
    example: str = Field(
        min_length=1,
        description="Path of the example file, from the repository root (apps/api/.env.example).",
    )

    @field_validator("example")
    @classmethod
    def _relative_path(cls, example: str) -> str:
        parts = example.split("/")
        if example.startswith("/") or "\\" in example or any(p in ("", ".", "..") for p in parts):
            raise ValueError(
                f"{example!r} is not a path inside the repository (use a/b/.env.example: "
                "relative, no '..', no empty part)"
            )
        if any(c in example for c in "*?["):
            raise ValueError(f"{example!r}: the example is one file, not a glob")
        return example


class EnvPolicy(Strict):
    """.env.example drift options."""

    examples: list[str] = Field(
        default_factory=lambda: list(ENV_EXAMPLE_PATTERNS),
        min_length=1,
        description="Base names of example files (globs, case-insensitive; the first is the name "
        "a new example gets). Examples are documentation: never committed-dotenv.",
    )
    coverage: list[EnvCoverage] = Field(
        default_factory=list,
        description="Which example documents which code, overriding the layout rules (nearest "
        "example above, the package's own in a monorepo, else the repository's); first match wins.",
    )
    include: list[str] = Field(default_factory=lambda: ["**/*"])
    exclude: list[str] = Field(
        default_factory=lambda: ["**/node_modules/**", "**/vendor/**", "**/.venv/**", "**/dist/**"]
    )
    ignore_names: list[str] = Field(
        default_factory=lambda: list(ENV_PLATFORM_NAMES),
        description="Names the platform, the shell or a build tool sets (globs): never "
        "undocumented, never unused.",
    )
    test_paths: list[str] = Field(
        default_factory=lambda: list(ENV_TEST_PATHS),
        description="Code only tests and developer tools run (globs: tests, specs, lint and "
        "test-runner configs, Rake tasks): its reads need no example (they still make an "
        "example's key used).",
    )
    severity: dict[str, Severity] = Field(
        default_factory=lambda: dict(ENV_SEVERITY),
        description="Severity per rule; rules left out keep their default.",
    )

    @field_validator("coverage")
    @classmethod
    def _coverage_names_examples(
        cls, coverage: list[EnvCoverage], info: ValidationInfo
    ) -> list[EnvCoverage]:
        from fnmatch import fnmatchcase

        patterns = [p.lower() for p in info.data.get("examples") or ENV_EXAMPLE_PATTERNS]
        for index, entry in enumerate(coverage):
            base = entry.example.rpartition("/")[2].lower()
            if not any(fnmatchcase(base, p) for p in patterns):
                raise ValueError(
                    f"entry {index}: example {entry.example!r} is not named like an example file "
                    "(a name env.examples matches), so it would never be read"
                )
        return coverage


# --------------------------------------------------------------------------- clouds


class AwsPolicy(Strict):
    """Which AWS accounts and regions to audit."""

    regions: list[str] = Field(default_factory=list, description="Empty: all enabled regions.")
    accounts: list[str] = Field(
        default_factory=list,
        description="Empty: the caller's account, or all of the organisation when organization is true.",
    )
    organization: bool = False
    role_name: str = "HygieneReadOnly"
    max_workers: int = Field(16, gt=0)


class GcpPolicy(Strict):
    """Which GCP projects to audit."""

    projects: list[str] = Field(default_factory=list)
    organization: str | None = None
    folders: list[str] = Field(default_factory=list)
    billing_export: str | None = Field(
        None, description="project.dataset.table of the BigQuery billing export."
    )
    asset_types: list[str] = Field(
        default_factory=list,
        description="Cloud Asset types searched for labels (empty: the built-in list of types "
        "that take labels, hygiene.sources.gcp.assets.LABELLED_ASSET_TYPES).",
    )
    severity: dict[str, Severity] = Field(
        default_factory=lambda: {
            "billing-unlinked": Severity.MEDIUM,
            "billing-disabled": Severity.MEDIUM,
            "billing-account-not-visible": Severity.MEDIUM,
            "project-without-budget": Severity.LOW,
        },
        description="Severities of the billing-links check's rules.",
    )


# --------------------------------------------------------------------------- alerts


class AlertChannel(Strict):
    """A place alerts go. Secrets are named by environment variable, never written here."""

    name: str = Field(min_length=1)
    type: Literal["slack", "email", "webhook"]
    url_env: str | None = Field(None, description="Env var holding the Slack/webhook URL.")
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    username_env: str | None = None
    password_env: str | None = None
    sender: str | None = None
    recipients: list[str] = Field(default_factory=list)
    min_severity: Severity = Severity.HIGH
    owners: list[str] = Field(
        default_factory=list, description="Only findings of these Owners (empty: all)."
    )

    @model_validator(mode="after")
    def _needs_destination(self) -> AlertChannel:
        if self.type in ("slack", "webhook") and not self.url_env:
            raise ValueError(f"a {self.type} channel needs url_env (the variable holding its URL)")
        if self.type == "email" and not (self.smtp_host and self.recipients and self.sender):
            raise ValueError("an email channel needs smtp_host, sender and recipients")
        return self


class AlertsPolicy(Strict):
    """Alert channels and how often an open finding is re-sent."""

    channels: list[AlertChannel] = Field(default_factory=list)
    reminder_days: int = Field(7, gt=0)


# --------------------------------------------------------------------------- owners


class OwnerEntry(Strict):
    """One owner of the directory: a team or a person an ``Owner`` tag may name."""

    id: str = Field(min_length=1, description="What an Owner tag says (team-payments, alice).")
    name: str | None = None
    email: str | None = Field(None, description="Where the owner's alerts and digest go.")
    slack_webhook_env: str | None = Field(
        None, description="Env var holding the owner's Slack webhook URL (never the URL)."
    )
    channel: str | None = Field(
        None, description="An alerts channel (alerts.channels[].name) that also gets its alerts."
    )
    active: bool = Field(
        True, description="False: the owner has left; its tags are departed-owner."
    )
    aliases: list[str] = Field(default_factory=list, description="Other spellings that name it.")


class OwnersPolicy(Strict):
    """The owner directory: who an ``Owner`` tag may name, and where each owner hears of its
    findings. ``owners:`` takes the list of entries itself, or this mapping. Owner tags are
    judged only when a directory is configured (entries, a file, or an identity store)."""

    entries: list[OwnerEntry] = Field(default_factory=list)
    file: str | None = Field(
        None, description="A YAML/JSON file holding more entries (a list, or {owners: [...]})."
    )
    identity_store_id: str | None = Field(
        None, description="AWS IAM Identity Center store (d-...) whose users and groups are owners."
    )
    identity_store_region: str | None = None
    codeowners: bool = Field(
        True, description="The audited repositories' CODEOWNERS teams and users are owners too."
    )
    email_channel: str | None = Field(
        None,
        description="The email alerts channel whose SMTP settings reach owners' addresses "
        "(alerts and the monthly digest).",
    )
    min_severity: Severity = Field(
        Severity.HIGH, description="The least severe finding an owner's own channel is sent."
    )
    severity: dict[str, Severity] = Field(
        default_factory=lambda: {
            "unknown-owner": Severity.MEDIUM,
            "departed-owner": Severity.MEDIUM,
        },
        description="Severities of the owner rules (judged with the tags check).",
    )

    @model_validator(mode="before")
    @classmethod
    def _list_shorthand(cls, value: object) -> object:
        return {"entries": value} if isinstance(value, list) else value

    @property
    def configured(self) -> bool:
        """Whether there is a directory to judge Owner tags against."""
        return bool(self.entries or self.file or self.identity_store_id)


# --------------------------------------------------------------------------- exceptions


class PolicyException(Strict):
    """A documented, expiring exemption. ``match`` keys are finding fields or details keys;
    values are globs (``resource: arn:aws:s3:::legacy-*``, ``rule: missing-tag``)."""

    match: dict[str, str] = Field(min_length=1)
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date


# --------------------------------------------------------------------------- the policy


class Repo(Strict):
    """A repository to audit: a local path or a clone URL."""

    url: str = Field(min_length=1)
    name: str | None = None


class Policy(Strict):
    """The whole policy. Every section defaults to the blueprint."""

    version: Literal[1] = 1
    tags: TagsPolicy = Field(default_factory=TagsPolicy)
    budgets: list[Budget] = Field(default_factory=list)
    billing: BillingPolicy = Field(default_factory=BillingPolicy)
    rotation: RotationPolicy = Field(default_factory=RotationPolicy)
    backups: BackupsPolicy = Field(default_factory=BackupsPolicy)
    readiness: ReadinessPolicy = Field(default_factory=ReadinessPolicy)
    probes: ProbesPolicy = Field(default_factory=ProbesPolicy)
    secrets: SecretsPolicy = Field(default_factory=SecretsPolicy)
    env: EnvPolicy = Field(default_factory=EnvPolicy)
    aws: AwsPolicy = Field(default_factory=AwsPolicy)
    gcp: GcpPolicy = Field(default_factory=GcpPolicy)
    repos: list[Repo] = Field(default_factory=list)
    alerts: AlertsPolicy = Field(default_factory=AlertsPolicy)
    owners: OwnersPolicy = Field(default_factory=OwnersPolicy)
    owners_file: str | None = Field(None, description="Shorthand for owners.file.")
    exceptions: list[PolicyException] = Field(default_factory=list)

    @field_validator("budgets")
    @classmethod
    def _unique_budget_names(cls, budgets: list[Budget]) -> list[Budget]:
        return unique_names(budgets, "budget")
