"""API tokens are stored hashed, can expire, and are issued once (issue 16, finding 7)."""
import datetime as dt

from django.utils import timezone
from rest_framework.test import APIClient

from scoring.models import ApiClient, ApiToken, AuditEntry, token_digest
from tests.helpers import run_command


def client_with(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_the_database_holds_no_working_key(officer, db):
    token, key = ApiToken.issue(officer)
    assert client_with(key).get("/api/v1/banks/").status_code == 200
    stored = ApiToken.objects.values_list("key_hash", "prefix").get(pk=token.pk)
    assert stored == (token_digest(key), key[:8]) and key not in stored
    assert client_with(stored[0]).get("/api/v1/banks/").status_code == 401  # the digest is not a key


def test_an_expired_token_is_refused_with_its_reason(officer, db):
    token, key = ApiToken.issue(officer, days=30)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client_with(key).get("/api/v1/banks/")
    assert response.status_code == 401 and "истёк" in response.json()["detail"]


def test_tokens_expire_after_the_configured_days(officer, db, settings):
    settings.PRESCORING_API = {**settings.PRESCORING_API, "TOKEN_DAYS": 10}
    token, _key = ApiToken.issue(officer)
    assert dt.timedelta(days=9) < token.expires_at - timezone.now() <= dt.timedelta(days=10)
    assert ApiToken.issue(officer, days=0)[0].expires_at is None


def test_issue_token_prints_the_key_once_and_replace_revokes_the_rest(officer, db):
    old_token, old_key = ApiToken.issue(officer)
    output = run_command("issue_token", officer.username, "--replace", "--days", "7")
    key = output.split()[2]
    assert client_with(key).get("/api/v1/banks/").status_code == 200
    assert client_with(old_key).get("/api/v1/banks/").status_code == 401
    assert list(ApiToken.objects.filter(user=officer).values_list("key_hash", flat=True)) == [token_digest(key)]
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {"issue_token", "revoke_token"}


def test_the_admin_issues_a_token_shown_once(admin_client, officer):
    response = admin_client.post("/admin/scoring/apitoken/add/", {"user": officer.pk, "name": "CRM", "days": "5"},
                                 follow=True)
    shown = [str(m) for m in response.context["messages"]]
    key = next(m for m in shown if "скопируйте" in m).split(": ")[1].split(" ")[0]
    assert client_with(key).get("/api/v1/banks/").status_code == 200
    assert key not in admin_client.get("/admin/scoring/apitoken/").content.decode()


def test_api_client_changes_are_audited_without_the_secret(admin_client, officer):
    admin_client.post("/admin/scoring/apiclient/add/", {"user": officer.pk, "callback_url": "",
                                                        "secret": "very-secret-value-123"})
    client = ApiClient.objects.get(user=officer)
    entry = AuditEntry.objects.get(action="create", object_type="scoring.apiclient")
    assert entry.object_id == str(client.pk)
    assert "very-secret-value-123" not in str(entry.after)


def test_each_request_gets_its_own_copy_of_the_kept_token_and_user(officer, db, settings, monkeypatch):
    from scoring.api.authentication import HashedTokenAuthentication
    from scoring.services import config_cache

    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_CACHE_SECONDS": 60, "EVENTS_REDIS_URL": ""}
    config_cache.forget()
    _, key = ApiToken.issue(officer)
    auth = HashedTokenAuthentication()
    first_user, first_token = auth.authenticate_credentials(key)
    first_user.marked_by_this_request = True
    first_user.first_name = "Изменено"
    second_user, second_token = auth.authenticate_credentials(key)  # from the process's copy, no query
    assert second_user is not first_user and second_token is not first_token
    assert not hasattr(second_user, "marked_by_this_request") and second_user.first_name == officer.first_name
    assert second_token.user is second_user and first_token.user is first_user
    assert second_user.pk == officer.pk and second_token.pk == first_token.pk
    assert second_user._state is not first_user._state and not second_user._state.adding
    config_cache.forget()


def test_a_key_sent_as_a_bearer_token_is_taken(officer, db):
    """Most HTTP libraries send a token as `Authorization: Bearer` (RFC 6750); it was answered
    "Учетные данные не были предоставлены" about a key that was there."""
    _token, key = ApiToken.issue(officer)
    for header in (f"Bearer {key}", f"bearer {key}", f"Token {key}", f"TOKEN {key}"):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=header)
        assert api.get("/api/v1/banks/").status_code == 200, header
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key[:-1]}x")
    response = api.get("/api/v1/banks/")
    assert response.status_code == 401 and response.json()["detail"] == "Недействительный токен."


def test_a_scheme_without_one_key_after_it_is_refused_by_name(officer, db):
    for header, scheme in (("Bearer", "Bearer"), ("Token a b", "Token")):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=header)
        response = api.get("/api/v1/banks/")
        assert response.status_code == 401, header
        assert response.json()["detail"] == f"Заголовок Authorization: после «{scheme}» нужен ключ, один, без пробелов."
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Basic b2ZmaWNlcjpwdw==")  # not a scheme of this API: no credentials
    assert api.get("/api/v1/banks/").json()["code"] == "not_authenticated"
