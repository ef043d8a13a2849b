"""Bank and card statement CSV files: layout sniffing, row parsing, fingerprints, duplicates.

Pure functions over bytes (no database, no web framework). `sniff` works out how a file is laid
out, `parse` turns it into rows and per-row errors, `find_duplicates` compares fingerprints with
each other and with rows imported before, `category_hint` guesses an expense category.

Detection rules (`sniff`); `parse` takes an override for each of them:

* Encoding. A byte-order mark decides (UTF-8, UTF-16, UTF-32); UTF-16 without one is recognised
  by its NUL-byte pattern; otherwise strict UTF-8, then cp1252, then latin-1 (which always
  decodes). PDF, ZIP/XLSX, XLS and image signatures, a NUL character or more than 0.5% control
  characters mean the upload is not a text file.
* Delimiter. Each of `,` `;` tab `|` splits the first 100 lines and must give two columns or
  more. Candidates are ranked by: some column looks like dates; at least 90% of the records have
  the most common width; `csv.Sniffer` chose it; the share of records with that width; the width.
  The quote character is always `"` (doubled inside quoted fields).
* Header and preamble. Among the first 50 records, the first one that names a date column and an
  amount (or debit/credit) column in English, French, German, Spanish, Portuguese, Dutch or
  Italian, and holds no date or amount value, is the header; the lines above it are preamble
  (account numbers, periods, balances) and are skipped. Without such a header, the table starts
  at the first record of the most common width that holds a date and an amount, and the record
  just above it is its header if it has the same width and only text.
* Columns. Header names are compared with per-role synonyms after folding case and accents:
  exact names before names that contain a synonym, then by rank (a transaction date before a
  booking date before a posting date before a value date; an "original"/"foreign" amount after
  the plain one). Each match is checked against the values (at least 60% of a date column's
  values are dates, of an amount column's amounts; a currency column holds ISO codes or at least
  no dates and amounts), so "Valuta" becomes a date or a currency column according to what it
  holds. A plain amount column
  wins over debit/credit columns. Roles still missing are filled from the values: the first
  column of dates; a column of ISO currency codes; amount columns, where a running balance
  (b[i] = b[i-1] + a[i], either row order) is set aside and two columns that are never both
  non-zero form a debit/credit pair, debit first; a column of direction markers (Af/Bij, D/C,
  S/H, Debit/Credit) that signs unsigned amounts; the most varied text column as description.
* Dates. Every format of `DATE_FORMATS` is tried on every distinct value of the date column (a
  trailing time of day and time zone are ignored). The formats that parse the most values fit.
  If fitting formats read some value differently (every day <= 12), the guess is ambiguous and
  the preference is: the reading that keeps the rows in date order (when only some readings
  do), then month-first when the statement is in US dollars (the currency given, the currency
  column, or `$`/`USD` amounts), then day-first.
* Amounts. Every distinct value of the amount columns is read with a decimal point and with a
  decimal comma; the style that reads more values wins; on a tie (whole numbers, "1,234") a `;`
  delimiter or a date format with dots means a decimal comma. Thousands separators: `,` or `.`
  (the other one), space, no-break spaces, apostrophes, in groups of three (or Indian 2-2-3).
  At most one sign marker: a leading or trailing minus or plus, parentheses, or a DR/CR suffix.
  A currency code ("12.50 EUR") or symbol ("-$5.00", "12,50 €") may be attached: a code, or a
  symbol of a single currency, sets the row's currency; a symbol shared by several currencies
  must agree with the row's currency. Amounts become Decimals exactly (never floats), then
  integer minor units with `currency_exponent`; more decimals than the currency has is an error.

Parsing never raises for a single bad row: each one becomes one or more `RowError`s with its
1-based physical line number (a quoted field with line breaks spans several lines; blank lines
count but produce nothing). Whole-file problems raise `InvalidStatement`.

Fingerprints hash (booked_on, amount_minor, currency, key), where key is the bank's reference
when there is one and the description otherwise, both folded to lowercase letters and digits.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from itertools import islice, pairwise
from typing import Final, Protocol

from navio.expenses.errors import InvalidStatement, UnknownCurrency
from navio.kernel.money import currency_exponent, is_currency

__all__ = [
    "DATE_FORMATS",
    "DELIMITERS",
    "EXPENSE_CATEGORIES",
    "MAX_BYTES",
    "MAX_ROWS",
    "ColumnMapping",
    "DuplicateCheck",
    "DuplicateStatus",
    "ParsedStatement",
    "RowError",
    "RowErrorCode",
    "StatementLayout",
    "StatementRow",
    "category_hint",
    "find_duplicates",
    "fingerprint",
    "parse",
    "parse_amount",
    "sniff",
    "to_minor_units",
]

MAX_BYTES: Final = 10 * 1024 * 1024
MAX_ROWS: Final = 50_000
# Larger amounts are refused as a typo or a misread column (10^15 minor units, ten trillion EUR).
MAX_MINOR_UNITS: Final = 10**15

DELIMITERS: Final[tuple[str, ...]] = (",", ";", "\t", "|")

# Preference order among formats that fit equally well: year-first, then day-first, then the
# month-first variant of the same shape.
DATE_FORMATS: Final[tuple[str, ...]] = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d.%m.%y",
    "%d-%m-%y",
    "%m-%d-%y",
    "%d %b %Y",
    "%d-%b-%Y",
    "%d/%b/%Y",
    "%d %b %y",
    "%d-%b-%y",
    "%d %B %Y",
    "%b %d, %Y",
    "%b %d %Y",
    "%B %d, %Y",
    "%B %d %Y",
)

EXPENSE_CATEGORIES: Final[tuple[str, ...]] = (
    "transport",
    "lodging",
    "food",
    "activities",
    "local_transport",
    "shopping",
    "fees",
    "misc",
)

_SCAN_RECORDS: Final = 50  # records searched for the header or the first data row
_SNIFF_LINES: Final = 100  # lines used to choose the delimiter
_PROFILE_ROWS: Final = 500  # data rows used to recognise columns from their values
_MAX_RECORD_LINES: Final = 100  # a record spanning more lines has an unclosed quote
_QUOTE: Final = '"'

_Assign = Callable[[str, int], None]


class _Fail(Protocol):
    def __call__(
        self, role: str, code: RowErrorCode, message: str, value: str | None = None
    ) -> None: ...


# ---------------------------------------------------------------- public types


class RowErrorCode(StrEnum):
    BAD_DATE = "bad_date"
    BAD_AMOUNT = "bad_amount"
    MISSING_VALUE = "missing_value"
    WRONG_COLUMN_COUNT = "wrong_column_count"
    UNKNOWN_CURRENCY = "unknown_currency"
    CURRENCY_MISMATCH = "currency_mismatch"


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which 0-based column holds what: `amount`, or `debit` and/or `credit` (not both kinds).

    `description` lists the columns joined (in that order) into the description. `direction`
    holds markers such as Debit/Credit, Af/Bij or S/H that sign an unsigned `amount`. `balance`
    is recognised only so that it is not taken for the amount; it is never read.
    """

    date: int
    amount: int | None = None
    debit: int | None = None
    credit: int | None = None
    description: tuple[int, ...] = ()
    currency: int | None = None
    reference: int | None = None
    direction: int | None = None
    balance: int | None = None

    def __post_init__(self) -> None:
        if self.amount is None and self.debit is None and self.credit is None:
            raise InvalidStatement(
                "Choose an amount column, or a debit and/or a credit column", field="mapping"
            )
        if self.amount is not None and (self.debit is not None or self.credit is not None):
            raise InvalidStatement(
                "Choose either an amount column or debit/credit columns, not both", field="mapping"
            )
        if self.direction is not None and self.amount is None:
            raise InvalidStatement(
                "A direction column only applies to a single amount column", field="mapping"
            )
        used = self.columns()
        if any(index < 0 for index in used):
            raise InvalidStatement("Column numbers start at 0", field="mapping")
        if len(set(used)) != len(used):
            raise InvalidStatement("A column is mapped twice", field="mapping")

    def columns(self) -> tuple[int, ...]:
        """Every mapped column index."""
        single = (
            self.date,
            self.amount,
            self.debit,
            self.credit,
            self.currency,
            self.reference,
            self.direction,
            self.balance,
        )
        return tuple(i for i in single if i is not None) + self.description


