from __future__ import annotations

import asyncio

from reactpy.core import _life_cycle_hook

from heavy_stack.reactpy_patches import task_local_hooks
from heavy_stack.reactpy_patches.task_local_hooks import TaskLocal


async def test_each_task_gets_its_own_stack_even_when_a_parent_task_has_one() -> None:
    stacks: TaskLocal[list[str]] = TaskLocal(list)
    stacks.get().append("parent")

    async def child(name: str) -> list[str]:
        stack = stacks.get()
        stack.append(name)
        await asyncio.sleep(0)  # interleave with the sibling, as two renders would
        return list(stack)

    assert list(await asyncio.gather(child("a"), child("b"))) == [["a"], ["b"]]
    assert stacks.get() == ["parent"]


def test_outside_any_task_the_stack_is_per_thread() -> None:
    stacks: TaskLocal[list[str]] = TaskLocal(list)
    stacks.get().append("x")
    assert stacks.get() == ["x"]


def test_install_replaces_reactpy_store_once() -> None:
    task_local_hooks.install()
    store = _life_cycle_hook._HOOK_STATE
    task_local_hooks.install()
    assert task_local_hooks.is_installed()
    assert _life_cycle_hook._HOOK_STATE is store
