from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from navio.expenses.domain import MAX_PARTICIPANTS, Category, Kind, SplitMethod

CurrencyCode = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID
    value: Decimal | None = Field(
        default=None,
        description="exact: minor units; percent: a percentage; weights: a weight; "
        "equal: leave out",
        max_digits=20,
        decimal_places=6,
    )


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: SplitMethod = SplitMethod.EQUAL
    shares: list[ShareIn] | None = Field(
        default=None,
        max_length=MAX_PARTICIPANTS,
        description="who shares it; absent: every member of the trip (personal: you)",
    )


class ExpenseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trip_id: uuid.UUID | None = Field(default=None, description="absent: a personal expense")
    kind: Kind = Kind.EXPENSE
    amount_minor: int = Field(description="positive, in the currency's minor units")
    currency: str = CurrencyCode
    spent_on: date
    category: Category = Category.MISC
    merchant: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=500)
    place_id: uuid.UUID | None = None
    notes: str | None = Field(default=None, max_length=5000)
    payer_id: uuid.UUID | None = Field(default=None, description="absent: you")
    split: SplitIn = Field(default_factory=SplitIn)
    receipt_id: uuid.UUID | None = None


class ExpenseUpdate(BaseModel):
    """Fields to change; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind | None = None
    amount_minor: int | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    spent_on: date | None = None
    category: Category | None = None
    merchant: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=500)
    place_id: uuid.UUID | None = None
    notes: str | None = Field(default=None, max_length=5000)
    payer_id: uuid.UUID | None = None
    split: SplitIn | None = None


class RateRead(BaseModel):
    base: str
    quote: str
    rate: str = Field(description="quote units per base unit, exact decimal")
    published_on: date
    source: str


class ShareRead(BaseModel):
    user_id: uuid.UUID
    value: str | None
    share_minor: int
    group_share_minor: int


class ExpenseRead(BaseModel):
    id: uuid.UUID
    trip_id: uuid.UUID | None
    owner_id: uuid.UUID
    payer_id: uuid.UUID
    kind: Kind
    amount_minor: int
    currency: str
    spent_on: date
    category: Category
    merchant: str | None
    location: str | None
    place_id: uuid.UUID | None
    notes: str | None
    split_method: SplitMethod
    shares: list[ShareRead]
    group_currency: str
    group_amount_minor: int
    rate: RateRead
    receipt_id: uuid.UUID | None
    source: str
    version: int
    created_at: datetime
    updated_at: datetime


class MemberBalance(BaseModel):
    user_id: uuid.UUID
    display_name: str
    paid_minor: int = Field(description="paid for the group, refunds received deducted")
    share_minor: int = Field(description="the member's shares of expenses, refunds deducted")
    settled_minor: int = Field(description="settlements sent minus settlements received")
    net_minor: int = Field(description="positive: owed to the member; negative: owes")


class BalancesRead(BaseModel):
    trip_id: uuid.UUID
    currency: str
    expenses: int
    total_spent_minor: int
    members: list[MemberBalance]


class TransferRead(BaseModel):
    payer_id: uuid.UUID
    payer_name: str
    payee_id: uuid.UUID
    payee_name: str
    amount_minor: int


class SettleUpRead(BaseModel):
    trip_id: uuid.UUID
    currency: str
    method: Literal["exact", "heuristic"]
    transfers: list[TransferRead]


class SettlementCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payer_id: uuid.UUID
    payee_id: uuid.UUID
    amount_minor: int
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="absent: the trip's currency"
    )
    paid_on: date | None = Field(default=None, description="absent: today")
    note: str | None = Field(default=None, max_length=500)


class SettlementRead(BaseModel):
    id: uuid.UUID
    trip_id: uuid.UUID
    payer_id: uuid.UUID
    payee_id: uuid.UUID
    amount_minor: int
    currency: str
    group_currency: str
    group_amount_minor: int
    rate: RateRead
    paid_on: date
    note: str | None
    recorded_by: uuid.UUID
    created_at: datetime


class DraftField(BaseModel):
    value: str | int | date | None
    confidence: float
    source: str | None


class ReceiptRead(BaseModel):
    id: uuid.UUID
    trip_id: uuid.UUID | None
    content_type: str
    size: int
    merchant: DraftField
    spent_on: DraftField
    amount_minor: DraftField
    currency: DraftField
    needs_review: bool
    review_reasons: list[str]
    text: list[str]
    created_at: datetime


class MappingIn(BaseModel):
    """Column numbers (from 0) as the preview shows them."""

    model_config = ConfigDict(extra="forbid")

    date: int = Field(ge=0)
    amount: int | None = Field(default=None, ge=0)
    debit: int | None = Field(default=None, ge=0)
    credit: int | None = Field(default=None, ge=0)
    description: list[int] = Field(default_factory=list, max_length=10)
    currency: int | None = Field(default=None, ge=0)
    reference: int | None = Field(default=None, ge=0)
    direction: int | None = Field(default=None, ge=0)


class ImportRowRead(BaseModel):
    line_number: int
    booked_on: date
    description: str
    amount_minor: int = Field(description="negative: money out")
    currency: str
    reference: str | None
    category: str = Field(description="the category it will get (keyword hint, else misc)")
    duplicate: Literal["new", "possible_duplicate", "duplicate"]
    first_line_number: int | None


class RowErrorRead(BaseModel):
    line_number: int
    column: str | None
    code: str
    message: str
    value: str | None


class ImportRead(BaseModel):
    id: uuid.UUID
    trip_id: uuid.UUID | None
    filename: str
    currency: str
    status: Literal["preview", "committing", "committed"]
    encoding: str
    delimiter: str
    has_header: bool
    columns: list[str]
    mapping: dict[str, int | list[int] | None]
    date_format: str
    date_ambiguous: bool
    date_candidates: list[str]
    decimal_comma: bool
    rows_total: int
    rows: list[ImportRowRead] = Field(description="the first `limit` rows")
    errors: list[RowErrorRead]
    counts: dict[str, int]
    summary: dict[str, int] = Field(description="after commit: what was imported and skipped")
    created_at: datetime


class ImportCommit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    skip_invalid_rows: bool = Field(
        default=False,
        description="the file has rows that cannot be read: import the others (they are "
        "listed in the preview); without this, such a file is refused",
    )
    include_possible_duplicates: bool = Field(
        default=False, description="import rows that repeat an earlier row of the same file"
    )
    exclude_lines: list[int] = Field(default_factory=list, max_length=50_000)
    incoming: Literal["skip", "refund"] = Field(
        default="skip", description="money in: leave out, or record as refunds"
    )
    categories: dict[int, Category] = Field(
        default_factory=dict, description="line number -> category, over the hint"
    )
    shared: bool = Field(
        default=True, description="trip imports: shared equally by every member (else yours)"
    )
