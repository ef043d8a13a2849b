"""Payment use cases: intents, confirmation, provider webhooks, refunds, invoices. Never commits.

A payment's effects (a wallet top-up credited, an invoice number taken) happen exactly once,
whichever comes first of the confirming request and the provider's webhook: both lock the
payment row, and the ledger transfer is keyed by the payment. Webhook events are recorded by
their provider id, so a duplicate or replayed delivery is acknowledged without a second effect,
and a late `payment.failed` never undoes a payment that succeeded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import structlog

from navio.iam import Principal, user_cards
from navio.kernel.clock import Clock
from navio.kernel.events import EventRecorder
from navio.kernel.money import is_currency
from navio.payments import invoice as invoices
from navio.payments.domain import CONFIRMABLE, INVOICE_PREFIX, MAX_AMOUNT, may_fail
from navio.payments.errors import (
    InvalidPayment,
    PaymentDeclined,
    PaymentNotFound,
    PaymentStateConflict,
    ProviderUnavailable,
    RefundTooLarge,
    UnknownProvider,
    WebhookRejected,
)
from navio.payments.events import PaymentEvent, PaymentFailed, PaymentRefunded, PaymentSucceeded
from navio.payments.models import Payment, PaymentRefund, ProviderEventRecord
from navio.payments.providers import (
    PaymentProvider,
    ProviderError,
    ProviderResult,
    SandboxProvider,
    WebhookPayloadInvalid,
    WebhookSignatureInvalid,
)
from navio.payments.repository import PaymentsRepository
from navio.payments.schemas import (
    IntentConfirm,
    IntentCreate,
    PaymentRead,
    RefundCreate,
    RefundRead,
    WebhookAck,
)
from navio.wallet import PLATFORM, ledger

log = structlog.get_logger("navio.payments")


class PaymentDeclinedKept(PaymentDeclined):
    """Declined: the payment's failed state is kept (the request still answers 402)."""

    keeps_changes = True


