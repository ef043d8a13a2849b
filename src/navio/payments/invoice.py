"""Invoices: the data model, exact totals, money formatting and a deterministic A4 PDF.

Pure functions (no database, no web framework). Numbers are allocated elsewhere (gap-free per
organization by the database layer); `invoice_number` only formats and checks one.

Amounts are integers in the currency's minor unit (ISO 4217 exponent from
`navio.kernel.money.currency_exponent`: JPY 0, EUR 2, BHD 3). Arithmetic is exact (`Fraction`
from `Decimal`, never `float`) and rounds half to even ("banker's rounding") at exactly two
places, following the EU invoicing convention (VAT Directive 2006/112/EC, art. 226: the tax is
stated per rate on the taxable amount per rate):

1. Each line's net amount, quantity x unit price, is rounded once to a whole minor unit.
2. The lines' rounded nets are summed per tax rate (the taxable base of that rate) and the tax of
   each rate is base x rate / 100, rounded once to a whole minor unit. Tax is never computed
   per line and then summed, so it is within half a minor unit of the exact tax on the base.

The net total is the sum of the line nets, the tax total the sum of the per-rate taxes, and the
gross total is net + tax, so the printed figures always add up.

The PDF (fpdf2) is an A4 page or more: seller and buyer, invoice number and dates, the lines
(description, quantity, unit price, tax rate, net), the tax summary per rate, the totals, a PAID
stamp when paid, the payment reference and notes, and "Page n of m" when there is more than one
page. Text is set in DejaVu Sans when the font files are found on the machine (see
`find_unicode_font`), otherwise in the built-in Helvetica, whose encoding is Windows-1252; in
both cases characters the font cannot show are printed as "?" (a currency symbol the font lacks
is replaced by the ISO code), so rendering never fails on text. Rendering is deterministic: the
PDF creation date is the issue date at midnight UTC and the file identifier is a hash of the
content, so the same invoice always gives the same bytes (with the same fpdf2 version and fonts).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Final, Literal, NamedTuple

from babel.dates import format_date
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
)
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos
from fpdf.fonts import TTFFont

from navio.kernel.money import currency_exponent

__all__ = [
    "FontFiles",
    "Invoice",
    "InvoiceLine",
    "InvoiceParty",
    "InvoiceTotals",
    "TaxGroup",
    "find_unicode_font",
    "format_money",
    "invoice_number",
    "line_net_minor",
    "render_pdf",
    "totals",
]


# --- data model ---------------------------------------------------------------------------------


def _require_text(value: object, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string")


def _require_decimal(value: object, what: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"{what} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{what} must be finite")
    return value


@dataclass(frozen=True, slots=True)
class InvoiceParty:
    """Seller or buyer as printed on the invoice."""

    name: str
    address_lines: tuple[str, ...] = ()
    tax_id: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        _require_text(self.name, "party name")
        lines = tuple(self.address_lines)
        if not all(isinstance(line, str) for line in lines):
            raise TypeError("address lines must be strings")
        object.__setattr__(self, "address_lines", lines)


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One line: `quantity` x `unit_minor` (unit price in minor units, before tax) taxed at
    `tax_rate_pct` percent. A negative quantity or unit price makes a credit or discount line."""

    description: str
    quantity: Decimal
    unit_minor: int
    tax_rate_pct: Decimal

    def __post_init__(self) -> None:
        _require_text(self.description, "line description")
        _require_decimal(self.quantity, "quantity")
        if isinstance(self.unit_minor, bool) or not isinstance(self.unit_minor, int):
            raise TypeError("unit_minor must be an int (minor units)")
        if _require_decimal(self.tax_rate_pct, "tax rate") < 0:
            raise ValueError("tax rate must not be negative")


@dataclass(frozen=True, slots=True)
class Invoice:
    number: str
    issued_on: date
    due_on: date | None
    seller: InvoiceParty
    buyer: InvoiceParty
    currency: str
    lines: tuple[InvoiceLine, ...]
    notes: str | None = None
    payment_reference: str | None = None
    paid: bool = False

    def __post_init__(self) -> None:
        _require_text(self.number, "invoice number")
        currency_exponent(self.currency)  # ValueError for an unknown code
        lines = tuple(self.lines)
        if not lines:
            raise ValueError("an invoice needs at least one line")
        object.__setattr__(self, "lines", lines)
        if self.due_on is not None and self.due_on < self.issued_on:
            raise ValueError("due date is before the issue date")


