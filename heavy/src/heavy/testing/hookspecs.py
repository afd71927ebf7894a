"""The hook a product's pytest plugin answers to tell ``heavy.testing.plugin`` what it tests."""

from __future__ import annotations

import pytest
from heavy.testing.product import ProductUnderTest


@pytest.hookspec(firstresult=True)
def pytest_heavy_testing_product() -> ProductUnderTest | None:
    """The product under test (its module, settings class and folder)."""
