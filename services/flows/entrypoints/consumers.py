"""What the flows service consumes: contacts (`roster.contacts`) and groups with their
memberships (`roster.groups`), projected into its audience copy, organisations' settings
(`roster.organizations`: what start queries are read against), and the dispatcher's message
events (`roster.messages`) and inbound messages (`roster.inbound`), into contacts'
conversations. Records are decoded once and handed
to the service's bus (`service_layer/registry.py`); types it does not handle are skipped by
their type header, unread."""

from __future__ import annotations

from shared.contracts.topics import CONTACTS, GROUPS, INBOUND, MESSAGES, ORGANIZATIONS

CONSUMED_TOPICS = (CONTACTS.name, GROUPS.name, ORGANIZATIONS.name, MESSAGES.name, INBOUND.name)
