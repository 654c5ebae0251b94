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
    from scoring.engine.training import cv_plan, decision_labels

    specs = [s for s in default_feature_specs() if s.used_by_model]
    frame = generate_applications(2500, seed=11)
    encoder = FeatureEncoder(specs, default_derived_specs()).fit(frame[[s.key for s in specs]].to_dict("records"))
    X = encoder.transform(frame[[s.key for s in specs]].to_dict("records"), frame.attrs["as_of"])
    y = decision_labels(frame["bank_b_decision"])
    trained = train_bank(X, y, encoder.columns, seed=3, p_true=frame["bank_b_p_true"].to_numpy())
    metrics = trained.metrics
    assert {r["algorithm"] for r in metrics["selection"]} == set(KINDS)
    # Every training row (all answered rows but the held-out ones) was cross-validated and refitted.
    answered = int((~np.isnan(y)).sum())
    assert metrics["n_train"] == answered - metrics["n_test"] == metrics["cv"]["rows"] == metrics["n_selection"]
    assert "n_valid" not in metrics
    assert (metrics["cv"]["folds"], metrics["cv"]["repeats"]) == cv_plan(metrics["n_train"]) == (3, 2)
    # The logistic regression is always tuned; every configuration compared is in the tie table.
    assert {t["algorithm"] for t in metrics["tuning"]} >= {"logreg"}
    assert len(metrics["final_round"]) == len(metrics["selection"]) + len(metrics["tuning"])
    best = max(f["cv_auc"] for f in metrics["final_round"])
    chosen = next(f for f in metrics["final_round"]
                  if f["algorithm"] == metrics["algorithm"] and f["params"] == metrics["params"])
    assert chosen["tie"] and chosen["behind"] <= chosen["se"] and chosen["cv_auc"] >= best - chosen["se"] - 1e-4
    # Nothing simpler was tied with the best.
    order = ("logreg", "xgboost", "mlp", "random_forest")
    assert not any(f["tie"] for f in metrics["final_round"]
                   if order.index(f["algorithm"]) < order.index(metrics["algorithm"]))
    calibration = metrics["calibration_fit"]
    assert calibration["rows"] == metrics["n_train"] * metrics["cv"]["repeats"]  # every out-of-fold margin
    assert calibration["brier_cv_after"] <= calibration["brier_cv_before"] + 1e-4
    if metrics["algorithm"] == "xgboost":
        assert metrics["rounds"] == round(np.mean(metrics["cv"]["rounds"]))
    curve = metrics["roc_curve"]
    assert curve["fpr"][0] == 0 and curve["tpr"][-1] == 1 and len(curve["fpr"]) <= 101
    assert len(metrics["held_out_predictions"]["y"]) == metrics["n_test"]
    assert metrics["auc"] > 0.6


def one_hot_data(rows: int, seed: int):
    """Five unordered choices one-hot encoded (a rare category in each), one number; a linear logit."""
    rng = np.random.default_rng(seed)
    blocks, logit = [], np.zeros(rows)
    for j in range(5):
        shares = np.array([0.6, 0.3, 0.08, 0.02])
        codes = rng.choice(4, size=rows, p=shares)
        logit += np.array([0.0, 0.6, -0.8, 1.0])[codes] * (1 if j % 2 else -1)
        block = np.eye(4, dtype=np.float32)[codes]
        block[rng.random(rows) < 0.05] = np.nan  # not answered: every column of the field missing
        blocks.append(block)
    income = rng.normal(50_000, 15_000, rows).astype(np.float32)
    logit += (income - 50_000) / 15_000
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(float)
    return np.column_stack([*blocks, income]), y


def test_the_deployed_model_is_fitted_on_every_training_row():
    X, y = one_hot_data(700, seed=1)
    trained = train_bank(X, y, [f"c{i}" for i in range(X.shape[1])], seed=4, algorithms=("logreg",))
    metrics = trained.metrics
    training_rows = np.setdiff1d(np.arange(len(y)), trained.held_out.rows)
    assert metrics["n_train"] == len(training_rows) == len(y) - metrics["n_test"]
    refitted = fit_model("logreg", metrics["params"], X[training_rows], y[training_rows], seed=4)
    np.testing.assert_allclose(trained.model.coef, refitted.coef, atol=1e-6)
    assert trained.model.intercept == pytest.approx(refitted.intercept, abs=1e-6)


def test_a_few_hundred_rows_are_cross_validated_many_times():
    X, y = one_hot_data(700, seed=2)
    metrics = train_bank(X, y, [f"c{i}" for i in range(X.shape[1])], seed=1, algorithms=("logreg",)).metrics
    assert metrics["n_train"] == 560 and metrics["cv"]["folds"] == 5 and metrics["cv"]["repeats"] >= 5
    assert {t["params"]["C"] for t in metrics["tuning"]} == {0.1, 0.3, 3.0}  # C tuned on the same folds
    assert metrics["calibration_fit"]["rows"] == 560 * metrics["cv"]["repeats"]


