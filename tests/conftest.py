"""The suite runs on the fixtures of the ``heavy_stack_testing`` plugin (a real PostgreSQL, pages in
this process, the real server, a real Chromium): see ``heavy_stack_testing/plugin.py``."""

pytest_plugins = ("heavy_stack_testing.plugin",)
