"""Live validation of committed provider tokens (``hygiene audit --validate``; off by default).

The scanner keeps no secret value, only hashes. So the collector hands this package the text
of each blob that holds a candidate (a hit whose preview starts like a provider's token):
:meth:`Validator.validate_text` finds the provider formats in it again, keeps those whose SHA-256
is a hit's, asks each one's provider whether it is live, and forgets the value — it is never
stored, logged, cached, or put in an error; it goes to its own provider and nowhere else.

One module per provider family (GitHub, GitLab, Slack, Stripe, npm, SendGrid, OpenAI, AWS STS),
each with a base URL that ``HYGIENE_VALIDATE_<PROVIDER>_URL`` or the run's
``options["validate_urls"]`` can point at a stand-in (HTTPS, or HTTP to a loopback address only),
a timeout, retries, and a per-provider token bucket. A provider that cannot be asked makes the
verdict ``unknown``, never a failed run.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hygiene.findings import secret_hash
from hygiene.sources.validate import aws, github, gitlab, npm, openai, sendgrid, slack, stripe
from hygiene.sources.validate.base import Client, Outcome, Provider, State, Verdict
from hygiene.sources.validate.http import Http, TokenBucket, Unreachable, check_base_url

__all__ = ["Client", "Outcome", "Provider", "Settings", "State", "Validator", "Verdict"]

log = logging.getLogger(__name__)


def providers() -> list[Provider]:
    """Every provider family's format and check."""
    return [
        github.PROVIDER,
        gitlab.PROVIDER,
        slack.PROVIDER,
        stripe.PROVIDER,
        npm.PROVIDER,
        sendgrid.PROVIDER,
        openai.PROVIDER,
        aws.PROVIDER,
    ]


@dataclass
class Settings:
    """How the live checks run (``options`` of the run may set each)."""

    urls: Mapping[str, str] = field(default_factory=dict)  # provider name → base URL
    timeout: float = 10.0
    retries: int = 2
    rate: float = 2.0  # requests per second per provider
    burst: int = 2
    max_per_provider: int = 200  # values checked per provider per run; the rest are unknown
    backoff: float = 0.5

    @classmethod
    def of(cls, options: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
        """From a run's ``options`` (``validate_urls``, ``validate_timeout``, ``validate_retries``,
        ``validate_rate``, ``validate_burst``, ``validate_max``) and ``HYGIENE_VALIDATE_*_URL``."""
        urls = {p.name: environ[p.url_env] for p in providers() if environ.get(p.url_env)}
        urls.update(dict(options.get("validate_urls") or {}))
        settings = cls(urls=urls)
        for key, name, kind in (
            ("validate_timeout", "timeout", float),
            ("validate_retries", "retries", int),
            ("validate_rate", "rate", float),
            ("validate_burst", "burst", int),
            ("validate_max", "max_per_provider", int),
            ("validate_backoff", "backoff", float),
        ):
            if options.get(key) is not None:
                setattr(settings, name, kind(options[key]))
        return settings


class Validator:
    """The run's live checks: one client and token bucket per provider, each value asked once
    per run, and the counts for the check's stats."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        proxies: Mapping[str, str] | None = None,
        known: Iterable[Provider] | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.providers = list(known) if known is not None else providers()
        self._proxies = dict(proxies or {})
        self._clients: dict[str, Client] = {}
        self._asked: Counter[str] = Counter()
        self._verdicts: dict[str, Verdict] = {}  # SHA-256 → verdict: never a value
        self._partners: dict[str, tuple[str, ...]] = {}  # SHA-256 → the SHA-256s sharing it
        self.counts: Counter[str] = Counter()
        for provider in self.providers:  # refuse a bad URL up front, naming only the provider
            url = self.settings.urls.get(provider.name)
            if url:
                try:
                    check_base_url(url)
                except ValueError as exc:
                    raise ValueError(f"validation URL for {provider.name}: {exc}") from None

    def candidate(self, preview: str) -> bool:
        """Whether a hit with this preview (its first 4 characters then ``…``) may be a token
        some provider can check."""
        head = preview.rstrip("…")
        if len(head) < 4:
            return False
        return any(
            head.startswith(p) or p.startswith(head)
            for provider in self.providers
            for p in provider.prefixes
        )

    def validate_text(self, text: str, wanted: set[str]) -> dict[str, Verdict]:
        """Verdicts for the provider tokens in ``text`` whose SHA-256 is in ``wanted`` (and for
        any value that shares one, like an AWS key's secret half)."""
        out: dict[str, Verdict] = {}
        for provider in self.providers:
            if not any(p in text for p in provider.prefixes):
                continue
            for match in provider.pattern.finditer(text):
                sha = secret_hash(match.group(0))
                if sha not in wanted:
                    continue
                if sha not in self._verdicts:
                    self._decide(provider, match.group(0), text, match.start(), sha)
                for key in (sha, *self._partners.get(sha, ())):
                    out[key] = self._verdicts[sha]
        return out

    def stats(self) -> dict[str, int]:
        """``validated_true``/``_false``/``_unknown`` and ``validation_unreachable``."""
        return {
            "validated_true": self.counts["true"],
            "validated_false": self.counts["false"],
            "validated_unknown": self.counts["unknown"],
            "validation_unreachable": self.counts["unreachable"],
        }

    def _decide(self, provider: Provider, value: str, text: str, at: int, sha: str) -> None:
        state: State = "unknown"
        also: tuple[str, ...] = ()
        client = self._client(provider)
        if self._asked[provider.name] >= self.settings.max_per_provider:
            self.counts["over_limit"] += 1
        else:
            self._asked[provider.name] += 1
            try:
                outcome = provider.check(value, text, at, client)
                state, also = outcome.state, outcome.also
            except Unreachable as exc:
                self.counts["unreachable"] += 1
                log.warning("%s: a token could not be validated (%s)", provider.name, exc)
            except Exception as exc:  # a provider module's bug: no value, no message text
                self.counts["unreachable"] += 1
                log.warning("%s: validation failed (%s)", provider.name, type(exc).__name__)
        self.counts[state] += 1
        verdict = Verdict(state, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), provider.name)
        self._partners[sha] = tuple(secret_hash(v) for v in also)
        self._verdicts[sha] = verdict

    def _client(self, provider: Provider) -> Client:
        if provider.name not in self._clients:
            s = self.settings
            base = s.urls.get(provider.name) or provider.default_url
            bucket = TokenBucket(rate=s.rate, burst=s.burst)
            self._clients[provider.name] = Client(
                Http(
                    base,
                    timeout=s.timeout,
                    retries=s.retries,
                    bucket=bucket,
                    proxies=self._proxies,
                    backoff=s.backoff,
                )
            )
        return self._clients[provider.name]


def proxies_of(environ: Mapping[str, str]) -> dict[str, str]:
    """``https_proxy``/``http_proxy`` (either case) from ``environ``, for the provider calls."""
    out = {}
    for scheme in ("https", "http"):
        value = environ.get(f"{scheme}_proxy") or environ.get(f"{scheme.upper()}_PROXY")
        if value:
            out[scheme] = value
    return out
