"""The cohort matrix's counts, kept per order owner and folded with the purchases summary.

A customer whose counted orders one owner took (one contact_purchases row: nearly all of them) is
in the cohort of that row's first month and active in each of its contact_months rows, whoever
reads, as long as none of their orders is after the reader's "today". Such customers are counted
once, per (owner, cohort, month), in cohort_cells; a reader sums the cells of the owners they may
see. The others are few and recounted from contact_months by the reader: the customers of several
owners (listed in shared_customers; their cohort depends on which owners the reader sees) and
those with an order after "today" (a pinned CRM_TODAY; found through the index on last_day).

`core.analytics.purchases` calls `build` after filling its tables, and around each refold of a set
of contacts `take_out` (their counts before) and `put_back` (after), so the cells are folded by the
same refresh-on-read transaction, key by key: no cell is ever recounted from scratch on a fold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, text

from core.analytics.summaries import in_list

Cell = tuple[int, int, int]  # owner_key (0 = unowned), cohort month, month bought in
TABLES = ("shared_customers", "cohort_cells")
SHARED = "SELECT contact_id FROM shared_customers"


def _cells_sql(contacts: str) -> str:
    """Counts per cell of the one-owner customers matching `contacts` (a condition on p.contact_id)."""
    return (
        "SELECT p.owner_key, p.first_month, m.month, COUNT(*) AS n FROM contact_purchases p "
        "JOIN contact_months m ON m.contact_id = p.contact_id AND m.owner_key = p.owner_key "
        f"WHERE {contacts} AND p.contact_id NOT IN ({SHARED}) GROUP BY p.owner_key, p.first_month, m.month")


def _shared_sql(contacts: str) -> str:
    return ("INSERT INTO shared_customers (contact_id) SELECT contact_id FROM contact_purchases "
            f"WHERE {contacts} GROUP BY contact_id HAVING COUNT(*) > 1")


def build(connection: Connection) -> None:
    """Recount every cell from contact_purchases and contact_months (already built)."""
    for table in TABLES:
        connection.execute(text(f"DELETE FROM {table}"))
    connection.execute(text(_shared_sql("1 = 1")))
    connection.execute(text(
        "INSERT INTO cohort_cells (owner_key, cohort, month, customers, order_owner_id) "
        f"SELECT owner_key, first_month, month, n, NULLIF(owner_key, 0) FROM ({_cells_sql('1 = 1')}) cells"))


def _counts(connection: Connection, contacts: Sequence[int]) -> Counter[Cell]:
    rows = connection.execute(text(_cells_sql(in_list("p.contact_id", contacts)))).all()
    return Counter({(int(owner), int(cohort), int(month)): int(n) for owner, cohort, month, n in rows})


def take_out(connection: Connection, contacts: Sequence[int]) -> Counter[Cell]:
    """What `contacts` count for now, before their summary rows are recomputed; forgets which of
    them were shared (`put_back` finds that again)."""
    counted = _counts(connection, contacts)
    connection.execute(text(f"DELETE FROM shared_customers WHERE {in_list('contact_id', contacts)}"))
    return counted


def put_back(connection: Connection, contacts: Sequence[int], taken: Counter[Cell]) -> None:
    """Count `contacts` again from their recomputed rows and move each cell by the difference."""
    connection.execute(text(_shared_sql(in_list("contact_id", contacts))))
    change = _counts(connection, contacts)
    change.subtract(taken)
    moves = [{"owner": owner, "cohort": cohort, "month": month, "owner_id": owner or None, "n": n}
             for (owner, cohort, month), n in change.items() if n]
    if not moves:
        return
    connection.execute(text(
        "INSERT INTO cohort_cells (owner_key, cohort, month, order_owner_id, customers) "
        "VALUES (:owner, :cohort, :month, :owner_id, :n) ON CONFLICT (owner_key, cohort, month) "
        "DO UPDATE SET customers = cohort_cells.customers + excluded.customers"), moves)
    connection.execute(text("DELETE FROM cohort_cells WHERE customers = 0"))


def matrix_sql(scope: Callable[[str], str]) -> str:
    """Rows (m0, months, n) whose sums per (m0, months) are the reader's matrix: customers active
    `months` after their first month m0, orders by :today. `scope(column)` is the reader's scope on
    an owner column. Three parts: the cells of the owners in scope; less what the one-owner
    customers with an order after :today count there; plus those and the shared customers
    recounted from contact_months as the matrix defines it (cohort = first month among the slices
    the reader sees with an order by :today; active in a month when a visible slice bought then)."""
    kept = ("SELECT cohort AS m0, month - cohort AS months, SUM(customers) AS n FROM cohort_cells "
            f"WHERE {scope('order_owner_id')} GROUP BY cohort, month")
    late = ("SELECT p.first_month, m.month - p.first_month, -COUNT(*) FROM contact_purchases p "
            "JOIN contact_months m ON m.contact_id = p.contact_id AND m.owner_key = p.owner_key "
            f"WHERE p.last_day > :today AND {scope('p.order_owner_id')} AND p.contact_id NOT IN ({SHARED}) "
            "GROUP BY p.first_month, m.month")
    on_s = scope("s.order_owner_id")
    recounted = (f"{SHARED} UNION SELECT s.contact_id FROM contact_purchases s "
                 f"WHERE s.last_day > :today AND {on_s}")
    firsts = ("SELECT s.contact_id, MIN(s.first_month) AS m0 FROM contact_purchases s "
              f"WHERE {on_s} AND s.first_day <= :today AND s.contact_id IN ({recounted}) "
              "GROUP BY s.contact_id")
    recount = ("SELECT f.m0, a.month - f.m0, COUNT(DISTINCT a.contact_id) FROM contact_months a "
               f"JOIN ({firsts}) f ON f.contact_id = a.contact_id "
               f"WHERE {scope('a.order_owner_id')} AND a.first_day <= :today GROUP BY f.m0, a.month - f.m0")
    return f"{kept} UNION ALL {late} UNION ALL {recount}"
