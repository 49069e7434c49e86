"""The AWS inventory: every resource of 49 types, in every account and region of the scope.

Resources are *listed* with each service's own calls, so a resource that was never tagged is
found (the Tagging API alone never returns those). The work fans out over
account × region × family slices; a family that fails in one slice makes that slice an error
(the rest still reports), and a region switched off by an SCP or opt-in is reported as skipped.

Families, one small module per service group:

- ``ec2``: instances, volumes, own snapshots and AMIs, security groups, VPCs, subnets, NAT
  gateways, Elastic IPs, internet gateways, route tables, network ACLs, key pairs, launch
  templates, VPC endpoints (tags inline)
- ``elb``: ALB/NLB, target groups, classic ELB (``DescribeTags``, 20 per call)
- ``s3``, ``efs``, ``ecr``; ``rds``, ``dynamodb``, ``elasticache``, ``redshift``, ``opensearch``;
  ``lambda``, ``ecs``, ``eks``, ``stepfunctions``; ``sqs``, ``sns``, ``kinesis``, ``logs``;
  ``kms``, ``secretsmanager``, ``iam``; ``cloudfront``, ``apigateway``
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import botocore.exceptions

from hygiene.records.cloud import ResourceRecord
from hygiene.sources.aws.inventory import (
    compute,
    databases,
    ec2,
    edge,
    elb,
    messaging,
    security,
    storage,
)
from hygiene.sources.aws.inventory.base import Family
from hygiene.sources.aws.session import AwsScope, FanOutResult, Slice, classify

log = logging.getLogger(__name__)

FAMILIES: tuple[Family, ...] = (
    ec2.FAMILY,
    elb.FAMILY,
    *storage.FAMILIES,
    *databases.FAMILIES,
    *compute.FAMILIES,
    *messaging.FAMILIES,
    *security.FAMILIES,
    *edge.FAMILIES,
)

RESOURCE_TYPES: tuple[str, ...] = tuple(t for family in FAMILIES for t in family.types)

GLOBAL = "global"


@dataclass
class Inventory:
    """What one inventory pass found and what it could not cover."""

    records: list[ResourceRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    covered_accounts: list[str] = field(default_factory=list)
    regions: dict[str, list[str]] = field(default_factory=dict)
    slices: dict[str, int] = field(default_factory=dict)


def type_filter(patterns: Sequence[str]) -> Callable[[str], bool]:
    """``wanted(resource_type)`` for the policy's ``resource_types`` globs (empty: all)."""
    if not patterns:
        return lambda _type: True
    return lambda rtype: any(fnmatchcase(rtype, p) for p in patterns)


def plan(scope: AwsScope, families: Sequence[Family], inventory: Inventory) -> list[Slice]:
    """The account × region × family slices. An account that cannot be entered (AssumeRole
    denied) or whose regions cannot be read is one error, and none of its slices run."""
    slices: list[Slice] = []
    for account in inventory.accounts:
        try:
            scope.session_for(account)  # sts:AssumeRole once, before any slice needs it
            regions = scope.regions(account)
        except botocore.exceptions.ClientError as exc:
            _kind, text = classify(exc)
            inventory.errors.append(f"account {account}: {text}")
            continue
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            inventory.errors.append(f"account {account}: {type(exc).__name__}: {exc}")
            continue
        inventory.regions[account] = regions
        for family in families:
            if family.global_service:
                slices.append(Slice(account, GLOBAL, family.name))
            else:
                slices.extend(Slice(account, region, family.name) for region in regions)
    return slices


def run_inventory(scope: AwsScope, resource_types: Sequence[str] = ()) -> Inventory:
    """List every selected resource type in every account and region of ``scope``."""
    inventory = Inventory()
    for batch in stream_inventory(scope, inventory, resource_types):
        inventory.records.extend(batch)
    inventory.records.sort(key=lambda r: (r.account, r.region, r.resource_type, r.resource_id))
    return inventory


def stream_inventory(
    scope: AwsScope, inventory: Inventory, resource_types: Sequence[str] = ()
) -> Iterator[list[ResourceRecord]]:
    """``run_inventory`` as a stream: each slice's records as soon as the slice is listed.

    ``inventory`` receives everything but the records (accounts, regions, errors, skipped
    slices, covered accounts, slice counts); it is complete once the stream is exhausted. Only
    a bounded number of slices is held at a time (``AwsScope.fan_out_stream``).
    """
    wanted = type_filter(resource_types)
    families = [f for f in FAMILIES if any(wanted(t) for t in f.types)]
    by_name = {f.name: f for f in families}
    inventory.accounts = scope.accounts()
    slices = plan(scope, families, inventory)

    broken: list[tuple[Slice, str]] = []

    def work(unit: Slice) -> list[ResourceRecord] | None:
        region = scope.default_region if unit.region == GLOBAL else unit.region
        try:
            return by_name[unit.service].lister(scope, unit.account, region, wanted)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, OSError):
            raise  # fan_out classifies these: error, or skipped for a disabled region
        except Exception as exc:  # a response we did not expect fails this slice, not the run
            log.exception("slice failed: %s", unit)
            broken.append((unit, f"{type(exc).__name__}: {exc}"))
            return None

    result: FanOutResult[list[ResourceRecord] | None] = FanOutResult()
    listed = found = 0
    for _unit, records in scope.fan_out_stream(slices, work, result):
        if records is None:
            continue
        listed += 1
        found += len(records)
        yield records
    inventory.errors += sorted([*result.errors, *(f"{unit}: {text}" for unit, text in broken)])
    inventory.skipped += result.skipped
    failed = {unit.account for unit in [*result.failed, *(unit for unit, _ in broken)]} | {
        account for account in inventory.accounts if account not in inventory.regions
    }
    inventory.covered_accounts = [a for a in inventory.accounts if a not in failed]
    inventory.slices = {
        "total": len(slices),
        "ok": listed,
        "error": len(result.failed) + len(broken),
        "skipped": len(result.skipped),
    }
    log.info(
        "inventory: %d resource(s) in %d account(s), %d slice error(s)",
        found,
        len(inventory.accounts),
        inventory.slices["error"],
    )
