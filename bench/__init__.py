"""Benchmarks: ``make bench`` (``python -m bench``) measures the stack against its own floor.

Every figure comes from servers started on 127.0.0.1 by the run itself, and every loop is
bounded in count and time. See ``bench/__main__.py`` for what is measured.
"""
