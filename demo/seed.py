"""The demo organisation in moto: its accounts, the resources of ``demo.org`` created when the
plan says they start, re-tagged as their tags change, IAM users with keys and Secrets Manager
secrets of various ages.

Everything goes through boto3 against the moto server the demo started (``AWS_ENDPOINT_URL``),
as it would against AWS; only the creation dates of keys and secrets are set in moto's
in-process backends (:func:`age_credentials`), since AWS has no API that backdates them.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from demo.org import ACCOUNTS, RESOURCES, Calendar, Resource

ROLE = "OrganizationAccountAccessRole"
LAMBDA_ROLE = "demo-lambda-execution"

#: IAM users per account alias: name → (tags, age of each access key in days).
USERS: dict[str, dict[str, tuple[dict[str, str], tuple[int, ...]]]] = {
    "main": {
        "checkout-ci": (
            {"Project": "checkout", "Owner": "team-payments", "Env": "prod"},
            (200, 12),
        ),
        "search-reindex": ({"Project": "search", "Owner": "team-search", "Env": "prod"}, (35,)),
        "platform-terraform": ({"Owner": "team-platform"}, (420,)),
    },
    "shop": {
        "shop-deploy": ({"Project": "shop", "Owner": "team-shop", "Env": "prod"}, (130,)),
        "shop-legacy-sync": ({"Project": "shop", "Owner": "alex.chen", "Env": "prod"}, (610,)),
    },
}
#: The user whose key the sample repository leaks (it is live: the rotation inventory has it).
LEAKED_USER = ("shop", "shop-deploy")
#: Secrets Manager secrets: (account, region, name, tags, age in days).
SECRETS: tuple[tuple[str, str, str, dict[str, str], int], ...] = (
    ("main", "us-east-1", "checkout/db-password", {"Project": "checkout", "Owner": "team-payments", "Env": "prod"}, 150),
    ("main", "us-east-1", "search/api-key", {"Project": "search", "Owner": "team-search", "Env": "prod"}, 40),
    ("main", "eu-west-1", "search/eu-replica-password", {"Project": "search", "Owner": "team-search", "Env": "staging"}, 75),
    ("shop", "us-east-1", "shop/db-password", {"Project": "shop", "Owner": "team-shop", "Env": "prod"}, 380),
)  # fmt: skip


@dataclass
class Organisation:
    """The seeded organisation: account ids, sessions and each resource's id so far."""

    accounts: dict[str, str]  # ACCOUNTS alias → account id
    sessions: dict[str, Any]  # alias → boto3 Session into that account
    resources: dict[str, str] = field(default_factory=dict)  # plan key → ResourceId
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # plan key → tags applied
    leaked_key: tuple[str, str] | None = None  # (key id, secret) of LEAKED_USER's key
    images: dict[tuple[str, str], str] = field(default_factory=dict)


def create_organisation() -> Organisation:
    """The management account (the caller's) and one member account per other alias."""
    import boto3

    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    sts = boto3.client("sts", region_name="us-east-1")
    accounts: dict[str, str] = {}
    sessions: dict[str, Any] = {}
    for alias, (name, management) in ACCOUNTS.items():
        if management:
            accounts[alias] = sts.get_caller_identity()["Account"]
            sessions[alias] = boto3.Session()
            continue
        created = org.create_account(Email=f"{name}@acme.example", AccountName=name)
        account = created["CreateAccountStatus"]["AccountId"]
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="demo-seed"
        )["Credentials"]
        accounts[alias] = account
        sessions[alias] = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
    return Organisation(accounts, sessions)


