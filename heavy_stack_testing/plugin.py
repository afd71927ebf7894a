"""The pytest plugin of the project's tests: the framework's (``heavy.testing.plugin``: a real
PostgreSQL, the real server, a real Chromium) told which product it tests, and this product's
own fixtures.

- ``fixtures.database``: the test database paved with this product's tables (``database``),
  its ``settings`` and ``services``.
- ``fixtures.pages``: pages mounted in this process on the test's transaction (``open_page``),
  signed-up visitors (``new_account``).

It lives outside the ``heavy_stack`` package, so the production wheel and image carry no test
drivers. ``tests/conftest.py`` loads it; a project's other test folders can do the same.
"""

from __future__ import annotations

from heavy.testing.product import ProductUnderTest

from heavy_stack_testing.product import PRODUCT

pytest_plugins = (
    "heavy.testing.plugin",
    "heavy_stack_testing.fixtures.database",
    "heavy_stack_testing.fixtures.pages",
)


def pytest_heavy_testing_product() -> ProductUnderTest:
    """This product, for ``heavy.testing.plugin``."""
    return PRODUCT
