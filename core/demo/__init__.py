"""Realistic demo data: about three years of a small company's CRM history, written in bulk.

Everything is derived from one seed and `core.config.today()`, so a seed gives the same data on
SQLite and PostgreSQL. Each table is planned column-wise in memory (numpy for the many values,
`random.Random` for per-row picks) with explicit ids, so later tables point at earlier ones without
reading them back; rows are then written with chunked executemany inserts in one transaction.

Modules: `world` (constants, state, dice and clock), `writer` (inserts, progress, audit), `team`
(users, pipelines), `people` (companies, contacts), `sales` (products, orders, deals), `engagement`
(activities, tasks, cases, campaigns), `generate` (the order of it all) and `pools` (the data drawn from).
"""

from core.demo.generate import DemoSummary, generate_demo
from core.demo.pools import USERS
from core.demo.world import DEMO_PASSWORD, Shape

__all__ = ["DEMO_PASSWORD", "USERS", "DemoSummary", "Shape", "generate_demo"]
