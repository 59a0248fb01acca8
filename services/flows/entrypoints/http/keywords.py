"""The organisation's opt-out and opt-in keywords (`GET/PUT /v1/keywords`), with the
confirmation and welcome messages and the group an opt-in joins: every role reads them,
admins change them (the whole settings, at the version read)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.flows.domain import commands
from services.flows.domain.keywords import MAX_REPLY, KeywordSettings
from services.flows.entrypoints.http.dependencies import Uow
from shared.auth import Role
from shared.http.dependencies import Bus, Caller
from shared.http.security import require_role

router = APIRouter(prefix="/v1/keywords", tags=["keywords"])

LISTS = Field(
    max_length=100,
    description='Words by language (ISO 639-3, or "*" for every language)',
    examples=[{"*": ["STOP", "OPT OUT"], "swa": ["ACHA"]}],
)


OPT_OUT_REPLY = Field(
    default=None, max_length=MAX_REPLY,
    description="Sent once after an opt-out keyword, on the channel it came in on (none: blank)",
)  # fmt: skip
OPT_IN_REPLY = Field(
    default=None, max_length=MAX_REPLY,
    description="Sent after an opt-in keyword, once the contact is active again (none: blank)",
)  # fmt: skip
OPT_IN_GROUP = Field(
    default=None, max_length=100,
    description="The id of the manual group an opt-in keyword adds the contact to",
)  # fmt: skip


class KeywordsView(BaseModel):
    opt_out: dict[str, list[str]]
    opt_in: dict[str, list[str]]
    reactivate_on_any_message: bool
    opt_out_reply: str | None = OPT_OUT_REPLY
    opt_in_reply: str | None = OPT_IN_REPLY
    opt_in_group_id: str | None = OPT_IN_GROUP
    version: int

    @classmethod
    def of(cls, s: KeywordSettings) -> KeywordsView:
        return cls(
            opt_out={k: list(v) for k, v in s.opt_out.items()},
            opt_in={k: list(v) for k, v in s.opt_in.items()},
            reactivate_on_any_message=s.reactivate_on_any_message,
            opt_out_reply=s.opt_out_reply,
            opt_in_reply=s.opt_in_reply,
            opt_in_group_id=s.opt_in_group_id,
            version=s.version,
        )


class KeywordsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opt_out: dict[str, list[str]] = LISTS
    opt_in: dict[str, list[str]] = LISTS
    reactivate_on_any_message: bool = False
    opt_out_reply: str | None = OPT_OUT_REPLY
    opt_in_reply: str | None = OPT_IN_REPLY
    opt_in_group_id: str | None = OPT_IN_GROUP
    version: int = Field(ge=0, description="The version read (0: the defaults)")


@router.get("", response_model=KeywordsView)
async def get_keywords(by: Caller, uow: Uow) -> KeywordsView:
    return KeywordsView.of(await uow.keywords.get(by.org_id))


@router.put("", response_model=KeywordsView)
async def put_keywords(body: KeywordsBody, by: Caller, bus: Bus) -> KeywordsView:
    require_role(by, (Role.ADMIN,), "change keywords")
    settings: KeywordSettings = await bus.handle(
        commands.UpdateKeywords(
            by=by, opt_out=body.opt_out, opt_in=body.opt_in,
            reactivate_on_any_message=body.reactivate_on_any_message, version=body.version,
            opt_out_reply=body.opt_out_reply, opt_in_reply=body.opt_in_reply,
            opt_in_group_id=body.opt_in_group_id,
        )
    )  # fmt: skip
    return KeywordsView.of(settings)
