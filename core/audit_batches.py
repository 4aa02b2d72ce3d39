"""The audit entry of records created in bulk by an import: one entry per import and entity.

An import used to write one audit row per created record, each holding the whole record: for 100,000
contacts that was 100,000 JSON documents to build and insert, as much work as the contacts
themselves. The records created by one import now share one entry:

    action "create", entity "contacts", entity_id NULL, source "import",
    after {"file": "contacts.csv", "records": 100000, "ids": [[1, 99998], [100001, 100002]]}

with the ids as inclusive ranges (an import's ids are nearly always one range), also kept as rows of
audit_id_ranges so that a record's history finds its entry by one index seek. Who and when are the
entry's own columns. A record's initial values are not copied into it: they are the row the import
inserted, and every later change is audited with the changed columns' values before it, so walking
the record's later entries backwards from its current row gives them back (`audit.initial_values`).
Updates made by an import stay one entry per record: they carry each record's before and after.

Summaries fold audit entries to find changed records; an entry of this kind names new rows only,
which the summaries find as new rows of their own source tables, so they skip it
(NOT_BULK_CREATION_SQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# A condition for raw SQL over audit_log: true for every entry but a bulk creation.
NOT_BULK_CREATION_SQL = "NOT (entity_id IS NULL AND action = 'create')"


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """Sorted ids as inclusive [first, last] ranges: [1, 2, 3, 7] -> [[1, 3], [7, 7]]."""
    ranges: list[list[int]] = []
    for record_id in sorted(ids):
        if ranges and record_id == ranges[-1][1] + 1:
            ranges[-1][1] = record_id
        else:
            ranges.append([record_id, record_id])
    return ranges


def batch_after(file_name: str | None, ids: list[int]) -> dict[str, Any]:
    """The `after` of a bulk creation entry."""
    return {"file": file_name, "records": len(ids), "ids": id_ranges(ids)}


def is_bulk_creation(action: str | None, entity_id: int | None) -> bool:
    return action == "create" and entity_id is None
