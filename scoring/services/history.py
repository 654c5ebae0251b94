"""Reading the answers of a lender's history: the questionnaire's parsers, history's rules.

A history is what it is: the banks decided on those rows. So, unlike the officer's form
(questionnaire.validate_answers), nothing here refuses a row:
- a value its field's type cannot read (`много` for a number, `1988-13-45` for a date) is stored
  as missing (None) and flagged; dates may be ISO or day first (`21.07.1988`, `21/07/1988`);
- an implausible value (a number outside min/max, an age outside min_age/max_age on the decision
  day, a date after the decision day, a text over max_length, a job started before the 16th
  birthday) is kept as read and flagged;
- a choice outside the questionnaire's values is kept as its text, an unseen category (the
  encoder reads it as none of the known values), flagged and counted;
- an empty required field is missing, and flagged, since the form would never have produced it.
Missing-value markers (`NULL`, ...) have already become None in the CSV reader.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from scoring.engine.dates import parse_date, parse_day
from scoring.models import Feature
from scoring.services.questionnaire import _is_blank, check_value, job_start_problem, parse_value

# How much of a value a flag quotes.
QUOTED_CHARS = 60


@dataclass
class HistoryAnswers:
    """One history row's answers as stored, and what looked odd in them.

    answers: every field's stored value (None where missing or unreadable).
    flags: field key -> messages quoting the value, as stored on HistoricalApplication.flags.
    reasons: (field key, message without the value), one per flag: what the import report counts.
    unseen: field key -> the choice value not among the questionnaire's.
    """

    answers: dict = field(default_factory=dict)
    flags: dict[str, list[str]] = field(default_factory=dict)
    reasons: list[tuple[str, str]] = field(default_factory=list)
    unseen: dict[str, str] = field(default_factory=dict)

    def flag(self, key: str, reason: str, message: str) -> None:
        self.flags.setdefault(key, []).append(message)
        self.reasons.append((key, reason))


def quoted(value) -> str:
    text = str(value)
    return text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS - 1] + "…"


def validate_history(raw: dict, features: list[Feature], *, decided_on: dt.date) -> HistoryAnswers:
    """Read one history row's answers (feature key -> text or None) with history's rules (module doc).

    decided_on: the day the banks decided on the row; ages are counted to it and no date may be
    after it (a later date is kept and flagged). Keys of raw that are not fields are ignored.
    """
    result = HistoryAnswers()
    for feature in features:
        value = raw.get(feature.key)
        if _is_blank(value):
            result.answers[feature.key] = None
            if feature.required:
                message = _("Обязательное поле пусто: сохранено как пропуск.")
                result.flag(feature.key, message, message)
            continue
        if feature.type == "date" and isinstance(value, str):
            try:  # exports write dates day first too (21.07.1988): read as the same day
                value = parse_day(value).isoformat()
            except ValueError:
                pass  # parse_value says why it is not a date
        try:
            stored = parse_value(feature, value)
        except ValueError as exc:
            result.answers[feature.key] = None
            result.flag(feature.key,
                        _("Значение не прочитано (%(error)s): сохранено как пропуск.") % {"error": exc},
                        _("Значение «%(value)s» не прочитано (%(error)s): сохранено как пропуск.")
                        % {"value": quoted(value), "error": exc})
            continue
        result.answers[feature.key] = stored
        if feature.type == "choice" and stored not in {v for v, _label in feature.choice_pairs()}:
            result.unseen[feature.key] = stored
            result.flag(feature.key,
                        _("Значения нет среди вариантов анкеты: сохранено как новая категория."),
                        _("Значения «%(value)s» нет среди вариантов анкеты: сохранено как новая категория.")
                        % {"value": quoted(stored)})
            continue
        if feature.type == "date" and parse_date(stored) > decided_on:
            problem = _("Дата позже дня решения банков.")
        else:
            try:
                check_value(feature, stored, decided_on)
                continue
            except ValueError as exc:
                problem = str(exc)
        _flag_implausible(result, feature.key, problem, stored)
    problem = job_start_problem(result.answers)
    if problem and "job_start_date" not in result.flags:
        _flag_implausible(result, "job_start_date", problem, result.answers["job_start_date"])
    return result


def _flag_implausible(result: HistoryAnswers, key: str, problem: str, stored) -> None:
    result.flag(key, _("%(problem)s Значение сохранено.") % {"problem": problem},
                _("%(problem)s Значение «%(value)s» сохранено.") % {"problem": problem, "value": quoted(stored)})
