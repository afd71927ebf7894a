"""The README's "How a click flows" example runs as written: it loads, and a click renames."""

from __future__ import annotations

import importlib.util
import re
from functools import partial
from pathlib import Path

from heavy import provide_services
from heavy.testing.page_driver import InProcessPage
from reactpy import component

from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.frontend.app_context import AppContext
from heavy_stack.frontend.contexts import CurrentVisitor
from heavy_stack.frontend.types import Component
from heavy_stack_testing.fixtures.pages import NewAccount

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example(folder: Path) -> Component:
    """The ``Greeting`` component of the README's first Python example, imported from a file."""
    section = README.read_text().split("## How a click flows", 1)[1]
    [code] = re.findall(r"```python\n(.*?)```", section, re.S)[:1]
    module_path = folder / "readme_example.py"
    module_path.write_text(code)
    spec = importlib.util.spec_from_file_location("readme_example", module_path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    greeting: Component = module.Greeting
    return greeting


async def test_the_readme_example_loads_the_user_and_a_click_renames_them(
    tmp_path: Path, rolled_back_services: AppServices, new_account: NewAccount
) -> None:
    greeting = readme_example(tmp_path)
    grace = await new_account(name="Grace")

    @component
    def Root(visitor: Visitor) -> Component:
        connection = CurrentVisitor(visitor, lambda _visitor: None)
        provide_services(rolled_back_services, context=partial(AppContext, connection=connection))
        return greeting()

    async with InProcessPage.open(Root(grace), router=False) as page:
        await page.wait_for_text("greeting", "Grace")
        await page.click("greeting")
        await page.wait_for_text("greeting", "Ada")
