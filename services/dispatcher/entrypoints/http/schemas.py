"""Request and response bodies of the dispatcher's API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.dispatcher.domain.audience import (
    EXCLUSIONS,
    MAX_AUDIENCE_CONTACT_IDS,
    MAX_AUDIENCE_GROUPS,
    Audience,
)
from services.dispatcher.domain.broadcasts import Broadcast
from services.dispatcher.domain.channels import MAX_NAME, MAX_TPS, Channel
from services.dispatcher.domain.messages import MAX_TEXT, TemplateMessage
from services.dispatcher.domain.templates import (
    MAX_PARAMETERS,
    MAX_VARIANTS,
    Template,
)
from services.dispatcher.service_layer.queries import Preview
from shared.contactql.syntax import MAX_INPUT_LENGTH

ChannelTypeName = Literal["whatsapp_cloud", "http", "log"]
TemplateCategory = Literal["marketing", "utility", "authentication"]  # as WhatsApp's
SETTINGS = ("tps", "pair_interval_s", "config", "secrets", "requires_opt_in")


class ChannelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ChannelTypeName
    name: str = Field(max_length=MAX_NAME * 4)
    tps: int | None = Field(
        default=None,
        description="Messages per second (default by type: whatsapp_cloud 80, http 50, "
        f"log unlimited); 1 to {MAX_TPS}, null only for log",
    )
    pair_interval_s: float | None = Field(
        default=None, description="Least seconds between two messages to one person"
    )
    config: dict[str, str] = Field(default_factory=dict, max_length=20)
    secrets: dict[str, str] = Field(
        default_factory=dict, max_length=20, description='Write-only: shown as "***"'
    )
    requires_opt_in: bool | None = Field(
        default=None, description="Send only to contacts who opted in (default: whatsapp_cloud)"
    )

    def settings(self) -> dict[str, Any]:
        """The settings given; the others take the type's defaults."""
        return {key: getattr(self, key) for key in SETTINGS if key in self.model_fields_set}


class ChannelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=MAX_NAME * 4)
    tps: int | None = None
    pair_interval_s: float | None = None
    config: dict[str, str] | None = Field(default=None, max_length=20)
    secrets: dict[str, str] | None = Field(
        default=None, max_length=20, description="Replaces only the secrets named"
    )
    requires_opt_in: bool | None = None
    version: int | None = Field(default=None, description="Refuse the change if not current")

    def changes(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.model_fields_set - {"version"}}


class ChannelView(BaseModel):
    id: str
    type: ChannelTypeName
    name: str
    tps: int | None = Field(description="null: unlimited")
    pair_interval_s: float
    config: dict[str, str]
    secrets: dict[str, str] = Field(description='Each secret set, as "***"')
    requires_opt_in: bool
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, c: Channel) -> ChannelView:
        return cls(
            id=c.id,
            type=c.type.value,
            name=c.name,
            tps=c.tps,
            pair_interval_s=c.pair_interval_s,
            config=c.config,
            secrets=c.masked_secrets,
            requires_opt_in=c.requires_opt_in,
            created_at=c.created_at,
            updated_at=c.updated_at,
            version=c.version,
        )


class ChannelList(BaseModel):
    items: list[ChannelView]
    count: int


class AudienceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    groups: list[str] = Field(default_factory=list, max_length=MAX_AUDIENCE_GROUPS)
    contact_ids: list[str] = Field(default_factory=list, max_length=MAX_AUDIENCE_CONTACT_IDS)
    exclude_groups: list[str] = Field(default_factory=list, max_length=MAX_AUDIENCE_GROUPS)
    query: str | None = Field(
        default=None,
        max_length=MAX_INPUT_LENGTH,
        description="contactql, as `GET /v1/contacts?query=`",
    )

    def audience(self) -> Audience:
        return Audience(
            groups=tuple(self.groups),
            contact_ids=tuple(self.contact_ids),
            exclude_groups=tuple(self.exclude_groups),
            query=self.query or None,
        )


class MessageBody(AudienceBody):
    channel_id: str = Field(max_length=100)
    text: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="Free text; may say @contact.name, @contact.first_name, @contact.phone, "
        "@contact.language, @contact.fields.<key> (@@ for a literal @)",
    )
    template_id: str | None = Field(default=None, max_length=100, description="Or a template")


class PreviewBody(MessageBody):
    """Without a text or template, the message's own exclusions are not counted."""


