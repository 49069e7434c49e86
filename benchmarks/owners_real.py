"""Real-CODEOWNERS benchmark of the owner directory (issue #19 §3, "Owners that resolve").

Takes a folder of real CODEOWNERS files, one per repository, as ``<folder>/<owner>+<repo>/
CODEOWNERS`` (fetched by whoever runs it; their content is never copied here), and for each:

1. **Parser**: ``parse_codeowners`` against a deliberately simple independent count — every
   whitespace-separated token after the pattern, on a line not starting with ``#``, that starts
   with ``@`` or looks like an e-mail address. Owners, teams (``@org/team``), users, addresses,
   and every token the two disagree on, with the first line that names it and a hint of its
   shape (section header, after an inline ``#``, nested group, role, …) to judge by hand.
2. **Directory**: built as ``joins/stage.py``'s ``load_directory`` builds it (the file committed
   to a throwaway git repository and read through ``read_codeowners``; the owner list is checked
   against a direct rebuild). For each team slug that names its own team, realistic misspellings
   of an Owner tag: a different case, ``-`` → ``_`` and ``-`` removed (these should resolve),
   the ``team-`` prefix added or removed, one letter deleted, two adjacent letters swapped, one
   letter doubled (these should be unknown with the right did-you-mean). Each is counted as
   resolved to the right owner, the name of another owner (the variant *is* someone else's
   name), suggested right, suggested a WRONG owner, or no suggestion.
3. **Timing**: parse, directory build, and 10,000 tag values resolved (resolve alone, and
   resolve + did-you-mean for the unknown ones, as ``judge_owners`` does), best of ``--repeat``.

    python -m benchmarks.owners_real                      # /tmp/codeowners-real
    python -m benchmarks.owners_real DIR -o owners.md --json owners.json
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hygiene.joins.owners import Directory, name_key
from hygiene.joins.stage import codeowners_owners, load_directory
from hygiene.policy import Policy
from hygiene.sources.codeowners import parse_codeowners

DEFAULT_DIR = Path("/tmp/codeowners-real")
TAG_VALUES = 10_000
SHOULD_RESOLVE = ("case", "underscore", "no-separator")
KINDS = (*SHOULD_RESOLVE, "team-prefix", "delete", "swap", "double")


# --------------------------------------------------------------------------- 1. the parser


def looks_like_email(token: str) -> bool:
    """``a@b.c``: an ``@`` after the first character and a dot after it (simple on purpose)."""
    local, at, domain = token.rpartition("@")
    return bool(at and local and "." in domain.strip("."))


def simple_owners(text: str) -> list[tuple[int, str, str]]:
    """Every (line number, token, line) the simple count takes as an owner mention."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for token in stripped.split()[1:]:
            if token.startswith("@") or looks_like_email(token):
                out.append((number, token, stripped))
    return out


def kind_of(token: str) -> str:
    """team, user or email."""
    if token.startswith("@"):
        return "team" if "/" in token else "user"
    return "email"


def shape_hint(token: str, line: str) -> str:
    """What the line or token looks like, to judge a disagreement by."""
    hints = []
    if line.startswith(("[", "^[")):
        hints.append("section header")
    before = line.split(token, 1)[0]
    if "#" in before:
        hints.append("after an inline #")
    if token.startswith("@@"):
        hints.append("role (@@)")
    elif token.startswith("@") and token.count("/") >= 2:
        hints.append("nested group")
    if token.startswith("@") and not token[1:2].isalnum():
        hints.append("odd first character")
    if token[-1:] in ",;:)]":
        hints.append("trailing punctuation")
    return ", ".join(hints) or "other"


@dataclass
class Disagreement:
    """A token one count takes as an owner and the other does not."""

    token: str
    side: str  # "simple only" (the parser skips it) or "parser only"
    line_number: int
    line: str
    hint: str
    mentions: int


