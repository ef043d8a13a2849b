"""Receipt OCR: a photo or scan of a receipt in, a draft expense out.

Pure module: no database, no web framework. `read_receipt` is synchronous and CPU-bound
(tesseract runs as a subprocess); callers run it in a worker thread.

Pipeline
--------
1. Validation (Pillow). Empty input, bytes Pillow cannot identify (PDF, text) and truncated
   files raise `NotAnImage`; more than `MAX_BYTES` bytes or `MAX_PIXELS` pixels raise
   `ImageTooLarge` (the pixel count is read from the header, before decoding); a missing
   tesseract binary raises `OcrUnavailable`.
2. Preprocessing. EXIF orientation is applied, transparency is flattened onto white, the
   image goes to 8-bit grayscale and photos are scaled down to `_MAX_SIDE` px.
3. OCR. Pass one reads that grayscale image with `image_to_data` (per-word confidences) in
   a single uniform block layout (`--psm 6`), which keeps a row's label and its amount on
   one line. When any field of its draft stays below `_SETTLED` confidence, pass two reads
   an enhanced copy: upscaled so that words are `_TARGET_WORD_HEIGHT` px tall (pass one
   measured them; 150 dpi scans have 12-16 px letters, too small for tesseract), then
   median-filtered (specks) and binarised with Otsu's threshold. Tesseract runs with one
   thread (`OMP_THREAD_LIMIT=1`, set in this process's environment if unset): on receipt-sized
   images its OpenMP threads mostly contend. A receipt takes 0.5-2 s on two cores.
4. Parsing. Words are grouped into lines and four heuristics run on them; each is public and
   works on plain strings too. `find_currency` comes first: it fixes the minor-unit exponent
   of the amounts (ISO 4217, `currency_exponent`) and the date order (US dollars read 03/04
   as March 4th, everything else day first). Then `find_total`, `find_date`, `find_merchant`.
5. Merging. Every pass is parsed on its own; for each field the most confident reading wins
   (the passes see the same pixels, so most of them can share one misread), and a value that
   several passes agree on gains confidence: c + (1 - c) / 4.

Confidence model
----------------
Every field's confidence in [0, 1] is a *method* confidence (how the value was found) times
an *OCR* confidence (tesseract's 0-100 word confidence scaled to 0-1, for the words the value
was read from).

* Total: a keyword ladder (GRAND TOTAL, ROUNDED TOTAL, AMOUNT/BALANCE DUE 1.0; TOTAL TTC,
  TOTAL AMOUNT, TOTAL (RM), TOTAL INCL. GST 0.9; TOTAL 0.8; AMOUNT 0.6; a card payment 0.3;
  any other amount 0.25) adjusted by arithmetic on the other numbers of the receipt: cash
  tendered minus change equals it (+0.8: three printed numbers agree), a card payment equals
  it (+0.35), it is the line after a rounding adjustment and equals the line before plus the
  adjustment (+0.3, and -0.25 for the unrounded line), subtotal plus tax or the item lines
  above add up to it (+0.2). Totals printed after the payment (tax summaries) count x0.75.
  An amount confirmed by arithmetic has OCR confidence at least 0.9: other numbers vouch for
  its digits. When cash minus change contradicts every printed amount, every candidate loses
  0.1 and that floor, and the computed amount becomes a candidate itself.
* Date: 0.95 ISO or month name, 0.9 numeric with a four-digit year, 0.8 with two digits,
  x0.85 when day and month could be swapped, +0.1 on a line labelled DATE, x0.9 when other
  dates disagree; 0.6 for digits run together ("12022018") next to a label.
* Merchant: 0.9 for the first name-like header line, 0.75 for the second or third, 0.6
  later; +0.1 with a legal form (SDN BHD, LTD, GMBH...), x0.6 when all lower case.
* Currency: 0.95 with two or more codes or symbols on money lines, 0.85 with one, 0.55 for
  markers away from amounts or only ambiguous ones ("$", "¥"; 0.7 when they agree with
  `default_currency`), 0.4 for `default_currency` alone. The OCR factor is 0.5 + conf / 2.

A field that is missing or below `REVIEW_THRESHOLD` (0.6) sets `needs_review`, with one
human-readable reason per field. `text_confidence` is the mean word confidence (0-1) of the
pass whose lines are returned.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import statistics
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

import numpy as np
import pytesseract
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError
from rapidfuzz.distance import Levenshtein

from navio.expenses.errors import ImageTooLarge, NotAnImage, OcrUnavailable
from navio.kernel.money import currency_exponent, is_currency

__all__ = [
    "MAX_BYTES",
    "MAX_PIXELS",
    "REVIEW_THRESHOLD",
    "Field",
    "OcrLine",
    "OcrWord",
    "ReceiptDraft",
    "find_currency",
    "find_date",
    "find_merchant",
    "find_total",
    "parse_amount",
    "parse_receipt",
    "read_receipt",
]

T = TypeVar("T")

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
REVIEW_THRESHOLD = 0.6

# Longest side the OCR ever sees; phone photos are scaled down to it.
_MAX_SIDE = 2400
# A first pass whose four fields all reach this confidence is not followed by a second one.
_SETTLED = 0.85
# The second pass scales the image so that confidently read words are this tall (px).
_TARGET_WORD_HEIGHT = 32.0
_MAX_OCR_PIXELS = 6_000_000
_MAX_UPSCALE = 3.0
_TESSERACT_CONFIG = "--oem 1 --psm 6"
_TESSERACT_TIMEOUT = 30  # seconds per pass
_DEFAULT_EXPONENT = 2


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True, slots=True)
class Field(Generic[T]):
    """One extracted value, how sure we are of it, and the text line it came from."""

    value: T | None = None
    confidence: float = 0.0
    source: str | None = None


@dataclass(frozen=True)
class ReceiptDraft:
    merchant: Field[str]
    date: Field[dt.date]
    total_minor: Field[int]
    currency: Field[str]
    needs_review: bool
    review_reasons: list[str]
    lines: list[str]
    text_confidence: float


@dataclass(frozen=True, slots=True)
class OcrWord:
    text: str
    confidence: float  # 0..1


@dataclass(frozen=True, slots=True)
class OcrLine:
    """A line of recognised words; `text` joins them with single spaces."""

    words: tuple[OcrWord, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def confidence(self) -> float:
        if not self.words:
            return 0.0
        return sum(w.confidence for w in self.words) / len(self.words)

    @classmethod
    def of(cls, text: str, confidence: float = 1.0) -> OcrLine:
        return cls(tuple(OcrWord(t, confidence) for t in text.split()))

    def span_confidence(self, start: int, end: int) -> float:
        """Mean confidence of the words overlapping text[start:end]."""
        confs: list[float] = []
        pos = 0
        for word in self.words:
            w_start, w_end = pos, pos + len(word.text)
            if w_start < end and w_end > start:
                confs.append(word.confidence)
            pos = w_end + 1
        return sum(confs) / len(confs) if confs else self.confidence


LineInput = OcrLine | str


def _as_lines(lines: Iterable[LineInput]) -> list[OcrLine]:
    out: list[OcrLine] = []
    for line in lines:
        ocr_line = OcrLine.of(line) if isinstance(line, str) else line
        if ocr_line.words:
            out.append(ocr_line)
    return out


# --------------------------------------------------------------------------- text helpers


def _fold(text: str) -> str:
    """Upper case without accents: 'Déc' -> 'DEC'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


