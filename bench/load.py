"""Load benchmark: the whole service on loopback under 50 concurrent API clients.

    .venv/bin/python bench/load.py [--clients 50] [--seconds 60] [--json]      # closed loop
    .venv/bin/python bench/load.py --rate 100 [--json]                          # open loop, 100 per s

Starts gunicorn (--web-workers, default 2; gthread) and 2 Celery workers (--workers) against a PostgreSQL database of its own
(`prescoring_load` on 127.0.0.1:5432, dropped and created anew; --database-url to change) and
Redis db 9 as the broker and cache (flushed first; --broker-url to change), bootstraps it
(migrate, configuration, small models trained on synthetic rows, one officer with an API token
per client), warms up, puts --history earlier applications with their scores in the database and
ANALYZEs it (a running service's database, not an empty one), then runs N clients for S seconds.
Each client is a thread with one keep-alive HTTP connection and its own token (the per-token
throttle stays at its production default):

- closed loop (default): submit a new questionnaire (POST /api/v1/applications/), wait for its
  result, submit the next. Throughput then bounds latency (Little's law: latency ≈ N / throughput).
- open loop (--rate R): applications arrive at R per second in total, the k-th at start + k / R,
  handed to the clients in turn. Latency counts from the scheduled arrival, so a client still busy
  with its previous application when the next is due adds that delay to the figure.

The submission itself waits for the result (POST /api/v1/applications/?wait=10: the answer comes
when the application is scored, with its scores); --separate-read submits without waiting and reads
the result with GET /api/v1/applications/{id}/?wait=10, and --wait 0 polls that address instead
(first after --poll-ms, doubling up to 500 ms).

Prints the throughput (applications scored per second, for applications submitted in the window),
the submit-to-result latency percentiles, the error count (any non-2xx answer, a failed
application, a transport error, or no result 300 s after the submission), the HTTP requests per
application, the CPU time per application of the web server, the Celery workers, PostgreSQL's
backends and this script, and what the database holds afterwards: as many applications as were
submitted (the history aside), none unfinished, each scored by every bank once.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faultproc import Logged, free_port, port_open, wait_for  # noqa: E402
from tests.helpers import EXAMPLE_ANSWERS as ANSWERS  # noqa: E402

FINISHED = ("done", "failed")
RESULT_TIMEOUT = 300  # seconds from the submission; an application not finished by then counts as an error
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# One officer and token per client, printed one key a line.
MAKE_CLIENTS = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from scoring.models import ApiToken
from scoring.accounts import roles
officers = Group.objects.get(name=roles.OFFICER)
for n in range({n}):
    user, _ = get_user_model().objects.get_or_create(username=f"load-client-{{n}}")
    user.groups.add(officers)
    print("token", ApiToken.issue(user)[1])
"""


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


# --- CPU accounting from /proc (the machine is shared: wall clock alone says little) ----------------

def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used by the process and its reaped children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), sum(int(x) for x in fields[11:15]) / CLOCK_TICKS


def tree_cpu_seconds(roots: list[int]) -> float:
    """CPU time of the processes `roots` and all their descendants alive now."""
    parents, cpu = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)], cpu[int(entry.name)] = stat
    total, todo = 0.0, list(roots)
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


class PostgresCpu(threading.Thread):
    """CPU time of the PostgreSQL backends serving the bench's database (their /proc is readable as
    root). Sampled every half second, so that a backend that exits (a connection recycled after
    PRESCORING_DATABASE_CONN_MAX_AGE) still counts up to its last sample."""

    def __init__(self, database_url: str):
        super().__init__(daemon=True)
        import psycopg

        base, self.database = database_url.rsplit("/", 1)
        self.conn = psycopg.connect(f"{base}/postgres", autocommit=True)
        self.latest: dict[int, float] = {}
        self.stopped = threading.Event()
        self.sample()

    def sample(self):
        pids = [row[0] for row in self.conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                                    [self.database])]
        for pid in pids:
            if (stat := _stat(pid)) is not None:
                self.latest[pid] = stat[1]

    def run(self):
        while not self.stopped.wait(0.5):
            self.sample()

    def seconds(self) -> float:
        return sum(self.latest.values())

    def stop(self):
        self.stopped.set()
        self.join()
        self.sample()
        self.conn.close()