def compare(text: str, parsed: list[str]) -> tuple[list[Disagreement], dict[str, int]]:
    """Disagreements between ``parse_codeowners`` and the simple count, and mention totals."""
    mentions = simple_owners(text)
    first: dict[str, tuple[int, str]] = {}
    count: Counter[str] = Counter()
    for number, token, line in mentions:
        first.setdefault(token, (number, line))
        count[token] += 1
    parsed_set = set(parsed)
    out = []
    for token in sorted(set(first) - parsed_set):
        number, line = first[token]
        out.append(
            Disagreement(token, "simple only", number, line, shape_hint(token, line), count[token])
        )
    lines = text.splitlines()
    for token in sorted(parsed_set - set(first)):
        number = next((i for i, ln in enumerate(lines, 1) if token in ln), 0)
        line = lines[number - 1].strip() if number else ""
        out.append(Disagreement(token, "parser only", number, line, shape_hint(token, line), 0))
    # mentions on lines the parser reads no owner from at all (e.g. section headers)
    skipped = sum(1 for number, _t, _l in mentions if not parse_codeowners(lines[number - 1]))
    return out, {"mentions": len(mentions), "mentions_on_skipped_lines": skipped}


# --------------------------------------------------------------------------- 2. the directory


def directory_like_stage(tokens: list[str]) -> Directory:
    """The directory ``load_directory`` builds from one repository's CODEOWNERS tokens."""
    return Directory(codeowners_owners(tokens))


def directory_through_stage(text: str) -> Directory:
    """``load_directory`` itself, on a throwaway git repository holding ``text`` as CODEOWNERS."""
    with tempfile.TemporaryDirectory(prefix="owners-real-") as tmp:
        repo = Path(tmp)
        (repo / "CODEOWNERS").write_text(text, encoding="utf-8")
        git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=b@bench.invalid"]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run([*git, "add", "CODEOWNERS"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "CODEOWNERS"], check=True)
        return load_directory(Policy(), {"repo": repo})


def variants(slug: str) -> list[tuple[str, str]]:
    """(kind, value) misspellings of an Owner tag naming ``slug``; none equal to ``slug``."""
    out: set[tuple[str, str]] = set()
    out.add(("case", slug.upper()))
    out.add(("case", "-".join(p[:1].upper() + p[1:] for p in slug.split("-"))))
    if "-" in slug:
        out.add(("underscore", slug.replace("-", "_")))
        out.add(("no-separator", slug.replace("-", "")))
    if slug.startswith("team-"):
        out.add(("team-prefix", slug.removeprefix("team-")))
    else:
        out.add(("team-prefix", f"team-{slug}"))
    for i, ch in enumerate(slug):
        if ch.isalnum():
            out.add(("delete", slug[:i] + slug[i + 1 :]))
            out.add(("double", slug[: i + 1] + ch + slug[i + 1 :]))
        if i + 1 < len(slug) and ch.isalnum() and slug[i + 1].isalnum() and ch != slug[i + 1]:
            out.add(("swap", slug[:i] + slug[i + 1] + ch + slug[i + 2 :]))
    return sorted((k, v) for k, v in out if v and v != slug)


@dataclass
class Outcomes:
    """How a directory met one repository's misspellings."""

    by_kind: dict[str, Counter[str]] = field(default_factory=dict)
    wrong: list[dict[str, Any]] = field(default_factory=list)
    other_owner: list[dict[str, Any]] = field(default_factory=list)
    ambiguous_slugs: list[str] = field(default_factory=list)
    slugs: int = 0