@dataclass(frozen=True, slots=True)
class StatementLayout:
    """How a file is laid out, as `sniff` found it; pass it back to `parse` (edited or not).

    `skip_lines` physical lines precede the header (or the first row when there is none).
    `columns` are the header names, or "Column 1", "Column 2", ... without a header.
    `date_candidates` are the fitting formats with distinct readings, preferred first.
    """

    encoding: str
    delimiter: str
    skip_lines: int
    has_header: bool
    columns: tuple[str, ...]
    mapping: ColumnMapping
    date_format: str
    date_ambiguous: bool
    date_candidates: tuple[str, ...]
    decimal_comma: bool

    @property
    def header_line(self) -> int | None:
        return self.skip_lines + 1 if self.has_header else None


@dataclass(frozen=True, slots=True)
class StatementRow:
    line_number: int  # 1-based physical line where the record starts
    booked_on: date
    description: str
    amount_minor: int  # negative: money out
    currency: str
    reference: str | None
    fingerprint: str


@dataclass(frozen=True, slots=True)
class RowError:
    line_number: int
    column: str | None  # role: date, amount, debit, credit, direction, currency; None: the row
    code: RowErrorCode
    message: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """Rows and errors, with what was used to read them (for a preview to show and edit)."""

    layout: StatementLayout
    mapping: ColumnMapping
    date_format: str
    date_ambiguous: bool  # False when the caller chose the format
    date_candidates: tuple[str, ...]
    decimal_comma: bool
    currency: str  # the statement's currency, for rows that do not name one
    rows: list[StatementRow]
    errors: list[RowError]


class DuplicateStatus(StrEnum):
    NEW = "new"
    POSSIBLE_DUPLICATE = "possible_duplicate"  # same fingerprint as an earlier row of the file
    DUPLICATE = "duplicate"  # already imported


@dataclass(frozen=True, slots=True)
class DuplicateCheck:
    line_number: int
    fingerprint: str
    status: DuplicateStatus
    first_line_number: int | None = None  # possible_duplicate: the first row with this fingerprint


# ---------------------------------------------------------------- decoding


_BOMS: Final[tuple[tuple[bytes, str], ...]] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_SIGNATURES: Final[tuple[tuple[bytes, str], ...]] = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "an Excel (.xlsx) workbook or a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an Excel (.xls) workbook"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
_CONTROL: Final = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f]")


def _decode(data: bytes, max_bytes: int, encoding: str | None = None) -> tuple[str, str]:
    if len(data) > max_bytes:
        raise InvalidStatement(
            f"The file is larger than {max_bytes // (1024 * 1024) or 1} MB", field="file"
        )
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InvalidStatement("The file is empty", field="file")
    for magic, what in _SIGNATURES:
        if data.startswith(magic):
            raise InvalidStatement(
                f"This looks like {what}, not a CSV file; export the statement as CSV",
                field="file",
            )
    encoding = encoding or _detect_encoding(data)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InvalidStatement(
            f"The file cannot be read as {encoding} text", field="encoding"
        ) from exc
    text = text.removeprefix("\ufeff").rstrip("\x1a")
    if not text.strip():
        raise InvalidStatement("The file is empty", field="file")
    if "\x00" in text or len(_CONTROL.findall(text)) > len(text) // 200:
        raise InvalidStatement("The file is not a text (CSV) file", field="file")
    return text, encoding


def _detect_encoding(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 4:
        if odd.count(0) >= 0.4 * len(odd) and even.count(0) <= 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) >= 0.4 * len(even) and odd.count(0) <= 0.05 * len(odd):
            return "utf-16-be"
    for encoding in ("utf-8", "cp1252"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


# ---------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class _Record:
    line: int  # first physical line, 1-based
    cells: tuple[str, ...]


def _read_records(text: str, delimiter: str, limit: int, max_rows: int) -> list[_Record]:
    """Non-blank records with their first physical line; more than `limit` is too many rows."""
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, quotechar=_QUOTE, strict=False
    )
    records: list[_Record] = []
    previous = 0
    try:
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            if previous - line >= _MAX_RECORD_LINES:
                raise InvalidStatement(f"Line {line}: a quoted field is never closed", field="file")
            if not any(cell.strip() for cell in cells):
                continue
            records.append(_Record(line, tuple(cells)))
            if len(records) > limit:
                raise InvalidStatement(
                    f"The file has more than {max_rows:,} rows; split it into smaller files",
                    field="file",
                )
    except csv.Error as exc:
        raise InvalidStatement(f"Line {reader.line_num}: {exc}", field="file") from exc
    return records


def _fit(cells: tuple[str, ...], width: int) -> tuple[str, ...] | None:
    """The cells of a row of `width` columns (extra empty cells dropped), or None."""
    if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
        cells = cells[:width]
    return cells if len(cells) == width else None


# ---------------------------------------------------------------- dates

_DATE_SHAPE: Final = re.compile(
    r"""^(?:
        [0-9]{1,4}[-/. ][0-9]{1,2}[-/. ][0-9]{1,4}
      | [0-9]{6,8}
      | [0-9]{1,2}[-/ ]?[^\W\d_]{3,9}\.?[-/ ,]*[0-9]{2,4}
      | [^\W\d_]{3,9}\.?\s+[0-9]{1,2},?\s+[0-9]{4}
    )(?:[T ][0-9].*)?$""",
    re.VERBOSE,
)
_TIME_SUFFIX: Final = re.compile(
    r"(?:T|\s+)[0-9]{1,2}[:.][0-9]{2}(?:[:.][0-9]{2}(?:[.,][0-9]{1,9})?)?"
    r"(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*(?:Z|UTC|GMT|[+-][0-9]{2}(?::?[0-9]{2})?))?$"
)


@lru_cache(maxsize=16384)
def _parse_date(value: str, fmt: str) -> date | None:
    """`value` read with `fmt`; a time of day after the date is ignored."""
    try:
        return datetime.strptime(value, fmt).date()
    except ValueError:
        pass
    suffix = _TIME_SUFFIX.search(value)
    if suffix is None or suffix.start() == 0:
        return None
    try:
        return datetime.strptime(value[: suffix.start()], fmt).date()
    except ValueError:
        return None


@lru_cache(maxsize=16384)
def _is_date(value: str) -> bool:
    return bool(_DATE_SHAPE.match(value)) and any(
        _parse_date(value, fmt) is not None for fmt in DATE_FORMATS
    )


def _month_first(fmt: str) -> bool:
    day = fmt.find("%d")
    month = min((i for i in (fmt.find("%m"), fmt.find("%b"), fmt.find("%B")) if i >= 0), default=-1)
    return not fmt.startswith(("%Y", "%y")) and 0 <= month < day


@dataclass(frozen=True, slots=True)
class _DateGuess:
    format: str
    ambiguous: bool
    candidates: tuple[str, ...]


