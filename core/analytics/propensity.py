"""Explainable propensity to buy in the next N days, from demographics and purchase history.

A logistic regression (median imputation → standardisation → LogisticRegression) over a few
features a person can read: age, gender, household income, number of orders, revenue, days since
the last order and days since the first order. Each contact's score comes with its top three
factors, the features whose coefficient × standardised value moved the score most for that contact
(relative to an average contact), e.g. "bought 5 times (+0.8)".

Scores are advice for a salesperson choosing whom to call; nothing acts on them automatically.

Time: features are computed "as of" a date from orders on or before that day; a label says whether
the contact ordered in the following `horizon_days` days. `time_split_validation` trains on one
window and evaluates on the next, so the model is never judged on the period it learnt from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from core.analytics._frames import as_timestamp, ensure_columns, to_datetime
from core.errors import CRMError

# Same vocabulary as core.models.base.GENDERS, repeated so analytics needs no ORM import.
GENDERS = ("female", "male", "other", "unknown")
NUMERIC_FEATURES = (
    "age",
    "household_income",
    "orders_count",
    "revenue",
    "days_since_last_order",
    "tenure_days",
)
FEATURES = NUMERIC_FEATURES + tuple(f"gender_{g}" for g in GENDERS)
CONTACT_COLUMNS = ("contact_id", "birth_date", "gender", "household_income")
ORDER_COLUMNS = ("contact_id", "ordered_at", "amount")
LIFT_COLUMNS = ("decile", "contacts", "buyers", "rate", "lift")
TOP_FACTORS = 3


class NotEnoughData(CRMError, ValueError):
    """The model cannot be trained: the training window lacks buyers or non-buyers."""


def _day_after(day: date) -> pd.Timestamp:
    return as_timestamp(day) + pd.Timedelta(days=1)


def build_features(contacts: pd.DataFrame, orders: pd.DataFrame | None, as_of: date,
                   history: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per contact (index contact_id) with FEATURES, from orders on or before `as_of`
    (or from `history`: orders_count, revenue, days_since_last_order and tenure_days per contact,
    index contact_id, as `_history` computes them from orders).

    Contacts created after `as_of` (when a created_at column is given) are left out: they did not
    exist yet. Missing birth dates and incomes stay NaN (the model imputes the median); contacts
    who never ordered have 0 orders and revenue and NaN days since last / first order.
    """
    contacts = ensure_columns(contacts, CONTACT_COLUMNS, "contacts")
    if history is None:
        history = _history(ensure_columns(orders, ORDER_COLUMNS, "orders"), as_of)
    if "created_at" in contacts.columns:
        contacts = contacts[~(to_datetime(contacts["created_at"]) >= _day_after(as_of))]
    features = pd.DataFrame(index=pd.Index(contacts["contact_id"], name="contact_id"))
    features["age"] = _age(to_datetime(contacts["birth_date"]), as_of).to_numpy()
    features["household_income"] = pd.to_numeric(contacts["household_income"], errors="coerce").to_numpy()
    history = history.reindex(features.index)
    features["orders_count"] = history["orders_count"].fillna(0)
    features["revenue"] = history["revenue"].fillna(0.0)
    features["days_since_last_order"] = history["days_since_last_order"]
    features["tenure_days"] = history["tenure_days"]
    gender = contacts["gender"].fillna("unknown").astype(str).str.strip().str.lower()
    gender = gender.where(gender.isin(GENDERS), "other").where(gender != "", "unknown")
    for value in GENDERS:
        features[f"gender_{value}"] = (gender == value).astype(float).to_numpy()
    return features.astype(float)


def _age(birth: pd.Series, as_of: date) -> pd.Series:
    """Whole years on `as_of`, one less when the birthday has not come yet that year."""
    before_birthday = (birth.dt.month * 100 + birth.dt.day) > (as_of.month * 100 + as_of.day)
    return as_of.year - birth.dt.year - before_birthday.astype(float)


