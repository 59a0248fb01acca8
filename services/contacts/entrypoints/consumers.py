"""What the contacts service consumes: the groups service's events (its directory of groups and
`contact.groups`), the importer's commands (rows of a file to create or update) and the
dispatcher's inbound messages (their senders found or created, and marked seen). Records
are decoded once and handed to the service's bus (`service_layer/registry.py`)."""

from __future__ import annotations

from shared.contracts.topics import CONTACT_COMMANDS, GROUPS, INBOUND

CONSUMED_TOPICS = (GROUPS.name, CONTACT_COMMANDS.name, INBOUND.name)
