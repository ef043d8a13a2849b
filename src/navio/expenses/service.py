"""Expense use cases: record, change and list expenses; balances, settle-up, settlements;
receipts. Every call resolves the caller's right to the trip or expense first. Never commits.

Who may do what on a trip's money: every member reads the expenses and balances (a shared link
does not: money is private to the people on the trip); every member but a viewer records
expenses; an expense is changed by whoever recorded or paid it, or by the trip's owner and
editors; a settlement is recorded by either party to it or by the owner and editors. Strangers
get 404, as for the trip itself.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import anyio

from navio.expenses import domain, ocr, statement
from navio.expenses.domain import Category, Kind, SplitError, SplitMethod
from navio.expenses.errors import (
    ExpenseForbidden,
    ExpenseNotFound,
    ImportAlreadyCommitted,
    ImportNotFound,
    InvalidExpense,
    InvalidSettlement,
    NotATripMember,
    ReceiptNotFound,
    SettlementNotFound,
    SharesDoNotSum,
    StatementRowsInvalid,
    UnknownCurrency,
)
from navio.expenses.events import (
    ExpenseAdded,
    ExpenseRemoved,
    ExpenseUpdated,
    ReceiptScanned,
    SettlementRecorded,
    SettlementRemoved,
    StatementCommitRequested,
)
from navio.expenses.models import Expense, ExpenseShare, Receipt, Settlement, StatementImport
from navio.expenses.ocr import ReceiptDraft
from navio.expenses.repository import ExpensesRepository
from navio.expenses.schemas import (
    BalancesRead,
    DraftField,
    ExpenseCreate,
    ExpenseRead,
    ExpenseUpdate,
    ImportCommit,
    ImportRead,
    ImportRowRead,
    MemberBalance,
    RateRead,
    ReceiptRead,
    RowErrorRead,
    SettlementCreate,
    SettlementRead,
    SettleUpRead,
    ShareIn,
    ShareRead,
    TransferRead,
)
from navio.expenses.settle import EXACT_LIMIT, settle
from navio.iam import Principal, user_cards
from navio.kernel.clock import Clock
from navio.kernel.events import EventRecorder
from navio.kernel.fx import SOURCE, EcbRates, FrozenRate, convert_at
from navio.kernel.money import is_currency
from navio.kernel.pagination import Cursor
from navio.kernel.versioning import check_if_match
from navio.places import place_cards
from navio.trips import TripCard, TripForbidden, TripNotFound, trip_card

MANAGERS = frozenset({"owner", "editor"})
RECORDERS = frozenset({"owner", "editor", "suggester"})


def _rate_read(rate: str, base: str, quote: str, published_on: date, source: str) -> RateRead:
    return RateRead(base=base, quote=quote, rate=rate, published_on=published_on, source=source)


def _rate_text(rate: Decimal) -> str:
    # exact, without exponent noise; 28 significant digits are what decimal carries
    return format(rate.normalize(), "f")


PREVIEW_ROWS = 200
INLINE_COMMIT_ROWS = 500


def _parse(data: bytes, currency: str, settings: dict[str, Any]) -> statement.ParsedStatement:
    mapping = settings.get("mapping")
    return statement.parse(
        data,
        currency=currency,
        mapping=None
        if mapping is None
        else statement.ColumnMapping(
            **{k: v for k, v in mapping.items() if k != "description"},
            description=tuple(mapping.get("description") or ()),
        ),
        date_format=settings.get("date_format"),
        decimal_comma=settings.get("decimal_comma"),
        negate=bool(settings.get("negate", False)),
    )


def _draft_field(found: ocr.Field[Any]) -> dict[str, Any]:
    value = found.value.isoformat() if isinstance(found.value, date) else found.value
    return {"value": value, "confidence": round(found.confidence, 3), "source": found.source}


class ExpensesService:
    def __init__(
        self, repo: ExpensesRepository, events: EventRecorder, clock: Clock, rates: EcbRates
    ) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock
        self.rates = rates

    # ---------------------------------------------------------------- access
    async def _trip(
        self, principal: Principal, trip_id: uuid.UUID, *, record: bool = False
    ) -> TripCard:
        card = await trip_card(self.repo.session, trip_id)
        role = None if card is None else card.role_of(principal.user_id)
        if card is None or role is None:
            raise TripNotFound()
        if record and role not in RECORDERS:
            raise TripForbidden(f"role {role} may not record expenses on this trip")
        return card

    async def _readable(self, principal: Principal, expense: Expense | None) -> Expense:
        if expense is None:
            raise ExpenseNotFound()
        if expense.trip_id is None:
            if expense.owner_id != principal.user_id:
                raise ExpenseNotFound()
            return expense
        card = await trip_card(self.repo.session, expense.trip_id)
        if card is None or card.role_of(principal.user_id) is None:
            raise ExpenseNotFound()
        return expense

    async def _changeable(self, principal: Principal, expense: Expense | None) -> Expense:
        expense = await self._readable(principal, expense)
        if expense.trip_id is None:
            return expense
        card = await self._trip(principal, expense.trip_id)
        role = card.role_of(principal.user_id)
        mine = principal.user_id in (expense.owner_id, expense.payer_id)
        if role not in MANAGERS and not (mine and role in RECORDERS):
            raise ExpenseForbidden(
                "only who recorded or paid it, or the trip's owner and editors, may change it"
            )
        return expense

    # ---------------------------------------------------------------- rules
    @staticmethod
    def _check_amount(amount: int, field: str = "amount_minor") -> None:
        if amount <= 0:
            raise InvalidExpense(
                "the amount must be above zero; record money received back as kind=refund",
                field=field,
            )
        if amount > domain.MAX_AMOUNT_MINOR:
            raise InvalidExpense("the amount is implausibly large", field=field)

    @staticmethod
    def _check_currency(code: str, field: str = "currency") -> None:
        if not is_currency(code):
            raise UnknownCurrency(f"{code!r} is not an ISO 4217 currency in use", field=field)

    def _rate(self, base: str, quote: str, on: date) -> FrozenRate:
        return self.rates.rate(base, quote, on)

    @staticmethod
    def _stored_rate(expense: Expense) -> FrozenRate:
        return FrozenRate(
            base=expense.currency,
            quote=expense.group_currency,
            rate=Decimal(expense.rate),
            published_on=expense.rate_published_on,
            requested_on=expense.spent_on,
            source=expense.rate_source,
        )

    def _shares(
        self,
        expense: Expense,
        method: SplitMethod,
        entries: Sequence[tuple[uuid.UUID, Decimal | None]],
        rate: FrozenRate,
    ) -> list[ExpenseShare]:
        """Split in the expense's currency, convert the whole once, split that in proportion."""
        try:
            own = domain.split(expense.amount_minor, method, entries)
        except SplitError as exc:
            error = SharesDoNotSum if exc.code == "shares_do_not_sum" else InvalidExpense
            raise error(str(exc), field="split") from exc
        expense.group_amount_minor = convert_at(expense.amount_minor, rate)
        converted = domain.allocate(expense.group_amount_minor, own)
        expense.split_method = method.value
        expense.rate = _rate_text(rate.rate)
        expense.rate_published_on = rate.published_on
        expense.rate_source = rate.source
        values = dict(entries)
        return [
            ExpenseShare(
                expense_id=expense.id,
                user_id=user,
                value=None if values[user] is None else str(values[user]),
                share_minor=own[user],
                group_share_minor=converted[user],
            )
            for user in sorted(own, key=str)
        ]

    def _expense(
        self,
        expense: Expense,
        method: SplitMethod,
        entries: Sequence[tuple[uuid.UUID, Decimal | None]],
        rate: FrozenRate,
    ) -> tuple[Expense, list[ExpenseShare]]:
        return expense, self._shares(expense, method, entries, rate)

    @staticmethod
    def _entries(
        shares: Sequence[ShareIn] | None, members: Iterable[uuid.UUID]
    ) -> list[tuple[uuid.UUID, Decimal | None]]:
        if shares is None:
            return [(m, None) for m in sorted(members, key=str)]
        return [(s.user_id, s.value) for s in shares]

    @staticmethod
    def _members_only(
        members: frozenset[uuid.UUID], payer: uuid.UUID, entries: Sequence[tuple[uuid.UUID, object]]
    ) -> None:
        if payer not in members:
            raise NotATripMember("the payer is not on this trip", field="payer_id")
        strangers = [str(u) for u, _ in entries if u not in members]
        if strangers:
            raise NotATripMember(f"not on this trip: {', '.join(strangers)}", field="split.shares")

    async def _check_place(self, place_id: uuid.UUID | None) -> None:
        if place_id is not None and not await place_cards(self.repo.session, [place_id]):
            raise InvalidExpense("no such place in the catalogue", field="place_id")

    async def _frame(
        self, principal: Principal, trip_id: uuid.UUID | None, currency: str
    ) -> tuple[frozenset[uuid.UUID], str]:
        """The people who may pay or share, and the group currency."""
        if trip_id is None:
            return frozenset({principal.user_id}), currency
        card = await self._trip(principal, trip_id, record=True)
        return frozenset(card.members), card.currency

    # ---------------------------------------------------------------- expenses
    async def create(self, principal: Principal, body: ExpenseCreate) -> ExpenseRead:
        self._check_amount(body.amount_minor)
        self._check_currency(body.currency)
        members, group_currency = await self._frame(principal, body.trip_id, body.currency)
        payer = body.payer_id or principal.user_id
        entries = self._entries(body.split.shares, members)
        self._members_only(members, payer, entries)
        await self._check_place(body.place_id)
        source = "manual"
        if body.receipt_id is not None:
            receipt = await self.repo.receipt(body.receipt_id)
            if receipt is None or receipt.owner_id != principal.user_id:
                raise ReceiptNotFound(field="receipt_id")
            source = "receipt"
        rate = self._rate(body.currency, group_currency, body.spent_on)
        expense, shares = self._expense(
            Expense(
                id=uuid.uuid4(),
                trip_id=body.trip_id,
                owner_id=principal.user_id,
                payer_id=payer,
                kind=body.kind.value,
                amount_minor=body.amount_minor,
                currency=body.currency,
                spent_on=body.spent_on,
                category=body.category.value,
                merchant=body.merchant,
                location=body.location,
                place_id=body.place_id,
                notes=body.notes,
                group_currency=group_currency,
                receipt_id=body.receipt_id,
                source=source,
                version=1,
            ),
            body.split.method,
            entries,
            rate,
        )
        await self.repo.add(expense, *shares)
        self._record(ExpenseAdded, expense, principal)
        return self._read(expense, shares)

    async def get(self, principal: Principal, expense_id: uuid.UUID) -> ExpenseRead:
        expense = await self._readable(principal, await self.repo.expense(expense_id))
        return self._read(expense, (await self.repo.shares([expense.id]))[expense.id])

    async def update(
        self,
        principal: Principal,
        expense_id: uuid.UUID,
        body: ExpenseUpdate,
        if_match: str | None,
    ) -> ExpenseRead:
        expense = await self._changeable(
            principal, await self.repo.expense(expense_id, for_update=True)
        )
        check_if_match(if_match, expense.version)
        changes = body.model_dump(exclude_unset=True)
        for field in ("kind", "amount_minor", "currency", "spent_on", "category", "payer_id"):
            if field in changes and changes[field] is None:
                raise InvalidExpense(f"{field} cannot be removed", field=field)
        old_shares = (await self.repo.shares([expense.id]))[expense.id]
        if body.amount_minor is not None:
            self._check_amount(body.amount_minor)
        if body.currency is not None:
            self._check_currency(body.currency)
        members, _ = await self._frame_of(principal, expense)
        payer = body.payer_id or expense.payer_id
        if body.split is not None:
            method = body.split.method
            entries = self._entries(body.split.shares, members)
        else:
            method = SplitMethod(expense.split_method)
            entries = [
                (s.user_id, None if s.value is None else Decimal(s.value)) for s in old_shares
            ]
        if body.split is not None or body.payer_id is not None:
            self._members_only(members | {s.user_id for s in old_shares}, payer, entries)
        if "place_id" in changes:
            await self._check_place(body.place_id)
        for field in ("merchant", "location", "place_id", "notes"):
            if field in changes:
                setattr(expense, field, changes[field])
        if body.kind is not None:
            expense.kind = body.kind.value
        if body.category is not None:
            expense.category = body.category.value
        expense.payer_id = payer
        reprice = (body.currency or expense.currency) != expense.currency or (
            body.spent_on or expense.spent_on
        ) != expense.spent_on
        expense.currency = body.currency or expense.currency
        expense.spent_on = body.spent_on or expense.spent_on
        expense.amount_minor = body.amount_minor or expense.amount_minor
        rate = (
            self._rate(expense.currency, expense.group_currency, expense.spent_on)
            if reprice
            else self._stored_rate(expense)
        )
        shares = self._shares(expense, method, entries, rate)
        await self.repo.replace_shares(expense.id, shares)
        expense.version += 1
        expense.updated_at = self.clock.now()
        self._record(ExpenseUpdated, expense, principal)
        return self._read(expense, shares)

    async def _frame_of(
        self, principal: Principal, expense: Expense
    ) -> tuple[frozenset[uuid.UUID], str]:
        if expense.trip_id is None:
            return frozenset({expense.owner_id}), expense.group_currency
        card = await self._trip(principal, expense.trip_id)
        return frozenset(card.members), card.currency

    async def delete(
        self, principal: Principal, expense_id: uuid.UUID, if_match: str | None
    ) -> None:
        expense = await self._changeable(
            principal, await self.repo.expense(expense_id, for_update=True)
        )
        check_if_match(if_match, expense.version)
        self._record(ExpenseRemoved, expense, principal)
        await self.repo.delete_expense(expense)

    async def list_expenses(
        self,
        principal: Principal,
        *,
        trip_id: uuid.UUID | None,
        limit: int,
        cursor: str | None,
        category: Category | None,
        spent_from: date | None,
        spent_until: date | None,
        member: uuid.UUID | None,
    ) -> tuple[list[ExpenseRead], str | None]:
        if trip_id is not None:
            await self._trip(principal, trip_id)
        after = None
        if cursor:
            decoded = Cursor.decode(cursor)
            after = (decoded.created_at.date(), decoded.id)
        rows = await self.repo.list_expenses(
            trip_id=trip_id,
            owner_id=principal.user_id,
            limit=limit,
            after=after,
            category=category.value if category else None,
            spent_from=spent_from,
            spent_until=spent_until,
            member=member,
        )
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_cursor = Cursor(datetime.combine(last.spent_on, time(), UTC), last.id).encode()
        shares = await self.repo.shares([e.id for e in rows])
        return [self._read(e, shares[e.id]) for e in rows], next_cursor

    # ---------------------------------------------------------------- balances
    async def _nets(self, card: TripCard) -> tuple[dict[uuid.UUID, list[int]], int, int]:
        """Per member [paid, share, settled] in the trip currency; expense count; total."""
        per: dict[str, dict[uuid.UUID, list[int]]] = defaultdict(dict)
        count = 0
        for payer, currency, total, n in await self.repo.paid_by_member(card.id):
            per[currency].setdefault(payer, [0, 0, 0])[0] += total
            count += n
        for user, currency, total in await self.repo.owed_by_member(card.id):
            per[currency].setdefault(user, [0, 0, 0])[1] += total
        for payer, payee, currency, total in await self.repo.settled_by_pair(card.id):
            per[currency].setdefault(payer, [0, 0, 0])[2] += total
            per[currency].setdefault(payee, [0, 0, 0])[2] -= total
        merged: dict[uuid.UUID, list[int]] = {m: [0, 0, 0] for m in card.members}
        for currency, rows in per.items():
            if currency != card.currency:
                rows = await self._reprice(card, currency, rows)
            for user, values in rows.items():
                target = merged.setdefault(user, [0, 0, 0])
                for i in range(3):
                    target[i] += values[i]
        total = sum(v[0] for v in merged.values())
        return merged, count, total

    async def _reprice(
        self, card: TripCard, currency: str, rows: dict[uuid.UUID, list[int]]
    ) -> dict[uuid.UUID, list[int]]:
        """Money frozen in a former trip currency (the trip's currency was changed later):
        converted at one rate, that of its last expense's date, rounding residues put on
        the member with the largest amount so each column still sums as before."""
        on = await self.repo.last_spent_on(card.id, currency) or card.start_date
        rate = self._rate(currency, card.currency, on)
        out = {u: [convert_at(v, rate) for v in values] for u, values in rows.items()}
        for column in (1, 2):  # paid (0) is the reference: share and settled follow it
            target = sum(v[0] for v in out.values()) if column == 1 else 0
            residue = target - sum(v[column] for v in out.values())
            if residue and out:
                biggest = max(out, key=lambda u: (abs(out[u][column]), str(u)))
                out[biggest][column] += residue
        return out

    async def balances(self, principal: Principal, trip_id: uuid.UUID) -> BalancesRead:
        card = await self._trip(principal, trip_id)
        nets, count, total = await self._nets(card)
        names = await user_cards(self.repo.session, nets)
        members = [
            MemberBalance(
                user_id=user,
                display_name=names[user].display_name if user in names else "",
                paid_minor=paid,
                share_minor=share,
                settled_minor=settled,
                net_minor=paid - share + settled,
            )
            for user, (paid, share, settled) in sorted(
                nets.items(),
                key=lambda kv: (names[kv[0]].display_name if kv[0] in names else "", str(kv[0])),
            )
        ]
        return BalancesRead(
            trip_id=card.id,
            currency=card.currency,
            expenses=count,
            total_spent_minor=total,
            members=members,
        )

    async def settle_up(self, principal: Principal, trip_id: uuid.UUID) -> SettleUpRead:
        card = await self._trip(principal, trip_id)
        nets, _, _ = await self._nets(card)
        net = {str(u): paid - share + settled for u, (paid, share, settled) in nets.items()}
        transfers = settle(net)
        names = await user_cards(self.repo.session, nets)

        def name(user: uuid.UUID) -> str:
            return names[user].display_name if user in names else ""

        nonzero = sum(1 for v in net.values() if v)
        return SettleUpRead(
            trip_id=card.id,
            currency=card.currency,
            method="exact" if nonzero <= EXACT_LIMIT else "heuristic",
            transfers=[
                TransferRead(
                    payer_id=uuid.UUID(t.payer),
                    payer_name=name(uuid.UUID(t.payer)),
                    payee_id=uuid.UUID(t.payee),
                    payee_name=name(uuid.UUID(t.payee)),
                    amount_minor=t.amount,
                )
                for t in transfers
            ],
        )

    # ---------------------------------------------------------------- settlements
    async def record_settlement(
        self, principal: Principal, trip_id: uuid.UUID, body: SettlementCreate
    ) -> SettlementRead:
        card = await self._trip(principal, trip_id)
        role = card.role_of(principal.user_id)
        if role not in MANAGERS and principal.user_id not in (body.payer_id, body.payee_id):
            raise TripForbidden("only the two people involved, or the owner and editors")
        if body.payer_id == body.payee_id:
            raise InvalidSettlement("a member cannot pay themselves", field="payee_id")
        for field, user in (("payer_id", body.payer_id), ("payee_id", body.payee_id)):
            if user not in card.members:
                raise NotATripMember("not on this trip", field=field)
        if body.amount_minor <= 0 or body.amount_minor > domain.MAX_AMOUNT_MINOR:
            raise InvalidSettlement("the amount must be above zero", field="amount_minor")
        currency = body.currency or card.currency
        self._check_currency(currency)
        paid_on = body.paid_on or self.clock.now().date()
        rate = self._rate(currency, card.currency, paid_on)
        settlement = Settlement(
            id=uuid.uuid4(),
            trip_id=card.id,
            payer_id=body.payer_id,
            payee_id=body.payee_id,
            amount_minor=body.amount_minor,
            currency=currency,
            group_currency=card.currency,
            group_amount_minor=convert_at(body.amount_minor, rate),
            rate=_rate_text(rate.rate),
            rate_published_on=rate.published_on,
            paid_on=paid_on,
            note=body.note,
            recorded_by=principal.user_id,
        )
        await self.repo.add(settlement)
        self.events.record(
            SettlementRecorded(
                trip_id=card.id,
                actor_id=principal.user_id,
                subject_id=settlement.id,
                data={
                    "payer_id": str(body.payer_id),
                    "payee_id": str(body.payee_id),
                    "amount_minor": settlement.group_amount_minor,
                    "currency": card.currency,
                },
            )
        )
        return self._settlement(settlement)

    async def settlements(self, principal: Principal, trip_id: uuid.UUID) -> list[SettlementRead]:
        card = await self._trip(principal, trip_id)
        return [self._settlement(s) for s in await self.repo.settlements(card.id)]

    async def delete_settlement(
        self, principal: Principal, trip_id: uuid.UUID, settlement_id: uuid.UUID
    ) -> None:
        card = await self._trip(principal, trip_id)
        settlement = await self.repo.settlement(settlement_id)
        if settlement is None or settlement.trip_id != card.id:
            raise SettlementNotFound()
        role = card.role_of(principal.user_id)
        if role not in MANAGERS and settlement.recorded_by != principal.user_id:
            raise TripForbidden("only who recorded it, or the owner and editors")
        self.events.record(
            SettlementRemoved(trip_id=card.id, actor_id=principal.user_id, subject_id=settlement.id)
        )
        await self.repo.delete(settlement)

    # ---------------------------------------------------------------- receipts
    async def read_receipt(
        self,
        principal: Principal,
        data: bytes,
        content_type: str,
        trip_id: uuid.UUID | None,
        read: Callable[[bytes], ReceiptDraft],
    ) -> ReceiptRead:
        """OCR the image (first, in a thread: no database work waits on it), then keep the
        image and the draft. The draft is never an expense: the traveler confirms it by
        creating one with `receipt_id`."""
        draft = await anyio.to_thread.run_sync(read, data)
        group_currency = None
        if trip_id is not None:
            group_currency = (await self._trip(principal, trip_id, record=True)).currency
        currency = draft.currency
        reasons = list(draft.review_reasons)
        if currency.value is None and group_currency is not None:
            currency = ocr.Field(group_currency, 0.3, None)
            reasons.append("currency not printed: the trip's currency is assumed")
        payload = {
            "merchant": _draft_field(draft.merchant),
            "spent_on": _draft_field(draft.date),
            "amount_minor": _draft_field(draft.total_minor),
            "currency": _draft_field(currency),
            "needs_review": draft.needs_review or bool(reasons),
            "review_reasons": reasons,
            "text": draft.lines,
            "text_confidence": draft.text_confidence,
        }
        receipt = Receipt(
            id=uuid.uuid4(),
            owner_id=principal.user_id,
            trip_id=trip_id,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            image=data,
            draft=payload,
        )
        await self.repo.add(receipt)
        self.events.record(
            ReceiptScanned(
                trip_id=trip_id,
                actor_id=principal.user_id,
                subject_id=receipt.id,
                data={"needs_review": payload["needs_review"]},
            )
        )
        return self._receipt(receipt)

    async def _own_receipt(self, principal: Principal, receipt_id: uuid.UUID) -> Receipt:
        receipt = await self.repo.receipt(receipt_id)
        if receipt is None:
            raise ReceiptNotFound()
        if receipt.owner_id != principal.user_id:
            card = await trip_card(self.repo.session, receipt.trip_id) if receipt.trip_id else None
            if card is None or card.role_of(principal.user_id) is None:
                raise ReceiptNotFound()
        return receipt

    async def receipt(self, principal: Principal, receipt_id: uuid.UUID) -> ReceiptRead:
        return self._receipt(await self._own_receipt(principal, receipt_id))

    async def receipt_image(self, principal: Principal, receipt_id: uuid.UUID) -> tuple[bytes, str]:
        receipt = await self._own_receipt(principal, receipt_id)
        return receipt.image, receipt.content_type

    @staticmethod
    def _receipt(receipt: Receipt) -> ReceiptRead:
        d = receipt.draft
        return ReceiptRead(
            id=receipt.id,
            trip_id=receipt.trip_id,
            content_type=receipt.content_type,
            size=receipt.size,
            merchant=DraftField(**d["merchant"]),
            spent_on=DraftField(**d["spent_on"]),
            amount_minor=DraftField(**d["amount_minor"]),
            currency=DraftField(**d["currency"]),
            needs_review=d["needs_review"],
            review_reasons=d["review_reasons"],
            text=d["text"],
            created_at=receipt.created_at,
        )

    # ---------------------------------------------------------------- statement imports
    async def preview_import(
        self,
        principal: Principal,
        data: bytes,
        filename: str,
        currency: str,
        trip_id: uuid.UUID | None,
        settings: dict[str, Any],
        limit: int,
    ) -> ImportRead:
        """Read the file first (in a thread), then check the trip and keep the upload."""
        self._check_currency(currency)
        parsed = await anyio.to_thread.run_sync(lambda: _parse(data, currency, settings))
        if trip_id is not None:
            await self._trip(principal, trip_id, record=True)
        upload = StatementImport(
            id=uuid.uuid4(),
            owner_id=principal.user_id,
            trip_id=trip_id,
            filename=filename[:300] or "statement.csv",
            currency=currency,
            content=data,
            settings=settings,
            status="preview",
            commit_options={},
            summary={},
        )
        await self.repo.add(upload)
        return await self._import_read(upload, parsed, limit)

    async def _own_import(
        self, principal: Principal, import_id: uuid.UUID, *, for_update: bool = False
    ) -> StatementImport:
        upload = await self.repo.statement_import(import_id, for_update=for_update)
        if upload is None or upload.owner_id != principal.user_id:
            raise ImportNotFound()
        return upload

    async def get_import(
        self, principal: Principal, import_id: uuid.UUID, limit: int
    ) -> ImportRead:
        upload = await self._own_import(principal, import_id)
        parsed = await anyio.to_thread.run_sync(
            lambda: _parse(upload.content, upload.currency, upload.settings)
        )
        return await self._import_read(upload, parsed, limit)

    async def _checked(
        self, upload: StatementImport, parsed: statement.ParsedStatement
    ) -> list[statement.DuplicateCheck]:
        existing = await self.repo.fingerprints(
            upload.owner_id, [r.fingerprint for r in parsed.rows]
        )
        return statement.find_duplicates(parsed.rows, existing)

    async def _import_read(
        self, upload: StatementImport, parsed: statement.ParsedStatement, limit: int
    ) -> ImportRead:
        checks = await self._checked(upload, parsed)
        categories = upload.commit_options.get("categories", {})
        counts = {
            "rows": len(parsed.rows),
            "errors": len(parsed.errors),
            "money_out": sum(1 for r in parsed.rows if r.amount_minor < 0),
            "money_in": sum(1 for r in parsed.rows if r.amount_minor > 0),
            **{
                status.value: sum(1 for c in checks if c.status is status)
                for status in statement.DuplicateStatus
            },
        }
        mapping = parsed.mapping
        return ImportRead(
            id=upload.id,
            trip_id=upload.trip_id,
            filename=upload.filename,
            currency=upload.currency,
            status=upload.status,
            encoding=parsed.layout.encoding,
            delimiter=parsed.layout.delimiter,
            has_header=parsed.layout.has_header,
            columns=list(parsed.layout.columns),
            mapping={
                "date": mapping.date,
                "amount": mapping.amount,
                "debit": mapping.debit,
                "credit": mapping.credit,
                "description": list(mapping.description),
                "currency": mapping.currency,
                "reference": mapping.reference,
                "direction": mapping.direction,
            },
            date_format=parsed.date_format,
            date_ambiguous=parsed.date_ambiguous,
            date_candidates=list(parsed.date_candidates),
            decimal_comma=parsed.decimal_comma,
            rows_total=len(parsed.rows),
            rows=[
                ImportRowRead(
                    line_number=row.line_number,
                    booked_on=row.booked_on,
                    description=row.description,
                    amount_minor=row.amount_minor,
                    currency=row.currency,
                    reference=row.reference,
                    category=categories.get(str(row.line_number))
                    or statement.category_hint(row.description)
                    or Category.MISC.value,
                    duplicate=check.status.value,
                    first_line_number=check.first_line_number,
                )
                for row, check in list(zip(parsed.rows, checks, strict=True))[:limit]
            ],
            errors=[
                RowErrorRead(
                    line_number=e.line_number,
                    column=e.column,
                    code=e.code.value,
                    message=e.message,
                    value=e.value,
                )
                for e in parsed.errors
            ],
            counts=counts,
            summary=upload.summary,
            created_at=upload.created_at,
        )

    async def commit_import(
        self, principal: Principal, import_id: uuid.UUID, body: ImportCommit, limit: int
    ) -> tuple[ImportRead, bool]:
        """All the chosen rows become expenses in one transaction, or none do. Returns the
        import and whether it was committed now (False: queued for a worker, large files)."""
        upload = await self._own_import(principal, import_id, for_update=True)
        if upload.status != "preview":
            raise ImportAlreadyCommitted(f"this import is {upload.status}")
        parsed = await anyio.to_thread.run_sync(
            lambda: _parse(upload.content, upload.currency, upload.settings)
        )
        if parsed.errors and not body.skip_invalid_rows:
            raise StatementRowsInvalid(
                f"{len(parsed.errors)} row(s) cannot be read; fix the file or the reading "
                "settings, or commit with skip_invalid_rows",
                field="skip_invalid_rows",
                rows=[
                    {
                        "line_number": e.line_number,
                        "column": e.column,
                        "code": e.code.value,
                        "message": e.message,
                    }
                    for e in parsed.errors[:100]
                ],
            )
        if upload.trip_id is not None:
            await self._trip(principal, upload.trip_id, record=True)
        upload.commit_options = {
            **body.model_dump(mode="json"),
            "categories": {str(k): v for k, v in body.categories.items()},
        }
        chosen = self._chosen(parsed, await self._checked(upload, parsed), upload.commit_options)
        # every rate is checked now, so a queued commit cannot fail on one later
        group_currency = await self._group_currency(upload)
        for row in chosen:
            self._rate(row.currency, group_currency, row.booked_on)
        if len(chosen) > INLINE_COMMIT_ROWS:
            upload.status = "committing"
            self.events.record(
                StatementCommitRequested(
                    trip_id=upload.trip_id, actor_id=principal.user_id, subject_id=upload.id
                )
            )
            return await self._import_read(upload, parsed, limit), False
        await self.apply_import(upload, parsed)
        return await self._import_read(upload, parsed, limit), True

    @staticmethod
    def _chosen(
        parsed: statement.ParsedStatement,
        checks: Sequence[statement.DuplicateCheck],
        options: dict[str, Any],
    ) -> list[statement.StatementRow]:
        excluded = set(options.get("exclude_lines", []))
        chosen = []
        for row, check in zip(parsed.rows, checks, strict=True):
            if row.line_number in excluded or row.amount_minor == 0:
                continue
            if check.status is statement.DuplicateStatus.DUPLICATE:
                continue
            if check.status is statement.DuplicateStatus.POSSIBLE_DUPLICATE and not options.get(
                "include_possible_duplicates"
            ):
                continue
            if row.amount_minor > 0 and options.get("incoming", "skip") == "skip":
                continue
            chosen.append(row)
        return chosen

    async def _group_currency(self, upload: StatementImport) -> str:
        if upload.trip_id is None:
            return upload.currency
        card = await trip_card(self.repo.session, upload.trip_id)
        if card is None:
            raise TripNotFound()
        return card.currency

    async def apply_import(
        self, upload: StatementImport, parsed: statement.ParsedStatement | None = None
    ) -> None:
        """Write the chosen rows as expenses (the request for small files, a worker for large
        ones). Personal imports convert nothing; trip imports into the trip's currency."""
        if parsed is None:
            parsed = await anyio.to_thread.run_sync(
                lambda: _parse(upload.content, upload.currency, upload.settings)
            )
        options = upload.commit_options
        checks = await self._checked(upload, parsed)
        chosen = self._chosen(parsed, checks, options)
        group_currency = await self._group_currency(upload)
        members: list[uuid.UUID] = [upload.owner_id]
        if upload.trip_id is not None and options.get("shared", True):
            card = await trip_card(self.repo.session, upload.trip_id)
            members = sorted(card.members if card else [upload.owner_id], key=str)
        categories = options.get("categories", {})
        rates: dict[tuple[str, date], FrozenRate] = {}
        batch: list[object] = []
        for row in chosen:
            key = (row.currency, row.booked_on)
            if key not in rates:
                rates[key] = self._rate(row.currency, group_currency, row.booked_on)
            category = (
                categories.get(str(row.line_number))
                or statement.category_hint(row.description)
                or Category.MISC.value
            )
            expense, shares = self._expense(
                Expense(
                    id=uuid.uuid4(),
                    trip_id=upload.trip_id,
                    owner_id=upload.owner_id,
                    payer_id=upload.owner_id,
                    kind=Kind.EXPENSE.value if row.amount_minor < 0 else Kind.REFUND.value,
                    amount_minor=abs(row.amount_minor),
                    currency=row.currency,
                    spent_on=row.booked_on,
                    category=category,
                    merchant=row.description[:200] or None,
                    notes=f"imported from {upload.filename}, line {row.line_number}",
                    group_currency=group_currency,
                    source="statement",
                    fingerprint=row.fingerprint,
                    version=1,
                ),
                SplitMethod.EQUAL,
                [(m, None) for m in members],
                rates[key],
            )
            batch.extend([expense, *shares])
        await self.repo.add(*batch)
        upload.status = "committed"
        upload.summary = {
            "imported": len(chosen),
            "skipped": len(parsed.rows) - len(chosen),
            "invalid": len(parsed.errors),
        }
        upload.updated_at = self.clock.now()
        await self.repo.session.flush()

    # ---------------------------------------------------------------- reading
    def _record(
        self,
        event: type[ExpenseAdded | ExpenseUpdated | ExpenseRemoved],
        expense: Expense,
        principal: Principal,
    ) -> None:
        self.events.record(
            event(
                trip_id=expense.trip_id,
                actor_id=principal.user_id,
                subject_id=expense.id,
                data={
                    "amount_minor": expense.amount_minor,
                    "currency": expense.currency,
                    "category": expense.category,
                    "kind": expense.kind,
                },
            )
        )

    @staticmethod
    def _read(expense: Expense, shares: Sequence[ExpenseShare]) -> ExpenseRead:
        return ExpenseRead(
            id=expense.id,
            trip_id=expense.trip_id,
            owner_id=expense.owner_id,
            payer_id=expense.payer_id,
            kind=Kind(expense.kind),
            amount_minor=expense.amount_minor,
            currency=expense.currency,
            spent_on=expense.spent_on,
            category=Category(expense.category),
            merchant=expense.merchant,
            location=expense.location,
            place_id=expense.place_id,
            notes=expense.notes,
            split_method=SplitMethod(expense.split_method),
            shares=[
                ShareRead(
                    user_id=s.user_id,
                    value=s.value,
                    share_minor=s.share_minor,
                    group_share_minor=s.group_share_minor,
                )
                for s in sorted(shares, key=lambda s: str(s.user_id))
            ],
            group_currency=expense.group_currency,
            group_amount_minor=expense.group_amount_minor,
            rate=_rate_read(
                expense.rate,
                expense.currency,
                expense.group_currency,
                expense.rate_published_on,
                expense.rate_source,
            ),
            receipt_id=expense.receipt_id,
            source=expense.source,
            version=expense.version,
            created_at=expense.created_at,
            updated_at=expense.updated_at,
        )

    @staticmethod
    def _settlement(s: Settlement) -> SettlementRead:
        return SettlementRead(
            id=s.id,
            trip_id=s.trip_id,
            payer_id=s.payer_id,
            payee_id=s.payee_id,
            amount_minor=s.amount_minor,
            currency=s.currency,
            group_currency=s.group_currency,
            group_amount_minor=s.group_amount_minor,
            rate=_rate_read(s.rate, s.currency, s.group_currency, s.rate_published_on, SOURCE),
            paid_on=s.paid_on,
            note=s.note,
            recorded_by=s.recorded_by,
            created_at=s.created_at,
        )
