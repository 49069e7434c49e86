"""The readiness collector on real git repositories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hygiene.checks.readiness.collect import collect
from hygiene.checks.readiness.rules import evaluate
from hygiene.checks.repos import RepoTarget, clone_location, repo_targets
from hygiene.context import RunContext
from hygiene.pipeline import run_audit
from hygiene.policy import Policy
from tests.conftest import git

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "readiness"


def fixture_commit(name: str) -> dict[str, str | None]:
    root = FIXTURES / name
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_collector_reads_tracked_files_only(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        "flask_gaps",
        [fixture_commit("flask_gaps"), {"node_modules/x/index.js": "require('express')"}],
    )
    (repo / "untracked.py").write_text("from flask import Flask\n")
    ctx = RunContext(
        run_id="t", as_of=datetime(2026, 11, 27, tzinfo=UTC), policy=Policy(), repos=(repo,)
    )
    collection = collect(ctx)
    records = [r for batch in collection.record_batches() for r in batch]  # one repo a batch
    assert collection.errors == [] and collection.scopes == ["flask_gaps"]
    [record] = records
    assert set(record.files) == {"app.py"}
    assert record.commit is not None and len(record.commit) == 40
    findings = evaluate(records, ctx.policy, ctx.as_of)
    sentry = next(f for f in findings if f.rule == "sentry-dsn-hardcoded")
    assert sentry.location is not None and sentry.location.commit == record.commit


def test_not_a_repo_is_an_error_slice(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    good = make_repo("go_ok", [fixture_commit("go_ok")])
    plain = tmp_path / "plain"
    plain.mkdir()
    ctx = RunContext(
        run_id="t", as_of=datetime(2026, 11, 27, tzinfo=UTC), policy=Policy(), repos=(good, plain)
    )
    collection = collect(ctx)
    batches = list(collection.record_batches())
    assert [[r.repo for r in batch] for batch in batches] == [["go_ok"]]  # streamed per repo
    assert collection.scopes == ["go_ok"]
    assert {k: collection.stats[k] for k in ("repos", "services", "applications", "alerting")} == {
        "repos": ["go_ok"],
        "services": ["go_ok"],
        "applications": ["go_ok"],
        "alerting": ["go_ok"],
    }
    assert collection.errors == [
        f"{plain}: not inside a git repository; pass the path of a git checkout"
    ]


def _bare_clone(repo: Path, where: Path) -> Path:
    bare = where / "remote" / "shop-api.git"
    bare.parent.mkdir(parents=True)
    git(where, "clone", "-q", "--bare", str(repo), str(bare))
    return bare


def _checks(run: object) -> dict[str, tuple[str, str]]:
    results = run.results  # type: ignore[attr-defined]
    return {r.name: (r.status, r.reason) for r in results if r.name != "policy"}


def test_a_clone_url_in_repos_is_mirrored_checked_out_and_named_like_the_secrets_check(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    source = make_repo(
        "source",
        [{**fixture_commit("flask_gaps"), ".gitignore": ".env\n", ".env.example": "PORT=1\n"}],
    )
    bare = _bare_clone(source, tmp_path)
    url = f"file://{bare}"
    policy = Policy.model_validate({"repos": [{"url": url}]})
    cache = tmp_path / "cache"

    def audit() -> object:
        return run_audit(
            policy=policy,
            as_of=AS_OF,
            only=["env", "readiness", "secrets"],  # all three at once, in threads
            repos=[Path(r.url) for r in policy.repos],  # what the CLI passes: Path mangles //
            cache_dir=cache,
        )

    run = audit()
    ok = ("ok", "")
    assert _checks(run) == {"env": ok, "readiness": ok, "secrets": ok}
    assert {r.name: r.scopes for r in run.results if r.name != "policy"} == {
        "env": ["shop-api"],
        "readiness": ["shop-api"],
        "secrets": ["shop-api"],
    }
    found = {(f.check, f.rule, f.location.repo) for f in run.findings}  # type: ignore[attr-defined]
    assert ("readiness", "sentry-dsn-hardcoded", "shop-api") in found
    assert ("env", "undocumented-variable", "shop-api") in found  # SECRET_KEY
    assert ("env", "unused-variable", "shop-api") in found  # PORT
    assert {f.location.repo for f in run.findings} == {"shop-api"}  # type: ignore[attr-defined]
    [mirror] = (cache / "repos").iterdir()  # one mirror for all three (git.mirror serialises)
    assert mirror.name.startswith("shop-api-") and mirror.name.endswith(".git")

    # the next run reads the branch as it is now: the checkout is refreshed from the mirror
    git(source, "rm", "-q", ".env.example")
    git(source, "commit", "-q", "-m", "drop the example")
    git(source, "push", "-q", str(bare), "main")
    again = audit()
    assert _checks(again) == {"env": ok, "readiness": ok, "secrets": ok}
    rules = {(f.check, f.rule) for f in again.findings}  # type: ignore[attr-defined]
    assert ("env", "unused-variable") not in rules
    assert ("readiness", "env-example-missing") in rules
    head = git(bare, "rev-parse", "HEAD").strip()
    commits = {f.location.commit for f in again.findings if f.check != "secrets"}  # type: ignore[attr-defined]
    assert commits == {head}


def test_a_policy_name_names_a_clone_url_and_a_bad_url_is_that_repo_s_error(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    bare = _bare_clone(make_repo("source", [fixture_commit("flask_gaps")]), tmp_path)
    missing = f"file://{tmp_path}/nowhere/gone.git"
    policy = Policy.model_validate(
        {"repos": [{"url": f"file://{bare}", "name": "storefront"}, {"url": missing}]}
    )
    run = run_audit(
        policy=policy,
        as_of=AS_OF,
        only=["readiness"],
        repos=[Path(r.url) for r in policy.repos],
        cache_dir=tmp_path / "cache",
    )
    [result] = [r for r in run.results if r.name == "readiness"]
    assert result.status == "error" and result.scopes == ["storefront"]
    assert "gone.git" in result.reason
    assert {f.location.repo for f in run.findings} == {"storefront"}  # type: ignore[union-attr]


def test_a_clone_url_s_credentials_never_reach_a_reason_or_a_name(tmp_path: Path) -> None:
    token = "tok" + "SECRET" + "4242"
    url = f"https://robot:{token}@127.0.0.1:9/org/shop.git"  # nothing listens on port 9
    policy = Policy.model_validate({"repos": [{"url": url}]})
    run = run_audit(
        policy=policy,
        as_of=AS_OF,
        only=["env", "readiness"],
        repos=[Path(url)],
        cache_dir=tmp_path / "cache",
    )
    checks = _checks(run)
    assert {name: status for name, (status, _) in checks.items()} == {
        "env": "error",
        "readiness": "error",
    }
    assert all("127.0.0.1:9/org/shop.git" in reason for _, reason in checks.values())
    assert token not in repr(checks) and token not in repr(run.findings)  # type: ignore[attr-defined]


def test_clone_locations_come_back_from_what_path_made_of_them() -> None:
    assert clone_location(Path("https://host/org/x.git")) == "https://host/org/x.git"
    assert clone_location(Path("file:///srv/git/x.git")) == "file:///srv/git/x.git"
    assert clone_location(Path("ssh://git@host/x")) == "ssh://git@host/x"
    assert clone_location("git@host:org/x.git") == "git@host:org/x.git"
    assert clone_location(Path("/srv/checkouts/x")) == "/srv/checkouts/x"
    assert clone_location(Path("relative/x")) == "relative/x"
    policy = Policy.model_validate({"repos": [{"url": "file:///srv/x.git", "name": "x"}]})
    assert repo_targets((Path("file:///srv/x.git"), Path("/work/y")), policy) == [
        RepoTarget("file:///srv/x.git", "x"),
        RepoTarget("/work/y"),
    ]


def test_a_tracked_link_out_of_the_repository_is_not_read(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dsn = "https://" + "0123456789abcdef" * 2 + "@o1.ingest.sentry.io/42"
    (outside / "secret_settings.py").write_text(f'SENTRY = "{dsn}"\n')
    repo = make_repo("linked", [{"app.py": "print('hello')\n"}])
    (repo / "settings.py").symlink_to(outside / "secret_settings.py")
    (repo / "inside.py").symlink_to("app.py")  # a link that stays inside is read as its target
    git(repo, "add", "settings.py", "inside.py")
    git(repo, "commit", "-q", "-m", "links")
    ctx = RunContext(run_id="t", as_of=AS_OF, policy=Policy(), repos=(repo,))
    collection = collect(ctx)
    [record] = [r for batch in collection.record_batches() for r in batch]
    assert set(record.files) == {"app.py", "inside.py"}
    assert record.skipped == 1 and collection.stats["files_skipped"] == 1
    assert [f.rule for f in evaluate([record], ctx.policy, AS_OF)] == []


def test_utf16_and_cp1252_files_are_decoded(make_repo: Callable[..., Path]) -> None:
    dsn = "https://" + "0123456789abcdef" * 2 + "@o1.ingest.sentry.io/42"
    repo = make_repo("encodings", [{"README.md": "x\n"}])
    (repo / "config.json").write_bytes(f'{{"dsn": "{dsn}"}}\n'.encode("utf-16"))  # with a BOM
    (repo / "other.yaml").write_bytes(f"dsn: {dsn}\n".encode("utf-16-le"))  # without
    (repo / "legacy.py").write_bytes(f'# caf\xe9 \x93quoted\x94\nDSN = "{dsn}"\n'.encode("latin-1"))
    git(repo, "add", "config.json", "other.yaml", "legacy.py")
    git(repo, "commit", "-q", "-m", "encodings")
    ctx = RunContext(run_id="t", as_of=AS_OF, policy=Policy(), repos=(repo,))
    [record] = [r for batch in collect(ctx).record_batches() for r in batch]
    assert record.files["legacy.py"].startswith("# café “quoted”\n")  # cp1252, not U+FFFD
    found = {
        f.location.path  # type: ignore[union-attr]
        for f in evaluate([record], ctx.policy, AS_OF)
        if f.rule == "sentry-dsn-hardcoded"
    }
    assert found == {"config.json", "other.yaml", "legacy.py"}


def test_one_pathological_file_stays_that_file_s_error(make_repo: Callable[..., Path]) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    bad = make_repo(
        "generated",
        [
            {
                **fixture_commit("flask_gaps"),
                "gen.py": "import os\nos.environ['X']\nx = " + "+".join(["1"] * 50_000) + "\n",
                "alerts/rules.yml": f"groups:\n- rules:\n  - alert: A\n    expr: {deep}\n",
                "deploy/values.json": '{"a": ' * 5_000 + "1" + "}" * 5_000,
            }
        ],
    )
    good = make_repo("go_ok", [fixture_commit("go_ok"), {".env.example": "PORT=1\n"}])
    (good / "main.go").write_text(
        (good / "main.go").read_text() + '\nvar dsn = "https://' + "ab" * 16 + '@o1.sentry.io/7"\n'
    )
    git(good, "commit", "-q", "-am", "dsn")
    run = run_audit(policy=Policy(), as_of=AS_OF, only=["readiness"], repos=[bad, good])
    assert run.status == "incomplete"
    [result] = [r for r in run.results if r.name == "readiness"]
    assert result.status == "error" and result.scopes == ["generated", "go_ok"]
    assert sorted(result.stats["errors"]) == [
        f"generated: {path}: too deeply nested to parse (RecursionError); "
        "its readiness signals were not judged"
        for path in ("alerts/rules.yml", "gen.py")
    ]
    found = {(f.location.repo, f.rule) for f in run.findings}  # type: ignore[union-attr]
    assert ("generated", "sentry-dsn-hardcoded") in found  # the other files are still judged
    assert ("generated", "health-endpoint-missing") in found
    assert ("go_ok", "sentry-dsn-hardcoded") in found
