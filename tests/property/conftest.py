"""Hypothesis profiles for the property tests, chosen by ``HYPOTHESIS_PROFILE``:

* ``default`` — CI: no deadline (the machine is shared), each test's own modest example count;
* ``fuzz`` — ``make fuzz``: 2,000 examples per test.

A test that sets its own count in CI writes ``max_examples=examples(N)``: N under ``default``,
the profile's count under any other.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("default", deadline=None, suppress_health_check=SLOW_OK)
settings.register_profile(
    "fuzz", deadline=None, max_examples=2000, suppress_health_check=SLOW_OK, print_blob=True
)
settings.load_profile(PROFILE)


def examples(default: int) -> int:
    """``default`` examples in CI; the loaded profile's count under any other profile."""
    return default if PROFILE == "default" else settings.get_profile(PROFILE).max_examples
