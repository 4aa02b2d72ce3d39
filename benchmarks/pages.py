"""Each Streamlit page's script run time under AppTest, cold and warm, signed in as the admin.

Cold: the analytics result cache and Streamlit's data cache are emptied, then the page runs (the
first run of that page in the session); warm: the same page runs again, as on any rerun. The
database engine stays cached, as it does in a running app. Record pages (contact, company, deal)
open the record with the most rows.
"""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from benchmarks.harness import ROOT, Result, timed

ENTRYPOINT = ROOT / "app" / "main.py"
PAGES = sorted(path.stem for path in (ROOT / "pages").glob("*.py"))
RECORD_PAGES = {"contact", "company", "deal"}


def record_ids(session: Session) -> dict[str, int]:
    from core.models import Activity, Contact, Deal, DealStageHistory

    contact = session.scalar(select(Activity.contact_id).group_by(Activity.contact_id)
                             .order_by(func.count().desc()).limit(1))
    company = session.scalar(select(Contact.company_id).where(Contact.company_id.is_not(None))
                             .group_by(Contact.company_id).order_by(func.count().desc()).limit(1))
    deal = session.scalar(select(DealStageHistory.deal_id).group_by(DealStageHistory.deal_id)
                          .order_by(func.count().desc()).limit(1))
    deal = deal or session.scalar(select(func.min(Deal.id)))
    return {"contact": contact, "company": company, "deal": deal}


def _clear_caches() -> None:
    import streamlit as st

    from core.analytics import cache

    cache.RESULTS.clear()
    st.cache_data.clear()


def _run(at: Any, timeout: float) -> float:
    began = time.perf_counter()
    at.run(timeout=timeout)
    return (time.perf_counter() - began) * 1000


def bench(url: str, session: Session, username: str, password: str, warm: int,
          timeout: float = 300) -> list[Result]:
    """One row per page: cold (one run after emptying the caches) and warm (median of `warm`)."""
    from streamlit.testing.v1 import AppTest

    from core import config

    os.environ["CRM_DATABASE_URL"] = url
    config.get_settings.cache_clear()
    ids = record_ids(session)
    at = AppTest.from_file(str(ENTRYPOINT), default_timeout=timeout)
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    at.run()
    results = []
    for page in PAGES:
        at.switch_page(f"../pages/{page}.py")
        if page in RECORD_PAGES and ids.get(page):
            at.query_params["id"] = str(ids[page])
        _clear_caches()
        cold = _run(at, timeout)
        broken = [str(e.value)[:80] for e in at.exception]
        warm_times = [_run(at, timeout) for _ in range(warm)]
        note = f"error: {broken[0]}" if broken else ""
        results += [timed("pages", f"{page}, cold", [cold], under=1500, note=note),
                    timed("pages", f"{page}, warm", warm_times, under=300)]
    return results


def main() -> None:  # pragma: no cover - a manual entry point
    import argparse
    import json

    from core.db import make_engine
    from core.demo import DEMO_PASSWORD

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--warm", type=int, default=3)
    args = parser.parse_args()
    engine = make_engine(args.url)
    with Session(engine) as session:
        results = bench(args.url, session, "admin", DEMO_PASSWORD, args.warm)
    print(json.dumps([r.__dict__ for r in results], indent=1))


if __name__ == "__main__":
    main()