# Label words compared with one OCR error allowed (words of five letters or more).
_VOCABULARY = (
    "TOTAL",
    "TOTALS",
    "SUBTOTAL",
    "ROUNDED",
    "ROUNDING",
    "ROUND",
    "ADJUSTMENT",
    "CHANGE",
    "CHARGE",
    "AMOUNT",
    "TENDERED",
    "RECEIVED",
    "BALANCE",
    "PAYABLE",
    "INCLUSIVE",
    "INCLUDING",
    "INCLUDED",
    "EXCLUSIVE",
    "EXCLUDING",
    "EXCLUDED",
    "DISCOUNT",
    "PAYMENT",
    "CREDIT",
    "DEBIT",
    "GRAND",
    "SALES",
    "MASTERCARD",
    "SAVINGS",
    "QUANTITY",
)


def _canonical(word: str) -> str:
    if len(word) < 5 or word in _VOCABULARY:
        return word
    for known in _VOCABULARY:
        if abs(len(known) - len(word)) <= 1 and Levenshtein.distance(word, known) <= 1:
            return known
    return word


def _label_words(text: str) -> list[str]:
    return [_canonical(w) for w in re.findall(r"[A-Z]+", _fold(text))]


# --------------------------------------------------------------------------- currencies

# Codes recognised as words in receipt text: the usual travel currencies. Codes that are
# also English words (ALL, CUP, TOP, TRY, PEN, SOS...) or company suffixes (BHD, as in
# "SDN BHD") are left out on purpose.
_ISO_CODES = frozenset(
    [
        "EUR",
        "USD",
        "GBP",
        "MYR",
        "SGD",
        "JPY",
        "CNY",
        "HKD",
        "TWD",
        "THB",
        "IDR",
        "PHP",
        "VND",
        "KRW",
        "INR",
        "LKR",
        "NPR",
        "AUD",
        "NZD",
        "CAD",
        "CHF",
        "SEK",
        "NOK",
        "DKK",
        "ISK",
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "BGN",
        "RSD",
        "AED",
        "SAR",
        "QAR",
        "OMR",
        "KWD",
        "JOD",
        "ILS",
        "EGP",
        "ZAR",
        "KES",
        "MXN",
        "BRL",
        "ARS",
        "CLP",
        "COP",
        "UYU",
        "MAD",
        "TND",
    ]
)
_SYMBOLS = {"€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "฿": "THB", "₫": "VND", "₱": "PHP"}
_DOLLAR_PREFIXES = {
    "US$": "USD",
    "S$": "SGD",
    "SG$": "SGD",
    "A$": "AUD",
    "AU$": "AUD",
    "C$": "CAD",
    "CA$": "CAD",
    "HK$": "HKD",
    "NZ$": "NZD",
    "NT$": "TWD",
}
_LOCAL_WORDS = {"RM": "MYR", "RP": "IDR", "RMB": "CNY", "ZL": "PLN", "KC": "CZK", "LEI": "RON"}
_DOLLAR_CURRENCIES = frozenset(
    {"USD", "SGD", "AUD", "CAD", "HKD", "NZD", "TWD", "MXN", "BRL", "ARS", "CLP", "COP"}
)
_KRONA_CURRENCIES = frozenset({"SEK", "NOK", "DKK", "ISK"})
# Markers of currencies priced in whole units: "¥280" is an amount, "£8318" likely a code.
_WHOLE_UNIT_MARKERS = frozenset({"¥", "JPY", "KRW", "VND", "ISK", "CLP", "IDR", "HUF"})
_YEN_CURRENCIES = frozenset({"JPY", "CNY"})

# Currency affixes stripped from amount tokens ("RM9.00", "9.00EUR", "$9.00", "€9,00").
_AFFIXES = sorted(
    [*_DOLLAR_PREFIXES, *_SYMBOLS, "$", "¥", "RM", *_ISO_CODES],
    key=len,
    reverse=True,
)


# Legal forms that name the country, hence the currency: a weak hint only.
_LEGAL_FORM_CURRENCY = (
    (re.compile(r"\bS[DO0]N\.?\s*B[HN]D\b|\bBERHAD\b"), "MYR"),
    (re.compile(r"\bPTE\.?\s*LTD\b"), "SGD"),
)


def _word_markers(word: str) -> list[tuple[str, bool]]:
    """(code, ambiguous) for the currency markers inside one word."""
    folded = _fold(word)
    found: list[tuple[str, bool]] = []
    for prefix, code in _DOLLAR_PREFIXES.items():
        if prefix in folded:
            found.append((code, False))
            folded = folded.replace(prefix, " ")
    for symbol, code in _SYMBOLS.items():
        found.extend((code, False) for _ in range(word.count(symbol)))
    if "¥" in word or "円" in word:
        found.append(("¥", True))
    if "$" in folded:
        found.append(("$", True))
    for letters in re.findall(r"[A-Z]+", folded):
        if letters in _ISO_CODES:
            found.append((letters, False))
        elif letters in _LOCAL_WORDS:
            found.append((_LOCAL_WORDS[letters], False))
        elif letters == "KR":
            found.append(("KR", True))
    return found


def _currency_votes(line: OcrLine) -> list[tuple[str, float, bool]]:
    """(code or ambiguous marker, weight, ambiguous) for every currency marker on a line.

    A marker glued to or next to an amount with decimals (or an integer, for currencies
    without minor units) weighs 1, a unit in parentheses ("Amount (RM)") or any marker on a
    line with an amount 0.7, other markers 0.4. "$", "¥" and "kr" count only next to an
    amount.
    """
    words = [w.text for w in line.words]
    parsed = [_parse_amount_token(w, _DEFAULT_EXPONENT) for w in words]
    # Amounts with decimals only: OCR turns S into $ and E into £ in codes like "CS0003".
    # Currencies without minor units (yen, won, dong) are written as integers, though.
    with_decimals = [p is not None and p[1] > 0 for p in parsed]
    integers = [p is not None and p[1] == 0 for p in parsed]
    money_line = any(with_decimals)
    votes: list[tuple[str, float, bool]] = []
    for i, word in enumerate(words):
        markers = _word_markers(word)
        if not markers:
            continue
        near = [j for j in (i - 1, i, i + 1) if 0 <= j < len(words)]
        declared = re.fullmatch(r"\([A-Z]{2,3}\)\W*", _fold(word)) is not None  # "(RM)"
        for code, ambiguous in markers:
            adjacent = any(with_decimals[j] for j in near) or (
                code in _WHOLE_UNIT_MARKERS and any(integers[j] for j in near)
            )
            if ambiguous and not adjacent:
                continue
            weight = 1.0 if adjacent else 0.7 if money_line or declared else 0.4
            votes.append((code, weight, ambiguous))
    folded = _fold(line.text)
    for pattern, code in _LEGAL_FORM_CURRENCY:
        if pattern.search(folded):
            votes.append((code, 0.4, True))
    return votes


def find_currency(lines: Iterable[LineInput], default_currency: str | None = None) -> Field[str]:
    """Currency from ISO codes, symbols and local words ("RM"); `default_currency` fallback.

    Every marker votes (see `_currency_votes`); the code with the most weight wins. A bare
    "$" is the default when that is a dollar currency, else USD; "¥" JPY (CNY with 元) or a
    yen/yuan default; "kr" only a krona default. A legal form (SDN BHD, PTE LTD) is a weak
    hint. Method confidence: 0.95 with two or more clear markers on money lines, 0.85 with
    one, 0.55 with clear markers only away from amounts or ambiguous ones only (0.7 when
    these agree with the default), 0.4 for the default alone.
    """
    ocr_lines = _as_lines(lines)
    default = default_currency.upper() if default_currency else None
    if default is not None and not is_currency(default):
        default = None
    scores: dict[str, float] = {}
    strong: dict[str, int] = {}
    clear: dict[str, int] = {}
    sources: dict[str, tuple[float, OcrLine]] = {}
    for line in ocr_lines:
        for marker, weight, ambiguous in _currency_votes(line):
            code: str | None = marker
            if marker == "$":
                code = default if default in _DOLLAR_CURRENCIES else "USD"
            elif marker == "¥":
                code = default if default in _YEN_CURRENCIES else "JPY"
                if "元" in line.text:
                    code = "CNY"
            elif marker == "KR":
                code = default if default in _KRONA_CURRENCIES else None
            if code is None:
                continue
            vote = weight * (0.5 if ambiguous else 1.0)
            scores[code] = scores.get(code, 0.0) + vote
            if not ambiguous:
                clear[code] = clear.get(code, 0) + 1
                if weight >= 0.7:
                    strong[code] = strong.get(code, 0) + 1
            if code not in sources or vote * line.confidence > sources[code][0]:
                sources[code] = (vote * line.confidence, line)
    if scores:
        code = max(scores, key=lambda c: (scores[c], c == default))
        if strong.get(code, 0) >= 2:
            method = 0.95
        elif strong.get(code, 0) == 1:
            method = 0.85
        elif clear.get(code, 0):  # only away from amounts ("Prices in EUR", "£8318")
            method = 0.55
        else:
            method = 0.7 if code == default else 0.55
        line = sources[code][1]
        ocr = min(1.0, 0.5 + line.confidence / 2)
        return Field(code, round(method * ocr, 3), line.text)
    if default is not None:
        return Field(default, 0.4, None)
    return Field()


# --------------------------------------------------------------------------- amounts

_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "D": "0", "S": "5", "l": "1", "I": "1", "|": "1"})
_NUMBER = re.compile(r"\d{1,3}(?:[,.'\u2019]\d{3})+(?:[.,]\d{1,3})?|\d+(?:[.,]\d{1,3})?")
# quotes (straight and curly), brackets and specks that stick to words
_QUOTES = "\"'\u201c\u201d\u2018\u2019`"
_EDGE_JUNK = _QUOTES + ":;|()[]{}<>*~_=,!?\u00bb\u00ab\u00b7"
_MINUS = ("-", "\u2212", "\u2013")  # hyphen, minus sign, en dash