class TaxGroup(NamedTuple):
    """The lines taxed at one rate: their summed net (`base_minor`) and its tax."""

    rate: Decimal
    base_minor: int
    tax_minor: int


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    net_minor: int
    tax_by_rate: tuple[TaxGroup, ...]  # ascending by rate
    tax_minor: int
    gross_minor: int
    line_net_minor: tuple[int, ...]  # in the order of `Invoice.lines`


# --- arithmetic ---------------------------------------------------------------------------------


def line_net_minor(line: InvoiceLine) -> int:
    """quantity x unit price, rounded half to even to a whole minor unit."""
    return round(Fraction(line.quantity) * line.unit_minor)  # Fraction rounds half to even


def totals(invoice: Invoice) -> InvoiceTotals:
    """Net per line (rounded once per line), tax per rate on the summed nets (rounded once per
    rate), gross = net + tax; see the module docstring."""
    nets = tuple(line_net_minor(line) for line in invoice.lines)
    bases: dict[Fraction, int] = {}
    shown: dict[Fraction, Decimal] = {}  # 20 and 20.0 are one rate, shown as first written
    for line, net in zip(invoice.lines, nets, strict=True):
        key = Fraction(line.tax_rate_pct)
        bases[key] = bases.get(key, 0) + net
        shown.setdefault(key, line.tax_rate_pct)
    groups = tuple(
        TaxGroup(shown[rate], base, round(base * rate / 100))
        for rate, base in sorted(bases.items())
    )
    net = sum(nets)
    tax = sum(group.tax_minor for group in groups)
    return InvoiceTotals(
        net_minor=net,
        tax_by_rate=groups,
        tax_minor=tax,
        gross_minor=net + tax,
        line_net_minor=nets,
    )


