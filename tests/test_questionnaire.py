import datetime as dt

import pytest

from scoring.models import Feature
from scoring.services.questionnaire import validate_answers

TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def features(configured):
    return list(Feature.objects.filter(active=True))


def test_it_accepts_a_questionnaire_in_the_data_vocabulary(features, answers):
    cleaned, errors = validate_answers(answers, features, today=TODAY)
    assert errors == {}
    assert cleaned["loan_term"] == "12"
    assert cleaned["month_profit"] == 145000
    assert cleaned["birth_date"] == "1988-07-21"


def test_it_reports_every_missing_required_field(features):
    _cleaned, errors = validate_answers({}, features, today=TODAY)
    required = {f.key for f in features if f.required}
    assert set(errors) == required
    assert all(messages == ["Обязательное поле."] for messages in errors.values())


def test_it_normalises_legacy_formats(features, answers):
    answers.update({"birth_date": "1988-07-21 00:00:00.0000000", "child_count": 1.0, "loan_term": 12,
                    "snils": "1", "month_profit": "145 000", "position": "  зам   директора "})
    cleaned, errors = validate_answers(answers, features, today=TODAY)
    assert errors == {}
    assert cleaned["birth_date"] == "1988-07-21"
    assert cleaned["child_count"] == 1
    assert cleaned["loan_term"] == "12"
    assert cleaned["snils"] is True
    assert cleaned["month_profit"] == 145000
    assert cleaned["position"] == "зам директора"


@pytest.mark.parametrize("key, value, message", [
    ("loan_term", "7", "Выберите один из вариантов"),
    ("month_profit", "много", "Введите число"),
    ("child_count", 1.5, "Введите целое число"),
    ("child_count", -1, "не меньше 0"),
    ("loan_amount", 5_000_000, "не больше 1 000 000"),
    ("birth_date", "21.07.1988", "ГГГГ-ММ-ДД"),
    ("birth_date", "2015-01-01", "не меньше 18 лет"),
    ("birth_date", "1930-01-01", "не больше 83 лет"),
    ("birth_date", "2030-01-01", "в будущем"),
    ("snils", "может быть", "«да» или «нет»"),
    # A comma before three digits: 70 or 70 000? Either reading would be a thousandfold error.
    ("month_profit", "70,000", "«70,000» можно прочитать и как 70, и как 70 000"),
    ("loan_amount", " 1,250 ", "«1,250» можно прочитать и как 1,25, и как 1 250"),
    ("child_count", "2,000", "и как 2, и как 2 000"),
    # A point before three digits, as a German export groups thousands: it was read as 70.
    ("month_profit", "70.000", "«70.000» можно прочитать и как 70, и как 70 000"),
    ("loan_amount", "1.250", "«1.250» можно прочитать и как 1,25, и как 1 250"),
])
def test_it_explains_a_bad_value_in_russian(features, answers, key, value, message):
    answers[key] = value
    _cleaned, errors = validate_answers(answers, features, today=TODAY)
    assert list(errors) == [key]
    assert message in errors[key][0]


def test_it_rejects_unknown_fields(features, answers):
    answers["salary"] = 1
    _cleaned, errors = validate_answers(answers, features, today=TODAY)
    assert errors == {"salary": ["Неизвестное поле анкеты."]}


def test_it_rejects_a_job_started_before_the_16th_birthday(features, answers):
    answers["job_start_date"] = "2000-01-01"
    _cleaned, errors = validate_answers(answers, features, today=TODAY)
    assert "16-летия" in errors["job_start_date"][0]


def test_optional_fields_may_be_empty(features, answers):
    for key in ("work_experience", "job_start_date", "position", "gender", "snils"):
        answers[key] = None if key != "position" else "   "
    cleaned, errors = validate_answers(answers, features, today=TODAY)
    assert errors == {}
    assert cleaned["work_experience"] is None and cleaned["position"] is None


def test_it_follows_the_feature_table(features, answers):
    Feature.objects.filter(key="position").update(required=True)
    Feature.objects.filter(key="snils").update(active=False)
    answers["position"] = ""
    _cleaned, errors = validate_answers(answers, None, today=TODAY)
    assert errors == {"position": ["Обязательное поле."], "snils": ["Неизвестное поле анкеты."]}


def test_a_configured_english_choice_label_is_shown_on_english_pages():
    from django.utils import translation

    from scoring.models import Feature

    feature = Feature(key="checking", label="Счёт", type="choice",
                      choices=[{"value": "A11", "label": "нет счёта", "label_en": "no account"},
                               {"value": "A12", "label": "до 200 DM"}])
    with translation.override("en"):
        assert feature.display_choice_pairs() == [("A11", "no account"), ("A12", "до 200 DM")]
    with translation.override("ru"):
        assert feature.display_choice_pairs() == [("A11", "нет счёта"), ("A12", "до 200 DM")]


@pytest.mark.parametrize("value, stored", [
    ("70 000,50", 70000.5), ("70,5", 70.5), ("70,50", 70.5), ("0,125", 0.125), ("70,0001", 70.0001),
    ("70 000", 70000), ("70000.000", 70000), (70.0, 70), ("70\u00a0000", 70000), ("70.5", 70.5), ("0.125", 0.125),
    ("70000.50", 70000.5),
])
def test_a_decimal_comma_and_spaces_between_thousands_are_read(features, answers, value, stored):
    answers["month_profit"] = value
    cleaned, errors = validate_answers(answers, features, today=TODAY)
    assert errors == {} and cleaned["month_profit"] == stored
