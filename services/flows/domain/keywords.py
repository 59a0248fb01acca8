"""Keywords: what a contact's whole message means when it is one of the organisation's opt-out
or opt-in words, and what follows.

The defaults are the words carriers and the FCC's 2025 rule expect to be honoured (STOP,
STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, OPT OUT) and the usual ways back
(START, UNSTOP, JOIN). An organisation keeps its own lists per language (ISO 639-3, `*` for
every language); a message is matched against every list, whatever the sender's language, so
nobody saying stop in another language than their contact record's is missed. The match is
on the whole message, trimmed, ignoring case, punctuation and repeated spaces ("Stop." is
STOP). Opting out wins over everything; a word may not be in both lists.

What follows (`KeywordSettings.reaction`): opting out asks the contacts service to stop the
contact (they leave every group); opting in asks it to make a stopped contact active again, or
to record the consent of one who never gave it. A blocked contact's messages trigger nothing.
Any other message from a stopped contact triggers nothing, unless the organisation chose
RapidPro's behaviour (`reactivate_on_any_message`). Once the contacts service has applied it,
the organisation's confirmation (`opt_out_reply`, the one message the rules allow after
STOP) or welcome (`opt_in_reply`) is sent, and an opt-in joins `opt_in_group_id`
(`follow_ups.ConsentFollowUp`); groups left at opt-out are not restored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from services.flows.domain.errors import InvalidKeywords
from shared.contracts.audience_copy import AudienceContact
from shared.languages import iso639_3

Meaning = Literal["opt_out", "opt_in"]
ANY_LANGUAGE = "*"
DEFAULT_OPT_OUT = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                   "OPTOUT", "OPT OUT")  # fmt: skip
DEFAULT_OPT_IN = ("START", "UNSTOP", "JOIN")
MAX_WORDS = 50
MAX_WORD = 30
MAX_REPLY = 1024
_SPACES = re.compile(r"\s+")


def normalized(text: str) -> str:
    """The message as keywords are matched: case folded, punctuation and symbols dropped,
    spaces collapsed, trimmed."""
    kept = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text.casefold())
    return _SPACES.sub(" ", kept).strip()


Consent = Literal["opted_out", "opted_in"]


@dataclass(frozen=True)
class Reaction:
    """What a message leads to: the consent to ask the contacts service for (None: none), and
    what follows once it is applied (the reply to send, the group to join)."""

    consent: Consent | None = None
    method: str = "keyword"
    keyword: str | None = None
    reply: str | None = None
    group_id: str | None = None


@dataclass(frozen=True)
class KeywordSettings:
    org_id: str
    opt_out: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {ANY_LANGUAGE: DEFAULT_OPT_OUT}
    )
    opt_in: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {ANY_LANGUAGE: DEFAULT_OPT_IN}
    )
    reactivate_on_any_message: bool = False
    version: int = 0
    opt_out_reply: str | None = None
    opt_in_reply: str | None = None
    opt_in_group_id: str | None = None

    @classmethod
    def of(
        cls,
        org_id: str,
        opt_out: Mapping[str, list[str]],
        opt_in: Mapping[str, list[str]],
        reactivate_on_any_message: bool,
        version: int = 0,
        *,
        opt_out_reply: str | None = None,
        opt_in_reply: str | None = None,
        opt_in_group_id: str | None = None,
    ) -> KeywordSettings:
        """Checked whole: languages known, words of 1 to 30 characters that still say
        something once normalised, none in both lists, replies of at most 1,024 characters
        (blank: none) (refused: `invalid_keywords`). The group is checked by the caller."""
        checked_out, checked_in = _checked("opt_out", opt_out), _checked("opt_in", opt_in)
        both = _words(checked_out) & _words(checked_in)
        if both:
            raise InvalidKeywords("a word cannot both stop and start messages",
                                  words=sorted(both))  # fmt: skip
        return cls(org_id, checked_out, checked_in, reactivate_on_any_message, version,
                   opt_out_reply=_reply("opt_out_reply", opt_out_reply),
                   opt_in_reply=_reply("opt_in_reply", opt_in_reply),
                   opt_in_group_id=(opt_in_group_id or "").strip() or None)  # fmt: skip

    def meaning(self, text: str | None) -> Meaning | None:
        said = normalized(text or "")
        if not said:
            return None
        if said in _words(self.opt_out):
            return "opt_out"
        if said in _words(self.opt_in):
            return "opt_in"
        return None

    def reaction(self, text: str | None, sender: AudienceContact) -> Reaction:
        if sender.status == "blocked":
            return Reaction()
        meaning = self.meaning(text)
        if meaning == "opt_out":
            return Reaction("opted_out", keyword=normalized(text or ""), reply=self.opt_out_reply)
        opt_in = Reaction("opted_in", keyword=normalized(text or ""), reply=self.opt_in_reply,
                          group_id=self.opt_in_group_id)  # fmt: skip
        if meaning == "opt_in":
            return opt_in
        if sender.status == "stopped" and self.reactivate_on_any_message:
            return replace(opt_in, method="message", keyword=None)
        return Reaction()


def _reply(name: str, text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    if len(text) > MAX_REPLY:
        raise InvalidKeywords(f"a reply is at most {MAX_REPLY} characters", field=name)
    return text.strip()


def _words(lists: Mapping[str, tuple[str, ...]]) -> set[str]:
    return {normalized(w) for words in lists.values() for w in words}


def _checked(name: str, lists: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    checked: dict[str, tuple[str, ...]] = {}
    for language, words in lists.items():
        code = language if language == ANY_LANGUAGE else iso639_3(language)
        if code is None:
            raise InvalidKeywords(f"{language!r} is not a language", field=name)
        if len(words) > MAX_WORDS:
            raise InvalidKeywords(f"at most {MAX_WORDS} words per language", field=name)
        for word in words:
            if not 1 <= len(word) <= MAX_WORD or not normalized(word):
                raise InvalidKeywords(
                    f"a keyword is 1 to {MAX_WORD} characters with a letter or digit in it",
                    field=name, word=word,
                )  # fmt: skip
        checked[code] = tuple(dict.fromkeys(w.strip() for w in words))
    return checked
