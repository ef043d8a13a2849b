"""Ledger use cases. Every transfer has a key (its idempotency key inside the ledger): a retry
with the same key and the same effect returns the first transfer and moves nothing; the same key
for anything else is refused. Never commits: the caller's unit of work does, so a transfer and
what caused it (a booking, a payment) are written together or not at all."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from navio.kernel.clock import Clock
from navio.kernel.money import is_currency
from navio.kernel.pagination import Cursor
from navio.wallet import domain
from navio.wallet.domain import (
    OUTSIDE,
    PLATFORM,
    STRIPED,
    STRIPES,
    AccountKind,
    LedgerError,
    Posting,
    TransferKind,
)
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

# (currency, kind, owner) of accounts this process has locked, so known to exist
_OPENED: set[tuple[str, str, uuid.UUID]] = set()


def _ledger_error(exc: LedgerError) -> Exception:
    if exc.code == "invalid_amount":
        return InvalidAmount(str(exc), field="amount_minor")
    return InvalidTransfer(str(exc))


def _all_rows(
    locked: Mapping[tuple[str, uuid.UUID, int], object], postings: Sequence[Posting]
) -> bool:
    found = {(kind, owner) for kind, owner, _ in locked}
    return all((p.kind.value, p.owner_id) in found for p in postings)


def _spread(
    posting: Posting, rows: Mapping[int, tuple[uuid.UUID, bool, int]], stripe: int
) -> list[tuple[uuid.UUID, bool, int, int]]:
    """Where a posting lands: (account row, allow_negative, balance, amount) per row moved.
    One row for most accounts; a credit (or a debit of an outside account) lands on the key's
    stripe; a debit of an inside striped account takes from its stripes, the key's first,
    then the fullest, so that none goes negative while the account holds enough (if not, the
    key's stripe takes it all and the caller refuses the transfer)."""
    if len(rows) == 1:
        ((account_id, allow_negative, balance),) = rows.values()
        return [(account_id, allow_negative, balance, posting.amount)]
    chosen = stripe if stripe in rows else min(rows)
    if posting.amount > 0 or rows[chosen][1]:
        account_id, allow_negative, balance = rows[chosen]
        return [(account_id, allow_negative, balance, posting.amount)]
    need = -posting.amount
    if sum(max(row[2], 0) for row in rows.values()) < need:
        account_id, allow_negative, balance = rows[chosen]
        return [(account_id, allow_negative, balance, posting.amount)]
    order = [chosen, *sorted((s for s in rows if s != chosen), key=lambda s: -rows[s][2])]
    out: list[tuple[uuid.UUID, bool, int, int]] = []
    for s in order:
        account_id, allow_negative, balance = rows[s]
        take = min(need, max(balance, 0))
        if take > 0:
            out.append((account_id, allow_negative, balance, -take))
            need -= take
        if need == 0:
            break
    return out


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
        """Apply balanced postings once. Returns the transfer and whether it was a replay.

        Four statements: insert the transfer unless its key exists, lock the accounts (found by
        kind, owner and currency) in id order, write the new balances, insert the entries;
        balances are checked in between. A refusal raises, and the caller's transaction rolls
        the transfer row back."""
        refs = dict(refs or {})
        if not is_currency(currency):
            raise CurrencyMismatch(f"{currency!r} is not a currency in use", field="currency")
        try:
            domain.check_postings(postings)
        except LedgerError as exc:
            raise _ledger_error(exc) from exc
        digest = domain.fingerprint(kind.value, currency, postings, refs)
        now = self.clock.now()
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "key": key,
            "kind": kind.value,
            "currency": currency,
            "amount_minor": amount_minor,
            "fingerprint": digest,
            "user_id": user_id,
            "refs": refs,
            "hold_state": hold_state,
            "refunded_minor": 0,
            "created_at": now,
        }
        stripes = STRIPES if self.repo.dialect == "postgresql" else 1
        if stripes > 1 and not any(
            p.amount < 0 and p.kind in STRIPED and p.kind not in OUTSIDE for p in postings
        ):
            return await self._transfer_pg(values, currency, postings, stripes)
        if not await self.repo.insert_transfer(values):
            return await self._replay(key, digest)
        wanted = [(p.kind.value, p.owner_id) for p in postings]
        if not all((currency, *ref) in _OPENED for ref in wanted):
            # open missing accounts before taking any row lock: a first use racing another
            # then waits on the unique index without holding locks that could close a cycle
            await self._open(currency, postings, now, stripes)
        locked = await self.repo.lock_balances(currency, wanted)
        if not _all_rows(locked, postings):  # an account known here is gone (a wiped database)
            _OPENED.clear()
            await self._open(currency, postings, now, stripes)
            locked = await self.repo.lock_balances(currency, wanted)
        _OPENED.update((currency, *ref) for ref in wanted)
        balances: list[dict[str, Any]] = []
        entries = []
        for posting in postings:
            rows = {
                stripe: row
                for (kind, owner, stripe), row in locked.items()
                if kind == posting.kind.value and owner == posting.owner_id
            }
            for account_id, allow_negative, balance, move in _spread(
                posting, rows, domain.stripe_of(key, stripes)
            ):
                after = balance + move
                if after < 0 and not allow_negative:
                    total = sum(row[2] for row in rows.values())
                    raise InsufficientFunds(
                        f"the {posting.kind.value.replace('_', ' ')} holds {total}, "
                        f"{-posting.amount} needed",
                        available_minor=total,
                    )
                balances.append({"account_id": account_id, "balance": after})
                entries.append(
                    {
                        "id": uuid.uuid4(),
                        "transfer_id": values["id"],
                        "account_id": account_id,
                        "amount_minor": move,
                        "balance_after_minor": after,
                        "created_at": now,
                    }
                )
        balances.sort(key=lambda b: str(b["account_id"]))
        await self.repo.apply(balances, entries)
        return Transfer(**values), False

    async def _replay(self, key: str, digest: str) -> tuple[Transfer, bool]:
        existing = await self.repo.transfer_by_key(key)
        assert existing is not None
        if existing.fingerprint != digest:
            raise TransferKeyReused(f"{key!r} was a {existing.kind}", field="key")
        return existing, True

    async def _transfer_pg(
        self, values: dict[str, Any], currency: str, postings: Sequence[Posting], stripes: int
    ) -> tuple[Transfer, bool]:
        """PostgreSQL, no striped inside account debited: the transfer in one statement, each
        striped account credited (or, outside ones, debited) on the stripe of the key."""
        wanted = [(p.kind.value, p.owner_id) for p in postings]
        now = values["created_at"]
        if not all((currency, *ref) in _OPENED for ref in wanted):
            await self._open(currency, postings, now, stripes)
        stripe = domain.stripe_of(values["key"], stripes)
        moves = [
            (p.kind.value, p.owner_id, stripe if p.kind in STRIPED else 0, p.amount)
            for p in postings
        ]
        result = await self.repo.transfer_in_one_statement(values, currency, moves)
        if result == "missing":  # an account known here is gone (a wiped database)
            _OPENED.clear()
            await self._open(currency, postings, now, stripes)
            result = await self.repo.transfer_in_one_statement(values, currency, moves)
        if result == "exists":
            return await self._replay(values["key"], values["fingerprint"])
        assert isinstance(result, list)
        _OPENED.update((currency, *ref) for ref in wanted)
        for _, kind, _, delta, after, allow_negative in result:
            if after < 0 and not allow_negative:
                raise InsufficientFunds(
                    f"the {kind.replace('_', ' ')} holds {after - delta}, {-delta} needed",
                    available_minor=after - delta,
                )
        return Transfer(**values), False

    async def _open(
        self, currency: str, postings: Sequence[Posting], now: datetime, stripes: int
    ) -> None:
        """Create the missing rows of the postings' accounts: every stripe of a striped one."""
        existing = await self.repo.existing_accounts(
            currency, [(p.kind.value, p.owner_id) for p in postings]
        )
        missing: list[tuple[str, uuid.UUID, bool, int]] = []
        for p in postings:
            for stripe in range(stripes if p.kind in STRIPED else 1):
                if (p.kind.value, p.owner_id, stripe) not in existing:
                    missing.append((p.kind.value, p.owner_id, p.kind in OUTSIDE, stripe))
        if not missing:
            _OPENED.update((currency, p.kind.value, p.owner_id) for p in postings)
            return
        if self.repo.dialect == "postgresql":
            await self.repo.open_accounts_apart(currency, missing, now)
            return
        # created in one global order, so two transactions opening the same new accounts
        # wait for each other in line rather than in a cycle
        for kind, owner, allow_negative, stripe in sorted(
            missing, key=lambda a: (a[0], str(a[1]), a[3])
        ):
            await self.repo.ensure_account(kind, owner, currency, allow_negative, now, stripe)

    # ---------------------------------------------------------------- use cases
    @staticmethod
    def _amount(amount: int, field: str = "amount_minor") -> None:
        try:
            domain.check_amount(amount, field)
        except LedgerError as exc:
            raise InvalidAmount(str(exc), field=field) from exc

    async def _move(
        self,
        key: str,
        kind: TransferKind,
        currency: str,
        source: tuple[AccountKind, uuid.UUID],
        target: tuple[AccountKind, uuid.UUID],
        amount: int,
        *,
        user_id: uuid.UUID | None,
        refs: Mapping[str, str] | None = None,
        hold_state: str | None = None,
    ) -> tuple[Transfer, bool]:
        """`amount` from one account to another: the two-posting transfers."""
        return await self.transfer(
            key,
            kind,
            currency,
            [Posting(*source, -amount), Posting(*target, amount)],
            amount_minor=amount,
            user_id=user_id,
            refs=refs,
            hold_state=hold_state,
        )

    async def top_up(
        self, key: str, user_id: uuid.UUID, amount: int, currency: str, *, provider: str
    ) -> tuple[Transfer, bool]:
        """Money that came in through a payment provider, into the user's wallet."""
        self._amount(amount)
        return await self._move(
            key,
            TransferKind.TOP_UP,
            currency,
            (AccountKind.PROVIDER_CLEARING, PLATFORM),
            (AccountKind.USER_WALLET, user_id),
            amount,
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
            payable = (AccountKind.OPERATOR_PAYABLE, payee_id)
            postings.append(Posting(*payable, to_payee))
        if to_platform:
            revenue = (AccountKind.PLATFORM_REVENUE, PLATFORM)
            postings.append(Posting(*revenue, to_platform))
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
        wallet = (AccountKind.USER_WALLET, user_id)
        postings = [
            Posting(*wallet, -amount),
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

    async def collect(
        self,
        key: str,
        user_id: uuid.UUID,
        payee_id: uuid.UUID,
        amount: int,
        currency: str,
        *,
        fee: int = 0,
        provider: str,
        refs: Mapping[str, str] | None = None,
    ) -> tuple[Transfer, bool]:
        """A purchase paid by card: money from the provider to the payee, the platform keeping
        `fee`. Refundable like a wallet payment (to the card: back to provider clearing)."""
        self._amount(amount)
        postings = [
            Posting(AccountKind.PROVIDER_CLEARING, PLATFORM, -amount),
            *await self._to_payee(payee_id, currency, amount, fee),
        ]
        return await self.transfer(
            key,
            TransferKind.PAYMENT,
            currency,
            postings,
            amount_minor=amount,
            user_id=user_id,
            refs={**(refs or {}), "payee": str(payee_id), "fee": str(fee), "provider": provider},
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
        return await self._move(
            key,
            TransferKind.HOLD,
            currency,
            (AccountKind.USER_WALLET, user_id),
            (AccountKind.USER_HOLD, user_id),
            amount,
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
        held = (AccountKind.USER_HOLD, hold.user_id)
        postings = [
            Posting(*held, -hold.amount_minor),
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
        result = await self._move(
            key,
            TransferKind.VOID,
            hold.currency,
            (AccountKind.USER_HOLD, hold.user_id),
            (AccountKind.USER_WALLET, hold.user_id),
            hold.amount_minor,
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
            payable = (AccountKind.OPERATOR_PAYABLE, uuid.UUID(payment.refs["payee"]))
            postings.append(Posting(*payable, -from_payee))
        if from_platform:
            revenue = (AccountKind.PLATFORM_REVENUE, PLATFORM)
            postings.append(Posting(*revenue, -from_platform))
        target_kind = AccountKind.USER_WALLET if to == "wallet" else AccountKind.PROVIDER_CLEARING
        owner = payment.user_id if to == "wallet" else PLATFORM
        target = (target_kind, owner)
        postings.append(Posting(*target, amount))
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
        return await self._move(
            key,
            TransferKind.PAYOUT,
            currency,
            (AccountKind.OPERATOR_PAYABLE, operator_id),
            (AccountKind.PAYOUT_CLEARING, PLATFORM),
            amount,
            user_id=None,
            refs={"operator": str(operator_id)},
        )

    async def withdraw(
        self,
        key: str,
        user_id: uuid.UUID,
        amount: int,
        currency: str,
        *,
        refs: Mapping[str, str] | None = None,
    ) -> tuple[Transfer, bool]:
        """Money leaves a wallet for the outside: a top-up refunded to the card."""
        self._amount(amount)
        return await self._move(
            key,
            TransferKind.WITHDRAWAL,
            currency,
            (AccountKind.USER_WALLET, user_id),
            (AccountKind.PROVIDER_CLEARING, PLATFORM),
            amount,
            user_id=user_id,
            refs=refs,
        )

    # ---------------------------------------------------------------- reading
    async def balances(self, owner_id: uuid.UUID) -> list[Account]:
        return await self.repo.accounts_of(
            owner_id,
            [
                AccountKind.USER_WALLET.value,
                AccountKind.USER_HOLD.value,
                AccountKind.OPERATOR_PAYABLE.value,
            ],
        )

    async def balance_of(self, kind: AccountKind, owner_id: uuid.UUID, currency: str) -> int:
        return await self.repo.balance(kind.value, owner_id, currency)

    async def statement(
        self, kind: AccountKind, owner_id: uuid.UUID, currency: str, limit: int, cursor: str | None
    ) -> tuple[list[tuple[Entry, Transfer]], str | None]:
        """An account's entries, newest first (none for an account never used)."""
        account = await self.repo.account(kind.value, owner_id, currency)
        if account is None:
            return [], None
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
