"""Encrypted secrets files — Rails ``*.enc``, SOPS, ansible-vault, git-crypt: one
``encrypted-file`` hit per file on line 1 (information, not a leak), and nothing else from it."""

from __future__ import annotations

import hashlib
import re

from hygiene.scan.formats._common import Candidate, Text

MARKERS = r"\$ansible_vault;|enc\[aes256_gcm,|gitcrypt"
_RAILS = re.compile(r"^[A-Za-z0-9+/=]{8,}--[A-Za-z0-9+/=]{8,}--[A-Za-z0-9+/=]{8,}\s*$")
_SOPS_META = re.compile(
    r'^sops:\s*$|"sops"\s*:\s*\{|^sops_mac=|^\[sops\]|^sops_version=', re.MULTILINE
)
_SOPS_VALUE = re.compile(r"ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:")
_VAULT = re.compile(r"^\s*\$ANSIBLE_VAULT;\d\.\d;AES256(?:;\S+)?\s*\n[0-9a-f\s]+$")


def kind_of(text: Text) -> str | None:
    """The encrypted format of the whole text, or None."""
    body = text.text
    if body.startswith("\x00GITCRYPT"):
        return "git-crypt-file"
    if _VAULT.match(body):
        return "ansible-vault-file"
    if text.suffix == ".enc" and body.strip():
        return "rails-encrypted-credentials" if _RAILS.match(body) else "encrypted-file"
    if "ENC[AES256_GCM" in body and _SOPS_VALUE.search(body) and _SOPS_META.search(body):
        return "sops-file"
    return None


def find(text: Text) -> Candidate | None:
    """The one hit of an encrypted secrets file (value: the format and the text's SHA-256)."""
    kind = kind_of(text)
    if kind is None:
        return None
    digest = hashlib.sha256(text.text.encode("utf-8", "surrogatepass")).hexdigest()
    return Candidate(kind, "Encrypted Secrets File", 1, f"{kind}:{digest}", "encrypted-file")
