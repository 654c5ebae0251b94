"""A page open longer than its session: the server says so in a way the page can act on, and the page
keeps what was typed (the browser's side: tests/test_browser_session.py)."""
import json

from django.test import Client
from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_an_htmx_request_without_a_session_gets_a_401_not_the_login_page(client, configured):
    check = reverse("scoring:application_check_field", args=["loan_amount"])
    response = client.post(check, {"loan_amount": "50000"}, **HTMX)
    assert response.status_code == 401
    assert "Location" not in response and response["WWW-Authenticate"].startswith("Session")
    assert response.content.decode() == "Сессия закончилась: войдите снова."
    english = client.get(reverse("scoring:application_list") + "?q=x", HTTP_ACCEPT_LANGUAGE="en", **HTMX)
    assert english.status_code == 401 and english.content.decode() == "Your session has ended: sign in again."


def test_a_page_without_a_session_is_still_sent_to_the_login_page(client):
    response = client.get(reverse("scoring:application_new"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=" + reverse("scoring:application_new")


def test_the_session_question_answers_whether_the_user_is_signed_in(client, officer):
    answer = client.get(reverse("session"))
    assert answer.status_code == 200 and answer.json() == {"authenticated": False}
    assert "no-store" in answer["Cache-Control"]
    client.force_login(officer)
    answer = client.get(reverse("session")).json()
    assert answer["authenticated"] is True and len(answer["csrf_token"]) == 64
    assert set(answer) == {"authenticated", "csrf_token"}  # nothing about the user
    assert client.post(reverse("session")).status_code == 405


def test_the_token_it_gives_is_the_one_a_form_needs_after_signing_in_again(officer, configured):
    """Signing in renews the CSRF token: a form with the page's old one is refused, with the token the
    session question gives it is accepted."""
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("login"))
    old_token = browser.cookies["csrftoken"].value
    signed_in = browser.post(reverse("login"), {"username": "officer1", "password": "pw-officer1",
                                               "csrfmiddlewaretoken": old_token})
    assert signed_in.status_code == 302
    check = reverse("scoring:application_check_field", args=["loan_amount"])
    refused = browser.post(check, {"loan_amount": "50000", "csrfmiddlewaretoken": old_token}, **HTMX)
    assert refused.status_code == 403
    token = json.loads(browser.get(reverse("session")).content)["csrf_token"]
    accepted = browser.post(check, {"loan_amount": "50000", "csrfmiddlewaretoken": token}, **HTMX)
    assert accepted.status_code == 200 and 'id="field_loan_amount"' in accepted.content.decode()


def test_signing_in_from_the_notice_ends_on_a_page_that_sends_the_officer_back(client, officer):
    assert client.get(reverse("session_resumed")).status_code == 302  # for signed-in users only
    client.force_login(officer)
    page = client.get(reverse("session_resumed")).content.decode()
    assert "Вернитесь на вкладку, где работали" in page


def test_every_signed_in_page_carries_the_notice_and_the_login_page_does_not(client, officer):
    assert 'id="session-ended"' not in client.get(reverse("login")).content.decode()
    client.force_login(officer)
    page = client.get(reverse("scoring:application_list")).content.decode()
    assert 'id="session-ended"' in page and f'data-session-url="{reverse("session")}"' in page
    assert 'role="alert"' not in page  # an alert only once shown: pages are checked for alerts of their own
    assert f'href="{reverse("login")}?next={reverse("session_resumed")}" target="_blank"' in page
