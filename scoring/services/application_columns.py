"""Copies of a client's name and phone and of some answers, kept in indexed columns of Application.

The applications list searches by name and phone, and the analytics pages filter and group by
store, goods category and cohort, over 100 000 applications and more. Reading the client through
a join or the JSON answers of every row is a scan of the whole table; these columns, with the
indexes on them (migration 0011), are not.

Every path that creates an application fills them with columns_for() (submission.submit_application,
which the batch API and applied suggestions go through, and the benches' bulk_create); migration
0011 filled them for the applications before it. A client's columns follow the client: edited in
the admin (refresh_client_columns), cleared when the client is deleted or erased (the
ERASE_CLIENT rule of Application.client). Roles that see names and phones masked search only
what they see (scoring.selectors: the surname and the initials, never the phone).
"""
from __future__ import annotations

import re

from scoring.services import traits

SEARCH_NAME_MAX_LENGTH = 200
PHONE_DIGITS_MAX_LENGTH = 32


def search_name(text: str | None) -> str:
    """The name as searched: lowercase, ё as е, single spaces. 'Пётр  ФЁДОРОВ' -> 'петр федоров'.

    Python folds the case of every alphabet, so SQLite (whose LIKE folds ASCII only) and
    PostgreSQL match Cyrillic in any case once the query is folded the same way.
    """
    folded = " ".join((text or "").split()).lower().replace("ё", "е")
    return folded[:SEARCH_NAME_MAX_LENGTH]


def phone_digits(text: str | None) -> str:
    """The phone's digits alone: '+7 (900) 123-45-67' -> '79001234567'."""
    return re.sub(r"\D", "", text or "")[:PHONE_DIGITS_MAX_LENGTH]


# A Russian number's prefix as officers type it: "+7", or an 8 (or 7) followed by a separator or by the
# number's ten other digits. The same client's number is "+7 900 …" on one application, "8 (900) …" on
# the next; the digits stored are those typed.
_RUSSIAN_PREFIX = re.compile(r"^\s*(?:\+7|[78](?=[\s(\-]|\d{10}\s*$))")


def searched_phone_digits(query: str) -> str:
    """The digits a phone search looks for within the stored ones: a Russian number's +7 or 8 left out,
    so that '+7 900 123-45-67', '8 (900) 123-45-67' and '89001234567' find the client however the
    number was typed when the application was made. '900 123' and '+375 29 …' are searched as they are."""
    prefix = _RUSSIAN_PREFIX.match(query)
    return phone_digits(query[prefix.end():] if prefix else query)


def client_columns(client) -> dict:
    """search_name and phone_digits of a client (empty without one)."""
    if client is None:
        return {"search_name": "", "phone_digits": ""}
    return {"search_name": search_name(client.full_name), "phone_digits": phone_digits(client.phone)}


def answer_columns(answers: dict) -> dict:
    """store, goods_category and cohort, as scoring.services.traits reads them from the answers."""
    answers = answers if isinstance(answers, dict) else {}
    return {"store": traits.store_of(answers), "goods_category": traits.category_of(answers),
            "cohort": traits.cohort_of(answers)}


def columns_for(*, answers: dict, client=None) -> dict:
    """Every copied column of a new application: pass them to Application(...) or objects.create()."""
    return {**client_columns(client), **answer_columns(answers)}


COLUMNS = ("search_name", "phone_digits", "store", "goods_category", "cohort")


def fill(application) -> None:
    """Set the copied columns of an application (a model instance, possibly historical) in place."""
    client = application.client if application.client_id is not None else None
    for name, value in columns_for(answers=application.answers, client=client).items():
        setattr(application, name, value)


def refresh_client_columns(client) -> int:
    """After a client's name or phone changed: their applications' copies again. Returns the row count."""
    from scoring.models import Application

    return Application.objects.filter(client=client).update(**client_columns(client))


def backfill(application_model, *, batch_size: int = 2000) -> int:
    """Fill the copied columns of every application, batch_size rows read at a time; returns the count.

    Rows are read by primary-key ranges rather than through one open cursor, because SQLite has no
    isolation between a cursor and updates on the same connection; each row is then one UPDATE of
    the columns whose value changes (Django's bulk_update builds a CASE per row and
    field, which costs several times more per row in Python). application_model may be the
    migration's historical model.
    """
    updated, last = 0, None
    rows = application_model.objects.select_related("client").only(
        "pk", "answers", "client_id", "client__full_name", "client__phone", *COLUMNS).order_by("pk")
    while True:
        batch = list((rows.filter(pk__gt=last) if last is not None else rows)[:batch_size])
        if not batch:
            return updated
        for application in batch:
            before = {name: getattr(application, name) for name in COLUMNS}
            fill(application)
            changed = {name: getattr(application, name) for name in COLUMNS
                       if getattr(application, name) != before[name]}
            if changed:
                application_model.objects.filter(pk=application.pk).update(**changed)
                updated += 1
        last = batch[-1].pk
