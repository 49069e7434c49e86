"""Variables named by deploy files: docker-compose, GitHub Actions workflows, Kubernetes manifests.

Parsed with PyYAML's node API (line numbers kept). A key a deploy file gives a value to is
*set* for the program it runs (role ``set``), not read from the operator's environment; an
interpolation is a read. docker-compose: the keys of each service's ``environment:`` (list or
mapping; ``- X`` / ``X:`` with no value passes the operator's X through: a read), and every
``${X}`` / ``${X:-d}`` / ``$X`` interpolation (``$$`` is a literal dollar; ``env_file:`` names
files, not variables). GitHub Actions: the keys of every ``env:`` mapping (workflow, job,
step). Kubernetes: the ``name`` of each item of an ``env:`` list in a document with
``apiVersion`` and ``kind``. The YAML merge key ``<<`` is never a variable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import yaml

from hygiene.checks.env.records import EnvRead

_INTERPOLATION = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$(?P<plain>[A-Za-z_][A-Za-z0-9_]*)"
)


#: libyaml's parser when PyYAML was built with it (about 10x faster on large workflows)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=2)  # is_kubernetes() then find_kubernetes_reads() parse the same text
def _documents(text: str) -> tuple[yaml.Node, ...]:
    return tuple(doc for doc in yaml.compose_all(text, Loader=_LOADER) if doc is not None)


def _walk(node: yaml.Node) -> Iterator[yaml.Node]:
    yield node
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _walk(key)
            yield from _walk(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item)


def _get(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _merge_key(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:merge"


def _empty(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def find_compose_reads(path: str, text: str) -> list[EnvRead]:
    """Variables a docker-compose file sets for services (role ``set``), passes through from
    the operator's environment (``- X`` / ``X:`` without a value: a read) or interpolates
    (``${X}``: a read)."""
    reads: list[EnvRead] = []
    for doc in _documents(text):
        services = _get(doc, "services")
        if isinstance(services, yaml.MappingNode):
            for _, service in services.value:
                environment = _get(service, "environment")
                if isinstance(environment, yaml.SequenceNode):
                    for item in environment.value:
                        if isinstance(item, yaml.ScalarNode) and item.value:
                            name, eq, _ = str(item.value).partition("=")
                            role = "set" if eq else "read"
                            reads.append(
                                EnvRead(name.strip(), path, _line(item), "compose", role=role)
                            )
                elif isinstance(environment, yaml.MappingNode):
                    for key, value in environment.value:
                        if _merge_key(key) or not isinstance(key, yaml.ScalarNode):
                            continue
                        role = "read" if _empty(value) else "set"
                        reads.append(
                            EnvRead(str(key.value), path, _line(key), "compose", role=role)
                        )
        for node in _walk(doc):
            if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str):
                if _merge_key(node):
                    continue
                for m in _INTERPOLATION.finditer(node.value):
                    name = m["braced"] or m["plain"]
                    if name:
                        line = _line(node) + node.value.count("\n", 0, m.start())
                        reads.append(EnvRead(name, path, line, "compose"))
    return sorted(set(reads), key=lambda r: (r.line, r.name or "", r.role))


def find_actions_reads(path: str, text: str) -> list[EnvRead]:
    """The keys of every ``env:`` mapping of a GitHub Actions workflow."""
    reads: list[EnvRead] = []
    for doc in _documents(text):
        for node in _walk(doc):
            env = _get(node, "env")
            if isinstance(env, yaml.MappingNode):
                for key, _ in env.value:
                    if _merge_key(key) or not isinstance(key, yaml.ScalarNode):
                        continue
                    reads.append(
                        EnvRead(str(key.value), path, _line(key), "github-actions", role="set")
                    )
    return sorted(set(reads), key=lambda r: (r.line, r.name or ""))


def is_kubernetes(text: str) -> bool:
    """True when some document of the YAML text is a Kubernetes object (apiVersion and kind)."""
    if "apiVersion" not in text or "kind" not in text:
        return False
    try:
        return any(_get(d, "apiVersion") and _get(d, "kind") for d in _documents(text))
    except yaml.YAMLError:
        return False


def find_kubernetes_reads(path: str, text: str) -> list[EnvRead]:
    """The names of the ``env:`` items of every container in Kubernetes manifests."""
    reads: list[EnvRead] = []
    for doc in _documents(text):
        if not (_get(doc, "apiVersion") and _get(doc, "kind")):
            continue
        for node in _walk(doc):
            env = _get(node, "env")
            if isinstance(env, yaml.SequenceNode):
                for item in env.value:
                    name = _get(item, "name")
                    if isinstance(name, yaml.ScalarNode) and name.value:
                        reads.append(
                            EnvRead(str(name.value), path, _line(name), "kubernetes", role="set")
                        )
    return sorted(set(reads), key=lambda r: (r.line, r.name or ""))
