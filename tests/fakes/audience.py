"""An in-memory audience copy (`shared.contracts.audience_copy`), for the services that keep
one (the dispatcher, the flows service). It keeps the contract of the MongoDB adapter
(`shared.mongo.audience_copies`), so what passes here passes there."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from shared.contactql.evaluate import matches
from shared.contactql.predicates import Predicate
from shared.contracts.audience_copy import AudienceContact, AudienceGroup


class FakeAudienceProjection:
    """Keeps the adapter's rules: state writes never touch `groups`, older copies never
    overwrite newer ones, a membership change enters placeholders for contacts not seen."""

    def __init__(self) -> None:
        self.contacts: dict[str, AudienceContact] = {}
        self.groups: dict[str, AudienceGroup] = {}
        self.members: dict[str, set[str]] = {}
        self.page_size = 1000

    async def get_contacts(self, org_id: str, ids: Sequence[str]) -> dict[str, AudienceContact]:
        return {
            i: copy.deepcopy(c)
            for i in ids
            if (c := self.contacts.get(i)) is not None and c.org_id == org_id
        }

    async def add_contacts(self, contacts: Sequence[AudienceContact]) -> set[str]:
        present = {c.id for c in contacts if c.id in self.contacts}
        for contact in contacts:
            if contact.id not in present:
                self.contacts[contact.id] = copy.deepcopy(contact)
        return present

    async def save_contacts(self, contacts: Sequence[AudienceContact]) -> None:
        for contact in contacts:
            stored = self.contacts.get(contact.id)
            if stored is not None and stored.version < contact.version:
                self.contacts[contact.id] = replace(
                    copy.deepcopy(contact), groups=list(stored.groups)
                )

    async def get_groups(self, org_id: str, ids: Sequence[str]) -> dict[str, AudienceGroup]:
        return {
            i: copy.deepcopy(g)
            for i in ids
            if (g := self.groups.get(i)) is not None and g.org_id == org_id and not g.deleted
        }

    async def blacklisted_groups(self, org_id: str) -> frozenset[str]:
        return frozenset(
            g.id for g in self.groups.values()
            if g.org_id == org_id and g.blacklisted and not g.deleted
        )  # fmt: skip

    async def save_group(self, group: AudienceGroup) -> None:
        stored = self.groups.get(group.id)
        if stored is None:
            self.groups[group.id] = copy.deepcopy(group)
        elif stored.version < group.version:
            self.groups[group.id] = replace(
                copy.deepcopy(group), applied_seq=stored.applied_seq, deleted=stored.deleted
            )

    async def delete_group(self, org_id: str, group_id: str) -> None:
        group = self.groups.get(group_id)
        if group is None or group.org_id != org_id:
            return
        group.deleted, group.blacklisted = True, False
        for contact_id in self.members.pop(group_id, set()):
            contact = self.contacts[contact_id]
            contact.groups = [g for g in contact.groups if g != group_id]

    async def applied_seq(self, group_id: str) -> int:
        group = self.groups.get(group_id)
        return group.applied_seq if group else 0

    async def record_applied(self, group_id: str, sequence: int) -> None:
        group = self.groups[group_id]
        group.applied_seq = max(group.applied_seq, sequence)

    async def apply_membership(
        self, org_id: str, group_id: str, added: Sequence[str], removed: Sequence[str]
    ) -> None:
        for contact_id in [*added, *removed]:
            self.contacts.setdefault(contact_id, AudienceContact(id=contact_id, org_id=org_id))
        members = self.members.setdefault(group_id, set())
        for contact_id in added:
            contact = self.contacts[contact_id]
            if group_id not in contact.groups:
                contact.groups.append(group_id)
            members.add(contact_id)
        for contact_id in removed:
            contact = self.contacts[contact_id]
            contact.groups = [g for g in contact.groups if g != group_id]
            members.discard(contact_id)

    async def members_page(self, group_id: str, after: str | None, limit: int) -> list[str]:
        ids = sorted(i for i in self.members.get(group_id, ()) if after is None or i > after)
        return ids[:limit]

    async def org_groups(self, org_id: str) -> list[AudienceGroup]:
        return [copy.deepcopy(g) for g in self.groups.values()
                if g.org_id == org_id and not g.deleted]  # fmt: skip

    async def matching_pages(
        self, org_id: str, predicate: Predicate
    ) -> AsyncIterator[list[AudienceContact]]:
        """By the query evaluator, not the store's filter: both must agree (the integration
        tests run the same audiences on the store)."""
        found = sorted(
            (c for c in self.contacts.values()
             if c.org_id == org_id and not c.gone and matches(predicate, c)),
            key=lambda c: c.id,
        )  # fmt: skip
        for start in range(0, len(found), self.page_size):
            yield [copy.deepcopy(c) for c in found[start : start + self.page_size]]

    async def contacts_by_phone(
        self, org_id: str, phones: Sequence[str]
    ) -> dict[str, AudienceContact]:
        wanted = set(phones)
        return {c.phone: copy.deepcopy(c) for c in self.contacts.values()
                if c.org_id == org_id and c.known and c.phone in wanted}  # fmt: skip
