"""How many SQL statements the load-bearing paths make (bench/load.py: one submit, one detail and
one scoring per application). A change that adds a query per application shows here first."""
from scoring.services import runtime, submission

URL = "/api/v1/applications/"


def test_a_submission_reads_the_token_permissions_and_fields_then_inserts(api, models_ready, answers,
                                                                         django_assert_max_num_queries):
    # token + user, permissions (one query for the user's and the groups'), fields, savepoint,
    # insert, release; and the status again, because the embedded default scores inside the request.
    with django_assert_max_num_queries(7):
        assert api.post(URL, {"answers": answers}, format="json").status_code == 202


def test_scoring_reads_three_times_and_writes_in_one_transaction(officer, models_ready, answers,
                                                                 django_assert_max_num_queries):
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.load_models()  # the artifacts, once per process
    # mark scoring; the application; then configuration (read once per PRESCORING_CONFIG_CACHE_SECONDS
    # in production, every time here): who has a callback URL, the active versions with their banks,
    # the fields' labels; then savepoint, done, old scores deleted, five scores in one insert, release.
    with django_assert_max_num_queries(10):
        assert runtime.score_application(application_id=application.pk).status == "done"


def test_the_result_is_read_in_three_queries_after_authentication(api, officer, models_ready, answers,
                                                                  django_assert_max_num_queries):
    application, _ = submission.submit_application(officer=officer, answers=answers)
    runtime.score_application(application_id=application.pk)
    # token + user, permissions, application, scores, outcomes, and the configured currency the reasons'
    # amounts are written in (configuration: read once per PRESCORING_CONFIG_CACHE_SECONDS in production);
    # the case history's model versions (with the loan fields their payment reads), variants and
    # dispatches (services/case_history.py)
    with django_assert_max_num_queries(9):
        assert api.get(f"{URL}{application.pk}/").json()["status"] == "done"
    with django_assert_max_num_queries(10):  # and with ?wait=, its status first
        response = api.get(f"{URL}{application.pk}/", {"wait": 10}, **{"wsgi.multithread": True})
    assert response.json()["status"] == "done"
