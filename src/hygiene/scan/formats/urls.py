"""Credentials in connection URLs: ``scheme://user:password@host`` (not ``user:@``, not a
``${VAR}``), user names that hold an ``@`` (``.git-credentials``) included."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import unquote

from hygiene.scan.formats._common import Candidate, Text, is_reference, not_a_value

MARKERS = r"://[^\s/:'\"]*:[^\s/'\"]+@"
_URL = re.compile(
    r"""\b(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]{1,24})://(?P<user>[^\s:/'"<>`]*)
        :(?P<pw>[^\s/'"<>`]+)@(?P<host>[A-Za-z0-9\[][A-Za-z0-9.\-_\]:]*)""",
    re.VERBOSE,
)
_TEMPLATED = re.compile(r"^[{<\[(%$*]|[}>\]]$|^\*+$|^x+$|\$|%s|\{\w*\}")


def find(text: Text, lines: Iterable[int], max_len: int) -> Iterator[Candidate]:
    """Passwords in URLs on the candidate ``lines``."""
    for number in lines:
        line = text.line_text(number)
        if len(line) > max_len:
            continue
        for match in _URL.finditer(line):
            password = match.group("pw")
            if _TEMPLATED.search(password) or is_reference(password):
                continue
            plain = unquote(password)
            user = unquote(match.group("user"))
            if not_a_value(plain) or plain == user or len(plain) < 4:
                continue
            yield Candidate(
                "url-credentials", "Basic Auth Credentials", number, password, "password"
            )