@dataclass(frozen=True, slots=True)
class _Amount:
    value: Decimal
    decimals: int  # digits written after the decimal separator
    negative: bool
    affixed: bool  # written with a currency symbol or code
    confidence: float
    position: int  # word index in the line
    recovered: bool = False  # decimal point restored (lost by the OCR)


def _number_value(digits: str, exponent: int) -> tuple[Decimal, int] | None:
    """'1,234.56' -> (1234.56, 2); '33,92' -> (33.92, 2); '1.200' -> (1200, 0)."""
    last = max(digits.rfind("."), digits.rfind(","))
    if last < 0:
        return Decimal(digits), 0
    tail = digits[last + 1 :]
    head = digits[:last]
    separators = set(re.sub(r"\d", "", head))
    decimal_point = len(tail) in (1, 2) or (
        len(tail) == 3 and (exponent == 3 or bool(separators - {digits[last]}))
    )
    if not decimal_point:
        return Decimal(re.sub(r"\D", "", digits)), 0
    try:
        return Decimal(re.sub(r"\D", "", head) + "." + tail), len(tail)
    except InvalidOperation:
        return None


def parse_amount(token: str, exponent: int = _DEFAULT_EXPONENT) -> Decimal | None:
    """One word as an amount, tolerant of OCR noise; None when it is not one.

    Accepts currency affixes ("RM9.00", "9,00€", "$1,234.50"), a leading minus, comma or
    point decimals, thousands separators, and common letter-for-digit confusions when the
    word is otherwise numeric ("9.6O", "S4.00"). Percentages are not amounts.
    """
    parsed = _parse_amount_token(token, exponent)
    if parsed is None:
        return None
    value, _, negative, _ = parsed
    return -value if negative else value


def _parse_amount_token(token: str, exponent: int) -> tuple[Decimal, int, bool, bool] | None:
    text = token.strip().strip(_EDGE_JUNK).rstrip(".")
    if not text or text.endswith("%"):
        return None
    negative = False
    if text.startswith(_MINUS):
        negative, text = True, text[1:]
    affixed = False
    upper = _fold(text)
    for affix in _AFFIXES:
        if upper.startswith(affix):
            text, upper, affixed = text[len(affix) :], upper[len(affix) :], True
            break
    for affix in _AFFIXES:
        if upper.endswith(affix) and len(upper) > len(affix):
            text, affixed = text[: -len(affix)], True
            break
    text = text.strip().strip(_EDGE_JUNK).rstrip(".")
    if text.startswith(_MINUS):
        negative, text = True, text[1:]
    if not text or sum(c.isdigit() for c in text) < 1:
        return None
    if not _NUMBER.fullmatch(text):
        fixed = text.translate(_OCR_DIGITS)
        # letters stand in for digits only in a word that is mostly digits with decimals
        if (
            sum(c.isdigit() for c in text) < 2
            or not re.fullmatch(r"\d+[.,]\d{2}", fixed)
            or sum(c.isalpha() for c in text) > 1
        ):
            return None
        text = fixed
    if len(re.sub(r"\D", "", text)) > 9:  # barcodes, phone and card numbers
        return None
    number = _number_value(text, exponent)
    if number is None:
        return None
    return number[0], number[1], negative, affixed


def _amount_tokens(line: OcrLine, exponent: int, *, money_line: bool = False) -> list[_Amount]:
    """The amounts written on a line, left to right.

    On a `money_line` (a total, payment or tax line of a receipt that writes its amounts with
    decimals) two OCR slips are repaired: a lost decimal point ("3100" -> 31.00, marked
    `recovered`) and a point read as a space ("31 00" at the end of the line).
    """
    out: list[_Amount] = []
    words = line.words
    i = 0
    while i < len(words):
        word = words[i]
        if i + 1 < len(words) and words[i + 1].text.startswith("%"):
            i += 1
            continue
        if money_line and exponent > 0 and i + 1 < len(words):
            head = word.text.strip(_EDGE_JUNK)
            tail = words[i + 1].text.strip(_EDGE_JUNK).rstrip(".")
            rest = words[i + 2 :]
            if (
                re.fullmatch(r"\d{1,6}", head)
                and re.fullmatch(rf"\d{{{exponent}}}", tail)
                and not any(c.isalnum() for w in rest for c in w.text)
            ):
                confidence = min(word.confidence, words[i + 1].confidence)
                value = Decimal(f"{head}.{tail}")
                out.append(_Amount(value, exponent, False, False, confidence, i, True))
                i += 2
                continue
        parsed = _parse_amount_token(word.text, exponent)
        if parsed is None:
            i += 1
            continue
        value, decimals, negative, affixed = parsed
        # a minus or currency code written as its own word just before the number
        if i > 0:
            previous = words[i - 1].text.strip(_EDGE_JUNK)
            if previous in _MINUS or (
                previous.startswith(_MINUS) and _fold(previous[1:]) in _AFFIXES
            ):
                negative = True
            if _fold(previous.lstrip("-")) in _AFFIXES:
                affixed = True
        plausible_decimals = decimals == exponent or (decimals == 0 and (exponent == 0 or affixed))
        if not plausible_decimals and decimals != 0:
            i += 1
            continue
        recovered = False
        if money_line and decimals == 0 and exponent > 0 and len(str(value)) > exponent:
            value, decimals, recovered = value.scaleb(-exponent), exponent, True
        out.append(_Amount(value, decimals, negative, affixed, word.confidence, i, recovered))
        i += 1
    return out


