"""A big grid save in a process of its own, for the test that kills it halfway:
    python -m tests.integration.grid_save_worker URL USER_ID
edits every contact (city) and adds rows, all through save_grid, in one transaction."""

from __future__ import annotations

import sys

from sqlalchemy import select
from sqlmodel import Session

from core.db import make_engine
from core.models import Contact, User
from core.services.bulk_edit import RowEdit, save_grid


def main(url: str, user_id: int) -> None:
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        user = session.get(User, user_id)
        rows = session.execute(select(Contact.id, Contact.version).order_by(Contact.id)).all()
        edits = [RowEdit(n, row.id, row.version, {"city": "Killed halfway"}) for n, row in enumerate(rows)]
        added = [{"first_name": "Added", "last_name": f"Row {n}"} for n in range(200)]
        print(f"saving {len(edits)} edits", flush=True)
        summary = save_grid(session=session, user=user, entity="contacts", edits=edits, added=added,
                            deleted=[])
    print(f"saved {summary.updated} edits", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
