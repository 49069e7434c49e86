"""Collect stage: every call to the outside world (cloud APIs, billing files, git) lives here and
returns plain records. Nothing outside ``sources/`` imports a cloud SDK."""
