"""heavy: the framework under a product made from The Heavy Stack template.

A product imports what it needs from the modules named here; ``heavy`` itself imports nothing
of any product (see ``heavy/README.md``).
"""

from __future__ import annotations

from heavy.clock import utc_now

__version__ = "0.1.0"

__all__ = ["__version__", "utc_now"]
