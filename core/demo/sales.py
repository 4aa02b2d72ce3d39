"""Sales: the product catalogue, orders with their lines, and deals walking their pipelines."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from core.demo import pools
from core.demo.people import Companies, People
from core.demo.world import BUYER_SHARE, DAY, SPAN, Flow, World, moments, stamp, stamps
from core.demo.writer import editable, first_id, write


@dataclass(frozen=True)
class Catalogue:
    specs: tuple[pools.ProductSpec, ...]
    ids: tuple[int, ...]
    options: tuple[dict[str, list[tuple[str, float]]], ...]  # per product: option -> (value, delta)
    bundles: tuple[tuple[int, ...], ...]  # positions in specs
    cum_weights: tuple[float, ...]


def add_products(w: World) -> Catalogue:
    specs, first = pools.PRODUCTS, first_id(w, "products")
    ids = tuple(range(first, first + len(specs)))
    born = w.start - timedelta(days=60)
    write(w, "products", [
        {"id": ids[i], "sku": s.sku, "name": s.name, "category": s.category, "price": float(s.price),
         "active": True, "description": f"{s.name}: {s.category.lower()}", "custom": {}, **editable(born)}
        for i, s in enumerate(specs)])
    options = [(ids[i], name, value, delta) for i, s in enumerate(specs) for name, value, delta in s.options]
    first_option = first_id(w, "product_options")
    write(w, "product_options", [
        {"id": first_option + k, "product_id": product_id, "name": name, "value": value,
         "price_delta": float(delta), **editable(born)}
        for k, (product_id, name, value, delta) in enumerate(options)])
    return _catalogue(ids)


def _catalogue(ids: tuple[int, ...]) -> Catalogue:
    specs = pools.PRODUCTS
    position = {spec.sku: i for i, spec in enumerate(specs)}
    options: list[dict[str, list[tuple[str, float]]]] = []
    for spec in specs:
        groups: dict[str, list[tuple[str, float]]] = {}
        for name, value, delta in spec.options:
            groups.setdefault(name, []).append((value, float(delta)))
        options.append(groups)
    bundles = tuple(tuple(position[sku] for sku in bundle) for bundle in pools.BUNDLES)
    weights = np.cumsum([spec.weight for spec in specs]).astype(float)
    return Catalogue(specs, ids, tuple(options), bundles, tuple(weights.tolist()))


# ---- orders ----------------------------------------------------------------------------------------


def plan_orders(w: World, people: People, catalogue: Catalogue) -> tuple[list[dict], list[dict]]:
    """Orders of the buyers: Pareto-like counts (a few buy a lot); some buyers stop buying."""
    size, created = people.ids.size, people.created
    buyers = np.flatnonzero(w.rng.random(size) < BUYER_SHARE)
    per_buyer = np.minimum(1 + np.floor(w.rng.pareto(1.6, buyers.size)), 30).astype(np.int64)
    if w.shape.orders_per_contact is not None and per_buyer.size:
        per_buyer = _scaled(w, per_buyer, w.shape.orders_per_contact * size)
    churned = w.rng.random(buyers.size) < 0.3
    lifetime = SPAN - created[buyers]
    stop = np.where(churned, created[buyers] + lifetime * w.rng.uniform(0.2, 0.7, buyers.size), SPAN)
    who = np.repeat(buyers, per_buyer)
    when = moments(w, created[who] + 3600, np.repeat(stop.astype(np.int64), per_buyer))
    chronological = np.argsort(when, kind="stable")
    who, when = who[chronological], when[chronological]
    buyers_seen, first_seen = np.unique(who, return_index=True)  # chronological: first = earliest
    people.first_order[buyers_seen] = when[first_seen]
    np.maximum.at(people.last_order, who, when)
    return _order_rows(w, people, catalogue, who, when)


def _scaled(w: World, per_buyer: np.ndarray, wanted: float) -> np.ndarray:
    """The same Pareto-like shape, stretched so the buyers place about `wanted` orders in all
    (randomised rounding keeps the total right however small the factor)."""
    stretched = per_buyer * (wanted / per_buyer.sum())
    whole = np.floor(stretched)
    return np.maximum(1, whole + (w.rng.random(per_buyer.size) < stretched - whole)).astype(np.int64)


def _order_rows(w: World, people: People, catalogue: Catalogue, who: np.ndarray,
                when: np.ndarray) -> tuple[list[dict], list[dict]]:
    first_order, first_line = first_id(w, "orders"), first_id(w, "order_lines")
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for k, (person, moment, secs) in enumerate(zip(who.tolist(), stamps(w, when), when.tolist(),
                                                   strict=True)):
        order_id = first_order + k
        basket = [_line(w.rnd, catalogue, position, order_id) for position in _basket(w.rnd, catalogue)]
        for line in basket:
            line["id"] = first_line + len(lines)
            lines.append(line)
        orders.append(_order(w, people, person, (order_id, moment, secs), basket))
    return orders, lines


def _order(w: World, people: People, person: int, placed: tuple[int, datetime, int],
           basket: list[dict[str, Any]]) -> dict[str, Any]:
    """The order row for a basket; its total also counts towards the buyer's spend."""
    order_id, moment, secs = placed
    total = round(sum(line["quantity"] * line["unit_price"] for line in basket), 2)
    people.spend[person] += total
    return {
        "id": order_id, "order_number": f"SO-{moment.year}-{order_id:06d}",  # as the order service
        "contact_id": int(people.ids[person]), "company_id": people.company_id[person],
        "ordered_at": moment, "status": _order_status(w.rnd, secs), "currency": w.currency,
        "total": total, "owner_id": int(people.owner[person]), "custom": {}, **editable(moment)}


