"""KMS customer keys, Secrets Manager secrets, IAM roles, users and customer-managed policies."""

from __future__ import annotations

from collections.abc import Callable

from hygiene.records.cloud import ResourceRecord
from hygiene.sources.aws.inventory.base import (
    ClientSource,
    Family,
    make,
    pages,
    tag_dict,
    tagging_api_tags,
)

# IAM paths AWS reserves for roles it creates and manages (service-linked roles, SSO roles).
AWS_MANAGED_ROLE_PATHS = ("/aws-service-role/", "/aws-reserved/")


def list_kms(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Keys; a key targeted by an ``alias/aws/*`` alias is AWS-managed. Tags in bulk."""
    if not wanted("kms:key"):
        return []
    kms = scope.client("kms", region, account)
    keys = pages(kms, "list_keys", "Keys")
    aliases = pages(kms, "list_aliases", "Aliases")
    aws_managed = {
        a["TargetKeyId"]
        for a in aliases
        if a.get("AliasName", "").startswith("alias/aws/") and a.get("TargetKeyId")
    }
    names = {a["TargetKeyId"]: a["AliasName"] for a in aliases if a.get("TargetKeyId")}
    tags = tagging_api_tags(scope, account, region, [k["KeyArn"] for k in keys])
    return [
        make(
            account,
            region,
            "kms:key",
            k["KeyArn"],
            tags[k["KeyArn"]],
            names.get(k["KeyId"], k["KeyId"]),
            "AWS-managed KMS key" if k["KeyId"] in aws_managed else "",
        )
        for k in keys
    ]


def list_secrets(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Secrets (metadata only, never values); ``ListSecrets`` carries the tags."""
    if not wanted("secretsmanager:secret"):
        return []
    client = scope.client("secretsmanager", region, account)
    return [
        make(
            account,
            region,
            "secretsmanager:secret",
            s["ARN"],
            tag_dict(s.get("Tags")),
            s["Name"],
            "managed by another AWS service" if s.get("OwningService") else "",
        )
        for s in pages(client, "list_secrets", "SecretList")
    ]


def list_iam(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Roles, users and customer-managed policies from ``GetAccountAuthorizationDetails``, which
    carries role and user tags in bulk (policies' tags: ``ListPolicyTags``). Service-linked and
    SSO-reserved roles are AWS-managed."""
    iam = scope.client("iam", region, account)
    filters = [
        f
        for f, t in (
            ("Role", "iam:role"),
            ("User", "iam:user"),
            ("LocalManagedPolicy", "iam:policy"),
        )
        if wanted(t)
    ]
    if not filters:
        return []
    out: list[ResourceRecord] = []
    for page in iam.get_paginator("get_account_authorization_details").paginate(Filter=filters):
        for role in page.get("RoleDetailList", []):
            path = role.get("Path", "/")
            managed = "AWS-managed role" if path.startswith(AWS_MANAGED_ROLE_PATHS) else ""
            out.append(
                make(
                    account,
                    "global",
                    "iam:role",
                    role["Arn"],
                    tag_dict(role.get("Tags")),
                    role["RoleName"],
                    managed,
                    path=path,
                )
            )
        for user in page.get("UserDetailList", []):
            out.append(
                make(
                    account,
                    "global",
                    "iam:user",
                    user["Arn"],
                    tag_dict(user.get("Tags")),
                    user["UserName"],
                )
            )
        for policy in page.get("Policies", []):
            # ManagedPolicyDetail carries no tags: one ListPolicyTags per customer-managed policy
            arn = policy["Arn"]
            tags = tag_dict(pages(iam, "list_policy_tags", "Tags", PolicyArn=arn))
            name = policy.get("PolicyName") or arn.rsplit("/", 1)[-1]
            out.append(make(account, "global", "iam:policy", arn, tags, name))
    return out


FAMILIES = (
    Family("kms", ("kms:key",), list_kms),
    Family("secretsmanager", ("secretsmanager:secret",), list_secrets),
    Family("iam", ("iam:role", "iam:user", "iam:policy"), list_iam, global_service=True),
)
