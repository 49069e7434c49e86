"""SQS, SNS, Kinesis and CloudWatch Logs."""

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


def list_sqs(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Queues (ARNs built from the URLs); tags in bulk from the Tagging API."""
    if not wanted("sqs:queue"):
        return []
    urls = pages(scope.client("sqs", region, account), "list_queues", "QueueUrls")
    names = [url.rstrip("/").rsplit("/", 1)[-1] for url in urls]
    arns = [f"arn:aws:sqs:{region}:{account}:{name}" for name in names]
    tags = tagging_api_tags(scope, account, region, arns)
    return [
        make(account, region, "sqs:queue", arn, tags[arn], name, url=url)
        for arn, name, url in zip(arns, names, urls, strict=True)
    ]


def list_sns(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Topics; tags in bulk from the Tagging API."""
    if not wanted("sns:topic"):
        return []
    arns = [
        t["TopicArn"] for t in pages(scope.client("sns", region, account), "list_topics", "Topics")
    ]
    tags = tagging_api_tags(scope, account, region, arns)
    return [
        make(account, region, "sns:topic", arn, tags[arn], arn.rsplit(":", 1)[-1]) for arn in arns
    ]


def list_kinesis(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Data streams; one ``ListTagsForStream`` each."""
    if not wanted("kinesis:stream"):
        return []
    kinesis = scope.client("kinesis", region, account)
    out = []
    for summary in pages(kinesis, "list_streams", "StreamSummaries"):
        name = summary["StreamName"]
        tags = tag_dict(kinesis.list_tags_for_stream(StreamName=name).get("Tags"))
        out.append(make(account, region, "kinesis:stream", summary["StreamARN"], tags, name))
    return out


def list_logs(
    scope: ClientSource, account: str, region: str, wanted: Callable[[str], bool]
) -> list[ResourceRecord]:
    """Log groups; tags in bulk from the Tagging API (ARNs without the trailing ``:*``)."""
    if not wanted("logs:log-group"):
        return []
    groups = pages(scope.client("logs", region, account), "describe_log_groups", "logGroups")
    arns = [g.get("logGroupArn") or g["arn"].removesuffix(":*") for g in groups]
    tags = tagging_api_tags(scope, account, region, arns)
    return [
        make(account, region, "logs:log-group", arn, tags[arn], g["logGroupName"])
        for arn, g in zip(arns, groups, strict=True)
    ]


FAMILIES = (
    Family("sqs", ("sqs:queue",), list_sqs),
    Family("sns", ("sns:topic",), list_sns),
    Family("kinesis", ("kinesis:stream",), list_kinesis),
    Family("logs", ("logs:log-group",), list_logs),
)
