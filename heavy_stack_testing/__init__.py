"""This product's side of its test tooling: ``heavy.testing`` configured for ``heavy_stack``, and
the fixtures that know the product (its settings, services, pages and accounts)."""
