"""The questionnaire as the Feature table defines it: reading it and validating answers.

One validator serves the officer's form and the API, so a value is accepted or refused the same
way, with the same Russian message, whichever door it comes through. A lender's history is read
with the same parsers (parse_value) but judged by scoring/services/history.py's rules.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from scoring.engine.dates import parse_date
from scoring.engine.formatting import format_number
from scoring.models import Feature
from scoring.services import config_cache

REQUIRED = "Обязательное поле."
# NUL and the other C0 controls but tab and line breaks, and UTF-16 surrogates (JSON "\ud800").
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# One comma or point before three digits (70,000; 70.000): thousands in an English or a German export,
# or a decimal comma or point (70)? Read either way, a thousandfold error in an income goes unnoticed,
# so it is refused with both readings. ("70.000" was read as 70.)
_ONE_SEPARATOR_GROUP = re.compile(r"([1-9]\d{0,2})[,.](\d{3})")
_TRUE = {"1", "true", "yes", "да", "on", "1.0"}
_FALSE = {"0", "false", "no", "нет", "off", "0.0"}


def active_features() -> list[Feature]:
    """The questionnaire's fields in their order (read through the per-process configuration cache)."""
    return list(config_cache.cached("active_features", lambda: list(
        Feature.objects.filter(active=True).order_by("order", "id"))))


def _is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str) and not value.strip():
        return True
    return isinstance(value, float) and math.isnan(value)


def _parse_number(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        number = Decimal(text)
    if not number.is_finite():
        raise ValueError
    return number


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years from birth to day."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _fmt(number: float) -> str:
    """A field's bound in a message, the same in every language: 1000000 -> '1 000 000', 0.5 -> '0.5'."""
    return format_number(number, ".0f" if float(number).is_integer() else "", separator=" ")


def parse_value(feature: Feature, value):
    """The stored form of one non-empty answer by its field's type alone (no bounds, no choice list):
    the parsing every door shares. ValueError with the officer's message when it is not of that type."""
    kind = feature.type
    if isinstance(value, (dict, list, tuple)):
        raise ValueError(_("Ожидается одно значение, а не объект или список."))  # was stored as its repr
    if isinstance(value, str) and _UNSTORABLE.search(value):
        # A NUL cannot be stored by PostgreSQL and a lone surrogate cannot be encoded as UTF-8.
        raise ValueError(_("Недопустимые символы в ответе."))
    if kind in ("number", "integer"):
        grouped = _ONE_SEPARATOR_GROUP.fullmatch(value.strip()) if isinstance(value, str) else None
        if grouped:
            whole, part = grouped.groups()
            fraction = part.rstrip("0")  # 70,000 -> 70; 1,250 -> 1,25
            raise ValueError(_("«%(value)s» можно прочитать и как %(decimal)s, и как %(thousands)s: тысячи отделяйте "
                               "пробелом, дробную часть — запятой.")
                             % {"value": grouped[0], "thousands": f"{whole} {part}",
                                "decimal": f"{whole},{fraction}" if fraction else whole})
        try:
            number = _parse_number(value)
        except (ValueError, InvalidOperation, TypeError):
            raise ValueError(_("Введите число.") if kind == "number" else _("Введите целое число."))
        if kind == "integer" and number != number.to_integral_value():
            raise ValueError(_("Введите целое число."))
        if number == number.to_integral_value():
            return int(number)
        return float(number)
    if kind == "choice":
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(_("Укажите «да» или «нет»."))
    if kind == "date":
        try:
            return parse_date(value).isoformat()
        except (ValueError, TypeError):
            raise ValueError(_("Введите дату в формате ГГГГ-ММ-ДД."))
    if kind == "text":
        return " ".join(str(value).split())
    raise ValueError(_("Неизвестный тип поля."))


def check_value(feature: Feature, stored, today: dt.date) -> None:
    """Raise ValueError with the officer's message when a parsed answer (parse_value's) is outside its
    field's choices or bounds, or a date is after today or gives an age outside min_age/max_age."""
    kind = feature.type
    if kind in ("number", "integer"):
        number = Decimal(str(stored))
        if feature.min_value is not None and number < Decimal(str(feature.min_value)):
            raise ValueError(_("Значение должно быть не меньше %(v)s.") % {"v": _fmt(feature.min_value)})
        if feature.max_value is not None and number > Decimal(str(feature.max_value)):
            raise ValueError(_("Значение должно быть не больше %(v)s.") % {"v": _fmt(feature.max_value)})
    elif kind == "choice":
        allowed = [v for v, _label in feature.choice_pairs()]
        if stored not in allowed:
            raise ValueError(_("Выберите один из вариантов: %(v)s.") % {"v": ", ".join(allowed)})
    elif kind == "date":
        day = parse_date(stored)
        if day > today:
            raise ValueError(_("Дата не может быть в будущем."))
        age = age_on(day, today)
        if feature.min_age is not None and age < feature.min_age:
            raise ValueError(_("Возраст клиента должен быть не меньше %(v)s лет.") % {"v": feature.min_age})
        if feature.max_age is not None and age > feature.max_age:
            raise ValueError(_("Возраст клиента должен быть не больше %(v)s лет.") % {"v": feature.max_age})
    elif kind == "text":
        if feature.max_length and len(stored) > feature.max_length:
            raise ValueError(_("Не длиннее %(v)s символов.") % {"v": feature.max_length})


def clean_value(feature: Feature, value, today: dt.date):
    """Return the stored form of one answer, or raise ValueError with a message for the officer."""
    stored = parse_value(feature, value)
    check_value(feature, stored, today)
    return stored


def validate_answers(raw: dict, features: list[Feature] | None = None, *, today: dt.date | None = None,
                     allow_unknown: bool = False) -> tuple[dict, dict[str, list[str]]]:
    """Validate a questionnaire against the active fields.

    Returns (answers, errors): answers holds every active field's stored value (None where an
    optional field is empty); errors maps a field key to its messages. Either errors is empty or
    answers must not be stored.
    """
    features = active_features() if features is None else features
    today = today or timezone.localdate()
    answers: dict = {}
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, dict):
        return {}, {"non_field_errors": [_("Ожидается объект с ответами анкеты.")]}
    known = {f.key for f in features}
    if not allow_unknown:
        for key in raw:
            if key not in known:
                errors[str(key)] = [_("Неизвестное поле анкеты.")]
    for feature in features:
        value = raw.get(feature.key)
        if _is_blank(value):
            if feature.required:
                errors[feature.key] = [_(REQUIRED)]
            answers[feature.key] = None
            continue
        try:
            answers[feature.key] = clean_value(feature, value, today)
        except ValueError as exc:
            errors[feature.key] = [str(exc)]
    _check_job_start(answers, errors)
    return answers, errors


def _check_job_start(answers: dict, errors: dict) -> None:
    """A job cannot start before the client's 16th birthday."""
    if "job_start_date" in errors:
        return
    problem = job_start_problem(answers)
    if problem:
        errors["job_start_date"] = [problem]


def job_start_problem(answers: dict) -> str | None:
    """The message when stored answers have the job starting before the client's 16th birthday, else None."""
    birth, start = answers.get("birth_date"), answers.get("job_start_date")
    if not birth or not start:
        return None
    birth_day, start_day = parse_date(birth), parse_date(start)
    if age_on(birth_day, start_day) < 16:
        return _("Дата начала работы должна быть не раньше 16-летия клиента.")
    return None
