"""What the contacts service consumes: the groups service's events (its directory of groups and
`contact.groups`) and the importer's commands (rows of a file to create or update). Records
are decoded once and handed to the service's bus (`service_layer/registry.py`)."""

from __future__ import annotations

from shared.contracts.topics import CONTACT_COMMANDS, GROUPS

CONSUMED_TOPICS = (GROUPS.name, CONTACT_COMMANDS.name)
