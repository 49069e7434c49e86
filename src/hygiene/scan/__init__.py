"""The secret-scanning engine. Secret values never leave this package.

``scan_text(text, path)`` is the stable entry point for other checks; ``SecretHit`` is what it
returns (rule, type, line, redacted preview, SHA-256 — never the value).
"""

from hygiene.scan.engine import EngineConfig, scan_content, scan_text
from hygiene.scan.hits import SecretHit

__all__ = ["EngineConfig", "SecretHit", "scan_content", "scan_text"]
