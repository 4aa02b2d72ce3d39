"""The campaign workspace's audience read from the kept counts (`campaign_reach`, folded with the
campaign results) equals the audience worked out by hand from the raw rows, for every reader and
campaign, on both backends, after recipients are added and removed, statuses change, contacts are
deleted, restored, given to another owner, unsubscribed or lose a consent, and campaigns change
channel; and the folded tables equal a rebuild.

The reference reads contacts, recipients, campaigns and users with plain SQL and applies the rules
of the campaign workspace by hand: each live recipient row and each Milano member of a campaign
with the segment; a contact the reader may not see (deleted, or outside their scope) counts as
"deleted, or not visible to you" while its row is still to send and not at all once sent, a member
they may not see not at all; then already sent, unsubscribed, no consent for the channel, no
address for it, or eligible, first reason wins.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.analytics import cache, campaign_reach, campaign_summary
from core.models import Campaign, User
from core.services.campaign_audience import add_recipients, audience, audience_counts, audience_sample
from core.services.campaign_responses import record_response
from core.services.campaigns import audience_overview, recipients_table
from core.services.campaigns import campaigns as campaign_service
from core.services.contacts import contacts as contact_service
from core.services.records import audit
from tests.integration.campaign_world import remove_recipient, rows, sees

pytestmark = pytest.mark.usefixtures("fresh_cache")  # audience counts are kept per data version

MISSING = {"email": "no email address", "phone": "no phone number", "sms": "no mobile or phone number"}


# ---- the reference ----------------------------------------------------------------------------------


def _expected(session: Session, user: User, campaign_id: int) -> dict[str, Any]:
    """The audience counts, the preview's sample and the visible recipients, by hand."""
    visible = sees(session, user)
    channel, segment_id = rows(session, "SELECT channel, segment_id FROM campaigns WHERE id = :c",
                               c=campaign_id)[0]
    contacts = {row.id: row for row in rows(
        session, "SELECT id, owner_id, deleted_at, city, unsubscribed, consent_email, consent_phone, "
                 "consent_sms, email, phone, mobile FROM contacts")}
    recipients = dict(rows(session, "SELECT contact_id, status FROM campaign_recipients "
                                    "WHERE campaign_id = :c AND deleted_at IS NULL", c=campaign_id))
    members = ({i for i, row in contacts.items() if row.city == "Milano" and row.deleted_at is None}
               if segment_id is not None else set())
    counts: Counter[str] = Counter()
    sample: dict[str, list[int]] = {"eligible": [], "already sent": []}
    seen = 0
    for contact_id in sorted(set(recipients) | members):
        row = contacts[contact_id]
        status = recipients.get(contact_id, "pending")
        if row.deleted_at is not None or not visible(row.owner_id):
            if contact_id in recipients and status in ("pending", "failed"):
                counts["deleted, or not visible to you"] += 1
            continue
        seen += contact_id in recipients
        outcome = _outcome(row, status, channel)
        counts[outcome] += 1
        sample.get(outcome, []).append(contact_id)
    return {"counts": dict(counts), "sample": (sample["eligible"] + sample["already sent"])[:200],
            "visible recipients": seen}


def _outcome(contact: Any, status: str, channel: str) -> str:
    if status not in ("pending", "failed"):
        return "already sent"
    if contact.unsubscribed:
        return "unsubscribed"
    if not getattr(contact, f"consent_{channel}"):
        return f"no {channel} consent"
    if not (contact.email if channel == "email" else (contact.mobile or contact.phone)):
        return MISSING[channel]
    return "eligible"


# ---- the checks ---------------------------------------------------------------------------------------


def _as_dict(counts: Any) -> dict[str, int]:
    found = {"eligible": counts.eligible, "already sent": counts.already_sent, **counts.excluded}
    return {name: count for name, count in found.items() if count}


def _check(session: Session, readers: list[User]) -> None:
    cache.RESULTS.clear()
    session.expire_all()
    campaigns = [session.get(Campaign, i) for i, in rows(session, "SELECT id FROM campaigns ORDER BY id")]
    for user in readers:
        visible = sees(session, user)
        for campaign in campaigns:
            expected = _expected(session, user, campaign.id)
            where = (user.username, campaign.name)
            assert _as_dict(audience_counts(session, user, campaign)) == expected["counts"], where
            reach, sample = audience_overview(session, user, campaign)
            assert (_as_dict(reach), sample) == (expected["counts"], expected["sample"]), where
            assert audience_sample(session, user, campaign, limit=2) == expected["sample"][:2], where
            send = audience(session, user, campaign)  # what a send would use, read row by row
            assert (len(send.eligible), len(send.already_sent)) == (reach.eligible, reach.already_sent)
            if campaign.deleted_at is None and visible(campaign.owner_id):
                _, total = recipients_table(session, user, campaign.id)
                assert total == expected["visible recipients"], where


