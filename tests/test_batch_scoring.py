"""A worker's batch of scoring messages (issue 18): scoring.tasks.score_batch, as the worker's pool runs
it (scoring/batching.py), on the test database of either backend.

The batch must give exactly what scoring each application alone gives, store every application once,
and let one that cannot be scored fail alone with its reason while the rest of its batch is stored.
The worker-side gathering and acknowledgement are tested with real workers (test_real_worker.py,
test_worker_scaleout.py, test_faults.py).
"""
import pytest

from scoring import batching
from scoring.models import Application, BankScore
from scoring.services import runtime, submission
from scoring.services.questionnaire import validate_answers
from scoring.tasks import score_batch

# The test's transaction holds the submissions' commit hooks: nothing is scored until the batch runs.
pytestmark = pytest.mark.django_db

COMPARED = ("probability", "verdict", "reasons", "offer", "suggestions", "base_value", "threshold", "decision",
            "rank")


def cleaned(answers):
    values, errors = validate_answers(answers)
    assert errors == {}
    return values


def varied(answers, count):
    """`count` different questionnaires: amounts, terms, incomes and ages apart."""
    terms = ["6", "12", "18", "24"]
    return [cleaned({**answers, "loan_amount": 20000 + 37000 * i, "loan_term": terms[i % 4],
                     "month_profit": 30000 + 11000 * i, "birth_date": f"{1960 + 3 * i}-05-17"})
            for i in range(count)]


def items(*application_ids, retries=0):
    return [batching.Item((str(pk),), {}, retries, f"task-{n}") for n, pk in enumerate(application_ids)]


def scores_of(application):
    return {s.bank.code: {name: getattr(s, name) for name in COMPARED}
            for s in BankScore.objects.filter(application=application).select_related("bank")}


@pytest.fixture
def submitted(models_ready, officer, django_user_model):
    """Applications stored and queued (the embedded default would score them at commit: no commit hook
    runs here, as with a broker that has not delivered them yet)."""
    def submit(answer_sets, user=officer):
        return [submission.submit_application(officer=user, answers=values)[0] for values in answer_sets]
    return submit


def test_a_batch_stores_what_scoring_each_alone_stores(submitted, answers, django_user_model):
    answer_sets = varied(answers, 7)
    batch = submitted(answer_sets)
    alone = submitted(answer_sets, user=django_user_model.objects.create_user("second-officer"))

    assert score_batch(items(*(a.pk for a in batch))) == [batching.ACK] * 7
    for application in alone:
        runtime.score_application(application_id=application.pk)

    for together, single in zip(batch, alone, strict=True):
        together.refresh_from_db()
        single.refresh_from_db()
        assert together.status == single.status == "done"
        assert together.recommendation == single.recommendation
        assert scores_of(together) == scores_of(single)
        assert len(scores_of(together)) == 5
    # One transaction: the applications of a batch share the moment they were scored.
    assert len({a.scored_at for a in Application.objects.filter(pk__in=[a.pk for a in batch])}) == 1
    assert len({a.scored_at for a in alone}) == 7


def test_an_application_that_cannot_be_scored_fails_alone_and_the_rest_of_its_batch_is_stored(
        submitted, answers):
    batch = submitted(varied(answers, 5))
    # Stored answers that no longer make sense to the models (an income that is a word, as a bad
    # import or a hand edit of the database could leave): the engine raises on it.
    poison = batch[2]
    Application.objects.filter(pk=poison.pk).update(answers={**poison.answers, "month_profit": "сорок тысяч"})

    assert score_batch(items(*(a.pk for a in batch))) == [batching.ACK] * 5

    poison.refresh_from_db()
    assert poison.status == "failed"
    assert poison.error.startswith("Не удалось оценить заявку: ValueError")
    assert not BankScore.objects.filter(application=poison).exists()
    for application in batch[:2] + batch[3:]:
        application.refresh_from_db()
        assert application.status == "done", application.error
        assert BankScore.objects.filter(application=application).count() == 5


def test_a_message_delivered_twice_in_one_batch_and_one_already_done_are_stored_once(submitted, answers):
    first, second = submitted(varied(answers, 2))
    runtime.score_application(application_id=first.pk)
    scored_at = Application.objects.get(pk=first.pk).scored_at

    outcomes = score_batch(items(first.pk, second.pk, second.pk, "00000000-0000-0000-0000-000000000000"))

    assert outcomes == [batching.ACK] * 4
    assert BankScore.objects.filter(application=first).count() == 5
    assert BankScore.objects.filter(application=second).count() == 5
    assert Application.objects.get(pk=first.pk).scored_at == scored_at  # not scored again
    assert Application.objects.get(pk=second.pk).status == "done"


def test_a_batch_without_active_models_fails_each_application_with_the_reason(submitted, answers):
    from scoring.models import ModelVersion

    batch = submitted(varied(answers, 3))
    ModelVersion.objects.update(active=False)
    runtime.forget_loaded_models()

    assert score_batch(items(*(a.pk for a in batch))) == [batching.ACK] * 3
    for application in Application.objects.filter(pk__in=[a.pk for a in batch]):
        assert application.status == "failed"
        assert "manage.py train" in application.error


def test_a_message_item_travels_to_a_pool_process_and_retries_where_it_came_from():
    import pickle  # the prefork pool sends a batch's items to its child this way; nothing is stored

    item = batching.Item(("abc",), {}, 2, "task-1", "", "queue-x")
    again = pickle.loads(pickle.dumps(item))  # noqa: S301 - our own object, in memory
    assert (again.args, again.kwargs, again.retries, again.task_id) == (("abc",), {}, 2, "task-1")
    assert again.retry_options() == {"retries": 3, "exchange": "", "routing_key": "queue-x"}
    assert batching.Item(("abc",), {}).retry_options() == {"retries": 1}
