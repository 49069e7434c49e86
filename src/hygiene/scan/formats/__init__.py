"""The hygiene engine: credential formats a regex-per-provider engine misses.

Config-file passwords (``.netrc``, ``.pgpass``, ``.npmrc``, Docker ``auths``, Maven, NuGet,
FileZilla, …), key–value secrets in any text format, connection URLs, literal credential
arguments, framework signing keys, committed password hashes, private keys (one hit per key) and
encrypted secrets files (one ``encrypted-file`` hit per file). Pure: text in, hits out.

One compiled prefilter (an alternation of every family's markers, one named group per family)
runs over each text; only the families it names run, and line-based ones only on the lines it
matched. The values never leave this package: hits carry hashes and a 4-character preview.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from hygiene.scan import filters as hygiene_filters
from hygiene.scan.formats import configfiles, encrypted, hashes, keys, keyvalue, urls
from hygiene.scan.formats._common import Candidate, Text
from hygiene.scan.formats.keys import binary_keystore
from hygiene.scan.hits import SecretHit
from hygiene.scan.markers import Markers

if TYPE_CHECKING:
    from hygiene.scan.engine import ContentResult, EngineConfig

__all__ = ["binary_keystore", "detect", "version"]

#: Bump when a rule changes what it finds (feeds the scan cache's fingerprint).
VERSION = "2"  # 2: a crypt hash under a password key is a password-hash

#: Stage 1 of the prefilter: words (lower case) → the family whose lines they mark. One
#: alternation of literals, run over the lower-cased text, that ``re`` scans at ~17 MB/s.
_WORDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "pass",
            "pwd",
            "secret",
            "token",
            "credential",
            "creds",
            "auth",
            "salt",
            "nonce_key",
            "logged_in_key",
        ],
        "kv",
    ),
    **dict.fromkeys(
        (q + sep + "key" for q in keyvalue.KEY_QUALIFIERS for sep in ("", "_", "-", ".")), "kv"
    ),
    **dict.fromkeys(
        [
            "login",
            "log_in",
            "signin",
            "sign_in",
            "authenticate",
            "basicauth",
            "basic_auth",
            ".connect(",
            "twilio",
        ],
        "args",
    ),
    **dict.fromkeys(["pbkdf2_sha", "identified", "authentication_string", "mysql_native"], "hash"),
    **dict.fromkeys(["machine", "_auth", '"auths"'], "cfg"),
}


def trie_pattern(words: list[str]) -> str:
    """A regex matching any of ``words``, factored by common prefix (``re`` then tries one
    branch per character instead of every word: ~6× faster than a flat alternation)."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return f"(?:{body})?"
        return body

    return build(trie)


#: Markers that start with a symbol (for the families whose rules then check the line).
_WORDS.update(
    {
        "://": "url",
        **dict.fromkeys(
            [
                "$2a$",
                "$2b$",
                "$2y$",
                "$2x$",
                "$2$",
                "$argon2",
                "$1$",
                "$5$",
                "$6$",
                "$7$",
                "$apr1$",
                "$y$",
                "$gy$",
            ],
            "hash",
        ),
        **dict.fromkeys(["{ssha", "{sha", "{md5", "{smd5", "{crypt}"], "hash"),
        **dict.fromkeys(["-----begin ", "putty-user-key-file-", "/u3+7qaaaa", "zs7ozgaaaa"], "key"),
        **dict.fromkeys(["$ansible_vault;", "enc[aes256_gcm,", "gitcrypt"], "enc"),
    }
)
#: Every marker, as one prefix-factored alternation run over the lower-cased text (~15 MB/s).
_WORD_RE = re.compile(trie_pattern(list(_WORDS)))
#: the families whose rules read lines (the key-value rule reads all their lines: a line one
#: family's marker claimed may hold another family's secret)
_LINE_FAMILIES = ("hash", "args", "url", "cfg", "kv")
_RANK = {
    "provider-token": 0, "private-key": 1, "password": 2, "password-hash": 3, "generic": 4,
    "encrypted-file": 5,
}  # fmt: skip


def version() -> str:
    """The rules' version (a constant: reading it compiles nothing)."""
    return VERSION


@functools.cache
def _markers() -> Markers:
    """Every family's markers in one Vectorscan database (compiled once per process)."""
    return Markers(_WORDS)