def _history(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per contact (index contact_id): orders_count, revenue, days since the last and first order."""
    moment = to_datetime(orders["ordered_at"])
    known = orders.assign(day=moment.dt.normalize(), amount=pd.to_numeric(orders["amount"], errors="coerce"))
    known = known[moment < _day_after(as_of)]
    per_contact = known.groupby("contact_id").agg(
        orders_count=("day", "size"), revenue=("amount", "sum"), last=("day", "max"), first=("day", "min")
    )
    per_contact["days_since_last_order"] = (as_timestamp(as_of) - per_contact["last"]).dt.days
    per_contact["tenure_days"] = (as_timestamp(as_of) - per_contact["first"]).dt.days
    return per_contact


def buyers_between(contacts: pd.DataFrame, orders: pd.DataFrame, after: date, until: date) -> pd.Series:
    """1 for each contact who ordered on a day in (after, until], else 0 (index contact_id)."""
    orders = ensure_columns(orders, ORDER_COLUMNS, "orders")
    moment = to_datetime(orders["ordered_at"])
    inside = (moment >= _day_after(after)) & (moment < _day_after(until))
    buyers = set(orders.loc[inside, "contact_id"])
    ids = ensure_columns(contacts, ["contact_id"], "contacts")["contact_id"]
    return pd.Series(ids.isin(buyers).astype(int).to_numpy(), index=pd.Index(ids, name="contact_id"))


def train(features: pd.DataFrame, labels: pd.Series) -> Pipeline:
    """Fit imputer → scaler → logistic regression on `features` against 0/1 `labels` (same index)."""
    y = labels.reindex(features.index)
    if y.isna().any():
        raise ValueError("every contact in the features needs a label")
    if y.nunique() < 2:
        raise NotEnoughData(
            "Not enough history to train the propensity model: the training window needs both "
            "contacts who bought and contacts who did not. Try an earlier cutoff or a longer horizon."
        )
    model = Pipeline([
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("scale", StandardScaler()),
        ("model", LogisticRegression(max_iter=1000)),
    ])
    return model.fit(features[list(FEATURES)], y.astype(int))


@dataclass(frozen=True)
class LinearModel:
    """A fitted `train` pipeline as plain numbers, the same arithmetic in numpy (and in SQL, see
    `core.analytics.potential_scores`): impute each feature's median, standardise, then
    logit = intercept + standardised · coefficients and probability = 1 / (1 + e^−logit).
    Plain numbers can be kept as JSON, so a new process reads the model instead of refitting it."""

    medians: tuple[float, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float

    @classmethod
    def of(cls, model: Pipeline) -> LinearModel:
        imputer, scaler, regression = model["impute"], model["scale"], model["model"]
        return cls(tuple(map(float, imputer.statistics_)), tuple(map(float, scaler.mean_)),
                   tuple(map(float, scaler.scale_)), tuple(map(float, regression.coef_[0])),
                   float(regression.intercept_[0]))

    def as_dict(self) -> dict[str, Any]:
        return {"medians": list(self.medians), "means": list(self.means), "scales": list(self.scales),
                "coefficients": list(self.coefficients), "intercept": self.intercept}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LinearModel:
        return cls(*(tuple(float(v) for v in values[name]) for name in ("medians", "means", "scales",
                                                                        "coefficients")),
                   float(values["intercept"]))

    def standardised(self, features: pd.DataFrame) -> np.ndarray:
        values = features[list(FEATURES)].to_numpy(dtype="float64", copy=True)
        missing = np.isnan(values)
        values[missing] = np.broadcast_to(np.asarray(self.medians), values.shape)[missing]
        return (values - np.asarray(self.means)) / np.asarray(self.scales)

    def logit(self, features: pd.DataFrame) -> np.ndarray:
        # A (n, k) × (k, 1) product, as LogisticRegression.decision_function computes it.
        product = self.standardised(features) @ np.asarray(self.coefficients)[:, None]
        return product.ravel() + self.intercept

    def probability(self, features: pd.DataFrame) -> np.ndarray:
        return np.asarray(expit(self.logit(features)))

    def raw_weights(self) -> tuple[float, dict[str, float]]:
        """(bias, weight per feature) such that logit = bias + Σ weight × imputed raw value: the
        standardisation folded into the coefficients, so that SQL needs one product per feature."""
        weights = np.asarray(self.coefficients) / np.asarray(self.scales)
        bias = self.intercept - float(np.sum(weights * np.asarray(self.means)))
        return bias, dict(zip(FEATURES, map(float, weights), strict=True))


def as_linear(model: Pipeline | LinearModel) -> LinearModel:
    return model if isinstance(model, LinearModel) else LinearModel.of(model)


def feature_weights(model: Pipeline | LinearModel) -> pd.DataFrame:
    """Coefficients per standardised feature, strongest first: the model's overall explanation."""
    weights = pd.DataFrame({"feature": list(FEATURES), "weight": list(as_linear(model).coefficients)})
    return weights.reindex(weights["weight"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def contributions(model: Pipeline | LinearModel, features: pd.DataFrame) -> pd.DataFrame:
    """coefficient × standardised value per contact and feature (log-odds against an average contact)."""
    linear = as_linear(model)
    effect = linear.standardised(features) * np.asarray(linear.coefficients)
    return pd.DataFrame(effect, index=features.index, columns=list(FEATURES))


def score(model: Pipeline | LinearModel, features: pd.DataFrame) -> pd.DataFrame:
    """Probability of buying and the top three factors as text, most likely buyers first."""
    columns = ["contact_id", "probability", *(f"factor_{i}" for i in range(1, TOP_FACTORS + 1))]
    if features.empty:
        return pd.DataFrame(columns=columns)
    linear = as_linear(model)
    probability = linear.probability(features)
    effect = contributions(linear, features).to_numpy()
    top = np.argsort(-np.abs(effect), axis=1, kind="stable")[:, :TOP_FACTORS]
    values = features[list(FEATURES)].to_numpy(dtype="float64")
    # Only the chosen cells are worded (three of ten per contact), one by one: wording every
    # feature of every row as pandas strings took a tenth of a second for the 200 prospects.
    factors = [[f"{_phrase(FEATURES[j], values[i, j])} ({effect[i, j]:+.1f})" for j in chosen]
               for i, chosen in enumerate(top)]
    result = pd.DataFrame(factors, columns=columns[2:])
    result.insert(0, "probability", probability)
    result.insert(0, "contact_id", features.index.to_numpy())
    return result.sort_values(["probability", "contact_id"], ascending=[False, True]).reset_index(drop=True)


PHRASES = {
    "age": ("aged {}", "age unknown"),
    "household_income": ("household income {}", "income unknown"),
    "orders_count": ("bought {} times", "never bought"),
    "revenue": ("spent {}", "never bought"),
    "days_since_last_order": ("last order {} days ago", "no order yet"),
    "tenure_days": ("first order {} days ago", "no order yet"),
}


def _phrase(name: str, value: float) -> str:
    """A feature's value in words, e.g. "bought 5 times", "income unknown", "gender female"."""
    if name.startswith("gender_"):
        gender = name.removeprefix("gender_")
        return f"gender {gender}" if value == 1 else f"gender not {gender}"
    known, unknown = PHRASES[name]
    if name == "orders_count":
        return "bought once" if value == 1 else known.format(f"{value:,.0f}") if value > 0 else unknown
    return unknown if math.isnan(value) else known.format(f"{value:,.0f}")


def lift_table(probability: pd.Series, labels: pd.Series, deciles: int = 10) -> pd.DataFrame:
    """Buyers per score decile (1 = highest scores) and the rate's lift over the base rate."""
    if probability.empty:
        return pd.DataFrame(columns=list(LIFT_COLUMNS))
    y = labels.reindex(probability.index).fillna(0).astype(int)
    ranks = probability.rank(method="first", ascending=False)
    decile = pd.qcut(ranks, deciles, labels=False) + 1 if len(ranks) > 1 else pd.Series(1, ranks.index)
    table = y.groupby(decile.to_numpy()).agg(contacts="size", buyers="sum").rename_axis("decile")
    table["rate"] = table["buyers"] / table["contacts"]
    base_rate = y.mean()
    table["lift"] = table["rate"] / base_rate if base_rate else np.nan
    return table.reset_index()[list(LIFT_COLUMNS)]


@dataclass(frozen=True)
class Validation:
    """Out-of-time check of the model: AUC and the decile lift table on the later window."""

    auc: float
    base_rate: float
    lift: pd.DataFrame
    model: Pipeline
    train_contacts: int
    test_contacts: int


def time_split_validation(
    contacts: pd.DataFrame, orders: pd.DataFrame, cutoff: date, horizon_days: int
) -> Validation:
    """Train on the window before the last one, evaluate on the last, as a deployed model would be.

    Test: features as of cutoff − horizon, labels = bought in (cutoff − horizon, cutoff].
    Train: the same one horizon earlier, features as of cutoff − 2 × horizon and labels in
    (cutoff − 2 × horizon, cutoff − horizon], so nothing from the test window leaks into training.
    AUC is NaN when the test window has only buyers or only non-buyers.
    """
    horizon = timedelta(days=horizon_days)
    test_as_of, train_as_of = cutoff - horizon, cutoff - 2 * horizon
    train_features = build_features(contacts, orders, train_as_of)
    train_labels = buyers_between(contacts, orders, train_as_of, test_as_of)
    model = train(train_features, train_labels)
    test_features = build_features(contacts, orders, test_as_of)
    test_labels = buyers_between(contacts, orders, test_as_of, cutoff).reindex(test_features.index)
    probability = pd.Series(model.predict_proba(test_features[list(FEATURES)])[:, 1], test_features.index)
    auc = roc_auc_score(test_labels, probability) if test_labels.nunique() == 2 else float("nan")
    return Validation(
        auc=float(auc),
        base_rate=float(test_labels.mean()),
        lift=lift_table(probability, test_labels),
        model=model,
        train_contacts=len(train_features),
        test_contacts=len(test_features),
    )
