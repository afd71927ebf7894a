"""Helpers for tests, load tests and benchmarks that speak ReactPy's websocket protocol."""
