"""Wires the importer: store, Kafka, file store, adapters, the message bus, HTTP app, consumer,
outbox relay and the import worker. Nothing is created at import time; `build_bus` is the one
place that knows which adapter serves which port (the unit tests call it with fakes)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from services.importer.adapters.file_store import LocalFileStore
from services.importer.adapters.import_repository import MongoImportRepository
from services.importer.adapters.org_directory import MongoOrgDirectory
from services.importer.domain.files import FileLimits
from services.importer.entrypoints.consumers import CONSUMED_TOPICS
from services.importer.entrypoints.http.app import ROUTERS
from services.importer.entrypoints.import_worker import ImportWorker
from services.importer.service_layer.ports import ImportRunner
from services.importer.service_layer.registry import COMMAND_HANDLERS, EVENT_HANDLERS
from services.importer.service_layer.unit_of_work import ImportsUnitOfWork
from shared.catch_up import CatchUp
from shared.kafka.consumer import ConsumerRunner
from shared.kafka.producer import EventProducer
from shared.messagebus import MessageBus
from shared.mongo.client import Document, Store
from shared.mongo.outbox import OutboxWakeup
from shared.mongo.relay import OutboxRelay
from shared.runtime import ServiceHandle, open_plumbing, service_app, start_consumer, start_relay
from shared.settings import ServiceSettings

SERVICE = "importer"


def build_bus(uow: ImportsUnitOfWork, runner: ImportRunner) -> MessageBus:
    return MessageBus(
        commands=COMMAND_HANDLERS,
        events=EVENT_HANDLERS,
        dependencies={"uow": uow, "runner": runner},
    )


def file_limits(settings: ServiceSettings) -> FileLimits:
    return FileLimits(
        max_rows=settings.import_max_rows,
        max_columns=settings.import_max_columns,
        max_cell_chars=settings.import_max_cell_chars,
        max_row_chars=settings.import_max_row_chars,
        max_unzipped_bytes=settings.import_max_unzipped_bytes,
        max_compression_ratio=settings.import_max_compression_ratio,
        max_zip_entries=settings.import_max_zip_entries,
        max_shared_strings_bytes=settings.import_max_shared_strings_bytes,
        max_shared_strings=settings.import_max_shared_strings,
        max_xml_depth=settings.import_max_xml_depth,
    )


def unit_of_work(
    db: AsyncDatabase[Document], wakeup: OutboxWakeup, settings: ServiceSettings
) -> ImportsUnitOfWork:
    return ImportsUnitOfWork(
        imports=MongoImportRepository(db, wakeup),
        files=LocalFileStore(
            Path(settings.import_dir), settings.import_max_bytes, file_limits(settings)
        ),
        directory=MongoOrgDirectory(db),
        batch_rows=settings.import_batch_rows,
        max_rows=settings.import_max_rows,
    )


@dataclass
class Running:
    store: Store
    uow: ImportsUnitOfWork  # commands, consumers and the worker (the writing connection)
    views: ImportsUnitOfWork  # the API's reads and uploads (the reading connections)
    bus: MessageBus
    catch_up: CatchUp
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
    db, store, wakeup = plumbing.db, plumbing.store, plumbing.wakeup
    imports = MongoImportRepository(db, wakeup)
    await imports.create_indexes()
    uow = unit_of_work(db, wakeup, settings)
    worker = ImportWorker(
        uow.imports,
        db["import_leases"],
        lambda command: bus.handle(command),
        report_retention=timedelta(days=settings.import_report_retention_days),
        clock=uow.clock,
    )
    bus = build_bus(uow, worker)
    relay = await start_relay(plumbing, imports.outbox_collections, stack)
    consumer = await start_consumer(plumbing, CONSUMED_TOPICS, bus, stack)
    await worker.start()
    stack.push_async_callback(worker.stop)
    return Running(
        store=store,
        uow=uow,
        views=unit_of_work(plumbing.reading_db, wakeup, settings),
        bus=bus,
        catch_up=plumbing.catch_up,
        producer=plumbing.producer,
        consumer=consumer,
        relay=relay,
        worker=worker,
    )


def build_importer_service(settings: ServiceSettings) -> ImporterService:
    return ImporterService(app=service_app(settings, SERVICE, ROUTERS, _start), settings=settings)


def build_app(settings: ServiceSettings) -> FastAPI:
    """The entry point `roster serve importer` uses."""
    return build_importer_service(settings).app
