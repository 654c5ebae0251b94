import json

import numpy as np
import pytest
from django.core.management import CommandError

from scoring.engine.synthetic import generate_applications
from scoring.models import Bank, Feature, ImportBatch, ModelVersion
from scoring.modelops.activation import MIN_AUC_CI_LOW, quality_gate
from scoring.modelops.training import train_frame
from tests.helpers import BANKS, generated_history, run_command


def run_train(**options) -> str:
    return run_command("train", **options)


def shuffled_decisions(frame, seed: int = 0):
    """The same applications with every bank's decisions shuffled: no field says anything about them."""
    rng = np.random.default_rng(seed)
    frame = frame.copy()
    for code in BANKS:
        frame[f"{code}_decision"] = rng.permutation(frame[f"{code}_decision"].to_numpy())
    return frame


def active_versions() -> dict[str, int]:
    return dict(ModelVersion.objects.filter(active=True).values_list("bank__code", "pk"))


def test_no_signal_data_activates_nothing(configured):
    frame = shuffled_decisions(generate_applications(3000, seed=21))

    outcomes = train_frame(frame, source="shuffled", banks=list(Bank.objects.order_by("code")), seed=3)

    assert [o.bank.code for o in outcomes] == BANKS
    for outcome in outcomes:
        assert not outcome.activated
        assert "no better than chance; not activated" in outcome.reason
        assert outcome.version.metrics["auc_ci_low"] <= MIN_AUC_CI_LOW
        assert outcome.version.metrics["quality_gate"] == outcome.reason
    assert ModelVersion.objects.count() == 5 and not active_versions()


def test_a_model_worse_than_the_active_one_on_the_same_rows_is_not_activated(models_ready):
    before = active_versions()
    # Income alone beats chance but not a model that sees the whole questionnaire.
    Feature.objects.exclude(key="month_profit").update(used_by_model=False)
    frame = generate_applications(3000, seed=11, bank_codes=["bank_a"])

    [outcome] = train_frame(frame, source="income only", banks=[Bank.objects.get(code="bank_a")], seed=3)

    metrics = outcome.version.metrics
    assert metrics["auc_ci_low"] > MIN_AUC_CI_LOW
    assert metrics["champion_version"] == before["bank_a"]
    assert metrics["champion_auc_same_rows"] > metrics["auc"] + 0.005
    assert not outcome.activated and "worse than the active model; not activated" in outcome.reason
    assert f"vs active {metrics['champion_auc_same_rows']:.3f} on the same rows" in outcome.reason
    assert active_versions() == before


@pytest.mark.model_selection
def test_a_good_model_replaces_a_missing_one(configured):
    output = run_train(rows=3000, seed=5, banks=["bank_c"])

    version = ModelVersion.objects.get(bank__code="bank_c")
    assert version.active and active_versions() == {"bank_c": version.pk}
    assert f"bank_c: {version.algorithm} (cv AUC " in output
    assert f"; AUC {version.metrics['auc']:.3f} [" in output and "— activated (version" in output
    assert version.algorithm == version.metrics["algorithm"] and version.artifact_format == "prescoring-psm1"
    assert "on synthetic rows=3000 seed=5, activated 1" in output
    assert version.training_data == "synthetic rows=3000 seed=5"


def test_metrics_hold_pr_auc_calibration_and_importance(configured):
    run_train(rows=3000, seed=5, banks=["bank_a"])

    metrics = ModelVersion.objects.get(bank__code="bank_a").metrics
    assert json.loads(json.dumps(metrics)) == metrics
    assert metrics["approval_rate_test"] < metrics["pr_auc"] <= 1.0
    calibration = metrics["calibration"]
    assert len(calibration) == 10 and calibration[0]["low"] == 0.0 and calibration[-1]["high"] == 1.0
    assert sum(b["n"] for b in calibration) == metrics["n_test"]
    for bin_ in calibration:
        if bin_["n"]:
            assert bin_["low"] <= bin_["mean_predicted"] <= bin_["high"] and 0 <= bin_["observed_rate"] <= 1
    importance = metrics["importance"]
    assert 0 < len(importance) <= 15
    assert [i["importance"] for i in importance] == sorted((i["importance"] for i in importance), reverse=True)
    assert {i["feature"] for i in importance} <= {*Feature.objects.values_list("key", flat=True),
                                                "monthly_payment", "payment_to_income", "expense_to_income",
                                                "free_income"}


def test_the_gate_explains_each_verdict():
    base = {"auc": 0.72, "auc_ci_low": 0.68, "auc_ci_high": 0.76}
    assert quality_gate({"auc": 0.51, "auc_ci_low": 0.48, "auc_ci_high": 0.54}) == (
        False, "AUC 0.510 [0.480, 0.540] — no better than chance; not activated")
    assert quality_gate({**base, "champion_auc_same_rows": 0.731}) == (
        False, "AUC 0.720 vs active 0.731 on the same rows — worse than the active model; not activated")
    assert quality_gate({**base, "champion_auc_same_rows": 0.724}) == (
        True, "AUC 0.720 [0.680, 0.760] vs active 0.724 on the same rows — activated")
    assert quality_gate(base) == (True, "AUC 0.720 [0.680, 0.760] — activated")
    assert quality_gate({})[0] is False


def test_imported_source_without_imported_rows_says_how_to_import(configured):
    with pytest.raises(CommandError, match="import_applications"):
        run_train(source="imported")
    assert not ModelVersion.objects.exists()