def _to_minor(value: Decimal, exponent: int) -> int:
    return int((value * (Decimal(10) ** exponent)).to_integral_value(rounding=ROUND_HALF_EVEN))


# --------------------------------------------------------------------------- total

_TAX_WORDS = frozenset({"GST", "TAX", "VAT", "TVA", "SST", "MWST", "UST", "IVA", "HST", "PST"})
_PAYMENT_WORDS = frozenset(
    {
        "CASH",
        "TENDERED",
        "TENDER",
        "RECEIVED",
        "PAID",
        "PAYMENT",
        "VISA",
        "MASTERCARD",
        "MASTER",
        "AMEX",
        "CARD",
        "CB",
        "CREDIT",
        "DEBIT",
        "EFTPOS",
        "NETS",
        "ESPECES",
        "CARTE",
        "BAR",
        "EC",
        "GIROCARD",
        "EFECTIVO",
        "TARJETA",
    }
)
_CHANGE_WORDS = frozenset({"CHANGE", "RENDU", "MONNAIE", "RUCKGELD", "CAMBIO", "VUELTO"})
_EXCLUDE_WORDS = frozenset(
    {
        "QTY",
        "QUANTITY",
        "ITEMS",
        "ITEM",
        "PCS",
        "QTE",
        "DISCOUNT",
        "DISC",
        "SAVINGS",
        "SAVED",
        "VOUCHER",
        "COUPON",
        "POINTS",
        "TIP",
        "TIPS",
        "POURBOIRE",
        "DEPOSIT",
        "HT",
        "NETTO",
    }
)


_CODES_PATTERN = "|".join(sorted({*_ISO_CODES, *_LOCAL_WORDS}))


@dataclass(frozen=True, slots=True)
class _LineKind:
    total_tier: float  # 0 when the line is not a total line
    payment: bool
    change: bool
    rounding: bool
    subtotal: bool
    tax: bool

    @property
    def money(self) -> bool:
        """A line whose amount is a total, payment, change, rounding, subtotal or tax."""
        return bool(self.total_tier) or any(
            (self.payment, self.change, self.rounding, self.subtotal, self.tax)
        )


def _misread_tax_after_total(words: list[str]) -> bool:
    """'TOTAL GS7', 'TOTAL OST': a short word one letter off a tax name right after TOTAL."""
    if len(words) < 2 or words[0] != "TOTAL":
        return False
    word = words[1]
    if not 2 <= len(word) <= 3 or word in _ISO_CODES or word in _LOCAL_WORDS:
        return False
    return any(Levenshtein.distance(word, tax) <= 1 for tax in _TAX_WORDS if len(tax) == 3)


def _classify(line: OcrLine) -> _LineKind:
    words = _label_words(line.text)
    compact = "".join(words)
    text = _fold(line.text)
    has = set(words)
    subtotal = (
        "UBTOTAL" in compact
        or "SOUSTOTAL" in compact
        or "ZWISCHENSUMME" in compact
        or any(w.startswith("EXCL") for w in words)
        or "BEFORE" in has
    )
    incl = any(w.startswith(("INCL", "INKL")) for w in words) or "TTC" in has
    percent = "%" in line.text
    head = words[:2]
    tax = (
        (bool(has & _TAX_WORDS) and (percent or any(w in _TAX_WORDS for w in head)) and not incl)
        or (bool(has & _TAX_WORDS) and percent)
        or "DONT" in head
        or _misread_tax_after_total(words)
    )
    change = bool(has & _CHANGE_WORDS)
    rounding = (
        "ROUNDING" in has or "ADJUSTMENT" in has or ("ROUND" in has and "TOTAL" not in has)
    ) and "TOTAL" not in has
    payment = bool(has & _PAYMENT_WORDS) and not change
    excluded = bool(has & _EXCLUDE_WORDS) or any(
        compact.startswith(p) for p in ("TOTALQTY", "TOTALITEM", "TOTALDISC")
    )
    tier = 0.0
    if not (subtotal or tax or change or rounding or excluded or payment):
        joined = " ".join(words)
        if re.search(
            r"\b(GRAND TOTAL|GRANDTOTAL|ROUNDED TOTAL|ROUND\w*( [A-Z])? TOTAL|TOTAL ROUND\w*|"
            r"(AMOUNT|BALANCE|TOTAL|MONTANT) (DUE|PAYABLE|TO PAY|A PAYER)|NET A PAYER|"
            r"A PAYER|ZU ZAHLEN|NET TO PAY|A PAGAR|DA PAGARE)\b",
            joined,
        ):
            tier = 1.0
        elif re.search(
            r"\b(TOTAL (TTC|INCL\w*|INKL\w*|AMOUNT|AMT|SALES INCL\w*|" + _CODES_PATTERN + r")|"
            r"NET TOTAL|NET AMOUNT|GESAMT\w*|SUMME|TOTALE|IMPORTE|TOTAL\b.*\bINCL\w*)",
            joined,
        ) and not re.search(r"\bTOTAL (THE|AND|OF|FOR|QTY)\b", joined):
            tier = 0.9
        elif "TOTAL" in has or "TOTALS" in has or "AMOUNT" in has:
            tier = 0.8 if "TOTAL" in has or "TOTALS" in has else 0.6
    if tier and text.count("TOTAL") > 1 and "GRAND" not in has:
        tier = min(tier, 0.8)
    return _LineKind(tier, payment, change, rounding, subtotal, tax)


@dataclass(frozen=True, slots=True)
class _Candidate:
    value: Decimal
    score: float
    ocr: float
    index: int  # line index


def find_total(lines: Iterable[LineInput], currency: str | None = None) -> Field[int]:
    """The amount paid, in minor units of `currency` (exponent 2 when unknown).

    Candidates are the right-most amount of lines labelled as a total, scored by a keyword
    ladder (grand/rounded/due > total incl./TTC/amount/(RM) > total > other amounts);
    subtotals, taxes, quantities, discounts, rounding adjustments, payments and change are
    never candidates themselves but corroborate or contradict one:

    * cash tendered minus change, or a card payment, equal to the candidate;
    * the rounding adjustment: the line after it should be the line before it plus the
      adjustment; when it is not, the arithmetic names the misread one;
    * subtotal plus tax, and the sum of the item lines above the first total.

    Totals printed after the payment lines (tax summaries) count less.
    """
    ocr_lines = _as_lines(lines)
    exponent = _exponent(currency)
    scored = _score_totals(ocr_lines, exponent)
    if not scored:
        return Field()
    # ties: the later line wins (a grand total follows the plain total)
    score, ocr, best = max(scored, key=lambda s: (round(s[0] * s[1], 6), s[2].index))
    method = max(0.0, min(1.0, score))
    source = ocr_lines[best.index].text
    return Field(_to_minor(best.value, exponent), round(method * ocr, 3), source)