def _guess_date_format(values: Sequence[str], *, month_first: bool) -> _DateGuess | None:
    """The formats that parse the most of `values` (in row order), preferred first."""
    distinct = list(dict.fromkeys(v for v in values if v))
    best = 0
    fits: dict[str, dict[str, date]] = {}
    for fmt in DATE_FORMATS:
        parsed: dict[str, date] = {}
        allowed = len(distinct) - best  # more misses than this cannot tie the best
        misses = 0
        for value in distinct:
            day = _parse_date(value, fmt)
            if day is None:
                misses += 1
                if misses > allowed:
                    break
            else:
                parsed[value] = day
        else:
            if len(parsed) > best:
                best, fits = len(parsed), {}
            if parsed:
                fits[fmt] = parsed
    if not fits:
        return None

    def in_order(parsed: dict[str, date]) -> bool:
        days = [parsed[v] for v in values if v in parsed]
        pairs = list(pairwise(days))
        return all(a <= b for a, b in pairs) or all(a >= b for a, b in pairs)

    ordered = {fmt: in_order(parsed) for fmt, parsed in fits.items()}
    some_ordered = any(ordered.values())
    ranked = sorted(
        fits,
        key=lambda fmt: (
            some_ordered and not ordered[fmt],
            _month_first(fmt) != month_first,
            DATE_FORMATS.index(fmt),
        ),
    )
    candidates: list[str] = []
    readings: list[dict[str, date]] = []
    for fmt in ranked:
        if fits[fmt] not in readings:
            readings.append(fits[fmt])
            candidates.append(fmt)
    return _DateGuess(candidates[0], len(candidates) > 1, tuple(candidates))


def _check_date_format(fmt: str) -> None:
    probe = date(2001, 11, 23)
    try:
        back = datetime.strptime(probe.strftime(fmt), fmt).date()
    except ValueError:
        back = None
    if back != probe:
        raise InvalidStatement(
            f"{fmt!r} is not a date format with a day, a month and a year", field="date_format"
        )


# ---------------------------------------------------------------- amounts

# Symbol -> the currencies it may stand for; longer symbols are tried first.
# fmt: off
_SYMBOLS: Final[dict[str, tuple[str, ...]]] = {
    "US$": ("USD",), "CA$": ("CAD",), "AU$": ("AUD",), "NZ$": ("NZD",), "HK$": ("HKD",),
    "MX$": ("MXN",), "R$": ("BRL",), "C$": ("CAD", "NIO"), "A$": ("AUD",), "S$": ("SGD",),
    "$": (
        "USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "ARS", "CLP", "COP", "TWD", "UYU",
        "BSD", "BBD", "BZD", "BMD", "BND", "KYD", "DOP", "FJD", "GYD", "JMD", "LRD", "NAD",
        "SBD", "SRD", "TTD", "XCD", "CUP",
    ),
    "\u20ac": ("EUR",), "\u00a3": ("GBP", "GIP", "FKP", "SHP", "EGP", "SSP"),
    "\u00a5": ("JPY", "CNY"), "\u20b9": ("INR",), "\u20a9": ("KRW",), "\u20ba": ("TRY",),
    "\u20aa": ("ILS",), "\u20ab": ("VND",), "\u0e3f": ("THB",), "\u20b1": ("PHP",),
    "\u20b4": ("UAH",), "\u20bd": ("RUB",), "\u20a6": ("NGN",), "\u20b5": ("GHS",),
    "\u20b8": ("KZT",), "\u20be": ("GEL",), "z\u0142": ("PLN",), "K\u010d": ("CZK",),
    "Ft": ("HUF",), "kr": ("SEK", "NOK", "DKK", "ISK"),
}
# fmt: on
_SYMBOL_ORDER: Final = tuple(sorted(_SYMBOLS, key=len, reverse=True))
_MINUS: Final = "-\u2212\u2013"
_CODE_PREFIX: Final = re.compile(r"[A-Za-z]{3}(?![A-Za-z])")
_CODE_SUFFIX: Final = re.compile(r"(?<![A-Za-z])[A-Za-z]{3}$")
_DRCR_SUFFIX: Final = re.compile(r"(?<![A-Za-z])([DdCc][Rr])\.?$")


def _number_pattern(mark: str, separators: str) -> re.Pattern[str]:
    sep = "[" + re.escape(separators) + "]"
    integer = (
        rf"[0-9]+"
        rf"|[0-9]{{1,3}}(?P<s>{sep})[0-9]{{3}}(?:(?P=s)[0-9]{{3}})*"
        rf"|[0-9]{{1,2}}(?P<i>{sep})(?:[0-9]{{2}}(?P=i))*[0-9]{{3}}"
    )
    return re.compile(rf"(?P<int>{integer})?(?:{re.escape(mark)}(?P<frac>[0-9]+))?")


_POINT_NUMBER: Final = _number_pattern(".", ", '\u2019")
_COMMA_NUMBER: Final = _number_pattern(",", ". '\u2019")


@dataclass(frozen=True, slots=True)
class _Amount:
    value: Decimal
    signed: bool  # a sign marker was written (minus, plus, parentheses, DR/CR)
    code: str | None  # ISO code written with the amount
    symbol: str | None  # currency symbol written with the amount


@lru_cache(maxsize=16384)
def _scan_amount(text: str, decimal_comma: bool) -> _Amount | None:
    s = " ".join(text.split())
    sign = 0  # -1 or +1 once a sign marker is seen
    markers = 0
    code: str | None = None
    symbol: str | None = None
    opened = closed = False
    while s:  # prefixes
        head = s[0]
        if head.isdigit():
            break
        if head == " ":
            s = s[1:]
        elif head in _MINUS or head == "+":
            sign, markers, s = (1 if head == "+" else -1), markers + 1, s[1:]
        elif head == "(" and not opened:
            opened, markers, s = True, markers + 1, s[1:]
        elif code is None and (match := _CODE_PREFIX.match(s)):
            code, s = match.group().upper(), s[3:]
        elif symbol is None and (found := next((y for y in _SYMBOL_ORDER if s.startswith(y)), "")):
            symbol, s = found, s[len(found) :]
        else:
            break
    while s:  # suffixes
        tail = s[-1]
        if tail.isdigit():
            break
        if tail == " ":
            s = s[:-1]
        elif tail in _MINUS or tail == "+":
            sign, markers, s = (1 if tail == "+" else -1), markers + 1, s[:-1]
        elif tail == ")" and opened and not closed:
            closed, s = True, s[:-1]
        elif match := _DRCR_SUFFIX.search(s):
            sign, markers = (-1 if match.group(1).upper() == "DR" else 1), markers + 1
            s = s[: match.start()]
        elif code is None and (match := _CODE_SUFFIX.search(s)):
            code, s = match.group().upper(), s[: match.start()]
        elif symbol is None and (found := next((y for y in _SYMBOL_ORDER if s.endswith(y)), "")):
            symbol, s = found, s[: -len(found)]
        else:
            break
    if markers > 1 or opened != closed:
        return None
    number = (_COMMA_NUMBER if decimal_comma else _POINT_NUMBER).fullmatch(s)
    if number is None or not (number.group("int") or number.group("frac")):
        return None
    digits = re.sub(r"[^0-9]", "", number.group("int") or "0")
    value = Decimal(f"{digits}.{number.group('frac') or '0'}")
    if opened or sign < 0:
        value = -value
    return _Amount(value, markers == 1, code, symbol)


