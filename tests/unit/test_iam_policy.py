"""The shipped least-privilege IAM policy grants nothing but reads, in every statement."""

from __future__ import annotations

import json

from tests.conftest import REPO_ROOT

POLICY = REPO_ROOT / "deploy" / "iam" / "hygiene-readonly-policy.json"
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Lookup", "View")
# Read permissions whose names do not say so: entering the audited accounts, API Gateway's
# REST-style permission, which is scoped to GET, and iam:GenerateCredentialReport, which AWS
# classifies as a Read action: it only (re)generates the account's credential report (at most
# every four hours) for iam:GetCredentialReport to read, and changes no resource.
READ_BY_NATURE = {"sts:AssumeRole", "apigateway:GET", "iam:GenerateCredentialReport"}


def test_every_statement_allows_only_reads() -> None:
    document = json.loads(POLICY.read_text())
    assert document["Version"] == "2012-10-17"
    sids = [statement["Sid"] for statement in document["Statement"]]
    assert len(sids) == len(set(sids)), "statement ids must be unique"
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow", statement["Sid"]
        for action in statement["Action"]:
            name = action.partition(":")[2]
            assert "*" not in action, f"{action}: no wildcards in a least-privilege policy"
            assert name.startswith(READ_PREFIXES) or action in READ_BY_NATURE, action


def test_no_write_verbs_anywhere() -> None:
    text = POLICY.read_text()
    for verb in (
        "Put",
        "Create",
        "Delete",
        "Update",
        "Modify",
        "Tag",
        "Untag",
        "Attach",
        "Start",
        "Stop",
        "Terminate",
        "Rotate",
        "Set",
    ):
        for action in json.loads(text)["Statement"]:
            assert not any(a.split(":", 1)[1].startswith(verb) for a in action["Action"]), verb
