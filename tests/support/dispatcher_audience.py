"""An audience seeded straight into the dispatcher's projection, as it stores it (contacts with
their group, the group's membership index), for tests and benches of broadcasting that should
not wait for a million contacts to be projected from events first."""

from __future__ import annotations

import uuid
from datetime import datetime

from shared.contracts.audience_copy import AudienceContact, AudienceGroup
from shared.contracts.contacts import OptInRecord
from shared.mongo.audience_copies import MongoAudienceProjection
from shared.mongo.client import connect_store

CONSENT = OptInRecord(status="opted_in")


async def seed_audience(
    mongodb_url: str,
    db_name: str,
    org_id: str,
    group_id: str,
    phones: list[str],
    last_seen_at: datetime | None = None,
) -> list[str]:
    """One active, opted-in contact per phone, all in one group (created if new); returns
    their ids. `last_seen_at`: when they last wrote (WhatsApp's free-text window)."""
    store = await connect_store(mongodb_url)
    try:
        projection = MongoAudienceProjection(store.client[db_name], store)
        await projection.create_indexes()
        await projection.save_group(AudienceGroup(group_id, org_id, group_id, version=1))
        ids: list[str] = []
        for start in range(0, len(phones), 1000):
            contacts = [
                AudienceContact(id=str(uuid.uuid4()), org_id=org_id, phone=phone,
                                name=f"Person {start + k}", groups=[group_id], version=1,
                                opt_in=CONSENT, last_seen_at=last_seen_at)
                for k, phone in enumerate(phones[start : start + 1000])
            ]  # fmt: skip
            await projection.add_contacts(contacts)
            await projection.membership_index.add(group_id, [c.id for c in contacts])
            ids += [c.id for c in contacts]
        return ids
    finally:
        await store.close()