def judge_variants(directory: Directory, teams: list[str]) -> Outcomes:
    """Resolve and suggest every misspelling of every team slug that names its own team."""
    res = Outcomes(by_kind={k: Counter() for k in KINDS})
    for token in teams:
        slug = slug_of(token)
        owner = directory.resolve(slug)
        if owner is None:
            continue
        if token not in owner.aliases:
            if name_key(token) not in {name_key(a) for a in owner.aliases}:
                res.ambiguous_slugs.append(f"{token} (slug names {owner.aliases[0]})")
            continue  # the same team spelt in another case is the same owner
        res.slugs += 1
        for kind, value in variants(slug):
            got = directory.resolve(value)
            if got is owner:
                outcome = "resolved"
            elif got is not None:
                outcome = "another owner's name"
                res.other_owner.append({"kind": kind, "value": value, "meant": token, "is": got.id})
            else:
                hint = directory.suggest(value)
                if hint is None:
                    outcome = "no suggestion"
                elif hint == owner.id:
                    outcome = "suggested right"
                else:
                    outcome = "suggested WRONG"
                    res.wrong.append(
                        {
                            "kind": kind,
                            "value": value,
                            "meant": token,
                            "suggested": hint,
                            "suggested_is": _owner_label(directory, hint),
                            "ratio_meant": round(_ratio(value, slug), 3),
                            "ratio_suggested": round(_best_ratio(directory, value, hint), 3),
                        }
                    )
            res.by_kind[kind][outcome] += 1
    return res


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, name_key(a), name_key(b)).ratio()


def _best_ratio(directory: Directory, value: str, owner_id: str) -> float:
    names = [n for o in directory.owners if o.id == owner_id for n in o.names()]
    return max((_ratio(value, n) for n in names), default=0.0)


def _owner_label(directory: Directory, owner_id: str) -> str:
    owner = next((o for o in directory.owners if o.id == owner_id), None)
    return owner.aliases[0] if owner and owner.aliases else owner_id


def intended_owners(text: str, disagreements: list[Disagreement]) -> list[str]:
    """The owners a parser that reads GitLab section owners and nested groups would give: the
    simple count's tokens in file order, less those after an inline ``#`` (comments)."""
    skip = {d.token for d in disagreements if "inline #" in d.hint}
    out = dict.fromkeys(t for _n, t, _l in simple_owners(text) if t not in skip)
    out.update(dict.fromkeys(d.token for d in disagreements if d.side == "parser only"))
    return list(out)


def slug_of(token: str) -> str:
    """The directory id ``load_directory`` gives a CODEOWNERS token."""
    return token.lstrip("@").rsplit("/", 1)[-1]


def collisions(teams: list[str], key: Any) -> list[list[str]]:
    """Groups of distinct teams whose slugs are equal under ``key``."""
    groups: dict[str, dict[str, None]] = {}
    for token in teams:
        groups.setdefault(key(slug_of(token)), {})[name_key(token)] = None
    return [sorted(g) for g in groups.values() if len(g) > 1]


def fold_separators(name: str) -> str:
    """A name without case and ``-``/``_``/``.`` (what separator-insensitive matching compares)."""
    return "".join(ch for ch in name_key(name) if ch not in "-_.")


# --------------------------------------------------------------------------- 3. timing


