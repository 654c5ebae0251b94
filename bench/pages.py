"""Server time of the loan officer's pages with 100 000 applications in the database.

    .venv/bin/python bench/pages.py [--applications 100000] [--repeat 30] [--json] [--reuse]

The database is SQLite in bench/pages.sqlite3 by default (never the development db.sqlite3), or
DATABASE_URL's when set: give it a database of its own (for example
postgres://postgres@127.0.0.1:5432/prescoring_bench_pages), never `test` or production. The script
creates the schema, trains small models on the built-in generator, scores one real application
(eagerly) and fills the database with bulk_create: clients, applications spread over a year and
over 20 officers; the 90 % that are scored get a recommendation and the five banks' scores copied
from the real one (probability, verdict, rank, offer; their reasons and suggestions are left
empty to keep the database near 100 MB instead of 1.3 GB: the list never reads them, and the
detail page is timed on the real application, which has them all). --reuse keeps a database
filled by an earlier run.

Each page is requested with Django's test client (in-process: URL routing, middleware, views,
queries, templates; no network), once to warm up, then --repeat times; p50 and p95 are reported.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prescoring.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'bench' / 'pages.sqlite3'}")
# Scoring the one real application runs in this process; no broker is involved.
os.environ.pop("CELERY_BROKER_URL", None)

SURNAMES = ["Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов", "Михайлов",
            "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов"]
NAMES = ["Иван", "Пётр", "Сергей", "Андрей", "Алексей", "Дмитрий", "Мария", "Анна", "Елена", "Ольга"]
OFFICERS = 20


def fill(applications: int, seed: int = 1) -> None:
    from django.contrib.auth.models import Group, Permission, User
    from django.core.management import call_command
    from django.utils import timezone

    from scoring.accounts import roles
    from scoring.services import runtime, submission
    from scoring.services.application_columns import columns_for
    from scoring.modelops.configuration import load_config
    from scoring.engine.config import default_bank_codes, default_derived_specs, default_feature_specs
    from scoring.engine.synthetic import generate_applications
    from scoring.engine.training import train_all_banks
    from scoring.models import Application, Bank, BankScore, Client, ModelVersion

    call_command("migrate", verbosity=0)
    load_config()
    if not ModelVersion.objects.filter(active=True).exists():
        specs = [s for s in default_feature_specs() if s.used_by_model]
        frame = generate_applications(3000, seed=7)
        encoder, trained = train_all_banks(frame, specs, default_bank_codes(), derived=default_derived_specs(),
                                           seed=7, as_of=frame.attrs["as_of"])
        for bank in Bank.objects.all():
            ModelVersion.objects.create(bank=bank, encoder=encoder.to_dict(), feature_keys=[], active=True,
                                        artifact=trained[bank.code].to_bytes(), metrics=trained[bank.code].metrics,
                                        training_data="bench/pages.py")
    def group(name):
        # A flushed server database has lost migration 0004's groups: make them again.
        made, created = Group.objects.get_or_create(name=name)
        if created:
            made.permissions.add(*Permission.objects.filter(content_type__app_label="scoring",
                                                            codename__in=roles.GROUP_PERMISSIONS[name]))
        return made

    officer_group = group(roles.OFFICER)
    officers = []
    for number in range(OFFICERS):
        user, _ = User.objects.get_or_create(username=f"bench_officer_{number}")
        user.groups.add(officer_group)
        officers.append(user)
    analyst, _ = User.objects.get_or_create(username="bench_analyst")
    analyst.groups.add(group(roles.ANALYST))

    # One real, fully scored application: its scores are the template every stored one copies.
    answers = {"birth_date": "1988-07-21", "education": "Высшее - специалист",
               "employment_status": "Работаю по найму полный рабочий день/служу", "work_experience": "10 и более лет",
               "job_start_date": "2015-03-01", "position": "Менеджер", "month_profit": 45000, "month_expense": 15000,
               "gender": "0", "family_status": "Женат / замужем", "child_count": 1, "snils": True, "merch_code": 12,
               "loan_amount": 200000, "loan_term": "6", "goods_category": "Mobile_devices"}
    template, _ = submission.submit_application(officer=officers[0], answers=answers,
                                              client={"full_name": "Образцов Олег", "phone": "+7 900 000-00-00"})
    runtime.score_application(application_id=template.pk)
    template.refresh_from_db()
    template_scores = list(template.scores.all())

    # Spread the applications over a year: auto_now_add would stamp them all with this minute.
    Application._meta.get_field("created_at").auto_now_add = False
    rng = random.Random(seed)
    now = timezone.now()
    statuses = ["done"] * 90 + ["failed"] * 3 + ["queued"] * 7
    batch = 2000
    for start in range(0, applications, batch):
        size = min(batch, applications - start)
        clients = Client.objects.bulk_create([
            Client(full_name=f"{rng.choice(SURNAMES)} {rng.choice(NAMES)} {rng.choice(NAMES)}ович",
                   phone=f"+7 9{rng.randrange(10, 100)} {rng.randrange(100, 1000)}-{rng.randrange(10, 100)}-"
                         f"{rng.randrange(10, 100)}")
            for _ in range(size)])
        rows = []
        for offset, client in enumerate(clients):
            status = rng.choice(statuses)
            action = rng.choice(["send", "send", "do_not_send"]) if status == "done" else ""
            varied = {**answers, "loan_amount": rng.randrange(5, 500) * 1000,
                      "loan_term": rng.choice("6 12 18 24".split())}
            rows.append(Application(
                officer=officers[(start + offset) % OFFICERS], client=client, status=status, answers=varied,
                answers_hash=f"bench-{start + offset}",
                recommendation={**template.recommendation, "action": action} if action else {},
                **columns_for(answers=varied, client=client),  # what submission.submit_application stores
            ))
        for application in rows:
            application.created_at = now - dt.timedelta(minutes=rng.randrange(1, 365 * 24 * 60))
        created = Application.objects.bulk_create(rows)
        BankScore.objects.bulk_create([
            BankScore(application=application, bank_id=score.bank_id, model_version_id=score.model_version_id,
                      probability=score.probability, verdict=score.verdict, reasons=[], suggestions=[],
                      offer=score.offer, base_value=score.base_value, rank=score.rank)
            for application in created if application.status == "done" for score in template_scores])
        print(f"  {start + size} / {applications}", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would soon: plans by the filled tables' statistics


def time_pages(repeat: int) -> list[dict]:
    from django.contrib.auth.models import User
    from django.test import Client as HttpClient
    from django.urls import reverse

    from scoring.models import Application

    officer = User.objects.get(username="bench_officer_0")
    analyst = User.objects.get(username="bench_analyst")
    detail = Application.objects.get(client__full_name="Образцов Олег")  # the real one, fully explained
    week_ago = (dt.date.today() - dt.timedelta(days=7)).isoformat()
    list_url = reverse("scoring:application_list")
    cases = [
        ("list, officer (own ~5 000), page 1", officer, "get", list_url, {}),
        ("list, officer, page 100", officer, "get", list_url, {"page": 100}),
        ("list, officer, search by surname", officer, "get", list_url, {"q": "Петров"}),
        ("list, officer, search by phone digits", officer, "get", list_url, {"q": "915 12"}),
        ("list, officer, status + recommendation + dates", officer, "get", list_url,
         {"status": "done", "verdict": "do_not_send", "created_from": week_ago}),
        ("list, officer, htmx search (partial)", officer, "htmx", list_url, {"q": "Иван"}),
        ("list, analyst (all 100 000, masked), page 1", analyst, "get", list_url, {}),
        ("list, analyst, page 2 000", analyst, "get", list_url, {"page": 2000}),
        ("list, analyst, search by surname", analyst, "get", list_url, {"q": "Смирнов"}),
        ("list, analyst, search by full name (1 match)", analyst, "get", list_url, {"q": "образцов олег"}),
        ("list, analyst, status + recommendation + dates", analyst, "get", list_url,
         {"status": "done", "verdict": "send", "created_from": week_ago}),
        ("application detail (5 banks)", officer, "get", reverse("scoring:application_detail", args=[detail.pk]), {}),
        ("result partial (htmx poll)", officer, "htmx", reverse("scoring:application_result", args=[detail.pk]), {}),
        ("questionnaire form", officer, "get", reverse("scoring:application_new"), {}),
        ("field check on blur (htmx)", officer, "post", reverse("scoring:application_check_field", args=["month_profit"]),
         {"month_profit": "45000", "birth_date": "1988-07-21"}),
    ]
    results = []
    clients = {}
    for name, user, method, url, data in cases:
        http = clients.get(user.pk)
        if http is None:
            http = clients[user.pk] = HttpClient()
            http.force_login(user)
        headers = {"HX-Request": "true"} if method == "htmx" else {}

        def request():
            if method == "post":
                return http.post(url, data, headers={"HX-Request": "true"})
            return http.get(url, data, headers=headers)

        response = request()
        assert response.status_code in (200, 286), (name, response.status_code)  # 286: htmx, stop polling
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            request()
            samples.append(time.perf_counter() - started)
        samples.sort()
        results.append({"page": name, "p50_ms": round(statistics.median(samples) * 1000, 1),
                         "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)] * 1000, 1)})
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="keep the database an earlier run filled")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from scoring.models import Application

    if not args.reuse:
        if connection.vendor == "sqlite":
            connection.close()
            Path(settings.DATABASES["default"]["NAME"]).unlink(missing_ok=True)
        else:
            from django.core.management import call_command

            call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        fill(args.applications)
        print(f"filled in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    count = Application.objects.count()
    results = time_pages(args.repeat)
    if args.json:
        print(json.dumps({"database": connection.vendor, "applications": count, "pages": results}, indent=2))
        return
    print(f"{connection.vendor}, {count} applications, {args.repeat} requests per page")
    print(f"{'page':52} {'p50 ms':>8} {'p95 ms':>8}")
    for row in results:
        print(f"{row['page']:52} {row['p50_ms']:>8} {row['p95_ms']:>8}")


if __name__ == "__main__":
    main()
