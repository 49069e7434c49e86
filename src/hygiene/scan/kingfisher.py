"""The ``kingfisher`` engine: MongoDB's Kingfisher rules (``kingfisher-secret-scanner``, Rust +
Vectorscan, 488 built-in provider rules) in-process, mapped to hygiene's :class:`SecretHit`.

The rules are compiled once per process (:func:`prepare`; about 0.5 s from Kingfisher's own
on-disk cache, 5–7 s the first time on a machine) and inherited by the forked scan workers.
Nothing is validated here: scanning never uses the network.

How a Kingfisher finding becomes a hit (``category`` from the rule id, see :func:`category_of`):

* ``private-key`` for the PEM rule; ``password`` for credentials in a URI, a ``curl -u``, NuGet
  and Terraform password fields and git-credential rules; ``generic`` for ``generic-*`` rules
  and ``curl`` authorisation headers; every other rule is a provider's format:
  ``provider-token``.
* ``rule`` is ``kingfisher-`` + the rule id without its catalogue prefix
  (``betterleaks.github-pat`` → ``kingfisher-github-pat``), ``type`` Kingfisher's rule name.
* An AWS access key id and the secret key Kingfisher paired with it (the composite rule and its
  invisible component) are ONE hit: the value is the secret key, on the secret's line, and
  ``key_id`` the access key id. A GCP service-account JSON is one hit: the value is its
  private key, ``key_id`` its ``private_key_id`` (the separate PEM hit on it is dropped).
* Invisible component helpers (client ids, hosts, the secret half of a pair) are dropped, except
  a secret-bearing one no visible finding used: then it is the only evidence and is reported.
* hygiene's value filters (:func:`hygiene.scan.filters.filtered_by`) run on every value.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import hygiene.scan.filters as hygiene_filters
from hygiene.scan.hits import Category, SecretHit

if TYPE_CHECKING:
    from hygiene.scan.engine import ContentResult, EngineConfig

#: bumped when the mapping below changes what a finding becomes (part of :func:`version`)
ADAPTER_VERSION = "1"
ENGINE = "kingfisher"
PACKAGE = "kingfisher-secret-scanner"
#: Kingfisher's default confidence (its CLI's too): 488 rules in 1.5.0
CONFIDENCE: Literal["low", "medium", "high"] = "medium"

_PREFIXES = ("betterleaks.", "veles.secrets/", "kingfisher.", "custom.")
_PRIVATE_KEY = re.compile(r"^(?:private-key|pem|ssh-private|pgp-private|putty|pkcs)")
_PASSWORD_RULES = frozenset(
    {
        "generic-credential-uri",
        "curl-auth-user",
        "nuget-config-password",
        "hashicorp-tf-password",
        "sidekiq-sensitive-url",
        "bitbucketcredentials",
        "codecatalystcredentials",
        "codecommitcredentials",
    }
)
_GENERIC_RULES = frozenset({"curl-auth-header"})
#: An invisible component worth reporting on its own: it holds the secret half of a pair.
_SECRET_COMPONENT = re.compile(r"secret|password|passphrase|security-token")
_NOT_SECRET_COMPONENT = re.compile(r"-id(?:\.\d+)?$|url|host|name|domain|address")
_AWS_PAIR = "aws-access-token"
_GCP_SERVICE_ACCOUNT = "gcp-service-account"
_PRIVATE_KEY_ID = re.compile(rb'"private_key_id"\s*:\s*"([0-9a-fA-F]{16,64})"')
#: Context kept each side of a value for the line filters (a minified line can be megabytes).
_LINE_WINDOW = 2000

_lock = threading.Lock()
_state: dict[str, Any] = {}


def version() -> str:
    """The installed Kingfisher SDK and this adapter's mapping (read from package metadata,
    without loading the SDK or compiling its rules)."""
    from importlib.metadata import version as installed

    return f"{installed(PACKAGE)}+{ADAPTER_VERSION}"


def prepare() -> None:
    """Compile the rules and build the scanner now (the pool calls it before forking, so every
    worker inherits them); later calls return at once."""
    _scanner()


def _scanner() -> Any:
    scanner = _state.get("scanner")
    if scanner is not None:
        return scanner
    with _lock:
        if "scanner" not in _state:
            import kingfisher_sdk

            rules = kingfisher_sdk.Rules(confidence=CONFIDENCE)
            policy = kingfisher_sdk.DetectionPolicy()  # the CLI's matching and Base64 layers
            _state["rules"] = rules
            _state["deps"] = {}
            _state["scanner"] = kingfisher_sdk.Scanner(rules, policy=policy)
        return _state["scanner"]


def unqualified(rule_id: str) -> str:
    """``betterleaks.github-pat`` → ``github-pat``; ``veles.secrets/sendgrid`` → ``sendgrid``."""
    for prefix in _PREFIXES:
        if rule_id.startswith(prefix):
            return rule_id[len(prefix) :]
    return rule_id


#: Kingfisher rules that find what a detect-secrets plugin found keep that plugin's slug: a
#: finding's id includes its detector, so a repository audited before the engines changed keeps
#: the same ids for these secrets (no resolved-then-new churn, no repeated alerts).
LEGACY_SLUGS: dict[str, str] = {
    **dict.fromkeys(
        ["github-pat", "github-fine-grained-pat", "github-oauth", "github-app-token",
         "github-refresh-token"], "github-token"),
    "aws-access-token": "aws-access-key",
    **dict.fromkeys(
        ["slack-bot-token", "slack-user-token", "slack-app-token", "slack-legacy-token",
         "slack-legacy-bot-token", "slack-legacy-workspace-token", "slack-webhook-url"],
        "slack-token"),
    "stripe-access-token": "stripe-access-key",
    "private-key": "private-key",
    "jwt": "json-web-token",
    **dict.fromkeys(["npm-access-token", "npmjsaccesstoken"], "npm-tokens"),
    **dict.fromkeys(["sendgrid", "sendgrid-api-token"], "sendgrid-api-key"),
    "twilio-api-key": "twilio-api-key",
    "mailchimp-api-key": "mailchimp-access-key",
    "gitlab-pat": "gitlab-token",
    "pypi-upload-token": "pypi-token",
    "openai-api-key": "openai-token",
    "discord-api-token": "discord-bot-token",
    "telegram-bot-api-token": "telegram-bot-token",
    "azure-storage-account-key": "azure-storage-account-access-key",
    "square-access-token": "square-oauth-secret",
    "artifactory-api-key": "artifactory-credentials",
}  # fmt: skip


def rule_slug(rule_id: str) -> str:
    """The stable slug of a Kingfisher rule: detect-secrets' slug where one of its plugins found
    the same thing (``github-token``), else ``kingfisher-`` + the rule (``kingfisher-gitlab-ptt``)."""
    name = unqualified(rule_id).lower()
    return LEGACY_SLUGS.get(name) or "kingfisher-" + re.sub(r"[^a-z0-9]+", "-", name).strip("-")


_ACRONYMS = {
    "aws", "api", "gcp", "jwt", "pat", "id", "url", "ssh", "pem", "npm", "sql", "ssl", "tls", "ci",
    "cd", "oauth", "pypi", "ibm", "sdk", "uri", "dsn", "smtp", "s3",
}  # fmt: skip


_SENTENCE = re.compile(
    r"^(?:identified|detected|found|uncovered|discovered)\s+(?:an?\s+|the\s+)?(.+?)"
    r"(?=[,.;(]|\s(?:which|that|used|paired|for|in|with|from|on)\b|$)",
    re.IGNORECASE,
)


def display_name(rule_id: str, name: str) -> str:
    """A short name for messages and baselines: Kingfisher's own when it is a name, else (some
    rules carry a sentence, "Identified an AWS access key ID paired with …") the rule id's words
    (``aws-access-token`` → ``AWS Access Token``)."""
    if len(name) <= 48 and not name.lower().startswith(
        ("identified", "detected", "found", "uncovered", "discovered")
    ):
        return name
    said = _SENTENCE.match(name)
    if said and len(said.group(1)) <= 48:
        return said.group(1)[0].upper() + said.group(1)[1:]
    words = re.split(r"[-_/.]+", unqualified(rule_id))
    return " ".join(w.upper() if w.lower() in _ACRONYMS else w.capitalize() for w in words if w)


def category_of(rule_id: str) -> Category:
    """What kind of secret a rule finds (see the module docstring)."""
    name = unqualified(rule_id).lower()
    if _PRIVATE_KEY.match(name):
        return "private-key"
    if name in _PASSWORD_RULES:
        return "password"
    if name in _GENERIC_RULES or name.startswith("generic-"):
        return "generic"
    return "provider-token"


def _dependencies(rule_id: str) -> tuple[str, ...]:
    """The component rules a visible rule pairs with (looked up once per rule and process)."""
    deps: dict[str, tuple[str, ...]] = _state["deps"]
    if rule_id not in deps:
        detail = _state["rules"].detail(rule_id)
        deps[rule_id] = tuple(d["rule_id"] for d in detail.get("depends_on_rule") or ())
    return deps[rule_id]


@dataclass
class _Found:
    """A Kingfisher finding, read once (the native object is asked each time)."""

    rule_id: str
    name: str
    visible: bool
    secret: str
    start: int
    end: int
    line: int

    @classmethod
    def of(cls, finding: Any) -> _Found:
        location = finding.location
        return cls(
            rule_id=finding.rule_id,
            name=finding.rule_name,
            visible=finding.visible,
            secret=finding.secret,
            start=int(location["start_offset"]),
            end=int(location["end_offset"]),
            line=int(location["line"]),
        )


def detect(text: str, path: str, config: EngineConfig, result: ContentResult) -> list[SecretHit]:
    """Kingfisher's rules over ``text`` (scanned as the file ``path``: some rules are for one
    kind of file), mapped to hits; values hygiene's filters reject are dropped."""
    data = text.encode("utf-8", "surrogatepass")
    return hits_of(data, path, config)