def _score_totals(
    ocr_lines: Sequence[OcrLine], exponent: int
) -> list[tuple[float, float, _Candidate]]:
    """(method score, OCR confidence, candidate) for every total candidate.

    The OCR confidence is the amount word's, or at least 0.9 when other numbers on the
    receipt confirm the value (its digits are then not in doubt).
    """
    kinds = [_classify(line) for line in ocr_lines]
    plain = [_amount_tokens(line, exponent) for line in ocr_lines]
    written = [a for found in plain for a in found]
    # Amounts are mostly written with decimals: an integer on a total line is then likely a
    # lost decimal point. Small integers (quantities) and long ones (codes) do not count.
    with_decimals = sum(a.decimals == exponent for a in written)
    integers = sum(a.decimals == 0 and 3 <= len(str(a.value)) <= 6 for a in written)
    decimal_style = exponent > 0 and with_decimals >= 2 and with_decimals >= integers
    amounts = [
        _amount_tokens(line, exponent, money_line=True) if decimal_style and kind.money else found
        for line, kind, found in zip(ocr_lines, kinds, plain, strict=True)
    ]
    first_payment = next(
        (i for i, k in enumerate(kinds) if (k.payment or k.change) and amounts[i]),
        len(ocr_lines),
    )
    candidates: dict[Decimal, _Candidate] = {}

    def offer(value: Decimal, score: float, ocr: float, index: int) -> None:
        current = candidates.get(value)
        if current is None or score > current.score:
            candidates[value] = _Candidate(value, score, ocr, index)

    payments: list[tuple[_Amount, int]] = []
    changes: list[tuple[_Amount, int]] = []
    subtotals: list[Decimal] = []
    taxes: list[Decimal] = []
    # right-most positive amount of total, subtotal and other candidate lines
    line_value: dict[int, Decimal] = {}
    keyword_hits: dict[Decimal, int] = {}
    for i, (kind, found) in enumerate(zip(kinds, amounts, strict=True)):
        if not found:
            continue
        last = found[-1]
        if kind.change:
            changes.append((last, i))
        elif kind.payment and not last.negative:
            payments.append((last, i))
        elif kind.subtotal and not last.negative:
            subtotals.append(last.value)
            line_value[i] = last.value
        elif kind.tax and not last.negative:
            taxes.append(last.value)
        positive = [a for a in found if not a.negative and a.value > 0]
        if kind.total_tier and positive:
            chosen = positive[-1]
            score = kind.total_tier
            if i > first_payment:  # tax summaries follow the payment
                score *= 0.75
            if len(positive) > 1:
                score *= 0.9
            if chosen.recovered:
                score *= 0.75
            elif chosen.decimals == 0 and exponent > 0:
                score *= 0.85
            offer(chosen.value, score, chosen.confidence, i)
            keyword_hits[chosen.value] = keyword_hits.get(chosen.value, 0) + 1
            line_value[i] = chosen.value
        elif not (kind.payment or kind.change or kind.rounding or kind.tax or kind.subtotal):
            for amount in positive:
                if amount.decimals == exponent or amount.affixed:
                    offer(amount.value, 0.25, amount.confidence, i)
            if positive:
                line_value[i] = positive[-1].value
    no_change = not any(c.value > 0 for c, _ in changes)
    if no_change:
        # paid by card, or exactly: the payment is a candidate of its own (a receipt that
        # labels no total still says what was paid)
        for p, index in payments:
            if p.value > 0:
                offer(p.value, 0.3, p.confidence, index)
    if not candidates:
        return []

    bonus: dict[Decimal, float] = dict.fromkeys(candidates, 0.0)
    confirmed: set[Decimal] = set()

    def add(value: Decimal, amount: float, confirms: bool = True) -> None:
        if value in bonus:
            bonus[value] += amount
            if confirms and amount > 0:
                confirmed.add(value)

    # cash minus change: three printed numbers agreeing is near proof of the amount paid
    paid: dict[Decimal, tuple[float, int]] = {}
    for p, _ in payments:
        for c, c_index in changes:
            if c.value > 0 and p.value - c.value > 0:
                paid[p.value - c.value] = (min(p.confidence, c.confidence), c_index)
    exact_payments = {p.value for p, _ in payments} if no_change else set()
    for value in candidates:
        if value in paid:
            add(value, 0.8)
        elif value in exact_payments:
            add(value, 0.35)
        if keyword_hits.get(value, 0) > 1:
            add(value, 0.1)
        if any(sub + tax == value for sub in subtotals for tax in taxes):
            add(value, 0.2)
    _rounding_evidence(kinds, amounts, line_value, set(candidates), add)
    if paid and not paid.keys() & candidates.keys():
        _computed_payment(paid, candidates, bonus)
    _item_sum_evidence(kinds, line_value, keyword_hits, add)

    # A total that cash minus change contradicts loses its confirmation by other lines: one
    # side is misread, and only the word's own confidence can tell which.
    contradicted = {v for v in candidates if paid and v not in paid}
    for value in contradicted:
        bonus[value] -= 0.1
    return [
        (
            c.score + bonus[c.value],
            max(c.ocr, 0.9) if c.value in confirmed - contradicted else c.ocr,
            c,
        )
        for c in candidates.values()
    ]


def _one_glyph_apart(a: Decimal, b: Decimal) -> bool:
    return Levenshtein.distance(format(a, "f"), format(b, "f")) == 1


def _computed_payment(
    paid: dict[Decimal, tuple[float, int]],
    candidates: dict[Decimal, _Candidate],
    bonus: dict[Decimal, float],
) -> None:
    """Tendered minus change matches no printed amount.

    A labelled total one glyph away from it ("34.00" against 101.00 - 70.00) was probably
    misread: offer the computed amount, which outranks that total only when the total's own
    digits are less certain than the payment's.
    """
    labelled = [c for c in candidates.values() if c.score >= 0.5]
    for value, (confidence, index) in paid.items():
        score = 0.45
        for total in labelled:
            if _one_glyph_apart(total.value, value) and total.ocr < confidence:
                score += 0.3
                bonus[total.value] -= 0.2
        candidates[value] = _Candidate(value, score, confidence, index)
        bonus[value] = 0.0


def _rounding_evidence(
    kinds: Sequence[_LineKind],
    amounts: Sequence[list[_Amount]],
    line_value: dict[int, Decimal],
    present: set[Decimal],
    add: Callable[[Decimal, float, bool], None],
) -> None:
    """Before + adjustment = after, around every rounding line (sign lost by OCR allowed).

    `present` are the candidate values: without a line after the adjustment, the adjusted
    value confirms itself only when it is printed somewhere.
    """
    for k, kind in enumerate(kinds):
        if not kind.rounding or not amounts[k]:
            continue
        last = amounts[k][-1]
        adjustment = abs(last.value)
        above = [j for j in range(max(0, k - 3), k) if j in line_value]
        below: list[int] = []
        for j in range(k + 1, min(len(kinds), k + 4)):
            if kinds[j].payment or kinds[j].change:
                break
            if j in line_value:
                below.append(j)
                break
        if not above:
            continue
        before = line_value[above[-1]]
        expected = {before + adjustment, before - adjustment}
        if below:
            after = line_value[below[0]]
            if after in expected:
                add(after, 0.3, True)
                if adjustment:
                    add(before, -0.25, True)
                continue
            named = expected & set(line_value.values())
            if named:
                # one of the two is misread; trust the arithmetic when it names a printed value
                for value in named:
                    add(value, 0.2, False)
                add(after, -0.15, True)
        else:
            adjusted = {v for v in expected if v != before and v in present}
            for value in adjusted:
                add(value, 0.3, True)
            if adjusted:
                add(before, -0.25, True)


def _item_sum_evidence(
    kinds: Sequence[_LineKind],
    line_value: dict[int, Decimal],
    keyword_hits: dict[Decimal, int],
    add: Callable[[Decimal, float, bool], None],
) -> None:
    """Item lines just above the first total that add up to a labelled total."""
    first_total = next((i for i, k in enumerate(kinds) if k.total_tier or k.subtotal), None)
    if first_total is None:
        return
    running = Decimal(0)
    sums: set[Decimal] = set()
    for i in range(first_total - 1, -1, -1):
        if kinds[i].money:
            break
        if i in line_value:
            running += line_value[i]
            sums.add(running)
    for value in sums:
        if value in keyword_hits:
            add(value, 0.2, True)


