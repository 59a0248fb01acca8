"""What the dispatcher consumes: contacts (`roster.contacts`) and groups with their memberships
(`roster.groups`), projected into its own audience store, and organisations' settings
(`roster.organizations`), and the flows service's single messages to send
(`roster.messages.commands`). Records are decoded once and handed to the service's bus
(`service_layer/registry.py`); types it does not handle are skipped by their type header,
unread."""

from __future__ import annotations

from shared.contracts.topics import CONTACTS, GROUPS, MESSAGE_COMMANDS, ORGANIZATIONS

CONSUMED_TOPICS = (CONTACTS.name, GROUPS.name, ORGANIZATIONS.name, MESSAGE_COMMANDS.name)
