"""One typed settings object, read from ``HEAVY_STACK_*`` environment variables and ``.env``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "HEAVY_STACK_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "change-me-in-production"


class Environment(StrEnum):
    DEV = "DEV"
    PRODUCTION = "PRODUCTION"


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message names the variable to set."""


class Settings(BaseSettings):
    """Everything the app reads from its environment.

    Built once by the app factory (never at import time) and kept on ``app.ctx.settings``.
    Every field maps to an environment variable: ``port`` is ``HEAVY_STACK_PORT``.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = Environment.DEV
    app_title: str = "The Heavy Stack"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    # No URL means: start the embedded PostgreSQL under ``data_dir`` (DEV only).
    sql_db_url: str | None = None
    vector_db_url: str | None = None
    data_dir: Path = PROJECT_ROOT / ".data"
    # Origins allowed to open the websocket; empty means the app's own origin only.
    allowed_origins: Annotated[list[str], NoDecode] = []
    # Host names the websocket answers to (DNS-rebinding guard); empty means those of
    # ALLOWED_ORIGINS, else in DEV the loopback names and HOST (see backend/security/origin.py).
    allowed_hosts: Annotated[list[str], NoDecode] = []
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    db_pool_size: int = Field(default=10, ge=1)
    # Record every websocket message to this file (see heavy_stack/testing/recording.py).
    recording_path: Path | None = None
    log_level: str = "INFO"
    # Accounts (README "Accounts and sessions"): sessions live in PostgreSQL unless a Redis URL is set.
    redis_url: str | None = None
    session_cookie_name: str = Field(default="heavy_stack_session", pattern=r"^[A-Za-z0-9_]+$")
    session_lifetime_hours: int = Field(default=24 * 14, ge=1)
    # Failed sign-ins allowed per e-mail address and per client address in each window.
    sign_in_attempts_per_account: int = Field(default=10, ge=1)
    sign_in_attempts_per_address: int = Field(default=50, ge=1)
    sign_ups_per_address: int = Field(default=20, ge=1)
    rate_limit_window_minutes: int = Field(default=15, ge=1)
    # Reverse proxies in front of the app that add X-Forwarded-For (for client addresses).
    proxies_count: int = Field(default=0, ge=0)
    # Limits: an HTTP request body, and one websocket message (a note's text arrives in one).
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_websocket_message_bytes: int = Field(default=256 * 1024, ge=1024)
    # How often notes saved while the vector database was down are embedded again.
    embedding_retry_seconds: float = Field(default=30.0, gt=0)

    @field_validator("allowed_origins", "allowed_hosts", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _record_from_one_process(self) -> Self:
        if self.recording_path is not None and self.workers > 1:
            raise SettingsError(
                f"{ENV_PREFIX}RECORDING_PATH needs one process writing the file: set {ENV_PREFIX}WORKERS=1."
            )
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment is not Environment.PRODUCTION:
            return self
        if self.secret_key.get_secret_value() in ("", DEFAULT_SECRET_KEY):
            raise SettingsError(
                f"PRODUCTION needs a secret key: set {ENV_PREFIX}SECRET_KEY to a long random value "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )
        if self.sql_db_url is None:
            raise SettingsError(f"PRODUCTION never starts the embedded database: set {ENV_PREFIX}SQL_DB_URL.")
        if "*" in self.allowed_origins:
            raise SettingsError(
                f"PRODUCTION refuses '*' in {ENV_PREFIX}ALLOWED_ORIGINS: list the real origins."
            )
        return self

    @property
    def uses_embedded_db(self) -> bool:
        return self.sql_db_url is None

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION
