"""The pytest plugin of the project's tests: fixtures on real parts, never mocks.

- ``fixtures.database``: the embedded PostgreSQL (or ``HEAVY_STACK_TEST_SQL_DB_URL``), started
  once per run; ``db_session`` (a transaction rolled back after the test), ``services``, the real
  server in a subprocess (``server``), scratch databases (``scratch_url``).
- ``fixtures.pages``: pages mounted in this process on the test's transaction (``open_page``),
  signed-up visitors (``new_account``).
- ``fixtures.browser``: a headless Chromium (``browser``) and a page on the real server
  (``browser_page``), with screenshots and the console saved on failure.

It lives outside the ``heavy_stack`` package, so the production wheel and image carry no test
drivers. ``tests/conftest.py`` loads it; a project's other test folders can do the same.

The suite does not depend on the machine it runs on: settings exported in the developer's
shell are dropped for the run (``pytest_configure``), servers it starts run in a folder of
their own (so the project's ``.env`` is not theirs) on free ports, and its databases live in
temporary folders, never under ``.data/``.
"""

from __future__ import annotations

import os

import pytest

from heavy_stack.settings import ENV_PREFIX, NOT_SETTINGS_PREFIXES

pytest_plugins = (
    "heavy_stack_testing.fixtures.database",
    "heavy_stack_testing.fixtures.pages",
    "heavy_stack_testing.fixtures.browser",
)


def pytest_configure(config: pytest.Config) -> None:
    """Drop the shell's ``HEAVY_STACK_*`` settings (a developer's ``HEAVY_STACK_PORT`` or
    database URL) for this run; the suite's own variables (``HEAVY_STACK_TEST_*``) stay."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX) and not name.startswith(NOT_SETTINGS_PREFIXES):
            del os.environ[name]
