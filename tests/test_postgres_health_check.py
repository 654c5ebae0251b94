"""The PostgreSQL backend's health check (prescoring/postgresql/base.py): an idle connection is
checked without a statement; one the server has ended is found unusable and replaced before the
request's first query; inside a transaction Django's SELECT 1 still decides."""
import psycopg
import pytest
from django.db import close_old_connections, connection, transaction

from tests.faultproc import wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor == "sqlite", reason="PostgreSQL's backend: run by .ci/run's second pass"),
]


def _other_connection():
    settings = connection.settings_dict
    return psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or None,
                           port=settings["PORT"] or None, password=settings["PASSWORD"] or None,
                           autocommit=True)


def _last_statement(pid: int) -> str | None:
    """What the backend `pid` ran last (pg_stat_activity), or None once it has exited."""
    with _other_connection() as other:
        row = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return None if row is None else row[0]


def _our_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_settings_use_the_projects_backend():
    assert connection.settings_dict["ENGINE"] == "prescoring.postgresql"
    assert connection.health_check_enabled


def test_an_idle_connection_is_found_usable_without_a_statement():
    pid = _our_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement before the check'")
    assert connection.is_usable()
    assert _last_statement(pid) == "SELECT 'the last statement before the check'"


def test_a_connection_the_server_ended_is_replaced_before_the_next_query():
    pid = _our_pid()
    close_old_connections()  # as at the start of a request or a task: the next query checks first
    with _other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_for(lambda: _last_statement(pid) is None, 10, "the ended backend to exit")

    assert not connection.is_usable()
    # The request's first query: Django's health check closes the ended connection and opens another.
    assert _our_pid() != pid


def test_inside_a_transaction_the_check_runs_a_statement():
    with transaction.atomic():
        pid = _our_pid()
        assert connection.is_usable()
        assert _last_statement(pid) == "SELECT 1"
