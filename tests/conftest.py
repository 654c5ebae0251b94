import os
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.utils import timezone, translation
from rest_framework.test import APIClient

from prescoring.celery import app as celery_app
from scoring.accounts import roles
from scoring.engine.config import (
    default_bank_codes,
    default_derived_specs,
    default_feature_specs,
)
from scoring.engine.synthetic import generate_applications
from scoring.engine.training import train_all_banks
from scoring.modelops.configuration import load_config
from scoring.models import ApiToken, Application, Bank, ModelVersion
from scoring.services import config_cache, runtime, submission
from tests.helpers import EXAMPLE_ANSWERS


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """A fast hasher for the test users: PBKDF2's million rounds cost half a second or more for every
    user a fixture makes and every sign-in, and no test is about the hashing itself."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Tasks run in-process, unless a test starts a real worker."""
    if request.node.get_closest_marker("real_worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def page_work_inline(request, settings):
    """Long work a page starts (scoring/services/background.py) runs inside the request, so a test sees
    its result when the request returns; a thread could not see rows the test has not committed.
    Browser tests (live_server) keep the embedded default's thread; a test about the thread turns it on."""
    if "live_server" not in request.fixturenames:
        settings.PRESCORING_BACKGROUND_THREADS = False


@pytest.fixture(autouse=True)
def training_algorithms(request, settings):
    """XGBoost alone keeps the many tests that train fast; tests marked model_selection compare all four."""
    if not request.node.get_closest_marker("model_selection"):
        settings.PRESCORING = {**settings.PRESCORING, "TRAINING_ALGORITHMS": ("xgboost",)}


@pytest.fixture(autouse=True)
def fresh_model_cache(settings):
    """Models and configuration read anew in every test (tests change them with update(), which
    sends no signal); tests/test_config_cache.py turns the configuration cache on for itself."""
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_CACHE_SECONDS": 0}
    runtime.forget_loaded_models()
    config_cache.forget()
    yield
    runtime.forget_loaded_models()
    config_cache.forget()


@pytest.fixture(autouse=True)
def russian_afterwards():
    """A test client request in English leaves English active in this thread: restore the default."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def trained_artifacts():
    """Small models for the default questionnaire, trained once per test session (no database)."""
    specs = [s for s in default_feature_specs() if s.used_by_model]
    frame = generate_applications(3000, seed=7)
    # XGBoost only, to keep the session fast; model selection has its own tests (test_model_selection.py).
    encoder, trained = train_all_banks(frame, specs, default_bank_codes(), derived=default_derived_specs(),
                                       seed=7, as_of=frame.attrs["as_of"], algorithms=("xgboost",))
    return encoder.to_dict(), {code: (model.to_bytes(), model.metrics) for code, model in trained.items()}


@pytest.fixture
def configured(db):
    load_config()


@pytest.fixture
def models_ready(configured, trained_artifacts):
    encoder, by_bank = trained_artifacts
    for bank in Bank.objects.all():
        artifact, metrics = by_bank[bank.code]
        ModelVersion.objects.create(bank=bank, encoder=encoder, feature_keys=[], artifact=artifact,
                                    metrics=metrics, training_data="tests", active=True)


@pytest.fixture
def scored(models_ready, officer, answers):
    """One application of the officer's, scored by every bank (read back from the database)."""
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.score_application(application_id=application.pk)
    application.refresh_from_db()
    return application


@pytest.fixture
def copy_of(db):
    """copy_of(version, metrics=..., training_data="tests", active=False): a new version of the same
    bank with the same model and other metrics (what the quality gate judges)."""
    def copy(version, *, metrics, training_data="tests", active=False):
        return ModelVersion.objects.create(bank=version.bank, encoder=version.encoder,
                                           artifact=bytes(version.artifact), metrics=metrics,
                                           training_data=training_data, active=active)
    return copy


def user_in_role(django_user_model, username, role):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username=username, password=f"pw-{username}")
    if not Group.objects.filter(name=role).exists():  # flushed by an earlier transactional test
        roles.ensure_groups()
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def officer(django_user_model):
    return user_in_role(django_user_model, "officer1", roles.OFFICER)


@pytest.fixture
def other_officer(django_user_model):
    return user_in_role(django_user_model, "officer2", roles.OFFICER)


@pytest.fixture
def analyst(django_user_model):
    return user_in_role(django_user_model, "analyst1", roles.ANALYST)


@pytest.fixture
def administrator(django_user_model):
    user = user_in_role(django_user_model, "admin1", roles.ADMINISTRATOR)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def client_as(client, request):
    """client_as(user or the name of a user fixture, staff=None): the test client signed in as that user,
    made staff (or not) first when staff is given."""
    def sign_in(who, *, staff: bool | None = None):
        user = request.getfixturevalue(who) if isinstance(who, str) else who
        if staff is not None:
            user.is_staff = staff
            user.save(update_fields=["is_staff"])
        client.force_login(user)
        return client
    return sign_in


@pytest.fixture
def officer_client(client_as, officer):
    return client_as(officer)


@pytest.fixture
def analyst_client(client_as, analyst):
    return client_as(analyst)


@pytest.fixture
def admin_client(client_as, administrator, configured):
    """The test client signed in as the administrator (the role, not a superuser), the configuration loaded.
    It replaces pytest-django's admin_client: a test that needs a superuser signs in pytest-django's
    admin_user with client_as(admin_user)."""
    return client_as(administrator)


@pytest.fixture
def token_client():
    """token_client(user): an API client that sends the user's token (made on first use)."""
    def signed_in_as(user) -> APIClient:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user)[1]}")
        return api
    return signed_in_as


@pytest.fixture
def api(token_client, officer):
    """The officer's API client."""
    return token_client(officer)


@pytest.fixture
def answers():
    """A questionnaire in the questionnaire's vocabulary (docs/data-format.md), as a client would send it (a copy: tests change it)."""
    return dict(EXAMPLE_ANSWERS)


@pytest.fixture
def old_and_recent_clients(officer, answers):
    """(old, recent): two of the officer's applications with clients, «Старый Клиент» 400 days ago and
    «Новый Клиент» (a 70 000 ₽ loan) now; the first is past a one-year retention, the second is not."""
    old, _ = submission.submit_application(officer=officer, answers=answers,
                                           client={"full_name": "Старый Клиент", "phone": "+7 900 000-00-01"})
    recent, _ = submission.submit_application(officer=officer, answers={**answers, "loan_amount": 70_000},
                                              client={"full_name": "Новый Клиент", "phone": "+7 900 000-00-02"})
    Application.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    return old, recent


# --- browser tests (tests/browser.py has what they share) ---

@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make around it
    # are still plain synchronous code, so Django's async-safety guard does not apply here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright import sync_api as playwright_api

    from tests.browser import CHROMIUM

    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                          "--lang=ru-RU"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
