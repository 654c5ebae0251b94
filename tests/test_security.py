"""Security behaviours: anonymous refusal on every URL, headers, lockout, deploy checks, audit."""
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import get_resolver, resolve
from django.urls.exceptions import Resolver404

from scoring.models import AuditEntry
from scoring.services import submission
from tests.helpers import settings_with, walk_urls

# Deliberately public: signing in and out, whether this browser is signed in (for a page whose session
# may have ended: it says nothing else to an anonymous client), language choice, health probes, static files.
PUBLIC = {"login", "logout", "session", "set_language", "health", "health-live", "health-ready",
          "admin:login", "admin:logout", "javascript-catalog"}

SAMPLES = ["1", str(uuid.UUID(int=1)), "x"]


def _sample_for_group(body: str) -> list[str]:
    """Candidate values for one regex group: its first literal alternative, then generic ones."""
    literal = body.split("|")[0]
    candidates = [literal] if re.fullmatch(r"[\w.-]+", literal) else []
    return candidates + SAMPLES


def _candidate_urls(pattern_text: str):
    """Concrete paths for a route or regex pattern text, e.g. applications/<uuid:id>/ or ^(?P<app>a|b)/$."""
    text = pattern_text.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    groups = re.findall(r"\(\?P<\w+>([^)]*)\)", text)
    options = [_sample_for_group(g) for g in groups]
    template = re.sub(r"\(\?P<\w+>[^)]*\)", "{group}", text)
    template = re.sub(r"<(?:(\w+):)?\w+>", lambda m: "{uuid}" if m.group(1) == "uuid" else
                      "{int}" if m.group(1) == "int" else "{str}", template)
    for i in range(len(SAMPLES)):
        url = template.replace("{uuid}", str(uuid.UUID(int=1))).replace("{int}", "1").replace("{str}", "x")
        for opts in options:
            url = url.replace("{group}", opts[min(i, len(opts) - 1)] if i else opts[0], 1)
        yield "/" + url.replace("?", "")


def _every_url():
    seen = []
    for pattern_text, name, callback in walk_urls(get_resolver().url_patterns):
        for url in _candidate_urls(pattern_text):
            try:
                if resolve(url).func is callback or resolve(url).url_name == (name or "").split(":")[-1]:
                    seen.append((url, name))
                    break
            except Resolver404:
                continue
        else:
            seen.append((None, f"{name or pattern_text} (no sample URL resolves to it: extend SAMPLES)"))
    return seen


EVERY_URL = _every_url()


def test_the_walk_covers_the_applications_api_and_admin():
    names = {name for _url, name in EVERY_URL}
    assert {"scoring:application_detail", "api:application-detail", "admin:index", "schema"} <= names
    assert len(EVERY_URL) > 40  # the admin alone has dozens


@pytest.mark.django_db
@pytest.mark.parametrize("url,name", EVERY_URL, ids=[f"{n}" for _u, n in EVERY_URL])
def test_it_refuses_anonymous_requests_to_every_url(client, url, name):
    assert url is not None, name
    if name in PUBLIC or url.startswith("/" + settings.STATIC_URL.strip("/")):
        return
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        refused = response.status_code in (401, 403) or (
            response.status_code == 302 and "login" in response["Location"])
        assert refused, f"{method.upper()} {url} ({name}) answered {response.status_code} to an anonymous client"


TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_templates_have_no_inline_scripts_or_handlers(template):
    text = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>: move it to static/js/"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline on*= handler: bind it in static/js/"
    assert "hx-on" not in text and "javascript:" not in text.lower()


def test_pages_carry_a_csp_without_inline_scripts_and_security_headers(client):
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'self'" in script_src and "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_every_response_names_its_request_id(client):
    response = client.get("/health/live/")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert client.get("/health/live/", HTTP_X_REQUEST_ID="proxy-id-12345")["X-Request-ID"] == "proxy-id-12345"
    # Anything that is not a short token is replaced, so it never reaches a log line as is.
    assert client.get("/health/live/", HTTP_X_REQUEST_ID="<script>x")["X-Request-ID"] != "<script>x"


