"""Model selection, tuning and calibration: every kind explains itself additively and survives its artifact."""
import datetime as dt

import numpy as np
import pytest
import xgboost as xgb

from scoring.engine.estimators import KINDS, LinearModel, NeuralModel, TreeModel, load_model
from scoring.engine.prediction import Scorer
from scoring.engine.preprocessing import FeatureEncoder
from scoring.engine.features import FeatureSpec
from scoring.engine.metrics import fast_auc
from scoring.engine.training import fit_model, platt_scaling, select_algorithm, train_bank

AS_OF = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def interaction_data():
    """Approval depends on the interaction of two answers only: a linear model cannot see it."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(1500, 4)).astype(np.float32)
    X[rng.random(X.shape) < 0.05] = np.nan  # some answers missing
    signal = np.nan_to_num(X[:, 0]) * np.nan_to_num(X[:, 1])
    y = (rng.random(1500) < 1 / (1 + np.exp(-3 * signal))).astype(int)
    return X, y


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_explains_its_margin_exactly(kind, interaction_data):
    X, y = interaction_data
    model = fit_model(kind, {}, X[:1000], y[:1000], X[1000:1200], y[1000:1200], seed=1)
    model.calibration = (0.8, -0.1)
    contributions = model.contributions(X[1200:])
    assert contributions.shape == (300, X.shape[1] + 1)
    np.testing.assert_allclose(contributions.sum(axis=1), model.margin(X[1200:]), atol=1e-4)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_survives_its_artifact_without_pickle(kind, interaction_data):
    X, y = interaction_data
    model = fit_model(kind, {}, X[:1000], y[:1000], X[1000:1200], y[1000:1200], seed=1)
    model.calibration = (1.2, 0.3)
    artifact = model.to_bytes()
    assert artifact.startswith(b"PSM1") and b"\x80\x04" not in artifact[:2]  # no pickle protocol header
    loaded = load_model(artifact)
    assert loaded.kind == kind and loaded.calibration == (1.2, 0.3)
    np.testing.assert_allclose(loaded.predict_proba(X[1200:]), model.predict_proba(X[1200:]), atol=1e-6)


def test_selection_prefers_trees_when_the_signal_is_an_interaction(interaction_data):
    X, y = interaction_data
    results = {r["algorithm"]: r for r in select_algorithm(X, y, seed=1)}
    assert set(results) == set(KINDS)
    assert results["logreg"]["cv_auc"] < 0.6  # blind to x0 * x1
    assert max(results, key=lambda k: results[k]["cv_auc"]) in ("xgboost", "random_forest", "mlp")
    assert results["xgboost"]["cv_auc"] > 0.75


def test_selection_can_choose_logistic_regression_on_a_linear_signal():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(1200, 6)).astype(np.float32)
    y = (rng.random(1200) < 1 / (1 + np.exp(-(X @ np.array([1.5, -1.0, 0.5, 0, 0, 0]))))).astype(int)
    results = {r["algorithm"]: r["cv_auc"] for r in select_algorithm(X, y, algorithms=("logreg", "random_forest"), seed=2)}
    assert results["logreg"] > results["random_forest"]


def test_platt_scaling_undoes_an_overconfident_margin():
    rng = np.random.default_rng(0)
    true_margin = rng.normal(size=20_000)
    y = (rng.random(20_000) < 1 / (1 + np.exp(-true_margin))).astype(int)
    a, b = platt_scaling(3.0 * true_margin + 1.0, y)  # three times too confident, shifted
    assert a == pytest.approx(1 / 3, abs=0.03) and b == pytest.approx(-1 / 3, abs=0.05)


def test_train_bank_records_selection_tuning_and_calibration(trained_artifacts):
    from scoring.engine.config import default_derived_specs, default_feature_specs
    from scoring.engine.synthetic import generate_applications
    from scoring.engine.training import decision_labels

    specs = [s for s in default_feature_specs() if s.used_by_model]
    frame = generate_applications(2500, seed=11)
    encoder = FeatureEncoder(specs, default_derived_specs()).fit(frame[[s.key for s in specs]].to_dict("records"))
    X = encoder.transform(frame[[s.key for s in specs]].to_dict("records"), frame.attrs["as_of"])
    trained = train_bank(X, decision_labels(frame["bank_b_decision"]), encoder.columns, seed=3,
                         p_true=frame["bank_b_p_true"].to_numpy())
    metrics = trained.metrics
    assert {r["algorithm"] for r in metrics["selection"]} == set(KINDS)
    ranked = sorted(metrics["selection"], key=lambda r: -r["cv_auc"])
    # The two best by CV, and any other within 0.01 of the best, are refitted on all the fit rows.
    finalists = [r["algorithm"] for i, r in enumerate(ranked) if i < 2 or r["cv_auc"] >= ranked[0]["cv_auc"] - 0.01]
    assert {f["algorithm"] for f in metrics["final_round"]} == set(finalists)
    top = max(f["valid_auc"] for f in metrics["final_round"])
    chosen = next(f for f in metrics["final_round"]
                  if f["algorithm"] == metrics["algorithm"] and f["params"] == metrics["params"])
    assert chosen["valid_auc"] >= top - 0.005 and trained.algorithm == metrics["algorithm"]
    if metrics["algorithm"] == finalists[0]:  # the CV leader was tuned
        assert metrics["params"] in [t["params"] for t in metrics["tuning"]]
    assert metrics["calibration_fit"]["brier_valid_after"] <= metrics["calibration_fit"]["brier_valid_before"] + 1e-4
    curve = metrics["roc_curve"]
    assert curve["fpr"][0] == 0 and curve["tpr"][-1] == 1 and len(curve["fpr"]) <= 101
    assert len(metrics["held_out_predictions"]["y"]) == metrics["n_test"]
    assert metrics["auc"] > 0.6


def test_a_scorer_mixes_kinds_and_still_adds_up(trained_artifacts):
    from scoring.engine.synthetic import generate_applications

    encoder_dict, by_bank = trained_artifacts
    encoder = FeatureEncoder.from_dict(encoder_dict)
    frame = generate_applications(50, seed=4)
    records = frame[[s.key for s in encoder.specs]].to_dict("records")
    X = encoder.transform(records, AS_OF)
    mean, scale = np.nanmean(X, axis=0), np.nan_to_num(np.nanstd(X, axis=0), nan=1.0) + 1.0
    k = len(encoder.columns)
    rng = np.random.default_rng(1)
    linear = LinearModel(mean, scale, rng.normal(scale=0.3, size=k), 0.7, calibration=(0.9, 0.1))
    neural = NeuralModel(mean, scale, [rng.normal(scale=0.3, size=(k, 5)), rng.normal(size=(5, 1))],
                         [np.zeros(5), np.array([0.2])])
    scorer = Scorer({"bank_a": (encoder, load_model(by_bank["bank_a"][0])), "bank_b": (encoder, linear),
                     "bank_c": (encoder, neural)})
    batch = scorer.score(records, as_of=AS_OF)
    for column, code in enumerate(batch.bank_codes):
        margin = batch.base_values[code] + batch.contributions[code].sum(axis=1)
        np.testing.assert_allclose(1 / (1 + np.exp(-margin)), batch.probabilities[:, column], atol=1e-6)
    plain = scorer.score(records, as_of=AS_OF, explain=False).probabilities
    np.testing.assert_allclose(plain, batch.probabilities, atol=1e-5)


def test_a_bare_booster_stored_before_model_selection_still_loads(interaction_data):
    X, y = interaction_data
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2}, xgb.DMatrix(X, label=y), 20)
    loaded = load_model(bytes(booster.save_raw(raw_format="ubj")))
    assert isinstance(loaded, TreeModel) and loaded.calibration == (1.0, 0.0)
    np.testing.assert_allclose(loaded.predict_proba(X), booster.predict(xgb.DMatrix(X)), atol=1e-6)


@pytest.fixture(scope="module")
def store_data():
    """Approval depends on which of 60 stores sold the goods, in no order of their codes, and on income."""
    rng = np.random.default_rng(11)
    n = 6000
    store = rng.integers(1, 61, n).astype(np.float32)
    income = rng.normal(size=n).astype(np.float32)
    effect = rng.normal(0, 1.5, size=61)
    y = (rng.random(n) < 1 / (1 + np.exp(-(effect[store.astype(int)] + income)))).astype(int)
    return np.column_stack([store, income]), y


def test_trees_split_a_categorical_code_as_categories_and_learn_more_from_it(store_data):
    X, y = store_data
    fit, valid, test = slice(0, 3500), slice(3500, 4500), slice(4500, None)
    as_numbers = fit_model("xgboost", {"max_depth": 2}, X[fit], y[fit], X[valid], y[valid], seed=1)
    as_codes = fit_model("xgboost", {"max_depth": 2}, X[fit], y[fit], X[valid], y[valid], seed=1,
                         categorical=(0,))
    assert as_codes.booster.feature_types == ["c", "q"]
    auc_numbers = fast_auc(y[test], as_numbers.raw_margin(X[test]))
    auc_codes = fast_auc(y[test], as_codes.raw_margin(X[test]))
    assert auc_codes > auc_numbers + 0.01
    # The artifact keeps the categories: the loaded model predicts the same.
    np.testing.assert_allclose(load_model(as_codes.to_bytes()).margin(X[test]), as_codes.margin(X[test]), atol=1e-5)


@pytest.mark.parametrize("kind", ["logreg", "mlp"])
def test_linear_and_neural_models_give_a_categorical_code_no_weight(kind, store_data):
    X, y = store_data
    model = fit_model(kind, {}, X[:3000], y[:3000], X[3000:3500], y[3000:3500], seed=1, categorical=(0,))
    other_store = X[3500:].copy()
    other_store[:, 0] = 17
    np.testing.assert_allclose(model.margin(other_store), model.margin(X[3500:]), atol=1e-9)
    contributions = model.contributions(X[3500:])
    assert np.all(contributions[:, 0] == 0)
    np.testing.assert_allclose(contributions.sum(axis=1), model.margin(X[3500:]), atol=1e-6)


def test_the_encoder_marks_category_columns_and_refuses_impossible_codes():
    specs = [FeatureSpec(key="store", type="integer", min_value=0, max_value=999, categorical=True),
             FeatureSpec(key="income", type="number")]
    encoder = FeatureEncoder(specs)
    assert encoder.categorical_columns == (0,)
    records = [{"store": v, "income": 1} for v in (5, "12", 12.5, -3, 70_000, None, "abc", 999)]
    expected = [5, 12, np.nan, np.nan, np.nan, np.nan, np.nan, 999]
    row_by_row = encoder.transform(records[:3], AS_OF)[:, 0].tolist() + \
        encoder.transform(records[3:6], AS_OF)[:, 0].tolist() + encoder.transform(records[6:], AS_OF)[:, 0].tolist()
    columnar = encoder.transform(records * 2, AS_OF)[:8, 0]  # 16 records: the columnar path
    np.testing.assert_array_equal(np.array(row_by_row), expected)
    np.testing.assert_array_equal(columnar, expected)
    assert FeatureEncoder.from_dict(encoder.to_dict()).categorical_columns == (0,)


@pytest.mark.parametrize("spec", [
    {"type": "choice", "choices": ("a", "b")},
    {"type": "number", "min_value": 0, "max_value": 10},
    {"type": "integer"},
    {"type": "integer", "min_value": 0, "max_value": 10**6},
])
def test_only_a_bounded_integer_can_be_a_categorical_code(spec):
    with pytest.raises(ValueError, match="categorical"):
        FeatureSpec(key="store", categorical=True, **spec)
