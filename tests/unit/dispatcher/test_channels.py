"""Channels: each type's defaults and rules, secrets that are write-only and sealed at rest,
changes guarded by version, and organisations that never see each other's channels."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from services.dispatcher.adapters.secret_box import FernetSecretBox, SecretsUnreadable
from services.dispatcher.bootstrap import secret_box
from services.dispatcher.domain.channels import MASKED, Channel, ChannelType
from services.dispatcher.domain.commands import CreateChannel, DeleteChannel, UpdateChannel
from services.dispatcher.domain.errors import ChannelNotFound, InvalidChannel, VersionConflict
from shared.settings import DEV_CHANNEL_SECRET_KEY, ServiceSettings, UnsafeSettingsError
from tests.fakes.dispatcher import ADMIN, OTHER_ORG_ADMIN, FakeDispatcher

WHATSAPP_SECRETS = {"access_token": "EAAG-token", "app_secret": "app-s", "verify_token": "v-t"}


async def create(service: FakeDispatcher, type: str, name: str = "Main", **settings: Any) -> Any:
    channel: Channel = await service.bus.handle(
        CreateChannel(by=ADMIN, type=type, name=name, settings=settings)
    )
    return channel


async def test_each_type_takes_its_defaults(service: FakeDispatcher) -> None:
    whatsapp = await create(
        service, "whatsapp_cloud", config={"phone_number_id": "1055"}, secrets=WHATSAPP_SECRETS
    )
    http = await create(
        service, "http", config={"url": "https://sms.example.org/send/"},
        secrets={"signing_key": "k"},
    )  # fmt: skip
    log = await create(service, "log", name="  Dev   log ")

    assert (whatsapp.type, whatsapp.tps, whatsapp.pair_interval_s, whatsapp.requires_opt_in) == (
        ChannelType.WHATSAPP_CLOUD, 80, 6.0, True,
    )  # fmt: skip
    assert whatsapp.config == {
        "phone_number_id": "1055",
        "base_url": "https://graph.facebook.com/v21.0",
    }
    assert (http.tps, http.pair_interval_s, http.requires_opt_in) == (50, 0.0, False)
    assert http.config == {"url": "https://sms.example.org/send"}
    assert (log.tps, log.name, log.secrets) == (None, "Dev log", {})
    assert [c.id for c in await service.channels.list(ADMIN.org_id)] == [
        whatsapp.id, http.id, log.id,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("type", "settings", "field", "keys"),
    [
        ("http", {"secrets": {"signing_key": "k"}}, "config", ["url"]),
        ("http", {"config": {"url": "https://x.org"}}, "secrets", ["signing_key"]),
        ("http", {"config": {"url": "https://x.org", "verb": "PUT"},
                  "secrets": {"signing_key": "k"}}, "config", ["verb"]),
        ("whatsapp_cloud", {"config": {"phone_number_id": "1"},
                            "secrets": {"access_token": "t"}}, "secrets",
         ["app_secret", "verify_token"]),
        ("log", {"secrets": {"token": "t"}}, "secrets", ["token"]),
    ],
)  # fmt: skip
async def test_a_channel_that_could_not_send_is_refused_naming_what_is_wrong(
    service: FakeDispatcher, type: str, settings: dict[str, Any], field: str, keys: list[str]
) -> None:
    with pytest.raises(InvalidChannel) as refused:
        await create(service, type, **settings)
    assert (refused.value.details["field"], refused.value.details["keys"]) == (field, keys)
    assert service.channels.stored == {}


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"tps": None}, "tps"),
        ({"tps": 0}, "tps"),
        ({"tps": 10_001}, "tps"),
        ({"tps": True}, "tps"),
        ({"pair_interval_s": -1}, "pair_interval_s"),
        ({"config": {"url": "ftp://files.example.org"}}, "config"),
        ({"config": {"url": "not a url"}}, "config"),
        ({"config": {"url": ""}}, "config"),
        ({"requires_opt_in": None}, "requires_opt_in"),
    ],
)
async def test_settings_out_of_range_are_refused(
    service: FakeDispatcher, settings: dict[str, Any], field: str
) -> None:
    given = {"config": {"url": "https://x.org"}, "secrets": {"signing_key": "k"}} | settings
    with pytest.raises(InvalidChannel) as refused:
        await create(service, "http", **given)
    assert refused.value.details["field"] == field


async def test_only_a_log_channel_may_be_unlimited_and_any_may_be_given_a_rate(
    service: FakeDispatcher,
) -> None:
    assert (await create(service, "log", tps=None)).tps is None
    assert (await create(service, "log", tps=500)).tps == 500
    with pytest.raises(InvalidChannel):
        await create(service, "")
    with pytest.raises(InvalidChannel, match="needs a name"):
        await create(service, "log", name="   ")


async def test_a_change_replaces_config_and_only_the_secrets_it_names(
    service: FakeDispatcher,
) -> None:
    channel = await create(
        service, "whatsapp_cloud", config={"phone_number_id": "1055"}, secrets=WHATSAPP_SECRETS
    )
    changes = {
        "name": "Kenya line",
        "tps": 200,
        "config": {"phone_number_id": "2077", "base_url": "http://127.0.0.1:9999/v21.0"},
        "secrets": {"access_token": "EAAG-new"},
        "requires_opt_in": False,
    }
    service.clock.advance(5)

    changed = await service.bus.handle(
        UpdateChannel(by=ADMIN, channel_id=channel.id, changes=changes, expected_version=1)
    )

    stored = await service.channels.get(ADMIN.org_id, channel.id)
    assert stored == changed
    assert (stored.name, stored.tps, stored.requires_opt_in, stored.version) == (
        "Kenya line", 200, False, 2,
    )  # fmt: skip
    assert stored.config["phone_number_id"] == "2077"
    assert stored.secrets == WHATSAPP_SECRETS | {"access_token": "EAAG-new"}
    assert stored.masked_secrets == dict.fromkeys(sorted(WHATSAPP_SECRETS), MASKED)
    assert stored.updated_at > stored.created_at


async def test_a_change_is_refused_when_the_channel_moved_on(service: FakeDispatcher) -> None:
    channel = await create(service, "log")
    await service.bus.handle(UpdateChannel(by=ADMIN, channel_id=channel.id, changes={"tps": 5}))

    with pytest.raises(VersionConflict):
        await service.bus.handle(
            UpdateChannel(by=ADMIN, channel_id=channel.id, changes={"tps": 9}, expected_version=1)
        )
    stale = await service.channels.get(ADMIN.org_id, channel.id)
    assert stale is not None
    await service.bus.handle(UpdateChannel(by=ADMIN, channel_id=channel.id, changes={"tps": 7}))
    # A writer that read before that change loses: its save is conditional on its version.
    stale.update({"tps": 1}, service.clock())
    assert not await service.channels.save(stale, stale.version - 1)
    assert (await service.channels.get(ADMIN.org_id, channel.id)).tps == 7


@pytest.mark.parametrize("changes", [{"type": "http"}, {"secrets": {"unknown": "x"}}])
async def test_a_channel_keeps_its_type_and_its_type_s_secrets(
    service: FakeDispatcher, changes: dict[str, Any]
) -> None:
    channel = await create(service, "log")
    with pytest.raises(InvalidChannel):
        await service.bus.handle(UpdateChannel(by=ADMIN, channel_id=channel.id, changes=changes))
    assert (await service.channels.get(ADMIN.org_id, channel.id)).version == 1


async def test_deleted_and_other_organisations_channels_are_not_found(
    service: FakeDispatcher,
) -> None:
    kept, deleted = await create(service, "log", name="a"), await create(service, "log", name="b")
    await service.bus.handle(DeleteChannel(by=ADMIN, channel_id=deleted.id))

    assert [c.id for c in await service.channels.list(ADMIN.org_id)] == [kept.id]
    assert await service.channels.list(OTHER_ORG_ADMIN.org_id) == []
    for by, channel_id in ((ADMIN, deleted.id), (OTHER_ORG_ADMIN, kept.id)):
        with pytest.raises(ChannelNotFound):
            await service.bus.handle(
                UpdateChannel(by=by, channel_id=channel_id, changes={"name": "x"})
            )
        with pytest.raises(ChannelNotFound):
            await service.bus.handle(DeleteChannel(by=by, channel_id=channel_id))


def test_secrets_are_sealed_opened_with_any_key_given_and_refused_when_tampered() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = FernetSecretBox([old]).seal({"signing_key": "hunter2"})
    assert "hunter2" not in sealed

    rotated = FernetSecretBox([new, old])
    assert rotated.open(sealed) == {"signing_key": "hunter2"}
    with pytest.raises(SecretsUnreadable):  # sealed with the newest key, which it lacks
        FernetSecretBox([old]).open(rotated.seal({"a": "b"}))
    with pytest.raises(SecretsUnreadable):
        rotated.open(sealed[:-4] + "AAAA")


def test_production_refuses_the_development_secret_key() -> None:
    prod = {"env": "prod", "jwt_signing_key": "s" * 40}
    with pytest.raises(UnsafeSettingsError):
        secret_box(ServiceSettings(**prod))
    with pytest.raises(UnsafeSettingsError):
        secret_box(ServiceSettings(**prod, channel_secret_keys=f"x,{DEV_CHANNEL_SECRET_KEY}"))
    own = Fernet.generate_key().decode()
    assert secret_box(ServiceSettings(**prod, channel_secret_keys=own)).open(
        secret_box(ServiceSettings(**prod, channel_secret_keys=own)).seal({"k": "v"})
    ) == {"k": "v"}
