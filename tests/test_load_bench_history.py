"""bench/load.py's history: copies of a scored application, with their scores, put in the database
before the run, and the check afterwards counting only the run's own applications."""
import pytest
from django.db import connection

from scoring.models import Application, BankScore
from tests import helpers


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor == "sqlite", reason="the bench's PostgreSQL SQL: run by .ci/run's second pass"),
]


@pytest.fixture(scope="module")
def load_bench():
    return helpers.load_bench("load")


def _database_url() -> str:
    settings = connection.settings_dict
    return (f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
            f"/{settings['NAME']}")


def test_history_copies_a_scored_application_and_the_check_ignores_it(load_bench, scored):
    banks = BankScore.objects.filter(application=scored).count()
    assert scored.status == "done" and banks > 0

    since = load_bench.seed_history(_database_url(), 7)

    assert since == scored.created_at  # the run's applications start with the warm-up's first one
    history = Application.objects.exclude(pk=scored.pk)
    assert history.count() == 7
    assert len({a.answers_hash for a in history}) == 7 and scored.answers_hash not in {a.answers_hash for a in history}
    assert all(a.created_at < scored.created_at and a.status == "done" and a.answers == scored.answers
               for a in history)
    assert BankScore.objects.filter(application__in=history).count() == 7 * banks

    check = load_bench.database_check(_database_url(), since)
    assert check["applications_stored"] == 1 and check["unfinished"] == 0
    assert check["done_without_one_score_per_bank"] == 0
    assert check["batches"]["count"] == 1


def test_the_check_counts_an_unfinished_application_of_the_run(load_bench, scored):
    since = load_bench.seed_history(_database_url(), 3)
    Application.objects.filter(pk=scored.pk).update(status="queued")

    check = load_bench.database_check(_database_url(), since)
    assert check["applications_stored"] == 1 and check["unfinished"] == 1
