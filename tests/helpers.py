"""Plain helpers shared by the test modules (the fixtures are in conftest.py): the example questionnaire,
history CSV files, management commands run for their output, the settings in a fresh interpreter,
the URL tree walked, and an HTTP receiver for webhooks. (Polling and real processes: faultproc.py.)"""
from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.core.management import call_command
from django.urls import URLPattern, URLResolver

ROOT = Path(__file__).resolve().parent.parent

# A questionnaire in the questionnaire's vocabulary (docs/data-format.md), as a client would send it (the `answers` fixture's copy).
EXAMPLE_ANSWERS = {
    "birth_date": "1988-07-21",
    "education": "Высшее - специалист",
    "employment_status": "Работаю по найму полный рабочий день/служу",
    "work_experience": "10 и более лет",
    "job_start_date": "2015-03-01",
    "position": "Менеджер",
    "month_profit": 145000,
    "month_expense": 22500,
    "gender": "0",
    "family_status": "Женат / замужем",
    "child_count": 1,
    "snils": True,
    "merch_code": 12,
    "loan_amount": 68000,
    "loan_term": "12",
    "goods_category": "Mobile_devices",
}

# The legacy header (docs/data-format.md, "The history CSV"): the spec of the import format and of
# what generate_training_data writes.
HISTORY_HEADER = ("SkillFactory_Id;BirthDate;education;employment status;Value;JobStartDate;Position;MonthProfit;"
                  "MonthExpense;Gender;Family status;ChildCount;SNILS;BankA_decision;BankB_decision;BankC_decision;"
                  "BankD_decision;BankE_decision;Merch_code;Loan_amount;Loan_term;Goods_category").split(";")
BANKS = ["bank_a", "bank_b", "bank_c", "bank_d", "bank_e"]


# --- history CSV files -----------------------------------------------------------------------------

def legacy_row(**overrides) -> dict:
    """A valid history row as the legacy writer produced it (integers as floats), by CSV column."""
    row = {
        "SkillFactory_Id": "657.0", "BirthDate": "1988-07-21", "education": "Высшее - специалист",
        "employment status": "Работаю по найму полный рабочий день/служу", "Value": "10 и более лет",
        "JobStartDate": "2015-03-01", "Position": " Менеджер ", "MonthProfit": "145000.0",
        "MonthExpense": "22500.0", "Gender": "1.0", "Family status": "Женат / замужем", "ChildCount": "1.0",
        "SNILS": "1.0", "BankA_decision": "success", "BankB_decision": "denied", "BankC_decision": "error",
        "BankD_decision": "success", "BankE_decision": "denied", "Merch_code": "12.0",
        "Loan_amount": "68000.0", "Loan_term": "12.0", "Goods_category": "Mobile_devices",
    }
    row.update(overrides)
    return row


def csv_text(rows: list[dict | None], header=HISTORY_HEADER, sep: str = ";") -> str:
    """A CSV file's text: the header, then rows as dicts by column (missing columns empty), or None
    for an entirely empty line."""
    lines = [sep.join(header)]
    for row in rows:
        lines.append("" if row is None else sep.join(row.get(column, "") for column in header))
    return "\n".join(lines) + "\n"


def write_csv(path: Path, rows: list[dict | None], header=HISTORY_HEADER, sep: str = ";",
              encoding: str = "utf-8") -> Path:
    """csv_text written to path; returns path."""
    path.write_text(csv_text(rows, header=header, sep=sep), encoding=encoding)
    return path


def generated_history(path: Path, *, rows: int, seed: int) -> Path:
    """A history CSV written by `manage.py generate_training_data` (with true probabilities); returns path."""
    call_command("generate_training_data", rows=rows, seed=seed, out=str(path), stdout=io.StringIO())
    return path


# --- commands -------------------------------------------------------------------------------------

def run_command(name: str, *args, **options) -> str:
    """What `manage.py <name>` writes to stdout."""
    out = io.StringIO()
    call_command(name, *map(str, args), stdout=out, **options)
    return out.getvalue()


# --- the settings as a fresh process imports them -------------------------------------------------

_SETTINGS_PROBE = """
import json, os, sys
read = set()
original = os._Environ.__getitem__


def recording(self, key):  # os.environ.get, [], `in` and os.getenv all come here
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.endswith(os.path.join("prescoring", "settings.py")):
            read.add(key)
            break
        frame = frame.f_back
    return original(self, key)


os._Environ.__getitem__ = recording
try:
    import prescoring.settings as settings
except Exception as exc:
    result = {"error": f"{type(exc).__name__}: {exc}"}
else:
    result = {"settings": {name: getattr(settings, name) for name in dir(settings) if name.isupper()}}
result["read"] = sorted(read)
print(json.dumps(result, default=str))
"""


def settings_with(environment: dict[str, str]) -> dict:
    """prescoring/settings.py imported by a fresh interpreter whose environment holds only these
    variables (and PATH, HOME, LANG): {"settings": {NAME: value, as JSON}} or {"error": "Type: message"}
    when the import fails, and "read": every variable the settings looked up."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    env.update(environment)
    result = subprocess.run([sys.executable, "-c", _SETTINGS_PROBE], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- URLs -----------------------------------------------------------------------------------------

def walk_urls(patterns, prefix: str = "", namespace: str = ""):
    """(pattern text, namespaced name or None, view) for every URL pattern under patterns."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk_urls(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}" if entry.name else None, entry.callback


class Listener:
    """A real HTTP receiver on 127.0.0.1 (webhook tests): records every POST (headers as sent, body),
    answers the next status of `statuses` (the last one again and again), with a Location header
    when given, and, when `hold` is given, does not answer until the test sets it."""

    def __init__(self, statuses=(200,), *, location: str | None = None, hold: threading.Event | None = None):
        self.statuses, self.requests, self.received = list(statuses), [], threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                listener.requests.append({"headers": dict(self.headers), "body": body})
                listener.received.set()
                if hold is not None:
                    hold.wait(30)
                status = listener.statuses.pop(0) if len(listener.statuses) > 1 else listener.statuses[0]
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()



class Clock:
    """A monotonic clock a test moves by hand (patched over a module's time.monotonic)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def load_bench(name: str = "load"):
    """bench/<name>.py as a module (the benches are scripts, not a package)."""
    path = Path(__file__).resolve().parent.parent / "bench" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
