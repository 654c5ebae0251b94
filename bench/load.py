"""Load benchmark: the whole service on loopback under concurrent API clients.

    .venv/bin/python bench/load.py [--clients 50] [--seconds 60] [--json]

Starts gunicorn (2 workers) and 2 Celery workers against a PostgreSQL database of its own
(`prescoring_load` on 127.0.0.1:5432, dropped and created anew; --database-url to change) and
Redis db 9 as the broker (flushed first; --broker-url to change), bootstraps it (migrate,
configuration, small models trained on synthetic rows, an officer with an API token), then runs
N client threads for S seconds. Each client submits a new questionnaire (POST /api/v1/applications/)
and polls its detail until it is scored (first after --poll-ms, then doubling up to 500 ms), then
submits the next.

Prints the throughput (applications scored per second, for applications submitted in the window),
the submit-to-result latency percentiles and the error count: any non-2xx answer, a failed
application, or a transport error.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faultproc import Logged, free_port, port_open, wait_for  # noqa: E402

ANSWERS = {
    "birth_date": "1988-07-21", "education": "Высшее - специалист",
    "employment_status": "Работаю по найму полный рабочий день/служу", "work_experience": "10 и более лет",
    "job_start_date": "2015-03-01", "position": "Менеджер", "month_profit": 145000, "month_expense": 22500,
    "gender": "0", "family_status": "Женат / замужем", "child_count": 1, "snils": True, "merch_code": 12,
    "loan_amount": 68000, "loan_term": "12", "goods_category": "Mobile_devices",
}


def percentile_ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[index] * 1000, 1)


def recreate_database(database_url: str) -> None:
    import psycopg

    base, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flush_broker(broker_url: str) -> None:
    import redis

    redis.Redis.from_url(broker_url).flushdb()


class Client(threading.Thread):
    def __init__(self, base, token, deadline, poll, counter, lock):
        super().__init__(daemon=True)
        self.base, self.token, self.deadline, self.poll = base, token, deadline, poll
        self.counter, self.lock = counter, lock
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def call(self, method, path, body=None):
        request = urllib.request.Request(
            self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())

    def run(self):
        while time.monotonic() < self.deadline:
            with self.lock:
                amount = 20000 + 10 * next(self.counter)
            started = time.monotonic()
            try:
                status, body = self.call("POST", "/api/v1/applications/",
                                         {"answers": {**ANSWERS, "loan_amount": amount}})
                wait = self.poll
                while body["status"] not in ("done", "failed"):
                    time.sleep(wait)  # the client's polling interval: doubling, as a polite client does
                    wait = min(wait * 2, 0.5)
                    status, body = self.call("GET", f"/api/v1/applications/{body['id']}/")
            except (urllib.error.URLError, OSError, ValueError) as error:
                self.errors.append(f"{type(error).__name__}: {error}")
                continue
            if body["status"] != "done":
                self.errors.append(f"failed: {body.get('error')}")
                continue
            self.latencies.append(time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--poll-ms", type=float, default=25, help="first poll after this, then doubling")
    parser.add_argument("--rows", type=int, default=2000, help="synthetic training rows for the small models")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/prescoring_load")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--gunicorn-threads", type=int, default=8)
    parser.add_argument("--worker-concurrency", type=int, default=1,
                        help="processes per Celery worker (1: solo pool); more hide commit latency")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    recreate_database(args.database_url)
    flush_broker(args.broker_url)
    env = {**os.environ, "DATABASE_URL": args.database_url, "CELERY_BROKER_URL": args.broker_url,
           "DEMO_PASSWORD": uuid.uuid4().hex, "LOG_LEVEL": "WARNING", "DATABASE_CONN_MAX_AGE": "60",
           # Two single-process workers on two cores: OpenMP threads inside each would only contend.
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
           # The 50 clients share one integrator's token: its per-token throttle (600/minute by
           # default, tested in tests/test_api_errors.py) would answer most of them 429, so the
           # bench measures the service, not the throttle.
           "API_THROTTLE_RATE": os.environ.get("API_THROTTLE_RATE", "1000000/minute")}
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "bootstrap", "--rows", str(args.rows)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    token = re.search(r"token (\w+)", subprocess.run([*manage, "drf_create_token", "officer"], cwd=ROOT, env=env,
                                                     check=True, capture_output=True, text=True).stdout).group(1)

    port = free_port()
    processes = [Logged([sys.executable, "-m", "gunicorn", "prescoring.wsgi:application", "--bind",
                         f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread",
                         "--threads", str(args.gunicorn_threads)], env=env)]
    for n in range(2):
        pool = ["--pool=solo"] if args.worker_concurrency == 1 else \
            ["--pool=prefork", f"--concurrency={args.worker_concurrency}"]
        processes.append(Logged([sys.executable, "-m", "celery", "-A", "prescoring", "worker", *pool,
                                 "--loglevel=WARNING", "-n", f"load{n}-{uuid.uuid4().hex[:6]}@localhost",
                                 "--without-gossip", "--without-mingle", "--without-heartbeat"], env=env))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: port_open(port), 60, "gunicorn to listen")

        def ready():
            try:
                with urllib.request.urlopen(base + "/health/ready/", timeout=5) as response:
                    return response.status == 200
            except (urllib.error.URLError, OSError):
                return False

        wait_for(ready, 60, "the service to be ready")
        # Warm-up: one application through both workers' model caches before the clock starts.
        warm = Client(base, token, time.monotonic() + 3, args.poll_ms / 1000, iter(range(10**6, 2 * 10**6)),
                      threading.Lock())
        warm.run()

        lock, counter = threading.Lock(), iter(range(10**6))
        started = time.monotonic()
        clients = [Client(base, token, started + args.seconds, args.poll_ms / 1000, counter, lock)
                   for _ in range(args.clients)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed = time.monotonic() - started
    finally:
        for process in processes:
            process.stop()

    latencies = [x for c in clients for x in c.latencies]
    errors = [x for c in clients for x in c.errors]
    result = {
        "clients": args.clients, "seconds": round(elapsed, 1), "applications_scored": len(latencies),
        "throughput_per_s": round(len(latencies) / elapsed, 1), "errors": len(errors),
        "latency_ms": {"p50": percentile_ms(latencies, 50), "p95": percentile_ms(latencies, 95),
                       "p99": percentile_ms(latencies, 99)},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "first_errors": errors[:5],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"{result['clients']} clients, {result['seconds']} s: {result['applications_scored']} applications scored, "
          f"{result['throughput_per_s']} per s, {result['errors']} errors")
    print("submit-to-result latency: p50 {p50} ms, p95 {p95} ms, p99 {p99} ms".format(**result["latency_ms"]))
    for error in result["first_errors"]:
        print("  error:", error)


if __name__ == "__main__":
    main()
