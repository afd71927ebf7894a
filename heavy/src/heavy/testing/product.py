"""What the framework's test tools need to know of the product under test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from heavy.settings import HeavySettings

if TYPE_CHECKING:
    from playwright.async_api import Page

# A product's settings prefix followed by this names a variable its test suite reads itself
# (``MY_APP_TEST_SQL_DB_URL``); HeavySettings does not take these for settings.
TEST_VARIABLES = "TEST_"


@dataclass(frozen=True)
class ProductUnderTest:
    """A product as its test tools see it.

    ``module`` is what ``python -m`` runs to serve it; ``settings`` its settings class (whose
    ``model_config`` names the environment prefix the tools pass settings under); ``root`` the
    project's folder (test artifacts go under it, ``deploy/nginx.conf.template`` is read from
    it). ``page_ready``, if given, waits in a browser page until the product's page is live
    (e.g. until a script has answered), after ``BrowserPage.open`` has loaded it.
    ``server_settings`` are given to the servers the whole suite shares (the ``server`` fixture,
    a cluster's instances): e.g. allowances for the many accounts a suite makes from 127.0.0.1.
    """

    module: str
    settings: type[HeavySettings]
    root: Path
    page_ready: Callable[[Page], Awaitable[None]] | None = None
    server_settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def env_prefix(self) -> str:
        """The prefix of the product's environment variables (``MY_APP_``)."""
        return self.settings.env_prefix()

    def test_variable(self, name: str) -> str:
        """The name of a variable the test suite reads: ``CHROMIUM`` -> ``MY_APP_TEST_CHROMIUM``."""
        return f"{self.env_prefix}{TEST_VARIABLES}{name}"

    @property
    def artifacts_dir(self) -> Path:
        """Where tests leave what explains a failure (screenshots, logs)."""
        return self.root / "test-artifacts"

    @property
    def nginx_template(self) -> Path:
        """The nginx configuration of the scale-out layout (see ``heavy.testing.cluster``)."""
        return self.root / "deploy" / "nginx.conf.template"