# History: a copy of one scored application (its answers, scores and recommendation), `n` times, with
# new ids and answer hashes, created a day and more before the run, a minute apart.
SEED_HISTORY = """
WITH template AS (
    SELECT * FROM scoring_application WHERE status = 'done' ORDER BY created_at LIMIT 1
), copies AS (
    INSERT INTO scoring_application (id, answers, answers_hash, status, error, created_at, updated_at, scored_at,
                                     officer_id, parent_id, client_id, recommendation, cohort, goods_category,
                                     phone_digits, search_name, store)
    SELECT gen_random_uuid(), t.answers, md5(g::text) || md5(t.answers_hash || g::text), t.status, t.error,
           t.created_at - interval '1 day' - g * interval '1 minute',
           t.updated_at - interval '1 day' - g * interval '1 minute',
           t.scored_at - interval '1 day' - g * interval '1 minute',
           t.officer_id, NULL, t.client_id, t.recommendation, t.cohort, t.goods_category,
           t.phone_digits, t.search_name, t.store
    FROM template t, generate_series(1, %(n)s) g
    RETURNING id, created_at
)
INSERT INTO scoring_bankscore (probability, verdict, reasons, suggestions, offer, created_at, application_id,
                               bank_id, model_version_id, base_value, rank, decision, threshold)
SELECT s.probability, s.verdict, s.reasons, s.suggestions, s.offer, c.created_at, c.id,
       s.bank_id, s.model_version_id, s.base_value, s.rank, s.decision, s.threshold
FROM copies c CROSS JOIN scoring_bankscore s WHERE s.application_id = (SELECT id FROM template)
"""


