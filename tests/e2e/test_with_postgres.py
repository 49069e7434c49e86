"""`make test`'s throwaway PostgreSQL (scripts/with-postgres.sh): the command sees a working
server, its exit code is kept, and nothing is left behind — no folder, no server process."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "with-postgres.sh"


def test_the_server_lives_only_while_the_command_runs() -> None:
    # a folder the `postgres` user can reach (pytest's tmp_path is root-only when run as root)
    tmp_path = Path(tempfile.mkdtemp(prefix="with-pg-", dir="/tmp"))
    tmp_path.chmod(0o755)
    try:
        _run_and_check(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _run_and_check(tmp_path: Path) -> None:
    probe = (
        'echo "$HYGIENE_PG_DATA"; '
        '"$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql" '
        '"$HYGIENE_TEST_POSTGRES_URL" -tAc "select 40 + 2"; exit 7'
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("HYGIENE_PG_DATA", None)
    done = subprocess.run(
        [str(SCRIPT), "bash", "-c", probe], capture_output=True, text=True, env=env, timeout=180
    )
    assert done.returncode == 7, done.stderr
    data, answer = done.stdout.split()
    assert answer == "42"
    assert Path(data).is_relative_to(tmp_path)
    assert list(tmp_path.iterdir()) == []  # the cluster's folder is gone
    running = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert data not in running  # and its server stopped
