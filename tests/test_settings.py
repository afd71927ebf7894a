from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from heavy import DatabaseNames, HeavySettings
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from heavy_stack.settings import (
    DEFAULT_SECRET_KEY,
    ENV_PREFIX,
    PROJECT_ROOT,
    Environment,
    LogFormat,
    Settings,
    StartupError,
    load_settings,
)


def make_settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_defaults_run_a_local_dev_server_on_the_embedded_database(clean_env: pytest.MonkeyPatch) -> None:
    settings = make_settings()
    assert settings.environment is Environment.DEV
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.uses_embedded_db


def test_environment_variables_use_the_project_prefix(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HEAVY_STACK_PORT", "8123")
    clean_env.setenv("HEAVY_STACK_SQL_DB_URL", "postgresql://u:p@localhost/app")
    clean_env.setenv("HEAVY_STACK_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    settings = make_settings()
    assert settings.port == 8123
    assert not settings.uses_embedded_db
    assert settings.allowed_origins == ["https://a.example", "https://b.example"]


def test_read_replicas_are_a_comma_separated_list_of_urls(clean_env: pytest.MonkeyPatch) -> None:
    assert make_settings().sql_read_urls == []  # none: every read on the SQL database
    clean_env.setenv(
        "HEAVY_STACK_SQL_READ_URLS", "postgresql://u@replica-1/app, postgresql://u@replica-2/app"
    )
    assert make_settings().sql_read_urls == ["postgresql://u@replica-1/app", "postgresql://u@replica-2/app"]
    clean_env.setenv("HEAVY_STACK_SQL_READ_URLS", "postgresql://u@replica-1/app,replica-2")
    with pytest.raises(ValidationError, match="not a URL"):
        make_settings()


def test_a_dotenv_file_is_honoured(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("HEAVY_STACK_PORT=9001\nHEAVY_STACK_APP_TITLE=From dotenv\n")
    settings = Settings(_env_file=env_file)
    assert (settings.port, settings.app_title) == (9001, "From dotenv")


def test_a_bad_port_is_a_clear_error(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HEAVY_STACK_PORT", "eighty")
    with pytest.raises(ValidationError, match="port"):
        make_settings()


PRODUCTION_OK = {
    "environment": "PRODUCTION",
    "secret_key": "a-long-random-production-secret-of-48-characters",
    "sql_db_url": "postgresql://u:p@db/app",
}


def test_production_starts_with_a_secret_and_a_database(clean_env: pytest.MonkeyPatch) -> None:
    assert make_settings(**PRODUCTION_OK).is_production


@pytest.mark.parametrize(
    ("override", "named_variable"),
    [
        ({"secret_key": DEFAULT_SECRET_KEY}, "HEAVY_STACK_SECRET_KEY"),
        ({"secret_key": ""}, "HEAVY_STACK_SECRET_KEY"),
        ({"secret_key": "short"}, "at least 32 characters"),
        ({"sql_db_url": None}, "HEAVY_STACK_SQL_DB_URL"),
        ({"allowed_origins": ["*"]}, "HEAVY_STACK_ALLOWED_ORIGINS"),
    ],
)
def test_production_refuses_unsafe_settings_and_names_the_variable(
    clean_env: pytest.MonkeyPatch, override: dict[str, object], named_variable: str
) -> None:
    with pytest.raises(ValidationError, match=named_variable):
        make_settings(**(PRODUCTION_OK | override))


def test_recording_refuses_several_workers(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="HEAVY_STACK_WORKERS=1"):
        Settings(_env_file=None, recording_path="recordings/r.json", workers=2)


def test_logs_are_json_with_an_access_log_in_production_and_text_without_in_dev(
    clean_env: pytest.MonkeyPatch,
) -> None:
    production, dev = make_settings(**PRODUCTION_OK), make_settings()
    assert (production.effective_log_format, production.logs_access()) == (LogFormat.JSON, True)
    assert (dev.effective_log_format, dev.logs_access()) == (LogFormat.TEXT, False)
    assert dev.logs_access(debug=True)  # as before: --debug shows the access log


def test_the_log_settings_override_the_environment_defaults(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HEAVY_STACK_LOG_FORMAT", "JSON")
    clean_env.setenv("HEAVY_STACK_ACCESS_LOG", "false")
    settings = make_settings()
    assert (settings.effective_log_format, settings.logs_access(debug=True)) == (LogFormat.JSON, False)
    production = make_settings(**PRODUCTION_OK, log_format="text")
    assert production.effective_log_format is LogFormat.TEXT
    clean_env.setenv("HEAVY_STACK_LOG_FORMAT", "")  # a blank line in .env: the default
    assert make_settings().effective_log_format is LogFormat.TEXT


def test_an_unknown_log_format_is_one_line_naming_the_variable(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.chdir(tmp_path)  # no .env of the developer's
    clean_env.setenv("HEAVY_STACK_LOG_FORMAT", "xml")
    with pytest.raises(StartupError) as error:
        load_settings()
    assert str(error.value) == (
        "HEAVY_STACK_LOG_FORMAT='xml' (from the environment): Input should be 'text' or 'json'."
    )


def test_a_transaction_pooler_needs_the_direct_url_and_the_pooled_one(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.chdir(tmp_path)
    clean_env.setenv("HEAVY_STACK_DB_POOLER", "transaction")
    with pytest.raises(
        StartupError, match=r"HEAVY_STACK_DB_POOLER=transaction describes HEAVY_STACK_SQL_DB_URL"
    ):
        load_settings()
    clean_env.setenv("HEAVY_STACK_SQL_DB_URL", "postgresql://app@pgbouncer.internal:6432/app")
    with pytest.raises(StartupError, match=r"needs HEAVY_STACK_SQL_DIRECT_URL: .*LISTEN/NOTIFY"):
        load_settings()
    clean_env.setenv("HEAVY_STACK_SQL_DIRECT_URL", "postgresql://app@db.internal:5432/app")
    settings = load_settings()
    assert settings.behind_transaction_pooler
    assert settings.direct_sql_url == "postgresql://app@db.internal:5432/app"


def test_without_a_pooler_the_direct_url_is_the_sql_url(clean_env: pytest.MonkeyPatch) -> None:
    settings = make_settings(sql_db_url="postgresql://app@db.internal/app")
    assert not settings.behind_transaction_pooler
    assert settings.direct_sql_url == "postgresql://app@db.internal/app"
    assert make_settings().direct_sql_url is None  # the embedded database


def test_every_setting_is_in_the_configuration_table() -> None:
    """docs/deployment.md is where people look a variable up: none may be missing there."""
    table = (PROJECT_ROOT / "docs" / "deployment.md").read_text()
    missing = [
        f"{ENV_PREFIX}{name.upper()}"
        for name in Settings.model_fields
        if f"`{ENV_PREFIX}{name.upper()}`" not in table
    ]
    assert missing == [], f"add these to the configuration table in docs/deployment.md: {missing}"


@pytest.mark.parametrize("source", ["the .env file", "the environment"])
def test_a_blank_value_means_the_default_for_every_setting(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, source: str
) -> None:
    """``HEAVY_STACK_PORT=`` (a line left blank in .env) is as if it were not there: 8000."""
    clean_env.chdir(tmp_path)
    variables = [f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields]
    if source == "the environment":
        for variable in variables:
            clean_env.setenv(variable, "")
    else:
        (tmp_path / ".env").write_text("".join(f"{variable}=\n" for variable in variables))

    settings = load_settings()

    assert settings.port == 8000
    assert settings.model_dump() == make_settings().model_dump()


def test_a_blank_value_in_the_environment_leaves_the_env_files_value(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"{ENV_PREFIX}PORT=9001\n")
    clean_env.setenv(f"{ENV_PREFIX}PORT", "")
    assert load_settings().port == 9001


class RenamedSettings(HeavySettings):
    """What a renamed copy's settings are: the framework's fields under another prefix."""

    model_config = SettingsConfigDict(env_prefix="MY_APP_")
    greeting: str = "hello"


def test_a_product_with_another_prefix_reads_and_names_its_own_variables(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.chdir(tmp_path)
    clean_env.setenv("MY_APP_PORT", "8123")
    clean_env.setenv("MY_APP_GREETING", "hi")
    clean_env.setenv(f"{ENV_PREFIX}PORT", "9000")  # another project's: not read
    (tmp_path / ".env").write_text("MY_APP_GRETING=typo\n")
    settings = RenamedSettings.load()
    assert (settings.port, settings.greeting) == (8123, "hi")
    assert RenamedSettings.unknown_variable_warnings() == [
        "MY_APP_GRETING (in .env) is not a setting and is ignored; did you mean MY_APP_GREETING?"
    ]
    assert RenamedSettings.database_names() == DatabaseNames("my_app", "my_app_vector")
    clean_env.setenv("MY_APP_ENVIRONMENT", "PRODUCTION")
    with pytest.raises(StartupError, match="MY_APP_SECRET_KEY") as error:
        RenamedSettings.load()
    assert ENV_PREFIX not in str(error.value)
