"""Sales potential: how likely each contact is to buy in the next N days, and why. Advice only.

The propensity model (`core.analytics.propensity`) is fitted on the contacts of the whole company
(a deterministic sample of TRAINING_CONTACTS by id when there are more), not only the reader's: a
model fitted on one salesperson's few customers would be noise, and the same contact would get a
different score depending on who looks. What a reader sees stays scoped: scores
and reasons only for contacts they may open, and the model's quality as shares (AUC, buyers' rate
and lift per decile), never other people's records.

Fitting follows a deployed model's life: `time_split_validation` fits on the window before the
last and measures AUC and decile lift on the last (as of `core.config.today()`); the model then
used for scores is refitted the same way one window later (features as of today − horizon, labels
= bought in the last horizon).

When it is refitted: a fit reads the whole company's history and takes seconds at scale (17 s on
SQLite at a million contacts), while a linear model fitted yesterday ranks today's contacts just
as well. So the model is fitted once per day at most, and never by a reader who already has one:
the fitted model is kept in the potential_models table (one row per horizon) and every read
scores today's features (the contact_features summary, up to date with every new contact and
order) with it. `refit_stale`, run by `crm summaries refresh` from cron, fits every horizon the
page offers (HORIZONS) that has no model fitted today. A reader fits only when cron has never run
(the first read of a horizon on a new database) or the kept fit found too little history and
contacts or orders were added since. The dashboard states the fit's date and size.

Scores are computed by the database (`core.analytics.potential_scores`): the model is linear, so a
contact's score is one expression over its row of the contact_features summary; the top prospects
and the count per probability band come back, never a row per contact. Probabilities equal the
pandas path's (`propensity.build_features` and the fitted pipeline) up to float rounding; a tie
broken by that rounding is the only way the order of two prospects could differ.

Nothing is stored or acted on automatically. A person may mark a prospect accepted or dismissed:
a tag on the contact written through the contacts service (validated, permission-checked, audited).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import pandas as pd
from scipy.special import expit
from sqlalchemy import func, select, text
from sqlmodel import Session

from core.analytics import potential_scores, propensity, purchases, summaries
from core.analytics.cache import SYSTEM_SCOPE, cached, user_scope
from core.analytics.loaders import (
    contact_labels,
    contacts_frame,
    data_version,
    purchases_frame,
)
from core.config import now, today
from core.models import Contact, Order, OrderLine, User
from core.services.contacts import contacts as contact_service
from core.services.records import get_record

HORIZON_DAYS = 90
HORIZONS = (30, 90, 180)  # the windows the page offers, each with its own kept model
TRAINING_CONTACTS = 50_000
ACCEPTED, DISMISSED = "prospect-accepted", "prospect-dismissed"
DECISIONS = {"accepted": ACCEPTED, "dismissed": DISMISSED}
PROSPECTS_SHOWN = 200
BINS = 20
FACTORS = [f"factor_{i}" for i in range(1, propensity.TOP_FACTORS + 1)]


@dataclass(frozen=True)
class PotentialModel:
    """The fitted model and its out-of-time check (AUC, buyers' rate, decile lift), or why there
    is none (`problem`). `as_of` is the day it was fitted as of; `contacts` how many contacts it
    was fitted on (one in `sampled_every` by id at scale); `key` the data it was fitted on (the
    date and the highest contact, order and line ids)."""

    horizon_days: int
    as_of: date
    model: propensity.LinearModel | None = None
    auc: float = float("nan")
    base_rate: float = float("nan")
    lift: pd.DataFrame = field(default_factory=pd.DataFrame)  # propensity.LIFT_COLUMNS
    problem: str | None = None
    contacts: int = 0
    sampled_every: int = 1
    key: str = ""


@dataclass(frozen=True)
class PotentialDashboard:
    horizon_days: int
    as_of: date
    problem: str | None = None  # set when there is not enough history to fit a model
    auc: float = float("nan")
    base_rate: float = float("nan")  # share of contacts who bought in the test window
    lift: pd.DataFrame = field(default_factory=pd.DataFrame)  # decile, rate, lift
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)  # feature, weight (standardised)
    distribution: pd.DataFrame = field(default_factory=pd.DataFrame)  # probability band, contacts
    prospects: pd.DataFrame = field(default_factory=pd.DataFrame)  # top visible contacts with reasons
    scored: int = 0  # visible contacts scored
    fitted_on: date | None = None  # the day the model was fitted as of (scores are as of `as_of`)
    fitted_contacts: int = 0  # contacts it was fitted on
    sampled_every: int = 1  # one contact in k by id, when there were more than TRAINING_CONTACTS


@dataclass(frozen=True)
class ContactPotential:
    horizon_days: int
    probability: float | None = None
    reasons: list[str] = field(default_factory=list)  # strongest first, e.g. "bought 5 times (+0.8)"
    review: str | None = None  # "accepted", "dismissed" or None
    problem: str | None = None


# ---- fitting and scoring (company-wide, cached) -------------------------------------------------------


def _training_version(session: Session) -> str:
    return data_version(session, (Contact, Order, OrderLine))


def _training_frames(session: Session, version: str) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Contacts and their purchases to fit on, and k: all of them up to TRAINING_CONTACTS, beyond
    that one contact in k by id. A model of ten features learns nothing more from 200,000 rows
    than from 50,000, while reading and fitting them all takes seconds."""
    def read() -> tuple[pd.DataFrame, pd.DataFrame, int]:
        highest_id = session.scalar(select(func.max(Contact.id))) or 0
        every = max(1, math.ceil(highest_id / TRAINING_CONTACTS))
        return (contacts_frame(session, None, every=every), purchases.purchases(session, every=every),
                every)
    return cached("potential-training-frames", version, SYSTEM_SCOPE, (), read)


def fitted_model(session: Session, horizon_days: int = HORIZON_DAYS) -> PotentialModel:
    """The kept model for `horizon_days` (see the module notes: a reader never refits a model).

    Fitted here only when none is kept yet, or the kept fit found too little history and contacts
    or orders were added since. The fit is deterministic (a sample by id, then lbfgs), so two
    processes fitting the same data at once keep the same model."""
    kept = kept_model(session, horizon_days)
    if kept is not None and kept.model is not None:
        return kept
    version = _training_version(session)
    if kept is not None and kept.key == _data_key(version):
        return kept  # nothing to fit on yet, and nothing was added since the last try
    return _fit_and_keep(session, version, horizon_days)


def kept_model(session: Session, horizon_days: int = HORIZON_DAYS) -> PotentialModel | None:
    """The model kept in potential_models for `horizon_days`, None when none was ever fitted. The
    row's data key and fit time name the fit: its JSON is read and parsed once per process and fit."""
    row = session.connection().execute(text(
        "SELECT data_key, fitted_at FROM potential_models WHERE horizon_days = :horizon"),
        {"horizon": horizon_days}).first()
    if row is None:
        return None

    def parse() -> PotentialModel:  # the row as it is now (a refit may have replaced it meanwhile)
        key, params = session.connection().execute(text(
            "SELECT data_key, params FROM potential_models WHERE horizon_days = :horizon"),
            {"horizon": horizon_days}).one()
        return _from_json(horizon_days, str(key), str(params))

    return cached("potential-kept-model", str(row[0]), SYSTEM_SCOPE, (horizon_days, str(row[1])), parse)


def refit_stale(session: Session) -> dict[int, PotentialModel | None]:
    """What `crm summaries refresh` does daily (from cron): fit each horizon the page offers (and
    any other kept one) whose model was not fitted today, so that no reader waits for a fit. Per
    horizon the new fit, or None when the kept one is already today's."""
    horizons = {*HORIZONS, *session.connection().execute(text(
        "SELECT horizon_days FROM potential_models")).scalars()}
    refitted: dict[int, PotentialModel | None] = {}
    for horizon in sorted(horizons):
        kept = kept_model(session, horizon)
        refitted[horizon] = None if kept is not None and kept.as_of == today() else refit(session, horizon)
    return refitted


def refit(session: Session, horizon_days: int = HORIZON_DAYS) -> PotentialModel:
    """Fit the model for `horizon_days` on today's data and keep it, replacing the kept one."""
    return _fit_and_keep(session, _training_version(session), horizon_days)


def _data_key(version: str) -> str:
    """The training version without the database's address (its last four parts: the date and
    three highest ids): a copy or a backup of the database keeps its fitted models."""
    return ":".join(version.split(":")[-4:])


def _fit_and_keep(session: Session, version: str, horizon_days: int) -> PotentialModel:
    contacts, orders, every = _training_frames(session, version)
    fitted = replace(_fit(contacts, orders, today(), horizon_days), sampled_every=every,
                     key=_data_key(version))
    _keep(session, fitted)
    return fitted


def _fit(contacts: pd.DataFrame, orders: pd.DataFrame, as_of: date, horizon_days: int) -> PotentialModel:
    try:
        validation = propensity.time_split_validation(contacts, orders, as_of, horizon_days)
        start = as_of - timedelta(days=horizon_days)
        features = propensity.build_features(contacts, orders, start)
        model = propensity.train(features, propensity.buyers_between(contacts, orders, start, as_of))
    except propensity.NotEnoughData as error:
        return PotentialModel(horizon_days, as_of, problem=str(error))
    return PotentialModel(horizon_days, as_of, model=propensity.LinearModel.of(model), auc=validation.auc,
                          base_rate=validation.base_rate, lift=validation.lift, contacts=len(features))


def _keep(session: Session, fitted: PotentialModel) -> None:
    """Store `fitted` as the model of its horizon (replacing an older fit), in a transaction of its
    own as a summary refresh does; two processes fitting at once store the same model."""
    params = json.dumps({"as_of": fitted.as_of.isoformat(), "problem": fitted.problem,
                         "model": fitted.model.as_dict() if fitted.model is not None else None,
                         "auc": fitted.auc, "base_rate": fitted.base_rate,
                         "lift": fitted.lift.to_dict(orient="list"),
                         "contacts": fitted.contacts, "sampled_every": fitted.sampled_every})
    with summaries.own_transaction(session) as connection:
        connection.execute(text(
            "INSERT INTO potential_models (horizon_days, data_key, params, fitted_at) "
            "VALUES (:horizon, :key, :params, :at) ON CONFLICT (horizon_days) DO UPDATE SET "
            "data_key = excluded.data_key, params = excluded.params, fitted_at = excluded.fitted_at"),
            {"horizon": fitted.horizon_days, "key": fitted.key, "params": params, "at": now()})


def _from_json(horizon_days: int, key: str, stored: str) -> PotentialModel:
    values = json.loads(stored)
    model = values["model"]
    return PotentialModel(horizon_days, date.fromisoformat(values["as_of"]),
                          model=propensity.LinearModel.from_dict(model) if model is not None else None,
                          auc=float(values["auc"]), base_rate=float(values["base_rate"]),
                          lift=pd.DataFrame(values["lift"], columns=list(propensity.LIFT_COLUMNS)),
                          problem=values["problem"], contacts=int(values.get("contacts", 0)),
                          sampled_every=int(values.get("sampled_every", 1)), key=key)


# ---- what a reader sees ---------------------------------------------------------------------------------


def potential_dashboard(session: Session, user: User, horizon_days: int = HORIZON_DAYS) -> PotentialDashboard:
    """Model quality, score distribution and the top prospects among the contacts `user` may see."""
    fitted = fitted_model(session, horizon_days)
    if fitted.model is None:
        return PotentialDashboard(horizon_days, today(), problem=fitted.problem)
    version = data_version(session)  # the kept model's key too: a refit from cron shows at once
    return cached("potential", version, user_scope(user), (horizon_days, fitted.key, fitted.as_of),
                  lambda: _dashboard(session, user, fitted))


def _dashboard(session: Session, user: User, fitted: PotentialModel) -> PotentialDashboard:
    """Scores are computed by the database (`potential_scores`): the top prospects and the count
    per probability band come back, never a row per contact. Reasons are worded for the top only.
    Features are today's, whenever the model was fitted: new contacts and orders count at once."""
    assert fitted.model is not None
    as_of = today()
    top, edges, counts = potential_scores.top_and_bands(session, user, fitted.model, as_of, PROSPECTS_SHOWN,
                                                        _band_edges)
    return PotentialDashboard(
        horizon_days=fitted.horizon_days,
        as_of=as_of,
        auc=fitted.auc,
        base_rate=fitted.base_rate,
        lift=fitted.lift[["decile", "rate", "lift"]],
        weights=propensity.feature_weights(fitted.model),
        distribution=_distribution(edges, counts),
        prospects=_prospects(session, propensity.score(fitted.model, top)),
        scored=int(counts.sum()),
        fitted_on=fitted.as_of,
        fitted_contacts=fitted.contacts,
        sampled_every=fitted.sampled_every,
    )


def _band_edges(highest_logit: float | None) -> np.ndarray:
    """BINS bands of equal width from 0 to the highest probability (at least 1 %), as np.histogram
    cuts them; 0 to 1 when nobody is scored."""
    top = max(float(expit(highest_logit)), 0.01) if highest_logit is not None else 1.0
    return np.histogram_bin_edges(np.empty(0), bins=BINS, range=(0.0, top))


def _distribution(edges: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """Contacts per probability band (pre-binned for charts)."""
    labels = [f"{low:.0%}–{high:.0%}" for low, high in pairwise(edges)]
    return pd.DataFrame({"band": labels, "from": edges[:-1], "contacts": counts})


def _prospects(session: Session, top: pd.DataFrame) -> pd.DataFrame:
    labels = contact_labels(session, top["contact_id"].tolist())
    labels["review"] = labels["tags"].map(review_of)
    shown = top.merge(labels.drop(columns="tags"), on="contact_id", how="left")
    return shown[["contact_id", "name", "email", "probability", *FACTORS, "review"]].reset_index(drop=True)


def review_of(tags: list[str] | None) -> str | None:
    """"accepted" / "dismissed" from a contact's tags, None while nobody has reviewed it."""
    held = set(tags or [])
    return next((decision for decision, tag in DECISIONS.items() if tag in held), None)


def contact_potential(session: Session, user: User, contact_id: int,
                      horizon_days: int = HORIZON_DAYS) -> ContactPotential:
    """One contact's probability of buying in the next `horizon_days` days and its top reasons.

    Raises NotFound when the contact is hidden from `user`. Features are read for this one contact
    (two small queries) and kept per data version, so an edit to the contact shows at once.
    """
    contact = get_record(session, user, "contacts", contact_id)
    fitted = fitted_model(session, horizon_days)
    if fitted.model is None:
        return ContactPotential(horizon_days, problem=fitted.problem)
    score = cached("contact-potential", data_version(session), SYSTEM_SCOPE,
                   (contact_id, horizon_days, fitted.key, fitted.as_of),
                   lambda: _score_one(session, fitted, contact_id))
    return replace(score, review=review_of(getattr(contact, "tags", None)))


def _score_one(session: Session, fitted: PotentialModel, contact_id: int) -> ContactPotential:
    assert fitted.model is not None
    features = propensity.build_features(contacts_frame(session, None, contact_id),
                                         purchases_frame(session, None, contact_id=contact_id),
                                         today())
    if features.empty:
        return ContactPotential(fitted.horizon_days, problem="This contact has no score yet.")
    row = propensity.score(fitted.model, features).iloc[0]
    return ContactPotential(fitted.horizon_days, probability=float(row["probability"]),
                            reasons=[str(row[name]) for name in FACTORS])


def review_prospect(session: Session, user: User, contact_id: int, decision: str | None) -> Contact:
    """Record a person's decision on a suggested prospect as a tag ("accepted", "dismissed", or None
    to clear it), through the contacts service: validated, permission-checked and audited."""
    if decision is not None and decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    contact = get_record(session, user, "contacts", contact_id)
    tags = [tag for tag in (getattr(contact, "tags", None) or []) if tag not in DECISIONS.values()]
    if decision is not None:
        tags.append(DECISIONS[decision])
    updated: Contact = contact_service.update(session=session, user=user, record_id=contact_id,
                                              changes={"tags": tags})
    return updated