def _basket(rnd: random.Random, catalogue: Catalogue) -> list[int]:
    """1-4 distinct products; most baskets grow from a bundle, so the same pairs keep recurring."""
    wanted = rnd.choices((1, 2, 3, 4), (40, 30, 20, 10))[0]
    picked: list[int] = []
    if rnd.random() < 0.6:
        anchor, *extras = rnd.choice(catalogue.bundles)
        picked = [anchor, *(p for p in extras if rnd.random() < 0.55)]
    while len(picked) < wanted:
        position = rnd.choices(range(len(catalogue.specs)), cum_weights=catalogue.cum_weights)[0]
        if position not in picked:
            picked.append(position)
    return picked[:4]


def _line(rnd: random.Random, catalogue: Catalogue, position: int, order_id: int) -> dict[str, Any]:
    """An order line: one value per option of the product, priced at list price plus deltas."""
    spec = catalogue.specs[position]
    chosen = {name: rnd.choice(values) for name, values in catalogue.options[position].items()}
    quantity = 1 if spec.max_qty == 1 or rnd.random() < 0.7 else rnd.randint(2, spec.max_qty)
    return {"order_id": order_id, "product_id": catalogue.ids[position], "quantity": float(quantity),
            "unit_price": round(spec.price + sum(delta for _, delta in chosen.values()), 2),
            "options": {name: value for name, (value, _) in chosen.items()}}


def _order_status(rnd: random.Random, secs: int) -> str:
    if SPAN - secs < 3 * DAY:
        return rnd.choice(("placed", "paid"))
    roll = rnd.random()
    return "cancelled" if roll < 0.03 else "paid" if roll < 0.33 else "shipped"


# ---- deals -----------------------------------------------------------------------------------------


def plan_deals(w: World, people: People, companies: Companies) -> tuple[list[dict], list[dict]]:
    """Sales deals for anyone (company contacts more often); renewal deals for earlier buyers."""
    deals: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    first_deal, first_visit = first_id(w, "deals"), first_id(w, "deal_stage_history")
    for kind, who, start in _deal_starts(w, people):
        for person, moment in zip(who.tolist(), start.tolist(), strict=True):
            deal, visits = _deal(w, people, companies, (kind, person, moment),
                                 (first_deal + len(deals), first_visit + len(history)))
            deals.append(deal)
            history.extend(visits)
        people.in_deal[who] = True
    return deals, history


