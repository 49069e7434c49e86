"""AWS IAM Identity Center's users and groups (the identitystore API), as owner-directory rows.

Read-only: ``identitystore:ListUsers`` and ``identitystore:ListGroups`` on the one store the
policy names (``owners.identity_store_id``). A user whose ``UserStatus`` is ``DISABLED`` has left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from hygiene.errors import HygieneError
from hygiene.policy import AwsPolicy
from hygiene.sources.aws.session import AwsScope, paginate


@dataclass(frozen=True)
class Principal:
    """A user or group of the identity store: its name, the other names it goes by, and whether
    it is active."""

    kind: str  # "user" | "group"
    id: str  # UserName, or a group's DisplayName
    name: str | None
    emails: tuple[str, ...]
    aliases: tuple[str, ...]
    active: bool


def list_principals(policy: AwsPolicy, store_id: str, region: str | None = None) -> list[Principal]:
    """Every user and group of the identity store ``store_id``; HygieneError when it cannot be
    read (no credentials, access denied, no such store)."""
    from hygiene.errors import CheckSkipped

    try:
        scope = AwsScope.connect(policy)
        client = scope.client("identitystore", region or scope.default_region)
        users = paginate(client, "list_users", "Users", IdentityStoreId=store_id)
        groups = paginate(client, "list_groups", "Groups", IdentityStoreId=store_id)
    except CheckSkipped as exc:
        raise HygieneError(f"identity store {store_id}: {exc.reason}") from None
    except botocore.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        raise HygieneError(f"identity store {store_id}: {code}") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise HygieneError(f"identity store {store_id}: {type(exc).__name__}") from None
    return [user_principal(u) for u in users] + [group_principal(g) for g in groups]


def user_principal(user: dict[str, Any]) -> Principal:
    """A ``ListUsers`` item."""
    emails = tuple(str(e["Value"]) for e in user.get("Emails") or () if e.get("Value"))
    display = user.get("DisplayName")
    return Principal(
        kind="user",
        id=str(user["UserName"]),
        name=str(display) if display else None,
        emails=emails,
        aliases=(str(display),) if display else (),
        active=user.get("UserStatus", "ENABLED") != "DISABLED",
    )


def group_principal(group: dict[str, Any]) -> Principal:
    """A ``ListGroups`` item."""
    name = str(group.get("DisplayName") or group["GroupId"])
    return Principal("group", name, group.get("Description"), (), (), True)
