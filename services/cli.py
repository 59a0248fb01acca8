"""The `roster` command: serve a service, issue a token, publish the event schemas, reconcile
the groups, import a file. It knows every service, so it lives beside them, not in `shared`."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from pathlib import Path

from shared.auth import Role, TokenCodec
from shared.settings import DEFAULT_PORTS, ServiceSettings

BUILT_SERVICES = ("contacts", "groups", "importer", "dispatcher", "flows", "accounts", "console")


def _settings() -> ServiceSettings:
    return ServiceSettings()


def cmd_token(args: argparse.Namespace) -> int:
    """A development token, refused in production (tokens come from signing in there). Where the
    services check the accounts service's keys (`ROSTER_AUTH_JWKS_URL`), it is signed with the
    accounts service's current key, read from its database as that service would; elsewhere
    with the shared development key (HS256)."""
    import asyncio

    settings = _settings()
    if settings.env == "prod":
        print("roster token is for development: sign in (POST /v1/sessions)", file=sys.stderr)
        return 2
    subject = args.user or f"{args.role}-{args.org}"
    if settings.auth_jwks_url:
        from services.accounts.entrypoints.cli import development_token

        print(asyncio.run(development_token(settings, args.org, Role(args.role), subject,
                                            args.ttl)))  # fmt: skip
        return 0
    codec = TokenCodec(settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience)
    print(codec.issue(args.org, Role(args.role), subject, ttl_seconds=args.ttl))
    return 0


def collect_garbage_rarely() -> None:
    """Python's cycle collector, tuned for services that handle thousands of objects per
    batch. With the defaults (a collection every 700 net allocations, a full one every 100 of
    those) an import spent a fifth of each service's CPU collecting, mostly walking the
    modules, schemas and models loaded at start, which never become garbage. Those are frozen
    (never walked again) and collections come 70 times less often; almost everything a batch
    allocates is freed by reference counting, so memory does not grow between them (the
    importer's peak RSS in `bench/import_rows.py` is unchanged)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from shared.logging import configure_logging
    from shared.tracing import TracingConfigError, configure_tracing, instrument

    if args.service not in BUILT_SERVICES:
        print(f"the {args.service} service is not built yet", file=sys.stderr)
        return 2
    settings = _settings()
    configure_logging(args.service, settings.log_level, settings.log_json)
    try:
        tracer_provider = configure_tracing(args.service)
    except TracingConfigError as exc:
        print(f"tracing: {exc}", file=sys.stderr)
        return 2
    bootstrap = importlib.import_module(f"services.{args.service}.bootstrap")
    app = bootstrap.build_app(settings)
    collect_garbage_rarely()
    if tracer_provider is not None:
        instrument(app, tracer_provider)
    # --port, then the service's own variable, then ROSTER_PORT (what the container image sets:
    # every service on one port inside its container), then the service's default port.
    port = args.port or int(
        os.environ.get(f"ROSTER_{args.service.upper()}_PORT")
        or os.environ.get("ROSTER_PORT")
        or DEFAULT_PORTS[args.service]
    )
    config = uvicorn.Config(
        app,
        host=args.host or settings.host,
        port=port,
        log_config=None,
        access_log=False,
        loop="uvloop",  # libuv's loop: the services' consumers and store calls cost less CPU
        timeout_graceful_shutdown=20,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )
    # The port is taken before the app starts, not after: a port in use then ends the process
    # at once, with nothing started to stop, and the seconds the start takes (store, Kafka) are
    # not a window in which another process can take the port.
    listening = config.bind_socket()
    try:
        uvicorn.Server(config).run(sockets=[listening])
    finally:
        if tracer_provider is not None:
            tracer_provider.shutdown()  # exports the spans still batched
    return 0


def cmd_schemas(args: argparse.Namespace) -> int:
    from shared.contracts.schemas import render_all, write_all

    directory = Path(args.dir)
    if args.check:
        stale = [
            name
            for name, content in render_all().items()
            if not (directory / name).is_file()
            or (directory / name).read_text(encoding="utf-8") != content
        ]
        for name in stale:
            print(f"stale: {directory / name}")
        return 1 if stale else 0
    for path in write_all(directory):
        print(path)
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    import asyncio
    import json

    import httpx

    from services.groups.entrypoints.reconcile import reconcile

    settings = _settings()
    codec = TokenCodec(settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience)

    async def run() -> int:
        drifted = 0
        for org in args.org:
            headers = {"Authorization": "Bearer " + codec.issue(org, Role.ADMIN, "reconcile")}
            async with (
                httpx.AsyncClient(base_url=args.groups_url, headers=headers, timeout=60) as groups,
                httpx.AsyncClient(
                    base_url=args.contacts_url, headers=headers, timeout=60
                ) as contacts,
            ):
                drift = await reconcile(groups, contacts, settle_s=args.settle, fix=args.repair)
            print(json.dumps({"org": org, **drift.report(), "repaired": args.repair}))
            drifted += drift.total
        return 1 if drifted and not args.repair else 0

    return asyncio.run(run())


def cmd_seed(args: argparse.Namespace) -> int:
    """A stack's first organisation: with `--accounts-url`, made in the accounts service with its
    admin (run again, it is left as it is), who is signed in; else a development token is
    made. Its settings are then written through the contacts service's API (retried while the
    service comes up), and how its admin signs in is printed."""
    import asyncio
    import time

    import httpx

    settings = _settings()
    if args.accounts_url:
        from services.accounts.entrypoints.cli import create_organization

        if not args.admin_email or not args.admin_password:
            print("--accounts-url needs --admin-email and --admin-password", file=sys.stderr)
            return 2
        asyncio.run(
            create_organization(
                settings, args.org, args.name, args.admin_email, "Admin", args.admin_password,
                exists_ok=True,
            )
        )  # fmt: skip
        token = _sign_in(args, deadline=time.monotonic() + args.wait)
        if token is None:
            return 1
    else:
        codec = TokenCodec(settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience)
        token = codec.issue(args.org, Role.ADMIN, f"admin-{args.org}", ttl_seconds=args.ttl)
    body = {"name": args.name, "timezone": args.timezone}
    if args.default_country:
        body["default_country"] = args.default_country
    deadline = time.monotonic() + args.wait
    while True:
        try:
            response = httpx.patch(
                f"{args.contacts_url}/v1/organization",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
        except httpx.TransportError as exc:
            if time.monotonic() > deadline:
                print(f"the contacts service did not answer: {exc}", file=sys.stderr)
                return 1
            time.sleep(1)
            continue
        if response.status_code >= 400:
            print(f"seeding {args.org!r} failed: {response.text}", file=sys.stderr)
            return 1
        break
    if args.accounts_url:
        print(f"Organisation {args.org!r} ({args.name}) is ready. Its admin signs in as")
        print(f"{args.admin_email} (POST {args.accounts_url}/v1/sessions). An access token:")
    else:
        print(f"Organisation {args.org!r} ({args.name}) is ready. Admin token:")
    print(token)
    return 0


def _sign_in(args: argparse.Namespace, deadline: float) -> str | None:
    import time

    import httpx

    body = {"email": args.admin_email, "password": args.admin_password, "organization": args.org}
    while True:
        try:
            answer = httpx.post(f"{args.accounts_url}/v1/sessions", json=body, timeout=10)
        except httpx.TransportError as exc:
            if time.monotonic() > deadline:
                print(f"the accounts service did not answer: {exc}", file=sys.stderr)
                return None
            time.sleep(1)
            continue
        if answer.status_code != 201:
            print(f"signing in as {args.admin_email} failed: {answer.text}", file=sys.stderr)
            return None
        token: str = answer.json()["access_token"]
        return token


def cmd_topics(args: argparse.Namespace) -> int:
    """Every topic and its dead-letter twin: created (`create`, what the Helm chart's Job runs
    where services may not create topics), or checked (`check`: exit code 1 naming the missing)."""
    import asyncio

    from shared.kafka.topics import MissingTopics
    from shared.runtime import provide_topics

    try:
        created = asyncio.run(provide_topics(_settings(), create=args.action == "create"))
    except MissingTopics as missing:
        print(missing, file=sys.stderr)
        return 1
    if args.action == "create":
        print(f"{len(created)} topic(s) created" + (f": {', '.join(created)}" if created else ""))
    else:
        print("every topic exists")
    return 0


def cmd_dlq(args: argparse.Namespace) -> int:
    """What a service's consumer dead-lettered from a topic, back onto that topic (`replay`),
    or only counted by error (`--dry-run`)."""
    import asyncio
    import json

    from shared.kafka.replay import replay_dead_letters

    settings = _settings()
    report = asyncio.run(
        replay_dead_letters(
            settings.kafka_bootstrap,
            settings.kafka_topic_prefix + args.topic,
            settings.consumer_group(args.service),
            dry_run=args.dry_run,
            security=settings.kafka_security(),
        )
    )
    print(json.dumps({"topic": args.topic, "service": args.service, "dry_run": args.dry_run,
                      **report.__dict__}))  # fmt: skip
    return 0


def cmd_org(args: argparse.Namespace) -> int:
    """An organisation and its first admin, in the accounts service. A new admin given no
    password gets a one-time invitation (printed here, valid 7 days) to set one."""
    import asyncio

    from services.accounts.entrypoints.cli import create_organization
    from shared.errors import DomainError

    try:
        created = asyncio.run(
            create_organization(
                _settings(),
                args.id,
                args.name,
                args.admin_email,
                args.admin_name,
                args.admin_password,
            )
        )
    except DomainError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 1
    assert created is not None
    print(f"Organisation {args.id!r} ({args.name}) created; its admin is {created.admin.email}.")
    if created.invitation:
        print("They set their password once, within 7 days, with this invitation (shown once):")
        print(f'  POST /v1/invitations/accept {{"token": "{created.invitation}", ...}}')
    elif args.admin_password:
        print("They sign in with the password given.")
    else:
        print("They sign in with the password they already have.")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    """A platform operator's act: the account signs in nowhere any more, its sessions end, and
    the other services see it leave every organisation."""
    import asyncio

    from services.accounts.entrypoints.cli import deactivate_user
    from shared.errors import DomainError

    try:
        user_id = asyncio.run(deactivate_user(_settings(), args.email))
    except DomainError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 1
    print(f"user {user_id} ({args.email}) deactivated; their sessions have ended")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    """A new signing key for access tokens; the previous one keeps verifying until the last
    token it signed has expired."""
    import asyncio

    from services.accounts.entrypoints.cli import rotate_key

    kid = asyncio.run(rotate_key(_settings()))
    print(f"access tokens are signed with key {kid} from now on")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from services.importer.entrypoints.cli import import_file

    token = args.token or os.environ.get("ROSTER_TOKEN")
    if not token:
        settings = _settings()
        codec = TokenCodec(settings.jwt_signing_key, settings.jwt_issuer, settings.jwt_audience)
        token = codec.issue(args.org, Role.ADMIN, "cli-import")
    form = {"mode": args.mode, "opt_in": str(args.opt_in).lower()}
    if args.group:
        form["group"] = args.group
    if args.no_group:
        form["no_group"] = "true"
    if args.default_country:
        form["default_country"] = args.default_country
    if args.mapping:
        form["mapping"] = args.mapping
    return import_file(args.url, token, Path(args.file), form)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="roster", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)

    token = sub.add_parser("token", help="print a bearer token for the running stack")
    token.add_argument("--org", required=True)
    token.add_argument("--role", choices=[r.value for r in Role], default="admin")
    token.add_argument("--user", help="subject (user id); defaults to <role>-<org>")
    token.add_argument("--ttl", type=int, default=12 * 3600, help="lifetime in seconds")
    token.set_defaults(func=cmd_token)

    serve = sub.add_parser("serve", help="run one service in the foreground")
    serve.add_argument("service", choices=sorted(DEFAULT_PORTS))
    serve.add_argument("--port", type=int)
    serve.add_argument("--host")
    serve.set_defaults(func=cmd_serve)

    reconcile = sub.add_parser(
        "reconcile", help="compare (and --repair) what services project from each other"
    )
    reconcile.add_argument("what", choices=["groups"])
    reconcile.add_argument("--org", action="append", required=True, help="repeat for several")
    reconcile.add_argument("--repair", action="store_true")
    reconcile.add_argument("--settle", type=float, default=5.0, help="seconds between checks")
    reconcile.add_argument(
        "--groups-url", default=os.environ.get("ROSTER_GROUPS_URL", "http://127.0.0.1:8002")
    )
    reconcile.add_argument(
        "--contacts-url", default=os.environ.get("ROSTER_CONTACTS_URL", "http://127.0.0.1:8001")
    )
    reconcile.set_defaults(func=cmd_reconcile)

    topics = sub.add_parser("topics", help="create or check every Kafka topic the services use")
    topics.add_argument("action", choices=["create", "check"])
    topics.set_defaults(func=cmd_topics)

    dlq = sub.add_parser("dlq", help="replay what a service's consumer dead-lettered")
    dlq.add_argument("action", choices=["replay"])
    dlq.add_argument("--topic", required=True, help="the topic, without the prefix: roster.groups")
    dlq.add_argument("--service", required=True, choices=sorted(DEFAULT_PORTS))
    dlq.add_argument("--dry-run", action="store_true", help="count by error, replay nothing")
    dlq.set_defaults(func=cmd_dlq)

    org = sub.add_parser("org", help="create an organisation and its first admin")
    org.add_argument("action", choices=["create"])
    org.add_argument("--id", required=True, help="the organisation's id, e.g. acme")
    org.add_argument("--name", required=True)
    org.add_argument("--admin-email", required=True)
    org.add_argument("--admin-name", default="")
    org.add_argument("--admin-password", help="else one is made and printed once")
    org.set_defaults(func=cmd_org)

    users = sub.add_parser("users", help="deactivate a user everywhere")
    users.add_argument("action", choices=["deactivate"])
    users.add_argument("--email", required=True)
    users.set_defaults(func=cmd_users)

    keys = sub.add_parser("keys", help="rotate the key access tokens are signed with")
    keys.add_argument("action", choices=["rotate"])
    keys.set_defaults(func=cmd_keys)

    seed = sub.add_parser("seed", help="set up an organisation and print its admin's token")
    seed.add_argument("--org", required=True)
    seed.add_argument("--name", required=True)
    seed.add_argument("--timezone", default="UTC")
    seed.add_argument("--default-country")
    seed.add_argument("--ttl", type=int, default=12 * 3600, help="the token's lifetime in seconds")
    seed.add_argument("--wait", type=float, default=120, help="seconds to wait for the service")
    seed.add_argument(
        "--contacts-url", default=os.environ.get("ROSTER_CONTACTS_URL", "http://127.0.0.1:8001")
    )
    seed.add_argument("--accounts-url", help="make the organisation and its admin there")
    seed.add_argument("--admin-email")
    seed.add_argument("--admin-password")
    seed.set_defaults(func=cmd_seed)

    imports = sub.add_parser("import", help="import a CSV or XLSX file, with progress")
    imports.add_argument("file")
    imports.add_argument("--group", help="every contact joins it (created if missing)")
    imports.add_argument("--no-group", action="store_true", help="no group named after the file")
    imports.add_argument("--mode", choices=["create", "upsert"], default="create")
    imports.add_argument("--opt-in", action="store_true", help="the whole file opted in")
    imports.add_argument("--default-country", help="for numbers without country code, e.g. KE")
    imports.add_argument("--mapping", help='JSON: {"Mobile": "phone", "Notes": "ignore"}')
    imports.add_argument("--token", help="bearer token (or ROSTER_TOKEN); else one for --org")
    imports.add_argument("--org", default="demo", help="organisation of the token made here")
    imports.add_argument(
        "--url", default=os.environ.get("ROSTER_IMPORTER_URL", "http://127.0.0.1:8003")
    )
    imports.set_defaults(func=cmd_import)

    schemas = sub.add_parser("schemas", help="write (or --check) the event JSON Schemas")
    schemas.add_argument("--dir", default="docs/events")
    schemas.add_argument("--check", action="store_true")
    schemas.set_defaults(func=cmd_schemas)
    return root


def main(argv: list[str] | None = None) -> int:
    """The `roster` command. Run as one (no `argv`), a command other than `serve` logs to
    stderr: what it prints is its output (`TOKEN=$(roster token ...)`). Called from code (the
    tests), the caller's logging is left as it is."""
    args = parser().parse_args(argv)
    if argv is None and args.command != "serve":
        from shared.logging import configure_logging

        configure_logging("cli", os.environ.get("ROSTER_LOG_LEVEL", "WARNING"), stream=sys.stderr)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