def format_money(amount_minor: int, currency: str, locale: str = "en") -> str:
    """`amount_minor` minor units as the locale writes them: 123456 EUR -> "€1,234.56" (en),
    "1.234,56 €" (de); 1234 JPY -> "¥1,234"; 1234 BHD -> "BHD1.234" (en)."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError("amount_minor must be an int")
    exponent = currency_exponent(currency)
    sign, digits, _ = Decimal(amount_minor).as_tuple()
    value = Decimal((sign, digits, -exponent))  # exact: no division, no float
    with localcontext() as context:
        context.prec = max(context.prec, len(digits) + 8)
        return str(format_currency(value, currency, locale=locale))


_PREFIX = re.compile(r"[A-Z][A-Z0-9]{0,15}")


def invoice_number(prefix: str, year: int, sequence: int) -> str:
    """`invoice_number("NAV", 2026, 42)` -> "NAV-2026-000042".

    The prefix is 1-16 upper-case ASCII letters and digits starting with a letter, the year has
    four digits and the sequence starts at 1; it is zero-padded to six digits (a longer sequence
    is printed in full, so numbers stay unique but no longer sort as text)."""
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ValueError(f"invalid invoice number prefix {prefix!r}")
    for value, what in ((year, "year"), (sequence, "sequence")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{what} must be an int")
    if not 1000 <= year <= 9999:
        raise ValueError(f"year {year} does not have four digits")
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{prefix}-{year:04d}-{sequence:06d}"


# --- fonts and text -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FontFiles:
    """A Unicode TrueType family for the PDF (`bold` may be the regular file)."""

    regular: Path
    bold: Path


_FONT_DIRS: Final = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu-sans-fonts",  # Fedora
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",  # Arch
    "/usr/share/fonts/truetype",
    "/usr/local/share/fonts",
    "/usr/local/share/fonts/dejavu",
    "/opt/homebrew/share/fonts",
    "/Library/Fonts",
    "~/Library/Fonts",
    "~/.local/share/fonts",
    "~/.fonts",
)


@cache
def find_unicode_font() -> FontFiles | None:
    """DejaVu Sans (regular and bold) from the usual font folders, or None."""
    for folder in _FONT_DIRS:
        base = Path(folder).expanduser()
        regular = base / "DejaVuSans.ttf"
        if regular.is_file():
            bold = base / "DejaVuSans-Bold.ttf"
            return FontFiles(regular, bold if bold.is_file() else regular)
    return None


# Typographic characters Babel and people use, and plainer stand-ins for fonts that lack them.
_STAND_INS: Final = {
    "\u202f": "\u00a0",  # narrow no-break space (fr, CLDR 42+)
    "\u2007": "\u00a0",  # figure space
    "\u2212": "-",  # minus sign (sv, fi, ...)
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u200e": "",  # left-to-right mark (Babel, bidi locales)
    "\u200f": "",
    "\u061c": "",
}


class _Text:
    """What the chosen fonts can print: `clean` replaces the rest with "?"."""

    def __init__(self, supported: Callable[[str], bool]) -> None:
        self._supported = supported

    def supports(self, text: str) -> bool:
        return all(self._supported(char) for char in text)

    def clean(self, text: str, *, multiline: bool = False) -> str:
        out: list[str] = []
        for char in unicodedata.normalize("NFC", text):
            if char == "\n" and multiline:
                out.append(char)
            elif char in "\r\n\t\v\f\u2028\u2029\x85":
                out.append(" ")
            elif self._supported(char):
                out.append(char)
            elif char in _STAND_INS and self.supports(_STAND_INS[char]):
                out.append(_STAND_INS[char])
            elif unicodedata.category(char) == "Zs":
                out.append(" ")
            elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Mn", "Me"):
                continue  # controls, format marks, lone surrogates, stray combining marks
            else:
                out.append("?")
        cleaned = "".join(out)
        if multiline:
            cleaned = cleaned.replace("\r\n", "\n")
        return cleaned


def _core_supported(char: str) -> bool:
    if unicodedata.category(char) in ("Cc", "Cs"):
        return False
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _plain(text: str) -> str:
    """`text` without control and format characters, for the document information."""
    kept = (c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c)[0] != "C")
    return "".join(kept)


# --- PDF layout ---------------------------------------------------------------------------------

_FAMILY: Final = "navio-sans"
_CORE_FAMILY: Final = "helvetica"
_MARGIN: Final = 15.0
_BOTTOM: Final = 20.0  # footer lives below this
_LINE: Final = 4.6  # mm per 9 pt text line
_BODY_PT: Final = 9.0
_MUTED: Final = (100, 100, 100)
_RULE: Final = (200, 200, 200)
_PAID: Final = (22, 128, 61)
# description, quantity, unit price, tax rate, net: 180 mm
_COLUMNS: Final = (80.0, 20.0, 30.0, 18.0, 32.0)
_HEADINGS: Final = ("Description", "Qty", "Unit price", "Tax", "Net")


class _InvoicePDF(FPDF):
    def __init__(self, footer_label: str, total_pages: int | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_label = footer_label
        self.total_pages = total_pages
        self.body_family = _CORE_FAMILY

    def footer(self) -> None:
        if not self.total_pages or self.total_pages < 2:
            return
        self.set_y(-12)
        self.set_font(self.body_family, "", 8)
        self.set_text_color(*_MUTED)
        width = self.w - 2 * _MARGIN
        self.cell(width / 2, 5, self.footer_label, align=Align.L)
        self.cell(width / 2, 5, f"Page {self.page_no()} of {self.total_pages}", align=Align.R)
        self.set_text_color(0, 0, 0)


class _Renderer:
    def __init__(
        self,
        invoice: Invoice,
        sums: InvoiceTotals,
        locale: str,
        fonts: FontFiles | None,
        total_pages: int | None,
    ) -> None:
        self.invoice = invoice
        self.sums = sums
        self.locale = locale
        self.pdf = pdf = _InvoicePDF("", total_pages)
        pdf.core_fonts_encoding = "windows-1252"
        pdf.str_alias_nb_pages = ""  # "{nb}" in a description stays as written
        self.text = _Text(_core_supported)
        if fonts is not None:
            self._load_fonts(fonts)
        pdf.footer_label = self.text.clean(f"Invoice {invoice.number}")
        pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
        pdf.set_auto_page_break(auto=True, margin=_BOTTOM)
        pdf.set_creation_date(datetime.combine(invoice.issued_on, time(0, 0), tzinfo=UTC))
        pdf.set_title(_plain(f"Invoice {invoice.number}"))  # metadata is UTF-16: any text
        pdf.set_author(_plain(invoice.seller.name))
        pdf.set_subject(_plain(f"Invoice to {invoice.buyer.name}"))
        pdf.set_creator("Navio")
        pdf.set_lang(locale.replace("_", "-"))

    def _load_fonts(self, fonts: FontFiles) -> None:
        pdf = self.pdf
        try:
            pdf.add_font(_FAMILY, "", str(fonts.regular))
            pdf.add_font(_FAMILY, "B", str(fonts.bold))
            regular, bold = pdf.fonts[_FAMILY], pdf.fonts[_FAMILY + "B"]
        except Exception:  # unreadable or odd font file: the core font still works
            return
        if not isinstance(regular, TTFFont) or not isinstance(bold, TTFFont):
            return
        common = frozenset(regular.cmap) & frozenset(bold.cmap)

        def supported(char: str) -> bool:
            return ord(char) in common and unicodedata.category(char) not in ("Cc", "Cs")

        pdf.body_family = _FAMILY
        self.text = _Text(supported)

    # -- primitives

    @property
    def width(self) -> float:
        return self.pdf.w - 2 * _MARGIN

    @property
    def bottom(self) -> float:
        return self.pdf.h - _BOTTOM

    def font(self, style: Literal["", "B"] = "", size: float = _BODY_PT) -> None:
        self.pdf.set_font(self.pdf.body_family, style, size)

    def money(self, amount_minor: int) -> str:
        text = format_money(amount_minor, self.invoice.currency, self.locale)
        symbol = str(get_currency_symbol(self.invoice.currency, self.locale))
        if symbol in text and not self.text.supports(symbol):
            code = self.invoice.currency
            text = text.replace(symbol, code)
            text = re.sub(rf"{code}(?=[\d+\-\u2212])", code + "\u00a0", text)
            text = re.sub(rf"(?<=\d){code}", "\u00a0" + code, text)
        return self.text.clean(text)

    def wrap(self, text: str, width: float) -> list[str]:
        """`text` (already cleaned) broken into lines that fit `width` in the current font."""
        lines = self.pdf.multi_cell(
            width, _LINE, text, dry_run=True, output=MethodReturnValue.LINES
        )
        if not isinstance(lines, list):  # pragma: no cover - fpdf2 contract
            raise TypeError("fpdf2 did not return lines")
        if not self.pdf.is_ttf_font:  # fpdf2 hands core-font lines back as cp1252 bytes
            lines = [str(line).encode("latin-1").decode("cp1252") for line in lines]
        return [str(line) for line in lines] or [""]

    def fit(self, text: str, width: float, style: Literal["", "B"], size: float) -> None:
        """Set the font, smaller when `text` is wider than `width` (long amounts)."""
        self.font(style, size)
        while size > 5 and self.pdf.get_string_width(text) > width - 2 * self.pdf.c_margin:
            size -= 0.5
            self.font(style, size)

    def new_page(self) -> None:
        self.pdf.add_page()

    def ensure(self, height: float) -> bool:
        """A new page when `height` does not fit below the cursor; True if one was added."""
        if self.pdf.get_y() + height > self.bottom:
            self.new_page()
            return True
        return False

    def paragraph(
        self,
        text: str,
        *,
        x: float | None = None,
        width: float | None = None,
        style: Literal["", "B"] = "",
        size: float = _BODY_PT,
        line: float = _LINE,
        multiline: bool = False,
    ) -> None:
        """Wrapped text from the cursor down, continued on new pages when needed."""
        pdf = self.pdf
        x = _MARGIN if x is None else x
        width = self.width if width is None else width
        self.font(style, size)
        for source in self.text.clean(text, multiline=multiline).split("\n"):
            for part in self.wrap(source, width):
                self.ensure(line)
                self.font(style, size)
                pdf.set_x(x)
                pdf.cell(width, line, part, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # -- blocks

    def party(self, party: InvoiceParty, x: float, width: float, title: str | None) -> None:
        pdf = self.pdf
        if title:
            pdf.set_text_color(*_MUTED)
            self.paragraph(title, x=x, width=width, size=8)
            pdf.set_text_color(0, 0, 0)
        self.paragraph(party.name, x=x, width=width, style="B", size=11, line=5.5)
        for address_line in party.address_lines:
            self.paragraph(address_line, x=x, width=width)
        if party.tax_id:
            self.paragraph(f"Tax ID: {party.tax_id}", x=x, width=width)
        if party.email:
            self.paragraph(party.email, x=x, width=width)

    def heading(self) -> None:
        pdf, inv = self.pdf, self.invoice
        top = pdf.get_y()
        left_width = 105.0
        right_x = _MARGIN + left_width + 5
        right_width = self.width - left_width - 5
        pdf.set_xy(right_x, top)
        self.font("B", 18)
        pdf.cell(right_width, 9, "INVOICE", align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        rows = [("Invoice no.", inv.number), ("Issue date", self.date(inv.issued_on))]
        if inv.due_on is not None:
            rows.append(("Due date", self.date(inv.due_on)))
        label_width = 25.0
        for label, value in rows:
            pdf.set_x(right_x)
            pdf.set_text_color(*_MUTED)
            self.font("", _BODY_PT)
            pdf.cell(label_width, 5, label, align=Align.L)
            pdf.set_text_color(0, 0, 0)
            cleaned = self.text.clean(value)
            self.fit(cleaned, right_width - label_width, "B", _BODY_PT)
            pdf.cell(
                right_width - label_width,
                5,
                cleaned,
                align=Align.R,
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        meta_end = pdf.get_y()
        pdf.set_y(top)  # the seller beside the invoice data (drawn first: it has a fixed size)
        self.party(inv.seller, _MARGIN, left_width, None)
        pdf.set_y(max(meta_end, pdf.get_y()) + 8)

        buyer_top = pdf.get_y()
        if inv.paid:
            self.paid_stamp(right_x + right_width / 2, buyer_top + 10)
        self.party(inv.buyer, _MARGIN, left_width, "Bill to")
        pdf.set_y(max(pdf.get_y(), buyer_top + 22) + 6)

    def paid_stamp(self, cx: float, cy: float) -> None:
        pdf = self.pdf
        width, height = 40.0, 14.0
        with pdf.rotation(12, cx, cy):
            pdf.set_draw_color(*_PAID)
            pdf.set_text_color(*_PAID)
            pdf.set_line_width(0.8)
            pdf.rect(cx - width / 2, cy - height / 2, width, height, round_corners=True)
            pdf.set_xy(cx - width / 2, cy - height / 2)
            self.font("B", 24)
            pdf.cell(width, height, "PAID", align=Align.C)
        pdf.set_line_width(0.2)
        pdf.set_draw_color(0, 0, 0)
        pdf.set_text_color(0, 0, 0)

    def date(self, day: date) -> str:
        return str(format_date(day, format="medium", locale=self.locale))

    def table_header(self) -> None:
        pdf = self.pdf
        self.font("B", _BODY_PT)
        pdf.set_fill_color(240, 240, 240)
        pdf.set_x(_MARGIN)
        for index, (heading, width) in enumerate(zip(_HEADINGS, _COLUMNS, strict=True)):
            align = Align.L if index == 0 else Align.R
            pdf.cell(width, 7, heading, align=align, fill=True)
        pdf.ln(7)
        pdf.set_y(pdf.get_y() + 1)

    def lines_table(self) -> None:
        pdf, inv = self.pdf, self.invoice
        self.ensure(7 + 1 + _LINE + 2)
        self.table_header()
        table_height = self.bottom - _MARGIN - 8  # below a repeated header on a fresh page
        for line, net in zip(inv.lines, self.sums.line_net_minor, strict=True):
            self.font("", _BODY_PT)
            parts = self.wrap(self.text.clean(line.description), _COLUMNS[0])
            figures = (
                self.text.clean(self.quantity(line.quantity)),
                self.money(line.unit_minor),
                self.text.clean(self.rate(line.tax_rate_pct)),
                self.money(net),
            )
            height = len(parts) * _LINE + 2
            if pdf.get_y() + height > self.bottom and height <= table_height:
                self.new_page()
                self.table_header()
            first = True
            while parts:
                room = int((self.bottom - pdf.get_y() - 2) // _LINE)
                if room < 1:
                    self.new_page()
                    self.table_header()
                    continue
                chunk, parts = parts[:room], parts[room:]
                top = pdf.get_y() + 1
                self.font("", _BODY_PT)
                for index, text in enumerate(chunk):
                    pdf.set_xy(_MARGIN, top + index * _LINE)
                    pdf.cell(_COLUMNS[0], _LINE, text)
                if first:
                    x = _MARGIN + _COLUMNS[0]
                    for text, width in zip(figures, _COLUMNS[1:], strict=True):
                        self.fit(text, width, "", _BODY_PT)
                        pdf.set_xy(x, top)
                        pdf.cell(width, _LINE, text, align=Align.R)
                        x += width
                    first = False
                end = top + len(chunk) * _LINE + 1
                pdf.set_draw_color(*_RULE)
                pdf.line(_MARGIN, end, _MARGIN + self.width, end)
                pdf.set_draw_color(0, 0, 0)
                pdf.set_y(end)

    def quantity(self, value: Decimal) -> str:
        return str(format_decimal(value, locale=self.locale, decimal_quantization=False))

    def rate(self, value: Decimal) -> str:
        fraction = (value / 100).normalize()
        return str(format_percent(fraction, locale=self.locale, decimal_quantization=False))

    def summary(self) -> None:
        pdf, sums = self.pdf, self.sums
        row = 5.5
        columns = (30.0, 35.0, 35.0)
        x0 = _MARGIN + self.width - sum(columns)
        needed = 4 + 7 + row * len(sums.tax_by_rate) + 4 + row * 2 + 8
        pdf.set_y(pdf.get_y() + 4)
        self.ensure(needed)

        self.font("B", _BODY_PT)
        pdf.set_x(x0)
        for heading, width in zip(("Tax rate", "Taxable", "Tax"), columns, strict=True):
            pdf.cell(width, 7, heading, align=Align.R)
        pdf.ln(7)
        for group in sums.tax_by_rate:
            pdf.set_x(x0)
            cells = (
                self.text.clean(self.rate(group.rate)),
                self.money(group.base_minor),
                self.money(group.tax_minor),
            )
            for text, width in zip(cells, columns, strict=True):
                self.fit(text, width, "", _BODY_PT)
                pdf.cell(width, row, text, align=Align.R)
            pdf.ln(row)
        y = pdf.get_y() + 2
        pdf.set_draw_color(*_RULE)
        pdf.line(x0, y, x0 + sum(columns), y)
        pdf.set_draw_color(0, 0, 0)
        pdf.set_y(y + 2)

        label_width = columns[0] + columns[1]
        for label, amount in (("Net total", sums.net_minor), ("Tax total", sums.tax_minor)):
            self.total_row(x0, label_width, columns[2], row, label, amount, "", _BODY_PT)
        pdf.set_y(pdf.get_y() + 1)
        label = "Total (paid)" if self.invoice.paid else "Total due"
        self.total_row(x0, label_width, columns[2], 8, label, sums.gross_minor, "B", 11)

    def total_row(
        self,
        x: float,
        label_width: float,
        value_width: float,
        height: float,
        label: str,
        amount: int,
        style: Literal["", "B"],
        size: float,
    ) -> None:
        pdf = self.pdf
        pdf.set_x(x)
        self.font(style, size)
        pdf.cell(label_width, height, label, align=Align.R)
        text = self.money(amount)
        self.fit(text, value_width, style, size)
        pdf.cell(value_width, height, text, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def closing(self) -> None:
        inv, pdf = self.invoice, self.pdf
        pdf.set_y(pdf.get_y() + 6)
        if inv.payment_reference:
            self.ensure(2 * _LINE)
            pdf.set_text_color(*_MUTED)
            self.paragraph("Payment reference", size=8)
            pdf.set_text_color(0, 0, 0)
            self.paragraph(inv.payment_reference, style="B")
            pdf.set_y(pdf.get_y() + 3)
        if inv.notes:
            self.ensure(2 * _LINE)
            pdf.set_text_color(*_MUTED)
            self.paragraph("Notes", size=8)
            pdf.set_text_color(0, 0, 0)
            self.paragraph(inv.notes, multiline=True)

    def render(self) -> _InvoicePDF:
        self.new_page()
        self.heading()
        self.lines_table()
        self.summary()
        self.closing()
        return self.pdf


def _layout(
    invoice: Invoice, locale: str, fonts: FontFiles | None, total_pages: int | None
) -> _InvoicePDF:
    return _Renderer(invoice, totals(invoice), locale, fonts, total_pages).render()


def render_pdf(
    invoice: Invoice,
    *,
    locale: str = "en",
    fonts: FontFiles | Literal["auto", "core"] = "auto",
) -> bytes:
    """The invoice as A4 PDF bytes, the same bytes for the same invoice.

    `locale` formats amounts, quantities, rates and dates (labels are English). `fonts`:
    "auto" uses DejaVu Sans when `find_unicode_font` finds it and Helvetica otherwise, "core"
    always Helvetica, or give a TrueType family. The document is laid out twice when it runs
    over one page, the second time with the page count known for "Page n of m"."""
    chosen = find_unicode_font() if fonts == "auto" else None if fonts == "core" else fonts
    if chosen is not None and not isinstance(chosen, FontFiles):
        raise TypeError("fonts must be FontFiles, 'auto' or 'core'")
    pdf = _layout(invoice, locale, chosen, None)
    if pdf.pages_count > 1:
        pdf = _layout(invoice, locale, chosen, pdf.pages_count)
    return bytes(pdf.output())