def _best(fn: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def tag_values(directory: Directory, teams: list[str], n: int = TAG_VALUES) -> list[str]:
    """``n`` Owner tag values: the directory's own slugs and their misspellings, shuffled."""
    pool = [o.id for o in directory.owners]
    for token in teams:
        pool += [v for _k, v in variants(slug_of(token))]
    rng = random.Random(19)
    return [rng.choice(pool) for _ in range(n)] if pool else []


def timings(text: str, repeat: int) -> dict[str, float]:
    """Seconds: parse, directory build, 10,000 resolves, 10,000 resolve + did-you-mean."""
    tokens = parse_codeowners(text)
    directory = directory_like_stage(tokens)
    teams = [t for t in tokens if kind_of(t) == "team"]
    values = tag_values(directory, teams)

    def judge() -> None:  # a fresh directory each time: its did-you-mean memo starts cold
        fresh = directory_like_stage(tokens)
        for v in values:
            if fresh.resolve(v) is None:
                fresh.suggest(v)

    return {
        "parse_s": _best(lambda: parse_codeowners(text), repeat),
        "build_s": _best(lambda: directory_like_stage(tokens), repeat),
        "resolve_10k_s": _best(lambda: [directory.resolve(v) for v in values], repeat),
        "judge_10k_s": _best(judge, repeat),
        "unknown_share": sum(directory.resolve(v) is None for v in values) / max(len(values), 1),
    }


# --------------------------------------------------------------------------- the run


def run_one(path: Path, repeat: int) -> dict[str, Any]:
    """Every measure of one repository's CODEOWNERS."""
    text = path.read_text(encoding="utf-8", errors="replace")
    parsed = parse_codeowners(text)
    simple = {t for _n, t, _l in simple_owners(text)}
    disagreements, mention_counts = compare(text, parsed)
    directory = directory_through_stage(text)
    rebuilt = directory_like_stage(parsed)
    same = [(o.id, o.aliases) for o in directory.owners] == [
        (o.id, o.aliases) for o in rebuilt.owners
    ]
    teams = [t for t in parsed if kind_of(t) == "team"]
    kinds = Counter(kind_of(t) for t in parsed)
    simple_kinds = Counter(kind_of(t) for t in simple)
    intended = intended_owners(text, disagreements)
    intended_teams = [t for t in intended if kind_of(t) == "team"]
    return {
        "repo": path.parent.name.replace("+", "/"),
        "lines": len(text.splitlines()),
        "parsed": len(parsed),
        "teams": kinds["team"],
        "users": kinds["user"],
        "emails": kinds["email"],
        "simple": len(simple),
        "simple_teams": simple_kinds["team"],
        **mention_counts,
        "disagreements": disagreements,
        "directory_owners": len(directory),
        "directory_names": len(directory._by_name),
        "stage_path_matches_rebuild": same,
        "outcomes": judge_variants(directory, teams),
        "intended_teams": len(intended_teams),
        "intended_outcomes": judge_variants(directory_like_stage(intended), intended_teams),
        "slug_collisions": collisions(intended_teams, name_key),
        "fold_collisions": [  # new ones only: those the last segment does not already make
            g
            for g in collisions(intended_teams, fold_separators)
            if g not in collisions(intended_teams, name_key)
        ],
        "timing": timings(text, repeat),
    }


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f} %" if d else "—"


OUTCOMES = (
    "resolved",
    "another owner's name",
    "suggested right",
    "suggested WRONG",
    "no suggestion",
)


def _outcome_table(rows: list[tuple[str, Outcomes]]) -> list[str]:
    header = ["repo", "slugs", "variants", *OUTCOMES, "separator/case resolved"]
    out = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    total: Counter[str] = Counter()
    total_should: Counter[str] = Counter()
    slugs = 0
    for repo, o in rows:
        c: Counter[str] = sum(o.by_kind.values(), Counter())
        should: Counter[str] = sum((o.by_kind[k] for k in SHOULD_RESOLVE), Counter())
        total += c
        total_should += should
        slugs += o.slugs
        out.append(_outcome_row(repo, o.slugs, c, should))
    out.append(_outcome_row("**all**", slugs, total, total_should))
    return out


def _outcome_row(repo: str, slugs: int, c: Counter[str], should: Counter[str]) -> str:
    n = sum(c.values())
    sn = sum(should.values())
    cells = [
        f"{c[x]} ({_pct(c[x], n)})" if x == "suggested WRONG" else _pct(c[x], n) for x in OUTCOMES
    ]
    return (
        f"| {repo} | {slugs} | {n} | "
        + " | ".join(cells)
        + f" | {_pct(should['resolved'], sn)} ({should['resolved']}/{sn}) |"
    )