def test_cross_validation_plan_follows_the_size():
    from scoring.engine.training import SELECTION_ROWS, cv_plan, cv_splits

    assert cv_plan(400) == (5, 8) and cv_plan(300) == (5, 10)
    assert cv_plan(5_000) == (3, 1) and cv_plan(SELECTION_ROWS) == (3, 1)
    y = np.array([1] * 280 + [0] * 120)
    splits = cv_splits(y, seed=1)
    assert len(splits) == 8 and all(len(repeat) == 5 for repeat in splits)
    for repeat in splits:  # each repeat is a partition of the rows, stratified
        valid = np.concatenate([v for _t, v in repeat])
        assert sorted(valid) == list(range(400))
        assert all(abs(y[v].mean() - 0.7) < 0.02 for _t, v in repeat)


def test_large_data_chooses_on_a_sample_and_calibrates_on_every_training_row(monkeypatch):
    from scoring.engine import training

    monkeypatch.setattr(training, "SELECTION_ROWS", 500)
    X, y = one_hot_data(1500, seed=3)
    trained = train_bank(X, y, [f"c{i}" for i in range(X.shape[1])], seed=2, algorithms=("xgboost",))
    metrics = trained.metrics
    assert metrics["n_selection"] == metrics["cv"]["rows"] == 500 and metrics["n_train"] == 1200
    assert metrics["cv"]["final_rows"] == 1200 and len(metrics["cv"]["rounds"]) == 3
    assert metrics["calibration_fit"]["rows"] == 1200
    assert metrics["rounds"] == round(np.mean(metrics["cv"]["rounds"]))


def test_indicator_columns_keep_scale_one_in_the_stored_linear_model():
    X, y = one_hot_data(2000, seed=4)
    for kind in ("logreg", "mlp"):
        model = fit_model(kind, {}, X, y, seed=1)
        loaded = load_model(model.to_bytes())
        np.testing.assert_array_equal(loaded.scale[:-1], 1.0)  # the 20 one-hot columns
        np.testing.assert_allclose(loaded.mean[:-1], np.nanmean(X[:, :-1], axis=0), atol=1e-6)
        assert loaded.scale[-1] == pytest.approx(np.nanstd(X[:, -1]), rel=1e-4)  # income: standardised
        np.testing.assert_allclose(loaded.predict_proba(X[:50]), model.predict_proba(X[:50]), atol=1e-9)


def test_a_rare_category_is_shrunk_more_than_a_common_one():
    """The same true effect, 1 % against 50 % of the rows: unscaled, the penalty pulls the rare one harder."""
    rng = np.random.default_rng(5)
    rows = 4000
    rare, common = (rng.random(rows) < 0.01).astype(np.float32), (rng.random(rows) < 0.5).astype(np.float32)
    y = (rng.random(rows) < 1 / (1 + np.exp(-(rare + common - 0.5)))).astype(float)
    model = fit_model("logreg", {"C": 0.1}, np.column_stack([rare, common]), y, seed=1)
    assert 0 < model.coef[0] < model.coef[1]


def cv_result(algorithm, aucs, params=None):
    from scoring.engine.training import CrossValidation

    aucs = np.asarray(aucs, dtype=float)
    return CrossValidation(algorithm, params or {}, 5, aucs, np.zeros((1, 1)), [], 0.0)


def test_a_tie_within_one_standard_error_goes_to_the_simpler_model():
    from scoring.engine.training import behind, choose

    rng = np.random.default_rng(0)

    def jitter(scale):  # fold-to-fold noise of mean zero, so the means below are exact
        noise = rng.normal(0, scale, 25)
        return noise - noise.mean()

    forest = cv_result("random_forest", 0.75 + jitter(0.02))  # 5 folds x 5 repeats
    boosted = cv_result("xgboost", forest.fold_aucs - 0.003 + jitter(0.01), {"max_depth": 2})
    deep = cv_result("xgboost", forest.fold_aucs - 0.001 + jitter(0.01), {"max_depth": 6})
    linear = cv_result("logreg", forest.fold_aucs - 0.03 + jitter(0.01))
    assert forest.auc == max(c.auc for c in (forest, boosted, deep, linear))
    gap, error = behind(forest, boosted)
    assert 0 < gap <= error
    assert choose([linear, forest, deep, boosted]) is boosted  # shallow boosting ties and is cheaper
    gap, error = behind(forest, linear)
    assert gap > error and choose([forest, linear]) is forest  # far behind: no tie
    close = cv_result("logreg", forest.fold_aucs - 0.004 + jitter(0.01))
    assert choose([forest, boosted, close]) is close


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
