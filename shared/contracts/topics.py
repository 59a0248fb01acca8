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

ALL_TOPICS: tuple[TopicSpec, ...] = (CONTACTS, ORGANIZATIONS, GROUPS)


def by_name(name: str) -> TopicSpec:
    for spec in ALL_TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(name)
