"""The shipped GCP custom roles grant nothing but reads, and exactly what the code calls needs.

``deploy/gcp/hygiene-api-permissions.yaml`` maps every GCP API method hygiene calls to its IAM
permissions. Every method the source can count (``GcpScope.count``/``Call``) must be in that map,
with the same API; every permission of the map must be in the role it names; and the roles hold
nothing the map does not need.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy" / "gcp"
MAP = DEPLOY / "hygiene-api-permissions.yaml"
VIEWER = DEPLOY / "hygiene-viewer-role.yaml"
EXPORT = DEPLOY / "hygiene-billing-export-role.yaml"
ROLES = (VIEWER, EXPORT)
SOURCES = sorted(
    [
        *(REPO_ROOT / "src" / "hygiene" / "sources" / "gcp").glob("*.py"),
        REPO_ROOT / "src" / "hygiene" / "checks" / "gcp_parts.py",
        *(REPO_ROOT / "src" / "hygiene" / "checks" / "billing_links").glob("*.py"),
    ]
)

READ_VERBS = ("get", "getData")  # the permission's last segment, or list*/search*
# A query job is how BigQuery reads: there is no other way to run a SELECT over a table.
READ_BY_NATURE = {"bigquery.jobs.create"}
NEVER = {
    "secretmanager.versions.access",  # a secret's value
    "iam.serviceAccountKeys.get",  # not needed: keys are listed
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.actAs",
}
PERMISSION = re.compile(r"^[a-z]+(\.[a-zA-Z]+){2}$")


def role(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def api_map() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(MAP.read_text())["methods"]


def is_read(permission: str) -> bool:
    verb = permission.rsplit(".", 1)[-1]
    return verb in READ_VERBS or verb.startswith(("list", "search")) or permission in READ_BY_NATURE


def value(arg: ast.expr, constants: dict[str, str], where: str) -> str | None:
    """A method/API argument: a string literal or a module-level string constant."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.Name) and arg.id in constants:
        return constants[arg.id]
    if isinstance(arg, ast.Attribute) and arg.attr == "method":
        return None  # call.method: the Call(...) that made it is collected itself
    raise AssertionError(f"{where}: cannot resolve {ast.unparse(arg)!r} statically")


def source_calls() -> dict[str, set[str]]:
    """Every method string passed to ``count(...)`` or ``Call(...)`` in the GCP source, with the
    APIs its ``Call``s name: method → {api, ...} (empty when only counted)."""
    found: dict[str, set[str]] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(), str(path))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }

        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in ("count", "Call"):
                continue
            where = f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
            method = value(node.args[0], constants, where)
            if method is None:
                continue
            apis = found.setdefault(method, set())
            if name == "Call":
                api = value(node.args[1], constants, where)
                assert api is not None, where
                apis.add(api)
    return found


def test_roles_parse_as_gcloud_role_definitions() -> None:
    for path in ROLES:
        document = role(path)
        assert set(document) == {"title", "description", "stage", "includedPermissions"}, path
        assert document["stage"] == "GA"
        assert document["title"] and document["description"]
        permissions = document["includedPermissions"]
        assert permissions and all(PERMISSION.match(p) for p in permissions), permissions


def test_roles_grant_only_reads() -> None:
    for path in ROLES:
        for permission in role(path)["includedPermissions"]:
            assert "*" not in permission
            assert permission not in NEVER, permission
            assert is_read(permission), f"{path.name}: {permission} is not a read"


def test_the_one_non_read_verb_says_why() -> None:
    lines = EXPORT.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "- bigquery.jobs.create")
    comment = " ".join(line.strip() for line in lines[max(0, at - 4) : at])
    assert "query job is how BigQuery reads" in comment
    assert all(p not in READ_BY_NATURE for p in role(VIEWER)["includedPermissions"])


def test_roles_are_sorted_and_unique() -> None:
    for path in ROLES:
        permissions = role(path)["includedPermissions"]
        assert permissions == sorted(set(permissions)), path.name


def test_table_data_is_never_granted_with_the_organisation_wide_role() -> None:
    viewer = role(VIEWER)["includedPermissions"]
    assert not [p for p in viewer if p.startswith("bigquery.")]


def test_every_method_in_the_source_is_mapped_with_its_api() -> None:
    calls = source_calls()
    methods = api_map()
    assert "asset.searchAllResources" in calls and "bigquery.jobs.query" in calls  # it parsed
    missing = sorted(set(calls) - set(methods))
    assert not missing, f"add to {MAP.name}: {missing}"
    for method, apis in calls.items():
        assert apis <= {methods[method]["api"]}, (method, apis)
    stale = sorted(set(methods) - set(calls))
    assert not stale, f"no longer called, remove from {MAP.name}: {stale}"


def test_every_mapped_permission_is_in_its_role_and_the_roles_hold_nothing_else() -> None:
    granted = {path.name: set(role(path)["includedPermissions"]) for path in ROLES}
    needed: dict[str, set[str]] = {name: set() for name in granted}
    for method, entry in api_map().items():
        assert entry["permissions"] and entry["doc"].startswith("https://"), method
        assert entry["role"] in granted, method
        assert set(entry["permissions"]) <= granted[entry["role"]], method
        needed[entry["role"]] |= set(entry["permissions"])
    assert needed == granted