def parse_amount(text: str, *, decimal_comma: bool) -> Decimal:
    """The exact value of an amount as banks write it ("1.234,56 EUR", "(12.50)", "-$5.00")."""
    amount = _scan_amount(text, decimal_comma)
    if amount is None:
        raise ValueError(f"{text!r} is not an amount")
    return amount.value


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Integer minor units of `currency`; ValueError if `amount` has more decimals than it."""
    exponent = currency_exponent(currency)
    sign, digits, power = amount.as_tuple()
    if not isinstance(power, int):
        raise ValueError(f"{amount} is not a finite amount")
    coefficient = int("".join(map(str, digits)) or "0")
    shift = power + exponent
    scale: int = 10 ** abs(shift)
    if shift >= 0:
        minor = coefficient * scale
    elif coefficient % scale:
        raise ValueError(f"{amount} has more decimals than {currency} allows ({exponent})")
    else:
        minor = coefficient // scale
    if minor >= MAX_MINOR_UNITS:
        raise ValueError(f"{amount} is too large")
    return -minor if sign else minor


def _guess_decimal_comma(values: Iterable[str], *, hint: bool) -> bool:
    point = comma = 0
    for value in set(values):
        if value:
            point += _scan_amount(value, False) is not None
            comma += _scan_amount(value, True) is not None
    return comma > point if comma != point else hint


def _amount_value(text: str, decimal_comma: bool) -> Decimal | None:
    amount = _scan_amount(text, decimal_comma) if text else None
    return None if amount is None else amount.value


# ---------------------------------------------------------------- column roles

_ROLE_ORDER: Final[tuple[str, ...]] = (
    "direction",
    "balance",
    "debit",
    "credit",
    "currency",
    "date",
    "amount",
    "reference",
    "description",
)

# Synonyms per role, as folded by `_fold_header`, with a rank (lower is preferred).
# fmt: off
_SYNONYMS: Final[dict[str, dict[str, int]]] = {
    "date": {
        **dict.fromkeys((
            "transaction date", "trans date", "date of transaction", "purchase date",
            "started date", "date operation", "date de l operation", "date d operation",
            "fecha operacion", "fecha de operacion", "fecha de la operacion", "data operacao",
            "data da operacao", "data de operacao", "data operazione", "transaktionsdatum",
            "belegdatum", "transactiedatum", "datum transactie",
        ), 0),
        **dict.fromkeys((
            "date", "datum", "fecha", "data", "booking date", "buchungstag", "buchungsdatum",
            "boekdatum", "boekingsdatum", "datum boeking", "date comptable",
            "date de comptabilisation", "fecha contable", "data contabile", "data movimento",
            "data do movimento", "data lancamento", "data de lancamento",
        ), 1),
        **dict.fromkeys((
            "post date", "posted date", "posting date", "date posted", "completed date",
            "settlement date",
        ), 2),
        **dict.fromkeys((
            "value date", "valuta", "valutadatum", "wertstellung", "wertstellungsdatum",
            "date de valeur", "date valeur", "fecha valor", "fecha de valor", "data valuta",
            "data valor", "data de valor", "rentedatum",
        ), 3),
    },
    "description": {
        **dict.fromkeys((
            "description", "transaction description", "libelle", "libelle operation",
            "libelle de l operation", "verwendungszweck", "concepto", "omschrijving",
            "naam omschrijving", "payee", "payee name", "merchant", "merchant name",
            "narrative", "details", "transaction details", "descripcion", "descricao",
            "descrizione", "descrizione operazione", "causale", "historico", "beschreibung",
            "name", "auftraggeber", "beguenstigter zahlungspflichtiger",
            "begunstigter zahlungspflichtiger",
            "auftraggeber empfanger", "auftraggeber begunstigter", "empfanger", "counterparty",
            "counter party", "tegenpartij", "beneficiaire", "beneficiario",
        ), 0),
        **dict.fromkeys(
            ("buchungstext", "memo", "notes", "mededelingen", "detalle", "observaciones"), 1
        ),
    },
    "amount": dict.fromkeys((
        "amount", "montant", "betrag", "importe", "valor", "bedrag", "importo", "umsatz",
        "transaction amount", "billing amount", "sum", "summe",
    ), 0),
    "debit": dict.fromkeys((
        "debit", "debit amount", "debito", "debet", "soll", "withdrawal", "withdrawals",
        "withdrawal amount", "paid out", "money out", "out", "ausgang", "ausgaben", "debe",
        "cargo", "cargos", "dare", "addebiti", "uscite", "saidas", "af",
    ), 0),
    "credit": dict.fromkeys((
        "credit", "credit amount", "credito", "haben", "deposit", "deposits", "paid in",
        "money in", "in", "eingang", "einnahmen", "haber", "abono", "abonos", "avere",
        "accrediti", "entrate", "entradas", "bij",
    ), 0),
    "currency": dict.fromkeys((
        "currency", "currency code", "ccy", "devise", "wahrung", "waehrung", "moneda", "moeda",
        "valuta", "divisa", "munt",
    ), 0),
    "reference": {
        **dict.fromkeys((
            "transaction id", "id", "fitid", "transaction reference", "transaction number",
            "reference number", "bank reference", "unique id", "transaktionsreferenz",
            "numero de transaction", "numero operation", "numero de operacion",
            "numero operazione", "transactienummer",
        ), 0),
        **dict.fromkeys(
            ("reference", "ref", "referenz", "referencia", "riferimento", "kenmerk"), 1
        ),
    },
    "balance": dict.fromkeys((
        "balance", "running balance", "available balance", "solde", "saldo", "kontostand",
        "saldo disponible", "saldo contable",
    ), 0),
    "direction": dict.fromkeys((
        "af bij", "soll haben", "s h", "debit credit", "credit debit", "dr cr", "cr dr", "d c",
        "debit or credit", "sens", "debe haber", "dare avere",
    ), 0),
}
# fmt: on

# A header containing one of these words is not of the role.
_REJECT: Final[dict[str, frozenset[str]]] = {
    "debit": frozenset({"card", "karte", "carte", "account", "konto", "compte", "date", "number"}),
    "credit": frozenset({"card", "karte", "carte", "account", "konto", "compte", "date", "number"}),
    "currency": frozenset({"amount", "foreign", "original", "local", "rate", "exchange"}),
    "reference": frozenset(
        {"mandatsreferenz", "mandate", "glaubiger", "glaeubiger", "creditor", "account"}
    ),
    "amount": frozenset({"fee", "fees", "rate"}),
}
# A header containing one of these words ranks lower for the role.
_PENALTY: Final[dict[str, frozenset[str]]] = {
    "amount": frozenset(
        {"original", "foreign", "local", "fremdwahrung", "devise", "divisa", "instructed"}
    ),
}

_OUT_MARKERS: Final = frozenset(
    {"af", "debit", "debet", "d", "dr", "db", "s", "soll", "withdrawal", "out", "debito", "cargo"}
)
_IN_MARKERS: Final = frozenset(
    {"bij", "credit", "c", "cr", "h", "haben", "deposit", "in", "credito", "abono"}
)


def _fold_header(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def _role_matches(name: str) -> dict[str, tuple[int, int]]:
    """Role -> (partial match?, rank) for a header name."""
    folded = _fold_header(name)
    words = set(folded.split())
    padded = f" {folded} "
    found: dict[str, tuple[int, int]] = {}
    for role, synonyms in _SYNONYMS.items():
        if not folded or words & _REJECT.get(role, frozenset()):
            continue
        best: tuple[int, int] | None = None
        for phrase, rank in synonyms.items():
            if folded == phrase:
                score = (0, rank)
            elif (len(phrase) >= 4 or " " in phrase) and f" {phrase} " in padded:
                score = (1, rank)
            else:
                continue
            best = score if best is None else min(best, score)
        if role == "reference" and best is None and folded.endswith(" id"):
            best = (1, 1)
        if best is not None:
            if words & _PENALTY.get(role, frozenset()):
                best = (best[0], best[1] + 3)
            found[role] = best
    return found


def _best_role(name: str) -> str | None:
    matches = _role_matches(name)
    if not matches:
        return None
    return min(matches, key=lambda role: (matches[role], _ROLE_ORDER.index(role)))


def _is_currency_value(value: str) -> bool:
    return (len(value) == 3 and value.isalpha() and is_currency(value.upper())) or (
        value in _SYMBOLS
    )


@dataclass(frozen=True, slots=True)
class _Profile:
    filled: int
    dates: int
    amounts: int
    currencies: int
    directions: int
    distinct: int
    mean_length: float


def _profile(values: Sequence[str]) -> _Profile:
    filled = [v for v in values if v]
    distinct = set(filled)
    dates = {v for v in distinct if _is_date(v)}
    amounts = {
        v
        for v in distinct
        if _scan_amount(v, False) is not None or _scan_amount(v, True) is not None
    }
    currencies = {v for v in distinct if _is_currency_value(v)}
    directions = {v for v in distinct if _fold_header(v) in _OUT_MARKERS | _IN_MARKERS}
    return _Profile(
        filled=len(filled),
        dates=sum(v in dates for v in filled),
        amounts=sum(v in amounts for v in filled),
        currencies=sum(v in currencies for v in filled),
        directions=sum(v in directions for v in filled),
        distinct=len(distinct),
        mean_length=sum(map(len, filled)) / len(filled) if filled else 0.0,
    )


def _fits(role: str, p: _Profile) -> bool:
    """Whether a column named for `role` holds values of that role."""
    if role == "date":
        return p.filled > 0 and p.dates >= 0.6 * p.filled
    if role == "amount":
        return p.filled > 0 and p.amounts >= 0.6 * p.filled
    if role in ("debit", "credit"):
        return p.amounts >= 0.6 * p.filled
    if role == "currency":  # codes, or at least not dates or amounts ("Valuta" is either)
        return p.currencies >= 0.8 * p.filled or max(p.dates, p.amounts) < 0.2 * p.filled
    if role == "direction":
        return p.directions >= 0.9 * p.filled
    return True


def _is_running_balance(
    balance: Sequence[Decimal | None], amount: Sequence[Decimal | None]
) -> bool:
    pairs = matches = 0
    for i in range(1, len(balance)):
        b0, b1, a0, a1 = balance[i - 1], balance[i], amount[i - 1], amount[i]
        if b0 is None or b1 is None or (a0 is None and a1 is None):
            continue
        pairs += 1
        matches += (a1 is not None and b1 == b0 + a1) or (a0 is not None and b0 == b1 + a0)
    return pairs > 0 and matches >= 0.8 * pairs


def _complementary(first: Sequence[Decimal | None], second: Sequence[Decimal | None]) -> bool:
    rows = exclusive = 0
    for a, b in zip(first, second, strict=True):
        if a or b:
            rows += 1
            exclusive += bool(a) != bool(b)
    return rows > 0 and any(first) and any(second) and exclusive >= 0.9 * rows


def _detect_mapping(table: _Table, delimiter: str) -> ColumnMapping:
    sample = [
        cells
        for cells in (_fit(r.cells, table.width) for r in table.rows[:_PROFILE_ROWS])
        if cells is not None
    ]
    columns = [[row[i].strip() for row in sample] for i in range(table.width)]
    profiles = [_profile(values) for values in columns]
    roles: dict[str, list[int]] = {}
    taken: set[int] = set()

    def assign(role: str, index: int) -> None:
        roles.setdefault(role, []).append(index)
        taken.add(index)

    def free() -> list[int]:
        return [i for i in range(table.width) if i not in taken]

    if table.header is not None:
        claims = sorted(
            (score, _ROLE_ORDER.index(role), index, role)
            for index, name in enumerate(table.header)
            for role, score in _role_matches(name).items()
        )
        for _score, _order, index, role in claims:
            room = 2 if role == "description" else 1
            if index in taken or len(roles.get(role, ())) >= room:
                continue
            if _fits(role, profiles[index]):
                assign(role, index)
        if "amount" in roles:
            roles.pop("debit", None)
            roles.pop("credit", None)
        # "Details: DEBIT" next to "Description: STARBUCKS" describes nothing
        described = roles.get("description", [])
        markers = [i for i in described if 0 < profiles[i].filled == profiles[i].directions]
        if markers and len(markers) < len(described):
            roles["description"] = [i for i in described if i not in markers]

    def rejected(role: str, index: int) -> bool:
        """Whether the column's header rules the role out ("Type Foreign Currency")."""
        if table.header is None:
            return False
        words = set(_fold_header(table.header[index]).split())
        return bool(words & _REJECT.get(role, frozenset()))

    if "date" not in roles:
        for i in free():
            if profiles[i].filled and profiles[i].dates >= 0.8 * profiles[i].filled:
                assign("date", i)
                break
    if "date" not in roles:
        raise InvalidStatement("No date column was found", field="file")
    if "currency" not in roles:
        for i in free():
            p = profiles[i]
            if p.filled and p.currencies == p.filled and not rejected("currency", i):
                assign("currency", i)
                break
    if not roles.keys() & {"amount", "debit", "credit"}:
        _amount_roles_from_values(free(), columns, profiles, assign, hint=delimiter == ";")
    if not roles.keys() & {"amount", "debit", "credit"}:
        raise InvalidStatement("No amount column was found", field="file")
    if "amount" in roles and "direction" not in roles:
        for i in free():
            p = profiles[i]
            if p.filled and p.directions == p.filled:
                assign("direction", i)
                break
    if "description" not in roles:
        texts = [
            i
            for i in free()
            if profiles[i].filled
            and max(profiles[i].amounts, profiles[i].dates, profiles[i].directions)
            < 0.5 * profiles[i].filled
            and profiles[i].currencies < profiles[i].filled
        ]
        if texts:
            assign(
                "description",
                max(texts, key=lambda i: (profiles[i].distinct, profiles[i].mean_length)),
            )

    def one(role: str) -> int | None:
        return roles[role][0] if role in roles else None

    return ColumnMapping(
        date=roles["date"][0],
        amount=one("amount"),
        debit=one("debit"),
        credit=one("credit"),
        description=tuple(sorted(roles.get("description", ()))),
        currency=one("currency"),
        reference=one("reference"),
        direction=one("direction") if "amount" in roles else None,
        balance=one("balance"),
    )