class PreviewView(BaseModel):
    audience: int = Field(description="Contacts named, each once")
    will_receive: int
    excluded: dict[str, int] = Field(description="Per reason, each contact under its first")
    not_found: int = Field(description="Contact ids named that the organisation does not have")
    eta_seconds: int = Field(description="At the channel's rate")

    @classmethod
    def of(cls, p: Preview) -> PreviewView:
        return cls(
            audience=p.audience,
            will_receive=p.will_receive,
            excluded={reason: p.excluded[reason] for reason in EXCLUSIONS},
            not_found=p.not_found,
            eta_seconds=p.eta_seconds,
        )


class BroadcastBody(MessageBody):
    send_at: datetime | None = Field(default=None, description="Default: now")
    quiet_hours: dict[str, str] | None = Field(
        default=None,
        max_length=2,
        description='`{"start": "20:00", "end": "08:00"}` in the organisation\'s time zone: '
        "sending pauses inside them",
    )


class BroadcastView(BaseModel):
    id: str
    state: str
    channel_id: str
    groups: list[str]
    contact_ids: int = Field(description="How many contacts were named by id")
    exclude_groups: list[str]
    query: str | None
    text: str | None
    template: dict[str, Any] | None = Field(
        description="The copy of the template the broadcast was made with: id, name, version"
    )
    send_at: datetime
    quiet_hours: dict[str, str] | None
    created_at: datetime
    created_by: str
    started_at: datetime | None
    finished_at: datetime | None
    failure: str | None
    audience: int = Field(description="Fixed when resolution ends")
    will_receive: int
    excluded: dict[str, int]
    counts: dict[str, int] = Field(description="Recipients by status: they add up to the audience")
    version: int

    @classmethod
    def of(cls, b: Broadcast, counts: Mapping[str, int]) -> BroadcastView:
        return cls(
            id=b.id,
            state=b.state.value,
            channel_id=b.channel_id,
            groups=list(b.audience.groups),
            contact_ids=len(b.audience.contact_ids),
            exclude_groups=list(b.audience.exclude_groups),
            query=b.audience.query,
            text=None if isinstance(b.message, TemplateMessage) else b.message.text,
            template=_template_summary(b),
            send_at=b.send_at,
            quiet_hours=b.quiet_hours.as_dict() if b.quiet_hours else None,
            created_at=b.created_at,
            created_by=b.created_by,
            started_at=b.started_at,
            finished_at=b.finished_at,
            failure=b.failure,
            audience=b.audience_count,
            will_receive=b.will_receive,
            excluded={reason: b.excluded.get(reason, 0) for reason in EXCLUSIONS},
            counts=dict(counts),
            version=b.version,
        )


class BroadcastPage(BaseModel):
    items: list[BroadcastView]
    next_cursor: str | None


def _template_summary(b: Broadcast) -> dict[str, Any] | None:
    if not isinstance(b.message, TemplateMessage):
        return None
    t = b.message.template
    return {"id": t.id, "name": t.name, "version": t.version}


ParameterGiven = str | dict[str, str | None]


class TemplateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=512, description="As WhatsApp names it: a-z, 0-9 and _")
    category: TemplateCategory
    variants: dict[str, str] = Field(
        max_length=MAX_VARIANTS,
        description='By language: {"eng": "Hello {{1}}", "swa": "Habari {{1}}"}',
    )
    parameters: dict[str, ParameterGiven] = Field(
        default_factory=dict,
        max_length=MAX_PARAMETERS,
        description='Each placeholder\'s value: "@contact.first_name", literal text, or '
        '{"value": "@contact.fields.class", "fallback": "your class"}',
    )


class TemplatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=512)
    category: TemplateCategory | None = None
    variants: dict[str, str] | None = Field(default=None, max_length=MAX_VARIANTS)
    parameters: dict[str, ParameterGiven] | None = Field(default=None, max_length=MAX_PARAMETERS)
    version: int | None = Field(default=None, description="Refuse the change if not current")

    def changes(self) -> dict[str, Any]:
        return {
            key: getattr(self, key)
            for key in self.model_fields_set - {"version"}
            if getattr(self, key) is not None
        }


class TemplateView(BaseModel):
    id: str
    name: str
    category: str
    variants: dict[str, str]
    parameters: dict[str, ParameterGiven]
    created_at: datetime
    updated_at: datetime
    created_by: str
    version: int

    @classmethod
    def of(cls, t: Template) -> TemplateView:
        return cls(
            id=t.id,
            name=t.name,
            category=t.category,
            variants=t.variants,
            parameters={p.name: p.as_given() for p in t.parameters},
            created_at=t.created_at,
            updated_at=t.updated_at,
            created_by=t.created_by,
            version=t.version,
        )


class TemplateList(BaseModel):
    items: list[TemplateView]
    count: int
