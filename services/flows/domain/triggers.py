"""Keyword triggers: what a contact's message starts when no run waits for it.

A trigger names one keyword (one word of at most 16 characters, read like the opt-out words:
case and punctuation ignored) matched against the whole message (`only`) or its first word
(`starts_with`), or none at all: the catch-all, for messages nothing else matched. It starts
its flow for the sender, optionally only for members of `include_groups`, never for members of
`exclude_groups`, and only on its `channel_id` if it names one. When several match, the most
specific wins (`specificity`): a keyword before the catch-all, then a named channel, then
group conditions, then `only` before `starts_with`; ties go to the oldest. Opt-out and opt-in
keywords are read first and always win; a message answering a waiting run never triggers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from services.flows.domain.errors import InvalidTrigger
from services.flows.domain.keywords import normalized

Match = Literal["only", "starts_with"]
MAX_KEYWORD = 16
MAX_GROUPS = 20


@dataclass
class Trigger:
    id: str
    org_id: str
    flow_id: str
    keyword: str | None  # None: the catch-all
    match: Match
    created_at: datetime
    channel_id: str | None = None
    include_groups: list[str] = field(default_factory=list)
    exclude_groups: list[str] = field(default_factory=list)
    version: int = 1
    deleted: bool = False

    @staticmethod
    def checked_keyword(keyword: str | None) -> str | None:
        if keyword is None:
            return None
        word = normalized(keyword)
        if not word or " " in word or len(keyword.strip()) > MAX_KEYWORD:
            raise InvalidTrigger(
                f"a keyword is one word of at most {MAX_KEYWORD} characters",
                field="keyword",
                keyword=keyword,
            )
        return word

    def check(self) -> None:
        if len(self.include_groups) > MAX_GROUPS or len(self.exclude_groups) > MAX_GROUPS:
            raise InvalidTrigger(f"at most {MAX_GROUPS} groups each", field="include_groups")
        if set(self.include_groups) & set(self.exclude_groups):
            raise InvalidTrigger("a group cannot be both included and excluded")

    def matches(self, text: str | None, groups: set[str], channel_id: str) -> bool:
        if self.channel_id is not None and self.channel_id != channel_id:
            return False
        if self.include_groups and groups.isdisjoint(self.include_groups):
            return False
        if not groups.isdisjoint(self.exclude_groups):
            return False
        if self.keyword is None:
            return True
        said = normalized(text or "")
        if self.match == "only":
            return said == self.keyword
        return said.split(" ", 1)[0] == self.keyword

    @property
    def specificity(self) -> tuple[bool, bool, bool, bool, bool]:
        return (
            self.keyword is not None,
            self.channel_id is not None,
            bool(self.include_groups),
            bool(self.exclude_groups),
            self.match == "only",
        )


def pick(
    triggers: Sequence[Trigger], text: str | None, groups: set[str], channel_id: str
) -> Trigger | None:
    """The most specific trigger matching the message, or None."""
    matching = [t for t in triggers if not t.deleted and t.matches(text, groups, channel_id)]
    if not matching:
        return None
    oldest_first = sorted(matching, key=lambda t: (t.created_at, t.id))
    return max(oldest_first, key=lambda t: t.specificity)  # the first of the most specific
