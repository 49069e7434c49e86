"""The secrets check on real git repositories: history by unique blob, provenance, the blob
cache, many repos (paths and clone URLs), baselines and policy exceptions."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from hygiene.findings import secret_hash
from hygiene.pipeline import run_audit
from hygiene.policy import Policy, PolicyException, Repo, SecretsPolicy
from tests.conftest import git

AWS = "AKIAZ3MHGKQW7P2LSNYT"
GHP = "ghp_9fK2LmQ8vR4tZ1xW7yB3nC6hJ0pS5dG2aE8u"
PWD = "Tr0ub4dor&3-horse-battery"
AS_OF = datetime(2026, 11, 27, 12, tzinfo=UTC)


def _sha(repo: Path, rev: str) -> str:
    return git(repo, "rev-parse", rev).strip()


def _audit(repos: list[Path], policy: Policy | None = None, state: Path | None = None):  # type: ignore[no-untyped-def]
    return run_audit(
        policy=policy or Policy(), as_of=AS_OF, only=["secrets"], repos=repos, state_path=state
    )


def _summary(run) -> set[tuple[str, str, int | None, str | None, str]]:  # type: ignore[no-untyped-def]
    return {
        (f.rule, f.resource, f.location.line, f.location.commit, f.details["type"])
        for f in run.findings
    }


def test_tree_and_history_one_finding_per_secret_per_path(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        "svc",
        [
            {"app.py": f'import os\nAWS = "{AWS}"\n', "old.py": f'TOKEN = "{GHP}"\n'},
            {"old.py": f'# moved\nTOKEN = "{GHP}"\n'},  # same secret, new blob, same path
            {"old.py": None, "copy.py": f'TOKEN = "{GHP}"\n'},  # gone here, now elsewhere
            {"app.py": f'import os\n\n\nAWS = "{AWS}"\n'},  # lines move; still one finding
        ],
    )
    first = _sha(repo, "HEAD~3")
    third = _sha(repo, "HEAD~1")
    run = _audit([repo])
    assert run.status == "complete"
    assert _summary(run) == {
        ("in-tree", "svc:app.py", 4, first, "aws-access-key"),
        ("history-only", "svc:old.py", 1, first, "github-token"),
        ("in-tree", "svc:copy.py", 1, third, "github-token"),
    }
    by_rule = {f.rule: f.severity.value for f in run.findings}
    # provider tokens are high (critical only when validated live); history-only one lower
    assert by_rule == {"in-tree": "high", "history-only": "medium"}
    stats = run.results[0].stats
    # copy.py is the same blob as the first old.py: 4 unique blobs, each scanned once
    assert stats["blobs"] == 4 and stats["blobs_scanned"] == 4 and stats["repos"] == 1


def test_history_off_reports_only_the_tree(make_repo: Callable[..., Path]) -> None:
    repo = make_repo("svc", [{"old.py": f'TOKEN = "{GHP}"\n'}, {"old.py": None, "a.py": "x = 1\n"}])
    policy = Policy(secrets=SecretsPolicy(history=False))
    assert _audit([repo], policy).findings == []
    assert {f.rule for f in _audit([repo]).findings} == {"history-only"}


def test_warm_rescan_scans_nothing_and_keeps_ids(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo("svc", [{"app.py": f'AWS = "{AWS}"\n', "b.py": "x = 1\n"}])
    state = tmp_path / "state.db"
    cold = _audit([repo], state=state)
    warm = _audit([repo], state=state)
    assert cold.results[0].stats["blobs_scanned"] == 2
    assert warm.results[0].stats["blobs_scanned"] == 0
    assert warm.results[0].stats["blobs_cached"] == 2
    assert [f.id for f in warm.findings] == [f.id for f in cold.findings]
    assert [f.status for f in cold.findings] == ["new"] and [f.status for f in warm.findings] == [
        "open"
    ]


def test_a_repo_that_cannot_be_read_is_an_error_for_that_repo_only(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    good = make_repo("good", [{"app.py": f'AWS = "{AWS}"\n'}])
    plain = tmp_path / "plain-dir"
    plain.mkdir()
    run = _audit([good, plain, tmp_path / "missing"])
    result = run.results[0]
    assert run.status == "incomplete" and result.status == "error"
    assert str(plain) in result.reason and "missing" in result.reason
    assert {f.resource for f in run.findings} == {"good:app.py"}
    assert result.scopes == ["good"]


def test_clone_urls_are_mirrored_then_fetched(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    origin = make_repo("origin", [{"app.py": f'AWS = "{AWS}"\n'}])
    policy = Policy(repos=[Repo(url=f"file://{origin}", name="payments")])
    cache = tmp_path / "cache"
    first = run_audit(policy=policy, as_of=AS_OF, only=["secrets"], cache_dir=cache)
    assert {f.resource for f in first.findings} == {"payments:app.py"}
    mirrors = list((cache / "repos").iterdir())
    assert len(mirrors) == 1 and mirrors[0].name.endswith(".git")
    (origin / "cfg.py").write_text(f'password = "{PWD}"\n')
    git(origin, "add", "cfg.py")
    git(origin, "commit", "-q", "-m", "more")
    second = run_audit(policy=policy, as_of=AS_OF, only=["secrets"], cache_dir=cache)
    assert {f.resource for f in second.findings} == {"payments:app.py", "payments:cfg.py"}


def test_unreachable_clone_url_is_an_error(tmp_path: Path) -> None:
    policy = Policy(repos=[Repo(url=f"file://{tmp_path}/nope.git")])
    run = run_audit(policy=policy, as_of=AS_OF, only=["secrets"], cache_dir=tmp_path / "c")
    assert run.results[0].status == "error" and "nope.git" in run.results[0].reason


def test_baseline_false_positives_are_suppressed_and_audited_ones_marked(
    make_repo: Callable[..., Path],
) -> None:
    from hygiene.scan import scan_text

    app = f'AWS = "{AWS}"\n'
    cfg = f'password = "{PWD}"\n'
    aws_hit = scan_text(app, "app.py")[0]
    pwd_hit = scan_text(cfg, "cfg.py")[0]
    baseline = {
        "version": "1.5.0",
        "results": {
            "app.py": [
                {
                    "type": aws_hit.type,
                    "filename": "app.py",
                    "hashed_secret": aws_hit.hashed_secret,
                    "is_verified": False,
                    "line_number": 1,
                    "is_secret": False,
                }
            ],
            "cfg.py": [
                {
                    "type": pwd_hit.type,
                    "filename": "cfg.py",
                    "hashed_secret": pwd_hit.hashed_secret,
                    "is_verified": False,
                    "line_number": 1,
                    "is_secret": True,
                }
            ],
        },
    }
    repo = make_repo(
        "svc", [{"app.py": app, "cfg.py": cfg, ".secrets.baseline": json.dumps(baseline)}]
    )
    run = _audit([repo])
    assert [(f.resource, f.details["baseline"]) for f in run.findings] == [
        ("svc:cfg.py", "audited")
    ]
    assert run.results[0].stats["suppressed_by_baseline"] == 1


def test_a_broken_baseline_makes_the_run_incomplete_but_reports(
    make_repo: Callable[..., Path],
) -> None:
    repo = make_repo("svc", [{"app.py": f'AWS = "{AWS}"\n', ".secrets.baseline": "{not json"}])
    run = _audit([repo])
    assert run.status == "incomplete" and ".secrets.baseline" in run.results[0].reason
    assert {f.resource for f in run.findings} == {"svc:app.py"}


def test_policy_exceptions_by_path_rule_and_hash_expire(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        "svc",
        [{"tests/fixtures/keys.py": f'AWS = "{AWS}"\n', "app.py": f'password = "{PWD}"\n'}],
    )
    exception = PolicyException(
        match={"path": "tests/*", "rule": "in-tree", "sha256": secret_hash(AWS)},
        reason="test fixture, key revoked",
        owner="platform",
        expires=date(2026, 12, 31),
    )
    policy = Policy(exceptions=[exception])
    live = _audit([repo], policy)
    assert {f.resource for f in live.findings} == {"svc:app.py"}
    later = run_audit(
        policy=policy, as_of=datetime(2027, 1, 5, tzinfo=UTC), only=["secrets"], repos=[repo]
    )
    assert {f.resource for f in later.findings} == {
        "svc:app.py",
        "svc:tests/fixtures/keys.py",
        f"exception:path=tests/*, rule=in-tree, sha256={secret_hash(AWS)}",
    }


def test_excluded_paths_and_lock_files_are_not_reported(make_repo: Callable[..., Path]) -> None:
    secret_line = f'TOKEN = "{GHP}"\n'
    repo = make_repo(
        "svc",
        [
            {
                "web/app.min.js": secret_line,
                "node_modules/x/i.js": secret_line,
                "yarn.lock": secret_line,
                "src/real.py": secret_line,
            }
        ],
    )
    assert {f.resource for f in _audit([repo]).findings} == {"svc:src/real.py"}


def test_a_secret_added_by_a_merge_commit_gets_that_commit(make_repo: Callable[..., Path]) -> None:
    repo = make_repo("svc", [{"a.txt": "a\n"}])
    git(repo, "checkout", "-q", "-b", "side")
    (repo / "b.txt").write_text("b\n")
    git(repo, "add", "b.txt")
    git(repo, "commit", "-q", "-m", "side")
    git(repo, "checkout", "-q", "main")
    (repo / "c.txt").write_text("c\n")
    git(repo, "add", "c.txt")
    git(repo, "commit", "-q", "-m", "main")
    git(repo, "merge", "-q", "--no-commit", "side")
    (repo / "evil.py").write_text(f'AWS = "{AWS}"\n')
    git(repo, "add", "evil.py")
    git(repo, "commit", "-q", "-m", "merge")
    run = _audit([repo])
    assert _summary(run) == {("in-tree", "svc:evil.py", 1, _sha(repo, "HEAD"), "aws-access-key")}


def test_progress_bar_counts_scanned_blobs(make_repo: Callable[..., Path]) -> None:
    from hygiene.checks.secrets.collect import Target, _ProgressBar, scan_repository

    repo = make_repo("svc", [{f"f{i}.py": f"x = {i}\n" for i in range(5)}])
    bar = _ProgressBar(True)
    with bar as progress:
        scan_repository(Target(str(repo)), SecretsPolicy(), progress=progress)
        task = bar._bar.tasks[0]
        assert (task.description, task.completed, task.total) == ("secrets svc", 5, 5)
    with _ProgressBar(False) as nothing:
        assert nothing is None