def seed_identities(org: Organisation) -> None:
    """IAM users with access keys, a Lambda execution role per account, and the secrets."""
    for alias, users in USERS.items():
        iam = org.sessions[alias].client("iam", region_name="us-east-1")
        for user, (tags, ages) in users.items():
            iam.create_user(UserName=user, Tags=_tag_list(tags))
            for _ in ages:
                key = iam.create_access_key(UserName=user)["AccessKey"]
                if (alias, user) == LEAKED_USER and org.leaked_key is None:
                    org.leaked_key = (key["AccessKeyId"], key["SecretAccessKey"])
    for alias in ACCOUNTS:
        iam = org.sessions[alias].client("iam", region_name="us-east-1")
        iam.create_role(
            RoleName=LAMBDA_ROLE,
            AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
            '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        )
    for alias, region, name, tags, _ in SECRETS:
        client = org.sessions[alias].client("secretsmanager", region_name=region)
        client.create_secret(Name=name, SecretString="demo-not-a-secret", Tags=_tag_list(tags))


def age_credentials(org: Organisation, as_of: datetime) -> None:
    """Backdate keys and secrets in moto's in-process backends (no AWS API sets those dates)."""
    from moto.iam.models import iam_backends
    from moto.secretsmanager.models import secretsmanager_backends

    for alias, users in USERS.items():
        backend = iam_backends[org.accounts[alias]]["global"]
        for user, (_, ages) in users.items():
            for key, age in zip(backend.users[user].access_keys, ages, strict=True):
                key.create_date = as_of - timedelta(days=age)
    for alias, region, name, _, age in SECRETS:
        store = secretsmanager_backends[org.accounts[alias]][region]
        for secret in store.secrets.values():
            if secret.name == name:
                stamp = int((as_of - timedelta(days=age)).timestamp())
                secret.created_date = secret.last_changed_date = stamp  # type: ignore[union-attr]
                for version in secret.versions.values():
                    version["createdate"] = stamp  # its value is as old as the secret


def advance(org: Organisation, cal: Calendar, day: date) -> None:
    """Bring the organisation to ``day``: create the resources started by then, re-tag those
    whose tags changed."""
    for resource in RESOURCES:
        if cal.day(resource.since) > day:
            continue
        tags = resource.tags_on(day, cal)
        if resource.key not in org.resources:
            org.resources[resource.key] = _create(org, resource, tags)
        elif org.tags[resource.key] != tags:
            _retag(org, resource, org.resources[resource.key], org.tags[resource.key], tags)
        org.tags[resource.key] = tags


# --------------------------------------------------------------------------- per kind


def _create(org: Organisation, resource: Resource, tags: Mapping[str, str]) -> str:
    """Create ``resource`` with ``tags``; returns the ResourceId its bill rows carry."""
    session, region = org.sessions[resource.account], resource.region
    account = org.accounts[resource.account]
    tag_list = _tag_list(tags)
    if resource.kind == "ec2":
        ec2 = session.client("ec2", region_name=region)
        image = org.images.get((resource.account, region))
        if image is None:
            image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
            org.images[(resource.account, region)] = image
        spec = [{"ResourceType": "instance", "Tags": tag_list}] if tag_list else []
        instance = ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            InstanceType=resource.size,
            TagSpecifications=spec,
        )["Instances"][0]
        return str(instance["InstanceId"])
    if resource.kind == "s3":
        s3 = session.client("s3", region_name=region)
        if region == "us-east-1":
            s3.create_bucket(Bucket=resource.key)
        else:
            s3.create_bucket(
                Bucket=resource.key, CreateBucketConfiguration={"LocationConstraint": region}
            )
        if tag_list:
            s3.put_bucket_tagging(Bucket=resource.key, Tagging={"TagSet": tag_list})
        return resource.key
    if resource.kind == "rds":
        rds = session.client("rds", region_name=region)
        created = rds.create_db_instance(
            DBInstanceIdentifier=resource.key,
            DBInstanceClass=resource.size,
            Engine=resource.engine,
            AllocatedStorage=100,
            MasterUsername="acme",
            MasterUserPassword="demo-not-a-password",
            MultiAZ=resource.multi_az,
            Tags=tag_list,
        )
        return str(created["DBInstance"]["DBInstanceArn"])
    if resource.kind == "lambda":
        function = session.client("lambda", region_name=region).create_function(
            FunctionName=resource.key,
            Runtime="python3.12",
            Role=f"arn:aws:iam::{account}:role/{LAMBDA_ROLE}",
            Handler="handler.main",
            Code={"ZipFile": _lambda_zip()},
            Tags=dict(tags),
        )
        return str(function["FunctionArn"])
    if resource.kind == "logs":
        logs = session.client("logs", region_name=region)
        if tags:
            logs.create_log_group(logGroupName=resource.key, tags=dict(tags))
        else:
            logs.create_log_group(logGroupName=resource.key)
        return f"arn:aws:logs:{region}:{account}:log-group:{resource.key}"
    if resource.kind == "dynamodb":
        table = session.client("dynamodb", region_name=region).create_table(
            TableName=resource.key,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            **({"Tags": tag_list} if tag_list else {}),
        )
        return str(table["TableDescription"]["TableArn"])
    raise ValueError(f"{resource.key}: no way to create a {resource.kind}")


def _retag(
    org: Organisation,
    resource: Resource,
    resource_id: str,
    old: Mapping[str, str],
    new: Mapping[str, str],
) -> None:
    """Replace ``old`` tags with ``new`` on a created resource (keys dropped are removed)."""
    session, region = org.sessions[resource.account], resource.region
    gone = [key for key in old if key not in new]
    if resource.kind == "ec2":
        ec2 = session.client("ec2", region_name=region)
        if gone:
            ec2.delete_tags(Resources=[resource_id], Tags=[{"Key": k} for k in gone])
        if new:
            ec2.create_tags(Resources=[resource_id], Tags=_tag_list(new))
    elif resource.kind == "s3":
        s3 = session.client("s3", region_name=region)
        if new:
            s3.put_bucket_tagging(Bucket=resource_id, Tagging={"TagSet": _tag_list(new)})
        else:
            s3.delete_bucket_tagging(Bucket=resource_id)
    elif resource.kind == "rds":
        rds = session.client("rds", region_name=region)
        if gone:
            rds.remove_tags_from_resource(ResourceName=resource_id, TagKeys=gone)
        if new:
            rds.add_tags_to_resource(ResourceName=resource_id, Tags=_tag_list(new))
    elif resource.kind == "lambda":
        client = session.client("lambda", region_name=region)
        if gone:
            client.untag_resource(Resource=resource_id, TagKeys=gone)
        if new:
            client.tag_resource(Resource=resource_id, Tags=dict(new))
    elif resource.kind == "logs":
        logs = session.client("logs", region_name=region)
        if gone:
            logs.untag_log_group(logGroupName=resource.key, tags=gone)
        if new:
            logs.tag_log_group(logGroupName=resource.key, tags=dict(new))
    elif resource.kind == "dynamodb":
        client = session.client("dynamodb", region_name=region)
        if gone:
            client.untag_resource(ResourceArn=resource_id, TagKeys=gone)
        if new:
            client.tag_resource(ResourceArn=resource_id, Tags=_tag_list(new))


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _lambda_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def main(event, context):\n    return event\n")
    return buffer.getvalue()
