"""The admin in grammatical Russian: the product's name in the header, titles and messages with each
model's name in the right case and gender, counts in words, human labels instead of codes, thresholds
as percentages, times in the configured zone."""
import re
from datetime import UTC, datetime

import pytest
from admin_post import change_page_post
from django.utils import translation
from django.utils.translation import ngettext_lazy

from scoring.admin import count_of
from scoring.models import AuditEntry, Bank, Feature, ModelVersion, TrainingRun


def text_of(response) -> str:
    """The page's visible text: tags dropped, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def superuser_client(client_as, admin_user, configured):
    return client_as(admin_user)


def test_the_header_and_the_window_title_name_the_product(admin_client):
    page = admin_client.get("/admin/")
    text = page.content.decode()
    assert '<div id="site-name"><a href="/admin/">Прескоринг</a></div>' in text
    assert re.search(r"<title>[^<]*\| Прескоринг</title>", text)
    assert "Django" not in text_of(page)


def test_the_header_is_in_english_on_english_pages(admin_client):
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    text = admin_client.get("/admin/").content.decode()
    assert '<a href="/admin/">Prescoring</a>' in text and "Django administration" not in text


BANKS = ngettext_lazy("%(count)s банк", "%(count)s банков", "n")  # the bank admin's own entry


@pytest.mark.parametrize(("count", "words"), [(1, "1 банк"), (2, "2 банка"), (4, "4 банка"), (5, "5 банков"),
                                              (11, "11 банков"), (12, "12 банков"), (21, "21 банк"),
                                              (22, "22 банка"), (111, "111 банков"), (0, "0 банков")])
def test_counts_take_the_russian_plural(count, words):
    """The forms come from locale/ru (Russian is the source language, its msgids have two forms)."""
    with translation.override("ru"):
        assert count_of(count, BANKS) == words
    with translation.override("en"):
        assert count_of(count, BANKS) == words.split()[0] + (" bank" if count == 1 else " banks")


@pytest.mark.parametrize(("url", "title"), [
    ("/admin/scoring/bank/", "Выберите банк для изменения"),
    ("/admin/scoring/modelversion/", "Выберите версию модели для изменения"),
    ("/admin/scoring/feature/", "Выберите поле анкеты для изменения"),
    ("/admin/scoring/trainingrun/", "Выберите обучение моделей для просмотра"),
    ("/admin/scoring/auditentry/", "Выберите запись журнала для просмотра"),
    ("/admin/scoring/bank/add/", "Добавить банк"),
    ("/admin/auth/group/add/", "Добавить группу"),
    ("/admin/auth/user/add/", "Добавить пользователя"),
    ("/admin/scoring/client/add/", "Добавить клиента"),
    ("/admin/scoring/apiclient/add/", "Добавить клиента API"),
])
def test_page_titles_put_the_models_name_in_the_right_case(superuser_client, models_ready, url, title):
    page = superuser_client.get(url)
    assert page.status_code == 200
    assert page.context["title"] == title
    assert f"<h1>{title}</h1>" in page.content.decode()


def test_the_change_and_view_pages_are_titled_in_the_right_case(superuser_client, models_ready):
    version = ModelVersion.objects.first()
    assert superuser_client.get(f"/admin/scoring/modelversion/{version.pk}/change/").context["title"] == \
        "Изменить версию модели"
    entry = AuditEntry.objects.first()
    assert superuser_client.get(f"/admin/scoring/auditentry/{entry.pk}/change/").context["title"] == \
        "Просмотр записи журнала"
    # In English the genitive is its own entry (context «родительный падеж»), not the plural name that
    # shares its Russian spelling («заявки», «поля анкеты»).
    superuser_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert superuser_client.get(f"/admin/scoring/auditentry/{entry.pk}/change/").context["title"] == \
        "View log entry"
    run = TrainingRun.objects.create(source="synthetic", bank_codes=[])
    assert superuser_client.get(f"/admin/scoring/trainingrun/{run.pk}/change/").context["title"] == \
        "View training run"


def test_the_lists_count_in_words(admin_client, models_ready):
    assert "5 банков" in text_of(admin_client.get("/admin/scoring/bank/"))
    assert "5 версий модели" in text_of(admin_client.get("/admin/scoring/modelversion/"))
    assert Feature.objects.count() == 16
    assert "16 полей анкеты" in text_of(admin_client.get("/admin/scoring/feature/"))
    one = text_of(admin_client.get("/admin/scoring/bank/", {"q": "bank_a"}))
    assert "1 банк " in one and "1 банки" not in one


def test_adding_a_field_says_it_was_added_in_the_neuter(admin_client):
    data = {"key": "car_owner", "label": "Есть автомобиль", "type": "boolean", "order": "500", "active": "on"}
    response = admin_client.post("/admin/scoring/feature/add/", data, follow=True)
    assert messages_of(response) == ["Поле анкеты «Есть автомобиль» добавлено."]


def test_adding_a_group_says_it_was_added_in_the_feminine(superuser_client):
    response = superuser_client.post("/admin/auth/group/add/", {"name": "Проверяющие", "_continue": "1"}, follow=True)
    assert messages_of(response) == ["Группа «Проверяющие» добавлена. Ниже можно продолжить правку."]


def test_changing_a_bank_says_it_was_changed(admin_client):
    bank = Bank.objects.get(code="bank_a")
    url = f"/admin/scoring/bank/{bank.pk}/change/"
    response = admin_client.post(url, {**change_page_post(admin_client, url), "name": "Банк А+"}, follow=True)
    assert messages_of(response) == ["Банк «Банк А+» изменён."]


def test_deleting_a_field_says_it_was_deleted(admin_client):
    feature = Feature.objects.create(key="car_owner", label="Есть автомобиль", type="boolean", order=500)
    response = admin_client.post(f"/admin/scoring/feature/{feature.pk}/delete/", {"post": "yes"}, follow=True)
    assert messages_of(response) == ["Поле анкеты «Есть автомобиль» удалено."]


def test_the_delete_page_asks_in_the_accusative(admin_client):
    feature = Feature.objects.create(key="car_owner", label="Есть автомобиль", type="boolean", order=500)
    text = text_of(admin_client.get(f"/admin/scoring/feature/{feature.pk}/delete/"))
    assert "Вы уверены, что хотите удалить поле анкеты «Есть автомобиль»?" in text


def test_deleting_selected_groups_counts_them_in_words(superuser_client):
    from django.contrib.auth.models import Group

    Group.objects.filter(name__startswith="Группа").delete()
    groups = [Group.objects.create(name=f"Группа {i}") for i in range(3)]
    selected = {"action": "delete_selected", "_selected_action": [g.pk for g in groups]}
    confirmation = superuser_client.post("/admin/auth/group/", selected)
    assert "Вы уверены, что хотите удалить выбранное (3 группы)?" in text_of(confirmation)
    assert "Удалить выбранное" in text_of(superuser_client.get("/admin/auth/group/"))
    done = superuser_client.post("/admin/auth/group/", {**selected, "post": "yes"}, follow=True)
    assert messages_of(done) == ["Удалено: 3 группы."]
    assert not Group.objects.filter(pk__in=[g.pk for g in groups]).exists()


def test_saving_the_field_list_counts_the_changed_fields_in_words(admin_client):
    features = list(admin_client.get("/admin/scoring/feature/").context["cl"].result_list)
    data = {"_save": "Сохранить", "form-TOTAL_FORMS": str(len(features)), "form-INITIAL_FORMS": str(len(features)),
            "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000"}
    for i, feature in enumerate(features):
        data[f"form-{i}-id"] = feature.pk
        data[f"form-{i}-order"] = feature.order + (1 if i < 2 else 0)  # two fields change
    response = admin_client.post("/admin/scoring/feature/", data, follow=True)
    assert messages_of(response) == ["Изменено: 2 поля анкеты."]


def test_the_audit_log_shows_actions_and_object_types_in_words(admin_client):
    AuditEntry.objects.create(action="view_personal_data", object_type="scoring.client", object_id="1")
    text = text_of(admin_client.get("/admin/scoring/auditentry/"))
    for label in ("Загрузка настроек", "Просмотр персональных данных", "Банк", "Поле анкеты", "Клиент"):
        assert label.lower() in text.lower()
    for code in ("load_config", "view_personal_data", "scoring.bank", "scoring.client"):
        assert code not in text


def test_field_types_are_shown_in_words(admin_client):
    text = text_of(admin_client.get("/admin/scoring/feature/"))
    assert "выбор из списка" in text and "целое число" in text
    assert not re.search(r"\b(choice|integer|boolean)\b", text)


def test_the_quality_gate_is_shown_in_words(admin_client, models_ready):
    version = ModelVersion.objects.first()
    ModelVersion.objects.filter(pk=version.pk).update(metrics={
        "auc": 0.51, "auc_ci_low": 0.48, "auc_ci_high": 0.54,
        "quality_gate": "AUC 0.510 [0.480, 0.540] — no better than chance; not activated"})
    text = text_of(admin_client.get("/admin/scoring/modelversion/"))
    assert "AUC 0,510 [0,480; 0,540] — не лучше случайного угадывания; не активирована" in text
    assert "not activated" not in text


def test_the_threshold_is_shown_and_edited_as_a_percentage(admin_client):
    Bank.objects.filter(code="bank_a").update(approval_threshold=0.525)
    bank = Bank.objects.get(code="bank_a")
    assert "52,5 %" in text_of(admin_client.get("/admin/scoring/bank/"))
    url = f"/admin/scoring/bank/{bank.pk}/change/"
    page = admin_client.get(url)
    assert 'name="approval_threshold" value="52,5"' in page.content.decode()
    assert "Порог одобрения, %" in text_of(page)
    data = change_page_post(admin_client, url)
    assert admin_client.post(url, {**data, "approval_threshold": "55"}).status_code == 302
    bank.refresh_from_db()
    assert bank.approval_threshold == 0.55


@pytest.mark.parametrize(("typed", "error"), [("150", "от 0 до 100 %"), ("0,5 доли", "Введите число процентов")])
def test_a_bad_threshold_gets_a_field_error(admin_client, typed, error):
    bank = Bank.objects.get(code="bank_a")
    before = bank.approval_threshold
    url = f"/admin/scoring/bank/{bank.pk}/change/"
    response = admin_client.post(url, {**change_page_post(admin_client, url), "approval_threshold": typed})
    assert response.status_code == 200
    assert error in " ".join(response.context["adminform"].form.errors["approval_threshold"])
    assert f'name="approval_threshold" value="{typed}"' in response.content.decode()  # kept to be corrected
    bank.refresh_from_db()
    assert bank.approval_threshold == before


def test_times_are_shown_in_the_configured_zone(admin_client, administrator, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    run = TrainingRun.objects.create(source="synthetic", started_by=administrator)
    TrainingRun.objects.filter(pk=run.pk).update(created_at=datetime(2026, 1, 5, 21, 30, tzinfo=UTC))
    text = text_of(admin_client.get("/admin/scoring/trainingrun/"))
    assert "6 января 2026 г. 0:30" in text and "21:30" not in text


def test_no_admin_page_names_a_command_or_a_setting(superuser_client, models_ready):
    for url in ("/admin/", "/admin/scoring/bank/", "/admin/scoring/feature/", "/admin/scoring/modelversion/",
                "/admin/scoring/modelversion/train/", "/admin/scoring/importbatch/", "/admin/scoring/trainingrun/",
                "/admin/scoring/apitoken/add/", "/admin/scoring/importbatch/upload/"):
        page = superuser_client.get(url)
        assert page.status_code == 200, url
        assert "manage.py" not in text_of(page) and "PRESCORING_" not in text_of(page), url
