"""Random tokens and their hashes, shared by every feature that hands out links."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 24  # 192 random bits: well above the 128 every public or private token needs


def new_token() -> str:
    """A URL-safe random token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a private token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_hash(key: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under ``key`` (hex)."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
