"""The engine on its own: no Django, no database."""
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from scoring.engine.config import default_bank_codes, default_derived_specs, default_feature_specs
from scoring.engine.explanations import reasons_for
from scoring.engine.offers import monthly_payment
from scoring.engine.prediction import Scorer
from scoring.engine.preprocessing import FeatureEncoder, learn_vocabulary, match_vocabulary, normalise_text
from scoring.engine.synthetic import generate_applications, labels
from scoring.engine.estimators import TreeModel, load_model
from scoring.engine.metrics import fast_auc

AS_OF = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def specs():
    return [s for s in default_feature_specs() if s.used_by_model]


@pytest.fixture(scope="module")
def scorer(trained_artifacts):
    encoder_dict, by_bank = trained_artifacts
    encoder = FeatureEncoder.from_dict(encoder_dict)
    return Scorer({code: (encoder, load_model(artifact)) for code, (artifact, _m) in by_bank.items()})


@pytest.fixture(scope="module")
def records(specs):
    frame = generate_applications(200, seed=99)
    return frame[[s.key for s in specs]].to_dict("records")


# --- synthetic data ---------------------------------------------------------------------------

def test_the_generator_is_deterministic():
    first, again = generate_applications(500, seed=5), generate_applications(500, seed=5)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(generate_applications(500, seed=6))


def test_the_generator_keeps_the_world_fixed_across_seeds():
    """Each bank's policy does not depend on the seed: the same client gets the same p_true."""
    a, b = generate_applications(300, seed=1), generate_applications(300, seed=2)
    assert not np.allclose(a["bank_a_p_true"], b["bank_a_p_true"])
    frame = generate_applications(300, seed=1, bank_codes=["bank_a"])
    np.testing.assert_allclose(frame["bank_a_p_true"], a["bank_a_p_true"])


def test_synthetic_rows_follow_data_md():
    frame = generate_applications(20_000, seed=11)
    age = (pd.Timestamp(AS_OF) - pd.to_datetime(frame["birth_date"])).dt.days / 365.25
    assert 18 <= age.min() and age.max() < 84 and 32 <= age.median() <= 38
    assert 125_000 <= frame["month_profit"].median() <= 165_000
    assert (frame["month_expense"] < frame["month_profit"]).mean() > 0.97
    assert frame["loan_amount"].between(4_000, 200_000).all() and (frame["loan_amount"] % 1000 == 0).all()
    assert frame["loan_term"].value_counts(normalize=True)["12"] == pytest.approx(0.377, abs=0.02)
    job_start = pd.to_datetime(frame["job_start_date"])
    sixteenth = pd.to_datetime(frame["birth_date"]) + pd.DateOffset(years=16)
    assert (job_start.dropna() >= sixteenth[job_start.notna()] - pd.Timedelta(days=1)).all()
    students = frame["employment_status"].isin(["Студент", "Не работаю"])
    assert frame.loc[students, "work_experience"].isna().mean() > 0.4
    assert frame.loc[~students, "work_experience"].isna().mean() < 0.01
    owners = frame["employment_status"] == "Собственное дело"
    titles = frame.loc[owners, "position"].map(normalise_text)
    assert titles.str.contains("предпринимат|самозанят|директор|учредит").mean() > 0.9


@pytest.mark.parametrize("code", ["bank_a", "bank_b", "bank_c", "bank_d", "bank_e"])
def test_each_bank_approves_about_three_in_four_with_some_errors(code):
    frame = generate_applications(20_000, seed=3)
    y = labels(frame, code)
    assert 0.70 <= np.nanmean(y) <= 0.80
    assert 0.005 <= np.isnan(y).mean() <= 0.015
    answered = ~np.isnan(y)
    assert fast_auc(y[answered], frame[f"{code}_p_true"].to_numpy()[answered]) > 0.65


