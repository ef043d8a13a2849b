"""Payment routes: thin; parse -> service -> schema. Webhooks take the raw body: signatures
are over the exact bytes the provider sent."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from navio.iam import CurrentPrincipal
from navio.kernel.http import problem_responses
from navio.kernel.uow import UnitOfWorkRoute
from navio.payments import payments_for
from navio.payments.schemas import (
    IntentConfirm,
    IntentCreate,
    PaymentRead,
    RefundCreate,
    RefundRead,
    TopUp,
    WebhookAck,
)
from navio.payments.service import PaymentsService

router = APIRouter(tags=["payments"], route_class=UnitOfWorkRoute)


async def payments_service(request: Request) -> PaymentsService:
    return payments_for(request.state.uow, request.app.state)


Service = Annotated[PaymentsService, Depends(payments_service)]
WRITE = problem_responses(401, 402, 404, 409, 422, 503)
READ = problem_responses(401, 404, 409)


@router.post(
    "/payments/intent",
    response_model=PaymentRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
async def create_intent(
    body: IntentCreate, principal: CurrentPrincipal, service: Service
) -> PaymentRead:
    return await service.create_intent(principal, body)


@router.post(
    "/payments/confirm",
    response_model=PaymentRead,
    responses=WRITE,
    description="Confirm with a payment method. Declined: 402 `payment_declined` (the payment "
    "stays, failed, and may be confirmed again with another method); 3-D Secure: "
    "`requires_action` with `next_action`; asynchronous: `processing` until the webhook.",
)
async def confirm(
    body: IntentConfirm, principal: CurrentPrincipal, service: Service
) -> PaymentRead:
    return await service.confirm(principal, body)


@router.get("/payments/{payment_id}", response_model=PaymentRead, responses=READ)
async def get_payment(
    payment_id: uuid.UUID, principal: CurrentPrincipal, service: Service
) -> PaymentRead:
    return await service.get(principal, payment_id)


@router.get(
    "/payments/{payment_id}/invoice",
    response_class=Response,
    responses={**READ, 200: {"content": {"application/pdf": {}}}},
)
async def invoice(payment_id: uuid.UUID, principal: CurrentPrincipal, service: Service) -> Response:
    number, pdf = await service.invoice_pdf(principal, payment_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{number}.pdf"'},
    )


@router.post(
    "/payments/{payment_id}/refunds",
    response_model=RefundRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
)
async def refund(
    payment_id: uuid.UUID, body: RefundCreate, principal: CurrentPrincipal, service: Service
) -> RefundRead:
    return await service.refund(principal, payment_id, body)


@router.post(
    "/wallet/top-up",
    response_model=PaymentRead,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE,
    description="Top up the wallet through a payment intent; with `payment_method` it is "
    "confirmed at once, else confirm it with POST /payments/confirm.",
)
async def top_up(body: TopUp, principal: CurrentPrincipal, service: Service) -> PaymentRead:
    payment = await service.create_intent(
        principal,
        IntentCreate(
            amount_minor=body.amount_minor, currency=body.currency, purpose="wallet_top_up"
        ),
    )
    if body.payment_method is None:
        return payment
    return await service.confirm(
        principal, IntentConfirm(payment_id=payment.id, payment_method=body.payment_method)
    )


@router.post(
    "/webhooks/{provider}",
    response_model=WebhookAck,
    responses=problem_responses(400, 404),
    description="Provider webhooks: signature and timestamp verified; duplicates and "
    "out-of-order deliveries have no second effect; unknown events are acknowledged.",
)
async def webhook(provider: str, request: Request, service: Service) -> WebhookAck:
    payload = await request.body()
    return await service.webhook(provider, payload, dict(request.headers))


routers = (router,)
