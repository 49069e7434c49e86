"""Policy loading: defaults, merging, and errors that name file:line: key."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from hygiene.config import format_key, load_policy, merge, policy_schema
from hygiene.errors import ConfigError
from hygiene.policy import Policy

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(*paths: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_policy(list(paths))
    return str(caught.value)


def test_no_files_gives_the_blueprint_defaults() -> None:
    policy = load_policy([])
    assert policy.tags.required == ["Project", "Owner", "Env"]
    assert policy.tags.allowed_values["Env"] == ["local", "dev", "staging", "prod"]
    assert policy.rotation.max_age_days == 90
    assert (policy.backups.frequency_hours, policy.backups.retention_days) == (24, 30)


def test_default_yaml_spells_out_exactly_the_built_in_defaults() -> None:
    path = ROOT / "policies" / "default.yaml"
    assert load_policy([path]) == Policy()
    # every key is written out, not merely defaulted: the file documents the whole policy
    written = yaml.safe_load(path.read_text())
    assert _keys(written) == _keys(Policy().model_dump(mode="json"))


def _keys(data: object, at: str = "") -> set[str]:
    if not isinstance(data, dict):
        return set()
    found = set()
    for key, value in data.items():
        found.add(f"{at}{key}")
        if key not in (
            "severity",
            "per_kind",
            "per_env",
            "tier_rpo_minutes",
            "key_aliases",
            "allowed_values",
            "value_aliases",
        ):
            found |= _keys(value, f"{at}{key}.")
    return found


def test_schema_json_is_generated_from_the_models() -> None:
    committed = json.loads((ROOT / "policies" / "schema.json").read_text())
    assert committed == policy_schema(), "run `make schema` to regenerate policies/schema.json"


def test_budget_amount_must_be_positive_and_error_names_file_line_key(tmp_path: Path) -> None:
    path = write(tmp_path, "team.yaml", "budgets:\n  - name: web\n    amount: 0\n")
    assert error_of(path) == f"{path}:3: budgets[0].amount: input should be greater than 0"


def test_unknown_key_is_named_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "tags:\n  required: [Project]\n  colour: blue\n")
    assert error_of(path) == f"{path}:3: tags.colour: unknown key"


def test_wrong_type_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "version: 1\nrotation:\n  max_age_days: soon\n")
    message = error_of(path)
    assert message.startswith(f"{path}:3: rotation.max_age_days: input should be a valid integer")


def test_missing_required_key_points_at_the_item(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        "exceptions:\n  - match: {rule: missing-tag}\n    reason: legacy\n    owner: ops\n",
    )
    assert error_of(path) == f"{path}:2: exceptions[0].expires: required key is missing"


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "tags:\n  required: [Project\nbudgets: []\n")
    message = error_of(path)
    assert message.startswith(f"{path}:3: invalid YAML")


def test_duplicated_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "rotation:\n  max_age_days: 30\n  max_age_days: 60\n")
    assert error_of(path) == f"{path}:3: rotation.max_age_days: duplicated key"


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: policy file not found"
    path = write(tmp_path, "list.yaml", "- a\n- b\n")
    assert error_of(path).startswith(f"{path}:1: the policy must be a mapping")


def test_alert_channel_must_name_its_url_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "alerts:\n  channels:\n    - name: ops\n      type: slack\n")
    assert error_of(path) == (
        f"{path}:3: alerts.channels[0]: a slack channel needs url_env (the variable holding its URL)"
    )


def test_team_file_overrides_and_appends(tmp_path: Path) -> None:
    org = write(
        tmp_path,
        "org.yaml",
        "rotation: {max_age_days: 90, per_env: {prod: 90}}\n"
        "budgets:\n  - {name: shared, amount: 100}\n",
    )
    team = write(
        tmp_path,
        "team.yaml",
        "rotation: {per_env: {dev: 30}}\n"
        "budgets:\n  - {name: web, amount: 250.5, scope: {Project: web}}\n",
    )
    policy = load_policy([org, team])
    assert policy.rotation.max_age_days == 90
    assert policy.rotation.per_env == {"prod": 90, "dev": 30}
    assert [(b.name, b.amount) for b in policy.budgets] == [
        ("shared", Decimal("100")),
        ("web", Decimal("250.5")),
    ]


def test_duplicate_budget_across_files_is_reported_after_merge(tmp_path: Path) -> None:
    one = write(tmp_path, "a.yaml", "budgets:\n  - {name: web, amount: 1}\n")
    two = write(tmp_path, "b.yaml", "budgets:\n  - {name: web, amount: 2}\n")
    message = error_of(one, two)
    assert "budgets: budget name 'web' is used twice (after merging the files)" in message


def test_merge_replaces_plain_lists() -> None:
    assert merge({"tags": {"required": ["A", "B"]}}, {"tags": {"required": ["C"]}}) == {
        "tags": {"required": ["C"]}
    }


def test_format_key() -> None:
    assert format_key(("budgets", 0, "scope", "Env")) == "budgets[0].scope.Env"
    assert format_key(()) == "<root>"


def test_severity_maps_reject_unknown_rules_and_keep_defaults_for_the_rest(tmp_path: Path) -> None:
    typo = write(tmp_path, "typo.yaml", "tags:\n  severity: {missing-tags: high}\n")
    assert error_of(typo).startswith(
        f"{typo}:2: tags.severity: unknown tags rule(s) missing-tags; rules: missing-tag,"
    )
    team = write(
        tmp_path,
        "team.yaml",
        "tags:\n  severity: {missing-tag: high}\n"
        "secrets:\n  severity: {aws-access-key/provider-token: critical}\n",
    )
    policy = load_policy([team])
    assert policy.tags.severity["missing-tag"] == "high"
    assert policy.tags.severity["tag-key-case"] == "low"  # the blueprint default, not a fallback
    assert policy.secrets.severity == {
        "provider-token": "high",
        "private-key": "high",
        "password": "high",
        "generic": "medium",
        "password-hash": "low",
        "encrypted-file": "info",
        "kingfisher-jwt/provider-token": "medium",
        "aws-access-key/provider-token": "critical",
    }
    # severity_of is the one lookup the checks use: per detector, then the rule, then the default
    assert policy.tags.severity_of("missing-tag") == "high"
    assert policy.secrets.severity_of("provider-token", detector="aws-access-key") == "critical"
    assert policy.secrets.severity_of("provider-token", detector="github-token") == "high"
    assert policy.tags.model_copy(update={"severity": {}}).severity_of("tag-key-case") == "low"
    with pytest.raises(KeyError, match="no rule 'missing-tags'"):
        policy.tags.severity_of("missing-tags")


def test_secrets_severity_by_rule_is_refused_with_what_to_write_instead(tmp_path: Path) -> None:
    """Before #17 secrets.severity was keyed by in-tree/history-only; such a file now fails
    (exit 2) naming the file, line and key, and says what to write."""
    old = write(
        tmp_path, "old.yaml", "secrets:\n  history: true\n  severity: {in-tree: critical}\n"
    )
    message = error_of(old)
    assert message.startswith(f"{old}:3: secrets.severity: ")
    assert "in-tree" in message and "provider-token: high" in message and "lower:" in message


def test_budget_currency_is_normalised_like_the_bills(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "budgets:\n  - {name: web, amount: 5, currency: ' eur'}\n")
    assert load_policy([path]).budgets[0].currency == "EUR"
    bad = write(tmp_path, "bad.yaml", "budgets:\n  - {name: web, amount: 5, currency: U$D}\n")
    assert error_of(bad) == (
        f"{bad}:2: budgets[0].currency: must be an ISO 4217 currency code of three letters, "
        "e.g. USD"
    )
