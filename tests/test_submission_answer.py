"""The answer to a waited submission is read narrowly (selectors.submitted_application_with_scores):
the request's own application, the scores and what the scoring wrote; it must equal the whole read."""
import copy

from scoring import selectors
from scoring.models import Application
from scoring.services import config_cache, submission


def _as_the_request_holds_it(application: Application) -> Application:
    """The application as the submitting request stored it: queued, nothing written by the scoring."""
    held = copy.copy(application)
    held._state = copy.copy(application._state)
    held._prefetched_objects_cache = {}
    held.status, held.scored_at, held.recommendation, held.error = Application.Status.QUEUED, None, {}, ""
    return held


def test_the_narrow_read_gives_what_the_whole_read_gives(scored, officer):
    whole = selectors.application_with_scores(officer, scored.pk)
    narrow = selectors.submitted_application_with_scores(_as_the_request_holds_it(scored))
    assert narrow is not None
    for name in selectors.SCORING_WRITES:
        assert getattr(narrow, name) == getattr(whole, name), name
    assert narrow.status == Application.Status.DONE and narrow.recommendation
    assert [(s.pk, s.bank.code, s.probability, s.reasons) for s in narrow.scores.all()] == \
        [(s.pk, s.bank.code, s.probability, s.reasons) for s in whole.scores.all()]
    assert len(narrow.scores.all()) == 5
    assert all(score.application is narrow for score in narrow.scores.all())


def test_a_bank_missing_from_what_the_process_keeps_is_read(scored, settings):
    settings.PRESCORING = {**settings.PRESCORING, "CONFIG_CACHE_SECONDS": 60}
    config_cache.cached("banks_by_id", dict)  # kept before any bank existed
    narrow = selectors.submitted_application_with_scores(_as_the_request_holds_it(scored))
    assert sorted(score.bank.code for score in narrow.scores.all()) == \
        sorted(score.bank.code for score in scored.scores.all())


def test_an_application_not_scored_yet_is_left_to_the_whole_read(models_ready, officer, answers):
    queued, _ = submission.submit_application(officer=officer, answers=answers)  # not committed: not scored
    assert selectors.submitted_application_with_scores(queued) is None


def test_reads_one_after_another_each_get_their_own_application(scored, officer, answers):
    # The read filters a query built once per process (selectors._scores_with_what_scoring_wrote):
    # a second application's read must not see the first's filter, nor the first its scores.
    from scoring.services import runtime

    other, _ = submission.submit_application(officer=officer, answers={**answers, "loan_amount": 61_000})
    runtime.score_application(application_id=other.pk)
    first = selectors.submitted_application_with_scores(_as_the_request_holds_it(scored))
    second = selectors.submitted_application_with_scores(_as_the_request_holds_it(Application.objects.get(pk=other.pk)))
    again = selectors.submitted_application_with_scores(_as_the_request_holds_it(scored))
    assert {s.application_id for s in first.scores.all()} == {scored.pk} == {s.application_id for s in again.scores.all()}
    assert {s.application_id for s in second.scores.all()} == {other.pk}
    assert len(second.scores.all()) == len(first.scores.all()) == 5
    assert [s.pk for s in first.scores.all()] == [s.pk for s in again.scores.all()]