def _set_status(session: Session, user: User, campaign_id: int, contact_id: int, status: str) -> None:
    """Change a recipient's delivery status the way a service would: the change and its audit entry."""
    recipient = rows(session, "SELECT id FROM campaign_recipients WHERE campaign_id = :c AND contact_id = :p",
                     c=campaign_id, p=contact_id)[0].id
    session.execute(text("UPDATE campaign_recipients SET status = :s, updated_at = :at WHERE id = :id"),
                    {"s": status, "at": datetime(2026, 6, 1), "id": recipient})
    audit(session, user, "update", "campaign_recipients", recipient, {"status": "?"}, {"status": status})
    session.commit()


def _kept(session: Session) -> list[list[tuple[Any, ...]]]:
    return [sorted((tuple(row) for row in rows(session, sql)), key=repr) for sql in (
        "SELECT recipient_id, campaign_id, contact_id, owner_id, live, outcome "
        "FROM campaign_audience_recipients",
        "SELECT campaign_id, channel, owner_id, live, outcome, recipients FROM campaign_audience_counts")]


def test_kept_audience_equals_the_raw_rows_for_every_reader(session: Session, campaign_world,
                                                            campaign_readers) -> None:
    _check(session, campaign_readers)
    staff = campaign_readers[2]
    campaign_a = campaign_world["campaigns"]["A"]
    # Campaign A for its owner Sam, by hand: c1, c2, c7 sent already and c8 pending (eligible) are
    # Sam's; c3 (pending) and c4, c5, c6 are not Sam's: c3 is still to send, the others were sent.
    assert _expected(session, staff, campaign_a.id)["counts"] == {
        "already sent": 3, "eligible": 1, "deleted, or not visible to you": 1}


def test_kept_audience_follows_every_kind_of_change(session: Session, campaign_world, campaign_readers,
                                                    admin: User, staff: User, outsider: User,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    people, campaigns = campaign_world["people"], campaign_world["campaigns"]
    _check(session, campaign_readers)

    build = campaign_reach.build

    def fold_only(connection: Any, campaign_ids: list[int] | None = None) -> None:
        assert campaign_ids is not None, "every change below is folded in, not rebuilt"
        build(connection, campaign_ids)
    monkeypatch.setattr(campaign_reach, "build", fold_only)

    def person(name: str) -> int:
        return people[name].id

    def update_contact(name: str, changes: dict[str, Any]) -> None:
        contact_service.update(session=session, user=admin, record_id=person(name), changes=changes)

    add_recipients(session=session, user=admin, campaign_id=campaigns["D"].id,
                   contact_ids=[person("c2"), person("c9")])
    add_recipients(session=session, user=admin, campaign_id=campaigns["C"].id, contact_ids=[person("c9")])
    remove_recipient(session, admin, campaigns["A"].id, person("c8"))
    record_response(session=session, user=admin, campaign_id=campaigns["A"].id, contact_id=person("c3"),
                    response="sent")
    _set_status(session, admin, campaigns["A"].id, person("c1"), "failed")  # to send again
    _check(session, campaign_readers)
    contact_service.delete(session=session, user=admin, record_id=person("c3"))
    update_contact("c9", {"owner_id": outsider.id})
    update_contact("c2", {"consent_email": False})
    update_contact("c1", {"unsubscribed": True})
    _check(session, campaign_readers)
    contact_service.restore(session=session, user=admin, record_id=person("c3"))
    update_contact("c4", {"email": "c4@example.com"})
    update_contact("c9", {"owner_id": staff.id})
    campaign_service.update(session=session, user=admin, record_id=campaigns["D"].id,
                            changes={"channel": "email"})
    campaign_service.update(session=session, user=admin, record_id=campaigns["B"].id,
                            changes={"channel": "phone", "name": "B by phone"})
    campaign_service.update(session=session, user=admin, record_id=campaigns["A"].id,
                            changes={"name": "A renamed"})  # audited, channel unchanged
    _check(session, campaign_readers)
    folded = _kept(session)
    monkeypatch.undo()
    campaign_summary.summaries.rebuild(session, campaign_summary.SUMMARY)
    assert _kept(session) == folded and all(folded)


def test_a_channel_change_counts_only_that_campaign_again(
        session: Session, campaign_world, admin: User, monkeypatch: pytest.MonkeyPatch) -> None:
    campaigns = campaign_world["campaigns"]
    campaign_summary.refresh(session)
    counted: list[list[int] | None] = []
    build = campaign_reach.build

    def spy(connection: Any, campaign_ids: list[int] | None = None) -> None:
        counted.append(campaign_ids)
        build(connection, campaign_ids)
    monkeypatch.setattr(campaign_reach, "build", spy)
    campaign_service.update(session=session, user=admin, record_id=campaigns["D"].id,
                            changes={"channel": "phone"})
    campaign_service.update(session=session, user=admin, record_id=campaigns["A"].id,
                            changes={"subject": "New subject"})
    assert campaign_summary.refresh(session) is True
    assert counted == [[campaigns["D"].id]]