def hits_of(data: bytes, path: str, config: EngineConfig) -> list[SecretHit]:
    """:func:`detect` on the UTF-8 bytes of a text."""
    import kingfisher_sdk

    scanner = _scanner()
    # a git path that is not UTF-8 (surrogate-escaped) is given to Kingfisher in valid text
    shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    found = [_Found.of(f) for f in scanner.scan_input(kingfisher_sdk.ScanInput(shown, data))]
    hits = [h for h in _map(found, data, path, config) if h is not None] if found else []
    if b"AKIA" in data or b"ASIA" in data:
        hits += _lone_aws_key_ids(data, path, config, hits)
    return _one_per_value(hits)


def _one_per_value(hits: list[SecretHit]) -> list[SecretHit]:
    """One hit per value and line: two rules matching one token (an OpenAI key is also a Kimi
    key by shape) are one secret; a rule with a legacy slug is kept first, then the first."""
    legacy = set(LEGACY_SLUGS.values())
    best: dict[tuple[int, str], SecretHit] = {}
    for hit in hits:
        key = (hit.line, hit.sha256)
        if key not in best or (hit.rule in legacy and best[key].rule not in legacy):
            best[key] = hit
    return list(best.values())


#: an AWS access key id; Kingfisher reports one only with its secret key beside it
_AWS_KEY_ID = re.compile(rb"(?<![A-Z0-9])((?:AKIA|ASIA)[A-Z2-7]{16})(?![A-Z0-9])")


