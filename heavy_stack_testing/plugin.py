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
"""

pytest_plugins = (
    "heavy_stack_testing.fixtures.database",
    "heavy_stack_testing.fixtures.pages",
    "heavy_stack_testing.fixtures.browser",
)
