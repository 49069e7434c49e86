"""The scan cache says whether anything is cached under an engine configuration (a first scan
readies its engines early)."""

from __future__ import annotations

from pathlib import Path

from hygiene.store import Store


def test_has_scans_per_configuration(tmp_path: Path) -> None:
    with Store(tmp_path / "state.db") as store:
        assert not store.has_scans("fp1")
        store.cache_scans({"blob1:PYTHON": {"hits": []}}, "fp1")
        assert store.has_scans("fp1")
        assert not store.has_scans("fp2")
