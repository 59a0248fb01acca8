"""Wires the importer: store, Kafka, file store, handlers, HTTP app, reply consumer, outbox
relay and the import worker. Nothing is created at import time."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from services.importer.adapters.file_store import FileStore
from services.importer.adapters.import_repository import ImportRepository
from services.importer.adapters.org_directory import OrgDirectory
from services.importer.entrypoints.consumers import CONSUMED_TOPICS, accepts, importer_consumer
from services.importer.entrypoints.http.app import create_importer_app
from services.importer.entrypoints.import_worker import ImportWorker
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from shared.mongo.client import Store
from shared.mongo.relay import OutboxRelay
from shared.runtime import ServiceHandle, open_plumbing, service_app, start_consumer, start_relay
from shared.settings import ServiceSettings

SERVICE = "importer"


@dataclass
class Running:
    store: Store
    uow: ImportsUnitOfWork
    producer: EventProducer
    consumer: ConsumerRunner
    relay: OutboxRelay
    worker: ImportWorker


class ImporterService(ServiceHandle[Running]):
    @property
    def uow(self) -> ImportsUnitOfWork:
        return self.running.uow


async def _start(settings: ServiceSettings, stack: AsyncExitStack) -> Running:
    plumbing = await open_plumbing(settings, SERVICE, stack)
    db = plumbing.db
    uow = ImportsUnitOfWork(
        imports=ImportRepository(db, plumbing.wakeup),
        files=FileStore(Path(settings.import_dir), settings.import_max_bytes),
        directory=OrgDirectory(db),
        batch_rows=settings.import_batch_rows,
        max_rows=settings.import_max_rows,
    )
    await uow.imports.create_indexes()
    relay = await start_relay(plumbing, uow.imports.outbox_collections, stack)
    worker = ImportWorker(uow, db["import_leases"])
    consumer = await start_consumer(
        plumbing,
        CONSUMED_TOPICS,
        importer_consumer(uow, worker.reply_arrived),
        stack,
        accepts=accepts(),
    )
    await worker.start()
    stack.push_async_callback(worker.stop)
    return Running(
        store=plumbing.store,
        uow=uow,
        producer=plumbing.producer,
        consumer=consumer,
        relay=relay,
        worker=worker,
    )


def build_importer_service(settings: ServiceSettings) -> ImporterService:
    return ImporterService(
        app=service_app(settings, create_importer_app, _start), settings=settings
    )


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve importer` uses."""
    return build_importer_service(settings).app
