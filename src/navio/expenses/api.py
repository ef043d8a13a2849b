"""Expense routes: thin; parse -> service -> schema."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)
from pydantic import ValidationError

from navio.expenses.domain import Category
from navio.expenses.errors import InvalidStatement
from navio.expenses.ocr import read_receipt
from navio.expenses.repository import ExpensesRepository
from navio.expenses.schemas import (
    BalancesRead,
    ExpenseCreate,
    ExpenseRead,
    ExpenseUpdate,
    ImportCommit,
    ImportRead,
    MappingIn,
    ReceiptRead,
    SettlementCreate,
    SettlementRead,
    SettleUpRead,
)
from navio.expenses.service import PREVIEW_ROWS, ExpensesService
from navio.iam import CurrentPrincipal
from navio.kernel.http import problem_responses, reject_nul_in_form
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.kernel.versioning import etag

router = APIRouter(tags=["expenses"], route_class=UnitOfWorkRoute)


async def expenses_service(request: Request) -> ExpensesService:
    uow: UnitOfWork = request.state.uow
    state = request.app.state
    return ExpensesService(
        ExpensesRepository(uow.session_source), uow.events, state.clock, state.rates
    )


Service = Annotated[ExpensesService, Depends(expenses_service)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]
READ = problem_responses(401, 404, 422)
WRITE = problem_responses(401, 403, 404, 409, 412, 422)


@router.post(
    "/expenses/receipts",
    response_model=ReceiptRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 413, 415, 422, 503),
    description="Upload a receipt photo: OCR (Tesseract) reads merchant, date, total and "
    "currency, each with a confidence. The result is a draft to confirm by creating an "
    "expense with `receipt_id`; `needs_review` flags a draft not to be trusted as read.",
)
async def scan_receipt(
    principal: CurrentPrincipal,
    service: Service,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP, TIFF or BMP image")],
    trip_id: Annotated[uuid.UUID | None, Form()] = None,
) -> ReceiptRead:
    data = await file.read()
    content_type = file.content_type or "application/octet-stream"
    return await service.read_receipt(principal, data, content_type, trip_id, read_receipt)


@router.get("/expenses/receipts/{receipt_id}", response_model=ReceiptRead, responses=READ)
async def get_receipt(
    receipt_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> ReceiptRead:
    return await service.receipt(principal, receipt_id)


@router.get(
    "/expenses/receipts/{receipt_id}/image",
    response_class=Response,
    responses={**READ, 200: {"content": {"image/*": {}}}},
)
async def get_receipt_image(
    receipt_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> Response:
    data, content_type = await service.receipt_image(principal, receipt_id)
    return Response(data, media_type=content_type, headers={"Cache-Control": "private"})


# ---------------------------------------------------------------- statement imports
PreviewLimit = Annotated[int, Query(ge=0, le=5000, description="rows shown in the preview")]


@router.post(
    "/expenses/imports",
    response_model=ImportRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 413, 422),
    dependencies=[Depends(reject_nul_in_form)],
    description="Upload a bank or card statement (CSV) for a preview: the detected encoding, "
    "delimiter, header, column mapping, date and number formats, every row with its category "
    "and duplicate status, and every row that cannot be read. Nothing becomes an expense "
    "until the import is committed.",
)
async def preview_import(
    principal: CurrentPrincipal,
    service: Service,
    file: Annotated[UploadFile, File(description="CSV export of a bank or card statement")],
    currency: Annotated[str, Form(pattern=r"^[A-Z]{3}$", description="the account's currency")],
    trip_id: Annotated[uuid.UUID | None, Form()] = None,
    date_format: Annotated[
        str | None, Form(max_length=40, description="strftime format, e.g. %d/%m/%Y")
    ] = None,
    decimal_comma: Annotated[bool | None, Form()] = None,
    negate: Annotated[bool, Form(description="purchases are listed as positive")] = False,
    mapping: Annotated[
        str | None, Form(max_length=2000, description="JSON column mapping (see MappingIn)")
    ] = None,
    limit: PreviewLimit = PREVIEW_ROWS,
) -> ImportRead:
    settings: dict[str, Any] = {
        "date_format": date_format,
        "decimal_comma": decimal_comma,
        "negate": negate,
    }
    if mapping:
        try:
            settings["mapping"] = MappingIn.model_validate_json(mapping).model_dump()
        except ValidationError as exc:
            raise InvalidStatement(
                "mapping must be a JSON object of column numbers", field="mapping"
            ) from exc
    data = await file.read()
    return await service.preview_import(
        principal, data, file.filename or "statement.csv", currency, trip_id, settings, limit
    )


@router.get("/expenses/imports/{import_id}", response_model=ImportRead, responses=READ)
async def get_import(
    import_id: uuid.UUID,
    principal: CurrentPrincipal,
    service: Service,
    limit: PreviewLimit = PREVIEW_ROWS,
) -> ImportRead:
    return await service.get_import(principal, import_id, limit)


@router.post(
    "/expenses/imports/{import_id}/commit",
    response_model=ImportRead,
    responses={**WRITE, 202: {"model": ImportRead, "description": "queued (large file)"}},
)
async def commit_import(
    import_id: uuid.UUID,
    body: ImportCommit,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
    limit: PreviewLimit = 0,
) -> ImportRead:
    result, done = await service.commit_import(principal, import_id, body, limit)
    if not done:
        response.status_code = status.HTTP_202_ACCEPTED
    return result


@router.post(
    "/expenses", response_model=ExpenseRead, status_code=status.HTTP_201_CREATED, responses=WRITE
)
async def create_expense(
    body: ExpenseCreate, principal: CurrentPrincipal, service: Service, response: Response
) -> ExpenseRead:
    expense = await service.create(principal, body)
    response.headers["ETag"] = etag(expense.version)
    response.headers["Location"] = f"/api/v1/expenses/{expense.id}"
    return expense


@router.get("/expenses", response_model=Page[ExpenseRead], responses=READ)
async def list_expenses(
    principal: CurrentPrincipal,
    service: Service,
    trip_id: Annotated[
        uuid.UUID | None, Query(description="a trip's expenses; absent: your personal ones")
    ] = None,
    category: Category | None = None,
    spent_from: date | None = None,
    spent_until: date | None = None,
    member: Annotated[
        uuid.UUID | None, Query(description="only expenses this member paid or shares")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[ExpenseRead]:
    items, next_cursor = await service.list_expenses(
        principal,
        trip_id=trip_id,
        limit=limit,
        cursor=cursor,
        category=category,
        spent_from=spent_from,
        spent_until=spent_until,
        member=member,
    )
    return Page(items=items, next_cursor=next_cursor)


@router.get("/expenses/{expense_id}", response_model=ExpenseRead, responses=READ)
async def get_expense(
    expense_id: uuid.UUID, principal: CurrentPrincipal, service: Service, response: Response
) -> ExpenseRead:
    expense = await service.get(principal, expense_id)
    response.headers["ETag"] = etag(expense.version)
    return expense


@router.patch("/expenses/{expense_id}", response_model=ExpenseRead, responses=WRITE)
async def update_expense(
    expense_id: uuid.UUID,
    body: ExpenseUpdate,
    principal: CurrentPrincipal,
    service: Service,
    response: Response,
    if_match: IfMatch = None,
) -> ExpenseRead:
    expense = await service.update(principal, expense_id, body, if_match)
    response.headers["ETag"] = etag(expense.version)
    return expense


@router.delete("/expenses/{expense_id}", status_code=status.HTTP_204_NO_CONTENT, responses=WRITE)
async def delete_expense(
    expense_id: uuid.UUID, principal: CurrentPrincipal, service: Service, if_match: IfMatch = None
) -> None:
    await service.delete(principal, expense_id, if_match)


# ---------------------------------------------------------------- group money
@router.get("/trips/{trip_id}/balances", response_model=BalancesRead, responses=READ)
async def balances(
    trip_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> BalancesRead:
    return await service.balances(principal, trip_id)


@router.get("/trips/{trip_id}/settle-up", response_model=SettleUpRead, responses=READ)
async def settle_up(
    trip_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> SettleUpRead:
    return await service.settle_up(principal, trip_id)


@router.get("/trips/{trip_id}/settlements", response_model=list[SettlementRead], responses=READ)
async def list_settlements(
    trip_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> list[SettlementRead]:
    return await service.settlements(principal, trip_id)


@router.post(
    "/trips/{trip_id}/settlements",
    response_model=SettlementRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
async def record_settlement(
    trip_id: uuid.UUID, body: SettlementCreate, principal: CurrentPrincipal, service: Service
) -> SettlementRead:
    return await service.record_settlement(principal, trip_id, body)


@router.delete(
    "/trips/{trip_id}/settlements/{settlement_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=WRITE,
)
async def delete_settlement(
    trip_id: uuid.UUID, settlement_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> None:
    await service.delete_settlement(principal, trip_id, settlement_id)


routers = (router,)
