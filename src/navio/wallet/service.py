"""Ledger use cases. Every transfer has a key (its idempotency key inside the ledger): a retry
with the same key and the same effect returns the first transfer and moves nothing; the same key
for anything else is refused. Never commits: the caller's unit of work does, so a transfer and
what caused it (a booking, a payment) are written together or not at all."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from navio.kernel.clock import Clock
from navio.kernel.money import is_currency
from navio.kernel.pagination import Cursor
from navio.wallet import domain
from navio.wallet.domain import OUTSIDE, PLATFORM, AccountKind, LedgerError, Posting, TransferKind
from navio.wallet.errors import (
    CurrencyMismatch,
    HoldNotPending,
    InsufficientFunds,
    InvalidAmount,
    InvalidTransfer,
    RefundExceedsPayment,
    TransferKeyReused,
    TransferNotFound,
)
from navio.wallet.models import Account, Entry, Transfer
from navio.wallet.repository import WalletRepository


@dataclass(frozen=True, slots=True)
class Movement:
    """A transfer as callers see it."""

    id: uuid.UUID
    key: str
    kind: str
    currency: str
    amount_minor: int
    created_at: datetime
    replayed: bool  # True: the key had been used for this same transfer before


def _ledger_error(exc: LedgerError) -> Exception:
    if exc.code == "invalid_amount":
        return InvalidAmount(str(exc), field="amount_minor")
    return InvalidTransfer(str(exc))


class WalletService:
    def __init__(self, repo: WalletRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    # ---------------------------------------------------------------- accounts
    async def account(self, kind: AccountKind, owner_id: uuid.UUID, currency: str) -> Account:
        if not is_currency(currency):
            raise CurrencyMismatch(f"{currency!r} is not a currency in use", field="currency")
        return await self.repo.ensure_account(
            kind.value, owner_id, currency, kind in OUTSIDE, self.clock.now()
        )

    # ---------------------------------------------------------------- the one write path
    async def transfer(
        self,
        key: str,
        kind: TransferKind,
        currency: str,
        postings: Sequence[Posting],
        *,
        amount_minor: int,
        user_id: uuid.UUID | None = None,
        refs: Mapping[str, str] | None = None,
        hold_state: str | None = None,
    ) -> tuple[Transfer, bool]:
        """Apply balanced postings once. Returns the transfer and whether it was a replay."""
        refs = dict(refs or {})
        try:
            domain.check_postings(postings)
        except LedgerError as exc:
            raise _ledger_error(exc) from exc
        digest = domain.fingerprint(kind.value, currency, postings, refs)
        existing = await self.repo.transfer_by_key(key)
        if existing is not None:
            if existing.fingerprint != digest:
                raise TransferKeyReused(f"{key!r} was a {existing.kind}", field="key")
            return existing, True
        accounts = await self.repo.lock_accounts([p.account_id for p in postings])
        for posting in postings:
            account = accounts.get(posting.account_id)
            if account is None:
                raise InvalidTransfer("unknown account")
            if account.currency != currency:
                raise CurrencyMismatch(
                    f"a {account.currency} account in a {currency} transfer", field="currency"
                )
            if not account.allow_negative and account.balance_minor + posting.amount < 0:
                raise InsufficientFunds(
                    f"the {account.kind.replace('_', ' ')} holds {account.balance_minor}, "
                    f"{-posting.amount} needed",
                    available_minor=account.balance_minor,
                )
        now = self.clock.now()
        transfer = Transfer(
            id=uuid.uuid4(),
            key=key,
            kind=kind.value,
            currency=currency,
            amount_minor=amount_minor,
            fingerprint=digest,
            user_id=user_id,
            refs=refs,
            hold_state=hold_state,
            refunded_minor=0,
            created_at=now,
        )
        entries = []
        for posting in postings:
            account = accounts[posting.account_id]
            account.balance_minor += posting.amount
            entries.append(
                Entry(
                    id=uuid.uuid4(),
                    transfer_id=transfer.id,
                    account_id=account.id,
                    amount_minor=posting.amount,
                    balance_after_minor=account.balance_minor,
                    created_at=now,
                )
            )
        self.repo.add(transfer, *entries)
        await self.repo.flush()
        return transfer, False

    # ---------------------------------------------------------------- use cases
    @staticmethod
    def _amount(amount: int, field: str = "amount_minor") -> None:
        try:
            domain.check_amount(amount, field)
        except LedgerError as exc:
            raise InvalidAmount(str(exc), field=field) from exc

    async def top_up(
        self, key: str, user_id: uuid.UUID, amount: int, currency: str, *, provider: str
    ) -> tuple[Transfer, bool]:
        """Money that came in through a payment provider, into the user's wallet."""
        self._amount(amount)
        clearing = await self.account(AccountKind.PROVIDER_CLEARING, PLATFORM, currency)
        wallet = await self.account(AccountKind.USER_WALLET, user_id, currency)
        return await self.transfer(
            key,
            TransferKind.TOP_UP,
            currency,
            [Posting(clearing.id, -amount), Posting(wallet.id, amount)],
            amount_minor=amount,
            user_id=user_id,
            refs={"provider": provider},
        )

    async def _to_payee(
        self, payee_id: uuid.UUID, currency: str, amount: int, fee: int
    ) -> list[Posting]:
        try:
            to_payee, to_platform = domain.split_fee(amount, fee)
        except LedgerError as exc:
            raise InvalidAmount(str(exc), field="fee_minor") from exc
        postings = []
        if to_payee:
            payable = await self.account(AccountKind.OPERATOR_PAYABLE, payee_id, currency)
            postings.append(Posting(payable.id, to_payee))
        if to_platform:
            revenue = await self.account(AccountKind.PLATFORM_REVENUE, PLATFORM, currency)
            postings.append(Posting(revenue.id, to_platform))
        return postings

    async def pay(
        self,
        key: str,
        user_id: uuid.UUID,
        payee_id: uuid.UUID,
        amount: int,
        currency: str,
        *,
        fee: int = 0,
        refs: Mapping[str, str] | None = None,
    ) -> tuple[Transfer, bool]:
        """From the user's wallet to an operator, the platform keeping `fee`."""
        self._amount(amount)
        wallet = await self.account(AccountKind.USER_WALLET, user_id, currency)
        postings = [
            Posting(wallet.id, -amount),
            *await self._to_payee(payee_id, currency, amount, fee),
        ]
        return await self.transfer(
            key,
            TransferKind.PAYMENT,
            currency,
            postings,
            amount_minor=amount,
            user_id=user_id,
            refs={**(refs or {}), "payee": str(payee_id), "fee": str(fee)},
        )

    async def hold(
        self,
        key: str,
        user_id: uuid.UUID,
        amount: int,
        currency: str,
        *,
        refs: Mapping[str, str] | None = None,
    ) -> tuple[Transfer, bool]:
        """Set money aside (a booking awaiting confirmation): wallet -> the user's holds."""
        self._amount(amount)
        wallet = await self.account(AccountKind.USER_WALLET, user_id, currency)
        held = await self.account(AccountKind.USER_HOLD, user_id, currency)
        return await self.transfer(
            key,
            TransferKind.HOLD,
            currency,
            [Posting(wallet.id, -amount), Posting(held.id, amount)],
            amount_minor=amount,
            user_id=user_id,
            refs=refs,
            hold_state="pending",
        )

    async def _pending_hold(self, hold_key: str) -> Transfer:
        hold = await self.repo.transfer_by_key(hold_key, for_update=True)
        if hold is None or hold.kind != TransferKind.HOLD.value:
            raise TransferNotFound(f"no hold {hold_key!r}", field="hold_key")
        return hold

    async def capture(
        self, key: str, hold_key: str, payee_id: uuid.UUID, *, fee: int = 0
    ) -> tuple[Transfer, bool]:
        """The held money goes to the payee (the platform keeping `fee`)."""
        existing = await self.repo.transfer_by_key(key)
        hold = await self._pending_hold(hold_key)
        if existing is None and hold.hold_state != "pending":
            raise HoldNotPending(f"the hold is {hold.hold_state}")
        assert hold.user_id is not None
        held = await self.account(AccountKind.USER_HOLD, hold.user_id, hold.currency)
        postings = [
            Posting(held.id, -hold.amount_minor),
            *await self._to_payee(payee_id, hold.currency, hold.amount_minor, fee),
        ]
        result = await self.transfer(
            key,
            TransferKind.CAPTURE,
            hold.currency,
            postings,
            amount_minor=hold.amount_minor,
            user_id=hold.user_id,
            refs={"hold": hold_key, "payee": str(payee_id), "fee": str(fee)},
        )
        hold.hold_state = "captured"
        return result

    async def void(self, key: str, hold_key: str) -> tuple[Transfer, bool]:
        """The held money goes back to the wallet."""
        existing = await self.repo.transfer_by_key(key)
        hold = await self._pending_hold(hold_key)
        if existing is None and hold.hold_state != "pending":
            raise HoldNotPending(f"the hold is {hold.hold_state}")
        assert hold.user_id is not None
        held = await self.account(AccountKind.USER_HOLD, hold.user_id, hold.currency)
        wallet = await self.account(AccountKind.USER_WALLET, hold.user_id, hold.currency)
        result = await self.transfer(
            key,
            TransferKind.VOID,
            hold.currency,
            [Posting(held.id, -hold.amount_minor), Posting(wallet.id, hold.amount_minor)],
            amount_minor=hold.amount_minor,
            user_id=hold.user_id,
            refs={"hold": hold_key},
        )
        hold.hold_state = "voided"
        return result

    async def refund(
        self, key: str, payment_key: str, amount: int, *, to: str = "wallet"
    ) -> tuple[Transfer, bool]:
        """Give back (part of) a payment or captured hold: the payee and the platform return
        their parts in proportion, into the wallet or out to the card (provider clearing)."""
        self._amount(amount)
        existing = await self.repo.transfer_by_key(key)
        payment = await self.repo.transfer_by_key(payment_key, for_update=True)
        if payment is None or payment.kind not in (
            TransferKind.PAYMENT.value,
            TransferKind.CAPTURE.value,
        ):
            raise TransferNotFound(f"no payment {payment_key!r}", field="payment_key")
        if existing is None and payment.refunded_minor + amount > payment.amount_minor:
            raise RefundExceedsPayment(
                f"{payment.amount_minor - payment.refunded_minor} left to refund",
                field="amount_minor",
            )
        assert payment.user_id is not None
        fee = int(payment.refs.get("fee", "0"))
        # the platform gives back its share of the fee in proportion (rounded down)
        from_platform = fee * amount // payment.amount_minor
        from_payee = amount - from_platform
        postings = []
        if from_payee:
            payable = await self.account(
                AccountKind.OPERATOR_PAYABLE, uuid.UUID(payment.refs["payee"]), payment.currency
            )
            payable_posting = Posting(payable.id, -from_payee)
            postings.append(payable_posting)
        if from_platform:
            revenue = await self.account(AccountKind.PLATFORM_REVENUE, PLATFORM, payment.currency)
            postings.append(Posting(revenue.id, -from_platform))
        target_kind = AccountKind.USER_WALLET if to == "wallet" else AccountKind.PROVIDER_CLEARING
        owner = payment.user_id if to == "wallet" else PLATFORM
        target = await self.account(target_kind, owner, payment.currency)
        postings.append(Posting(target.id, amount))
        result = await self.transfer(
            key,
            TransferKind.REFUND,
            payment.currency,
            postings,
            amount_minor=amount,
            user_id=payment.user_id,
            refs={"payment": payment_key, "to": to},
        )
        if not result[1]:
            payment.refunded_minor += amount
        return result

    async def payout(
        self, key: str, operator_id: uuid.UUID, amount: int, currency: str
    ) -> tuple[Transfer, bool]:
        """What the platform owes an operator, paid out to their bank."""
        self._amount(amount)
        payable = await self.account(AccountKind.OPERATOR_PAYABLE, operator_id, currency)
        out = await self.account(AccountKind.PAYOUT_CLEARING, PLATFORM, currency)
        return await self.transfer(
            key,
            TransferKind.PAYOUT,
            currency,
            [Posting(payable.id, -amount), Posting(out.id, amount)],
            amount_minor=amount,
            refs={"operator": str(operator_id)},
        )

    # ---------------------------------------------------------------- reading
    async def balances(self, owner_id: uuid.UUID) -> list[Account]:
        return await self.repo.accounts_of(
            owner_id, [AccountKind.USER_WALLET.value, AccountKind.USER_HOLD.value]
        )

    async def statement(
        self, account: Account, limit: int, cursor: str | None
    ) -> tuple[list[tuple[Entry, Transfer]], str | None]:
        after = Cursor.decode(cursor) if cursor else None
        rows = await self.repo.statement(account.id, limit, after)
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1][0]
            return rows, Cursor(last.created_at, last.id).encode()
        return rows, None

    async def verify(self) -> dict[str, object]:
        """The ledger's invariants: cached balances equal their entries, no inside account
        below zero, and per currency every account sums to zero."""
        totals = await self.repo.totals()
        per_currency: dict[str, int] = {}
        inside: dict[str, int] = {}
        for kind, currency, total in totals:
            per_currency[currency] = per_currency.get(currency, 0) + total
            if AccountKind(kind) not in OUTSIDE:
                inside[currency] = inside.get(currency, 0) + total
        return {
            "drift": await self.repo.drift(),
            "negative_inside": await self.repo.negative_inside(),
            "sum_per_currency": per_currency,
            "inside_per_currency": inside,
        }
