"""The links sent by e-mail: what each is for, and what became of one that was opened."""

from __future__ import annotations

from enum import StrEnum


class TokenPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"
    EMAIL_VERIFICATION = "email_verification"


class TokenState(StrEnum):
    """Why a link works or not, so the page can say it in words."""

    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"  # never issued, mistyped, or forgotten after its account was deleted
