"""EC2 and VPC: every describe call returns its resources' tags inline, so no extra tag calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hygiene.records.cloud import ResourceRecord
from hygiene.sources.aws.inventory.base import ClientSource, Family, make, name_of, pages, tag_dict

TYPES = (
    "ec2:instance",
    "ec2:volume",
    "ec2:snapshot",
    "ec2:image",
    "ec2:security-group",
    "ec2:vpc",
    "ec2:subnet",
    "ec2:natgateway",
    "ec2:elastic-ip",
    "ec2:internet-gateway",
    "ec2:route-table",
    "ec2:network-acl",
    "ec2:key-pair",
    "ec2:launch-template",
    "ec2:vpc-endpoint",
)


def _arn(region: str, account: str, kind: str, ident: str) -> str:
    return f"arn:aws:ec2:{region}:{account}:{kind}/{ident}"


def list_ec2(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Instances, volumes, own snapshots and AMIs, VPC building blocks, keys and templates."""
    ec2 = scope.client("ec2", region, account)
    out: list[ResourceRecord] = []
    default_vpcs: set[str] = set()
    vpcs = pages(ec2, "describe_vpcs", "Vpcs")
    for vpc in vpcs:
        if vpc.get("IsDefault"):
            default_vpcs.add(vpc["VpcId"])

    def add(
        kind: str, ident: str, raw: Any, managed: str = "", arn: str = "", **details: Any
    ) -> None:
        rtype = f"ec2:{kind}"
        if wanted(rtype):
            tags = tag_dict(raw)
            out.append(
                make(
                    account,
                    region,
                    rtype,
                    arn or _arn(region, account, kind, ident),
                    tags,
                    name_of(tags, ident),
                    managed,
                    id=ident,
                    **details,
                )
            )

    for vpc in vpcs:
        add("vpc", vpc["VpcId"], vpc.get("Tags"), "default VPC" if vpc.get("IsDefault") else "")
    if wanted("ec2:instance"):
        for reservation in pages(ec2, "describe_instances", "Reservations"):
            for inst in reservation.get("Instances", []):
                if inst.get("State", {}).get("Name") in ("terminated", "shutting-down"):
                    continue
                add(
                    "instance",
                    inst["InstanceId"],
                    inst.get("Tags"),
                    state=inst.get("State", {}).get("Name"),
                )
    if wanted("ec2:volume"):
        for vol in pages(ec2, "describe_volumes", "Volumes"):
            add("volume", vol["VolumeId"], vol.get("Tags"))
    if wanted("ec2:snapshot"):
        for snap in pages(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]):
            add("snapshot", snap["SnapshotId"], snap.get("Tags"))
    if wanted("ec2:image"):
        for image in ec2.describe_images(Owners=["self"]).get("Images", []):
            add(
                "image",
                image["ImageId"],
                image.get("Tags"),
                arn=f"arn:aws:ec2:{region}::image/{image['ImageId']}",
            )
    if wanted("ec2:security-group"):
        for group in pages(ec2, "describe_security_groups", "SecurityGroups"):
            managed = "default security group" if group.get("GroupName") == "default" else ""
            add(
                "security-group",
                group["GroupId"],
                group.get("Tags"),
                managed,
                group_name=group.get("GroupName"),
            )
    if wanted("ec2:subnet"):
        for subnet in pages(ec2, "describe_subnets", "Subnets"):
            managed = (
                "default VPC subnet"
                if subnet.get("DefaultForAz") or subnet.get("VpcId") in default_vpcs
                else ""
            )
            add("subnet", subnet["SubnetId"], subnet.get("Tags"), managed)
    if wanted("ec2:natgateway"):
        for nat in pages(ec2, "describe_nat_gateways", "NatGateways"):
            if nat.get("State") in ("deleted", "deleting"):
                continue
            add("natgateway", nat["NatGatewayId"], nat.get("Tags"))
    if wanted("ec2:elastic-ip"):
        for address in ec2.describe_addresses().get("Addresses", []):
            ident = address.get("AllocationId") or address.get("PublicIp", "")
            add("elastic-ip", ident, address.get("Tags"))
    if wanted("ec2:internet-gateway"):
        for igw in pages(ec2, "describe_internet_gateways", "InternetGateways"):
            attached = {a.get("VpcId") for a in igw.get("Attachments", [])}
            managed = "default VPC internet gateway" if attached & default_vpcs else ""
            add("internet-gateway", igw["InternetGatewayId"], igw.get("Tags"), managed)
    if wanted("ec2:route-table"):
        for table in pages(ec2, "describe_route_tables", "RouteTables"):
            main = any(a.get("Main") for a in table.get("Associations", []))
            add(
                "route-table",
                table["RouteTableId"],
                table.get("Tags"),
                "main route table" if main else "",
            )
    if wanted("ec2:network-acl"):
        for acl in pages(ec2, "describe_network_acls", "NetworkAcls"):
            add(
                "network-acl",
                acl["NetworkAclId"],
                acl.get("Tags"),
                "default network ACL" if acl.get("IsDefault") else "",
            )
    if wanted("ec2:key-pair"):
        for key in ec2.describe_key_pairs().get("KeyPairs", []):
            add("key-pair", key.get("KeyPairId") or key["KeyName"], key.get("Tags"))
    if wanted("ec2:launch-template"):
        for template in pages(ec2, "describe_launch_templates", "LaunchTemplates"):
            add("launch-template", template["LaunchTemplateId"], template.get("Tags"))
    if wanted("ec2:vpc-endpoint"):
        for endpoint in pages(ec2, "describe_vpc_endpoints", "VpcEndpoints"):
            if endpoint.get("State", "").lower() in ("deleted", "deleting"):
                continue
            add("vpc-endpoint", endpoint["VpcEndpointId"], endpoint.get("Tags"))
    return out


FAMILY = Family("ec2", TYPES, list_ec2)