def _amount_roles_from_values(
    candidates: Sequence[int],
    columns: Sequence[Sequence[str]],
    profiles: Sequence[_Profile],
    assign: _Assign,
    *,
    hint: bool,
) -> None:
    numeric = [
        i
        for i in candidates
        if profiles[i].filled
        and profiles[i].amounts >= 0.9 * profiles[i].filled
        and profiles[i].dates < 0.5 * profiles[i].filled
    ]
    if not numeric:
        return
    comma = _guess_decimal_comma((v for i in numeric for v in columns[i]), hint=hint)
    values = {i: [_amount_value(v, comma) for v in columns[i]] for i in numeric}
    balances = [
        b
        for b in numeric
        if any(a != b and _is_running_balance(values[b], values[a]) for a in numeric)
    ]
    rest = [i for i in numeric if i not in balances] or numeric[:1]
    for first, second in pairwise(rest):
        if _complementary(values[first], values[second]):
            assign("debit", first)
            assign("credit", second)
            break
    else:
        assign("amount", rest[0])
    if balances and balances[0] not in rest:
        assign("balance", balances[0])


# ---------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class _Table:
    header: tuple[str, ...] | None
    columns: tuple[str, ...]
    rows: tuple[_Record, ...]
    skip_lines: int

    @property
    def width(self) -> int:
        return len(self.columns)

    def values(self, index: int) -> list[str]:
        """The stripped cells of column `index` of the rows that have the right width."""
        return [
            cells[index].strip()
            for cells in (_fit(r.cells, self.width) for r in self.rows)
            if cells is not None
        ]


