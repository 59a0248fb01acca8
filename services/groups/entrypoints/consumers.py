"""What the groups service consumes: contacts, organisation settings and field definitions into
its projections, its own membership events into members, the importer's and the flows
service's commands (contacts to add to groups), and the accounts service's members (who is
staff). Records are decoded once and handed to the service's bus (`service_layer/registry.py`)."""

from __future__ import annotations

from shared.contracts.topics import ACCOUNTS, CONTACTS, GROUP_COMMANDS, GROUPS, ORGANIZATIONS

CONSUMED_TOPICS = (
    CONTACTS.name,
    ORGANIZATIONS.name,
    GROUPS.name,
    GROUP_COMMANDS.name,
    ACCOUNTS.name,  # who is staff of each organisation
)
