"""Run every benchmark (``make bench``): each ``benchmarks/<area>_bench.py`` module's ``main``.

``python -m benchmarks.run`` runs all; ``python -m benchmarks.run secrets tags`` runs some.
Results are printed; benchmarks/README.md records the measured numbers.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path


def available() -> list[str]:
    """Names of the benchmark modules (``secrets`` for ``secrets_bench``)."""
    here = Path(__file__).parent
    return sorted(
        info.name.removesuffix("_bench")
        for info in pkgutil.iter_modules([str(here)])
        if info.name.endswith("_bench")
    )


def main(argv: list[str] | None = None) -> int:
    """Run the named benchmarks (all by default) and print their results as JSON."""
    names = (sys.argv[1:] if argv is None else argv) or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available())}")
        return 2
    results = {}
    for name in names:
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}_bench")
        print(f"== {name}", flush=True)
        results[name] = module.main([])
        print(f"== {name} done in {time.perf_counter() - started:.1f}s", flush=True)
    print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
