"""Test tooling for products built on heavy: the pytest plugin and the drivers it rests on.

Not imported by ``heavy`` itself (the app never needs pytest): install the ``testing`` extra
(``heavy-framework[testing]``) and import the modules you use.

- ``product``: ``ProductUnderTest``, what the tools need to know of a product (its module, its
  settings class, its folder).
- ``plugin``: the pytest plugin (a real PostgreSQL, the real server, a real Chromium); a
  product's own plugin loads it and answers its ``pytest_heavy_testing_product`` hook.
- ``page_driver``: ``PageDriver``, ``WebSocketPage`` (a real server over a real websocket) and
  ``InProcessPage`` (the framework's dispatch loop in this process).
- ``cookie_browser``: ``CookieBrowser``, a browser without a page, for what only cookies show.
- ``live_server``: the product's server in a subprocess on a free port.
- ``server_logs``: what those servers wrote during a failed test, in its report and under
  ``test-artifacts/servers/`` (the plugin does it).
- ``browser``: the headless Chromium that browser tests and benchmarks drive.
- ``cluster``: app instances behind nginx, with Redis and a PostgreSQL on TCP.
- ``replay``: a headless Locust replay of a recording and its figures.
- ``cpu_watch``: ``CpuWatch``, whose CPU limited a load test (the generator's own, the server's
  found by its port, the whole machine's).
- ``blocking_websocket``: ``BlockingWebSocket``, a websocket client on a plain socket with no
  thread of its own, light enough for a gevent load generator (Locust).
- ``hold_ports``: ``python -m heavy.testing.hold_ports 8000 -- make test`` runs a command while
  the usual ports are held, so that a test reaching for a fixed port fails.
- ``scratch``: empty databases of their own for tests that need one.
"""