def test_bank_policies_differ():
    frame = generate_applications(5_000, seed=3)
    p = frame[[f"{c}_p_true" for c in default_bank_codes()]].to_numpy()
    correlations = np.corrcoef(p.T)[np.triu_indices(5, k=1)]
    assert correlations.max() < 0.95


# --- preprocessing ----------------------------------------------------------------------------

def test_free_text_positions_are_normalised():
    assert normalise_text("  Зам.  ДИРЕКТОРА ") == "заместитель директора"
    assert normalise_text("ИП") == "индивидуальный предприниматель"
    vocabulary = learn_vocabulary(["менеджер"] * 50 + ["мене"] * 10 + ["директор"] * 20, min_count=5)
    assert vocabulary == ["менеджер", "директор"]
    assert match_vocabulary(normalise_text("Мене"), vocabulary) == "менеджер"
    assert match_vocabulary("старший менеджер по продажам", vocabulary) == "менеджер"
    assert match_vocabulary("космонавт", vocabulary) is None


def test_the_encoder_derives_age_tenure_and_payment(specs):
    encoder = FeatureEncoder(specs, default_derived_specs()).fit([{"position": "менеджер"}] * 10)
    record = {"birth_date": "1986-01-01", "job_start_date": "2025-07-01 00:00:00.0000000",
              "loan_amount": 120_000, "loan_term": "12", "month_profit": 100_000, "month_expense": 30_000,
              "goods_category": "Travel", "snils": "1.0", "position": "МЕНЕ"}
    row = dict(zip(encoder.columns, encoder.transform([record], AS_OF)[0]))
    assert row["birth_date"] == pytest.approx(40.0, abs=0.01)
    assert row["job_start_date"] == pytest.approx(0.5, abs=0.01)
    assert row["loan_term"] == 12.0
    assert row["goods_category=Travel"] == 1.0 and row["goods_category=Other"] == 0.0
    assert row["snils"] == 1.0 and row["position=менеджер"] == 1.0
    payment = monthly_payment(120_000, 20.0, 12)
    assert row["payment_to_income"] == pytest.approx(payment / 100_000, rel=1e-5)
    assert row["expense_to_income"] == pytest.approx(0.3)
    assert math.isnan(row["education=Высшее - специалист"])  # missing is unknown, not "no"
    assert math.isnan(row["merch_code"])


def test_the_encoder_round_trips_through_json(specs, records):
    import json

    encoder = FeatureEncoder(specs, default_derived_specs()).fit(records)
    again = FeatureEncoder.from_dict(json.loads(json.dumps(encoder.to_dict())))
    np.testing.assert_array_equal(encoder.transform(records, AS_OF), again.transform(records, AS_OF))


def test_monthly_payment_is_an_annuity():
    assert monthly_payment(120_000, 0, 12) == pytest.approx(10_000)
    assert monthly_payment(100_000, 12.0, 12) == pytest.approx(8884.88, abs=0.01)
    np.testing.assert_allclose(monthly_payment([100_000, 50_000], 12.0, [12, 12]), [8884.88, 4442.44], atol=0.01)


# --- prediction and explanations --------------------------------------------------------------

def test_scoring_is_vectorised_and_probabilities_are_in_range(scorer, records):
    batch = scorer.score(records, as_of=AS_OF)
    assert batch.bank_codes == ["bank_a", "bank_b", "bank_c", "bank_d", "bank_e"]
    assert batch.probabilities.shape == (200, 5)
    assert ((batch.probabilities >= 0) & (batch.probabilities <= 1)).all()
    assert batch.probabilities.std(axis=0).min() > 0.01  # the estimate depends on the client
    one = scorer.score(records[:1], as_of=AS_OF)
    np.testing.assert_allclose(one.probabilities[0], batch.probabilities[0], rtol=1e-6)


def test_contributions_plus_base_equal_the_margin(scorer, records):
    batch = scorer.score(records, as_of=AS_OF)
    for column, code in enumerate(batch.bank_codes):
        margin = batch.base_values[code] + batch.contributions[code].sum(axis=1)
        np.testing.assert_allclose(1 / (1 + np.exp(-margin)), batch.probabilities[:, column], atol=1e-5)
        assert batch.contributions[code].shape == (200, len(batch.source_keys[code]))
        assert "payment_to_income" in batch.source_keys[code] and "goods_category" in batch.source_keys[code]