def _candidate_lines(text: Text, prefilter: bool) -> dict[str, set[int]]:
    """Family → the lines its markers matched (every line of every family without prefilter).
    The markers are found by ``scan.markers`` (Vectorscan: ~13× the alternation's speed, and
    every occurrence, so never fewer lines than ``_WORD_RE`` finds)."""
    if not prefilter:
        every = set(range(1, len(text.lines) + 1))
        return {name: every for name in (*_LINE_FAMILIES, "key", "enc")}
    return _markers().lines(text.text)


def _candidate_lines_by_line(text: Text) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for number, line in enumerate(text.lines, 1):
        lower = line.lower()
        for match in _WORD_RE.finditer(lower):
            if match.group() in _WORDS:
                found.setdefault(_WORDS[match.group()], set()).add(number)
    return found


def candidates(
    text: str, path: str, prefilter: bool = True, max_line_length: int = 4000
) -> tuple[list[Candidate], int]:
    """Every candidate secret in ``text`` (before value filters) and the long lines skipped."""
    doc = Text(text, path)
    found = _candidate_lines(doc, prefilter)
    any_line = sorted(set().union(*(found.get(name, set()) for name in _LINE_FAMILIES)))
    if "enc" in found or path.endswith(".enc"):
        whole = encrypted.find(doc)
        if whole is not None:
            return [whole], 0
    out: list[Candidate] = []
    long_lines: list[int] = []
    if "key" in found:
        out += keys.find(doc)
    store = configfiles.is_store(doc)
    if (
        "cfg" in found
        or doc.lower_name
        in configfiles.NETRC_NAMES | configfiles.PGPASS_NAMES | configfiles.SPACED_NAMES
    ):
        out += configfiles.find(doc)
    if any_line or doc.lower_name == "master.key" or path.endswith(".key"):
        for hit in keyvalue.find(doc, any_line, long_lines, max_line_length):
            if store and hit.category == "generic":
                hit = Candidate(hit.rule, hit.type, hit.line, hit.value, "password")
            out.append(hit)
    if "args" in found:
        out += keyvalue.find_arguments(doc, any_line, max_line_length)
    if "url" in found:
        out += urls.find(doc, sorted(found["url"]), max_line_length)
    if "hash" in found or doc.lower_name.startswith(".htpasswd"):
        out += hashes.find(doc, any_line, max_line_length)
    return _dedupe(out), len(set(long_lines))


def _dedupe(found: list[Candidate]) -> list[Candidate]:
    """One candidate per (line, value): the most specific; a value inside a private key's block
    (its own lines, an encrypted key's headers) is the key's, not a second finding."""
    key_lines = {
        line
        for c in found
        if c.category == "private-key"
        for line in range(c.line, c.line + c.value.count("\n") + 1)
    }
    best: dict[tuple[int, str], Candidate] = {}
    for c in found:
        if c.category != "private-key" and c.line in key_lines:
            continue
        slot = (c.line, c.value)
        if slot not in best or _RANK[c.category] < _RANK[best[slot].category]:
            best[slot] = c
    return sorted(best.values(), key=lambda c: (c.line, c.rule))


def _filtered(c: Candidate, line: str, path: str) -> bool:
    """``filters.filtered_by`` less the filters this candidate's format exempts it from."""
    exempt = set(c.skip_filters) | set(getattr(hygiene_filters, "EXEMPT", {}).get(c.category, ()))
    for name, predicate in hygiene_filters.VALUE_FILTERS.items():
        if name not in exempt and predicate(c.value, line, path):
            return True
    return False


def detect(text: str, path: str, config: EngineConfig, result: ContentResult) -> list[SecretHit]:
    """The hygiene engine's hits in ``text`` as the file ``path`` (values filtered by hygiene's
    value filters unless the configuration turns them off)."""
    found, long_lines = candidates(text, path, config.prefilter, config.max_line_length)
    result.long_lines = max(result.long_lines, long_lines)
    lines = text.split("\n") if found else []
    hits: list[SecretHit] = []
    for c in found:
        line = lines[c.line - 1] if c.line <= len(lines) else ""
        if config.hygiene_filters and _filtered(c, line, path):
            continue
        if c.category == "password" and hygiene_filters.is_password_hash(c.value):
            # a password key holding a crypt hash (`password: "$2a$…"`) holds no password
            c = replace(c, category="password-hash", rule="password-hash", type="Password Hash")
        hits.append(
            SecretHit.of(
                c.type,
                c.line,
                c.value,
                category=c.category,
                key_id=c.key_id,
                engine="hygiene",
                rule=c.rule,
            )
        )
    return hits
