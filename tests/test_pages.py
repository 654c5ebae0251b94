import pytest
from django.urls import reverse

from scoring.models import Application
from scoring.services import runtime, submission


def form_data(answers, **extra):
    data = {k: ("true" if v is True else "false" if v is False else v) for k, v in answers.items()}
    data.update(extra)
    return data


@pytest.mark.parametrize("url", ["/", "/applications/", "/applications/new/",
                                 "/applications/00000000-0000-0000-0000-000000000001/",
                                 "/applications/00000000-0000-0000-0000-000000000001/result/"])
def test_pages_require_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_page_is_public(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "Вход" in response.content.decode()


def test_the_form_is_generated_from_the_feature_table(officer_client, configured):
    from scoring.models import Feature

    Feature.objects.filter(key="position").update(label="Должность по трудовой")
    Feature.objects.filter(key="snils").update(active=False)
    html = officer_client.get(reverse("scoring:application_new")).content.decode()
    assert "Должность по трудовой" in html
    assert 'name="snils"' not in html
    assert 'type="date"' in html and 'name="birth_date"' in html
    assert "Мобильные устройства" in html


def test_it_shows_field_errors_and_keeps_input(officer_client, models_ready, answers):
    answers.update({"month_profit": "много", "birth_date": ""})
    response = officer_client.post(reverse("scoring:application_new"), form_data(answers, full_name="Петров Пётр"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Введите число." in html and "Обязательное поле." in html
    assert 'value="Петров Пётр"' in html and 'value="много"' in html
    assert Application.objects.count() == 0


def test_it_submits_scores_and_shows_the_banks(officer_client, models_ready, answers,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(reverse("scoring:application_new"),
                                       form_data(answers, full_name="Петров Пётр", phone="+7 900 123-45-67"))
    application = Application.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("scoring:application_detail", args=[application.pk])
    html = officer_client.get(response.url).content.decode()
    for name in ("Банк А", "Банк Б", "Банк В", "Банк Г", "Банк Д"):
        assert name in html
    assert "hx-trigger" not in html  # finished: nothing left to poll
    assert application.client.full_name == "Петров Пётр"


def test_the_result_partial_polls_until_done(officer_client, models_ready, answers, officer):
    from scoring.services import runtime, submission

    application, _ = submission.submit_application(officer=officer, answers=answers)  # on_commit not run: queued
    url = reverse("scoring:application_result", args=[application.pk])
    pending = officer_client.get(url, headers={"HX-Request": "true"})
    assert pending.status_code == 200
    assert 'hx-trigger="every' in pending.content.decode() and "в очереди" in pending.content.decode()
    runtime.score_application(application_id=application.pk)
    done = officer_client.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 286  # htmx: stop polling
    html = done.content.decode()
    assert "hx-trigger" not in html and html.count('class="bank ') == 5
    assert "<html" not in html  # a partial, not a page


def test_the_result_shows_a_failure_in_words(officer_client, models_ready, answers, officer):

    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.mark_failed(application_id=application.pk, message="Нет активных моделей")
    html = officer_client.get(reverse("scoring:application_detail", args=[application.pk])).content.decode()
    assert "Не удалось оценить заявку." in html and "Нет активных моделей" in html


def test_an_officer_cannot_see_another_officers_application(officer_client, models_ready, answers, other_officer):

    application, _ = submission.submit_application(officer=other_officer, answers=answers)
    assert officer_client.get(reverse("scoring:application_detail", args=[application.pk])).status_code == 404
    assert officer_client.get(reverse("scoring:application_result", args=[application.pk])).status_code == 404
    assert str(application.pk) not in officer_client.get(reverse("scoring:application_list")).content.decode()


def test_the_list_shows_the_officers_applications(officer_client, models_ready, answers, officer):

    application, _ = submission.submit_application(officer=officer, answers=answers, client={"full_name": "Сидорова Анна"})
    html = officer_client.get(reverse("scoring:application_list")).content.decode()
    assert str(application.pk) in html and "Сидорова Анна" in html


def test_it_rejects_other_methods(officer_client, db):
    assert officer_client.delete(reverse("scoring:application_new")).status_code == 405
    assert officer_client.post(reverse("scoring:application_list")).status_code == 405


def test_health_is_public(client, db):
    response = client.get("/health/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
