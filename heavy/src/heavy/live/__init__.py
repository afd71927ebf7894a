"""Live pages: the framework's own ReactPy layout, hooks, serve loop and stream route.

- ``layout.LiveLayout``: ReactPy's ``Layout`` with lean states, cheap ids and exact-type
  checks; every open one is in ``LiveLayout.live``;
- ``hooks.LiveHook``: the life-cycle hook it gives each component (one render at a time on
  ReactPy's hook stack, shared context providers, light effects);
- ``serve.serve_live_layout``: updates out, events in (each handler a plain asyncio task,
  started eagerly: ``eager_task.start_eagerly``);
- ``stream.install_live_pages``: ReactPy's client files and the stream route at ReactPy's paths,
  served through ``heavy.stream.guard``;
- ``html``: the element constructors of ``reactpy.html``, the same dicts for less CPU;
- ``reactpy_internals``: what of ReactPy's inside these override or rely on, with hashes.

Nothing here assigns anything onto ReactPy's modules or classes.
"""
