"""The prefilter: which lines could any detect-secrets plugin flag, and which plugins to ask.

Each plugin gets a *trigger*, a regular expression that matches every line the plugin could flag
(a necessary condition, never a sufficient one):

* regex detectors (AWS, GitHub, private keys, ...): a hand-derived substring pattern every match
  must contain (``CUSTOM``, pinned to the deny-lists it was derived from: if detect-secrets
  changes a pattern, that plugin falls back to its own patterns), else their own deny-list
  patterns compiled with ``re.MULTILINE`` so ``^``/``$`` mean line boundaries;
* the keyword detector: any of its deny-list words' stems (``key``, ``pass``, ``pwd``, ...),
  searched in the lowercased text — every pattern it has contains one of those words;
* the high-entropy detectors: a quoted run of the plugin's alphabet at least as long as the
  entropy limit allows (Shannon entropy of ``n`` characters is at most ``log2(n)``). Texts that
  went through a transformer (INI, YAML: it adds the quotes) are searched after transforming;
* any other plugin: every line.

Each trigger is searched over the whole text in C (``re.search`` from the start of the next
unexamined line), so the Python loop runs once per *candidate* line, not once per line. A test
runs the engine with and without the prefilter over detect-secrets-style fixtures and requires
identical results.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
from detect_secrets.plugins.keyword import DENYLIST, KeywordDetector

#: Stems every keyword of detect-secrets' KeywordDetector contains (a unit test checks this).
KEYWORD_STEMS = ("key", "pass", "pwd", "secret", "contrase")

#: Hand-derived triggers for regex detectors whose own patterns are slow to search (leading
#: look-behinds, case-insensitive alternations): ``(regex, on_lowercased_text)``. Each is a
#: substring every match of the plugin's patterns must contain; ``DERIVED_FROM`` pins the
#: patterns they were derived from, so a detect-secrets upgrade that changes them fails a test
#: instead of silently weakening the prefilter. Other regex detectors use their own patterns.
CUSTOM: dict[str, tuple[tuple[str, bool], ...]] = {
    "AWSKeyDetector": (("A3T|ABIA|ACCA|AKIA|ASIA", False), ("aws", True)),
    "ArtifactoryDetector": (("AKC|AP[0-9A-F]", False),),
    "AzureStorageKeyDetector": (("AccountKey=", False),),
    "BasicAuthDetector": (("://", False),),
    "CloudantDetector": (("cl(?:(?:oudant|ou)?[_-]?(?:api)?(?:key|pw|pass|token)|oudant)", True),),
    "GitHubTokenDetector": (("gh[pousr]_", False),),
    "IbmCloudIamDetector": (
        ("(?:key|pwd|pass|token)[\"']?\\]? *(?:=|:|:=|=>| +|::) *[\"']?[a-z0-9_\\-]{44}", True),
    ),
    "IbmCosHmacDetector": (("secret[-_]?(?:access)?[-_]?key", True),),
    "IPPublicDetector": ((r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]", False),),
    "JwtTokenDetector": (("eyJ", False),),
    "MailchimpDetector": (("-us[0-9]", False),),
    "NpmDetector": (("/:_authToken=", False),),
    "OpenAIDetector": (("T3BlbkFJ", False),),
    "PrivateKeyDetector": (("BEGIN", False), ("PuTTY-User-Key-File-2", False)),
    "DiscordBotTokenDetector": ((r"\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}", False),),
    "PypiTokenDetector": (("pypi-AgE", False),),
    "SendGridDetector": ((r"SG\.", False),),
    "SlackDetector": (("xox[abposr]-|hooks\\.slack\\.com/services/", True),),
    "SoftlayerDetector": (
        ("sl(?:oftlayer)?[_-]?(?:api)?[_-]?(?:key|pwd|pass|token)|softlayer", True),
    ),
    "SquareOAuthDetector": (("sq0csp-", False),),
    "StripeDetector": (("k_live_", False),),
    "TelegramBotTokenDetector": ((":[0-9A-Za-z_-]{35}", False),),
}

#: SHA-256 (16 hex digits) of ``"{flags}:{pattern}"`` lines of each plugin's deny-list when its
#: CUSTOM trigger was derived (detect-secrets 1.5.0). See ``denylist_digest``.
DERIVED_FROM: dict[str, str] = {
    "ArtifactoryDetector": "73b07f367f5237ad",
    "AWSKeyDetector": "71a8df27f70e9634",
    "AzureStorageKeyDetector": "b4ac01445d8a6681",
    "BasicAuthDetector": "f8c9e6adef0cd7ca",
    "CloudantDetector": "b6a1216beb142a1f",
    "DiscordBotTokenDetector": "e8cc08c35f53130c",
    "GitHubTokenDetector": "c06412cd4c3599b5",
    "IbmCloudIamDetector": "fc0bf3786c5eb2a1",
    "IbmCosHmacDetector": "59503c343fe889d3",
    "IPPublicDetector": "3ad9c91a5b1d5faa",
    "JwtTokenDetector": "90f09773dba97319",
    "MailchimpDetector": "dee1cfb51abb80c2",
    "NpmDetector": "98490516304a893f",
    "OpenAIDetector": "86f831ee4d4281f5",
    "PrivateKeyDetector": "167a1c8d04e8b9fe",
    "PypiTokenDetector": "8482dee4825b41ff",
    "SendGridDetector": "4dfd257ab90f16da",
    "SlackDetector": "008b349b833e2e41",
    "SoftlayerDetector": "d6802c56a266746b",
    "SquareOAuthDetector": "71af0e102c08dd03",
    "StripeDetector": "fd51cbb18180f5e4",
    "TelegramBotTokenDetector": "b3a83412d0c30407",
}


def denylist_digest(plugin: RegexBasedDetector) -> str:
    """The digest ``DERIVED_FROM`` pins for ``plugin``'s deny-list patterns."""
    text = "\n".join(f"{p.flags}:{p.pattern}" for p in plugin.denylist)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Trigger:
    """One plugin's necessary condition: patterns over the text (or its lowercased copy)."""

    plugin: str
    patterns: tuple[re.Pattern[str], ...]
    lowered: tuple[bool, ...] = ()

    def on_lowered(self, index: int) -> bool:
        """Whether pattern ``index`` is meant for the lowercased text."""
        return bool(self.lowered) and self.lowered[index]


