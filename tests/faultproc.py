"""Starting and stopping the real services that the fault tests break: a private Redis, a private
PostgreSQL cluster, Celery workers and gunicorn. Nothing here touches the machine's shared services."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = next((p for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None) \
    if Path("/usr/lib/postgresql").exists() else None


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll condition() until it returns a truthy value; fail with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Logged:
    """A subprocess whose output is collected line by line (so its pipe never fills)."""

    def __init__(self, args, env=None, cwd=ROOT):
        self.args = args
        self.log: list[str] = []
        self.process = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.log.append(line)

    @property
    def output(self) -> str:
        return "".join(self.log)

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self):
        """SIGKILL the whole process group: no shutdown handler, no acknowledgement."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 30):
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()


class PrivateRedis:
    """A throwaway redis-server on a free loopback port, without persistence, that tests may stop."""

    def __init__(self):
        self.port = free_port()
        self.server: Logged | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.server = Logged([shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                              "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        wait_for(lambda: port_open(self.port) or not self.server.alive(), 20, "redis-server to listen")
        assert self.server.alive(), self.server.output
        return self

    def stop(self):
        if self.server:
            self.server.stop()
        wait_for(lambda: not port_open(self.port), 20, "redis-server to stop listening")


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temporary directory on a free port (trust auth on loopback).

    PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` OS user.
    """

    def __init__(self):
        assert PG_BIN is not None, "PostgreSQL server binaries (postgresql-15) are not installed"
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="prescoring-pg-"))
        self.data = self.dir / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args, check=True):
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/prescoring"

    def init(self):
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        return self

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "server.log"), "-w", "start")
        wait_for(lambda: port_open(self.port), 30, "postgres to listen")
        return self

    def stop(self, mode: str = "fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def create_database(self, name: str = "prescoring"):
        import psycopg

        with psycopg.connect(f"postgres://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def celery_worker(*, broker_url: str, database_url: str, queue: str, name: str, concurrency: int = 1,
                  extra_env: dict | None = None) -> Logged:
    """A real `celery -A prescoring worker` process, via tests/fault_worker.py (which can pause scoring)."""
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url,
           "PRESCORING_CELERY_VISIBILITY_TIMEOUT": "3",
           "PRESCORING_CELERY_UNACKED_MUTEX_EXPIRE": "5"}
    env.pop("REDIS_URL", None)  # no cache on the machine's Redis, unless extra_env names one
    env.update(extra_env or {})
    pool = ["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"--concurrency={concurrency}"]
    return Logged([sys.executable, str(ROOT / "tests" / "fault_worker.py"), "worker", *pool, "--loglevel=INFO",
                   "-Q", queue, "-n", name, "--without-gossip", "--without-mingle", "--without-heartbeat"], env=env)


def wait_for_worker(app, worker: Logged, name: str, timeout: float = 90):
    try:
        wait_for(lambda: not worker.alive() or app.control.ping(destination=[name], timeout=0.5), timeout,
                 f"worker {name} to answer a ping")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{worker.output[-3000:]}") from None
    assert worker.alive(), worker.output


def gunicorn(env: dict) -> tuple[Logged, str]:
    """The web process as the image runs it (Dockerfile's CMD: gunicorn with configs/gunicorn.conf.py,
    2 gthread workers of 24 threads) on a free loopback port: (process, base URL)."""
    port = free_port()
    web = Logged([sys.executable, "-m", "gunicorn", "prescoring.wsgi:application", "--config",
                  "configs/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                  "--worker-class", "gthread", "--threads", "24"], env={"PRESCORING_API_WAIT_MAX_REQUESTS": "16", **env})
    wait_for(lambda: port_open(port) or not web.alive(), 60, "gunicorn to listen")
    assert web.alive(), web.output
    return web, f"http://127.0.0.1:{port}"


def celery_beat(env: dict, schedule_dir: Path) -> Logged:
    """`celery -A prescoring beat` with the production schedule (the re-enqueue of stale applications
    every 10 s, queued or scoring for 20 s): any PRESCORING_REQUEUE_* override is removed."""
    env = {key: value for key, value in env.items() if not key.startswith("PRESCORING_REQUEUE_")}
    env.pop("PRESCORING_STUCK_SCORING_SECONDS", None)
    return Logged([sys.executable, "-m", "celery", "-A", "prescoring", "beat", "--loglevel=INFO",
                   "-s", str(schedule_dir / "beat-schedule")], env=env)


def database_url() -> str:
    """The URL of the test database this process uses (for the processes a test starts)."""
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def publishing_to(broker_url: str):
    """This test process sends its tasks to broker_url (and not in-process) for the duration."""
    from prescoring.celery import app

    conf = app.conf
    # Celery's broker_url prefers the CELERY_BROKER_URL variable; the read/write URLs win over both.
    previous = (conf.get("broker_read_url"), conf.get("broker_write_url"), conf.task_always_eager)
    conf.broker_read_url = conf.broker_write_url = broker_url
    conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        conf.broker_read_url, conf.broker_write_url, conf.task_always_eager = previous
        app._pool = None
        app.amqp._producer_pool = None


@contextmanager
def private_broker():
    """A private Redis that this test process publishes its tasks to; stopped afterwards."""
    server = PrivateRedis().start()
    try:
        with publishing_to(server.url):
            yield server
    finally:
        server.stop()
