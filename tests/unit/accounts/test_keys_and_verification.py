"""Signing keys and what verifiers accept: a rotation never fails a token in flight, and every
forgery a service may be handed is refused (forged signature, another audience, expired,
`alg: none`, HS256 signed with the published key, a key nobody published)."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt
import pytest

from services.accounts.domain.commands import RotateSigningKey, SignIn
from services.accounts.service_layer.tokens import IssuedTokens
from shared.auth import AcceptedTokens, InvalidToken, Role, TokenCodec
from tests.fakes.accounts import FakeAccounts
from tests.unit.accounts.conftest import ADMIN_EMAIL, PASSWORD


async def sign_in(accounts: FakeAccounts) -> IssuedTokens:
    tokens: IssuedTokens = await accounts.bus.handle(
        SignIn(ADMIN_EMAIL, PASSWORD, "acme", "10.0.0.1")
    )
    return tokens


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def test_a_rotation_fails_no_token_in_flight(accounts: FakeAccounts) -> None:
    verifier = accounts.verifier()
    before = await sign_in(accounts)
    await verifier.verify(before.access_token)  # the verifier knows the first key now

    await accounts.bus.handle(RotateSigningKey())
    after = await sign_in(accounts)

    assert kid_of(after.access_token) != kid_of(before.access_token)
    # The new key is fetched on first sight; the old one still verifies what it signed.
    assert (await verifier.verify(after.access_token)).org_id == "acme"
    assert (await verifier.verify(before.access_token)).org_id == "acme"
    published = [k["kid"] for k in (await accounts.verifier()._fetch())["keys"]]
    assert published == [kid_of(after.access_token), kid_of(before.access_token)]

    # Once the last token the old key signed has expired, it is no longer published.
    accounts.clock.advance(timedelta(minutes=18))
    published = [k["kid"] for k in (await accounts.verifier()._fetch())["keys"]]
    assert published == [kid_of(after.access_token)]


async def test_unknown_key_ids_are_fetched_for_at_most_once_a_while(
    accounts: FakeAccounts,
) -> None:
    verifier = accounts.verifier(min_refresh_s=3600)
    tokens = await sign_in(accounts)
    await verifier.verify(tokens.access_token)
    fetched = len(accounts.fetches)
    header = {"alg": "EdDSA", "kid": "made-up", "typ": "JWT"}
    forged = _b64(header) + "." + tokens.access_token.split(".", 1)[1]
    for _ in range(20):
        with pytest.raises(InvalidToken):
            await verifier.verify(forged)
    assert len(accounts.fetches) == fetched  # a flood of made-up ids is no flood of fetches


def _b64(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


async def forgeries(accounts: FakeAccounts) -> dict[str, str]:
    tokens = await sign_in(accounts)
    header, payload, signature = tokens.access_token.split(".")
    claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
    public = (await accounts.verifier()._fetch())["keys"][0]
    stranger = accounts.uow.key_factory.new_key(accounts.clock())
    real = accounts.keys.rows[0].private_pem  # the published key's own: only the claim is wrong
    flipped = signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")
    return {
        "forged signature": f"{header}.{payload}.{flipped}",
        "another audience": jwt.encode(
            {**claims, "aud": "elsewhere"},
            real,
            "EdDSA",
            headers={"kid": kid_of(tokens.access_token)},
        ),
        "signed by a key nobody published": jwt.encode(
            claims, stranger.private_pem, "EdDSA", headers={"kid": stranger.kid}
        ),
        "alg none": _b64({"alg": "none", "typ": "JWT"}) + "." + payload + ".",
        "hs256 with the public key": jwt.api_jws.PyJWS().encode(
            json.dumps(claims).encode(),
            public["x"].encode(),
            algorithm="HS256",
            headers={"kid": public["kid"]},
        ),
        "expired": jwt.encode(
            {**claims, "exp": int(time.time()) - 120},  # beyond the clock leeway
            real,
            "EdDSA",
            headers={"kid": kid_of(tokens.access_token)},
        ),
        "not a token": "garbage",
    }


async def test_every_forgery_is_refused(accounts: FakeAccounts) -> None:
    verifier = accounts.verifier()
    in_production = AcceptedTokens(jwks=verifier, shared_key=None)
    accepted = []
    for what, token in (await forgeries(accounts)).items():
        try:
            await in_production.verify(token)
            accepted.append(what)
        except InvalidToken:
            pass
    assert accepted == []
    # The same HS256 forgery, where a careless service took the published key as its secret:
    public = (await accounts.verifier()._fetch())["keys"][0]["x"]
    careless = AcceptedTokens(jwks=verifier, shared_key=TokenCodec(public, "roster", "roster"))
    assert await careless.verify((await forgeries(accounts))["hs256 with the public key"])


async def test_development_tokens_are_accepted_only_beside_the_shared_key(
    accounts: FakeAccounts,
) -> None:
    codec = TokenCodec("a development key of enough length!!", "roster", "roster")
    development = codec.issue("acme", Role.ADMIN, "dev")
    both = AcceptedTokens(jwks=accounts.verifier(), shared_key=codec)
    only_jwks = AcceptedTokens(jwks=accounts.verifier(), shared_key=None)
    assert (await both.verify(development)).subject == "dev"
    assert (await both.verify((await sign_in(accounts)).access_token)).org_id == "acme"
    with pytest.raises(InvalidToken, match="HS256"):
        await only_jwks.verify(development)