def _lone_aws_key_ids(
    data: bytes, path: str, config: EngineConfig, paired: list[SecretHit]
) -> list[SecretHit]:
    """AWS access key ids committed without their secret (still a credential's public half: the
    live inventory can say whose key it is), unless a pair hit already holds them."""
    from hygiene.findings import secret_hash

    taken = {h.key_id_sha256 for h in paired if h.key_id_sha256}
    hits = []
    for match in _AWS_KEY_ID.finditer(data):
        key_id = match.group(1).decode("ascii")
        if secret_hash(key_id) in taken:
            continue
        line = data.count(b"\n", 0, match.start()) + 1
        text = _line_at(data, match.start(), match.end())
        if config.hygiene_filters and hygiene_filters.filtered_by(key_id, text, path):
            continue
        hits.append(
            SecretHit.of(
                "AWS Access Key ID",
                line,
                key_id,
                category="provider-token",
                key_id=key_id,
                engine=ENGINE,
                rule="aws-access-key",
            )
        )
    return hits


def _map(
    found: list[_Found], data: bytes, path: str, config: EngineConfig
) -> list[SecretHit | None]:
    visible = [f for f in found if f.visible]
    used: set[int] = set()  # ids of the findings folded into another's hit
    wanted = {dep for f in visible for dep in _dependencies(f.rule_id)}
    components = [f for f in found if not f.visible]
    hits: list[SecretHit | None] = []
    for f in visible:
        name = unqualified(f.rule_id)
        if name == _AWS_PAIR:
            hits.append(_aws_pair(f, components, used, data, path, config))
        elif name == _GCP_SERVICE_ACCOUNT:
            hits.append(_service_account(f, visible, used, data, path, config))
    for f in visible:
        if id(f) in used or unqualified(f.rule_id) in (_AWS_PAIR, _GCP_SERVICE_ACCOUNT):
            continue
        hits.append(_hit(f, f.secret, f.line, data, path, config))
    # AWS pairs say which secret half they took; another rule's components went into its hit
    precise = {
        d for f in visible if unqualified(f.rule_id) == _AWS_PAIR for d in _dependencies(f.rule_id)
    }
    for f in components:  # the only evidence: a secret half no visible rule took
        name = unqualified(f.rule_id)
        if id(f) in used or (f.rule_id in wanted and f.rule_id not in precise):
            continue
        if _SECRET_COMPONENT.search(name) and not _NOT_SECRET_COMPONENT.search(name):
            hits.append(_hit(f, f.secret, f.line, data, path, config))
    return hits


