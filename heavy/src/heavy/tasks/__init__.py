"""Tasks: background work queued in PostgreSQL with pgqueuer, run by every server process,
retried with backoff, with progress a page shows (see ``task.py`` and ``worker.py``)."""
