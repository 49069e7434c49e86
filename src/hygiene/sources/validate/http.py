"""The one HTTP client of the live checks: a timeout, retries, a per-provider token bucket, no
redirects (a redirect would carry the credential to another host), no plain HTTP except to a
loopback address (a local stand-in), and errors that never hold a header or a body."""

from __future__ import annotations

import ipaddress
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass


class Unreachable(Exception):
    """The provider could not be asked (connection, timeout, 5xx, 429 after the retries). The
    message is a fixed reason (``timeout``, ``HTTP 503``), never a request's content."""


@dataclass(frozen=True)
class Response:
    """A provider's answer: its status and (small) body."""

    status: int
    body: bytes


class TokenBucket:
    """At most ``rate`` requests a second on average, ``burst`` at once (thread-safe)."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(burst, 1)
        self._tokens = float(self.burst)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        """Wait until a request may go."""
        if self.rate <= 0:
            return
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.rate
                self._sleep(wait)
                self._last = self._clock()
                self._tokens = 0.0
            else:
                self._tokens -= 1


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 3xx is returned as it is: the credential stays with its provider


def check_base_url(url: str) -> str:
    """``url`` without a trailing ``/``; refused unless HTTPS, or HTTP to a loopback address."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url.rstrip("/")
    if parts.scheme == "http" and _loopback(host):
        return url.rstrip("/")
    raise ValueError("a validation URL must be https:// (or http:// to a loopback address)")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Http:
    """Requests to one provider, at ``base`` (see :func:`check_base_url`)."""

    def __init__(
        self,
        base: str,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        bucket: TokenBucket | None = None,
        proxies: Mapping[str, str] | None = None,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = check_base_url(base)
        self.timeout = timeout
        self.retries = max(retries, 0)
        self.bucket = bucket or TokenBucket(rate=0)
        self.backoff = backoff
        self._sleep = sleep
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        loopback = _loopback(urllib.parse.urlsplit(self.base).hostname or "")
        handlers.append(urllib.request.ProxyHandler({} if loopback else dict(proxies or {})))
        self._opener = urllib.request.build_opener(*handlers)

    def request(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        data: bytes | None = None,
    ) -> Response:
        """One call, retried on connection errors, timeouts, 429 and 5xx (``Retry-After``
        honoured up to 30 s); :class:`Unreachable` when every attempt failed."""
        reason = "not tried"
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff * (2 ** (attempt - 1)))
            self.bucket.take()
            request = urllib.request.Request(
                self.base + path, data=data, method=method, headers=dict(headers)
            )
            try:
                with self._opener.open(request, timeout=self.timeout) as answer:
                    return Response(answer.status, answer.read(65536))
            except urllib.error.HTTPError as exc:
                status = exc.code
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                body = _read_quietly(exc)
                exc.close()
                if status == 429 or status >= 500:
                    reason = f"HTTP {status}"
                    if retry_after and attempt < self.retries:
                        self._sleep(min(_seconds(retry_after), 30.0))
                    continue
                return Response(status, body)
            except TimeoutError:
                reason = "timeout"
            except urllib.error.URLError as exc:
                reason = "timeout" if isinstance(exc.reason, TimeoutError) else "unreachable"
            except OSError:
                reason = "unreachable"
        raise Unreachable(reason)


def _read_quietly(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read(65536)
    except Exception:
        return b""


def _seconds(value: str) -> float:
    try:
        return max(float(value), 0.0)
    except ValueError:
        return 1.0