def test_imported_source_trains_on_the_imported_history(configured, tmp_path):
    run_command("import_applications", generated_history(tmp_path / "history.csv", rows=2000, seed=8))

    output = run_train(source="imported", banks=["bank_d"], seed=4)

    version = ModelVersion.objects.get(bank__code="bank_d")
    batch = ImportBatch.objects.get()
    assert version.training_data == f"imported: 2 000 rows, batches {batch.pk}"
    assert version.active and "bank_d: " in output and "; AUC " in output and "activated 1" in output
    # Every answered row is either held out or trained on (no validation slice); ~1 % are errors.
    assert version.metrics["n_test"] + version.metrics["n_train"] > 1950 and "n_valid" not in version.metrics
    assert "oracle_auc" in version.metrics  # the generated file carries the true probabilities


def test_rows_are_refused_for_the_imported_source(configured):
    with pytest.raises(CommandError, match="--rows"):
        run_train(source="imported", rows=3000)


def test_an_unknown_bank_is_named(configured):
    with pytest.raises(CommandError, match="bank_z"):
        run_train(rows=3000, banks=["bank_z"])


def test_a_bank_without_enough_answers_is_reported_not_trained(configured):
    frame = generate_applications(3000, seed=2, bank_codes=["bank_a", "bank_b"])
    frame["bank_b_decision"] = "error"

    outcomes = train_frame(frame, source="test", banks=list(Bank.objects.filter(code__in=["bank_a", "bank_b"])),
                           seed=1)

    by_bank = {o.bank.code: o for o in outcomes}
    assert by_bank["bank_a"].activated
    assert by_bank["bank_b"].version is None and "not trained: only 0 answered rows" in by_bank["bank_b"].reason


def test_if_missing_leaves_banks_with_a_model_alone(models_ready):
    assert "nothing to train" in run_train(if_missing=True, rows=3000)


def test_a_better_model_replaces_the_active_one(configured):
    bank_a = Bank.objects.get(code="bank_a")
    Feature.objects.exclude(key="month_profit").update(used_by_model=False)
    [weak] = train_frame(generate_applications(3000, seed=11, bank_codes=["bank_a"]), source="income only",
                         banks=[bank_a], seed=3)
    assert weak.activated
    Feature.objects.update(used_by_model=True)

    [strong] = train_frame(generate_applications(3000, seed=12, bank_codes=["bank_a"]), source="everything",
                           banks=[bank_a], seed=3)

    assert strong.activated and active_versions() == {"bank_a": strong.version.pk}
    assert strong.version.metrics["champion_version"] == weak.version.pk
    assert strong.version.metrics["auc"] > strong.version.metrics["champion_auc_same_rows"]
    champion_auc = strong.version.metrics["champion_auc_same_rows"]
    assert f"vs active {champion_auc:.3f} on the same rows — activated" in strong.reason


def test_retraining_on_the_same_history_holds_out_the_same_rows(configured, tmp_path):
    from scoring.engine.config import default_derived_specs
    from scoring.engine.training import ROW_KEY, train_all_banks
    from scoring.modelops.importing import historical_frame
    from scoring.services.questionnaire import active_features

    run_command("import_applications", generated_history(tmp_path / "history.csv", rows=1500, seed=9))
    frame = historical_frame(["bank_a"])
    specs = [f.to_spec() for f in active_features() if f.used_by_model]

    def held_out_ids(data, seed):
        _encoder, trained = train_all_banks(data, specs, ["bank_a"], derived=default_derived_specs(), seed=seed,
                                            algorithms=("logreg",))
        return set(data[ROW_KEY].to_numpy()[trained["bank_a"].held_out.rows]) if ROW_KEY in data else \
            set(trained["bank_a"].held_out.rows)

    first, second = held_out_ids(frame, seed=1), held_out_ids(frame, seed=2)
    assert first == second and 0.15 < len(first) / len(frame) < 0.25
    # Without stable ids the seed decides, and the two splits differ.
    anonymous = frame.drop(columns=[ROW_KEY])
    assert held_out_ids(anonymous, seed=1) != held_out_ids(anonymous, seed=2)


def test_the_choice_says_why_a_lower_cv_auc_won():
    from scoring.modelops.training import describe_choice

    selection = [{"algorithm": "logreg", "cv_auc": 0.693}, {"algorithm": "xgboost", "cv_auc": 0.702}]
    tied = {"algorithm": "logreg", "params": {}, "selection": selection, "final_round": [
        {"algorithm": "logreg", "params": {}, "cv_auc": 0.693, "behind": 0.009, "se": 0.011, "tie": True},
        {"algorithm": "xgboost", "params": {}, "cv_auc": 0.702, "behind": 0.0, "se": 0.0, "tie": True}]}
    assert describe_choice(tied) == ("logreg (cv AUC 0.693; xgboost 0.702), tied with xgboost (0.702) within one "
                                     "standard error: the simpler model wins")
    tuned = {"algorithm": "logreg", "params": {"C": 0.3}, "selection": selection, "final_round": [
        {"algorithm": "logreg", "params": {"C": 0.3}, "cv_auc": 0.705, "behind": 0.0, "se": 0.0, "tie": True},
        {"algorithm": "xgboost", "params": {}, "cv_auc": 0.702, "behind": 0.003, "se": 0.01, "tie": True}]}
    assert describe_choice(tuned).endswith(", the best after tuning its settings (cv AUC 0.705)")
    assert describe_choice({**tied, "algorithm": "xgboost"}) == "xgboost (cv AUC 0.702; logreg 0.693)"
