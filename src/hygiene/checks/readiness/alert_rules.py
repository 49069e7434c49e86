"""Prometheus alerting rules: find the rule files, classify each alert, and compare it with the
blueprint's critical alerts (error rate > 1 % over 5 min, P95 latency > 500 ms, disk and memory
use > 85 %).

Rule files are YAML with ``groups[].rules[]`` (Prometheus) or a ``PrometheusRule`` resource
(``spec.groups``). An alert's kind comes from its expression (``histogram_quantile`` or a
latency/duration metric → latency; 5xx or error metrics → error rate; filesystem/disk → disk;
memory → memory). Its threshold is the number of the expression's last comparison; ratios and
percentages are told apart by a ``* 100`` in the expression or a value above 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from hygiene.policy import AlertThresholds

KINDS = ("error-rate", "latency-p95", "disk", "memory")
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_COMPARISON = re.compile(r"(>=|<=|>|<)\s*(?:bool\s+)?(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*\)*\s*$")
_ANY_COMPARISON = re.compile(r"(>=|<=|>|<)\s*(?:bool\s+)?(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)")
_RANGE = re.compile(r"\[(\d+(?:ms|s|m|h|d|w|y))(?::[^\]]*)?\]")
_TIMES_100 = re.compile(r"\*\s*100\b|\b100\s*\*")


def duration_minutes(text: str | None) -> float | None:
    """A Prometheus duration (``5m``, ``1h30m``, ``90s``) in minutes; None when absent/invalid."""
    if not text:
        return None
    parts = _DURATION.findall(str(text))
    if not parts or "".join(n + u for n, u in parts) != str(text).strip():
        return None
    return sum(int(n) * _SECONDS[u] for n, u in parts) / 60


@dataclass(frozen=True)
class AlertRule:
    """One alerting rule as found in a file."""

    path: str
    line: int
    name: str
    expr: str
    for_: str | None


def is_rule_file(path: str, text: str) -> bool:
    """A YAML file that looks like Prometheus rules (cheap text test before parsing)."""
    return (
        PurePosixPath(path).suffix.lower() in (".yml", ".yaml")
        and "alert:" in text
        and "expr:" in text
    )


def parse_rules(path: str, text: str) -> list[AlertRule]:
    """The alerting rules in one YAML file (several documents allowed); [] when none parse."""
    rules: list[AlertRule] = []
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return []
    for node in documents:
        if node is None:
            continue
        for group in _groups(node):
            for rule in _children(_get(group, "rules")):
                alert, expr = _get(rule, "alert"), _get(rule, "expr")
                if isinstance(alert, yaml.ScalarNode) and isinstance(expr, yaml.ScalarNode):
                    duration = _get(rule, "for")
                    rules.append(
                        AlertRule(
                            path,
                            rule.start_mark.line + 1,
                            str(alert.value),
                            " ".join(str(expr.value).split()),
                            str(duration.value) if isinstance(duration, yaml.ScalarNode) else None,
                        )
                    )
    return rules


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _children(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _groups(node: yaml.Node) -> list[yaml.Node]:
    groups = _children(_get(node, "groups"))
    spec = _get(node, "spec")
    return groups + _children(_get(spec, "groups"))


def classify(expr: str) -> str | None:
    """The blueprint alert kind an expression measures, or None."""
    low = expr.lower()
    if "histogram_quantile" in low or re.search(r"latenc|duration", low):
        return "latency-p95"
    if re.search(r"5\.\.|5xx|status(?:_code)?\s*=~?\s*\"5|error|fail", low):
        return "error-rate"
    if re.search(r"filesystem|disk", low):
        return "disk"
    if "memory" in low or "mem_" in low:
        return "memory"
    return None


@dataclass(frozen=True)
class Judged:
    """One rule compared with the blueprint: its normalised threshold and how it is looser."""

    rule: AlertRule
    kind: str
    threshold: float | None  # percent (error-rate, disk, memory used) or milliseconds (latency)
    quantile: float | None
    range_minutes: float | None
    for_minutes: float | None
    looser: tuple[str, ...]  # human-readable reasons; empty = at least as strict

    def details(self) -> dict[str, Any]:
        """For a finding's details."""
        return {
            "alert": self.rule.name,
            "path": self.rule.path,
            "line": self.rule.line,
            "expr": self.rule.expr,
            "for": self.rule.for_,
            "kind": self.kind,
            "threshold": self.threshold,
            "quantile": self.quantile,
            "range_minutes": self.range_minutes,
            "for_minutes": self.for_minutes,
            "looser": list(self.looser),
        }


def _threshold(expr: str) -> tuple[str, float] | None:
    match = _COMPARISON.search(expr)
    if match is None:
        anywhere = list(_ANY_COMPARISON.finditer(expr))
        match = anywhere[-1] if anywhere else None
    return (match.group(1), float(match.group(2))) if match else None


def judge(rule: AlertRule, kind: str, limits: AlertThresholds) -> Judged:
    """Normalise one rule's threshold and list how it is looser than the blueprint."""
    expr = rule.expr
    compared = _threshold(expr)
    ranges = [m for r in _RANGE.findall(expr) if (m := duration_minutes(r)) is not None]
    range_minutes = max(ranges) if ranges else None
    for_minutes = duration_minutes(rule.for_) if rule.for_ else 0.0
    looser: list[str] = []
    threshold: float | None = None
    quantile: float | None = None
    percent = bool(_TIMES_100.search(expr))
    if compared is None:
        looser.append("no numeric threshold found in the expression")
    elif kind == "error-rate":
        _, value = compared
        threshold = value if percent or value > 1 else value * 100
        if threshold > limits.error_rate_percent:
            looser.append(f"threshold {threshold:g}% > {limits.error_rate_percent:g}%")
    elif kind == "latency-p95":
        _, value = compared
        in_ms = bool(re.search(r"_ms(?:_|\b)|millis|\*\s*1000\b", expr))
        threshold = value if in_ms else value * 1000
        q = re.search(r"histogram_quantile\(\s*([0-9.]+)", expr)
        quantile = float(q.group(1)) if q else None
        if threshold > limits.latency_ms:
            looser.append(f"threshold {threshold:g} ms > {limits.latency_ms:g} ms")
        if quantile is not None and quantile < limits.latency_quantile:
            looser.append(f"quantile {quantile:g} < {limits.latency_quantile:g}")
    else:
        operator, value = compared
        used = value if percent or value > 1 else value * 100
        low = expr.lower()
        if operator in ("<", "<=") and re.search(r"avail|free", low):
            used = 100 - used  # "available < 15 %" is "used > 85 %"
        threshold = used
        limit = limits.disk_percent if kind == "disk" else limits.memory_percent
        if used > limit:
            looser.append(f"threshold {used:g}% used > {limit:g}%")
    window = limits.error_rate_window_minutes
    if kind == "error-rate" and range_minutes is not None and range_minutes > window:
        looser.append(f"rate window {range_minutes:g} min > {window} min")
    if for_minutes is None:
        looser.append(f"for: {rule.for_!r} is not a duration")
    elif for_minutes > limits.for_minutes:
        looser.append(f"for: {rule.for_} > {limits.for_minutes} min")
    return Judged(rule, kind, threshold, quantile, range_minutes, for_minutes, tuple(looser))
