"""``HeavySettings``: the settings the framework reads, the base of a product's own settings.

A product subclasses it, names its environment prefix in ``model_config`` and adds its own
fields::

    class Settings(HeavySettings):
        model_config = SettingsConfigDict(env_prefix="MY_APP_")
        app_title: str = "My App"
        embedder: str = "hashed"

Every field is then read from ``MY_APP_<FIELD>`` (in the environment or ``.env``); the messages
of the checks below name the variables with that prefix. Build the settings with ``load()``
(one line per problem instead of pydantic's traceback) and warn about variables no setting
reads with ``unknown_variable_warnings()``.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

DEFAULT_SECRET_KEY = "change-me-in-production"
MIN_SECRET_KEY_LENGTH = 32
ENV_FILE = ".env"


class Environment(StrEnum):
    """``<PREFIX>ENVIRONMENT``: DEV (the embedded database, text logs) or PRODUCTION."""

    DEV = "DEV"
    PRODUCTION = "PRODUCTION"


class LogFormat(StrEnum):
    """``<PREFIX>LOG_FORMAT``: lines for people, or one JSON object per line."""

    TEXT = "text"
    JSON = "json"


class SmtpSecurity(StrEnum):
    """``<PREFIX>SMTP_SECURITY``: how the connection to the SMTP server is protected."""

    STARTTLS = "starttls"  # plain first, then upgraded (port 587)
    TLS = "tls"  # TLS from the start (port 465)
    NONE = "none"  # a local relay or the development catcher only


class DbPooler(StrEnum):
    """``<PREFIX>DB_POOLER``: what stands between the app and PostgreSQL on ``SQL_DB_URL`` and
    ``VECTOR_DB_URL`` (read replicas, ``SQL_READ_URLS``, are reached directly).

    ``transaction``: a pooler in transaction mode (PgBouncer ``pool_mode = transaction``) that
    hands each transaction, or each statement outside one, a server connection of its choosing.
    Statements are then prepared unnamed and re-parsed with their parameters, never cached
    across transactions, and what needs one server connection for longer (LISTEN/NOTIFY, the
    task queue, migrations) goes to ``<PREFIX>SQL_DIRECT_URL`` (see docs/database-tier.md).
    """

    NONE = "none"
    TRANSACTION = "transaction"


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message names the variable to set."""


class StartupError(RuntimeError):
    """Settings the app cannot start with: one line per problem, each naming its variable."""


@dataclass(frozen=True)
class DatabaseNames:
    """The names of the two databases the embedded PostgreSQL holds for a product."""

    sql: str
    vector: str


