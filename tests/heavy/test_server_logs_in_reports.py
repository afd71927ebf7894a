"""A failed test's report shows what the servers beside it wrote during it, and keeps it under
test-artifacts/ (heavy.testing.server_logs); a suite run by pytest itself (``pytester``), its
servers real processes (Python's ``http.server``, which logs each request it answers)."""

from __future__ import annotations

import pytest

CONFTEST = """
from pathlib import Path

from heavy.settings import HeavySettings
from heavy.testing.product import ProductUnderTest
from pydantic_settings import SettingsConfigDict

pytest_plugins = ("heavy.testing.plugin",)


class Settings(HeavySettings):
    model_config = SettingsConfigDict(env_prefix="SERVER_LOGS_TEST_")


def pytest_heavy_testing_product():
    return ProductUnderTest(module="http.server", settings=Settings, root=Path(__file__).parent)
"""

TESTS = """
import urllib.error
import urllib.request

import pytest
from heavy.testing.live_server import free_port, live_server


def web_server(product, folder):
    port = free_port()
    args = (str(port), "--bind", "127.0.0.1")  # logs each request to stderr, as "GET /path 404"
    return live_server(product, {}, folder / "server.log", args=args, port=port, expect_healthy=False)


def visit(server, path):
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(server.base_url + path, timeout=10)


@pytest.fixture(scope="session")
def shared(heavy_product, tmp_path_factory):
    with web_server(heavy_product, tmp_path_factory.mktemp("shared")) as server:
        yield server


def test_passes(shared):
    visit(shared, "/asked-before-the-failing-test")


@pytest.mark.parametrize("case", ["a/b"])
def test_fails(shared, heavy_product, tmp_path, case):
    visit(shared, "/asked-by-the-failing-test")
    with web_server(heavy_product, tmp_path) as own:  # stopped before the test fails
        visit(own, "/asked-of-its-own-server")
    assert case == "something else"
"""


def test_a_failed_test_shows_and_keeps_what_its_servers_wrote_meanwhile(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = session\n")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_with_servers=TESTS)

    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, failed=1)
    report = result.stdout.str()
    assert "server log http://127.0.0.1:" in report
    assert "/asked-by-the-failing-test" in report
    assert "/asked-of-its-own-server" in report
    # Only what was written during the failed test: not what the shared server logged before.
    assert "/asked-before-the-failing-test" not in report
    assert report.count("GET /healthz") == 1  # the own server's start; the shared one's was before
    [folder] = (pytester.path / "test-artifacts" / "servers").iterdir()
    assert "test_fails" in folder.name
    saved = "".join(path.read_text() for path in folder.iterdir())
    assert "/asked-by-the-failing-test" in saved
    assert "/asked-of-its-own-server" in saved
    assert str(folder) in report  # the report says where the whole log went
