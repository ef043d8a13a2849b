"""Wallet routes: thin; parse -> service -> schema. Money moves through payments and bookings;
here a traveler reads balances and the statement."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from navio.iam import CurrentPrincipal
from navio.kernel.http import problem_responses
from navio.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute
from navio.wallet.domain import AccountKind
from navio.wallet.repository import WalletRepository
from navio.wallet.schemas import (
    BalanceRead,
    BalancesRead,
    LedgerLine,
    LedgerPage,
)
from navio.wallet.service import WalletService

router = APIRouter(tags=["wallet"], route_class=UnitOfWorkRoute)


async def wallet_service(request: Request) -> WalletService:
    uow: UnitOfWork = request.state.uow
    return WalletService(WalletRepository(uow.session_source), request.app.state.clock)


Service = Annotated[WalletService, Depends(wallet_service)]


@router.get("/wallet/balance", response_model=BalancesRead, responses=problem_responses(401))
async def balance(principal: CurrentPrincipal, service: Service) -> BalancesRead:
    by_currency: dict[str, BalanceRead] = {}
    for account in await service.balances(principal.user_id):
        row = by_currency.setdefault(
            account.currency,
            BalanceRead(currency=account.currency, available_minor=0, held_minor=0),
        )
        if account.kind == AccountKind.USER_WALLET.value:
            row.available_minor = account.balance_minor
        elif account.kind == AccountKind.USER_HOLD.value:
            row.held_minor = account.balance_minor
        else:
            row.payable_minor = account.balance_minor
    return BalancesRead(balances=list(by_currency.values()))


@router.get("/wallet/ledger", response_model=LedgerPage, responses=problem_responses(401, 422))
async def ledger(
    principal: CurrentPrincipal,
    service: Service,
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")],
    account: Literal["wallet", "hold"] = "wallet",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> LedgerPage:
    kind = AccountKind.USER_WALLET if account == "wallet" else AccountKind.USER_HOLD
    rows, next_cursor = await service.statement(kind, principal.user_id, currency, limit, cursor)
    return LedgerPage(
        currency=currency,
        account=account,
        items=[
            LedgerLine(
                entry_id=entry.id,
                transfer_id=transfer.id,
                kind=transfer.kind,
                amount_minor=entry.amount_minor,
                balance_after_minor=entry.balance_after_minor,
                refs=transfer.refs,
                created_at=entry.created_at,
            )
            for entry, transfer in rows
        ],
        next_cursor=next_cursor,
    )


routers = (router,)
