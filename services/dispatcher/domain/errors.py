"""Rule violations of the dispatcher, each with the machine-readable code clients see."""

from __future__ import annotations

from shared.errors import DomainError


class ChannelNotFound(DomainError):
    code = "channel_not_found"
    status = 404


class InvalidChannel(DomainError):
    """A channel's settings break its type's rules (the field is in `details`)."""

    code = "invalid_channel"


class VersionConflict(DomainError):
    code = "version_conflict"
    status = 409


class UnknownChannel(DomainError):
    code = "unknown_channel"


class UnknownGroups(DomainError):
    code = "unknown_groups"


class EmptyAudience(DomainError):
    code = "empty_audience"


class NotYourGroup(DomainError):
    """Staff send only to the groups assigned to them."""

    code = "not_your_group"
    status = 403


class InvalidBroadcast(DomainError):
    code = "invalid_broadcast"


class BroadcastNotFound(DomainError):
    code = "broadcast_not_found"
    status = 404


class BroadcastStateError(DomainError):
    """The broadcast's state does not allow this (pausing a completed one, ...)."""

    code = "broadcast_state"
    status = 409


class InvalidExpression(DomainError):
    """`@contact.<something>` that names nothing a message can say."""

    code = "invalid_expression"


class InvalidTemplate(DomainError):
    """A template's name, category, variants or parameters break the rules (in `details`)."""

    code = "invalid_template"


class TemplateParameterMismatch(DomainError):
    """A variant's placeholders differ from the parameters the template defines."""

    code = "template_parameter_mismatch"


class TemplateNotFound(DomainError):
    code = "template_not_found"
    status = 404


class UnknownTemplate(DomainError):
    """A broadcast names a template the organisation does not have."""

    code = "unknown_template"


class InvalidInbound(DomainError):
    """An inbound message a provider sent that cannot be taken: nothing is published."""

    code = "invalid_inbound"