def _exponent(currency: str | None) -> int:
    if currency:
        try:
            return currency_exponent(currency)
        except ValueError:
            return _DEFAULT_EXPONENT
    return _DEFAULT_EXPONENT


# --------------------------------------------------------------------------- date

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan janvier janv januar jan enero ene gennaio gen",
        "february feb fevrier fevr fev februar febrero febbraio",
        "march mar mars marz maerz marzo",
        "april apr avril avr abril abr aprile",
        "may mai mayo maggio mag",
        "june jun juin juni junio giugno giu",
        "july jul juillet juil juli julio luglio lug",
        "august aug aout august agosto ago",
        "september sep sept septembre septiembre setiembre settembre set",
        "october oct octobre oktober okt octubre ottobre ott",
        "november nov novembre noviembre",
        "december dec decembre dezember dez diciembre dic dicembre",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name.upper()] = _number

_DATE_LABEL = re.compile(r"\b(DATE|DATUM|FECHA|DATA|DT)\b")
_NUMERIC_DATE = re.compile(
    r"(?<![\w.,/-])(\d{1,4})([/.\-])(\d{1,2})[/.\-](\d{2,4})(?![\d/]|[.,]\d)"
)
_COMPACT_DATE = re.compile(r"(?<!\d)(\d{8})(?!\d)")
_DAY_MONTH_NAME = re.compile(
    r"(?<!\d)(\d{1,2})(?:ST|ND|RD|TH|ER)?[\s./-]*([A-Z]{3,9})\.?[\s./,-]*(\d{4}|\d{2})(?!\d)"
)
_MONTH_NAME_DAY = re.compile(r"\b([A-Z]{3,9})\.?\s*(\d{1,2})(?:ST|ND|RD|TH)?,?\s+(\d{4})(?!\d)")
_DATE_TOKEN_FIX = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})


def _date_text(text: str) -> str:
    """Fix letter-for-digit confusions inside date-like words ('l2/O1/2019')."""

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if sum(c.isdigit() for c in word) >= 4:
            return word.translate(_DATE_TOKEN_FIX)
        return word

    return re.sub(r"[\dOolI|]+(?:[/.\-][\dOolI|]+){2}", fix, text)


def _year(raw: str, today: dt.date) -> int | None:
    if len(raw) == 4:
        return int(raw)
    if len(raw) == 2:
        short = int(raw)
        return 2000 + short if short <= today.year % 100 + 1 else 1900 + short
    return None


def _plausible(day: dt.date, today: dt.date) -> bool:
    return today.replace(year=today.year - 30) <= day <= today + dt.timedelta(days=366)


def _make_date(year: int, month: int, day: int, today: dt.date) -> dt.date | None:
    try:
        result = dt.date(year, month, day)
    except ValueError:
        return None
    return result if _plausible(result, today) else None


def _date_candidates(
    text: str, month_first: bool, today: dt.date
) -> list[tuple[dt.date, float, int, int]]:
    """(date, method confidence, start, end) for every date written in `text`."""
    out: list[tuple[dt.date, float, int, int]] = []
    upper = _fold(text)
    for m in _NUMERIC_DATE.finditer(text):
        a, b, c = m.group(1), m.group(3), m.group(4)
        if len(a) == 4:  # ISO order
            year = int(a)
            found = _make_date(year, int(b), int(c), today)
            if found:
                out.append((found, 0.95, m.start(), m.end()))
            continue
        if len(a) == 3:
            continue
        year_or_none = _year(c, today)
        if year_or_none is None:
            continue
        first, second = int(a), int(b)
        orders = [(second, first), (first, second)]  # (month, day): day first
        if month_first:
            orders.reverse()
        valid = [
            (d, month, day)
            for month, day in orders
            if (d := _make_date(year_or_none, month, day, today)) is not None
        ]
        if not valid:
            continue
        method = 0.9 if len(c) == 4 else 0.8
        if len(valid) == 2 and valid[0][0] != valid[1][0]:
            method *= 0.85  # 03/04: order chosen by preference
        out.append((valid[0][0], method, m.start(), m.end()))
    for m in _DAY_MONTH_NAME.finditer(upper):
        month = _MONTHS.get(m.group(2))
        year_or_none = _year(m.group(3), today)
        if month and year_or_none:
            found = _make_date(year_or_none, month, int(m.group(1)), today)
            if found:
                out.append((found, 0.95 if len(m.group(3)) == 4 else 0.85, m.start(), m.end()))
    for m in _MONTH_NAME_DAY.finditer(upper):
        month = _MONTHS.get(m.group(1))
        if month:
            found = _make_date(int(m.group(3)), month, int(m.group(2)), today)
            if found:
                out.append((found, 0.95, m.start(), m.end()))
    if not out and _DATE_LABEL.search(upper):
        # "Date 12022018": separators lost by the OCR, only trusted next to a label
        for m in _COMPACT_DATE.finditer(text):
            digits = m.group(1)
            for yy, mm, dd in (
                (digits[4:], digits[2:4], digits[:2]),
                (digits[:4], digits[4:6], digits[6:]),
            ):
                found = _make_date(int(yy), int(mm), int(dd), today)
                if found:
                    out.append((found, 0.6, m.start(), m.end()))
                    break
    return out


def find_date(
    lines: Iterable[LineInput], *, month_first: bool = False, today: dt.date | None = None
) -> Field[dt.date]:
    """The transaction date: numeric (dd/mm/yyyy, dd-mm-yy, dd.mm.yyyy, yyyy-mm-dd) or with
    a month name ("25 Dec 2018", "Dec 25, 2018", "14 juin 2026").

    Day first unless that is impossible or `month_first` (US receipts). Years more than 30
    years back or more than a year ahead of `today` are rejected. A date on a line labelled
    DATE wins; otherwise the first date on the receipt (later ones are often due dates or
    expiry dates), with lower confidence when several different dates appear.
    """
    ocr_lines = _as_lines(lines)
    today = today or dt.date.today()
    found: list[tuple[float, int, dt.date, OcrLine, float]] = []
    for index, line in enumerate(ocr_lines):
        text = _date_text(line.text)
        labelled = bool(_DATE_LABEL.search(_fold(text)))
        for value, method, start, end in _date_candidates(text, month_first, today):
            if labelled:
                method = min(1.0, method + 0.1)
            found.append((method, index, value, line, line.span_confidence(start, end)))
    if not found:
        return Field()
    # best method first, then the earliest line
    method, _, value, line, ocr = max(found, key=lambda f: (f[0], -f[1]))
    if len({f[2] for f in found}) > 1 and method < 0.95:
        method *= 0.9
    return Field(value, round(method * ocr, 3), line.text)


# --------------------------------------------------------------------------- merchant