def seed_history(database_url: str, n: int) -> dt.datetime:
    """Put `n` earlier applications in the database, with their scores, and ANALYZE it: the state of
    a service that has been running, not of an empty database. (In an empty one PostgreSQL plans the
    foreign-key checks of the scores against a table it believes nearly empty, keeps those plans for
    the life of each connection, and scans the whole growing table five times per application until
    autovacuum's next ANALYZE.) Returns the moment the run's own applications start, as the
    database's clock reads it."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        if n:
            conn.execute(SEED_HISTORY, {"n": n})
        conn.execute("ANALYZE")
        return conn.execute("SELECT min(created_at) FROM scoring_application "
                            "WHERE created_at > now() - interval '1 day'").fetchone()[0]


def database_check(database_url: str, since) -> dict:
    """After the run: every application submitted since `since` (the warm-up's and the run's, not the
    history's) stored once, finished, with one score per active bank."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        stored, unfinished = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status NOT IN ('done', 'failed')) FROM scoring_application "
            "WHERE created_at >= %s", [since]).fetchone()
        banks = conn.execute("SELECT count(*) FROM scoring_modelversion v JOIN scoring_bank b ON b.id = v.bank_id "
                             "WHERE v.active AND b.active").fetchone()[0]
        uneven = conn.execute(
            "SELECT count(*) FROM scoring_application a WHERE a.created_at >= %s AND a.status = 'done' AND "
            "(SELECT count(*) FROM scoring_bankscore s WHERE s.application_id = a.id) <> %s",
            [since, banks]).fetchone()[0]
        # The worker stores a batch in one transaction with one scored_at (scoring/tasks.py score_batch):
        # the sizes of the batches the queue actually gave.
        sizes = sorted(row[0] for row in conn.execute(
            "SELECT count(*) FROM scoring_application WHERE created_at >= %s AND status = 'done' GROUP BY scored_at",
            [since]))
    batches = {"count": len(sizes), "mean": round(sum(sizes) / len(sizes), 2) if sizes else 0,
               "p50": sizes[len(sizes) // 2] if sizes else 0, "max": sizes[-1] if sizes else 0,
               "applications_in_batches_of_1": sum(1 for size in sizes if size == 1)}
    return {"applications_stored": stored, "unfinished": unfinished, "done_without_one_score_per_bank": uneven,
            "batches": batches}


def own_cpu_seconds() -> float:
    usage = os.times()
    return usage.user + usage.system


# --- the clients ------------------------------------------------------------------------------------

class Api:
    """One keep-alive HTTP/1.1 connection, as an integrator's client keeps one."""

    def __init__(self, base: str, token: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                        "Connection": "keep-alive"}
        self.connection: http.client.HTTPConnection | None = None
        self.requests = self.reconnects = 0

    def call(self, method: str, path: str, body=None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request(method, path, body=data, headers=self.headers)
                response = self.connection.getresponse()
                payload = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection before reading this request: send
                # it again on a new one (a submit is safe to repeat: the same answers are one application).
                self.close()
                if attempt == 2:
                    raise
                self.reconnects += 1
                continue
            self.requests += 1
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, json.loads(payload)

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Client(threading.Thread):
    def __init__(self, base, token, *, deadline, counter, lock, wait, poll, schedule=None, profit=145000,
                 separate_read=False):
        super().__init__(daemon=True)
        self.separate_read = separate_read
        self.profit = profit  # with the loan amount from the counter: new answers every time
        self.api = Api(base, token)
        self.deadline, self.counter, self.lock = deadline, counter, lock
        self.wait, self.poll, self.schedule = wait, poll, schedule
        self.submitted = 0  # answered 200/202 to the submission
        self.latencies: list[float] = []
        self.late: list[float] = []  # open loop: how long after its arrival time a submission started
        self.send_delays: list[float] = []  # open loop: from the arrival time to sending the submission
        self.errors: list[str] = []

    def arrivals(self):
        if self.schedule is None:  # closed loop: the next one as soon as the previous is scored
            while (now := time.monotonic()) < self.deadline:
                yield now
            return
        for arrival in self.schedule:
            if arrival >= self.deadline:
                return
            delay = arrival - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # open loop: idle until this client's next arrival
            else:
                self.late.append(-delay)
            yield arrival

    def run(self):
        for arrival in self.arrivals():
            if self.schedule is not None:
                self.send_delays.append(time.monotonic() - arrival)
            with self.lock:
                amount = 20000 + 10 * next(self.counter)
            try:
                body = self.score({**ANSWERS, "month_profit": self.profit, "loan_amount": amount})
            except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
                self.errors.append(f"{type(error).__name__}: {error}")
                self.api.close()
                continue
            if body is None:
                continue
            if body["status"] != "done":
                self.errors.append(f"failed: {body.get('error')}")
                continue
            self.latencies.append(time.monotonic() - arrival)
        self.api.close()

    def score(self, answers) -> dict | None:
        # The submission itself waits for the result (one request), unless asked to read it apart.
        query = f"?wait={self.wait}" if self.wait and not self.separate_read else ""
        status, body = self.api.call("POST", f"/api/v1/applications/{query}", {"answers": answers})
        if status not in (200, 202):
            self.errors.append(f"submit: HTTP {status} {body}")
            return None
        self.submitted += 1
        path = f"/api/v1/applications/{body['id']}/"
        pause, give_up = self.poll, time.monotonic() + RESULT_TIMEOUT
        while body["status"] not in FINISHED:
            if time.monotonic() > give_up:  # lost, as far as this client can tell: an error, not a hang
                self.errors.append(f"no result for {body['id']} after {RESULT_TIMEOUT} s: {body['status']}")
                return None
            if self.wait:
                asked = time.monotonic()
                status, body = self.api.call("GET", f"{path}?wait={self.wait}")
                early = time.monotonic() - asked < self.wait - 0.5
                if status == 200 and body["status"] not in FINISHED and early:
                    time.sleep(pause)  # answered before the wait without a result: back off, as polling
                    pause = min(pause * 2, 0.5)
            else:
                time.sleep(pause)  # the client's polling interval: doubling, as a polite client does
                pause = min(pause * 2, 0.5)
                status, body = self.api.call("GET", path)
            if status != 200:
                self.errors.append(f"result: HTTP {status} {body}")
                return None
        return body


def arrival_schedules(start: float, clients: int, rate: float, seconds: float) -> list[list[float]]:
    """Open loop: the moments each client submits, R per second in all, the k-th at start + k / R,
    dealt to the clients in turn (client n gets n, n + N, n + 2N, …)."""
    per_client = int(seconds * rate / clients) + 2
    return [[start + (n + k * clients) / rate for k in range(per_client)] for n in range(clients)]


def run_clients(base, tokens, *, seconds, rate, wait, poll, profit, separate_read=False) -> tuple[list[Client], float]:
    lock, counter = threading.Lock(), iter(range(90_000))  # loan amounts 20 000 … 920 000 ₽
    started = time.monotonic() + 0.2  # every thread started before the first arrival
    deadline = started + seconds
    # Lists, made here. (These were once generators reading the loop's `n` only when each client ran,
    # by then the last client's: all fifty clients arrived at the same moments, in bursts.)
    schedules = arrival_schedules(started, len(tokens), rate, seconds) if rate else [None] * len(tokens)
    clients = [Client(base, token, deadline=deadline, counter=counter, lock=lock, wait=wait, poll=poll,
                      schedule=schedule, profit=profit, separate_read=separate_read)
               for token, schedule in zip(tokens, schedules)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    return clients, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=0,
                        help="open loop: applications arriving per second in total (0: closed loop)")
    parser.add_argument("--wait", type=int, default=10,
                        help="read the result with ?wait=N (0: poll, first after --poll-ms, then doubling)")
    parser.add_argument("--poll-ms", type=float, default=25)
    parser.add_argument("--separate-read", action="store_true",
                        help="submit without waiting, then read the result with GET ?wait=N (two requests)")
    parser.add_argument("--rows", type=int, default=2000, help="synthetic training rows for the small models")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/prescoring_load")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/9",
                        help="Celery's broker; also the cache (REDIS_URL), as in docker-compose.yml")
    parser.add_argument("--gunicorn-threads", type=int, default=0,
                        help="threads per gunicorn worker (default: one per client, so waiting never starves)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (each its own consumer)")
    parser.add_argument("--worker-concurrency", type=int, default=1,
                        help="processes per Celery worker (1: solo pool); more hide commit latency")
    parser.add_argument("--history", type=int, default=50_000,
                        help="earlier applications (with their scores) put in the database after the warm-up, "
                             "as a running service has them; then ANALYZE")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    threads = args.gunicorn_threads or args.clients

    recreate_database(args.database_url)
    flush_broker(args.broker_url)
    env = {**os.environ, "DATABASE_URL": args.database_url, "CELERY_BROKER_URL": args.broker_url,
           "REDIS_URL": args.broker_url, "PRESCORING_DEMO_PASSWORD": uuid.uuid4().hex,
           "PRESCORING_SECRET_KEY": os.environ.get("PRESCORING_SECRET_KEY") or uuid.uuid4().hex * 2,
           "PRESCORING_LOG_LEVEL": "WARNING", "PRESCORING_DATABASE_CONN_MAX_AGE": "60",
           # Two single-process workers on two cores: OpenMP threads inside each would only contend.
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
           # Every client may hold a waiting request, whichever web process its connection reached.
           "PRESCORING_API_WAIT_MAX_REQUESTS": str(threads)}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "bootstrap", "--rows", str(args.rows), "--no-demo-users"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    tokens = subprocess.run([*manage, "shell", "-c", MAKE_CLIENTS.format(n=args.clients)], cwd=ROOT, env=env,
                            check=True, capture_output=True, text=True).stdout
    tokens = re.findall(r"^token (\w+)$", tokens, re.MULTILINE)
    assert len(tokens) == args.clients, tokens

    port = free_port()
    web = Logged([sys.executable, "-m", "gunicorn", "prescoring.wsgi:application", "--bind", f"127.0.0.1:{port}",
                  "--workers", str(args.web_workers), "--worker-class", "gthread", "--threads", str(threads)], env=env)
    workers = []
    for n in range(args.workers):
        pool = ["--pool=solo"] if args.worker_concurrency == 1 else \
            ["--pool=prefork", f"--concurrency={args.worker_concurrency}"]
        workers.append(Logged([sys.executable, "-m", "celery", "-A", "prescoring", "worker", *pool,
                               "--loglevel=WARNING", "-n", f"load{n}-{uuid.uuid4().hex[:6]}@localhost",
                               "--without-gossip", "--without-mingle", "--without-heartbeat"], env=env))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: port_open(port), 60, "gunicorn to listen")

        def ready():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/health/ready/")
                return connection.getresponse().status == 200
            except OSError:
                return False

        wait_for(ready, 60, "the service to be ready")
        # Warm-up: a few applications through every process's model cache before the clock starts.
        warm, _ = run_clients(base, tokens[:4], seconds=3, rate=0, wait=args.wait, poll=args.poll_ms / 1000,
                              profit=145001, separate_read=args.separate_read)
        warm_submitted = sum(c.submitted for c in warm)
        since = seed_history(args.database_url, args.history)

        postgres = PostgresCpu(args.database_url)
        cpu_before = {"web": tree_cpu_seconds([web.process.pid]),
                      "workers": tree_cpu_seconds([w.process.pid for w in workers]),
                      "postgres": postgres.seconds(), "bench": own_cpu_seconds()}
        postgres.start()
        load_before = os.getloadavg()[0]
        clients, elapsed = run_clients(base, tokens, seconds=args.seconds, rate=args.rate, wait=args.wait,
                                       poll=args.poll_ms / 1000, profit=145000, separate_read=args.separate_read)
        postgres.stop()
        cpu_after = {"web": tree_cpu_seconds([web.process.pid]),
                     "workers": tree_cpu_seconds([w.process.pid for w in workers]),
                     "postgres": postgres.seconds(), "bench": own_cpu_seconds()}
        load_after = os.getloadavg()[0]
    finally:
        for process in [web, *workers]:
            process.stop()
    stored = database_check(args.database_url, since)

    latencies = [x for c in clients for x in c.latencies]
    errors = [x for c in clients for x in c.errors]
    late = [x for c in clients for x in c.late]
    scored = max(len(latencies), 1)
    result = {
        "mode": f"open loop, {args.rate:g} arrivals/s" if args.rate else "closed loop",
        "result_by": (f"GET ?wait={args.wait}" if args.separate_read else f"POST ?wait={args.wait}") if args.wait
        else f"polling from {args.poll_ms:g} ms",
        "clients": args.clients, "seconds": round(elapsed, 1), "applications_scored": len(latencies),
        "throughput_per_s": round(len(latencies) / elapsed, 1), "errors": len(errors),
        "latency_ms": {"p50": percentile_ms(latencies, 50), "p95": percentile_ms(latencies, 95),
                       "p99": percentile_ms(latencies, 99)},
        "requests_per_application": round(sum(c.api.requests for c in clients) / scored, 2),
        "reconnects": sum(c.api.reconnects for c in clients),
        "cpu_ms_per_application": {key: round((cpu_after[key] - cpu_before[key]) * 1000 / scored, 2)
                                   for key in cpu_before},
        "load_average": [round(load_before, 1), round(load_after, 1)],
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "first_errors": errors[:5],
        # Warm-up applications included; answers are never repeated, so none is a duplicate.
        "database": {**stored, "submitted": sum(c.submitted for c in clients) + warm_submitted},
    }
    if args.rate:
        result["started_late"] = {"count": len(late), "p95_ms": percentile_ms(late, 95)}
        # How late this script itself sent the submissions (a busy client adds to every figure).
        sent = [x for c in clients for x in c.send_delays]
        result["sent_after_arrival_ms"] = {"p50": percentile_ms(sent, 50), "p95": percentile_ms(sent, 95)}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"{result['mode']}, result by {result['result_by']}; {result['clients']} clients, {result['seconds']} s: "
          f"{result['applications_scored']} applications scored, {result['throughput_per_s']} per s, "
          f"{result['errors']} errors")
    print("submit-to-result latency: p50 {p50} ms, p95 {p95} ms, p99 {p99} ms".format(**result["latency_ms"]))
    print(f"{result['requests_per_application']} HTTP requests per application; CPU ms per application: "
          + ", ".join(f"{k} {v}" for k, v in result["cpu_ms_per_application"].items())
          + f"; load average {result['load_average'][0]} → {result['load_average'][1]}")
    print("database: {applications_stored} applications stored for {submitted} submitted, {unfinished} unfinished, "
          "{done_without_one_score_per_bank} done without one score per bank".format(**result["database"]))
    print("worker batches: {count}, mean size {mean}, median {p50}, largest {max}".format(
        **result["database"]["batches"]))
    for error in result["first_errors"]:
        print("  error:", error)


if __name__ == "__main__":
    main()
