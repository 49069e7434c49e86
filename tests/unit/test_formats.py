"""Output formats: the enum maps exhaustively; each renderer shows what the document holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hygiene.context import CheckResult
from hygiene.findings import Finding, Location
from hygiene.pipeline import AuditRun
from hygiene.publish.formats import RENDERERS, OutputFormat, render

T = datetime(2026, 11, 1, tzinfo=UTC)


def document() -> dict[str, object]:
    findings = [
        Finding.create(
            check="secrets",
            rule="private-key",
            severity="critical",
            resource="api:k.pem",
            message="A private key | is committed.",
            location=Location(repo="api", path="k.pem", line=2),
        ),
        Finding.create(
            check="tags",
            rule="missing-tag",
            severity="medium",
            resource="arn:aws:s3:::b",
            message="Bucket b lacks Owner.",
        ),
    ]
    results = [
        CheckResult("secrets", "ok"),
        CheckResult("tags", "skipped", "no AWS credentials found"),
    ]
    return AuditRun("r1", T, T, T, results, findings).to_contract()


def test_every_format_has_a_renderer() -> None:
    assert set(RENDERERS) == set(OutputFormat)


def test_json_is_the_document() -> None:
    doc = document()
    assert json.loads(render(doc, "json")) == doc


def test_markdown_lists_checks_and_findings_with_escaped_pipes() -> None:
    text = render(document(), "markdown")
    assert "| tags | skipped | 1 | no AWS credentials found |" in text
    assert (
        "| critical | secrets | private-key | api:k.pem:2 | A private key \\| is committed. |"
        in text
    )


def test_table_summarises_by_check_and_severity() -> None:
    text = render(document(), "table")
    assert "no AWS credentials found" in text
    assert "arn:aws:s3:::b" in text
    assert "2 finding(s) in 2 group(s); 0 resolved." in text


def finding(index: int, path: str, rule: str = "in-tree", severity: str = "high") -> dict[str, Any]:
    return {
        "id": f"id{index}",
        "check": "secrets",
        "rule": rule,
        "severity": severity,
        "resource": f"api:{path}",
        "message": f"secret in {path}",
        "location": {"repo": "api", "path": path, "line": index + 1},
    }


def test_the_table_groups_a_rule_in_one_file_and_shows_only_the_top_by_default() -> None:
    doc = document()
    many = [finding(i, "fixtures/keys.json") for i in range(800)]
    others = [finding(1000 + i, f"src/f{i}.py", severity="medium") for i in range(7)]
    doc["findings"] = [*many, *others]
    text = render(doc, "table")
    assert "fixtures/keys.json (lines 1, 2, 3, 4, 5 …)" in text
    assert "800" in text  # one line with its count, not 800 rows
    assert text.count("api:src/f") == 4  # the top 5 groups of the check: keys.json and 4 others
    assert "8 group(s) shown" not in text and "5 group(s) shown: --verbose" in text
    assert len(text.splitlines()) < 60
    verbose = render(doc, "table", verbose=True)
    assert verbose.count("api:src/f") == 7 and "group(s) shown" not in verbose


def test_sarif_has_physical_and_logical_locations() -> None:
    sarif = json.loads(render(document(), "sarif"))
    results = sarif["runs"][0]["results"]
    assert results[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "k.pem"},
        "region": {"startLine": 2},
    }
    assert (
        results[1]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "arn:aws:s3:::b"
    )
    assert {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]} == {
        "secrets/private-key",
        "tags/missing-tag",
    }


def test_sarif_uris_are_percent_encoded_relative_references_that_round_trip() -> None:
    """Spaces, ``#``, ``%``, ``?``, ``:`` and non-ASCII in a path are percent-encoded (UTF-8), so
    a SARIF consumer resolving the URI against the repository root finds the file again."""
    from urllib.parse import unquote, urlsplit

    paths = [
        "docs/release notes #3.md",
        "100%/done?.py",
        "c:odd/name.py",
        "naïve/café/日本.py",
        "plain/dir/file.py",
    ]
    findings = [
        Finding.create(
            check="secrets",
            rule="private-key",
            severity="high",
            resource=f"api:{path}",
            message="m",
            identity=(path,),
            location=Location(repo="api", path=path, line=1),
        )
        for path in paths
    ]
    doc = AuditRun("r1", T, T, T, [CheckResult("secrets", "ok")], findings).to_contract()
    sarif = json.loads(render(doc, "sarif"))
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    ]
    assert sorted(unquote(uri, errors="strict") for uri in uris) == sorted(paths)
    for uri in uris:
        assert uri.isascii() and " " not in uri and "#" not in uri and "?" not in uri
        parts = urlsplit(uri)  # a relative reference: no scheme, no fragment, no query
        assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == ("", "", "", "")
        assert parts.path == uri
    assert "docs/release%20notes%20%233.md" in uris
    assert "100%25/done%3F.py" in uris
    assert "plain/dir/file.py" in uris
