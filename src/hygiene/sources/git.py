"""Git repositories: names, tracked files, ignore rules, and history — every unique blob across
all refs (``rev-list --objects --all`` + ``cat-file --batch``), blob → first commit and path,
and bare mirrors of clone URLs in a cache directory."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from hygiene.errors import HygieneError


class GitError(HygieneError):
    """A git command failed on a repository."""


# --------------------------------------------------------------------------- credentials in URLs

#: ``scheme://`` (or ``scheme:/``, what ``Path`` leaves of it) and the authority after it.
_URL_HEAD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*:/{1,2})([^/?#]*)")
#: scp-like ``user:password@host:path`` (a plain ``git@host:path`` holds no secret).
_SCP_SECRET = re.compile(r"^[^/@:]+:[^/@]*@(?=[\w.-]+:)")
#: ``scheme://userinfo@`` anywhere in a text (git's own messages).
_URL_IN_TEXT = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*:/{1,2})[^\s/?#'\"@]*@")
REDACTED = "***"


def redact_url(url: str) -> str:
    """``url`` with its userinfo (user name, password, token) replaced by ``***``.

    ``https://user:TOKEN@host/org/repo.git`` → ``https://***@host/org/repo.git``; the same for
    ``ssh://``, ``file://`` and any other scheme, and for scp-like ``user:password@host:path``.
    A scp-like ``git@host:org/repo`` is kept: its user name holds no secret. A userinfo that
    breaks the URL grammar (an unencoded ``/`` in the password) is still cut at the last ``@``.
    """
    parts = _split_userinfo(url)
    if parts is None:
        return url
    prefix, _userinfo, rest = parts
    return f"{prefix}{REDACTED}{rest}"


def _split_userinfo(url: str) -> tuple[str, str, str] | None:
    """``(scheme://, userinfo, @host…)`` of ``url``, or None when it carries no userinfo."""
    head = _URL_HEAD.match(url)
    if head is None:
        scp = _SCP_SECRET.match(url)
        return ("", url[: scp.end() - 1], url[scp.end() - 1 :]) if scp else None
    scheme, authority = head.group(1), head.group(2)
    rest = url[len(scheme) :]
    if "@" in authority:
        cut = len(authority.rsplit("@", 1)[0])
    elif "@" in rest and ":" in authority:  # user:pa/ss@host: a password with a raw "/"
        cut = rest.rfind("@")
    else:
        return None
    return scheme, rest[:cut], rest[cut:]


def scrub(text: str, url: str | None = None) -> str:
    """``text`` (a git message, an error) with every URL's userinfo redacted, and the userinfo
    of ``url`` (whole, its user name and password, percent-decoded too) removed wherever else
    it appears: git may quote it on its own."""
    text = _URL_IN_TEXT.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    parts = _split_userinfo(url or "")
    if parts is None:
        return text
    userinfo = parts[1]
    pieces = {userinfo, *userinfo.split(":", 1)}
    pieces |= {unquote(p) for p in pieces}
    for piece in sorted((p for p in pieces if len(p) >= 4), key=len, reverse=True):
        text = text.replace(piece, REDACTED)
    return text


def _label(repo: Path | str) -> str:
    """A repository's location for messages: never the credentials of a clone URL."""
    return redact_url(str(repo))


def _read_env() -> dict[str, str]:
    """git's environment for reads: never fetch a partial clone's missing objects (git ≥ 2.44
    honours ``GIT_NO_LAZY_FETCH``), never prompt."""
    return {**os.environ, "GIT_NO_LAZY_FETCH": "1", "GIT_TERMINAL_PROMPT": "0"}


def run_git(repo: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    """Run ``git -C repo args`` and return stdout; GitError names the repo on failure."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=input_bytes,
            capture_output=True,
            check=False,
            env=_read_env(),
        )
    except OSError as exc:
        raise GitError(f"{_label(repo)}: cannot run git: {exc.strerror}") from None
    if proc.returncode != 0:
        reason = _reason(proc.stderr) or proc.returncode
        raise GitError(f"{_label(repo)}: git {args[0]} failed: {scrub(str(reason))}")
    return proc.stdout


def toplevel(path: Path) -> Path:
    """The top of the git work tree containing ``path``."""
    return Path(run_git(path, "rev-parse", "--show-toplevel").decode().strip())


def repo_name(path: Path) -> str:
    """A name for the repo that is the same on every machine: the origin URL's last part
    without ``.git``, else the directory name."""
    url = origin_url(path)
    if url:
        return _url_tail(url) or path.resolve().name
    return path.resolve().name


def origin_url(path: Path) -> str | None:
    """The checkout's ``remote.origin.url`` (None when it has none)."""
    try:
        return run_git(path, "config", "--get", "remote.origin.url").decode().strip() or None
    except GitError:
        return None


def repo_name_of_url(url: str) -> str:
    """The name a clone URL's mirror gets from :func:`repo_name`: its last part."""
    return _url_tail(url) or "repo"


def qualified_name(url: str) -> str | None:
    """``host/org/name`` of a clone URL, without credentials, port or ``.git``:
    ``https://u:t@github.com/acme/api.git`` and ``git@github.com:acme/api`` are both
    ``github.com/acme/api``; a ``file://`` URL or a bare path has none (None)."""
    shown = redact_url(url.strip()).rstrip("/")
    scp = re.match(r"^(?:[^@/]+@)?([^:/]+):(?!//)(.+)$", shown)
    if "://" in shown:
        scheme, _, rest = shown.partition("://")
        if scheme.lower() == "file":
            return None
        host, _, path = rest.rpartition("@")[2].partition("/")
        host = host.rsplit(":", 1)[0] if re.search(r":\d+$", host) else host
    elif scp:
        host, path = scp.group(1), scp.group(2)
    else:
        return None
    path = path.strip("/").removesuffix(".git")
    return f"{host.lower()}/{path}" if host and path else None


def _url_tail(url: str) -> str:
    """The last part of a clone URL's path, without ``.git`` (never its credentials)."""
    tail = redact_url(url).rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return tail.removesuffix(".git").rsplit("@", 1)[-1]


def tracked_files(repo: Path) -> list[str]:
    """Paths (relative, POSIX) of the files git tracks in the work tree."""
    out = run_git(repo, "ls-files", "-z", "--cached")
    return sorted({p for p in out.decode("utf-8", "surrogateescape").split("\0") if p})


def display_path(path: str) -> str:
    """A path as git gave it (decoded with ``surrogateescape``) made valid text for findings,
    messages and every output: bytes that are not UTF-8 become ``\\xNN``, other lone
    surrogates ``\\uNNNN``. Valid text is returned as it is."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(_shown_char(c) for c in path)
    return path


def _shown_char(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte surrogateescape kept
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return char


def ignored(repo: Path, paths: Sequence[str]) -> set[str]:
    """Which of ``paths`` git's ignore rules cover (whether or not the file exists)."""
    if not paths:
        return set()
    proc = subprocess.run(
        ["git", "-C", str(repo), "check-ignore", "--no-index", "-z", "--stdin"],
        input="\0".join(paths).encode() + b"\0",
        capture_output=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        message = scrub(proc.stderr.decode("utf-8", "replace").strip())
        raise GitError(f"{_label(repo)}: git check-ignore failed: {message}")
    return {p for p in proc.stdout.decode().split("\0") if p}


def head_commit(repo: Path) -> str | None:
    """The commit HEAD points at, or None in a repo with no commits."""
    try:
        return run_git(repo, "rev-parse", "--verify", "-q", "HEAD").decode().strip() or None
    except GitError:
        return None


# --------------------------------------------------------------------------- history


ZERO_OID = "0" * 40


@dataclass(frozen=True)
class BlobInfo:
    """A blob reachable from some ref: its id, size, and one path git names it by."""

    oid: str
    size: int
    path: str


@dataclass(frozen=True)
class Occurrence:
    """A blob written at ``path`` by ``commit`` (``order``: 0 for the oldest commit)."""

    path: str
    commit: str
    order: int


@dataclass(frozen=True)
class History:
    """What ``rev-list --objects --all`` reached: the blobs it could read, and the ids of the
    objects it could not (a partial clone's promised blobs, or objects lost from the store)."""

    blobs: list[BlobInfo]
    missing: list[str]


_OID_LINE = re.compile(rb"^([0-9a-f]{40}(?:[0-9a-f]{24})?)(?: (.*))?$")


def reachable_blobs(repo: Path) -> History:
    """Every blob reachable from any ref, once each (``rev-list --objects --all`` piped into
    ``cat-file --batch-check``). Missing objects are listed, not fatal, and never fetched from
    a promisor remote (``--missing=print``)."""
    listing = run_git(repo, "rev-list", "--objects", "--all", "--missing=print")
    missing: list[str] = []
    paths: dict[str, str] = {}
    for line in listing.splitlines():
        if line.startswith(b"?"):
            missing.append(line[1:].strip().decode("ascii", "replace"))
            continue
        match = _OID_LINE.match(line)
        if match:  # anything else would be a path git broke across lines
            oid = match.group(1).decode()
            paths.setdefault(oid, (match.group(2) or b"").decode("utf-8", "surrogateescape"))
    if not paths:
        return History([], missing)
    out = run_git(
        repo,
        "cat-file",
        "--batch-check=%(objectname) %(objecttype) %(objectsize)",
        input_bytes="".join(f"{oid}\n" for oid in paths).encode(),
    )
    blobs: list[BlobInfo] = []
    for raw in out.decode("ascii", "replace").splitlines():
        parts = raw.split(" ")
        if len(parts) == 3 and parts[1] == "blob":
            blobs.append(BlobInfo(parts[0], int(parts[2]), paths.get(parts[0], "")))
        elif len(parts) == 2 and parts[1] == "missing":
            missing.append(parts[0])
    return History(blobs, missing)


def history_limits(repo: Path) -> list[str]:
    """What keeps this repository's history from being whole: ``shallow`` (a ``--depth``
    clone), ``partial`` (a ``--filter`` clone with a promisor remote). Empty for a full one."""
    limits = []
    if run_git(repo, "rev-parse", "--is-shallow-repository").decode().strip() == "true":
        limits.append("shallow")
    try:
        promisor = run_git(
            repo,
            "config",
            "--get-regexp",
            r"^(remote\..*\.(promisor|partialclonefilter)|extensions\.partialclone)$",
        )
    except GitError:  # exit 1: no such key
        promisor = b""
    if any(
        not line.lower().endswith((b" false", b" 0", b" no", b" off"))
        for line in promisor.splitlines()
        if line.strip()
    ):
        limits.append("partial")
    return limits


def blob_sizes(repo: Path, oids: Iterable[str]) -> dict[str, int]:
    """Size in bytes of each blob in ``oids`` (``cat-file --batch-check``)."""
    wanted = "\n".join(oids)
    if not wanted:
        return {}
    out = run_git(repo, "cat-file", "--batch-check", input_bytes=wanted.encode() + b"\n")
    sizes: dict[str, int] = {}
    for raw in out.decode().splitlines():
        parts = raw.split()
        if len(parts) == 3 and parts[1] == "blob":
            sizes[parts[0]] = int(parts[2])
    return sizes


def is_repository(path: Path) -> bool:
    """True when ``path`` is a git repository (a work tree or a bare one)."""
    try:
        run_git(path, "rev-parse", "--git-dir")
    except GitError:
        return False
    return True


def is_bare(path: Path) -> bool:
    """True for a bare repository (no work tree)."""
    return run_git(path, "rev-parse", "--is-bare-repository").decode().strip() == "true"


def read_blobs(
    repo: Path, oids: Iterable[str], missing: list[str] | None = None
) -> Iterator[tuple[str, bytes]]:
    """Stream ``(oid, content)`` for ``oids`` through one ``git cat-file --batch`` process.

    An object git reports missing is a :class:`GitError`, unless ``missing`` is given: its id
    is appended there and the stream goes on with the next one.
    """
    wanted = list(oids)
    if not wanted:
        return
    try:
        proc = subprocess.Popen(
            ["git", "-C", str(repo), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_read_env(),
        )
    except OSError as exc:
        raise GitError(f"{_label(repo)}: cannot run git: {exc.strerror}") from None
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        assert proc.stdin is not None
        try:
            for oid in wanted:
                proc.stdin.write(oid.encode() + b"\n")
            proc.stdin.close()
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for _ in wanted:
            header = proc.stdout.readline()
            if not header:
                raise GitError(f"{_label(repo)}: git cat-file stopped early")
            parts = header.split()
            if len(parts) < 3:  # "<oid> missing" (or "ambiguous")
                oid = parts[0].decode("ascii", "replace") if parts else "?"
                if missing is None:
                    raise GitError(f"{_label(repo)}: object {oid} is missing")
                missing.append(oid)
                continue
            size = int(parts[2])
            content = proc.stdout.read(size)
            proc.stdout.read(1)  # the newline after each object
            yield parts[0].decode(), content
    finally:
        proc.stdout.close()  # first: a consumer that stops early must not leave git blocked
        writer.join()
        proc.wait()


def blob_occurrences(repo: Path) -> dict[str, list[Occurrence]]:
    """Blob id → every (path, commit) that wrote it, oldest commit first.

    One ``git log --all --raw`` pass (parents before children). Changes made only by a merge
    are not listed; callers fall back to :func:`first_commit_of` for those blobs.
    """
    out = run_git(
        repo,
        "log",
        "--all",
        "--reverse",
        "--date-order",
        "--raw",
        "--no-renames",
        "--no-abbrev",
        "-z",
        "--format=%x01%H",
    )
    found: dict[str, list[Occurrence]] = {}
    tokens = out.decode("utf-8", "surrogateescape").split("\0")
    commit, order, index = "", -1, 0
    while index < len(tokens):
        token = tokens[index].lstrip("\n")
        index += 1
        if token.startswith("\x01"):
            commit, order = token[1:].strip(), order + 1
        elif token.startswith(":"):
            path = tokens[index] if index < len(tokens) else ""
            index += 1
            fields = token[1:].split(" ")
            if len(fields) < 5 or fields[1] == "160000" or fields[3] == ZERO_OID:
                continue
            found.setdefault(fields[3], []).append(Occurrence(path, commit, order))
    return found


def first_commits_of(repo: Path, oids: Iterable[str]) -> dict[str, str]:
    """Blob id → the oldest merge commit on any ref whose diff against one of its parents adds
    or changes it, for blobs :func:`blob_occurrences` did not attribute (changes made only by
    a merge). One ``git log -m --min-parents=2`` pass over every merge, however many blobs are
    asked; a blob no merge wrote is left out."""
    wanted = set(oids)
    if not wanted:
        return {}
    out = run_git(
        repo,
        "log",
        "--all",
        "--reverse",
        "--date-order",
        "-m",
        "--min-parents=2",
        "--raw",
        "--no-renames",
        "--no-abbrev",
        "-z",
        "--format=%x01%H",
    )
    found: dict[str, str] = {}
    tokens = out.decode("utf-8", "surrogateescape").split("\0")
    commit, index = "", 0
    while index < len(tokens) and len(found) < len(wanted):
        token = tokens[index].lstrip("\n")
        index += 1
        if token.startswith("\x01"):
            commit = token[1:].strip()
        elif token.startswith(":"):
            index += 1  # the path
            fields = token[1:].split(" ")
            if len(fields) >= 5 and fields[3] in wanted and fields[3] not in found:
                found[fields[3]] = commit
    return found


def first_commit_of(repo: Path, oid: str) -> str | None:
    """The oldest commit on any ref whose diff adds or changes blob ``oid`` (slow; a fallback)."""
    out = run_git(repo, "log", "--all", "--reverse", "-m", "--format=%H", f"--find-object={oid}")
    lines = out.decode().split()  # -m: diff merges against each parent (one line per parent)
    return lines[0] if lines else None


def head_tree(repo: Path) -> dict[str, str]:
    """Path → blob id of every file in HEAD's tree (empty for a repo with no commits)."""
    if head_commit(repo) is None:
        return {}
    out = run_git(repo, "ls-tree", "-r", "-z", "--full-tree", "HEAD")
    tree: dict[str, str] = {}
    for entry in out.decode("utf-8", "surrogateescape").split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        _mode, kind, oid = meta.split(" ")
        if kind == "blob":
            tree[path] = oid
    return tree


def staged_files(repo: Path) -> dict[str, str]:
    """Path → blob id of the files staged for the next commit (added, copied, modified)."""
    out = run_git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z")
    paths = [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]
    if not paths:
        return {}
    listing = run_git(repo, "ls-files", "-s", "-z", "--", *paths)
    staged: dict[str, str] = {}
    for entry in listing.decode("utf-8", "surrogateescape").split("\0"):
        if entry:
            meta, _, path = entry.partition("\t")
            staged[path] = meta.split(" ")[1]
    return staged


def read_file_at_head(repo: Path, path: str) -> bytes | None:
    """The content of ``path`` in HEAD, or None when it is not there."""
    tree = head_tree(repo)
    oid = tree.get(path)
    if oid is None:
        return None
    return next(read_blobs(repo, [oid]))[1]


# --------------------------------------------------------------------------- remote repos

_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)")


def is_clone_url(location: str) -> bool:
    """True for ``https://…``, ``ssh://…``, ``file://…`` and ``git@host:org/repo`` locations."""
    return "://" in location or bool(_SCP_LIKE.match(location))


def mirror(url: str, cache_dir: Path) -> Path:
    """A bare mirror of ``url`` under ``cache_dir``: cloned the first time, fetched after.

    Credentials come from git's own configuration (credential helpers, SSH agent) or the URL;
    hygiene never asks for them (``GIT_TERMINAL_PROMPT=0``). Credentials in the URL never reach
    a message, a log line or the mirror's configuration: it stores the redacted URL, and every
    fetch passes the real one on the command line.
    """
    shown = redact_url(url)
    tail = _url_tail(url) or "repo"
    digest = hashlib.sha256(shown.encode()).hexdigest()[:10]
    target = cache_dir / "repos" / f"{re.sub(r'[^A-Za-z0-9._-]', '_', tail)}-{digest}.git"
    target.parent.mkdir(parents=True, exist_ok=True)
    with _mirror_lock(target):  # two checks (or two runs) mirroring one URL take turns
        _refresh_mirror(url, shown, target)
    return target


_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


@contextmanager
def _mirror_lock(target: Path) -> Iterator[None]:
    """Hold ``target``'s mirror for this thread and process: a thread lock, then ``flock``."""
    with _THREAD_LOCKS_GUARD:
        lock = _THREAD_LOCKS.setdefault(str(target), threading.Lock())
    locks = target.parent.parent / "locks"  # beside repos/, so repos/ holds mirrors only
    locks.mkdir(parents=True, exist_ok=True)
    with lock, open(locks / f"{target.name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _refresh_mirror(url: str, shown: str, target: Path) -> None:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    if (target / "HEAD").exists():
        _run(["git", "-C", str(target), "config", "remote.origin.url", shown], url, env)
        _run(
            ["git", "-C", str(target), "fetch", "--quiet", "--prune", url, "+refs/*:refs/*"],
            url,
            env,
        )
    else:
        tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            _run(["git", "clone", "--quiet", "--mirror", url, str(tmp)], url, env)
            _run(["git", "-C", str(tmp), "config", "remote.origin.url", shown], url, env)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(args: list[str], url: str, env: dict[str, str]) -> None:
    verb = args[3] if args[1] == "-C" else args[1]
    try:
        proc = subprocess.run(args, capture_output=True, check=False, env=env, timeout=3600)
    except OSError as exc:
        raise GitError(f"{redact_url(url)}: cannot run git {verb}: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"{redact_url(url)}: git {verb} timed out after an hour") from None
    if proc.returncode != 0:
        reason = _reason(proc.stderr) or proc.returncode
        raise GitError(f"{redact_url(url)}: git {verb} failed: {scrub(str(reason), url)}")


def _reason(stderr: bytes) -> str:
    """The line of git's stderr that says what went wrong: its first ``fatal:``/``error:``
    line, else its last line."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (fatal or lines or [""])[0 if fatal else -1]