class PaymentsService:
    def __init__(
        self,
        repo: PaymentsRepository,
        events: EventRecorder,
        clock: Clock,
        providers: Mapping[str, PaymentProvider],
        default_provider: str,
        seller_name: str,
    ) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock
        self.providers = providers
        self.default_provider = default_provider
        self.seller_name = seller_name

    def _provider(self, name: str) -> PaymentProvider:
        provider = self.providers.get(name)
        if provider is None:
            raise UnknownProvider(f"no provider {name!r} is configured")
        return provider

    def _provider_for(self, payment: Payment) -> PaymentProvider:
        """The payment's provider; the sandbox keeps intents per process, so it is told of
        one that another API process created (the payments table is the shared truth)."""
        provider = self._provider(payment.provider)
        if isinstance(provider, SandboxProvider):
            provider.adopt(
                payment.provider_ref,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                reference=str(payment.id),
                status=payment.status,  # type: ignore[arg-type]
                refunded_minor=payment.refunded_minor,
            )
        return provider

    async def _own(
        self, principal: Principal, payment_id: uuid.UUID, *, for_update: bool = False
    ) -> Payment:
        payment = await self.repo.payment(payment_id, for_update=for_update)
        if payment is None or payment.user_id != principal.user_id:
            raise PaymentNotFound()
        return payment

    # ---------------------------------------------------------------- intents
    async def create_intent(self, principal: Principal, body: IntentCreate) -> PaymentRead:
        payment = await self.open(
            principal.user_id, body.amount_minor, body.currency, purpose=body.purpose
        )
        return await self._read(payment)

    async def open(
        self,
        user_id: uuid.UUID,
        amount_minor: int,
        currency: str,
        *,
        purpose: str,
        purpose_ref: str | None = None,
        payee_id: uuid.UUID | None = None,
        fee_minor: int = 0,
        description: str = "Wallet top-up",
    ) -> Payment:
        """A payment intent at the default provider (bookings open theirs here too)."""
        if amount_minor <= 0 or amount_minor > MAX_AMOUNT:
            raise InvalidPayment("the amount must be above zero", field="amount_minor")
        if not is_currency(currency):
            raise InvalidPayment(f"{currency!r} is not a currency", field="currency")
        provider = self._provider(self.default_provider)
        payment_id = uuid.uuid4()
        try:
            intent = provider.create_intent(
                amount_minor=amount_minor,
                currency=currency,
                reference=str(payment_id),
                idempotency_key=f"intent:{payment_id}",
                metadata={"payment_id": str(payment_id), "purpose": purpose},
            )
        except ProviderError as exc:
            raise _provider_problem(exc) from exc
        payment = Payment(
            id=payment_id,
            user_id=user_id,
            purpose=purpose,
            purpose_ref=purpose_ref,
            amount_minor=amount_minor,
            currency=currency,
            provider=provider.name,
            provider_ref=intent.provider_ref,
            status=intent.status,
            client_secret=intent.client_secret,
            next_action=intent.next_action,
            refunded_minor=0,
            seller_id=PLATFORM,
            description=description[:300],
            payee_id=payee_id,
            fee_minor=fee_minor,
            version=1,
        )
        await self.repo.add(payment)
        return payment

    async def confirm(self, principal: Principal, body: IntentConfirm) -> PaymentRead:
        payment = await self._own(principal, body.payment_id, for_update=True)
        if payment.status == "succeeded":
            return await self._read(payment)
        if payment.status not in CONFIRMABLE:
            raise PaymentStateConflict(f"the payment is {payment.status}")
        provider = self._provider_for(payment)
        try:
            result = provider.confirm(
                provider_ref=payment.provider_ref,
                payment_method=body.payment_method,
                idempotency_key=f"confirm:{payment.id}:{payment.version}",
            )
        except ProviderError as exc:
            raise _provider_problem(exc) from exc
        payment.version += 1
        await self._apply(payment, result)
        if payment.status == "failed":
            raise PaymentDeclinedKept(
                result.failure_message or "the payment was declined",
                failure_code=payment.failure_code,
                payment_id=str(payment.id),
            )
        return await self._read(payment)

    async def _apply(self, payment: Payment, result: ProviderResult) -> None:
        if result.status == "succeeded":
            await self._succeed(payment)
        elif result.status == "failed":
            payment.status = "failed"
            payment.failure_code = result.failure_code
            self.events.record(PaymentFailed(**_event_fields(payment)))
        else:  # requires_action | processing
            payment.status = result.status
            payment.next_action = result.next_action
        payment.updated_at = self.clock.now()

    async def _succeed(self, payment: Payment) -> None:
        if payment.status == "succeeded":
            return
        payment.status = "succeeded"
        payment.failure_code = None
        payment.next_action = None
        year = self.clock.now().year
        sequence = await self.repo.next_invoice_sequence(payment.seller_id, year)
        payment.invoice_number = invoices.invoice_number(INVOICE_PREFIX, year, sequence)
        books = ledger(self.repo.session, self.clock)
        if payment.purpose == "wallet_top_up":
            await books.top_up(
                f"payment:{payment.id}",
                payment.user_id,
                payment.amount_minor,
                payment.currency,
                provider=payment.provider,
            )
        else:  # a purchase paid by card: from the provider to the payee, the platform's fee
            await books.collect(
                f"payment:{payment.id}",
                payment.user_id,
                payment.payee_id or PLATFORM,
                payment.amount_minor,
                payment.currency,
                fee=payment.fee_minor,
                provider=payment.provider,
            )
        self.events.record(PaymentSucceeded(**_event_fields(payment)))

    # ---------------------------------------------------------------- webhooks
    async def webhook(
        self, provider_name: str, payload: bytes, headers: Mapping[str, str]
    ) -> WebhookAck:
        provider = self._provider(provider_name)
        try:
            event = provider.verify_webhook(payload, headers)
        except WebhookSignatureInvalid as exc:
            raise WebhookRejected(str(exc), reason=exc.code) from exc
        except WebhookPayloadInvalid as exc:
            raise WebhookRejected(str(exc), reason="webhook_payload_invalid") from exc
        if await self.repo.provider_event(provider.name, event.event_id) is not None:
            return WebhookAck(received=True, event_id=event.event_id, outcome="duplicate")
        outcome = "ignored"
        payment = (
            await self.repo.by_provider_ref(provider.name, event.provider_ref, for_update=True)
            if event.provider_ref
            else None
        )
        if event.type == "unknown":
            log.info("payments.webhook_unknown", provider=provider.name, type=event.raw_type)
        elif payment is None:
            outcome = "unknown_payment"
            log.warning(
                "payments.webhook_unknown_payment",
                provider=provider.name,
                provider_ref=event.provider_ref,
            )
        elif event.type == "payment.succeeded":
            if event.amount_minor is not None and (
                event.amount_minor != payment.amount_minor
                or (event.currency or payment.currency).upper() != payment.currency
            ):
                outcome = "amount_mismatch"
                log.error("payments.webhook_amount_mismatch", payment_id=str(payment.id))
            else:
                outcome = "already_succeeded" if payment.status == "succeeded" else "applied"
                await self._succeed(payment)
                payment.updated_at = self.clock.now()
        elif event.type == "payment.failed":
            if not may_fail(payment.status):
                outcome = "stale"  # out of order: success already recorded, never undone
            else:
                outcome = "applied"
                payment.status = "failed"
                payment.failure_code = event.failure_code
                payment.updated_at = self.clock.now()
        elif event.type == "refund.succeeded":
            outcome = "noted"  # refunds are recorded when Navio asks for them
        self.repo.add_event(
            ProviderEventRecord(
                provider=provider.name,
                event_id=event.event_id,
                type=event.raw_type,
                provider_ref=event.provider_ref,
                received_at=self.clock.now(),
                outcome=outcome,
            )
        )
        return WebhookAck(received=True, event_id=event.event_id, outcome=outcome)

    # ---------------------------------------------------------------- refunds
    async def refund(
        self, principal: Principal, payment_id: uuid.UUID, body: RefundCreate
    ) -> RefundRead:
        payment = await self._own(principal, payment_id, for_update=True)
        return await self._refund(payment, body)

    async def refund_unclaimed(self, payment_id: uuid.UUID) -> RefundRead | None:
        """What is left of a payment back to the card, on the platform's own initiative (what
        it paid for expired or was cancelled before the money arrived). None if nothing is
        left or it did not succeed."""
        payment = await self.repo.payment(payment_id, for_update=True)
        if payment is None or payment.status != "succeeded":
            return None
        if payment.amount_minor == payment.refunded_minor:
            return None
        return await self._refund(payment, RefundCreate(destination="card"))

    async def _refund(self, payment: Payment, body: RefundCreate) -> RefundRead:
        if payment.status != "succeeded":
            raise PaymentStateConflict(f"a {payment.status} payment cannot be refunded")
        left = payment.amount_minor - payment.refunded_minor
        if left == 0:
            raise RefundTooLarge("the payment has been refunded in full", field="amount_minor")
        amount = left if body.amount_minor is None else body.amount_minor
        if amount <= 0:
            raise InvalidPayment("the amount must be above zero", field="amount_minor")
        if amount > left:
            raise RefundTooLarge(f"{left} left to refund", field="amount_minor")
        if payment.purpose == "wallet_top_up" and body.destination == "wallet":
            raise InvalidPayment("a top-up is refunded to the card", field="destination")
        refund = PaymentRefund(
            id=uuid.uuid4(),
            payment_id=payment.id,
            amount_minor=amount,
            destination=body.destination,
            status="pending",
        )
        # the ledger first: money already spent from the wallet (or paid out to the
        # operator) stops the refund here, before the provider is asked
        books = ledger(self.repo.session, self.clock)
        if payment.purpose == "wallet_top_up":
            await books.withdraw(
                f"refund:{refund.id}",
                payment.user_id,
                amount,
                payment.currency,
                refs={"payment": str(payment.id)},
            )
        else:
            await books.refund(
                f"refund:{refund.id}", f"payment:{payment.id}", amount, to=body.destination
            )
        try:
            result = self._provider_for(payment).refund(
                provider_ref=payment.provider_ref,
                amount_minor=amount,
                idempotency_key=f"refund:{refund.id}",
            )
        except ProviderError as exc:
            raise _provider_problem(exc) from exc
        refund.status = result.status
        refund.provider_refund_ref = result.provider_refund_ref
        payment.refunded_minor += amount
        payment.updated_at = self.clock.now()
        await self.repo.add(refund)
        self.events.record(PaymentRefunded(**{**_event_fields(payment), "amount_minor": amount}))
        return RefundRead(
            id=refund.id,
            amount_minor=amount,
            destination=refund.destination,
            status=refund.status,
            created_at=refund.created_at,
        )

    # ---------------------------------------------------------------- reading
    async def get(self, principal: Principal, payment_id: uuid.UUID) -> PaymentRead:
        return await self._read(await self._own(principal, payment_id))

    async def invoice_pdf(self, principal: Principal, payment_id: uuid.UUID) -> tuple[str, bytes]:
        payment = await self._own(principal, payment_id)
        if payment.status != "succeeded" or payment.invoice_number is None:
            raise PaymentStateConflict("an invoice exists once the payment has succeeded")
        buyer = (await user_cards(self.repo.session, [payment.user_id])).get(payment.user_id)
        issued: date = payment.updated_at.date()
        document = invoices.Invoice(
            number=payment.invoice_number,
            issued_on=issued,
            due_on=None,
            seller=invoices.InvoiceParty(self.seller_name, (), None, None),
            buyer=invoices.InvoiceParty(
                buyer.display_name or buyer.email if buyer else "Customer",
                (),
                None,
                buyer.email if buyer else None,
            ),
            currency=payment.currency,
            lines=(
                invoices.InvoiceLine(
                    description=payment.description,
                    quantity=Decimal(1),
                    unit_minor=payment.amount_minor,
                    tax_rate_pct=Decimal(0),
                ),
            ),
            notes="Stored value for travel purchases; no tax is due on a top-up.",
            payment_reference=f"{payment.provider}:{payment.provider_ref}",
            paid=True,
        )
        return payment.invoice_number, invoices.render_pdf(document)

    async def _read(self, payment: Payment) -> PaymentRead:
        refunds = await self.repo.refunds(payment.id)
        return PaymentRead(
            id=payment.id,
            purpose=payment.purpose,
            purpose_ref=payment.purpose_ref,
            amount_minor=payment.amount_minor,
            currency=payment.currency,
            provider=payment.provider,
            provider_ref=payment.provider_ref,
            status=payment.status,
            client_secret=payment.client_secret,
            next_action=payment.next_action,
            failure_code=payment.failure_code,
            refunded_minor=payment.refunded_minor,
            invoice_number=payment.invoice_number,
            refunds=[
                RefundRead(
                    id=r.id,
                    amount_minor=r.amount_minor,
                    destination=r.destination,
                    status=r.status,
                    created_at=r.created_at,
                )
                for r in refunds
            ],
            created_at=payment.created_at,
            updated_at=payment.updated_at,
        )


def _event_fields(payment: Payment) -> dict[str, object]:
    fields: dict[str, object] = {
        "payment_id": payment.id,
        "user_id": payment.user_id,
        "purpose": payment.purpose,
        "purpose_ref": payment.purpose_ref,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
    }
    assert set(fields) == set(PaymentEvent.model_fields)
    return fields


def _provider_problem(exc: ProviderError) -> Exception:
    if exc.code in ("provider_unavailable", "provider_rate_limited"):
        return ProviderUnavailable(str(exc))
    return InvalidPayment(str(exc), provider_code=exc.code)
