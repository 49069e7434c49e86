"""POST a JSON document within a deadline; any failure becomes ``DeliveryError`` (never naming
the URL, which is a secret for Slack and most webhooks).

``timeout`` bounds the whole attempt — connect, TLS, send, status line, headers and body — not
each read: a :class:`Deadline` shuts the connection's sockets down when it expires, so a receiver
that drips its answer a byte at a time cannot hold a run. Every protocol error (a garbage status
line, a reset, a TLS failure) is a failed delivery, which the dispatcher retries. The receiver's
verdict is its status line: once it answered 2xx, the alert was accepted, and an answer body cut
short after that (or still dripping at the deadline) is logged, not treated as a failure that
would send the alert again.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hygiene.publish.alerts.base import DeliveryError

log = logging.getLogger(__name__)

#: At most this much of a receiver's answer body is read (it is only drained, never used).
MAX_ANSWER_BYTES = 64 * 1024


class Deadline:
    """A point in (monotonic) time after which the watched sockets are shut down."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.fired = False
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []

    def remaining(self) -> float:
        """Seconds left (at least a millisecond, so it can be used as a socket timeout)."""
        return max(self.expires - time.monotonic(), 0.001)

    def expired(self) -> bool:
        """Whether the deadline has passed (or its watchdog has cut the connection)."""
        return self.fired or time.monotonic() >= self.expires

    def watch(self, sock: socket.socket) -> socket.socket:
        """Shut ``sock``'s connection down at the deadline (through a duplicate descriptor, so
        it still works after TLS wraps and detaches ``sock``); returns ``sock``."""
        twin = socket.fromfd(sock.fileno(), sock.family, sock.type)
        with self._lock:
            self._watched.append(twin)
            fired = self.fired
        if fired:
            _shutdown(twin)
        return sock

    def fire(self) -> None:
        """Cut every watched connection now: blocked reads and writes return at once."""
        with self._lock:
            self.fired = True
            watched = list(self._watched)
        for twin in watched:
            _shutdown(twin)

    @contextmanager
    def running(self) -> Iterator[Deadline]:
        """Arm the watchdog for the block; close the duplicates after it."""
        timer = threading.Timer(self.seconds, self.fire)
        timer.daemon = True
        timer.start()
        try:
            yield self
        finally:
            timer.cancel()
            with self._lock:
                watched, self._watched = self._watched, []
            for twin in watched:
                twin.close()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the peer or by us
        sock.shutdown(socket.SHUT_RDWR)


def _within(base: type[http.client.HTTPConnection], deadline: Deadline) -> Any:
    """A connection class like ``base`` whose sockets live no longer than ``deadline``."""

    class Bounded(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            self.timeout = deadline.remaining()  # connect and every later call shrink with it

            def create(address: tuple[str, int], timeout: float, source: Any = None) -> Any:
                sock = socket.create_connection(address, deadline.remaining(), source)
                return deadline.watch(sock)

            self._create_connection = create
            super().connect()
            self.sock.settimeout(deadline.remaining())

    return Bounded


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_within(http.client.HTTPConnection, self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(
            _within(http.client.HTTPSConnection, self.deadline),
            req,
            context=self._context,  # type: ignore[attr-defined]
        )


def post_json(url: str, payload: dict[str, Any], *, channel: str, timeout: float = 15.0) -> None:
    """POST ``payload`` as JSON to ``url`` within ``timeout`` seconds in all; raise
    ``DeliveryError`` unless the receiver answers 2xx in time."""
    body = json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "hygiene-alerts"},
    )
    deadline = Deadline(timeout)
    opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline))
    with deadline.running():
        try:
            response = opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise DeliveryError(
                f"channel {channel}: the receiver answered HTTP {exc.code}"
            ) from None
        except (http.client.HTTPException, OSError, ValueError) as exc:
            raise DeliveryError(f"channel {channel}: {_failure(exc, deadline)}") from None
        with response:
            _drain(response, channel, deadline)


def _drain(response: http.client.HTTPResponse, channel: str, deadline: Deadline) -> None:
    """Read (a bounded part of) an accepted answer's body; a cut-short one is only logged."""
    try:
        response.read(MAX_ANSWER_BYTES)
    except (http.client.HTTPException, OSError, ValueError) as exc:
        log.warning(
            "channel %s: the receiver accepted the alert (HTTP %d) but its answer was cut "
            "short (%s); counted as delivered",
            channel,
            response.status,
            _failure(exc, deadline),
        )


def _failure(exc: BaseException, deadline: Deadline) -> str:
    """Why an attempt failed, in words that never include the URL."""
    if deadline.expired():
        return f"no complete answer within {deadline.seconds:g} s (deadline for one attempt)"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, BaseException):
            return _failure(reason, deadline)
        return f"could not reach the receiver ({reason})"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the receiver closed the connection without answering"
    if isinstance(exc, http.client.IncompleteRead):
        return "the receiver's answer was cut short"
    if isinstance(exc, http.client.BadStatusLine | http.client.LineTooLong):
        return f"the receiver sent a malformed answer ({type(exc).__name__})"
    if isinstance(exc, http.client.HTTPException):
        return f"the receiver broke the HTTP protocol ({type(exc).__name__})"
    if isinstance(exc, TimeoutError):
        return f"no complete answer within {deadline.seconds:g} s (deadline for one attempt)"
    if isinstance(exc, OSError):
        detail = exc.strerror or type(exc).__name__
        return f"could not reach the receiver ({detail})"
    return f"invalid request ({type(exc).__name__})"
