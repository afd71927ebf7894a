"""`make lint`'s layer rules fail on a wrong import, naming the rule and the import."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tooling.project_copy import copy_project, output, run_tool

pytestmark = pytest.mark.tooling


def add_line(path: Path, line: str) -> None:
    """Put ``line`` after the module's ``from __future__`` import."""
    text = path.read_text()
    future = "from __future__ import annotations\n"
    path.write_text(text.replace(future, f"{future}\n{line}\n", 1))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("layers") / "project")


def test_the_project_as_it_is_keeps_every_rule(project: Path) -> None:
    result = run_tool(project, "lint-imports", "--no-cache")
    assert result.returncode == 0, output(result)
    assert "0 broken" in result.stdout, output(result)


@pytest.mark.parametrize(
    ("module", "forbidden_import", "rule"),
    [
        # A repository reaching up into the pages.
        (
            "heavy_stack/backend/data/repositories/note_repository.py",
            "from heavy_stack.frontend.app_context import AppContext  # noqa: F401",
            "Layers",
        ),
        # A service that knows about HTTP.
        (
            "heavy_stack/backend/services/note_search.py",
            "from heavy_stack.backend.web.app_state import AppState  # noqa: F401",
            "Layers",
        ),
        # The shipped package using a test driver.
        (
            "heavy_stack/frontend/pages/other.py",
            "from heavy.testing.page_driver import PageDriver  # noqa: F401",
            "The shipped package imports no test drivers",
        ),
    ],
    ids=["data-imports-frontend", "services-import-web", "app-imports-test-driver"],
)
def test_a_forbidden_import_fails_lint_naming_the_rule(
    tmp_path: Path, module: str, forbidden_import: str, rule: str
) -> None:
    project = copy_project(tmp_path / "project")
    add_line(project / module, forbidden_import)
    result = run_tool(project, "lint-imports", "--no-cache")
    assert result.returncode != 0, output(result)
    assert f"{rule}" in result.stdout, output(result)
    assert "BROKEN" in result.stdout, output(result)
    importer = module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout, output(result)
