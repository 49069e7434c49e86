"""CloudFront distributions and API Gateway APIs (REST, HTTP and WebSocket)."""

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

CLOUDFRONT_REGION = "us-east-1"


def list_cloudfront(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Distributions (a global service); tags in bulk from the Tagging API."""
    if not wanted("cloudfront:distribution"):
        return []
    del region  # CloudFront and its tags in the Tagging API live in us-east-1
    client = scope.client("cloudfront", CLOUDFRONT_REGION, account)
    items: list[dict[str, str]] = []
    for page in client.get_paginator("list_distributions").paginate():
        items += page.get("DistributionList", {}).get("Items", []) or []
    tags = tagging_api_tags(scope, account, CLOUDFRONT_REGION, [d["ARN"] for d in items])
    return [
        make(
            account,
            "global",
            "cloudfront:distribution",
            d["ARN"],
            tags[d["ARN"]],
            d.get("DomainName", d["Id"]),
        )
        for d in items
    ]


def list_apigateway(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """REST APIs (v1) and HTTP/WebSocket APIs (v2); both list calls carry the tags."""
    out: list[ResourceRecord] = []
    if wanted("apigateway:restapi"):
        for api in pages(scope.client("apigateway", region, account), "get_rest_apis", "items"):
            arn = f"arn:aws:apigateway:{region}::/restapis/{api['id']}"
            out.append(
                make(
                    account,
                    region,
                    "apigateway:restapi",
                    arn,
                    tag_dict(api.get("tags")),
                    api.get("name", api["id"]),
                )
            )
    if wanted("apigateway:api"):
        v2 = scope.client("apigatewayv2", region, account)
        for api in pages(v2, "get_apis", "Items"):
            arn = f"arn:aws:apigateway:{region}::/apis/{api['ApiId']}"
            out.append(
                make(
                    account,
                    region,
                    "apigateway:api",
                    arn,
                    tag_dict(api.get("Tags")),
                    api.get("Name", api["ApiId"]),
                )
            )
    return out


FAMILIES = (
    Family("cloudfront", ("cloudfront:distribution",), list_cloudfront, global_service=True),
    Family("apigateway", ("apigateway:restapi", "apigateway:api"), list_apigateway),
)
