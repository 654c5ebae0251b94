"""The per-process configuration cache (scoring/services/config_cache.py): fields and active models are read
once per CONFIG_CACHE_SECONDS, and a change made in this process is seen at once."""
import pytest

from scoring.services import config_cache
from scoring.services import runtime
from scoring.models import Bank, Feature, ModelVersion
from scoring.services.questionnaire import active_features, validate_answers
from tests.helpers import Clock


@pytest.fixture
def cache_on(settings, monkeypatch):
    # The short period, whether or not this run has Redis to announce changes on
    # (tests/test_config_cache_announced.py: the longer period while listening).
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_CACHE_SECONDS": 2, "CONFIG_CACHE_SUBSCRIBED_SECONDS": 0}
    clock = Clock()
    monkeypatch.setattr(config_cache.time, "monotonic", clock)
    config_cache.forget()
    return clock


def test_fields_are_read_once_within_the_period(configured, cache_on, django_assert_num_queries):
    first = active_features()
    with django_assert_num_queries(0):
        assert [f.key for f in active_features()] == [f.key for f in first]


def test_a_change_elsewhere_is_seen_when_the_period_is_over(configured, cache_on):
    keys = [f.key for f in active_features()]
    Feature.objects.filter(key="snils").update(active=False)  # as another process would: no signal here
    assert "snils" in [f.key for f in active_features()]  # still the copy read a moment ago
    cache_on.now += 2.5
    assert [f.key for f in active_features()] == [k for k in keys if k != "snils"]


def test_a_change_in_this_process_is_seen_at_once(configured, cache_on, answers):
    assert validate_answers({**answers, "child_count": 15})[1] == {}  # within the field's bounds (0–20)
    feature = Feature.objects.get(key="child_count")
    feature.max_value = 10
    feature.save()
    assert "child_count" in validate_answers({**answers, "child_count": 15})[1]


def test_a_bank_edited_in_this_process_scores_with_its_new_terms_at_once(models_ready, cache_on):
    _loaded, banks = runtime.load_models_and_banks()
    bank = Bank.objects.get(code="bank_a")
    bank.annual_rate = 31.5
    bank.save()
    _loaded, banks = runtime.load_models_and_banks()
    assert float(banks["bank_a"].annual_rate) == 31.5


def test_a_deactivated_model_is_dropped_at_once(models_ready, cache_on):
    loaded = runtime.load_models()
    assert "bank_e" in loaded.versions
    version = ModelVersion.objects.get(bank__code="bank_e", active=True)
    version.active = False
    version.save()
    assert "bank_e" not in runtime.load_models().versions


def test_without_a_period_every_call_reads(configured, settings, django_assert_num_queries):
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_CACHE_SECONDS": 0}
    active_features()
    with django_assert_num_queries(1):
        active_features()


def test_permissions_are_read_once_within_the_period(officer, cache_on, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(pk=officer.pk).has_perm("scoring.add_application")
    with django_assert_num_queries(1):  # the user row only
        assert get_user_model().objects.get(pk=officer.pk).has_perm("scoring.add_application")


def test_a_role_taken_away_in_this_process_is_gone_at_once(officer, cache_on):
    from django.contrib.auth import get_user_model

    from scoring.accounts import roles

    assert roles.can_submit(get_user_model().objects.get(pk=officer.pk))
    officer.groups.clear()  # the admin's change: a signal in this process
    assert not roles.can_submit(get_user_model().objects.get(pk=officer.pk))


def test_a_role_taken_away_elsewhere_is_gone_when_the_period_is_over(officer, cache_on):
    from django.contrib.auth import get_user_model

    from scoring.accounts import roles

    assert roles.can_submit(get_user_model().objects.get(pk=officer.pk))
    get_user_model().groups.through.objects.filter(user_id=officer.pk).delete()  # no signal, as elsewhere
    assert roles.can_submit(get_user_model().objects.get(pk=officer.pk))
    cache_on.now += 2.5
    assert not roles.can_submit(get_user_model().objects.get(pk=officer.pk))


def test_a_deactivated_user_is_refused_at_once(officer, cache_on):
    from django.contrib.auth import get_user_model

    from scoring.accounts import roles

    assert roles.can_submit(get_user_model().objects.get(pk=officer.pk))
    get_user_model().objects.filter(pk=officer.pk).update(is_active=False)  # no signal: the row says it
    assert not roles.can_submit(get_user_model().objects.get(pk=officer.pk))


def test_an_api_token_is_looked_up_once_within_the_period_and_refused_at_once_when_revoked(
        configured, cache_on, officer, django_assert_num_queries):
    from rest_framework.test import APIClient

    from scoring.models import ApiToken

    token, key = ApiToken.issue(officer)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/banks/").status_code == 200
    with django_assert_num_queries(2):  # the banks and their models; the token, its user and permissions are kept
        assert api.get("/api/v1/banks/").status_code == 200
    token.delete()  # revoked in this process: refused at once
    assert api.get("/api/v1/banks/").status_code == 401


def test_a_disabled_user_is_refused_at_once_and_a_new_token_works_at_once(configured, cache_on, officer):
    from rest_framework.test import APIClient

    from scoring.models import ApiToken

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-issued-yet")
    assert api.get("/api/v1/banks/").status_code == 401  # a token not found is not kept...
    _token, key = ApiToken.issue(officer)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/banks/").status_code == 200  # ...so one issued a moment later works
    officer.is_active = False
    officer.save()
    assert api.get("/api/v1/banks/").status_code == 401


def test_a_token_revoked_elsewhere_is_refused_when_the_period_is_over(configured, cache_on, officer):
    from rest_framework.test import APIClient

    from scoring.models import ApiToken

    token, key = ApiToken.issue(officer)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/banks/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(key_hash="0" * 64)  # as another process would: no signal here
    assert api.get("/api/v1/banks/").status_code == 200  # within the period: the copy read a moment ago
    cache_on.now += 2.5
    assert api.get("/api/v1/banks/").status_code == 401


def test_a_callback_url_set_in_this_process_is_seen_at_once_and_elsewhere_after_the_period(
        officer, cache_on, django_assert_num_queries):
    from scoring import selectors
    from scoring.models import ApiClient

    assert officer.pk not in selectors.users_with_callback()
    client = ApiClient.objects.create(user=officer, callback_url="https://bank.example/hook")
    assert officer.pk in selectors.users_with_callback()  # saved here: the kept set was cleared
    with django_assert_num_queries(0):
        selectors.users_with_callback()
    ApiClient.objects.filter(pk=client.pk).update(callback_url="")  # as another process would: no signal
    assert officer.pk in selectors.users_with_callback()
    cache_on.now += 2.5
    assert officer.pk not in selectors.users_with_callback()