def _by_kind_table(outcomes: list[Outcomes]) -> list[str]:
    out = ["| kind | variants | " + " | ".join(OUTCOMES) + " |", "|---|" + "---:|" * 6]
    for kind in KINDS:
        kc: Counter[str] = sum((o.by_kind[kind] for o in outcomes), Counter())
        n = sum(kc.values())
        out.append(f"| {kind} | {n} | " + " | ".join(_pct(kc[x], n) for x in OUTCOMES) + " |")
    return out


def _wrong_table(rows: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out = ["| repo | kind | tag value | meant | suggested | ratio meant / suggested |"]
    out.append("|---|---|---|---|---|---|")
    for repo, w in rows:
        tie = " (tie)" if w["ratio_meant"] == w["ratio_suggested"] else ""
        out.append(
            f"| {repo} | {w['kind']} | `{w['value']}` | `{w['meant']}` | `{w['suggested_is']}` "
            f"| {w['ratio_meant']} / {w['ratio_suggested']}{tie} |"
        )
    return out


def markdown(results: list[dict[str, Any]]) -> str:
    """The report: the tables, then every disagreement and every wrong suggestion."""
    out = [
        "# Owner directory on real CODEOWNERS files",
        "",
        "## Parser against the simple count",
        "",
    ]
    out += [
        "| repo | lines | owners parsed | teams | users | e-mails | simple count (teams) |"
        " disagree | mentions on lines the parser reads no owner from | directory owners |",
        "|---|" + "---:|" * 9,
    ]
    for r in results:
        out.append(
            f"| {r['repo']} | {r['lines']} | {r['parsed']} | {r['teams']} | {r['users']} | "
            f"{r['emails']} | {r['simple']} ({r['simple_teams']}) | {len(r['disagreements'])} | "
            f"{r['mentions_on_skipped_lines']} of {r['mentions']} | {r['directory_owners']}"
            f"{'' if r['stage_path_matches_rebuild'] else ' (differs from the rebuild!)'} |"
        )
    out += ["", "## Did-you-mean on misspelt team slugs (the directory as built today)", ""]
    out += _outcome_table([(r["repo"], r["outcomes"]) for r in results])
    out += ["", "By kind:", "", *_by_kind_table([r["outcomes"] for r in results])]
    out += [
        "",
        "## The same, with every owner the simple count reads (GitLab section owners and "
        "nested groups included, inline comments left out)",
        "",
    ]
    out += _outcome_table([(r["repo"], r["intended_outcomes"]) for r in results])
    out += ["", "By kind:", "", *_by_kind_table([r["intended_outcomes"] for r in results])]
    out += ["", "Teams whose slugs collide (the slug names only the first):", ""]
    out += [
        "| repo | teams | same last segment | more once case and -/_/. are ignored |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        out.append(
            f"| {r['repo']} | {r['intended_teams']} | {len(r['slug_collisions'])} | "
            f"{len(r['fold_collisions'])} |"
        )
    for r in results:
        for label, groups in (("slug", r["slug_collisions"]), ("folded", r["fold_collisions"])):
            for g in groups:
                out.append(f"- {r['repo']} ({label}): " + ", ".join(f"`{t}`" for t in g))
    out += ["", "## Timing (best of the repeats)", ""]
    out += [
        "| repo | parse | directory build | 10k resolve | 10k resolve + did-you-mean |"
        " unknown share |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        t = r["timing"]
        out.append(
            f"| {r['repo']} | {t['parse_s'] * 1e3:.2f} ms | {t['build_s'] * 1e3:.2f} ms | "
            f"{t['resolve_10k_s'] * 1e3:.1f} ms | {t['judge_10k_s']:.2f} s | "
            f"{100 * t['unknown_share']:.0f} % |"
        )
    out += ["", "## Disagreements (parser against the simple count)", ""]
    for r in results:
        if not r["disagreements"]:
            continue
        out += [f"### {r['repo']}", "", "| token | side | mentions | shape | first line |"]
        out.append("|---|---|---:|---|---|")
        for d in r["disagreements"]:
            line = d.line if len(d.line) <= 110 else d.line[:107] + "…"
            out.append(
                f"| `{d.token}` | {d.side} | {d.mentions} | {d.hint} | {d.line_number}: `{line}` |"
            )
        out.append("")
    for r in results:
        for name, o in (("today", r["outcomes"]), ("every owner", r["intended_outcomes"])):
            if o.ambiguous_slugs:
                out.append(
                    f"- {r['repo']} ({name}): slugs that name another team first (not tested): "
                    + ", ".join(f"`{t}`" for t in o.ambiguous_slugs)
                )
    largest = max(results, key=lambda r: r["intended_teams"], default=None)
    if largest is not None:
        out += [
            "",
            f"## Wrong suggestions: {largest['repo']}, the most teams ({largest['teams']} "
            f"parsed, {largest['intended_teams']} named)",
            "",
        ]
        rows = [(largest["repo"], w) for w in largest["outcomes"].wrong]
        rows += [
            (largest["repo"] + " (every owner)", w) for w in largest["intended_outcomes"].wrong
        ]
        out += _wrong_table(rows) if rows else ["None."]
    out += ["", "## Wrong suggestions: every repository, both directories", ""]
    rows = [(r["repo"], w) for r in results for w in r["outcomes"].wrong]
    rows += [
        (r["repo"] + " (every owner)", w)
        for r in results
        for w in r["intended_outcomes"].wrong
        if w not in r["outcomes"].wrong
    ]
    out += _wrong_table(rows)
    names = [(r["repo"], w) for r in results for w in r["intended_outcomes"].other_owner]
    if names:
        out += ["", "## Misspellings that are another owner's name", ""]
        out += ["| repo | kind | tag value | meant | names |", "|---|---|---|---|---|"]
        for repo, w in names:
            out.append(f"| {repo} | {w['kind']} | `{w['value']}` | `{w['meant']}` | `{w['is']}` |")
    return "\n".join(out) + "\n"


def _outcomes_json(o: Outcomes) -> dict[str, Any]:
    return {
        "slugs": o.slugs,
        "by_kind": {k: dict(v) for k, v in o.by_kind.items()},
        "wrong": o.wrong,
        "other_owner": o.other_owner,
        "ambiguous_slugs": o.ambiguous_slugs,
    }


def _jsonable(r: dict[str, Any]) -> dict[str, Any]:
    skip = ("disagreements", "outcomes", "intended_outcomes")
    return {
        **{k: v for k, v in r.items() if k not in skip},
        "disagreements": [d.__dict__ for d in r["disagreements"]],
        "outcomes": _outcomes_json(r["outcomes"]),
        "intended_outcomes": _outcomes_json(r["intended_outcomes"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("-o", "--output", type=Path, help="write the Markdown report here")
    parser.add_argument("--json", type=Path, dest="json_out")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    files = sorted(args.folder.glob("*/CODEOWNERS"))
    if not files:
        print(f"no <owner>+<repo>/CODEOWNERS under {args.folder}")
        return 2
    results = [run_one(f, args.repeat) for f in files]
    report = markdown(results)
    if args.output:
        args.output.write_text(report, encoding="utf-8")
    else:
        print(report)
    if args.json_out:
        args.json_out.write_text(
            json.dumps([_jsonable(r) for r in results], indent=2), encoding="utf-8"
        )
    for r in results:
        o = r["outcomes"]
        wrong = sum(c["suggested WRONG"] for c in o.by_kind.values())
        n = sum(sum(c.values()) for c in o.by_kind.values())
        print(
            f"{r['repo']}: {r['parsed']} owners ({r['teams']} teams), "
            f"{len(r['disagreements'])} disagreements, {wrong}/{n} wrong suggestions, "
            f"10k judged in {r['timing']['judge_10k_s']:.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