def _column_names(cells: Sequence[str]) -> tuple[str, ...]:
    names = list(cells)
    while names and not names[-1].strip():
        names.pop()
    return tuple(name.strip() or f"Column {i + 1}" for i, name in enumerate(names))


def _is_value(cell: str) -> bool:
    cell = cell.strip()
    return bool(cell) and (
        _is_date(cell)
        or _scan_amount(cell, False) is not None
        or _scan_amount(cell, True) is not None
    )


def _is_known_header(cells: Sequence[str]) -> bool:
    if any(_is_value(cell) for cell in cells):
        return False
    roles = {_best_role(cell) for cell in cells}
    return "date" in roles and bool(roles & {"amount", "debit", "credit"})


def _is_data(cells: Sequence[str]) -> bool:
    dates = [i for i, cell in enumerate(cells) if _is_date(cell.strip())]
    return bool(dates) and any(i not in dates and _is_value(cell) for i, cell in enumerate(cells))


def _build_table(records: Sequence[_Record], max_rows: int) -> _Table:
    head = records[:_SCAN_RECORDS]
    header_at: int | None = None
    start: int | None = None
    for i, record in enumerate(head):
        if _is_known_header(record.cells):
            header_at, start = i, i + 1
            break
    if start is None:
        widths = Counter(len(r.cells) for r in records)
        width = max(widths, key=lambda w: (widths[w], w))
        for i, record in enumerate(head):
            if len(record.cells) == width and _is_data(record.cells):
                start = i
                above = records[i - 1].cells if i else ()
                texts = [cell for cell in above if cell.strip()]
                if len(above) == width and len(texts) >= 2 and not any(map(_is_value, texts)):
                    header_at = i - 1
                break
    if start is None:
        raise InvalidStatement("No row with a date and an amount was found", field="file")
    rows = tuple(records[start:])
    if len(rows) > max_rows:
        raise InvalidStatement(
            f"The file has more than {max_rows:,} rows; split it into smaller files", field="file"
        )
    if not rows:
        raise InvalidStatement("The file has a header but no transactions", field="file")
    if header_at is not None:
        header = records[header_at].cells
        columns = _column_names(header)
        first = records[header_at]
    else:
        widths = Counter(len(r.cells) for r in rows)
        width = max(widths, key=lambda w: (widths[w], w))
        header = None
        columns = tuple(f"Column {i + 1}" for i in range(width))
        first = rows[0]
    return _Table(header, columns, rows, first.line - 1)


def _detect_delimiter(text: str) -> str:
    head = "".join(islice(io.StringIO(text, newline=""), _SNIFF_LINES))
    try:
        sniffed: str | None = csv.Sniffer().sniff(head, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    scored: list[tuple[tuple[bool, bool, bool, bool, float, int, int], str]] = []
    for order, delimiter in enumerate(DELIMITERS):
        try:
            rows = [
                row
                for row in csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)
                if any(cell.strip() for cell in row)
            ]
        except csv.Error:
            continue
        if not rows:
            continue
        widths = Counter(len(row) for row in rows)
        width, count = max(widths.items(), key=lambda item: (item[1], item[0]))
        share = count / len(rows)
        full = [row for row in rows if len(row) == width]
        # one row of the full-width ones may be the header
        has_dates = any(
            sum(bool(_DATE_SHAPE.match(row[i].strip())) for row in full)
            >= max(1.0, 0.6 * (len(full) - 1))
            for i in range(width)
        )
        score = (width >= 2, has_dates, share >= 0.9, sniffed == delimiter, share, width, -order)
        scored.append((score, delimiter))
    if not scored or not max(scored)[0][0]:
        raise InvalidStatement(
            "No column separator was found (comma, semicolon, tab or |)", field="file"
        )
    return max(scored)[1]


def _prefers_month_first(currency: str | None, table: _Table, mapping: ColumnMapping) -> bool:
    if currency is not None:
        return currency == "USD"
    if mapping.currency is not None:
        codes = Counter(v.upper() for v in table.values(mapping.currency)[:_PROFILE_ROWS] if v)
        if codes:
            return codes.most_common(1)[0][0] == "USD"
    for index in (mapping.amount, mapping.debit, mapping.credit):
        if index is None:
            continue
        for value in table.values(index)[:_PROFILE_ROWS]:
            amount = _scan_amount(value, False) or _scan_amount(value, True)
            if amount is not None and (amount.code or amount.symbol):
                return amount.code == "USD" or amount.symbol in ("$", "US$")
    return False


def _amount_columns(mapping: ColumnMapping) -> tuple[int, ...]:
    return tuple(i for i in (mapping.amount, mapping.debit, mapping.credit) if i is not None)


def _analyse(
    data: bytes, currency: str | None, max_bytes: int, max_rows: int
) -> tuple[StatementLayout, _Table]:
    text, encoding = _decode(data, max_bytes)
    delimiter = _detect_delimiter(text)
    records = _read_records(text, delimiter, max_rows + _SCAN_RECORDS, max_rows)
    if not records:
        raise InvalidStatement("The file is empty", field="file")
    table = _build_table(records, max_rows)
    mapping = _detect_mapping(table, delimiter)
    month_first = _prefers_month_first(currency, table, mapping)
    guess = _guess_date_format(table.values(mapping.date), month_first=month_first)
    if guess is None:
        raise InvalidStatement("No date column was found", field="file")
    comma = _guess_decimal_comma(
        (v for i in _amount_columns(mapping) for v in table.values(i)),
        hint=delimiter == ";" or "." in guess.format,
    )
    layout = StatementLayout(
        encoding=encoding,
        delimiter=delimiter,
        skip_lines=table.skip_lines,
        has_header=table.header is not None,
        columns=table.columns,
        mapping=mapping,
        date_format=guess.format,
        date_ambiguous=guess.ambiguous,
        date_candidates=guess.candidates,
        decimal_comma=comma,
    )
    return layout, table


def _table_from_layout(
    data: bytes, layout: StatementLayout, max_bytes: int, max_rows: int
) -> _Table:
    text, _ = _decode(data, max_bytes, layout.encoding)
    if layout.delimiter not in DELIMITERS:
        raise InvalidStatement(f"{layout.delimiter!r} is not a supported separator", field="layout")
    records = [
        r
        for r in _read_records(text, layout.delimiter, max_rows + _SCAN_RECORDS, max_rows)
        if r.line > layout.skip_lines
    ]
    header = records[0].cells if layout.has_header and records else None
    rows = tuple(records[1:] if header is not None else records)
    if not rows:
        raise InvalidStatement("The file has no transactions", field="file")
    if len(rows) > max_rows:
        raise InvalidStatement(
            f"The file has more than {max_rows:,} rows; split it into smaller files", field="file"
        )
    return _Table(header, layout.columns, rows, layout.skip_lines)


# ---------------------------------------------------------------- public entry points