# Legal forms (OCR-tolerant for SDN BHD: "SON BHD", "SDN. BHD.").
_COMPANY_SUFFIX = re.compile(
    r"\b(S[DO0]N\.?,?\s*B[HN]D|BHD|BERHAD|LTD|LIMITED|LLC|L\.L\.C|INC|CORP|CORPORATION|PLC|"
    r"GMBH|SARL|SAS|SASU|EURL|S\.A\.?S?|S\.R\.L|S\.L|S\.P\.A|SPA|SRL|B\.V|N\.V|PTE|PTY|"
    r"OY|A/S|APS|K\.K)(?![\w])"
)
# Words that name a kind of business: a smaller bonus than a legal form.
_BUSINESS_WORD = re.compile(
    r"\b(ENTERPRISES?|TRADING|RESTAURANTS?|RESTAURANT|CAFE|COFFEE|BAR|BISTRO|BRASSERIE|HOTEL|"
    r"BAKERY|BOULANGERIE|PHARMACY|PHARMACIE|SUPERMARKET|MART|MARKET|STORES?|SHOP|BOUTIQUE|"
    r"PERNIAGAAN|KEDAI|MACHINERY|MOTORS?|GIFT|TRADERS?)\b"
)
_NOT_A_NAME = re.compile(
    r"(\b(TEL|TELEPHONE|PHONE|FAX|HP|MOBILE|WHATSAPP|EMAIL|E-MAIL|WWW|HTTP\S*|GST|VAT|TVA|SST|"
    r"ABN|ACN|SIRET|SIREN|NIF|CIF|UST|TAX|REG|REGN|REGISTRATION|COMPANY NO|CO NO|JALAN|JLN|"
    r"LORONG|TAMAN|PERSIARAN|ROAD|RD|STREET|AVENUE|AVE|BOULEVARD|BLVD|LANE|HIGHWAY|RUE|"
    r"PLACE|STRASSE|STR|PLATZ|VIA|CALLE|LOT|LEVEL|FLOOR|BLOCK|SUITE|UNIT|RECEIPT|INVOICE|BILL|"
    r"TABLE|DATE|TIME|CASHIER|ORDER|DOCUMENT|DOC|MEMBER|WELCOME|THANK|THANKS|SIMPLIFIED|"
    r"FORMERLY|LICENSEE|OPERATOR|SERVER|GUEST|COVERS?|COUVERTS?)\b|@|\.COM\b|"
    r"\d{2,4}[ -]\d{3,4}[ -]?\d{3,4}|\b\d{5}\b|^\W*NO\.?\s*\d|"
    r"\(?\b[A-Z]{0,3}\d{5,}[-\s]?[A-Z]?\b\)?)"
)
_DOCUMENT_TITLE = re.compile(
    r"\b(RECEIPT|INVOICE|TAX INVOICE|CASH BILL|CASH SALES?|FACTURE|TICKET|QUITTUNG|RECHNUNG|"
    r"KASSENBON|RECIBO|FACTURA|BON)\b"
)
_HEADER_LINES = 12


_ABBREVIATION = re.compile(r"^(?:[A-Z]\.)+$|^(CO|INC|LTD|BHD|SDN|CORP|ST|MR|MRS|DR|NO|S\.A)\.$")


def _clean_name(line: OcrLine) -> tuple[str, float]:
    """The line without leading/trailing noise words; returns (text, mean confidence).

    Noise: words without letters or digits, very unsure short words, and lower-case or
    symbol-laden fragments at the edges of an upper-case line (specks read as letters).
    """
    words = list(line.words)
    caps_line = sum(w.text.isupper() for w in words) * 2 > len(words)

    def noise(word: OcrWord) -> bool:
        alnum = sum(c.isalnum() for c in word.text)
        if alnum == 0 or (alnum <= 2 and word.confidence < 0.4):
            return True
        odd_case = caps_line and any(c.islower() for c in word.text)
        garbled = re.search(r"[^\w'&.,()\-]", word.text) is not None
        return (odd_case or garbled) and word.confidence < 0.5

    while words and noise(words[0]):
        words.pop(0)
    while words and noise(words[-1]):
        words.pop()
    if not words:
        return "", 0.0
    texts = [w.text for w in words]
    # a stray point inside a name ("CAFE DE. FLORE"), not an abbreviation ("S.H.H.", "CO.")
    texts = [
        t[:-1] if t.endswith(".") and n < len(texts) - 1 and not _ABBREVIATION.match(t) else t
        for n, t in enumerate(texts)
    ]
    text = " ".join(t for t in texts if t).strip(" :;|~_=*-,\u00b7" + _QUOTES)
    return text, sum(w.confidence for w in words) / len(words)


def find_merchant(lines: Iterable[LineInput]) -> Field[str]:
    """The merchant: the first name-like line of the receipt header.

    The header is the lines before the first date, amount or document title (RECEIPT,
    INVOICE, CASH BILL); when that leaves nothing, the first dozen lines. Addresses, phone
    numbers, tax and registration ids, and lines that are mostly digits are skipped. Each
    remaining line scores 0.8 ** rank, x1.3 with a legal form (SDN BHD, LTD, LLC, GMBH, SARL,
    S.A., INC...) or x1.15 with a business word (TRADING, RESTAURANT, CAFE...), x0.4 when
    written all in lower case (handwriting and notes rarely are a printed header), x0.5 when
    it starts with a digit, times its OCR confidence.
    """
    ocr_lines = _as_lines(lines)
    today = dt.date.today()

    def dated_or_priced(line: OcrLine) -> bool:
        return bool(
            _date_candidates(_date_text(line.text), False, today)
            or any(a.decimals for a in _amount_tokens(line, _DEFAULT_EXPONENT))
        )

    header: list[OcrLine] = []
    for line in ocr_lines[:_HEADER_LINES]:
        if dated_or_priced(line) or (_DOCUMENT_TITLE.search(_fold(line.text)) and header):
            break
        header.append(line)
    fallback = [line for line in ocr_lines[:_HEADER_LINES] if not dated_or_priced(line)]
    best: tuple[float, str, float, OcrLine, bool, int] | None = None
    for pool in (header, fallback):
        rank = 0
        for line in pool:
            text, ocr = _clean_name(line)
            folded = _fold(text)
            letters = sum(c.isalpha() for c in text)
            visible = sum(not c.isspace() for c in text)
            if letters < 3 or letters < 0.5 * visible or ocr < 0.45:
                continue
            suffix = bool(_COMPANY_SUFFIX.search(folded))
            if _NOT_A_NAME.search(folded) and not (suffix and not re.search(r"\d{3}", folded)):
                continue
            if _DOCUMENT_TITLE.fullmatch(folded.strip(" -~*=")):
                continue
            score = 0.8**rank * ocr
            if suffix:
                score *= 1.3
            elif _BUSINESS_WORD.search(folded):
                score *= 1.15
            if text == text.lower():
                score *= 0.4
            if re.match(r"\d", text):
                score *= 0.5
            if best is None or score > best[0]:
                best = (score, text, ocr, line, suffix, rank)
            rank += 1
        if best is not None:
            break
    if best is None:
        return Field()
    _, text, ocr, line, suffix, rank = best
    method = 0.9 if rank == 0 else 0.75 if rank <= 2 else 0.6
    if suffix:
        method = min(1.0, method + 0.1)
    if text == text.lower():
        method *= 0.6
    return Field(re.sub(r"\s+", " ", text), round(method * ocr, 3), line.text)


# --------------------------------------------------------------------------- assembly

_FIELD_NAMES = ("merchant", "date", "total", "currency")


def parse_receipt(
    lines: Sequence[LineInput],
    *,
    default_currency: str | None = None,
    today: dt.date | None = None,
) -> ReceiptDraft:
    """Run the four field parsers over OCR lines (or plain strings, confidence 1)."""
    ocr_lines = _as_lines(lines)
    currency = find_currency(ocr_lines, default_currency)
    total = find_total(ocr_lines, currency.value)
    # US receipts write month first. "$" counts only next to an amount with decimals, so a
    # speck read as "$" in a code or an address does not flip the order.
    month_first = currency.value == "USD"
    date = find_date(ocr_lines, month_first=month_first, today=today)
    merchant = find_merchant(ocr_lines)
    words = [w.confidence for line in ocr_lines for w in line.words]
    text_confidence = round(statistics.fmean(words), 3) if words else 0.0
    return _draft(merchant, date, total, currency, [x.text for x in ocr_lines], text_confidence)


