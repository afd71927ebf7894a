"""Serving with Sanic: its worker manager and the garbage collector tuned for live pages."""
