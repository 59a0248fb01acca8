"""Two dispatcher replicas over one database: while one resolves a broadcast (long enough for
the other's next pass to find it `resolving`), the other leaves it alone (without the lease it
would clear the first one's buckets and write its own among them), so the recipients are
written once, each contact in exactly one bucket."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence

from services.dispatcher.adapters.pacer import ChannelPacer
from services.dispatcher.adapters.providers import ChannelProviders, provider_session
from services.dispatcher.bootstrap import build_bus, secret_box, unit_of_work
from services.dispatcher.domain.audience import Audience
from services.dispatcher.domain.broadcasts import BroadcastState
from services.dispatcher.domain.commands import CreateBroadcast, CreateChannel
from services.dispatcher.entrypoints.background import DispatchBackground
from shared.auth import Principal, Role
from shared.contracts.audience_copy import AudienceContact
from shared.mongo.client import connect_store
from shared.mongo.outbox import OutboxWakeup
from shared.settings import ServiceSettings
from tests.support.contacts_api import phones
from tests.support.dispatcher_audience import seed_audience
from tests.support.eventually import eventually

RECIPIENTS = 3000


async def test_a_broadcast_is_resolved_by_one_replica_while_another_looks_on(
    settings: ServiceSettings,
) -> None:
    org, group_id = f"org-{uuid.uuid4()}", str(uuid.uuid4())
    db_name = f"{settings.mongodb_db_prefix}replicas_{uuid.uuid4().hex[:8]}"
    ids = await seed_audience(settings.mongodb_url, db_name, org, group_id, phones(RECIPIENTS))
    store = await connect_store(settings.mongodb_url)
    try:
        db = store.client[db_name]
        replicas = []
        async with provider_session(10.0) as session:
            for _ in range(2):
                uow = unit_of_work(db, store, secret_box(settings), OutboxWakeup())
                bus = build_bus(uow, ChannelProviders(session), ChannelPacer())
                replicas.append((uow, bus, DispatchBackground(
                    uow.broadcasts, uow.single_messages, db["leases"], bus.handle
                )))  # fmt: skip
            (first_uow, bus, first), (_, _, second) = replicas
            admin = Principal(org_id=org, role=Role.ADMIN, subject="ada")
            channel = await bus.handle(CreateChannel(by=admin, type="log", name="Dev"))
            made = await bus.handle(
                CreateBroadcast(by=admin, audience=Audience(groups=(group_id,)),
                                channel_id=channel.id, text="Hi")
            )  # fmt: skip

            async def state() -> BroadcastState:
                found = await first_uow.broadcasts.get(org, made.id)
                assert found is not None
                return found.state

            # The first replica reads its audience slowly (a busy store): its resolution lasts
            # past the other's next pass.
            read = first_uow.audience.get_contacts

            async def slowly(org_id: str, ids: Sequence[str]) -> dict[str, AudienceContact]:
                await asyncio.sleep(0.3)
                return await read(org_id, ids)

            first_uow.audience.get_contacts = slowly  # type: ignore[method-assign]
            resolving = asyncio.create_task(first.resolve_due())
            await eventually(state, lambda s: s is BroadcastState.RESOLVING, interval_s=0.01)
            await second.resolve_due()  # the other replica's pass, meanwhile
            await resolving
            assert await state() is BroadcastState.SENDING

            placed: Counter[str] = Counter()
            async for bucket in first_uow.broadcasts.buckets(made.id):
                placed.update(r.contact_id for r in bucket.recipients)
            assert placed.keys() == set(ids) and set(placed.values()) == {1}
    finally:
        await store.client.drop_database(db_name)
        await store.close()