def _entropy_min_length(limit: float) -> int:
    # entropy(s) <= log2(len(s)); the plugin flags entropy > limit, so len(s) > 2**limit.
    return math.floor(2**limit) + 1


def trigger_for(plugin: BasePlugin) -> Trigger:
    """The trigger of one plugin instance (see the module docstring)."""
    name = type(plugin).__name__
    if isinstance(plugin, KeywordDetector):
        assert all(any(stem in word for stem in KEYWORD_STEMS) for word in DENYLIST)
        return Trigger(name, (re.compile("|".join(KEYWORD_STEMS)),), (True,))
    if isinstance(plugin, HighEntropyStringsPlugin):
        n = _entropy_min_length(plugin.entropy_limit)
        charset = re.escape(plugin.charset)
        return Trigger(name, (re.compile(f"(['\"])[{charset}]{{{n},}}\\1"),))
    if name in CUSTOM and isinstance(plugin, RegexBasedDetector):
        if denylist_digest(plugin) != DERIVED_FROM.get(name):  # patterns changed: be safe
            patterns = tuple(re.compile(p.pattern, p.flags | re.MULTILINE) for p in plugin.denylist)
            return Trigger(name, patterns)
        specs = CUSTOM[name]
        return Trigger(
            name, tuple(re.compile(src) for src, _ in specs), tuple(low for _, low in specs)
        )
    if isinstance(plugin, RegexBasedDetector):
        patterns = tuple(re.compile(p.pattern, p.flags | re.MULTILINE) for p in plugin.denylist)
        return Trigger(name, patterns)
    return Trigger(name, (re.compile(r"^", re.MULTILINE),))


def candidate_lines(text: str, triggers: Iterable[Trigger]) -> dict[int, set[str]]:
    """Line number (1-based) → names of the plugins whose trigger matches on that line."""
    by_start: dict[int, set[str]] = {}
    lowered: str | None = None
    for trigger in triggers:
        for index, pattern in enumerate(trigger.patterns):
            subject = text
            if trigger.on_lowered(index):
                if lowered is None:
                    lowered = text.lower()
                if len(lowered) == len(text):
                    subject = lowered
                else:  # a character whose lowercase is longer: offsets would drift
                    pattern = re.compile(pattern.pattern, re.IGNORECASE)
            pos = 0
            while True:
                match = pattern.search(subject, pos)
                if match is None:
                    break
                start = match.start()
                line_start = text.rfind("\n", 0, start) + 1
                by_start.setdefault(line_start, set()).add(trigger.plugin)
                end = text.find("\n", start)
                if end < 0:
                    break
                pos = end + 1
    found: dict[int, set[str]] = {}
    number, counted = 1, 0
    for line_start in sorted(by_start):
        number += text.count("\n", counted, line_start)
        counted = line_start
        found[number] = by_start[line_start]
    return found
