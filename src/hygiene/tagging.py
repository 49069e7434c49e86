"""Tag normalisation shared by the tags check and the billing aggregation.

Raw tags from any source (AWS tags, GCP labels, FOCUS ``Tags`` JSON, CUR ``resourceTags/user:*``)
map onto the policy's canonical keys: keys are trimmed, matched case-insensitively and through
the policy's aliases (``env``/``Environment`` → ``Env``; GCP's lowercase labels too); values are
trimmed and mapped through value aliases (``production`` → ``prod``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hygiene.policy import TagsPolicy


@dataclass(frozen=True)
class KeyIssue:
    """A raw key that reached a canonical key only by case, alias or trimming."""

    canonical: str
    raw: str
    why: str  # "case" | "alias" | "whitespace"


@dataclass
class NormalisedTags:
    """Canonical values for the policy's keys, and how the raw tags got there."""

    values: dict[str, str] = field(default_factory=dict)  # canonical key → normalised value
    raw_values: dict[str, str] = field(default_factory=dict)  # canonical key → value as found
    key_issues: list[KeyIssue] = field(default_factory=list)
    other: dict[str, str] = field(default_factory=dict)  # keys the policy does not govern
    # canonical key → every raw key that reached it; the first is the one whose value is used
    # (the exact spelling when present, else the alphabetically first other spelling)
    raw_keys: dict[str, list[str]] = field(default_factory=dict)


def key_lookup(policy: TagsPolicy) -> dict[str, str]:
    """Lower-cased raw key or alias → canonical key."""
    lookup: dict[str, str] = {}
    for canonical in policy.required:
        lookup[canonical.lower()] = canonical
    for canonical, aliases in policy.key_aliases.items():
        for alias in aliases:
            lookup.setdefault(alias.strip().lower(), canonical)
    return lookup


def normalise_value(key: str, value: str, policy: TagsPolicy) -> str:
    """Trim a value and map it through the policy's value aliases (case-insensitively)."""
    cleaned = value.strip()
    aliases = policy.value_aliases.get(key, {})
    lowered = {alias.lower(): target for alias, target in aliases.items()}
    allowed = policy.allowed_values.get(key)
    if allowed:
        for candidate in allowed:
            if candidate.lower() == cleaned.lower():
                return candidate
    return lowered.get(cleaned.lower(), cleaned)


def normalise_tags(
    raw: Mapping[str, str] | None, policy: TagsPolicy, *, lookup: Mapping[str, str] | None = None
) -> NormalisedTags:
    """Map raw tags onto the policy's canonical keys. An exact key wins over an alias; among
    other spellings alone, the alphabetically first raw key wins (code-point order, as the SQL
    twin on every engine: the order a source returns tags in is not guaranteed). ``raw_keys``
    records every raw key that reached a canonical key (more than one: the key is carried
    twice), the one whose value is used first.

    ``lookup`` is ``key_lookup(policy)``, for callers normalising many resources to build once.
    """
    result = NormalisedTags()
    lookup = key_lookup(policy) if lookup is None else lookup
    exact_seen: set[str] = set()
    for raw_key, raw_value in sorted(
        (raw or {}).items(), key=lambda kv: (kv[0] not in lookup.values(), kv[0])
    ):
        value = "" if raw_value is None else str(raw_value)
        stripped = raw_key.strip()
        canonical = lookup.get(stripped.lower())
        if canonical is None:
            result.other[raw_key] = value
            continue
        result.raw_keys.setdefault(canonical, []).append(raw_key)
        if raw_key == canonical:
            exact_seen.add(canonical)
        elif canonical in exact_seen:
            result.other[raw_key] = value
            continue
        else:
            why = (
                "whitespace"
                if stripped == canonical
                else "case"
                if stripped.lower() == canonical.lower()
                else "alias"
            )
            result.key_issues.append(KeyIssue(canonical=canonical, raw=raw_key, why=why))
            if canonical in result.values:
                continue
        result.raw_values[canonical] = value
        result.values[canonical] = normalise_value(canonical, value, policy)
    return result
