"""Evaluate stage: pure functions of (records, policy, as_of) → findings. No I/O, no cloud SDK."""