def _aws_pair(
    pair: _Found,
    components: list[_Found],
    used: set[int],
    data: bytes,
    path: str,
    config: EngineConfig,
) -> SecretHit | None:
    """One hit for an access key id and its secret key: the secret is the value."""
    deps = set(_dependencies(pair.rule_id))
    halves = [c for c in components if c.rule_id in deps]
    if not halves:  # Kingfisher reports the pair only with both halves; be safe
        return _hit(pair, pair.secret, pair.line, data, path, config, key_id=pair.secret)
    secret = min(halves, key=lambda c: abs(c.start - pair.start))
    used.add(id(secret))
    if hygiene_filters.filtered_by(pair.secret, _line_at(data, pair.start, pair.end), path):
        return None  # the key id is an example or placeholder: so is the pair
    return _hit(pair, secret.secret, secret.line, data, path, config, key_id=pair.secret,
                at=secret)  # fmt: skip


def _service_account(
    account: _Found,
    visible: list[_Found],
    used: set[int],
    data: bytes,
    path: str,
    config: EngineConfig,
) -> SecretHit | None:
    """One hit for a GCP service-account key file: its private key, keyed by its id."""
    match = _PRIVATE_KEY_ID.search(data, account.start, account.end)
    key_id = match.group(1).decode("ascii") if match else None
    inner = [
        v
        for v in visible
        if v is not account
        and category_of(v.rule_id) == "private-key"
        and account.start <= v.start < account.end
    ]
    if not inner:
        return _hit(account, account.secret, account.line, data, path, config, key_id=key_id)
    used.update(id(v) for v in inner)
    key = inner[0]
    return _hit(account, key.secret, key.line, data, path, config, key_id=key_id, at=key)


def _hit(
    f: _Found,
    value: str,
    line: int,
    data: bytes,
    path: str,
    config: EngineConfig,
    *,
    key_id: str | None = None,
    at: _Found | None = None,
) -> SecretHit | None:
    """The hit for ``value`` (found by ``f``, located at ``at`` or ``f``), or None when one of
    hygiene's filters says it is not a secret."""
    where = at or f
    if config.hygiene_filters and hygiene_filters.filtered_by(
        value, _line_at(data, where.start, where.end), path
    ):
        return None
    return SecretHit.of(
        display_name(f.rule_id, f.name),
        line,
        value,
        category="generic" if not f.visible and not key_id else category_of(f.rule_id),
        key_id=key_id,
        engine=ENGINE,
        rule=rule_slug(f.rule_id),
    )


def _line_at(data: bytes, start: int, end: int) -> str:
    """The line (or lines) holding bytes ``start:end``, at most ``_LINE_WINDOW`` bytes each
    side of them."""
    begin = data.rfind(b"\n", max(0, start - _LINE_WINDOW), start) + 1
    if begin == 0:
        begin = max(0, start - _LINE_WINDOW)
    stop = data.find(b"\n", end, end + _LINE_WINDOW)
    if stop < 0:
        stop = min(len(data), end + _LINE_WINDOW)
    return data[begin:stop].decode("utf-8", "replace")
