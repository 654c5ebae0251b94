"""Server time of every analytics page with 100 000 applications in PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prescoring_analytics_bench \
        .venv/bin/python bench/analytics.py [--applications 100000] [--repeat 7] [--json]

Creates the database if it is missing, migrates it, loads configs/, trains five small models on
the synthetic generator (so the model-quality page has real metrics, a ROC curve and held-out
predictions), and fills it once with synthetic applications: answers from the generator, created
over the last 365 days, five BankScores each (the generator's true probability plus noise), a
recommendation, and the banks' answers (Outcome) for a third of them. A second run reuses the data.
Then it measures drift once (manage.py compute_drift's service), rebuilds the daily figures
(manage.py refresh_analytics's service, which Celery beat runs every 15 minutes) and times each page with the
Django test client as an analyst: the time from the request entering Django to the response,
templates included (the server's time, not the network's). Each page is requested once to warm
up, then --repeat times; the table gives the median and the slowest.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prescoring.settings")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/prescoring_analytics_bench"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
# A server database is a deployment to the settings: it needs a secret key of its own.
os.environ.setdefault("PRESCORING_SECRET_KEY", "bench-analytics-" + "x" * 40)
os.environ.pop("CELERY_BROKER_URL", None)  # anything queued runs in-process


def ensure_database(url: str) -> None:
    import psycopg
    from urllib.parse import urlparse

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')  # the name is the bench's own, not user input


def clean(value):
    from scoring.engine.preprocessing import is_missing

    if is_missing(value):
        return None
    return value.item() if hasattr(value, "item") else value


def fill(count: int, seed: int) -> None:
    import datetime as dt

    import numpy as np
    from django.contrib.auth.models import Group, User
    from django.db import transaction
    from django.utils import timezone

    from scoring.accounts import roles
    from scoring.services.application_columns import columns_for
    from scoring.modelops.configuration import load_config
    from scoring.engine.synthetic import generate_applications
    from scoring.models import Application, Bank, BankScore, ModelVersion, Outcome
    from scoring.modelops.training import train_synthetic

    load_config()
    officer, _ = User.objects.get_or_create(username="bench-officer")
    officer.groups.add(Group.objects.get(name=roles.OFFICER))
    analyst, _ = User.objects.get_or_create(username="bench-analyst")
    analyst.groups.add(Group.objects.get(name=roles.ANALYST))
    if not ModelVersion.objects.filter(active=True).exists():
        train_synthetic(rows=5000, seed=seed)  # stores the ROC curve and held-out sample in metrics
    have = Application.objects.count()
    if have >= count:
        print(f"{have} applications already there", file=sys.stderr)
        return
    need = count - have
    banks = list(Bank.objects.filter(active=True).order_by("code"))
    versions = {v.bank_id: v.pk for v in ModelVersion.objects.filter(active=True)}
    frame = generate_applications(need, seed=seed + have, bank_codes=[b.code for b in banks])
    keys = [c for c in frame.columns if not c.endswith(("_decision", "_p_true"))]
    records = frame[keys].astype(object).to_dict("records")
    rng = np.random.default_rng(seed)
    now = timezone.now()
    ages = rng.uniform(0, 365, need)
    sent = rng.random(need) < 0.33
    created_field = Application._meta.get_field("created_at")
    created_field.auto_now_add = False  # the bench spreads applications over a year; the product never does
    chunk = 5000
    started = time.perf_counter()
    for start in range(0, need, chunk):
        stop = min(start + chunk, need)
        applications, scores, outcomes = [], [], []
        for i in range(start, stop):
            answers = {k: clean(v) for k, v in records[i].items()}
            probabilities = {b.code: float(np.clip(frame.at[i, f"{b.code}_p_true"] + rng.normal(0, 0.08), 0, 1))
                             for b in banks}
            likely = [c for c, p in sorted(probabilities.items(), key=lambda kv: -kv[1]) if p >= 0.5]
            application = Application(
                id=uuid.uuid4(), officer=officer, answers=answers, answers_hash=uuid.uuid4().hex,
                status=Application.Status.DONE, created_at=now - dt.timedelta(days=float(ages[i])),
                recommendation={"action": "send" if likely else "do_not_send", "banks": likely},
                **columns_for(answers=answers),  # store, category and cohort, as services.submit_application
            )
            applications.append(application)
            for rank, bank in enumerate(banks):
                p = probabilities[bank.code]
                scores.append(BankScore(
                    application=application, bank=bank, model_version_id=versions.get(bank.pk), probability=p,
                    verdict="likely" if p >= bank.approval_threshold else ("uncertain" if p >= bank.approval_threshold - 0.15
                                                                          else "unlikely"),
                    reasons=[], rank=rank))
            if sent[i] and likely:
                for bank in banks[:2]:
                    decision = frame.at[i, f"{bank.code}_decision"]
                    result = {"success": "approved", "denied": "refused"}.get(decision, "error")
                    outcomes.append(Outcome(application=application, bank=bank, result=result))
        with transaction.atomic():
            Application.objects.bulk_create(applications)
            BankScore.objects.bulk_create(scores, batch_size=5000)
            Outcome.objects.bulk_create(outcomes, batch_size=5000)
        print(f"  {stop}/{need} applications ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    created_field.auto_now_add = True
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def pages() -> list[tuple[str, str, dict]]:
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from scoring.models import ModelVersion

    today = timezone.localdate()
    version = ModelVersion.objects.filter(active=True).order_by("bank__code").first()
    return [
        ("dashboard, all time", reverse("analytics:dashboard"), {}),
        ("dashboard, last 90 days", reverse("analytics:dashboard"),
         {"date_from": (today - dt.timedelta(days=90)).isoformat(), "date_to": today.isoformat()}),
        ("dashboard, one bank and category", reverse("analytics:dashboard"), {"bank": "bank_a", "category": "Travel"}),
        ("dashboard, one store (htmx)", reverse("analytics:dashboard"), {"store": "12", "htmx": True}),
        ("dashboard: stores section (htmx, on demand)", reverse("analytics:dashboard"),
         {"section": "by_store", "htmx": True}),
        ("dashboard CSV (by store)", reverse("analytics:dashboard"), {"csv": "by_store"}),
        ("cohorts", reverse("analytics:cohorts"), {}),
        ("cohort applications", reverse("analytics:cohort_detail", args=["i1-p0-e0"]), {}),
        ("data exploration (synthetic, cached)", reverse("analytics:exploration"), {"source": "synthetic"}),
        ("model quality", reverse("analytics:models"), {"version": version.pk} if version else {}),
        ("fairness", reverse("analytics:fairness"), {}),
        ("drift", reverse("analytics:drift"), {}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-refresh", action="store_true", help="reuse the daily figures of the last run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        sys.exit("bench/analytics.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.contrib.auth.models import User
    from django.test import Client

    call_command("migrate", verbosity=0)
    fill(args.applications, args.seed)

    from scoring.analytics.drift import compute_drift
    from scoring.analytics.rollup import refresh
    from scoring.models import Application, BankScore, Outcome

    started = time.perf_counter()
    run = compute_drift(last=5000)
    drift_seconds = time.perf_counter() - started
    started = time.perf_counter()
    if args.no_refresh:
        from scoring.analytics.models import DailyFigure
        figures, refresh_seconds = DailyFigure.objects.count(), float("nan")
    else:
        figures = refresh()
        refresh_seconds = time.perf_counter() - started

    client = Client()
    client.force_login(User.objects.get(username="bench-analyst"))
    results = []
    for name, path, params in pages():
        params = dict(params)
        headers = {"HTTP_HX_REQUEST": "true"} if params.pop("htmx", False) else {}
        response = client.get(path, params, **headers)  # warm-up (and the exploration profile's cache)
        assert response.status_code == 200, (name, response.status_code)
        samples = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            response = client.get(path, params, **headers)
            samples.append(time.perf_counter() - t0)
            assert response.status_code == 200
        results.append({"page": name, "median_ms": round(statistics.median(samples) * 1000, 1),
                        "max_ms": round(max(samples) * 1000, 1)})
    summary = {"applications": Application.objects.count(), "bank_scores": BankScore.objects.count(),
               "outcomes": Outcome.objects.count(), "drift_seconds": round(drift_seconds, 2),
               "drift_measurements": len(run.measurements), "refresh_seconds": round(refresh_seconds, 2),
               "daily_figures": figures, "repeat": args.repeat, "pages": results}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    print(f"{summary['applications']} applications, {summary['bank_scores']} bank scores, "
          f"{summary['outcomes']} outcomes; compute_drift --last 5000: {summary['drift_seconds']} s; "
          f"refresh_analytics: {summary['refresh_seconds']} s ({figures} daily figures)")
    print(f"{'page':42s} {'median, ms':>11s} {'max, ms':>9s}")
    for row in results:
        print(f"{row['page']:42s} {row['median_ms']:11.1f} {row['max_ms']:9.1f}")


if __name__ == "__main__":
    main()
