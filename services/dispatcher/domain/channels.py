"""The Channel aggregate: how an organisation reaches its contacts (a WhatsApp number, an SMS
gateway behind an HTTP endpoint, or the development `log`), and the rate it may send at.

A channel's secrets (tokens, signing keys) are part of it but never leave the service: the
aggregate holds them in the clear only while a handler works with it; the repository stores
them sealed (`service_layer.ports.SecretBox`) and views show each as `"***"`.

Each type declares what its `config` and `secrets` hold, so a channel that could not send is
refused when it is saved, not when a broadcast reaches it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from services.dispatcher.domain.errors import InvalidChannel
from shared.auth import Principal

MAX_NAME = 64
MAX_TPS = 10_000
MAX_PAIR_INTERVAL_S = 3600
MAX_CONFIG_TEXT = 2048
MASKED = "***"
SIGNATURE_HEADER = "X-Roster-Signature"
WHATSAPP_SIGNATURE_HEADER = "X-Hub-Signature-256"


class ChannelType(StrEnum):
    WHATSAPP_CLOUD = "whatsapp_cloud"
    HTTP = "http"
    LOG = "log"


@dataclass(frozen=True)
class TypeRules:
    """What a channel type needs: its defaults, and the keys of its config and secrets."""

    tps: int | None  # None: unlimited
    pair_interval_s: float
    requires_opt_in: bool
    required_config: frozenset[str] = frozenset()
    optional_config: Mapping[str, str] = field(default_factory=dict)  # key -> default
    required_secrets: frozenset[str] = frozenset()
    url_config: frozenset[str] = frozenset()
    # Its status reports name messages by the provider's own id (WhatsApp's `wamid`).
    reports_by_provider_id: bool = False


RULES: Mapping[ChannelType, TypeRules] = {
    # 80 messages/s per number by default (Meta raises it to 1,000); about one message per 6 s
    # to the same person before error 131056.
    ChannelType.WHATSAPP_CLOUD: TypeRules(
        tps=80,
        pair_interval_s=6.0,
        requires_opt_in=True,
        required_config=frozenset({"phone_number_id"}),
        optional_config={"base_url": "https://graph.facebook.com/v21.0"},
        # access_token: the bearer token; app_secret: signs webhooks (X-Hub-Signature-256);
        # verify_token: answers Meta's webhook verification handshake.
        required_secrets=frozenset({"access_token", "app_secret", "verify_token"}),
        url_config=frozenset({"base_url"}),
        reports_by_provider_id=True,
    ),
    ChannelType.HTTP: TypeRules(
        tps=50,
        pair_interval_s=0.0,
        requires_opt_in=False,
        required_config=frozenset({"url"}),
        # signing_key: the HMAC of every request and of the status callbacks it sends back.
        required_secrets=frozenset({"signing_key"}),
        url_config=frozenset({"url"}),
    ),
    ChannelType.LOG: TypeRules(tps=None, pair_interval_s=0.0, requires_opt_in=False),
}

# The secret each type's provider signs what it sends us with.
WEBHOOK_KEYS = {ChannelType.HTTP: "signing_key", ChannelType.WHATSAPP_CLOUD: "app_secret"}

EDITABLE = ("name", "tps", "pair_interval_s", "config", "secrets", "requires_opt_in")


def channel_type(value: str) -> ChannelType:
    try:
        return ChannelType(value)
    except ValueError:
        allowed = [t.value for t in ChannelType]
        raise InvalidChannel(
            f"unknown channel type {value!r}", field="type", allowed=allowed
        ) from None


def _name(value: Any) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text:
        raise InvalidChannel("a channel needs a name", field="name")
    if len(text) > MAX_NAME:
        raise InvalidChannel(f"a channel name has at most {MAX_NAME} characters", field="name")
    return text


def _tps(value: Any, rules: TypeRules) -> int | None:
    """Messages per second; None (unlimited) only where nothing outside receives them."""
    if value is None:
        if rules.tps is not None:
            raise InvalidChannel("this channel type needs a rate (tps)", field="tps")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TPS:
        raise InvalidChannel(f"tps is a whole number from 1 to {MAX_TPS}", field="tps")
    return value


def _pair_interval(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidChannel("pair_interval_s is a number of seconds", field="pair_interval_s")
    if not 0 <= value <= MAX_PAIR_INTERVAL_S:
        raise InvalidChannel(
            f"pair_interval_s is from 0 to {MAX_PAIR_INTERVAL_S}", field="pair_interval_s"
        )
    return float(value)


def _texts(kind: str, given: Any) -> dict[str, str]:
    if not isinstance(given, Mapping):
        raise InvalidChannel(f"{kind} is an object of texts", field=kind)
    for key, value in given.items():
        if not isinstance(value, str) or not value or len(value) > MAX_CONFIG_TEXT:
            raise InvalidChannel(
                f"{kind}.{key} is a text of 1 to {MAX_CONFIG_TEXT} characters", field=kind, key=key
            )
    return dict(given)


def _config(given: Any, rules: TypeRules) -> dict[str, str]:
    config = dict(rules.optional_config) | _texts("config", given)
    unknown = set(config) - rules.required_config - set(rules.optional_config)
    if unknown:
        raise InvalidChannel("unknown config keys", field="config", keys=sorted(unknown))
    missing = rules.required_config - set(config)
    if missing:
        raise InvalidChannel("missing config keys", field="config", keys=sorted(missing))
    for key in rules.url_config & set(config):
        parts = urlsplit(config[key])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidChannel(f"config.{key} is an http(s) URL", field="config", key=key)
        config[key] = config[key].rstrip("/")
    return config


def _secrets(given: Any, rules: TypeRules) -> dict[str, str]:
    secrets = _texts("secrets", given)
    unknown = set(secrets) - rules.required_secrets
    if unknown:
        raise InvalidChannel("unknown secret keys", field="secrets", keys=sorted(unknown))
    missing = rules.required_secrets - set(secrets)
    if missing:
        raise InvalidChannel("missing secret keys", field="secrets", keys=sorted(missing))
    return secrets


@dataclass
class Channel:
    id: str
    org_id: str
    type: ChannelType
    name: str
    tps: int | None
    pair_interval_s: float
    config: dict[str, str]
    secrets: dict[str, str]
    requires_opt_in: bool
    created_at: datetime
    updated_at: datetime
    created_by: str
    version: int = 1
    deleted: bool = False

    @classmethod
    def create(
        cls,
        *,
        channel_id: str,
        by: Principal,
        type: str,
        name: Any,
        now: datetime,
        tps: Any = ...,
        pair_interval_s: Any = ...,
        config: Any = None,
        secrets: Any = None,
        requires_opt_in: Any = ...,
    ) -> Channel:
        """`...` leaves a setting at its type's default."""
        kind = channel_type(type)
        rules = RULES[kind]
        opt_in = rules.requires_opt_in if requires_opt_in is ... else requires_opt_in
        if not isinstance(opt_in, bool):
            raise InvalidChannel("requires_opt_in is true or false", field="requires_opt_in")
        return cls(
            id=channel_id,
            org_id=by.org_id,
            type=kind,
            name=_name(name),
            tps=_tps(rules.tps if tps is ... else tps, rules),
            pair_interval_s=_pair_interval(
                rules.pair_interval_s if pair_interval_s is ... else pair_interval_s
            ),
            config=_config(config or {}, rules),
            secrets=_secrets(secrets or {}, rules),
            requires_opt_in=opt_in,
            created_at=now,
            updated_at=now,
            created_by=by.actor,
        )

    @property
    def rules(self) -> TypeRules:
        return RULES[self.type]

    @property
    def masked_secrets(self) -> dict[str, str]:
        return dict.fromkeys(sorted(self.secrets), MASKED)

    def update(self, changes: Mapping[str, Any], now: datetime) -> None:
        """Changes the given settings. `config` replaces the whole object (defaults filled
        again); `secrets` replaces only the keys given, so a client that never saw a secret can
        change another one without sending it back."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise InvalidChannel(
                "these settings cannot be changed", field=sorted(unknown)[0], keys=sorted(unknown)
            )
        rules = self.rules
        name = _name(changes["name"]) if "name" in changes else self.name
        tps = _tps(changes["tps"], rules) if "tps" in changes else self.tps
        pair = self.pair_interval_s
        if "pair_interval_s" in changes:
            pair = _pair_interval(changes["pair_interval_s"])
        config = _config(changes["config"], rules) if "config" in changes else self.config
        secrets = self.secrets
        if "secrets" in changes:
            secrets = _secrets(self.secrets | _texts("secrets", changes["secrets"]), rules)
        opt_in = changes.get("requires_opt_in", self.requires_opt_in)
        if not isinstance(opt_in, bool):
            raise InvalidChannel("requires_opt_in is true or false", field="requires_opt_in")
        self.name, self.tps, self.pair_interval_s = name, tps, pair
        self.config, self.secrets, self.requires_opt_in = config, secrets, opt_in
        self.updated_at = now
        self.version += 1

    def delete(self, now: datetime) -> None:
        self.deleted = True
        self.updated_at = now
        self.version += 1


def signature(body: bytes, key: str) -> str:
    """`sha256=<hex HMAC-SHA256 of the body>`: what an http channel's requests carry, and what
    its status callbacks must carry, under the channel's `signing_key`."""
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def signed_by(channel: Channel, body: bytes, given: str | None) -> bool:
    """The request came from the channel's provider: an http channel's reports carry the
    HMAC under its `signing_key` (`X-Roster-Signature`), WhatsApp's webhooks the HMAC under the
    app's secret (`X-Hub-Signature-256`), both `sha256=<hex>`."""
    key = channel.secrets.get(WEBHOOK_KEYS.get(channel.type, ""))
    return key is not None and given is not None and _same(signature(body, key), given)


def verifies_webhook(channel: Channel, mode: str | None, token: str | None) -> bool:
    """Meta's webhook handshake: `hub.mode=subscribe` with the channel's `verify_token`."""
    expected = channel.secrets.get("verify_token")
    return (
        channel.type is ChannelType.WHATSAPP_CLOUD
        and mode == "subscribe"
        and expected is not None
        and token is not None
        and _same(expected, token)
    )


def _same(expected: str, given: str) -> bool:
    """In constant time, whatever characters a caller sends."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape"))
