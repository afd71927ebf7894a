"""Brython modules the server can call through ``BrythonExecutorContext``.

Each module imports on the server too: ``browser`` imports are guarded, and only the
``@called_from_reactpy`` marks are used there.
"""