def sniff(
    data: bytes,
    *,
    currency: str | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> StatementLayout:
    """Detect the encoding, delimiter, preamble, header, column roles, date and number formats.

    `currency` (the statement's currency, if known) only breaks date-order ties: USD prefers
    month-first. Raises `InvalidStatement` for files that cannot be read as a statement.
    """
    return _analyse(data, _check_currency(currency) if currency else None, max_bytes, max_rows)[0]


def parse(
    data: bytes,
    *,
    currency: str,
    layout: StatementLayout | None = None,
    mapping: ColumnMapping | None = None,
    date_format: str | None = None,
    decimal_comma: bool | None = None,
    negate: bool = False,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> ParsedStatement:
    """Read every row of a statement; each argument given overrides what `sniff` would detect.

    `currency` is the statement's currency, used by rows that do not name one. `negate` flips
    every amount, for card exports that list purchases as positive numbers. When `mapping`
    moves the date or amount columns, their formats are detected again unless given.
    """
    currency = _check_currency(currency)
    if layout is None:
        layout, table = _analyse(data, currency, max_bytes, max_rows)
    else:
        table = _table_from_layout(data, layout, max_bytes, max_rows)
    chosen = mapping or layout.mapping
    if max(chosen.columns()) >= table.width:
        raise InvalidStatement(
            f"The file has {table.width} columns; the mapping uses column {max(chosen.columns())}",
            field="mapping",
        )
    if date_format is not None:
        _check_date_format(date_format)
        fmt, ambiguous = date_format, False
        candidates: tuple[str, ...] = (date_format,)
    elif chosen.date == layout.mapping.date:
        fmt, ambiguous = layout.date_format, layout.date_ambiguous
        candidates = layout.date_candidates
    else:
        guess = _guess_date_format(
            table.values(chosen.date), month_first=_prefers_month_first(currency, table, chosen)
        )
        if guess is None:
            raise InvalidStatement(
                f"Column {table.columns[chosen.date]!r} holds no dates", field="mapping"
            )
        fmt, ambiguous, candidates = guess.format, guess.ambiguous, guess.candidates
    if decimal_comma is None:
        if _amount_columns(chosen) == _amount_columns(layout.mapping):
            decimal_comma = layout.decimal_comma
        else:
            decimal_comma = _guess_decimal_comma(
                (v for i in _amount_columns(chosen) for v in table.values(i)),
                hint=layout.delimiter == ";" or "." in fmt,
            )
    reader = _RowReader(table.columns, chosen, fmt, decimal_comma, currency, negate)
    rows: list[StatementRow] = []
    errors: list[RowError] = []
    for record in table.rows:
        result = reader.read(record)
        if isinstance(result, StatementRow):
            rows.append(result)
        else:
            errors.extend(result)
    return ParsedStatement(
        layout=layout,
        mapping=chosen,
        date_format=fmt,
        date_ambiguous=ambiguous,
        date_candidates=candidates,
        decimal_comma=decimal_comma,
        currency=currency,
        rows=rows,
        errors=errors,
    )


def _check_currency(code: str) -> str:
    code = code.strip().upper()
    if not is_currency(code):
        raise UnknownCurrency(f"{code!r} is not a currency code", field="currency")
    return code


# ---------------------------------------------------------------- rows


class _RowReader:
    def __init__(
        self,
        columns: tuple[str, ...],
        mapping: ColumnMapping,
        date_format: str,
        decimal_comma: bool,
        currency: str,
        negate: bool,
    ) -> None:
        self.columns = columns
        self.mapping = mapping
        self.date_format = date_format
        self.decimal_comma = decimal_comma
        self.currency = currency
        self.negate = negate

    def read(self, record: _Record) -> StatementRow | list[RowError]:
        line = record.line
        cells = _fit(record.cells, len(self.columns))
        if cells is None:
            return [
                RowError(
                    line,
                    None,
                    RowErrorCode.WRONG_COLUMN_COUNT,
                    f"Expected {len(self.columns)} columns, found {len(record.cells)}",
                )
            ]
        m = self.mapping
        errors: list[RowError] = []

        def fail(role: str, code: RowErrorCode, message: str, value: str | None = None) -> None:
            errors.append(RowError(line, role, code, message, value))

        booked_on = self._date(cells[m.date].strip(), m.date, fail)
        value, amounts = self._amount(cells, fail)
        row_currency = self._currency(cells, amounts, fail)
        minor: int | None = None
        if value is not None and row_currency is not None:
            if self.negate:
                value = -value
            try:
                minor = to_minor_units(value, row_currency)
            except ValueError as exc:
                fail("amount", RowErrorCode.BAD_AMOUNT, str(exc), str(value))
        if errors or booked_on is None or minor is None or row_currency is None:
            return errors
        description = " ".join(" ".join(cells[i] for i in m.description).split())
        reference = " ".join(cells[m.reference].split()) if m.reference is not None else ""
        return StatementRow(
            line_number=line,
            booked_on=booked_on,
            description=description,
            amount_minor=minor,
            currency=row_currency,
            reference=reference or None,
            fingerprint=fingerprint(booked_on, minor, row_currency, description, reference),
        )

    def _name(self, index: int) -> str:
        return repr(self.columns[index])

    def _date(self, raw: str, index: int, fail: _Fail) -> date | None:
        if not raw:
            fail("date", RowErrorCode.MISSING_VALUE, f"The date ({self._name(index)}) is empty")
            return None
        booked_on = _parse_date(raw, self.date_format)
        if booked_on is None:
            fail(
                "date",
                RowErrorCode.BAD_DATE,
                f"{raw!r} is not a date in the format {self.date_format}",
                raw,
            )
        return booked_on

    def _read_amount(self, role: str, index: int, raw: str, fail: _Fail) -> _Amount | None:
        amount = _scan_amount(raw, self.decimal_comma)
        if amount is None:
            style = "decimal comma" if self.decimal_comma else "decimal point"
            fail(
                role,
                RowErrorCode.BAD_AMOUNT,
                f"{raw!r} in {self._name(index)} is not an amount ({style})",
                raw,
            )
        return amount

    def _amount(self, cells: Sequence[str], fail: _Fail) -> tuple[Decimal | None, list[_Amount]]:
        m = self.mapping
        if m.amount is not None:
            raw = cells[m.amount].strip()
            if not raw:
                fail("amount", RowErrorCode.MISSING_VALUE, f"{self._name(m.amount)} is empty")
                return None, []
            amount = self._read_amount("amount", m.amount, raw, fail)
            if amount is None:
                return None, []
            value = amount.value
            if m.direction is not None and not amount.signed:
                marker = cells[m.direction].strip()
                folded = _fold_header(marker)
                if folded in _OUT_MARKERS:
                    value = -abs(value)
                elif folded in _IN_MARKERS:
                    value = abs(value)
                elif folded:
                    fail(
                        "direction",
                        RowErrorCode.BAD_AMOUNT,
                        f"{marker!r} in {self._name(m.direction)} is not a debit/credit marker",
                        marker,
                    )
                    return None, [amount]
            return value, [amount]
        read: dict[str, _Amount] = {}
        bad = False
        for role, index in (("debit", m.debit), ("credit", m.credit)):
            raw = cells[index].strip() if index is not None else ""
            if index is not None and raw:
                amount = self._read_amount(role, index, raw, fail)
                if amount is None:
                    bad = True
                else:
                    read[role] = amount
        if bad:
            return None, list(read.values())
        debit, credit = read.get("debit"), read.get("credit")
        if debit is None and credit is None:
            fail("amount", RowErrorCode.MISSING_VALUE, "Neither the debit nor the credit is filled")
            return None, []
        if debit is not None and credit is not None and debit.value and credit.value:
            fail(
                "amount",
                RowErrorCode.BAD_AMOUNT,
                "Both the debit and the credit are filled",
                f"{debit.value} / {credit.value}",
            )
            return None, [debit, credit]
        if debit is not None and (debit.value or credit is None):
            return -abs(debit.value), list(read.values())
        assert credit is not None
        return abs(credit.value), list(read.values())

    def _currency(
        self, cells: Sequence[str], amounts: Sequence[_Amount], fail: _Fail
    ) -> str | None:
        m = self.mapping
        stated: str | None = None
        if m.currency is not None and (raw := cells[m.currency].strip()):
            options = _SYMBOLS.get(raw)
            if options is not None:
                stated = self.currency if self.currency in options else options[0]
                if len(options) > 1 and self.currency not in options:
                    fail(
                        "currency",
                        RowErrorCode.UNKNOWN_CURRENCY,
                        f"{raw!r} may be any of {', '.join(options[:5])}",
                        raw,
                    )
                    return None
            elif is_currency(raw.upper()):
                stated = raw.upper()
            else:
                fail("currency", RowErrorCode.UNKNOWN_CURRENCY, f"{raw!r} is not a currency", raw)
                return None
        for amount in amounts:
            if amount.code is None:
                continue
            if not is_currency(amount.code):
                fail(
                    "currency",
                    RowErrorCode.UNKNOWN_CURRENCY,
                    f"{amount.code!r} is not a currency",
                    amount.code,
                )
                return None
            if stated is not None and amount.code != stated:
                fail(
                    "currency",
                    RowErrorCode.CURRENCY_MISMATCH,
                    f"The amount is in {amount.code} but the row says {stated}",
                    amount.code,
                )
                return None
            stated = amount.code
        for amount in amounts:
            if amount.symbol is None:
                continue
            options = _SYMBOLS[amount.symbol]
            base = stated or self.currency
            if base in options:
                continue
            if stated is None and len(options) == 1:
                stated = options[0]
            elif stated is not None:
                fail(
                    "currency",
                    RowErrorCode.CURRENCY_MISMATCH,
                    f"{amount.symbol!r} is not a symbol of {stated}",
                    amount.symbol,
                )
                return None
            else:
                fail(
                    "currency",
                    RowErrorCode.UNKNOWN_CURRENCY,
                    f"{amount.symbol!r} is not {self.currency}; it may be any of "
                    f"{', '.join(options[:5])}",
                    amount.symbol,
                )
                return None
        return stated or self.currency


# ---------------------------------------------------------------- fingerprints and duplicates


_NOT_ASCII_ALNUM: Final = re.compile(r"[^a-z0-9]+")


def _fold_key(text: str) -> str:
    """Lowercase letters and digits (any script, accents removed), single spaces."""
    if text.isascii():
        return " ".join(_NOT_ASCII_ALNUM.sub(" ", text.lower()).split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = (ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(kept).split())


def fingerprint(
    booked_on: date,
    amount_minor: int,
    currency: str,
    description: str,
    reference: str | None = None,
) -> str:
    """A stable hash of a transaction: the bank's reference if any, else the description."""
    ref = _fold_key(reference or "")
    key = f"ref:{ref}" if ref else f"desc:{_fold_key(description)}"
    payload = "\x1f".join(("v1", booked_on.isoformat(), str(amount_minor), currency.upper(), key))
    return hashlib.sha256(payload.encode()).hexdigest()


def find_duplicates(
    rows: Iterable[StatementRow],
    existing_fingerprints: AbstractSet[str] | Mapping[str, int] = frozenset(),
) -> list[DuplicateCheck]:
    """One check per row, in order.

    A row whose fingerprint was imported before is a `duplicate`. Given a set, every row with
    that fingerprint is; given counts (fingerprint -> rows already imported), only that many
    and later ones are checked against the file. Within the file, the second and later rows
    with the same fingerprint are `possible_duplicate` (two identical coffees on one day do
    happen), pointing at the first one's line.
    """
    seen: dict[str, int] = {}  # fingerprint -> first line in this file
    occurrences: Counter[str] = Counter()
    checks: list[DuplicateCheck] = []
    for row in rows:
        key = row.fingerprint
        occurrences[key] += 1
        if isinstance(existing_fingerprints, Mapping):
            imported = occurrences[key] <= existing_fingerprints.get(key, 0)
        else:
            imported = key in existing_fingerprints
        if imported:
            checks.append(DuplicateCheck(row.line_number, key, DuplicateStatus.DUPLICATE))
        elif key in seen:
            checks.append(
                DuplicateCheck(row.line_number, key, DuplicateStatus.POSSIBLE_DUPLICATE, seen[key])
            )
        else:
            checks.append(DuplicateCheck(row.line_number, key, DuplicateStatus.NEW))
        seen.setdefault(key, row.line_number)
    return checks


# ---------------------------------------------------------------- category hints

# fmt: off
_CATEGORY_KEYWORDS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("fees", (
        "atm fee", "fx fee", "foreign transaction fee", "non sterling transaction fee",
        "foreign exchange fee", "currency conversion fee", "cash withdrawal fee", "bank fee",
        "card fee", "service charge", "commission", "frais", "gebuhr", "gebuhren", "entgelt",
        "comision", "commissione", "overdraft fee",
    )),
    ("local_transport", (
        "uber", "lyft", "bolt", "taxi", "cab", "metro", "ratp", "tfl", "bvg", "mta", "oyster",
        "bus", "tram", "grab", "free now", "cabify", "navigo", "lime", "voi", "velib",
        "parking", "toll", "peage", "maut",
    )),
    ("transport", (
        "sncf", "ouigo", "ryanair", "easyjet", "lufthansa", "air france", "klm",
        "british airways", "iberia", "vueling", "wizz air", "wizzair", "transavia", "eurowings",
        "swiss international", "tap air", "tap portugal", "emirates", "qatar airways",
        "airline", "airlines", "airways", "deutsche bahn", "db bahn", "db fernverkehr",
        "trenitalia", "italo", "renfe", "eurostar", "thalys", "flixbus", "blablacar", "amtrak",
        "greyhound", "national rail", "trainline", "hertz", "avis", "sixt", "europcar", "ferry",
        "esso", "totalenergies", "fuel",
    )),
    ("lodging", (
        "hotel", "hotels", "airbnb", "booking com", "hostel", "hostelworld", "motel",
        "marriott", "hilton", "hyatt", "ibis", "accor", "novotel", "mercure", "holiday inn",
        "best western", "guesthouse", "vrbo", "agoda", "hotels com",
    )),
    ("food", (
        "restaurant", "ristorante", "restaurante", "cafe", "coffee", "starbucks",
        "costa coffee", "pret a manger", "mcdonald", "mcdonalds", "burger king", "kfc",
        "subway", "pizza", "pizzeria", "bakery", "boulangerie", "backerei", "bistro",
        "brasserie", "trattoria", "bar", "pub", "deliveroo", "uber eats", "just eat",
        "lieferando", "glovo", "doordash", "grubhub", "supermarket", "supermarche",
        "supermercado", "carrefour", "lidl", "aldi", "tesco", "sainsbury", "sainsburys", "rewe",
        "edeka", "mercadona", "spar", "monoprix", "franprix", "albert heijn", "waitrose", "food",
        "tapas",
    )),
    ("activities", (
        "museum", "musee", "museo", "gallery", "tour", "tours", "getyourguide", "viator",
        "klook", "tiqets", "cinema", "theatre", "theater", "concert", "ticketmaster", "zoo",
        "aquarium", "excursion", "ski pass", "skipass", "spa", "eintritt", "billetterie",
    )),
    ("shopping", (
        "amazon", "zara", "uniqlo", "primark", "decathlon", "ikea", "fnac", "apple store",
        "duty free", "souvenir", "souvenirs", "boutique", "shop", "store", "mall", "pharmacy",
        "pharmacie", "apotheke", "farmacia",
    )),
)
# fmt: on


def category_hint(description: str) -> str | None:
    """A Navio expense category suggested by keywords of a description, or None.

    Keywords match whole words after folding case, accents and punctuation; the longest match
    wins ("UBER EATS" is food, "UBER" local transport), then the order of the table.
    """
    padded = f" {_fold_key(description)} "
    best: tuple[int, int] | None = None
    found: str | None = None
    for order, (category, keywords) in enumerate(_CATEGORY_KEYWORDS):
        for keyword in keywords:
            if f" {keyword} " in padded:
                score = (len(keyword), -order)
                if best is None or score > best:
                    best, found = score, category
    return found
