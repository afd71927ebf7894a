"""One typed settings object, read from ``HEAVY_STACK_*`` environment variables and ``.env``."""

from __future__ import annotations

from enum import StrEnum
from importlib.util import find_spec
from pathlib import Path

# The framework's names that the product's code and tests take from here are re-exported (`as`).
from heavy import DEFAULT_SECRET_KEY as DEFAULT_SECRET_KEY
from heavy import Environment as Environment
from heavy import HeavySettings, parse_as_url
from heavy import LogFormat as LogFormat
from heavy import SettingsError as SettingsError
from heavy import StartupError as StartupError
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

ENV_PREFIX = "HEAVY_STACK_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Variables the test suite reads itself (tests/conftest.py): not settings, but not typos either.
NOT_SETTINGS_PREFIXES = tuple(ENV_PREFIX + name for name in HeavySettings.not_settings_prefixes)


class EmbedderName(StrEnum):
    """The values of ``HEAVY_STACK_EMBEDDER`` (the embedders: backend/services/embeddings.py)."""

    HASHED = "hashed"
    WORDLLAMA = "wordllama"


# The package each optional embedder needs, and the extra of this project that installs it.
EMBEDDER_PACKAGES = {EmbedderName.WORDLLAMA: "wordllama"}
SEMANTIC_EXTRA = "semantic"


def missing_embedder_package(name: EmbedderName) -> str | None:
    """Why embedder ``name`` cannot load here (its package is not installed), or None.

    Here, not beside the embedders, so that settings (the bottom layer) can refuse the setting
    at start-up without importing the services.
    """
    package = EMBEDDER_PACKAGES.get(name)
    if package is None or find_spec(package) is not None:
        return None
    return (
        f"the {name} embedder needs the optional package {package}: install the project's "
        f"'{SEMANTIC_EXTRA}' extra (uv sync --extra {SEMANTIC_EXTRA}, or pip install "
        f"'heavy-stack[{SEMANTIC_EXTRA}]'), or choose {EmbedderName.HASHED}"
    )


class Settings(HeavySettings):
    """Everything the app reads from its environment: the framework's settings
    (``HeavySettings``: server, databases, logs, security limits) and the product's own.

    Built once by the app factory (never at import time) and kept on ``app.ctx.settings``.
    Every field maps to an environment variable: ``port`` is ``HEAVY_STACK_PORT``.
    """

    # The framework's configuration (.env, blank means the default) with this project's prefix.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)
    # The app's loggers, and the development tools' (hot reload) when they run in this process.
    logger_names = ("heavy_stack", "heavy_stack_dev")

    app_title: str = "The Heavy Stack"
    data_dir: Path = PROJECT_ROOT / ".data"
    # Accounts (README "Accounts and sessions"): sessions live in PostgreSQL unless a Redis URL is set.
    redis_url: str | None = None
    session_cookie_name: str = Field(default="heavy_stack_session", pattern=r"^[A-Za-z0-9_]+$")
    session_lifetime_hours: int = Field(default=24 * 14, ge=1)
    # How long a heavy call trusts the last check of its connection's session (0: check on
    # every call). A sign-out through this process takes effect at once; through another
    # process (a worker, another host) within this many seconds.
    session_recheck_seconds: float = Field(default=1.0, ge=0)
    # Failed sign-ins allowed per e-mail address and per client address in each window; sign-ins
    # and sign-ups from RATE_LIMIT_EXEMPT_ADDRESSES (a load-test allowance, docs/load-testing.md)
    # are not counted.
    sign_in_attempts_per_account: int = Field(default=10, ge=1)
    sign_in_attempts_per_address: int = Field(default=50, ge=1)
    sign_ups_per_address: int = Field(default=20, ge=1)
    rate_limit_window_minutes: int = Field(default=15, ge=1)
    # Password-reset and verification mails asked for per e-mail address in each window (and
    # four times as many per client address).
    account_mails_per_address: int = Field(default=5, ge=1)
    # How often notes saved while the vector database was down are embedded again.
    embedding_retry_seconds: float = Field(default=30.0, gt=0)
    # For tests only: a pause after each note "Re-index all my notes" embeds, so a test can watch
    # the progress bar move (0 in use).
    reindex_pause_seconds: float = Field(default=0.0, ge=0)
    # Which text embedder finds related notes: the built-in hashed one, or a semantic model
    # from an optional extra (see backend/services/embeddings.py).
    embedder: EmbedderName = EmbedderName.HASHED

    @field_validator("embedder")
    @classmethod
    def _embedder_installed(cls, value: EmbedderName) -> EmbedderName:
        if (problem := missing_embedder_package(value)) is not None:
            raise ValueError(problem)
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        return parse_as_url(value)


def load_settings() -> Settings:
    """The settings from the environment and ``.env``; StartupError (one line per problem)
    instead of pydantic's traceback."""
    return Settings.load()


def unknown_variable_warnings() -> list[str]:
    """One warning per ``HEAVY_STACK_*`` variable that no setting reads, with the closest name."""
    return Settings.unknown_variable_warnings()
