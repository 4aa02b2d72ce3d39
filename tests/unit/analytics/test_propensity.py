"""Propensity: hand-checked features and lift table; a planted signal the model must find."""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.analytics.propensity import (
    FEATURES,
    LIFT_COLUMNS,
    LinearModel,
    NotEnoughData,
    build_features,
    buyers_between,
    contributions,
    feature_weights,
    lift_table,
    score,
    time_split_validation,
    train,
)

AS_OF = date(2026, 6, 15)


def test_features_by_hand() -> None:
    contacts = pd.DataFrame({
        "contact_id": [1, 2, 3],
        "birth_date": [date(1980, 6, 16), date(1980, 6, 15), None],  # 1's birthday is tomorrow
        "gender": ["Female", None, "nonbinary"],
        "household_income": [50_000.0, None, 20_000.0],
    })
    orders = pd.DataFrame({
        "contact_id": [1, 1, 1, 2],
        "ordered_at": ["2026-01-01 10:00", "2026-06-05 09:00", "2026-06-16 12:00", "2026-06-15 23:00"],
        "amount": [100.0, 50.0, 999.0, 10.0],  # the 16 June order is after as_of: ignored
    })
    features = build_features(contacts, orders, AS_OF)
    assert list(features.columns) == list(FEATURES)
    one, two, three = (features.loc[i] for i in (1, 2, 3))
    assert (one["age"], two["age"]) == (45, 46)
    assert math.isnan(three["age"]) and math.isnan(two["household_income"])
    assert (one["orders_count"], one["revenue"]) == (2, 150.0)
    assert (one["days_since_last_order"], one["tenure_days"]) == (10, 165)  # 5 June, 1 January
    assert (two["days_since_last_order"], two["tenure_days"]) == (0, 0)
    assert (three["orders_count"], three["revenue"]) == (0, 0.0)
    assert math.isnan(three["days_since_last_order"])
    assert one["gender_female"] == 1 and two["gender_unknown"] == 1 and three["gender_other"] == 1
    assert features[[f"gender_{g}" for g in ("female", "male", "other", "unknown")]].sum(axis=1).eq(1).all()


def test_contacts_created_later_are_left_out_and_labels_use_the_window() -> None:
    contacts = pd.DataFrame({"contact_id": [1, 2, 3], "birth_date": None, "gender": None,
                             "household_income": None,
                             "created_at": ["2026-01-01", "2026-06-15", "2026-06-16"]})
    orders = pd.DataFrame({"contact_id": [1, 2, 3], "amount": 1.0,
                           "ordered_at": ["2026-06-15 18:00", "2026-06-16 08:00", "2026-07-15 08:00"]})
    assert list(build_features(contacts, orders, AS_OF).index) == [1, 2]
    labels = buyers_between(contacts, orders, AS_OF, date(2026, 7, 15))  # (15 June, 15 July]
    assert labels.to_dict() == {1: 0, 2: 1, 3: 1}


