"""Tag normalisation for billing, in Python and as SQL that must agree with it.

The Python side is ``hygiene.tagging`` (shared with the tags check), with two billing rules on
top: a JSON ``null`` value is no tag at all, and a value that is empty after trimming counts as
missing. The SQL side generates, per canonical key, an expression over the tags map: the exact
key first, else the first key matching case-insensitively or through an alias, then the value
trimmed and mapped through the allowed values and value aliases. Tests prove both agree on the
FOCUS sample.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from hygiene.policy import TagsPolicy
from hygiene.sources.billing.dialect import Dialect
from hygiene.tagging import key_lookup, normalise_tags


def extended_policy(policy: TagsPolicy, keys: Sequence[str]) -> TagsPolicy:
    """The tags policy with ``keys`` (e.g. ``--by CostCenter``) added to its governed keys."""
    extra = [k for k in keys if k not in policy.required]
    if not extra:
        return policy
    return policy.model_copy(update={"required": [*policy.required, *extra]})


def tag_values(
    raw: str | Mapping[str, Any] | None, keys: Sequence[str], policy: TagsPolicy
) -> dict[str, str | None]:
    """Normalised value (or None) of each canonical key in ``raw`` (a JSON object or a dict)."""
    data: Any = json.loads(raw) if isinstance(raw, str) else raw
    cleaned = {str(k): _text(v) for k, v in (data or {}).items() if v is not None}
    normalised = normalise_tags(cleaned, extended_policy(policy, keys))
    return {key: (normalised.values.get(key) or None) for key in keys}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def tag_value_sql(dialect: Dialect, tag_map: str, key: str, policy: TagsPolicy) -> str:
    """SQL for the normalised value of canonical ``key`` over the map expression ``tag_map``."""
    policy = extended_policy(policy, [key])
    lowered = sorted(raw for raw, canonical in key_lookup(policy).items() if canonical == key)
    exact = dialect.first_tag_value(tag_map, exact=key, lowered=())
    alias = dialect.first_tag_value(tag_map, exact=None, lowered=lowered)
    raw = f"COALESCE({exact}, {alias})"
    return f"NULLIF({value_sql(dialect, raw, key, policy)}, '')"


def value_sql(dialect: Dialect, raw: str, key: str, policy: TagsPolicy) -> str:
    """SQL twin of ``tagging.normalise_value``: trim, allowed values, then value aliases."""
    trimmed = dialect.trim(raw)
    mapping = {alias.lower(): target for alias, target in policy.value_aliases.get(key, {}).items()}
    allowed: dict[str, str] = {}
    for candidate in policy.allowed_values.get(key, []):
        allowed.setdefault(candidate.lower(), candidate)  # the first spelling wins, as in Python
    mapping.update(allowed)
    if not mapping:
        return trimmed
    whens = " ".join(
        f"WHEN {dialect.string(low)} THEN {dialect.string(target)}"
        for low, target in mapping.items()
    )
    return f"CASE lower({trimmed}) {whens} ELSE {trimmed} END"