def test_log_lines_carry_the_request_id(client, caplog):
    import logging

    from prescoring.observability import ContextFilter, request_id_var

    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            ContextFilter().filter(record)
            records.append(record)

    handler = Keep()
    logging.getLogger("django.request").addHandler(handler)
    try:
        response = client.get("/applications/", HTTP_X_REQUEST_ID="trace-me-123456")
        token = request_id_var.set("trace-me-123456")
        logging.getLogger("django.request").warning("probe")
        request_id_var.reset(token)
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    assert response["X-Request-ID"] == "trace-me-123456"
    assert records[-1].request_id == "trace-me-123456"


def test_the_json_log_format_is_one_object_per_line():
    import json
    import logging

    from prescoring.observability import ContextFilter, JsonFormatter, task_id_var

    record = logging.LogRecord("scoring", logging.INFO, __file__, 1, "scored «%s»", ("заявка",), None)
    token = task_id_var.set("task-1")
    ContextFilter().filter(record)
    task_id_var.reset(token)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["message"] == "scored «заявка»" and json.loads(line)["task_id"] == "task-1"


def deploy_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PRESCORING_"))}
    env.update({
        "PRESCORING_DEBUG": "0", "PRESCORING_SECURE": "1", "PRESCORING_REQUIRE_SECRET_KEY": "1",
        "PRESCORING_SECRET_KEY": "k" + uuid.uuid4().hex + uuid.uuid4().hex + "-Zq9#xP!",
        "PRESCORING_ALLOWED_HOSTS": "prescoring.example.ru",
        "PRESCORING_CSRF_TRUSTED_ORIGINS": "https://prescoring.example.ru",
    })
    env.update(extra)
    return env


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # A database of its own: the schema check reads the questionnaire fields from it.
    env = deploy_env(DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=settings.BASE_DIR, env=env,
                   check=True, capture_output=True, timeout=300)
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = deploy_env()
    del env["PRESCORING_SECRET_KEY"]
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "PRESCORING_SECRET_KEY must be set" in result.stderr