class HeavySettings(BaseSettings):
    """Everything the framework reads from its environment; a product subclasses it.

    Built once by the app factory (never at import time) and kept on the app's state. Every
    field maps to an environment variable: ``port`` is ``<PREFIX>PORT``, the prefix being the
    subclass's ``model_config["env_prefix"]``.
    """

    # env_ignore_empty: "PREFIX_PORT=" (in .env or the environment) means the default, as if
    # the line were not there; every setting has one.
    model_config = SettingsConfigDict(
        env_prefix="HEAVY_",
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )
    # Variables under the prefix that a test suite reads itself: not settings, but not typos.
    not_settings_prefixes: ClassVar[tuple[str, ...]] = ("TEST_",)
    # The product's loggers (its package, its tools), configured like the framework's ("heavy").
    logger_names: ClassVar[tuple[str, ...]] = ()

    environment: Environment = Environment.DEV
    app_title: str = "Heavy"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    # No URL means: start the embedded PostgreSQL under ``data_dir`` (DEV only).
    sql_db_url: str | None = None
    vector_db_url: str | None = None
    # Set when the URLs above go through a transaction pooler (DbPooler); then the SQL database
    # reached without it is SQL_DIRECT_URL, for the connections that must stay one session.
    db_pooler: DbPooler = DbPooler.NONE
    sql_direct_url: str | None = None
    # Read replicas of the SQL database (comma-separated URLs): read-only units of work read there
    # (heavy.data.replicas). Empty: every read goes to SQL_DB_URL.
    sql_read_urls: Annotated[list[str], NoDecode] = []
    # Relative to the working directory; a product names its own folder.
    data_dir: Path = Path(".data")
    # Set: live pages' pub/sub travels between processes through Redis, not PostgreSQL.
    redis_url: str | None = None
    # Origins allowed to open the websocket; empty means the app's own origin only.
    allowed_origins: Annotated[list[str], NoDecode] = []
    # Host names the websocket answers to (DNS-rebinding guard); empty means those of
    # ALLOWED_ORIGINS, else in DEV the loopback names and HOST (see heavy/web/security/origin.py).
    allowed_hosts: Annotated[list[str], NoDecode] = []
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    # Units of work at once (heavy.data.turns), and the pool's size. A unit holds its connection
    # until its task runs again, after every other ready task of the event loop: under load a
    # connection mostly waits for the loop, not for PostgreSQL. The 500-user replay kept 10 busy
    # (units waited seconds for a turn); 20 (40 with overflow) is still far below PostgreSQL's 100.
    db_pool_size: int = Field(default=20, ge=1)
    # Record every websocket message to this file (see heavy/stream/recorder.py).
    recording_path: Path | None = None
    log_level: str = "INFO"
    # "json": one JSON object per line (for log collectors); "text" for people. Unset: json in
    # PRODUCTION, text in DEV (see heavy/web/logs.py).
    log_format: LogFormat | None = None
    # One line per HTTP request and websocket open/close. Unset: on in PRODUCTION (and with
    # --debug), off in DEV.
    access_log: bool | None = None
    # A load-test allowance: requests from these client addresses are not rate limited.
    # Outside PRODUCTION only; PRODUCTION refuses to start with it.
    rate_limit_exempt_addresses: Annotated[list[str], NoDecode] = []
    # Reverse proxies in front of the app that add X-Forwarded-For (for client addresses).
    proxies_count: int = Field(default=0, ge=0)
    # Limits: an HTTP request body, and one websocket message.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_websocket_message_bytes: int = Field(default=256 * 1024, ge=1024)
    # Outgoing mail (heavy/mail.py). No host: DEV catches mail locally (/_dev/mailbox);
    # PRODUCTION says at start-up that it cannot send any.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    mail_from: str = "no-reply@localhost"
    # Task queue (heavy/tasks/): a run whose worker has not beaten for this long (a process
    # killed, a host lost) is picked again by another worker.
    task_heartbeat_seconds: float = Field(default=10.0, gt=0)
    # Whether this process runs the queue's tasks. False: it serves pages and starts runs, and
    # processes of the deployment that run them do (web-only instances beside task workers).
    run_tasks: bool = True

    @classmethod
    def env_prefix(cls) -> str:
        """The prefix of every variable of these settings (``MY_APP_``)."""
        return str(cls.model_config.get("env_prefix", ""))

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of ``field``: ``port`` -> ``MY_APP_PORT``."""
        return f"{cls.env_prefix()}{field.upper()}"

    @classmethod
    def database_names(cls) -> DatabaseNames:
        """The embedded PostgreSQL's databases, named after the prefix (``my_app``,
        ``my_app_vector``): a renamed product gets databases of its own name."""
        name = cls.env_prefix().rstrip("_").lower() or "heavy"
        return DatabaseNames(name, f"{name}_vector")

    @classmethod
    def load(cls) -> Self:
        """The settings from the environment and ``.env``.

        Raises StartupError with one line per problem, naming the variable, where it came from
        and what is accepted, instead of pydantic's traceback.
        """
        try:
            return cls()
        except ValidationError as error:
            raise StartupError("\n".join(cls._explain(problem) for problem in error.errors())) from None

    @classmethod
    def unknown_variable_warnings(cls) -> list[str]:
        """One warning per variable of the prefix that no setting reads, with the closest name."""
        prefix = cls.env_prefix()
        known = [cls.variable(name) for name in cls.model_fields]
        ignored = tuple(prefix + name for name in cls.not_settings_prefixes)
        env_file = cls._env_file()
        given = {name: "the environment" for name in os.environ} | {
            name: env_file for name in cls._env_file_names() if name not in os.environ
        }
        warnings = []
        for name, source in sorted(given.items()):
            if not name.startswith(prefix) or name in known or name.startswith(ignored):
                continue
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            warnings.append(f"{name} (in {source}) is not a setting and is ignored{hint}")
        return warnings

    @field_validator(
        "allowed_origins", "allowed_hosts", "rate_limit_exempt_addresses", "sql_read_urls", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("log_format", "access_log", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # "JSON" means json; a blank value given in code (not the environment) means the default.
        if isinstance(value, str):
            return value.strip().lower() or None
        return value

    @model_validator(mode="after")
    def _record_from_one_process(self) -> Self:
        if self.recording_path is not None and self.workers > 1:
            raise SettingsError(
                f"{self.variable('recording_path')} needs one process writing the file: "
                f"set {self.variable('workers')}=1."
            )
        return self

    @model_validator(mode="after")
    def _pooler_needs_a_direct_url(self) -> Self:
        if self.db_pooler is DbPooler.NONE:
            return self
        pooler = f"{self.variable('db_pooler')}={self.db_pooler.value}"
        if self.sql_db_url is None:
            raise SettingsError(
                f"{pooler} describes {self.variable('sql_db_url')}, which is not set "
                "(the embedded database has no pooler)."
            )
        if self.sql_direct_url is None:
            raise SettingsError(
                f"{pooler} needs {self.variable('sql_direct_url')}: the SQL database without the "
                "pooler, for LISTEN/NOTIFY, the task queue and migrations (they need one server "
                "connection for longer than a transaction)."
            )
        return self

    @field_validator("sql_db_url", "vector_db_url", "sql_direct_url", "redis_url")
    @classmethod
    def _parse_as_url(cls, value: str | None) -> str | None:
        return parse_as_url(value)

    @field_validator("sql_read_urls")
    @classmethod
    def _parse_as_urls(cls, value: list[str]) -> list[str]:
        return [url for url in value if parse_as_url(url)]

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            problems = self.production_problems()
            if problems:
                raise SettingsError("\n".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """Every reason PRODUCTION cannot start with these settings (all at once).

        A product with checks of its own overrides this and adds to ``super()``'s list.
        """
        problems = []
        secret = self.secret_key.get_secret_value()
        if secret == DEFAULT_SECRET_KEY or len(secret) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                f"PRODUCTION needs {self.variable('secret_key')}: a random value of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))").'
            )
        if self.sql_db_url is None:
            problems.append(
                f"PRODUCTION never starts the embedded database: set {self.variable('sql_db_url')}."
            )
        if "*" in self.allowed_origins:
            problems.append(
                f"PRODUCTION refuses '*' in {self.variable('allowed_origins')}: list the real origins."
            )
        if self.rate_limit_exempt_addresses:
            problems.append(
                f"PRODUCTION keeps its rate limits: unset {self.variable('rate_limit_exempt_addresses')} "
                "(a load-test allowance, for DEV servers only)."
            )
        return problems

    @property
    def uses_embedded_db(self) -> bool:
        return self.sql_db_url is None

    @property
    def direct_sql_url(self) -> str | None:
        """The SQL database without a transaction pooler: ``sql_direct_url``, else
        ``sql_db_url`` (None: the embedded database)."""
        return self.sql_direct_url or self.sql_db_url

    @property
    def behind_transaction_pooler(self) -> bool:
        """Whether the database URLs go through a pooler in transaction mode."""
        return self.db_pooler is DbPooler.TRANSACTION

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

    @classmethod
    def _explain(cls, problem: Any) -> str:
        message = str(problem["msg"]).removeprefix("Value error, ")
        if not problem["loc"]:  # a check across settings: its message names the variables
            return message
        variable = cls.variable(str(problem["loc"][0]))
        source = "the environment" if variable in os.environ else cls._env_file()
        value = problem.get("input")
        return f"{variable}={value!r} (from {source}): {message}."

    @classmethod
    def _env_file(cls) -> str:
        env_file = cls.model_config.get("env_file")
        return str(env_file) if isinstance(env_file, str | Path) else ENV_FILE

    @classmethod
    def _env_file_names(cls) -> list[str]:
        try:
            lines = Path(cls._env_file()).read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        names = (line.split("=", 1)[0].strip() for line in lines if "=" in line)
        return [name.removeprefix("export ").strip() for name in names if not name.startswith("#")]


def parse_as_url(value: str | None) -> str | None:
    """A field validator's check that ``value`` (if any) is a database or Redis URL."""
    if value is not None:
        try:
            make_url(value)
        except Exception:  # SQLAlchemy's ArgumentError, or a ValueError for a bad port
            raise ValueError("not a URL (expected e.g. postgresql://user:password@host:5432/db)") from None
    return value
