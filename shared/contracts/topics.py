"""Kafka topics: their names, what keys them, and who produces them.

Topics are created explicitly at start-up (never by broker auto-create) with the partition count and
replication factor from settings. Each topic has a dead-letter twin `<name>.dlq` for events a
consumer could not handle after bounded retries.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    key: str
    producer: str
    description: str

    @property
    def dead_letter(self) -> str:
        return dead_letter_topic(self.name)


def dead_letter_topic(topic: str) -> str:
    """Where a consumer of `topic` puts what it could not handle."""
    return f"{topic}.dlq"


CONTACTS = TopicSpec(
    name="roster.contacts",
    key="contact id",
    producer="contacts",
    description="Contact lifecycle: created, updated, status changes, anonymized, deleted.",
)
ORGANIZATIONS = TopicSpec(
    name="roster.organizations",
    key="organisation id",
    producer="contacts",
    description="Organisation settings (default country, language, timezone).",
)
GROUPS = TopicSpec(
    name="roster.groups",
    key="group id",
    producer="groups",
    description="Groups and their memberships.",
)

IMPORTS = TopicSpec(
    name="roster.imports",
    key="import id",
    producer="importer",
    description="Import jobs: started, progress (at most about once a second), completed.",
)
CONTACT_COMMANDS = TopicSpec(
    name="roster.contacts.commands",
    key="import id (a contact's commands: contact id)",
    producer="importer, flows",
    description="Commands for the contacts service: rows of an import to create or update, "
    "contacts' consent given or withdrawn by keyword, a flow's changes to a contact.",
)
GROUP_COMMANDS = TopicSpec(
    name="roster.groups.commands",
    key="import id (a contact's groups: contact id)",
    producer="importer, flows",
    description="Commands for the groups service: imported contacts to add to groups by name, "
    "a contact to add to or take out of groups (an opt-in keyword's group, a flow's actions).",
)
IMPORT_REPLIES = TopicSpec(
    name="roster.imports.replies",
    key="import id",
    producer="contacts, groups",
    description="What the contacts and groups services did with each batch of an import.",
)

MESSAGES = TopicSpec(
    name="roster.messages",
    key="contact id (broadcast events: broadcast id)",
    producer="dispatcher",
    description="Broadcasts started and completed; each message sent, delivered, read or failed.",
)

MESSAGE_COMMANDS = TopicSpec(
    name="roster.messages.commands",
    key="contact id",
    producer="flows",
    description="Commands for the dispatcher: single messages to send to a contact (a keyword's "
    "confirmation or welcome, a flow's message), ahead of the channel's broadcasts.",
)

INBOUND = TopicSpec(
    name="roster.inbound",
    key="organisation id and phone (`<org>:<E.164>`)",
    producer="dispatcher",
    description="Messages contacts sent to a channel, each once, one sender's in order.",
)

ACCOUNTS = TopicSpec(
    name="roster.accounts",
    key="user id",
    producer="accounts",
    description="Users joining and leaving organisations, and their role in each.",
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    CONTACTS,
    ORGANIZATIONS,
    GROUPS,
    IMPORTS,
    CONTACT_COMMANDS,
    GROUP_COMMANDS,
    IMPORT_REPLIES,
    MESSAGES,
    MESSAGE_COMMANDS,
    INBOUND,
    ACCOUNTS,
)


def by_name(name: str) -> TopicSpec:
    for spec in ALL_TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(name)
