"""Flows in the goflow format (`/v1/flows`), their import from a RapidPro/TextIt export, their
starts (preview first, like broadcasts) and their runs. Admins and managers keep and start
flows; every role reads them. Runs are listed by flow (admins and managers) and by contact (as
the contact's conversation is: staff see only contacts of their groups); a flow's results
export as CSV, one row per run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from services.flows.domain import commands
from services.flows.domain.flows import Flow
from services.flows.domain.runs import FlowRun, result_key
from services.flows.entrypoints.http.dependencies import Uow
from services.flows.service_layer import queries
from services.flows.service_layer.queries import load_flow
from services.flows.service_layer.results import ImportReport, StartOutcome
from shared.auth import Principal, Role
from shared.contactql.syntax import MAX_INPUT_LENGTH
from shared.http.dependencies import Bus, Caller
from shared.http.security import require_role
from shared.http.spreadsheets import (
    CSV_RESPONSES,
    MEDIA_TYPES,
    attachment,
    csv_stream,
    neutralize,
)

router = APIRouter(tags=["flows"])
KEEPERS = (Role.ADMIN, Role.MANAGER)
FlowId = Annotated[str, Path(max_length=100)]
STATUS_PATTERN = "^(waiting|completed|expired|interrupted|failed)$"
RESULT_FILTER = "`<result>:<category>`: runs whose result took that category"
DEFINITION = Body(
    description="The flow in the goflow format (spec 13 or 14), as RapidPro and TextIt write it"
)


class FlowView(BaseModel):
    id: str
    name: str
    version: int
    expire_after_minutes: int
    nodes: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, flow: Flow) -> FlowView:
        readable = flow.readable
        return cls(
            id=flow.id,
            name=flow.name,
            version=flow.version,
            expire_after_minutes=readable.expire_after_minutes,
            nodes=len(readable.nodes),
            created_at=flow.created_at,
            updated_at=flow.updated_at,
        )


class FlowDetail(FlowView):
    definition: dict[str, Any]

    @classmethod
    def of(cls, flow: Flow) -> FlowDetail:
        return cls(**FlowView.of(flow).model_dump(), definition=flow.definition)


class FlowPage(BaseModel):
    items: list[FlowView]
    next_cursor: str | None


class FlowUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any]
    version: int = Field(ge=1, description="The version read")


class RefusedFlow(BaseModel):
    name: str
    uuid: str
    code: str
    message: str
    problems: list[dict[str, str]] = Field(
        description="Each part not run here: `code`, `message`, `node`, `action`"
    )


class ImportView(BaseModel):
    created: list[FlowView]
    refused: list[RefusedFlow]

    @classmethod
    def of(cls, report: ImportReport) -> ImportView:
        return cls(
            created=[FlowView.of(f) for f in report.created],
            refused=[RefusedFlow(**r) for r in report.refused],
        )


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: str = Field(min_length=1, max_length=100, description="Its messages go out here")
    groups: list[str] = Field(default_factory=list, max_length=50)
    contact_ids: list[str] = Field(default_factory=list, max_length=10_000)
    query: str | None = Field(
        default=None,
        max_length=MAX_INPUT_LENGTH,
        description="contactql, as `GET /v1/contacts?query=`: the contacts it matches start too",
    )
    exclude_in_a_flow: bool = Field(
        default=False, description="Skip contacts with an active run (else it is interrupted)"
    )
    started_previously_days: int | None = Field(
        default=None, ge=1, le=365, description="Skip contacts who started this flow that recently"
    )

    def command(
        self, by: Principal, flow_id: str, preview: bool, idempotency_key: str | None = None
    ) -> commands.StartFlow:
        return commands.StartFlow(
            by=by,
            flow_id=flow_id,
            channel_id=self.channel_id,
            groups=self.groups,
            contact_ids=self.contact_ids,
            query=self.query or None,
            exclude_in_a_flow=self.exclude_in_a_flow,
            started_previously_days=self.started_previously_days,
            preview=preview,
            idempotency_key=idempotency_key,
        )


class StartView(BaseModel):
    started: int = Field(description="Runs started (a preview: that would start)")
    interrupted: int = Field(description="Active runs this start ended (or would end)")
    skipped: dict[str, int] = Field(description="Contacts left out, by reason")

    @classmethod
    def of(cls, outcome: StartOutcome) -> StartView:
        return cls(
            started=outcome.started, interrupted=outcome.interrupted, skipped=dict(outcome.skipped)
        )


class ResultView(BaseModel):
    name: str
    value: str
    category: str
    input: str | None
    node: str
    at: datetime


class RunView(BaseModel):
    id: str
    flow_id: str
    contact_id: str
    status: str
    node: str | None
    results: dict[str, ResultView]
    started_at: datetime
    updated_at: datetime | None
    ended_at: datetime | None
    expires_at: datetime | None
    failure: str | None

    @classmethod
    def of(cls, r: FlowRun) -> RunView:
        return cls(
            id=r.id,
            flow_id=r.flow_id,
            contact_id=r.contact_id,
            status=r.status,
            node=r.node,
            results={k: ResultView(**v.__dict__) for k, v in r.results.items()},
            started_at=r.started_at,
            updated_at=r.updated_at,
            ended_at=r.ended_at,
            expires_at=r.expires_at,
            failure=r.failure,
        )


class RunPage(BaseModel):
    items: list[RunView]
    next_cursor: str | None


def _keeper(by: Principal, what: str) -> None:
    require_role(by, KEEPERS, what)


@router.post("/v1/flows", response_model=FlowView, status_code=201)
async def create_flow(
    by: Caller, bus: Bus, definition: Annotated[dict[str, Any], DEFINITION]
) -> FlowView:
    _keeper(by, "create flows")
    flow: Flow = await bus.handle(commands.CreateFlow(by=by, definition=definition))
    return FlowView.of(flow)


@router.get("/v1/flows", response_model=FlowPage)
async def list_flows(
    by: Caller,
    uow: Uow,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> FlowPage:
    page = await uow.flows.page(by.org_id, cursor, limit)
    return FlowPage(
        items=[FlowView.of(f) for f in page],
        next_cursor=page[-1].id if len(page) == limit else None,
    )


@router.post("/v1/flows/import", response_model=ImportView)
async def import_flows(
    by: Caller,
    bus: Bus,
    export: Annotated[dict[str, Any], Body(description="A RapidPro/TextIt export file")],
) -> ImportView:
    """Every flow of the export this service can run is created; each other one is reported
    with the parts it cannot run, by node and action (nothing is dropped silently)."""
    _keeper(by, "import flows")
    report: ImportReport = await bus.handle(commands.ImportFlows(by=by, export=export))
    return ImportView.of(report)


@router.get("/v1/flows/{flow_id}", response_model=FlowDetail)
async def get_flow(flow_id: FlowId, by: Caller, uow: Uow) -> FlowDetail:
    return FlowDetail.of(await load_flow(uow, by.org_id, flow_id))


@router.patch("/v1/flows/{flow_id}", response_model=FlowView)
async def update_flow(flow_id: FlowId, body: FlowUpdate, by: Caller, bus: Bus) -> FlowView:
    _keeper(by, "change flows")
    flow: Flow = await bus.handle(
        commands.UpdateFlow(
            by=by, flow_id=flow_id, definition=body.definition, version=body.version
        )
    )
    return FlowView.of(flow)


@router.delete("/v1/flows/{flow_id}", status_code=204)
async def delete_flow(flow_id: FlowId, by: Caller, bus: Bus) -> Response:
    _keeper(by, "delete flows")
    await bus.handle(commands.DeleteFlow(by=by, flow_id=flow_id))
    return Response(status_code=204)


@router.post("/v1/flows/{flow_id}/start/preview", response_model=StartView)
async def preview_start(flow_id: FlowId, body: StartBody, by: Caller, bus: Bus) -> StartView:
    _keeper(by, "start flows")
    outcome: StartOutcome = await bus.handle(body.command(by, flow_id, preview=True))
    return StartView.of(outcome)


@router.post("/v1/flows/{flow_id}/start", response_model=StartView, status_code=202)
async def start_flow(
    flow_id: FlowId,
    body: StartBody,
    by: Caller,
    bus: Bus,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="The same key again starts nobody twice: the contacts its first call"
            " started count as started, and their runs are left alone",
        ),
    ] = None,
) -> StartView:
    _keeper(by, "start flows")
    command = body.command(by, flow_id, preview=False, idempotency_key=idempotency_key)
    outcome: StartOutcome = await bus.handle(command)
    return StartView.of(outcome)


def _result_filter(result: str | None) -> tuple[str, str] | None:
    if not result:
        return None
    name, _, category = result.partition(":")
    return name.strip(), category.strip()


@router.get("/v1/flows/{flow_id}/runs", response_model=RunPage)
async def flow_runs(
    flow_id: FlowId,
    by: Caller,
    uow: Uow,
    status: Annotated[str | None, Query(pattern=STATUS_PATTERN)] = None,
    result: Annotated[str | None, Query(max_length=200, description=RESULT_FILTER)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> RunPage:
    _keeper(by, "read a flow's runs")
    await load_flow(uow, by.org_id, flow_id)
    page = await uow.runs.page(
        by.org_id,
        flow_id=flow_id,
        status=status,
        result=_result_filter(result),
        after=cursor,
        limit=limit,
    )
    return RunPage(
        items=[RunView.of(r) for r in page], next_cursor=page[-1].id if len(page) == limit else None
    )


@router.get(
    "/v1/flows/{flow_id}/results.csv", response_class=StreamingResponse, responses=CSV_RESPONSES
)
async def flow_results(flow_id: FlowId, by: Caller, uow: Uow) -> StreamingResponse:
    """One row per run, newest first: the contact, the run's status and times, then each
    result's value and category (columns named after the flow's result names)."""
    _keeper(by, "export a flow's results")
    flow = (await load_flow(uow, by.org_id, flow_id)).readable
    names = list(
        dict.fromkeys(
            n.router.result_name
            for n in flow.nodes
            if n.router is not None and n.router.result_name
        )
    )

    async def rows() -> AsyncIterator[list[str]]:
        yield [
            "run_id",
            "contact_id",
            "status",
            "started_at",
            "ended_at",
            *[f"{n} {part}" for n in names for part in ("value", "category")],
        ]
        after: str | None = None
        while page := await uow.runs.page(by.org_id, flow_id=flow_id, after=after, limit=500):
            for run in page:
                cells = [
                    run.id,
                    run.contact_id,
                    run.status,
                    run.started_at.isoformat(),
                    run.ended_at.isoformat() if run.ended_at else "",
                ]
                for name in names:
                    found = run.results.get(result_key(name))
                    cells += [neutralize(found.value), found.category] if found else ["", ""]
                yield cells
            after = page[-1].id

    return StreamingResponse(
        csv_stream(rows()),
        media_type=MEDIA_TYPES["csv"],
        headers={"Content-Disposition": attachment(f"{flow_id}.csv")},
    )


@router.get("/v1/conversations/{contact_id}/runs", response_model=RunPage)
async def contact_runs(
    contact_id: Annotated[str, Path(max_length=100)],
    by: Caller,
    uow: Uow,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> RunPage:
    page = await queries.contact_runs(uow, by, contact_id, cursor, limit)
    return RunPage(
        items=[RunView.of(r) for r in page], next_cursor=page[-1].id if len(page) == limit else None
    )
