"""Random tokens for sessions and hand-offs, and the digests stored in their place."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32  # 256 bits: far beyond guessing, even at millions of tries a second


def new_token() -> str:
    """A URL-safe random token (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str, secret_key: str) -> str:
    """What the stores keep instead of the token: HMAC-SHA256 under the app's secret key.

    Someone who reads the session table (a backup, a replica) gets nothing that signs in,
    and without the secret key cannot even check a guessed token against it.
    """
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()