def test_banks_sharing_an_encoding_share_one_matrix_and_get_their_own_contributions(scorer, records):
    batch = scorer.score(records[:20], as_of=AS_OF)  # one DMatrix for the five boosters
    encoder, _model = scorer.models["bank_a"]
    X = encoder.transform(records[:20], AS_OF)
    contributions = {}
    for code in batch.bank_codes:  # each bank alone, a matrix of its own
        raw = scorer.models[code][1].contributions(X)
        np.testing.assert_allclose(raw[:, -1], batch.base_values[code], atol=1e-9)
        np.testing.assert_allclose(raw[:, :-1] @ encoder.source_matrix(), batch.contributions[code], atol=1e-9)
        contributions[code] = raw[:, :-1]
    assert not np.allclose(contributions["bank_a"], contributions["bank_b"])  # not one bank's answer for all


def test_one_loaded_scorer_serves_concurrent_threads(scorer, records):
    """A web process scoring on the embedded default, or a Celery thread pool, shares one scorer:
    single applications and multi-threaded batches at once give what each gives alone."""
    from concurrent.futures import ThreadPoolExecutor

    from scoring.engine.prediction import THREADED_BATCH

    batch_records = (records * (THREADED_BATCH // len(records) + 1))[:THREADED_BATCH]
    alone = [scorer.score([record], as_of=AS_OF).probabilities for record in records[:10]]
    batch_alone = scorer.score(batch_records, as_of=AS_OF).probabilities

    def single(n):
        return n, scorer.score([records[n % 10]], as_of=AS_OF).probabilities

    def batch(_n):
        return None, scorer.score(batch_records, as_of=AS_OF).probabilities

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(batch if n % 10 == 0 else single, n) for n in range(200)]
        for future in futures:
            n, probabilities = future.result()
            np.testing.assert_allclose(probabilities, batch_alone if n is None else alone[n % 10], atol=1e-9)


def test_contributions_are_the_shap_packages_tree_shap(scorer, records):
    import shap

    encoder, model = scorer.models["bank_c"]
    assert isinstance(model, TreeModel)
    booster = model.booster
    X = encoder.transform(records[:30], AS_OF)
    expected = shap.TreeExplainer(booster).shap_values(X)
    raw = booster.predict(xgb.DMatrix(X), pred_contribs=True, validate_features=False)
    np.testing.assert_allclose(raw[:, :-1], expected, atol=1e-5)


def test_a_model_survives_its_artifact(trained_artifacts, records):
    encoder_dict, by_bank = trained_artifacts
    artifact, _metrics = by_bank["bank_a"]
    assert artifact[:4] == b"PSM1" and artifact[8:9] == b"{"  # our JSON header, not a pickle stream
    encoder = FeatureEncoder.from_dict(encoder_dict)
    X = encoder.transform(records, AS_OF)
    np.testing.assert_array_equal(load_model(artifact).predict_proba(X), load_model(bytearray(artifact)).predict_proba(X))


def test_trained_models_beat_chance_on_held_out_rows(trained_artifacts):
    _encoder, by_bank = trained_artifacts
    for code, (_artifact, metrics) in by_bank.items():
        assert metrics["auc_ci_low"] > 0.6, code
        assert metrics["auc"] <= metrics["oracle_auc"] + 0.03
        assert 0 < metrics["brier"] < 0.25


def test_reasons_are_ranked_phrased_and_sized():
    contributions = {"payment_to_income": -0.9, "birth_date": 0.4, "goods_category": -0.2, "snils": 0.001}
    answers = {"goods_category": "Travel", "birth_date": "1990-01-01"}
    derived = {"payment_to_income": 0.383, "birth_date": 36.0}
    reasons = reasons_for(contributions, answers, derived, top_n=5, margin=1.0,
                          labels={"goods_category": "Категория товара"},
                          choice_labels={"goods_category": {"Travel": "Путешествия"}})
    assert [r["feature"] for r in reasons] == ["payment_to_income", "birth_date", "goods_category"]
    # Graded by the share's size, not the model's direction: 38 % is a noticeable load (phrases.load_grade).
    assert reasons[0]["text"] == "Платёж 38\u00a0% дохода — заметная нагрузка"
    assert reasons[0]["direction"] == "down" and reasons[0]["effect_pp"] < 0
    assert reasons[1]["text"].startswith("Возраст 36\u00a0лет") and reasons[1]["effect_pp"] > 0
    assert reasons[2]["text"] == "Категория товара: Путешествия — снижает шанс"
    assert len(reasons_for(contributions, answers, derived, top_n=1)) == 1


def test_batch_encoding_equals_row_by_row_encoding(specs):
    from scoring.engine.config import default_derived_specs

    frame = generate_applications(300, seed=21)
    records = frame[[s.key for s in specs]].to_dict("records")
    records[0] = {**records[0], "position": "  Зам. ДИРЕКТОРА ", "monthly_income": "45 000,5", "gender": None}
    records[1] = {**records[1], "goods_category": "не из списка", "birth_date": "1988-07-21 00:00:00.0000000"}
    records[2] = {key: None for key in records[2]}
    records[3] = {**records[3], "education": ["a", "list"], "loan_term": 12.0}
    encoder = FeatureEncoder(specs, default_derived_specs()).fit(records)
    columns = encoder.transform(records, AS_OF)
    rows = np.vstack([encoder.transform([record], AS_OF) for record in records])
    np.testing.assert_array_equal(columns, rows)


def test_decisions_become_labels_and_gaps_become_nan():
    from scoring.engine.training import decision_labels

    labels = decision_labels(pd.Series(["success", " Denied ", "error", None, "", pd.NA], dtype=object))
    np.testing.assert_array_equal(labels[:2], [1.0, 0.0])
    assert np.isnan(labels[2:]).all()


# --- the payment features at each bank's own rate ------------------------------------------------

RATES = {"bank_a": 15.0, "bank_b": 35.0}


@pytest.fixture(scope="module")
def bank_rate_models(specs):
    """Two banks trained with their own rates (FeatureEncoder.bank_rate), XGBoost only."""
    from scoring.engine.training import train_all_banks

    frame = generate_applications(1500, seed=31, bank_codes=list(RATES))
    encoder, trained = train_all_banks(frame, specs, list(RATES), derived=default_derived_specs(), seed=31,
                                       as_of=AS_OF, algorithms=("xgboost",), rates=RATES)
    return FeatureEncoder.from_dict(encoder.to_dict()), {code: load_model(m.to_bytes()) for code, m in trained.items()}


def test_an_encoder_trained_with_bank_rates_says_so_and_recomputes_only_the_payment_columns(bank_rate_models,
                                                                                           records):
    encoder, _models = bank_rate_models
    assert encoder.to_dict()["bank_rate"] is True
    base = encoder.transform(records, AS_OF)
    at_a, at_b = (encoder.with_rate(base, records, RATES[code]) for code in RATES)
    np.testing.assert_array_equal(at_a, encoder.transform(records, AS_OF, rate=15.0))
    changed = [encoder.columns[i] for i in np.flatnonzero(~np.all(np.isclose(at_a, at_b, equal_nan=True), axis=0))]
    assert changed == ["payment_to_income", "free_income"]
    record = records[0]
    payment = monthly_payment(record["loan_amount"], 15.0, float(record["loan_term"]))
    assert at_a[0, encoder.columns.index("payment_to_income")] == pytest.approx(payment / record["month_profit"],
                                                                                rel=1e-6)
    assert encoder.derived_values(record, AS_OF, rate=15.0)["payment_to_income"] == pytest.approx(
        payment / record["month_profit"])


def test_each_bank_scores_the_matrix_at_its_own_rate(bank_rate_models, records):
    encoder, models = bank_rate_models
    scorer = Scorer({code: (encoder, model) for code, model in models.items()})
    batch = scorer.score(records, as_of=AS_OF, rates=RATES)
    for column, code in enumerate(batch.bank_codes):
        own = models[code].predict_proba(encoder.transform(records, AS_OF, rate=RATES[code]))
        np.testing.assert_allclose(batch.probabilities[:, column], own, rtol=1e-6)
    # The same rates given once to the Scorer, and one application at a time: the same figures.
    one = Scorer({code: (encoder, model) for code, model in models.items()}, rates=RATES)
    np.testing.assert_allclose(one.score(records[:1], as_of=AS_OF).probabilities, batch.probabilities[:1], rtol=1e-6)
    # Without the rates the payment is at the old reference rate, which moves the estimates.
    assert not np.allclose(scorer.score(records, as_of=AS_OF).probabilities, batch.probabilities)


def test_variants_follow_the_banks_rate(bank_rate_models, records):
    encoder, models = bank_rate_models
    scorer = Scorer({code: (encoder, model) for code, model in models.items()})
    changes = {"loan_amount": np.array([50_000.0, 100_000.0, 150_000.0]), "loan_term": np.array([12.0, 12.0, 24.0])}
    probabilities = scorer.variant_probabilities(records[0], as_of=AS_OF, changes=changes, rates=RATES)
    for column, code in enumerate(scorer.bank_codes):
        varied = [{**records[0], "loan_amount": a, "loan_term": str(int(t))} for a, t in zip(*changes.values())]
        expected = models[code].predict_proba(encoder.transform(varied, AS_OF, rate=RATES[code]))
        np.testing.assert_allclose(probabilities[:, column], expected, rtol=1e-5)


def test_an_encoder_stored_before_bank_rates_scores_exactly_as_before(trained_artifacts, records):
    """An encoder JSON without the flag (and without units or English labels) keeps the 20 % reference
    rate whatever the banks' rates are: its models score exactly what they scored before."""
    from scoring.engine.preprocessing import REFERENCE_RATE

    encoder_dict, by_bank = trained_artifacts
    old = {**encoder_dict, "specs": [{k: v for k, v in spec.items() if k not in ("unit", "unit_en", "label_en",
                                                                                  "choice_labels_en")}
                                     for spec in encoder_dict["specs"]],
           "derived": [{k: v for k, v in d.items() if k not in ("label_en", "format")}
                       for d in encoder_dict["derived"]]}
    old.pop("bank_rate", None)
    encoder = FeatureEncoder.from_dict(old)
    assert not encoder.bank_rate and not encoder.depends_on_rate
    models = {code: load_model(artifact) for code, (artifact, _m) in by_bank.items()}
    rates = {code: 5.0 + 7 * i for i, code in enumerate(models)}
    scorer = Scorer({c: (encoder, m) for c, m in models.items()})
    with_rates = scorer.score(records, as_of=AS_OF, rates=rates, explain=False)
    X = encoder.transform(records, AS_OF)
    assert encoder.with_rate(X, records, 35.0) is X
    for column, code in enumerate(with_rates.bank_codes):
        np.testing.assert_array_equal(with_rates.probabilities[:, column], models[code].predict_proba(X))
    explained, before = scorer.score(records, as_of=AS_OF, rates=rates), scorer.score(records, as_of=AS_OF)
    np.testing.assert_array_equal(explained.probabilities, before.probabilities)
    for code in models:
        np.testing.assert_array_equal(explained.contributions[code], before.contributions[code])
    record = records[0]
    payment = monthly_payment(record["loan_amount"], REFERENCE_RATE, float(record["loan_term"]))
    assert encoder.derived_values(record, AS_OF, rate=35.0)["payment_to_income"] == pytest.approx(
        payment / record["month_profit"])
