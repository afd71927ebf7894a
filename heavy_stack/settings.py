"""One typed settings object, read from ``HEAVY_STACK_*`` environment variables and ``.env``."""

from __future__ import annotations

import difflib
import os
from enum import StrEnum
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

ENV_PREFIX = "HEAVY_STACK_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "change-me-in-production"
MIN_SECRET_KEY_LENGTH = 32
ENV_FILE = ".env"
# Variables the test suite reads itself (tests/conftest.py): not settings, but not typos either.
NOT_SETTINGS_PREFIXES = (f"{ENV_PREFIX}TEST_",)


class Environment(StrEnum):
    DEV = "DEV"
    PRODUCTION = "PRODUCTION"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


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


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message names the variable to set."""


class StartupError(RuntimeError):
    """Settings the app cannot start with: one line per problem, each naming its variable."""


class Settings(BaseSettings):
    """Everything the app reads from its environment.

    Built once by the app factory (never at import time) and kept on ``app.ctx.settings``.
    Every field maps to an environment variable: ``port`` is ``HEAVY_STACK_PORT``.
    """

    # env_ignore_empty: "HEAVY_STACK_PORT=" (in .env or the environment) means the default, as
    # if the line were not there; every setting has one.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
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
    # Record every websocket message to this file (see heavy/src/heavy/stream/recorder.py).
    recording_path: Path | None = None
    log_level: str = "INFO"
    # "json": one JSON object per line (for log collectors); "text" for people. Unset: json in
    # PRODUCTION, text in DEV (see backend/logs.py).
    log_format: LogFormat | None = None
    # One line per HTTP request and websocket open/close. Unset: on in PRODUCTION (and with
    # --debug), off in DEV.
    access_log: bool | None = None
    # Accounts (README "Accounts and sessions"): sessions live in PostgreSQL unless a Redis URL is set.
    redis_url: str | None = None
    session_cookie_name: str = Field(default="heavy_stack_session", pattern=r"^[A-Za-z0-9_]+$")
    session_lifetime_hours: int = Field(default=24 * 14, ge=1)
    # How long a heavy call trusts the last check of its connection's session (0: check on
    # every call). A sign-out through this process takes effect at once; through another
    # process (a worker, another host) within this many seconds.
    session_recheck_seconds: float = Field(default=1.0, ge=0)
    # Failed sign-ins allowed per e-mail address and per client address in each window.
    sign_in_attempts_per_account: int = Field(default=10, ge=1)
    sign_in_attempts_per_address: int = Field(default=50, ge=1)
    sign_ups_per_address: int = Field(default=20, ge=1)
    rate_limit_window_minutes: int = Field(default=15, ge=1)
    # A load-test allowance (docs/load-testing.md): sign-ins and sign-ups from these client
    # addresses are not rate limited. Outside PRODUCTION only; PRODUCTION refuses to start with it.
    rate_limit_exempt_addresses: Annotated[list[str], NoDecode] = []
    # Reverse proxies in front of the app that add X-Forwarded-For (for client addresses).
    proxies_count: int = Field(default=0, ge=0)
    # Limits: an HTTP request body, and one websocket message (a note's text arrives in one).
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_websocket_message_bytes: int = Field(default=256 * 1024, ge=1024)
    # How often notes saved while the vector database was down are embedded again.
    embedding_retry_seconds: float = Field(default=30.0, gt=0)
    # Which text embedder finds related notes: the built-in hashed one, or a semantic model
    # from an optional extra (see backend/services/embeddings.py).
    embedder: EmbedderName = EmbedderName.HASHED

    @field_validator("allowed_origins", "allowed_hosts", "rate_limit_exempt_addresses", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("log_format", "access_log", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # "JSON" means json; a blank value given in code (not the environment) means the default.
        if isinstance(value, str):
            return value.strip().lower() or None
        return value

    @field_validator("embedder")
    @classmethod
    def _embedder_installed(cls, value: EmbedderName) -> EmbedderName:
        if (problem := missing_embedder_package(value)) is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _record_from_one_process(self) -> Self:
        if self.recording_path is not None and self.workers > 1:
            raise SettingsError(
                f"{ENV_PREFIX}RECORDING_PATH needs one process writing the file: set {ENV_PREFIX}WORKERS=1."
            )
        return self

    @field_validator("sql_db_url", "vector_db_url", "redis_url")
    @classmethod
    def _parse_as_url(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                make_url(value)
            except Exception:  # SQLAlchemy's ArgumentError, or a ValueError for a bad port
                raise ValueError(
                    "not a URL (expected e.g. postgresql://user:password@host:5432/db)"
                ) from None
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            problems = self.production_problems()
            if problems:
                raise SettingsError("\n".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """Every reason PRODUCTION cannot start with these settings (all at once)."""
        problems = []
        secret = self.secret_key.get_secret_value()
        if secret == DEFAULT_SECRET_KEY or len(secret) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                f"PRODUCTION needs {ENV_PREFIX}SECRET_KEY: a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )
        if self.sql_db_url is None:
            problems.append(f"PRODUCTION never starts the embedded database: set {ENV_PREFIX}SQL_DB_URL.")
        if "*" in self.allowed_origins:
            problems.append(f"PRODUCTION refuses '*' in {ENV_PREFIX}ALLOWED_ORIGINS: list the real origins.")
        if self.rate_limit_exempt_addresses:
            problems.append(
                f"PRODUCTION keeps its rate limits: unset {ENV_PREFIX}RATE_LIMIT_EXEMPT_ADDRESSES "
                "(a load-test allowance, for DEV servers only)."
            )
        return problems

    @property
    def uses_embedded_db(self) -> bool:
        return self.sql_db_url is None

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def effective_log_format(self) -> LogFormat:
        """``log_format``, or its default: JSON in PRODUCTION, text in DEV."""
        if self.log_format is not None:
            return self.log_format
        return LogFormat.JSON if self.is_production else LogFormat.TEXT

    def logs_access(self, debug: bool = False) -> bool:
        """``access_log``, or its default: on in PRODUCTION and in Sanic's debug mode."""
        return self.access_log if self.access_log is not None else self.is_production or debug


