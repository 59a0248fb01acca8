"""What the importer consumes: the contacts and groups services' answers to its commands
(`roster.imports.replies`), and what it projects of organisations (default country from
`roster.organizations`, field definitions from `roster.contacts`). Records are decoded once and
handed to the service's bus (`service_layer/registry.py`); the many other contact events are
skipped by their type header, unread."""

from __future__ import annotations

from shared.contracts.topics import CONTACTS, IMPORT_REPLIES, ORGANIZATIONS

CONSUMED_TOPICS = (IMPORT_REPLIES.name, ORGANIZATIONS.name, CONTACTS.name)
