"""``python -m bench.serve echo|counter``: serve a baseline app in one process.

Host and port come from the same settings as the real server (``HEAVY_STACK_HOST``/``_PORT``).
"""

from __future__ import annotations

import argparse

from sanic import Sanic

from heavy_stack.settings import Settings

from bench.apps import APPS


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__)
    parser.add_argument("app", choices=sorted(APPS))
    settings = Settings()
    app = APPS[parser.parse_args().app]()
    app.prepare(host=settings.host, port=settings.port, single_process=True, motd=False, access_log=False)
    Sanic.serve_single(app)


if __name__ == "__main__":
    main()
