"""Archives: zip/jar, tar, tar.gz/tgz/bz2/xz and .gz opened in memory, nested to a depth, with
budgets that hostile archives (bombs, lying headers, traversal names) cannot get past; and the
collector scanning every entry as ``archive!inner`` in the tree, in history, from the cache and
against baselines."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import struct
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygiene.checks.secrets.collect import tree_hits
from hygiene.pipeline import run_audit
from hygiene.policy import Policy, SecretsPolicy
from hygiene.scan.archives import Limits, expand, kind, safe_name
from tests.conftest import git

AWS = "AKIAZ3MHGKQW7P2LSNYT"  # pragma: allowlist secret
GHP = "ghp_9fK2LmQ8vR4tZ1xW7yB3nC6hJ0pS5dG2aE8u"  # pragma: allowlist secret
AS_OF = datetime(2026, 11, 27, 12, tzinfo=UTC)
PROPS = f"aws.key={AWS}\n".encode()


def _zip(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return out.getvalue()


def _tar(files: dict[str, bytes], mode: str = "w", links: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return out.getvalue()


def _all(path: str, data: bytes, limits: Limits | None = None) -> tuple[dict[str, bytes], dict]:  # type: ignore[type-arg]
    expansion = expand(path, data, limits)
    return dict(expansion), dict(expansion.skipped)


# --------------------------------------------------------------------------- formats


def test_zip_entries_and_nested_archives_are_labelled_with_bangs() -> None:
    jar = _zip({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n", "c.properties": PROPS})
    outer = _zip({"lib/b.jar": jar, "docs/readme.txt": b"hello\n", "empty/": b""})
    files, skipped = _all("a.zip", outer)
    assert files == {
        "lib/b.jar!META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n",
        "lib/b.jar!c.properties": PROPS,
        "docs/readme.txt": b"hello\n",
    }
    assert skipped == {}
    expansion = expand("a.zip", outer)
    list(expansion)
    assert (expansion.archives, expansion.entries) == (2, 3)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.tar", _tar({"etc/app.env": PROPS})),
        ("a.tar.gz", _tar({"etc/app.env": PROPS}, "w:gz")),
        ("a.tgz", _tar({"etc/app.env": PROPS}, "w:gz")),
        ("a.tar.bz2", _tar({"etc/app.env": PROPS}, "w:bz2")),
        ("a.tar.xz", _tar({"etc/app.env": PROPS}, "w:xz")),
        ("a.bin", _tar({"etc/app.env": PROPS}, "w:gz")),  # the bytes decide, not the name
    ],
    ids=["a.tar", "a.tar.gz", "a.tgz", "a.tar.bz2", "a.tar.xz", "a.bin"],  # stable across workers
)
def test_tar_in_every_compression_lists_its_members(name: str, data: bytes) -> None:
    assert _all(name, data) == ({"etc/app.env": PROPS}, {})


@pytest.mark.parametrize(
    ("name", "data", "inner"),
    [
        ("app.env.gz", gzip.compress(PROPS, mtime=0), "app.env"),
        ("app.env.bz2", bz2.compress(PROPS), "app.env"),
        ("app.env.xz", lzma.compress(PROPS), "app.env"),
        ("dump", gzip.compress(PROPS, mtime=0), "dump"),
    ],
    ids=["app.env.gz", "app.env.bz2", "app.env.xz", "dump"],
)
def test_a_single_compressed_file_is_its_content(name: str, data: bytes, inner: str) -> None:
    assert _all(name, data) == ({inner: PROPS}, {})


def test_tar_gz_inside_zip_inside_tar() -> None:
    deep = _tar({"conf/secret.env": PROPS}, "w:gz")
    data = _tar({"dist/app.zip": _zip({"vendor/pkg.tgz": deep})})
    files, _ = _all("release.tar", data)
    assert files == {"dist/app.zip!vendor/pkg.tgz!conf/secret.env": PROPS}


def test_text_named_like_an_archive_is_not_one() -> None:
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n"
    assert kind(pointer) is None
    assert _all("big.zip", pointer) == ({}, {})


# --------------------------------------------------------------------------- limits


def test_depth_limit_stops_nested_archives_and_says_so() -> None:
    level3 = _zip({"c.properties": PROPS})
    level2 = _zip({"c.jar": level3, "b.txt": b"b\n"})
    level1 = _zip({"b.jar": level2, "a.txt": b"a\n"})
    assert set(_all("a.zip", level1, Limits(depth=3))[0]) == {
        "a.txt", "b.jar!b.txt", "b.jar!c.jar!c.properties"
    }  # fmt: skip
    files, skipped = _all("a.zip", level1, Limits(depth=2))
    assert set(files) == {"a.txt", "b.jar!b.txt"} and skipped == {"depth": 1}
    files, skipped = _all("a.zip", level1, Limits(depth=1))
    assert set(files) == {"a.txt"} and skipped == {"depth": 1}
    assert _all("a.zip", level1, Limits(depth=0)) == ({}, {"depth": 1})


def test_a_zip_bomb_entry_is_not_read_past_the_entry_limit() -> None:
    bomb = _zip({"zeros.txt": b"\0" * 50_000_000, "after.txt": PROPS})
    assert len(bomb) < 100_000
    files, skipped = _all("bomb.zip", bomb, Limits(max_entry_bytes=1_000_000))
    assert files == {"after.txt": PROPS} and skipped == {"too-large": 1}


def test_nested_bombs_stop_at_the_total_budget() -> None:
    layer = _zip({f"{i}.bin": b"\0" * 900_000 for i in range(10)})  # 9 MB each layer
    outer = _zip({f"{i}.zip": layer for i in range(10)})  # 90 MB, a few KB on disk
    expansion = expand("42.zip", outer, Limits(max_bytes=20_000_000))
    files = dict(expansion)
    assert expansion.skipped["size-limit"] == 1
    assert 0 < len(files) < 30  # what fitted in the budget, then nothing more


def test_declared_sizes_are_not_trusted() -> None:
    data = bytearray(_zip({"c.properties": PROPS}, zipfile.ZIP_STORED))
    # claim a 4 GB entry in both headers: nothing is allocated from it, the entry is bad data
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<L", data, local + 22, 0xFFFFFFF0)
    struct.pack_into("<L", data, central + 24, 0xFFFFFFF0)
    files, skipped = _all("liar.zip", bytes(data))
    assert files in ({}, {"c.properties": PROPS})
    assert files or skipped == {"corrupt": 1}


def test_entry_count_limit_over_all_levels() -> None:
    many = _zip({f"f{i}.txt": b"x\n" for i in range(50)})
    files, skipped = _all("many.zip", many, Limits(max_entries=10))
    assert len(files) == 10 and skipped == {"entry-limit": 1}


def test_a_central_directory_too_large_to_hold_is_not_parsed() -> None:
    many = _zip({f"dir/file-{i:05}.txt": b"" for i in range(2000)}, zipfile.ZIP_STORED)
    assert _all("many.zip", many, Limits(max_entries=10)) == ({}, {"entry-limit": 1})


def test_a_long_name_header_bomb_in_a_tar_gz_stops_at_the_budget() -> None:
    header = bytearray(tarfile.TarInfo("x" * 200).tobuf(format=tarfile.GNU_FORMAT)[:512])
    assert header[156:157] == tarfile.GNUTYPE_LONGNAME
    header[124:136] = b"%011o\0" % ((1 << 33) - 1)  # an 8 GB "name"
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    stream = gzip.compress(bytes(header) + b"\0" * 30_000_000)
    files, skipped = _all("bomb.tgz", stream, Limits(max_bytes=2_000_000))
    assert files == {} and skipped == {"size-limit": 1}


def test_a_huge_member_in_a_tar_gz_is_skipped_and_the_rest_read() -> None:
    data = _tar({"zeros": b"\0" * 20_000_000, "after.env": PROPS}, "w:gz")
    files, skipped = _all("a.tgz", data, Limits(max_entry_bytes=1_000_000))
    assert files == {"after.env": PROPS} and skipped == {"too-large": 1}
    files, skipped = _all("a.tgz", data, Limits(max_bytes=5_000_000))
    assert files == {} and skipped == {"too-large": 1, "size-limit": 1}


# --------------------------------------------------------------------------- hostile names


@pytest.mark.parametrize(
    "name", ["../evil.env", "/etc/passwd", "a/../../b.env", "C:\\win.ini", "..\\up.env", "x\x01y"]
)
def test_traversal_and_control_names_are_refused(name: str) -> None:
    assert safe_name(name) is None
    assert _all("a.zip", _zip({name: PROPS, "ok.env": PROPS})) == (
        {"ok.env": PROPS},
        {"unsafe-name": 1},
    )
    tar_name = name.replace("\\", "/") if name.startswith("C:") else name
    assert _all("a.tar", _tar({tar_name: PROPS, "ok.env": PROPS}))[1] == {"unsafe-name": 1}


def test_names_are_normalised_as_labels() -> None:
    assert safe_name("./a//b/./c.env") == "a/b/c.env"
    assert safe_name("dir\\file.env") == "dir/file.env"


def test_links_encrypted_unsupported_and_corrupt_entries_are_counted() -> None:
    tar = _tar({"real.env": PROPS}, links={"link.env": "/etc/shadow"})
    assert _all("a.tar", tar) == ({"real.env": PROPS}, {"special": 1})
    locked = bytearray(_zip({"locked.env": PROPS, "open.env": PROPS}, zipfile.ZIP_STORED))
    struct.pack_into("<H", locked, locked.find(b"PK\x01\x02") + 8, 0x1)  # "encrypted"
    assert _all("a.zip", bytes(locked)) == ({"open.env": PROPS}, {"encrypted": 1})
    odd = bytearray(_zip({"odd.env": PROPS}, zipfile.ZIP_STORED))
    struct.pack_into("<H", odd, odd.find(b"PK\x01\x02") + 10, 97)  # WavPack: not readable
    assert _all("a.zip", bytes(odd)) == ({}, {"unsupported": 1})
    crc = bytearray(_zip({"bad.env": PROPS}, zipfile.ZIP_STORED))
    struct.pack_into("<L", crc, crc.find(b"PK\x01\x02") + 16, 0)  # wrong CRC
    assert _all("a.zip", bytes(crc)) == ({}, {"corrupt": 1})
    assert _all("a.zip", _zip({"a.env": PROPS})[:40]) == ({}, {"corrupt": 1})
    assert _all("a.gz", b"\x1f\x8b\x08\x00garbage-not-deflate") == ({}, {"corrupt": 1})


# --------------------------------------------------------------------------- the collector


def _commit(repo: Path, files: dict[str, bytes | None], message: str = "c") -> str:
    for rel, data in files.items():
        if data is None:
            git(repo, "rm", "-q", rel)
            continue
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(data)
        git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def archive_repo(tmp_path: Path) -> tuple[Path, str, str]:
    repo = tmp_path / "svc"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    first = _commit(
        repo,
        {
            "dist/app.war": _zip({"WEB-INF/lib/core.jar": _zip({"app.properties": PROPS})}),
            "old/backup.tgz": _tar({"etc/token.env": f"GITHUB_TOKEN={GHP}\n".encode()}, "w:gz"),
            "logs/config.yml.gz": gzip.compress(b"plain: nothing secret here\n"),
            "evil.zip": _zip({"../../outside.env": PROPS}),
            "src/app.py": b"print('hi')\n",
        },
    )
    second = _commit(repo, {"old/backup.tgz": None})
    return repo, first, second


def _audit(repo: Path, policy: Policy | None = None, state: Path | None = None):  # type: ignore[no-untyped-def]
    return run_audit(
        policy=policy or Policy(), as_of=AS_OF, only=["secrets"], repos=[repo], state_path=state
    )


def test_archives_in_tree_and_history_are_found_at_bang_paths(
    archive_repo: tuple[Path, str, str],
) -> None:
    repo, first, _ = archive_repo
    run = _audit(repo)
    assert run.status == "complete"
    found = {(f.rule, f.resource, f.location.line, f.location.commit) for f in run.findings}
    assert found == {
        ("in-tree", "svc:dist/app.war!WEB-INF/lib/core.jar!app.properties", 1, first),
        ("history-only", "svc:old/backup.tgz!etc/token.env", 1, first),
    }
    stats = run.results[0].stats
    assert stats["archives"] == 5  # war, its jar, tgz, gz, evil.zip
    assert stats["archive_entries"] == 3  # app.properties, token.env, config.yml
    assert stats["archive_skipped"] == 1 and stats["archive_skipped_unsafe_name"] == 1


def test_archives_warm_from_the_cache_and_rescanned_when_the_limits_change(
    archive_repo: tuple[Path, str, str], tmp_path: Path
) -> None:
    repo, _, _ = archive_repo
    state = tmp_path / "state.db"
    cold = _audit(repo, state=state)
    warm = _audit(repo, state=state)
    assert warm.results[0].stats["blobs_scanned"] == 0
    assert {f.id for f in warm.findings} == {f.id for f in cold.findings}
    assert warm.results[0].stats["archives"] == cold.results[0].stats["archives"]
    shallow = Policy(secrets=SecretsPolicy(archive_depth=1))
    run = _audit(repo, shallow, state=state)
    assert run.results[0].stats["blobs_scanned"] == 4  # the archives, read again
    assert {f.resource for f in run.findings} == {"svc:old/backup.tgz!etc/token.env"}
    assert run.results[0].stats["archive_skipped_depth"] == 1
    assert _audit(repo, Policy(secrets=SecretsPolicy(archive_depth=0)), state=state).findings == []


def test_a_baseline_entry_at_the_bang_path_suppresses_the_finding(
    archive_repo: tuple[Path, str, str],
) -> None:
    from hygiene.scan import scan_text

    repo, _, _ = archive_repo
    hit = scan_text(PROPS.decode(), "app.properties")[0]
    path = "dist/app.war!WEB-INF/lib/core.jar!app.properties"
    entry = {"type": hit.type, "filename": path, "hashed_secret": hit.hashed_secret}
    baseline = {"version": "1.5.0", "results": {path: [{**entry, "is_secret": False}]}}
    _commit(repo, {".secrets.baseline": json.dumps(baseline).encode()})
    run = _audit(repo)
    assert {f.resource for f in run.findings} == {"svc:old/backup.tgz!etc/token.env"}
    assert run.results[0].stats["suppressed_by_baseline"] == 1


def test_the_baseline_verb_sees_work_tree_archives(archive_repo: tuple[Path, str, str]) -> None:
    repo, _, _ = archive_repo
    hits = tree_hits(repo, SecretsPolicy())
    assert set(hits) == {"dist/app.war!WEB-INF/lib/core.jar!app.properties"}
