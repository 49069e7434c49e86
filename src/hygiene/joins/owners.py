"""Owners that resolve: an ``Owner`` tag judged against the owner directory (pure).

The directory joins the policy's owners (``owners:``, ``owners.file``), the audited repositories'
CODEOWNERS teams and users, and AWS IAM Identity Center's users and groups. A name matches an
entry's id, an alias, an e-mail address or (for ``@org/team``) the team's slug, ignoring case
and a leading ``@``. Policy entries come first: they say who is active and where alerts go.

Rules, judged with the tags check on every resource that has an Owner tag (severity from
``owners.severity``); only when a directory is configured, so no directory gives no noise:

- ``unknown-owner``: the Owner tag names no one in the directory; ``details.did_you_mean`` is the
  closest known owner (``team-paymnts`` → ``team-payments``) when one is close;
- ``departed-owner``: it names an owner the directory marks inactive (left the company; a
  disabled Identity Center user).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hygiene.checks.tags.rules import in_scope
from hygiene.findings import Finding
from hygiene.policy import OwnerEntry, Policy
from hygiene.records.cloud import ResourceRecord
from hygiene.tagging import normalise_tags

CHECK = "tags"  # resolved with the tags check's accounts, like the tags it judges
RULES = ("unknown-owner", "departed-owner")


@dataclass(frozen=True)
class Owner:
    """One owner of the directory and where it came from (``policy``, ``codeowners``,
    ``identity-center``)."""

    id: str
    source: str
    name: str | None = None
    email: str | None = None
    active: bool = True
    aliases: tuple[str, ...] = ()
    slack_webhook_env: str | None = None
    channel: str | None = None

    @classmethod
    def of_entry(cls, entry: OwnerEntry, source: str = "policy") -> Owner:
        """A policy entry."""
        return cls(
            id=entry.id,
            source=source,
            name=entry.name,
            email=entry.email,
            active=entry.active,
            aliases=tuple(entry.aliases),
            slack_webhook_env=entry.slack_webhook_env,
            channel=entry.channel,
        )

    def names(self) -> list[str]:
        """Every name this owner is known by."""
        out = [self.id, *self.aliases]
        if self.email:
            out.append(self.email)
        return out


def name_key(value: str) -> str:
    """How names are compared: trimmed, lower-case, without a leading ``@``."""
    return value.strip().lower().lstrip("@")


class Directory:
    """Owners by every name they are known by; the first owner to claim a name keeps it."""

    def __init__(self, owners: Iterable[Owner]) -> None:
        self.owners: list[Owner] = []
        self._by_name: dict[str, Owner] = {}
        self._derived: set[str] = set()  # names only a path's last segment gave
        self._shared: dict[str, list[Owner]] = {}  # last segments several owners' paths end in
        self._hints: dict[str, str | None] = {}
        for owner in owners:
            self.add(owner)

    def add(self, owner: Owner) -> None:
        """Add ``owner`` under the names no earlier owner holds. A path's last segment
        (``@org/team`` → ``team``) is a name too, unless several owners' paths end in it
        (``@org/a/frontend``, ``@org/b/frontend``): then it names none of them."""
        names = [name_key(n) for n in owner.names()]
        fresh = [n for n in names if n and n not in self._by_name]
        derived = []
        for short in dict.fromkeys(n.rsplit("/", 1)[1] for n in names if "/" in n):
            if not short or short in names:
                continue
            if short in self._shared:
                self._shared[short].append(owner)
            elif short not in self._by_name:
                derived.append(short)
            elif short in self._derived and self._by_name[short] is not owner:
                self._shared[short] = [self._by_name.pop(short), owner]
                self._derived.discard(short)
        if not fresh and not derived and names:
            return
        self._hints.clear()
        self.owners.append(owner)
        for name in fresh:
            self._by_name[name] = owner
        for name in derived:
            self._by_name[name] = owner
            self._derived.add(name)

    def resolve(self, value: str) -> Owner | None:
        """The owner ``value`` names, or None."""
        return self._by_name.get(name_key(value))

    def sharing(self, value: str) -> list[str]:
        """The ids of the owners whose paths all end in ``value`` ([] when it is no such
        shared last segment)."""
        return [o.id for o in self._shared.get(name_key(value), [])]

    def suggest(self, value: str) -> str | None:
        """The id of the owner whose name is closest to ``value`` (``team-paymnts`` →
        ``team-payments``), when one is close enough and no other owner's name is as close
        (``am-python`` is one edit from both ``apm-python`` and ``asm-python``: no hint beats a
        coin toss that reads as sure). Memoised per value: tags repeat."""
        key = name_key(value)
        if key not in self._hints:
            self._hints[key] = self._closest(key)
        return self._hints[key]

    def _closest(self, key: str) -> str | None:
        close = difflib.get_close_matches(key, list(self._by_name), n=2, cutoff=0.75)
        if not close:
            return None
        best = self._by_name[close[0]]
        if len(close) == 2 and self._by_name[close[1]] is not best:
            ratios = [difflib.SequenceMatcher(None, key, name).ratio() for name in close]
            if ratios[0] - ratios[1] < 1e-9:
                return None
        return best.id

    def sources(self) -> dict[str, int]:
        """How many owners each source gave."""
        counts: dict[str, int] = {}
        for owner in self.owners:
            counts[owner.source] = counts.get(owner.source, 0) + 1
        return dict(sorted(counts.items()))

    def __len__(self) -> int:
        return len(self.owners)


def judge_owners(
    records: Iterable[ResourceRecord], directory: Directory, policy: Policy
) -> list[Finding]:
    """``unknown-owner`` and ``departed-owner`` for the in-scope records with an Owner tag (an
    absent or empty Owner is the tags check's ``missing-tag``/``empty-tag-value``)."""
    findings = []
    for record in in_scope(records, policy.tags):
        values = normalise_tags(record.tags, policy.tags).values
        value = (values.get("Owner") or "").strip()
        if not value:
            continue
        owner = directory.resolve(value)
        if owner is not None and owner.active:
            continue
        rule = "unknown-owner" if owner is None else "departed-owner"
        details: dict[str, Any] = {
            "provider": record.provider,
            "account": record.account,
            "region": record.region,
            "resource_type": record.resource_type,
            "name": record.name,
            "owner_value": value,
        }
        shared = directory.sharing(value) if owner is None else []
        if shared:
            details["did_you_mean"] = None
            details["could_be"] = shared[:10]
            more = f" and {len(shared) - 3} more" if len(shared) > 3 else ""
            message = (
                f"The Owner tag {value!r} could name any of {len(shared)} owners of the "
                f"directory ({', '.join(shared[:3])}{more}): set it to the full name of one."
            )
        elif owner is None:
            hint = directory.suggest(value)
            details["did_you_mean"] = hint
            message = f"The Owner tag {value!r} names no one in the owner directory" + (
                f"; did you mean {hint!r}?"
                if hint
                else "; set it to a team or person listed there."
            )
        else:
            details["directory_source"] = owner.source
            who = f"{owner.name} ({owner.id})" if owner.name else owner.id
            message = (
                f"The Owner tag names {who}, who is marked inactive in the owner directory: "
                "hand the resource to an active owner."
            )
        findings.append(
            Finding.create(
                check=CHECK,
                rule=rule,
                severity=policy.owners.severity_of(rule),
                resource=record.resource_id,
                message=message,
                identity=(name_key(value),),
                owner=value,
                project=values.get("Project"),
                env=values.get("Env"),
                details=details,
            )
        )
    return findings
