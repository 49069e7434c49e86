"""The types of the live checks: a provider's format and check, its client, its verdicts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from hygiene.sources.validate.http import Http

State = Literal["true", "false", "unknown"]


@dataclass(frozen=True)
class Client:
    """How one provider is reached: its HTTP client (base URL, timeout, retries, bucket)."""

    http: Http

    @property
    def base(self) -> str:
        """The provider's base URL."""
        return self.http.base


@dataclass(frozen=True)
class Outcome:
    """A provider's word on a token; ``also``: other values (an AWS key's secret half) that
    share the verdict."""

    state: State
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provider:
    """A token format and how its provider is asked about it."""

    name: str
    pattern: re.Pattern[str]
    #: how its tokens start (a hit's 4-character preview is matched on them; a text without
    #: any of them is not searched)
    prefixes: tuple[str, ...]
    default_url: str
    url_env: str
    #: (token, the blob's text, where the token starts, client) → outcome; may raise Unreachable
    check: Callable[[str, str, int, Client], Outcome]


@dataclass(frozen=True)
class Verdict:
    """What the live check said about one value (by its SHA-256), and when."""

    state: State
    at: str
    provider: str