def load_settings() -> Settings:
    """The settings from the environment and ``.env``.

    Raises StartupError with one line per problem, naming the variable, where it came from and
    what is accepted, instead of pydantic's traceback.
    """
    try:
        settings = Settings()
    except ValidationError as error:
        raise StartupError("\n".join(_explain(problem) for problem in error.errors())) from None
    return settings


def unknown_variable_warnings() -> list[str]:
    """One warning per ``HEAVY_STACK_*`` variable that no setting reads, with the closest name."""
    known = [ENV_PREFIX + name.upper() for name in Settings.model_fields]
    given = {name: "the environment" for name in os.environ} | {
        name: ENV_FILE for name in _env_file_names() if name not in os.environ
    }
    warnings = []
    for name, source in sorted(given.items()):
        if not name.startswith(ENV_PREFIX) or name in known or name.startswith(NOT_SETTINGS_PREFIXES):
            continue
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        warnings.append(f"{name} (in {source}) is not a setting and is ignored{hint}")
    return warnings


def _explain(problem: Any) -> str:
    message = str(problem["msg"]).removeprefix("Value error, ")
    if not problem["loc"]:  # a check across settings: its message names the variables
        return message
    variable = ENV_PREFIX + str(problem["loc"][0]).upper()
    source = "the environment" if variable in os.environ else ENV_FILE
    value = problem.get("input")
    return f"{variable}={value!r} (from {source}): {message}."


def _env_file_names() -> list[str]:
    try:
        lines = Path(ENV_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    names = (line.split("=", 1)[0].strip() for line in lines if "=" in line)
    return [name.removeprefix("export ").strip() for name in names if not name.startswith("#")]
