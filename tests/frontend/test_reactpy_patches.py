"""The list of ReactPy patches is complete and still fits the installed ReactPy."""

from __future__ import annotations

import importlib
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from heavy_stack.reactpy_patches import PATCHES, WRITTEN_FOR, Patch

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# What a runtime patch looks like in our code: an assignment into a ReactPy or Sanic object.
PATCHING = re.compile(
    r"^\s*(reactpy\.[\w.]+|_life_cycle_hook\.\w+|Layout\.\w+|WebsocketImplProtocol\.\w+) = ", re.M
)


def resolve(dotted: str) -> object:
    """The object ``dotted`` names: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ImportError(dotted)


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.module)
def test_every_patch_and_what_it_replaces_exist(patch: Patch) -> None:
    if patch.module.endswith(".js"):
        assert (PROJECT_ROOT / patch.module).is_file()
    else:
        importlib.import_module(patch.module)
    for name in patch.replaces:
        resolve(name)  # AttributeError / ImportError: ReactPy renamed it; check the patch


def test_the_patches_were_written_for_the_installed_reactpy() -> None:
    assert version("reactpy") == WRITTEN_FOR, "check every patch in heavy_stack/reactpy_patches first"


def test_every_module_that_patches_reactpy_is_listed() -> None:
    listed = {patch.module for patch in PATCHES}
    # Where each package's modules are found: the product's at the top, the framework's in heavy/src.
    roots = {
        "heavy_stack": PROJECT_ROOT,
        "heavy_stack_dev": PROJECT_ROOT,
        "heavy": PROJECT_ROOT / "heavy" / "src",
    }
    patching = {
        ".".join(path.relative_to(root).with_suffix("").parts)
        for package, root in roots.items()
        for path in (root / package).rglob("*.py")
        if PATCHING.search(path.read_text())
    }
    assert patching, "the pattern finds nothing: it no longer matches how patches are written"
    assert patching <= listed, f"not listed in heavy_stack/reactpy_patches: {sorted(patching - listed)}"


def test_install_applies_every_runtime_patch_with_an_is_installed() -> None:
    from heavy_stack.reactpy_patches import install

    install()
    for patch in PATCHES:
        if not patch.runtime or patch.module.endswith(".js"):
            continue
        module = importlib.import_module(patch.module)
        if hasattr(module, "is_installed"):
            assert module.is_installed(), f"{patch.module} is listed but install() does not apply it"
