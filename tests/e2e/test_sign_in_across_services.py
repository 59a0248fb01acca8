"""Signing in to the accounts service and using the token on the other services, as separate
processes over real HTTP: the services verify it against the keys the accounts service
publishes (no shared secret), an invited staff member signs in and is taken as a group's staff
(anyone else is refused: the groups service knows the organisation's staff from the accounts
service's events), refresh and sign-out work, a reused refresh token ends the session, and
rotating the signing key under live traffic fails no request."""

from __future__ import annotations

import asyncio
import subprocess

import httpx

from tests.conftest import TokenFactory
from tests.support.process import REPO_ROOT, ROSTER, ServiceProcess

EMAIL, PASSWORD = "amina@example.org", "a long enough password"


def roster(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(ROSTER), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def test_a_signed_in_user_uses_every_service_and_key_rotation_fails_nothing(
    accounts_process: ServiceProcess,
    contacts_process: ServiceProcess,
    groups_process: ServiceProcess,
    auth: TokenFactory,
) -> None:
    accounts_process.start()
    jwks = {"ROSTER_AUTH_JWKS_URL": f"{accounts_process.url}/.well-known/jwks.json"}
    # Production: only the accounts service's tokens are taken.
    contacts_process.start({**jwks, "ROSTER_ENV": "prod"})
    groups_process.start({**jwks, "ROSTER_ENV": "prod"})
    env = accounts_process.env
    # The stack's seed, as docker-compose.yml runs it: the organisation and its admin made in
    # the accounts service, the admin signed in, the organisation's settings written with it.
    out = roster(env, "seed", "--org", "acme", "--name", "Acme", "--default-country", "KE",
                 "--accounts-url", accounts_process.url, "--contacts-url", contacts_process.url,
                 "--admin-email", EMAIL, "--admin-password", PASSWORD)  # fmt: skip
    assert EMAIL in out and PASSWORD not in out  # a password given is not printed back
    assert roster(env, "seed", "--org", "acme", "--name", "Acme",
                  "--accounts-url", accounts_process.url, "--contacts-url", contacts_process.url,
                  "--admin-email", EMAIL, "--admin-password", PASSWORD)  # fmt: skip

    async with httpx.AsyncClient(timeout=30) as http:
        signed_in = await http.post(
            f"{accounts_process.url}/v1/sessions",
            json={"email": EMAIL.upper(), "password": PASSWORD, "organization": "acme"},
        )
        assert signed_in.status_code == 201, signed_in.text
        tokens = signed_in.json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        for url in (f"{contacts_process.url}/v1/contacts", f"{groups_process.url}/v1/groups"):
            answer = await http.get(url, headers=bearer)
            assert answer.status_code == 200, (url, answer.text)
        settings = await http.get(f"{contacts_process.url}/v1/organization", headers=bearer)
        assert settings.json()["default_country"] == "KE"  # the seed's, written with its token

        # The admin adds a staff member, who takes up the invitation and signs in; the groups
        # service, which learns the organisation's staff from the accounts service's events,
        # takes them as a group's staff and refuses anyone else.
        added = await http.post(
            f"{accounts_process.url}/v1/users",
            json={"email": "kim@example.org", "name": "Kim", "role": "staff"},
            headers=bearer,
        )
        assert added.status_code == 201, added.text
        kim = added.json()["user"]["id"]
        accepted = await http.post(
            f"{accounts_process.url}/v1/invitations/accept",
            json={"token": added.json()["invitation"], "password": "kim's own password"},
        )
        assert accepted.status_code == 200, accepted.text
        as_kim = await http.post(
            f"{accounts_process.url}/v1/sessions",
            json={"email": "kim@example.org", "password": "kim's own password",
                  "organization": "acme"},
        )  # fmt: skip
        assert as_kim.status_code == 201 and as_kim.json()["role"] == "staff"
        kims = {"Authorization": f"Bearer {as_kim.json()['access_token']}"}
        refused = await http.post(
            f"{groups_process.url}/v1/groups",
            json={"name": "Typed", "staff": ["typed-by-hand"]},
            headers=bearer,
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "unknown_user"
        theirs = await http.post(
            f"{groups_process.url}/v1/groups", json={"name": "Kim's", "staff": [kim]},
            headers=bearer,
        )  # fmt: skip
        assert theirs.status_code == 201, theirs.text
        listed = await http.get(f"{groups_process.url}/v1/groups", headers=kims)
        assert [g["id"] for g in listed.json()["items"]] == [theirs.json()["id"]]

        # Another system: an API client's credentials, traded for a token (OAuth 2.0).
        made = await http.post(
            f"{accounts_process.url}/v1/clients",
            json={"name": "CRM sync", "role": "manager"},
            headers=bearer,
        )
        assert made.status_code == 201, made.text
        client_id, secret = made.json()["client"]["client_id"], made.json()["client_secret"]
        granted = await http.post(
            f"{accounts_process.url}/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
        )
        assert granted.status_code == 200, granted.text
        machine = {"Authorization": f"Bearer {granted.json()['access_token']}"}
        answer = await http.get(f"{contacts_process.url}/v1/contacts", headers=machine)
        assert answer.status_code == 200
        wrong = await http.post(
            f"{accounts_process.url}/v1/oauth/token",
            data={"grant_type": "client_credentials", "client_id": client_id,
                  "client_secret": secret + "x"},
        )  # fmt: skip
        assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")

        development = await http.get(f"{contacts_process.url}/v1/contacts", headers=auth("acme"))
        assert development.status_code == 401  # HS256: refused once the key set is on
        assert development.headers["www-authenticate"] == "Bearer"
        # `roster token` then signs with the accounts service's key (development only).
        token = roster({**env, **jwks}, "token", "--org", "acme").strip()
        signed = await http.get(
            f"{contacts_process.url}/v1/contacts", headers={"Authorization": f"Bearer {token}"}
        )
        assert signed.status_code == 200, signed.text

        # Live traffic while the key is rotated twice: tokens signed before, and after.
        failures: list[str] = []
        stop = asyncio.Event()

        async def traffic() -> int:
            sent, current = 0, tokens
            while not stop.is_set():
                refreshed = await http.post(
                    f"{accounts_process.url}/v1/sessions/refresh",
                    json={"refresh_token": current["refresh_token"]},
                )
                if refreshed.status_code != 200:
                    failures.append(f"refresh {refreshed.status_code} {refreshed.text}")
                    return sent
                for token in (current["access_token"], refreshed.json()["access_token"]):
                    answer = await http.get(
                        f"{contacts_process.url}/v1/contacts",
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    sent += 1
                    if answer.status_code != 200:
                        failures.append(f"{answer.status_code} {answer.text}")
                current = refreshed.json()
            tokens.update(current)
            return sent

        running = asyncio.create_task(traffic())
        for _ in range(2):
            await asyncio.sleep(0.5)
            await asyncio.to_thread(roster, env, "keys", "rotate")
        await asyncio.sleep(0.5)
        stop.set()
        sent = await running
        assert failures == [] and sent >= 4

        # A refresh token used twice ends the session; signing out ends one too.
        first = tokens["refresh_token"]
        second = (await http.post(f"{accounts_process.url}/v1/sessions/refresh",
                                  json={"refresh_token": first})).json()  # fmt: skip
        reused = await http.post(
            f"{accounts_process.url}/v1/sessions/refresh", json={"refresh_token": first}
        )
        assert reused.status_code == 401
        assert reused.json()["error"]["code"] == "invalid_refresh_token"
        gone = await http.post(
            f"{accounts_process.url}/v1/sessions/refresh",
            json={"refresh_token": second["refresh_token"]},
        )
        assert gone.status_code == 401

        again = (await http.post(
            f"{accounts_process.url}/v1/sessions",
            json={"email": EMAIL, "password": PASSWORD, "organization": "acme"},
        )).json()  # fmt: skip
        out_ = await http.delete(
            f"{accounts_process.url}/v1/sessions/current",
            headers={"Authorization": f"Bearer {again['access_token']}"},
        )
        assert out_.status_code == 204
        after = await http.post(
            f"{accounts_process.url}/v1/sessions/refresh",
            json={"refresh_token": again["refresh_token"]},
        )
        assert after.status_code == 401

        published = (await http.get(f"{accounts_process.url}/.well-known/jwks.json")).json()
        assert len(published["keys"]) == 3  # the two retired keys until their tokens expire
        assert all(set(k) >= {"kty", "crv", "x", "kid"} and "d" not in k for k in published["keys"])