def secrets_in(value, name: str = ""):
    """(name, value) of every setting, or entry of a dict setting, named *PASSWORD or *SECRET_KEY."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from secrets_in(item, str(key))
    elif isinstance(value, list):
        for item in value:
            yield from secrets_in(item, name)
    elif re.search(r"(PASSWORD|SECRET_KEY)$", name):
        yield name, value


def test_no_secret_is_written_in_the_settings():
    """With no variable set, every password and key is empty or says plainly that it is not a secret."""
    imported = settings_with({})["settings"]
    values = {name: value for name, value in imported.items() if not name.startswith("ENVIRONMENT_")}  # names only
    found = dict(secrets_in(values))
    assert "SECRET_KEY" in found
    assert all(not value or str(value).startswith("insecure-local-development") for value in found.values()), found


@pytest.fixture
def clean_lockout():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_it_locks_a_login_out_after_repeated_failures(client, officer, clean_lockout):
    for _ in range(settings.LOGIN_LOCKOUT["FAILURES"]):
        response = client.post("/login/", {"username": "officer1", "password": "wrong"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post("/login/", {"username": "officer1", "password": "pw-officer1"})
    assert "_auth_user_id" not in client.session  # the right password too, while locked
    assert "Слишком много неудачных попыток" in response.content.decode()


@pytest.mark.django_db
def test_a_successful_login_clears_earlier_failures(client, officer, clean_lockout):
    for _ in range(settings.LOGIN_LOCKOUT["FAILURES"] - 1):
        client.post("/login/", {"username": "officer1", "password": "wrong"})
    response = client.post("/login/", {"username": "officer1", "password": "pw-officer1"})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(officer.pk)
    client.logout()
    client.post("/login/", {"username": "officer1", "password": "wrong"})
    client.post("/login/", {"username": "officer1", "password": "pw-officer1"})
    assert client.session["_auth_user_id"] == str(officer.pk)


@pytest.mark.django_db
def test_the_admin_login_is_locked_out_too(client, administrator, clean_lockout):
    for _ in range(settings.LOGIN_LOCKOUT["FAILURES"]):
        client.post("/admin/login/", {"username": "admin1", "password": "wrong"})
    client.post("/admin/login/", {"username": "admin1", "password": "pw-admin1"})
    assert "_auth_user_id" not in client.session


@pytest.fixture
def application(officer, models_ready, answers):
    """An application of the officer's, with a client's name and phone."""
    application, _ = submission.submit_application(officer=officer, answers=answers,
                                                 client={"full_name": "Иванов Иван Иванович", "phone": "+7 900 111-22-33"})
    return application


def test_viewing_an_unmasked_client_is_audited(officer_client, officer, application):
    response = officer_client.get(f"/applications/{application.pk}/")
    assert "Иванов Иван Иванович" in response.content.decode()
    entry = AuditEntry.objects.get(action="view_personal_data")
    assert entry.actor == officer and entry.object_id == str(application.pk)


def test_viewing_a_masked_client_is_not_audited(analyst_client, application):
    response = analyst_client.get(f"/applications/{application.pk}/")
    assert response.status_code == 200 and "Иванов Иван Иванович" not in response.content.decode()
    assert "+7 900 111-22-33" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="view_personal_data").exists()


def test_pages_and_api_answers_for_a_signed_in_user_are_not_cached(officer_client, api, db):
    """Personal data never stays in a browser's or proxy's cache (issue 16, finding 7)."""
    for response in (officer_client.get("/applications/"), api.get("/api/v1/applications/")):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_locked_account_stays_locked_from_another_address(client, officer, clean_lockout):
    for _ in range(settings.LOGIN_LOCKOUT["FAILURES"]):
        client.post("/login/", {"username": "officer1", "password": "wrong"}, REMOTE_ADDR="203.0.113.5")
    client.post("/login/", {"username": "officer1", "password": "pw-officer1"}, REMOTE_ADDR="198.51.100.7")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_one_address_cannot_walk_through_many_accounts(client, officer, clean_lockout, settings):
    settings.LOGIN_LOCKOUT = {**settings.LOGIN_LOCKOUT, "ADDRESS_FAILURES": 6}
    for i in range(6):  # one guess each for six usernames: no account reaches its own limit
        client.post("/login/", {"username": f"someone{i}", "password": "wrong"}, REMOTE_ADDR="203.0.113.9")
    client.post("/login/", {"username": "officer1", "password": "pw-officer1"}, REMOTE_ADDR="203.0.113.9")
    assert "_auth_user_id" not in client.session
    client.post("/login/", {"username": "officer1", "password": "pw-officer1"}, REMOTE_ADDR="198.51.100.7")
    assert "_auth_user_id" in client.session  # the account itself is not locked


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, officer, clean_lockout, settings):
    settings.LOGIN_LOCKOUT = {**settings.LOGIN_LOCKOUT, "ADDRESS_FAILURES": 3, "TRUSTED_PROXIES": ["10.0.0.2"]}
    for i in range(3):
        client.post("/login/", {"username": f"guess{i}", "password": "wrong"},
                    REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66")
    # Another client through the same proxy is not locked out by the first one's failures...
    client.post("/login/", {"username": "officer1", "password": "pw-officer1"},
                REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert "_auth_user_id" in client.session
    client.logout()
    # ...and a forged X-Forwarded-For hop in front of the real one does not free the locked client.
    client.post("/login/", {"username": "officer1", "password": "pw-officer1"},
                REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.66")
    assert "_auth_user_id" not in client.session


def test_an_untrusted_socket_cannot_claim_an_address(rf, settings):
    from scoring.accounts.lockout import client_address

    settings.LOGIN_LOCKOUT = {**settings.LOGIN_LOCKOUT, "TRUSTED_PROXIES": ["10.0.0.2"]}
    request = rf.post("/login/", REMOTE_ADDR="203.0.113.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_address(request) == "203.0.113.1"