def test_lift_table_by_hand() -> None:
    # 20 contacts, two per decile. Buyers: the 3 highest scores and the lowest. Base rate 4/20 = 0.2.
    probability = pd.Series(np.linspace(0.99, 0.01, 20), index=range(100, 120))
    labels = pd.Series(0, index=probability.index)
    labels[[100, 101, 102, 119]] = 1
    table = lift_table(probability, labels)
    assert list(table.columns) == list(LIFT_COLUMNS)
    assert list(table["decile"]) == list(range(1, 11))
    assert list(table["contacts"]) == [2] * 10
    assert list(table["buyers"]) == [2, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert table["lift"][0] == pytest.approx(1.0 / 0.2)
    assert table["lift"][1] == pytest.approx(0.5 / 0.2)


def planted_data(seed: int = 7, n: int = 600) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Income decides who buys in each 30-day window; age, gender and past orders are noise."""
    rng = np.random.default_rng(seed)
    contacts = pd.DataFrame({
        "contact_id": np.arange(n),
        "birth_date": pd.to_datetime("1950-01-01") + pd.to_timedelta(rng.integers(0, 18_000, n), unit="D"),
        "gender": rng.choice(["female", "male", None], n),
        "household_income": rng.normal(50_000, 15_000, n).round(),
    })
    contacts.loc[rng.choice(n, 30, replace=False), "household_income"] = np.nan  # gaps are imputed
    rows = []
    for contact in range(n):  # history: noise in 2025
        rows += [(contact, pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(d)), 100.0)
                 for d in rng.integers(0, 365, rng.poisson(2))]
    chance = 1 / (1 + np.exp(-(contacts["household_income"].fillna(50_000) - 55_000) / 5_000))
    for window_start in ("2026-04-05", "2026-05-05"):  # inside the train and test label windows
        for contact in np.flatnonzero(rng.random(n) < chance):
            moment = pd.Timestamp(window_start) + pd.Timedelta(days=int(rng.integers(0, 25)))
            rows.append((contact, moment, 80.0))
    return contacts, pd.DataFrame(rows, columns=["contact_id", "ordered_at", "amount"])


def test_time_split_validation_finds_the_planted_signal() -> None:
    contacts, orders = planted_data()
    result = time_split_validation(contacts, orders, cutoff=date(2026, 6, 1), horizon_days=30)
    assert result.auc > 0.8
    assert feature_weights(result.model)["feature"][0] == "household_income"
    assert result.lift["decile"].tolist() == list(range(1, 11))
    assert result.lift["lift"][0] > 2  # the top tenth buys at over twice the base rate
    assert result.lift["buyers"].sum() == pytest.approx(result.base_rate * result.test_contacts)
    again = time_split_validation(contacts, orders, cutoff=date(2026, 6, 1), horizon_days=30)
    assert again.auc == result.auc  # deterministic


def test_scores_carry_readable_top_factors() -> None:
    contacts, orders = planted_data()
    as_of = date(2026, 5, 2)
    features = build_features(contacts, orders, as_of)
    model = train(features, buyers_between(contacts, orders, as_of, date(2026, 6, 1)))
    scored = score(model, features)
    assert scored["probability"].is_monotonic_decreasing
    richest = int(contacts.loc[contacts["household_income"].idxmax(), "contact_id"])
    top = scored[scored["contact_id"] == richest].iloc[0]
    income = f"{contacts['household_income'].max():,.0f}"
    assert top["factor_1"].startswith(f"household income {income} (+")
    # contribution = coefficient × (value - mean) / std, with the population std (ddof 0)
    values = features["orders_count"]
    weight = model[-1].coef_[0][FEATURES.index("orders_count")]
    expected = weight * (values - values.mean()) / values.std(ddof=0)
    assert contributions(model, features)["orders_count"].to_numpy() == pytest.approx(expected.to_numpy())


def test_factor_text_describes_each_contacts_own_values() -> None:
    features = pd.DataFrame([[40, 30_000, 5, 500, 10, 300, 1, 0, 0, 0],
                             [30, np.nan, 0, 0, np.nan, np.nan, 0, 1, 0, 0],
                             [50, 90_000, 1, 80, 90, 90, 0, 0, 0, 1]],
                            columns=list(FEATURES), index=pd.Index([1, 2, 3], name="contact_id"))
    model = train(features, pd.Series([1, 0, 1], index=features.index))
    phrases = {
        1: {"aged 40", "household income 30,000", "bought 5 times", "spent 500", "last order 10 days ago",
            "first order 300 days ago", "gender female", "gender not male", "gender not other",
            "gender not unknown"},
        2: {"aged 30", "income unknown", "never bought", "no order yet", "gender not female",
            "gender male", "gender not other", "gender not unknown"},
        3: {"aged 50", "household income 90,000", "bought once", "spent 80", "last order 90 days ago",
            "first order 90 days ago", "gender not female", "gender not male", "gender not other",
            "gender unknown"},
    }
    effect = contributions(model, features)
    for _, row in score(model, features).iterrows():
        factors = [row[f"factor_{i}"] for i in (1, 2, 3)]
        for text in factors:
            words, sign = text.rsplit(" ", 1)
            assert words in phrases[row["contact_id"]]
            assert sign[:2] in ("(+", "(-") and sign.endswith(")")
        strengths = [abs(float(text.rsplit("(", 1)[1].rstrip(")"))) for text in factors]
        assert strengths == sorted(strengths, reverse=True)
        assert strengths[0] == pytest.approx(effect.loc[row["contact_id"]].abs().max(), abs=0.05)


def test_training_needs_both_classes_and_empty_input_scores_nothing() -> None:
    features = pd.DataFrame([[1.0] * len(FEATURES)] * 2, columns=list(FEATURES), index=[1, 2])
    with pytest.raises(NotEnoughData, match="needs both contacts who bought and contacts who did not"):
        train(features, pd.Series([1, 1], index=[1, 2]))
    assert score(None, features.iloc[:0]).empty  # type: ignore[arg-type]
    assert lift_table(pd.Series(dtype=float), pd.Series(dtype=int)).empty


def test_the_model_as_plain_numbers_scores_as_the_fitted_pipeline() -> None:
    """LinearModel (kept as JSON, and the basis of the SQL scores) gives sklearn's probabilities,
    also for missing values and a feature nobody has (imputed 0), and survives a JSON round trip."""
    contacts, orders = planted_data()
    contacts.loc[contacts.index % 3 == 0, "birth_date"] = None
    as_of = date(2026, 5, 2)
    features = build_features(contacts, orders, as_of)
    features["household_income"] = np.where(features.index % 4 == 0, np.nan, features["household_income"])
    model = train(features, buyers_between(contacts, orders, as_of, date(2026, 6, 1)))
    linear = LinearModel.of(model)
    expected = model.predict_proba(features[list(FEATURES)])[:, 1]
    np.testing.assert_allclose(linear.probability(features), expected, rtol=1e-12)
    assert LinearModel.from_dict(json.loads(json.dumps(linear.as_dict()))) == linear
    bias, weights = linear.raw_weights()  # the same logit with the standardisation folded in
    filled = features[list(FEATURES)].fillna(dict(zip(FEATURES, linear.medians, strict=True)))
    raw_logit = bias + filled.to_numpy() @ np.array([weights[name] for name in FEATURES])
    np.testing.assert_allclose(raw_logit, linear.logit(features), rtol=1e-9, atol=1e-9)
