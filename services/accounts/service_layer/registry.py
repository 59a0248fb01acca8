"""The accounts service's registry: which handler each command goes to (see
`shared.messagebus`). It consumes no events yet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.accounts.domain import commands
from services.accounts.service_layer import clients, handlers, members
from shared.messagebus import Registration

COMMAND_HANDLERS: Mapping[type, Registration] = {
    commands.CreateOrganization: handlers.create_organization,
    commands.SignIn: handlers.sign_in,
    commands.RefreshSession: handlers.refresh_session,
    commands.SignOut: handlers.sign_out,
    commands.DeactivateUser: handlers.deactivate_user,
    commands.RotateSigningKey: handlers.rotate_signing_key,
    commands.IssueDevelopmentToken: handlers.issue_development_token,
    commands.AddMember: members.add_member,
    commands.ChangeMemberRole: members.change_member_role,
    commands.RemoveMember: members.remove_member,
    commands.AcceptInvitation: members.accept_invitation,
    commands.CreateApiClient: clients.create_api_client,
    commands.RevokeApiClient: clients.revoke_api_client,
    commands.IssueClientToken: clients.issue_client_token,
}

EVENT_HANDLERS: Mapping[type, Sequence[Registration]] = {}
