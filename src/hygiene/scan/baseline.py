"""detect-secrets baselines: write one from a scan, and judge staged hits against one.

The format is detect-secrets' own (``version``, ``plugins_used``, ``filters_used``, ``results``
keyed by file with ``type``/``filename``/``hashed_secret``/``is_verified``/``line_number``), so
``detect-secrets audit`` works on what hygiene writes. Audit verdicts (``is_secret``) already in
an existing baseline are kept.

An entry is matched by ``(filename, hashed_secret)`` alone, whatever its ``type``: the type is
the detector's display name, which differs between engines (detect-secrets' "Secret Keyword"
is the hygiene engine's "Password Assignment", its "AWS Access Key" Kingfisher's "AWS Access Key
ID"), while the hash is the SHA-1 of the secret itself. So a baseline written with one engine set
keeps judging the same secrets after the engines change. Where entries of one secret in one file
disagree, a real secret (``is_secret: true``) wins over a false positive, which wins over none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from hygiene.errors import HygieneError
from hygiene.scan.hits import SecretHit

REGENERATE = "fix it or regenerate it with `hygiene secrets baseline`"


def parse_baseline(raw: bytes | str, name: str) -> dict[str, Any]:
    """The detect-secrets baseline in ``raw`` (the file ``name``), checked to have its shape:
    an object whose ``results`` maps each file to a list of entries, each an object with string
    ``type`` and ``hashed_secret``, ``is_secret`` true, false or null and ``line_number`` a
    number when present.

    Anything else — invalid or too deeply nested JSON, another shape — is a
    :class:`HygieneError` naming the file (and line or key); no value of the file is quoted.
    """
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise HygieneError(
            f"{name}:{exc.lineno}: not valid JSON ({exc.msg}); {REGENERATE}"
        ) from None
    except UnicodeDecodeError:
        raise HygieneError(f"{name}: not UTF-8 text; {REGENERATE}") from None
    except RecursionError:
        raise HygieneError(f"{name}: JSON nested too deeply; {REGENERATE}") from None
    except ValueError as exc:  # e.g. an integer with too many digits
        raise HygieneError(f"{name}: not valid JSON ({_short(exc)}); {REGENERATE}") from None
    if not isinstance(data, dict):
        raise HygieneError(
            f"{name}: a baseline is a JSON object with a results key, not {_kind(data)}; "
            + REGENERATE
        )
    results = data.get("results", {})
    if not isinstance(results, dict):
        raise HygieneError(f"{name}: results: an object of file → entries, not {_kind(results)}")
    for path, entries in results.items():
        where = f"{name}: results[{_quoted(path)}]"
        if not isinstance(entries, list):
            raise HygieneError(f"{where}: a list of entries, not {_kind(entries)}; {REGENERATE}")
        for number, entry in enumerate(entries, start=1):
            _check_entry(entry, f"{where}[{number - 1}]")
    return data


def _check_entry(entry: object, where: str) -> None:
    if not isinstance(entry, dict):
        raise HygieneError(f"{where}: an object, not {_kind(entry)}; {REGENERATE}")
    for key in ("type", "hashed_secret"):
        if not isinstance(entry.get(key), str):
            raise HygieneError(f"{where}: {key}: a string, not {_kind(entry.get(key))}")
    line = entry.get("line_number")
    if line is not None and (not isinstance(line, int) or isinstance(line, bool)):
        raise HygieneError(f"{where}: line_number: a number, not {_kind(line)}")
    verdict = entry.get("is_secret")
    if verdict is not None and not isinstance(verdict, bool):
        raise HygieneError(f"{where}: is_secret: true, false or null, not {_kind(verdict)}")


def _kind(value: object) -> str:
    """The JSON kind of ``value``, for messages (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _quoted(path: str) -> str:
    """A file name of the baseline for messages: JSON-quoted, at most 80 characters."""
    text = json.dumps(path)
    return text if len(text) <= 80 else text[:76] + "…" + '"'


def _short(exc: Exception) -> str:
    return str(exc).split(":")[0][:80]


def build_baseline(
    hits_by_path: Mapping[str, Iterable[SecretHit]],
    generated_at: str,
    previous: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A detect-secrets baseline document for ``hits_by_path`` (paths relative, POSIX)."""
    from detect_secrets.__version__ import VERSION
    from detect_secrets.settings import get_settings

    from hygiene.scan.engine import configure

    configure()
    verdicts = _verdicts(previous or {})
    settings = get_settings().json()
    results: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(hits_by_path):
        seen: set[tuple[str, str]] = set()
        entries = []
        for hit in sorted(hits_by_path[path], key=lambda h: (h.line, h.type)):
            if (hit.type, hit.hashed_secret) in seen:
                continue  # detect-secrets lists a secret once per file
            seen.add((hit.type, hit.hashed_secret))
            entry: dict[str, Any] = {
                "type": hit.type,
                "filename": path,
                "hashed_secret": hit.hashed_secret,
                "is_verified": False,
                "line_number": hit.line,
            }
            verdict = verdicts.get((path, hit.hashed_secret))
            if verdict is not None:
                entry["is_secret"] = verdict
            entries.append(entry)
        if entries:
            results[path] = entries
    _keep_audited_history(results, previous or {})
    return {
        "version": VERSION,
        "plugins_used": settings["plugins_used"],
        "filters_used": settings["filters_used"],
        "results": results,
        "generated_at": generated_at,
    }


def _keep_audited_history(
    results: dict[str, list[dict[str, Any]]], previous: Mapping[str, Any]
) -> None:
    """Keep the previous entries that carry a verdict but are no longer in the tree: they still
    judge the secret where it lives on, in the history (``hygiene audit`` scans it). Entries
    without a verdict that left the tree are dropped, as detect-secrets does. An entry whose secret
    is still in the file under another detector's type is not kept: the new entry has its verdict."""
    found = {(e["filename"], e["hashed_secret"]) for es in results.values() for e in es}
    for path, entries in (previous.get("results") or {}).items():
        for entry in entries or []:
            key = (path, entry.get("hashed_secret"))
            if "is_secret" in entry and key not in found:
                results.setdefault(path, []).append(dict(entry))
    for path in list(results):
        results[path] = sorted(
            results.pop(path), key=lambda e: (e.get("line_number") or 0, e["type"])
        )
    ordered = dict(sorted(results.items()))
    results.clear()
    results.update(ordered)


def verdict_index(baseline: Mapping[str, Any]) -> dict[tuple[str, str], bool | None]:
    """``(filename, hashed_secret)`` → the baseline's ``is_secret`` for that secret there (None
    when listed but not audited); the type is not part of the key (see the module's docstring)."""
    index: dict[tuple[str, str], bool | None] = {}
    for path, entries in (baseline.get("results") or {}).items():
        for entry in entries or []:
            key = (str(path), str(entry.get("hashed_secret")))
            index[key] = _stronger(index.get(key), entry.get("is_secret"))
    return index


def _stronger(old: bool | None, new: object) -> bool | None:
    """Of two verdicts on one secret: true over false over none (never suppress a real one)."""
    if old is True or new is True:
        return True
    if old is False or new is False:
        return False
    return None


def _verdicts(baseline: Mapping[str, Any]) -> dict[tuple[str, str], bool]:
    """The audited entries of ``baseline``: ``(filename, hashed_secret)`` → ``is_secret``."""
    return {k: v for k, v in verdict_index(baseline).items() if v is not None}


def new_hits(
    hits_by_path: Mapping[str, Iterable[SecretHit]], baseline: Mapping[str, Any] | None
) -> dict[str, list[SecretHit]]:
    """Hits a baseline does not list (as detect-secrets-hook judges, but by file and hash
    whatever the type): the ones to block."""
    listed = verdict_index(baseline or {})
    out: dict[str, list[SecretHit]] = {}
    for path, hits in hits_by_path.items():
        fresh = [h for h in hits if (path, h.hashed_secret) not in listed]
        if fresh:
            out[path] = fresh
    return out