def _deal_starts(w: World, people: People) -> list[tuple[str, np.ndarray, np.ndarray]]:
    size = people.ids.size
    share = w.shape.deals_per_contact
    total = max(2, size // 4 if share is None else round(size * share))
    renewable = np.flatnonzero((people.first_order >= 0) & (people.first_order < SPAN - 30 * DAY))
    renewals = min(total // 5, renewable.size)
    weights = np.where(people.company >= 0, 3.0, 1.0)
    sales = w.rng.choice(size, total - renewals, p=weights / weights.sum())
    renewing = w.rng.choice(renewable, renewals) if renewals else np.zeros(0, dtype=np.int64)
    return [("Sales", sales, moments(w, people.created[sales] + 3600, SPAN - DAY)),
            ("Renewals", renewing, moments(w, people.first_order[renewing] + DAY, SPAN - DAY))]


def _walk(rnd: random.Random, flow: Flow, start: int) -> tuple[list[tuple[int, int]], str]:
    """The stages a deal visits from the first one, with entry times; open while time runs out."""
    path, moment = [(flow.open[0], start)], start
    for position, (advance, mean_days) in enumerate(flow.odds):
        moment += int(rnd.lognormvariate(math.log(mean_days * DAY), 0.6))
        if moment >= SPAN - 60:
            return path, "open"
        if rnd.random() > advance:
            return [*path, (flow.lost, moment)], "lost"
        following = flow.open[position + 1] if position + 1 < len(flow.open) else flow.won
        path.append((following, moment))
    return path, "won"


def _deal(w: World, people: People, companies: Companies, started: tuple[str, int, int],
          ids: tuple[int, int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A deal and one history row per stage visited; only the current stay is still open."""
    (kind, person, start), (deal_id, first_visit) = started, ids
    path, status = _walk(w.rnd, w.flows[kind], start)
    entered = [stamp(w, secs) for _, secs in path]
    owner, closed = int(people.owner[person]), (entered[-1] if status != "open" else None)
    median, sigma = pools.DEAL_AMOUNTS[kind]
    expected = closed.date() if closed else w.today + timedelta(days=w.rnd.randint(7, 120))
    return {
        "id": deal_id, "title": _deal_title(w.rnd, people, companies, kind, person, entered[0]),
        "contact_id": int(people.ids[person]), "company_id": people.company_id[person],
        "pipeline_id": w.flows[kind].pipeline_id, "stage_id": path[-1][0],
        "amount": max(100.0, round(w.rnd.lognormvariate(math.log(median), sigma) / 50) * 50.0),
        "currency": w.currency, "expected_close": expected, "owner_id": owner, "status": status,
        "closed_at": closed, "lost_reason": w.rnd.choice(pools.LOST_REASONS) if status == "lost" else None,
        "source": people.source[person], "custom": {}, **editable(entered[0], entered[-1]),
    }, _visits(deal_id, first_visit, [stage for stage, _ in path], entered, owner)


def _visits(deal_id: int, first_visit: int, stages: list[int], entered: list[datetime],
            owner: int) -> list[dict[str, Any]]:
    """One stage history row per stage visited: each stay ends when the next begins."""
    return [{"id": first_visit + j, "deal_id": deal_id, "stage_id": stage, "entered_at": entered[j],
             "exited_at": entered[j + 1] if j + 1 < len(stages) else None, "changed_by_id": owner}
            for j, stage in enumerate(stages)]


def _deal_title(rnd: random.Random, people: People, companies: Companies, kind: str, person: int,
                began: datetime) -> str:
    c = int(people.company[person])
    buyer = companies.names[c] if c >= 0 else f"{people.first[person]} {people.last[person]}"
    topic = f"renewal {began.year + 1}" if kind == "Renewals" else rnd.choice(pools.DEAL_TOPICS)
    return f"{buyer} – {topic}"