def _draft(
    merchant: Field[str],
    date: Field[dt.date],
    total: Field[int],
    currency: Field[str],
    lines: list[str],
    text_confidence: float,
) -> ReceiptDraft:
    reasons: list[str] = []
    fields: tuple[Field[Any], ...] = (merchant, date, total, currency)
    for name, field in zip(_FIELD_NAMES, fields, strict=True):
        if field.value is None:
            reasons.append(f"{name}: not found")
        elif field.confidence < REVIEW_THRESHOLD:
            reasons.append(f"{name}: low confidence ({field.confidence:.2f})")
    return ReceiptDraft(
        merchant=merchant,
        date=date,
        total_minor=total,
        currency=currency,
        needs_review=bool(reasons),
        review_reasons=reasons,
        lines=lines,
        text_confidence=text_confidence,
    )


def _merge(drafts: Sequence[ReceiptDraft]) -> ReceiptDraft:
    """Per field, the most confident value across passes; agreement adds confidence."""
    if len(drafts) == 1:
        return drafts[0]

    def pick(fields: list[Field[T]]) -> Field[T]:
        found = [f for f in fields if f.value is not None]
        if not found:
            return fields[0]
        # passes read the same pixels, so their errors correlate: the best-evidenced reading
        # wins rather than the majority
        best = max(found, key=lambda f: f.confidence)
        agreeing = [f for f in found if f.value == best.value]
        if len(agreeing) > 1:
            confidence = best.confidence + 0.25 * (1 - best.confidence)
            return Field(best.value, round(confidence, 3), best.source)
        return best

    merchant = pick([d.merchant for d in drafts])
    date = pick([d.date for d in drafts])
    total = pick([d.total_minor for d in drafts])
    currency = pick([d.currency for d in drafts])
    base = max(drafts, key=lambda d: d.text_confidence)
    return _draft(merchant, date, total, currency, base.lines, base.text_confidence)


# --------------------------------------------------------------------------- image & OCR


def _load_image(data: bytes) -> Image.Image:
    if not data:
        raise NotAnImage("The upload is empty.", field="file")
    if len(data) > MAX_BYTES:
        raise ImageTooLarge(
            f"The image is {len(data)} bytes; the limit is {MAX_BYTES}.",
            field="file",
            max_bytes=MAX_BYTES,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageTooLarge(
                    f"The image has {width}x{height} pixels; the limit is {MAX_PIXELS}.",
                    field="file",
                    max_pixels=MAX_PIXELS,
                )
            image.load()
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(
            "The image has too many pixels.", field="file", max_pixels=MAX_PIXELS
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage("The file is not a readable image.", field="file") from exc
    if width < 1 or height < 1:
        raise NotAnImage("The image is empty.", field="file")
    return image


def _grayscale(image: Image.Image) -> Image.Image:
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) * (255.0 / (high - low)) if high > low else array * 0
        image = Image.fromarray(scaled.astype(np.uint8))
    gray = image.convert("L")
    longest = max(gray.size)
    if longest > _MAX_SIDE:
        factor = _MAX_SIDE / longest
        gray = gray.resize(
            (max(1, round(gray.width * factor)), max(1, round(gray.height * factor))),
            Image.Resampling.LANCZOS,
        )
    return gray


def _otsu_threshold(pixels: np.ndarray[Any, np.dtype[np.uint8]]) -> int:
    histogram = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    if total == 0:
        return 128
    probability = histogram / total
    weight = np.cumsum(probability)
    mean = np.cumsum(probability * np.arange(256))
    between = (mean[-1] * weight - mean) ** 2 / (weight * (1.0 - weight) + 1e-12)
    return int(np.argmax(between))


def _enhanced(gray: Image.Image, scale: float) -> Image.Image:
    """Upscaled, median-filtered (specks) and Otsu-binarised copy for the second pass.

    The median filter runs after upscaling so that it removes specks without eating the
    one-pixel strokes of small print.
    """
    image = gray
    if scale > 1.01:
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
        )
    image = image.filter(ImageFilter.MedianFilter(3))
    pixels = np.asarray(image, dtype=np.uint8)
    threshold = _otsu_threshold(pixels)
    return Image.fromarray(np.where(pixels > threshold, 255, 0).astype(np.uint8))


@dataclass(frozen=True, slots=True)
class _Pass:
    lines: list[OcrLine]
    word_height: float  # median height of confident words, px (0 when none)


def _ocr(image: Image.Image) -> _Pass:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        data: dict[str, list[Any]] = pytesseract.image_to_data(
            image,
            config=_TESSERACT_CONFIG,
            output_type=pytesseract.Output.DICT,
            timeout=_TESSERACT_TIMEOUT,
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrUnavailable("The tesseract binary is not installed.") from exc
    except pytesseract.TesseractError:
        # tesseract refuses some inputs (too small to scale): nothing could be read
        return _Pass([], 0.0)
    except RuntimeError as exc:  # pytesseract's timeout
        raise OcrUnavailable("Reading the receipt took too long.") from exc
    grouped: dict[tuple[int, int, int, int], list[OcrWord]] = {}
    heights: list[int] = []
    for i, raw in enumerate(data["text"]):
        text = str(raw).strip()
        confidence = float(data["conf"][i])
        if not text or confidence < 0:
            continue
        key = (
            int(data["page_num"][i]),
            int(data["block_num"][i]),
            int(data["par_num"][i]),
            int(data["line_num"][i]),
        )
        grouped.setdefault(key, []).append(OcrWord(text, confidence / 100.0))
        if confidence >= 60 and any(c.isalnum() for c in text):
            heights.append(int(data["height"][i]))
    lines = [OcrLine(tuple(words)) for _, words in sorted(grouped.items())]
    return _Pass(lines, float(statistics.median(heights)) if heights else 0.0)


def _tesseract_available() -> bool:
    command = str(pytesseract.pytesseract.tesseract_cmd)
    return shutil.which(command) is not None or os.path.isfile(command)


def _settled(draft: ReceiptDraft) -> bool:
    """Confident enough after one pass: every field found and well above the threshold."""
    fields: tuple[Field[Any], ...] = (draft.merchant, draft.date, draft.total_minor, draft.currency)
    return all(f.value is not None and f.confidence >= _SETTLED for f in fields)


def read_receipt(data: bytes, *, default_currency: str | None = None) -> ReceiptDraft:
    """Read a receipt image (JPEG, PNG, WebP, TIFF...) into a draft expense.

    Raises NotAnImage, ImageTooLarge or OcrUnavailable. Fields that cannot be read are None
    and listed in `review_reasons`.
    """
    image = _load_image(data)
    if not _tesseract_available():
        raise OcrUnavailable("The tesseract binary is not installed.")
    gray = _grayscale(image)
    first = _ocr(gray)
    drafts = [parse_receipt(first.lines, default_currency=default_currency)]
    if not _settled(drafts[0]):
        height = first.word_height or _TARGET_WORD_HEIGHT / 2
        scale = min(_MAX_UPSCALE, max(1.0, _TARGET_WORD_HEIGHT / height))
        # tesseract time grows with the pixel count: bound the upscaled copy
        scale = max(1.0, min(scale, (_MAX_OCR_PIXELS / (gray.width * gray.height)) ** 0.5))
        second = _ocr(_enhanced(gray, scale))
        drafts.append(parse_receipt(second.lines, default_currency=default_currency))
    return _merge(drafts)
