"""Invoices: exact totals (line nets rounded once each, tax rounded once per rate, half to even),
money formatting, number formatting, and the PDF read back with pypdf."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from navio.payments.invoice import (
    FontFiles,
    Invoice,
    InvoiceLine,
    InvoiceParty,
    TaxGroup,
    find_unicode_font,
    format_money,
    invoice_number,
    line_net_minor,
    render_pdf,
    totals,
)

SELLER = InvoiceParty(
    "Navio Travel GmbH",
    ("Bahnhofstrasse 1", "8001 Zürich", "Switzerland"),
    "CHE-123.456.789 MWST",
    "billing@navio.example",
)
BUYER = InvoiceParty("Ada Lovelace", ("12 St James's Square", "London SW1Y 4JH"), None, None)
HAS_UNICODE_FONT = find_unicode_font() is not None
FONT_MODES = ["auto", "core"]


def line(description: str, quantity: str, unit_minor: int, rate: str) -> InvoiceLine:
    return InvoiceLine(description, Decimal(quantity), unit_minor, Decimal(rate))


def invoice(
    *lines: InvoiceLine,
    currency: str = "EUR",
    buyer: InvoiceParty = BUYER,
    seller: InvoiceParty = SELLER,
    notes: str | None = "Thank you for travelling with Navio.",
    reference: str | None = "RF18 5390 0754 7034",
    paid: bool = False,
) -> Invoice:
    return Invoice(
        number="NAV-2026-000042",
        issued_on=date(2026, 3, 1),
        due_on=date(2026, 3, 31),
        seller=seller,
        buyer=buyer,
        currency=currency,
        lines=lines,
        notes=notes,
        payment_reference=reference,
        paid=paid,
    )


def pdf_text(data: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(data))
    return reader, [page.extract_text() for page in reader.pages]


# --- totals --------------------------------------------------------------------------------------


def test_totals_with_several_rates_round_lines_then_rate_groups_half_to_even() -> None:
    inv = invoice(
        line("Guided tour", "3", 333, "19"),  # 999
        line("Half day bike", "0.5", 125, "19"),  # 62.5 -> 62 (even)
        line("Half day kayak", "0.5", 375, "7"),  # 187.5 -> 188 (even)
        line("Hotel night", "1", 1050, "7"),  # 1050
        line("Travel insurance", "2", 500, "0"),  # 1000, no tax
    )
    result = totals(inv)
    assert result.line_net_minor == (999, 62, 188, 1050, 1000)
    assert result.tax_by_rate == (
        TaxGroup(Decimal("0"), 1000, 0),
        TaxGroup(Decimal("7"), 1238, 87),  # 86.66
        TaxGroup(Decimal("19"), 1061, 202),  # 201.59
    )
    assert (result.net_minor, result.tax_minor, result.gross_minor) == (3299, 289, 3588)


def test_tax_is_rounded_once_per_rate_not_per_line() -> None:
    # Per line 0.19 rounds to 0 three times; on the summed base 0.57 rounds to 1.
    result = totals(invoice(*(line(f"Snack {i}", "1", 1, "19") for i in range(3))))
    assert result.tax_by_rate == (TaxGroup(Decimal("19"), 3, 1),)
    assert result.gross_minor == 4


@pytest.mark.parametrize(
    ("base", "tax"),
    [(50, 10), (150, 28), (250, 48), (-50, -10)],  # 9.5 -> 10, 28.5 -> 28, 47.5 -> 48, -9.5 -> -10
)
def test_rate_group_tax_rounds_half_to_even(base: int, tax: int) -> None:
    result = totals(invoice(line("Fee", "1", base, "19")))
    assert result.tax_by_rate == (TaxGroup(Decimal("19"), base, tax),)


def test_equal_rates_written_differently_are_one_group() -> None:
    result = totals(invoice(line("A", "1", 100, "20"), line("B", "1", 100, "20.00")))
    assert result.tax_by_rate == (TaxGroup(Decimal("20"), 200, 40),)


def test_jpy_invoice_has_no_minor_digits() -> None:
    inv = invoice(
        line("Shinkansen ticket", "3", 1980, "10"),  # ¥5,940
        line("Bento", "1", 1234, "8"),  # reduced rate: 98.72 -> 99
        line("Half portion", "0.5", 25, "8"),  # 12.5 -> 12 (even)
        currency="JPY",
    )
    result = totals(inv)
    assert result.line_net_minor == (5940, 1234, 12)
    assert result.tax_by_rate == (
        TaxGroup(Decimal("8"), 1246, 100),  # 99.68
        TaxGroup(Decimal("10"), 5940, 594),
    )
    assert result.gross_minor == 7186 + 694
    assert format_money(result.gross_minor, "JPY") == "¥7,880"


def test_bhd_invoice_has_three_minor_digits() -> None:
    inv = invoice(
        line("Desert safari", "2", 12_345, "10"),  # 24.690 BHD
        line("Dhow cruise", "1.5", 1_001, "10"),  # 1501.5 -> 1502 (even)
        currency="BHD",
    )
    result = totals(inv)
    assert result.line_net_minor == (24_690, 1_502)
    assert result.tax_by_rate == (TaxGroup(Decimal("10"), 26_192, 2_619),)  # 2619.2
    assert result.gross_minor == 28_811
    assert "28.811" in format_money(result.gross_minor, "BHD")


def test_credit_lines_round_symmetrically() -> None:
    assert line_net_minor(line("Refund", "-0.5", 125, "19")) == -62
    assert line_net_minor(line("Discount", "1", -375, "19")) == -375
    assert totals(invoice(line("Discount", "-1", 50, "19"))).tax_minor == -10


rates = st.sampled_from(["0", "2.5", "5", "7", "7.7", "10", "19", "20", "21", "25.5"])
lines_strategy = st.lists(
    st.builds(
        InvoiceLine,
        description=st.just("item"),
        quantity=st.decimals(
            min_value=-100, max_value=10_000, places=3, allow_nan=False, allow_infinity=False
        ),
        unit_minor=st.integers(min_value=-(10**9), max_value=10**9),
        tax_rate_pct=rates.map(Decimal),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, currency=st.sampled_from(["EUR", "JPY", "BHD"]))
def test_totals_add_up_and_stay_within_a_minor_unit_of_exact(
    lines: list[InvoiceLine], currency: str
) -> None:
    result = totals(invoice(*lines, currency=currency))
    assert result.gross_minor == result.net_minor + result.tax_minor
    assert result.net_minor == sum(result.line_net_minor)
    assert result.tax_minor == sum(group.tax_minor for group in result.tax_by_rate)
    assert sum(group.base_minor for group in result.tax_by_rate) == result.net_minor
    for item, net in zip(lines, result.line_net_minor, strict=True):
        assert abs(net - Fraction(item.quantity) * item.unit_minor) <= Fraction(1, 2)
    seen = [Fraction(group.rate) for group in result.tax_by_rate]
    assert seen == sorted(set(seen))
    for group in result.tax_by_rate:
        base = sum(
            n
            for item, n in zip(lines, result.line_net_minor, strict=True)
            if item.tax_rate_pct == group.rate
        )
        assert group.base_minor == base
        exact = Fraction(base) * Fraction(group.rate) / 100
        assert abs(group.tax_minor - exact) <= Fraction(1, 2)  # so within 1 minor unit


# --- formatting and validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (123456, "EUR", "en", "€1,234.56"),
        (123456, "EUR", "de", "1.234,56\xa0€"),
        (-5, "EUR", "en", "-€0.05"),
        (1234, "JPY", "en", "¥1,234"),
        (0, "USD", "en_US", "$0.00"),
    ],
)
def test_format_money(amount: int, currency: str, locale: str, expected: str) -> None:
    assert format_money(amount, currency, locale) == expected


@given(st.integers(min_value=-(10**40), max_value=10**40), st.sampled_from(["EUR", "JPY", "BHD"]))
def test_format_money_is_exact(amount: int, currency: str) -> None:
    text = format_money(amount, currency)
    digits = {"EUR": 2, "JPY": 0, "BHD": 3}[currency]
    assert Fraction(Decimal(re.sub(r"[^\d.-]", "", text))) == Fraction(amount, 10**digits)


def test_format_money_rejects_floats_and_unknown_currencies() -> None:
    with pytest.raises(TypeError):
        format_money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown currency"):
        format_money(100, "XYZ")


def test_invoice_number() -> None:
    assert invoice_number("NAV", 2026, 42) == "NAV-2026-000042"
    assert invoice_number("B2B", 2026, 1_234_567) == "B2B-2026-1234567"


@pytest.mark.parametrize(
    ("prefix", "year", "sequence"),
    [("nav", 2026, 1), ("", 2026, 1), ("NAV-X", 2026, 1), ("NAV", 26, 1), ("NAV", 2026, 0)],
)
def test_invoice_number_rejects_bad_input(prefix: str, year: int, sequence: int) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        invoice_number(prefix, year, sequence)


def test_invoice_number_rejects_non_ints() -> None:
    with pytest.raises(TypeError):
        invoice_number("NAV", 2026, True)
    with pytest.raises(TypeError):
        invoice_number("NAV", 2026.0, 1)  # type: ignore[arg-type]


def test_model_validation() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        InvoiceLine("x", 1.5, 100, Decimal(0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        line("x", "1", 100, "-1")
    with pytest.raises(ValueError, match="finite"):
        line("x", "NaN", 100, "0")
    with pytest.raises(ValueError, match="at least one line"):
        invoice()
    with pytest.raises(ValueError, match="unknown currency"):
        invoice(line("x", "1", 1, "0"), currency="ABC")
    with pytest.raises(ValueError, match="due date"):
        Invoice(
            "N-1", date(2026, 3, 2), date(2026, 3, 1), SELLER, BUYER, "EUR",
            (line("x", "1", 1, "0"),), None, None, False,
        )  # fmt: skip
    with pytest.raises(ValueError, match="name"):
        InvoiceParty(" ", (), None, None)


# --- PDF -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fonts", FONT_MODES)
def test_pdf_shows_number_parties_lines_and_totals(fonts: str) -> None:
    inv = invoice(
        line("Hotel Bellevue, 2 nights", "2", 18_900, "3.8"),
        line("Airport transfer", "1", 6_500, "8.1"),
        line("City tour", "1.5", 4_000, "8.1"),
        paid=True,
    )
    data = render_pdf(inv, fonts=fonts)  # type: ignore[arg-type]
    assert data.startswith(b"%PDF-")
    reader, pages = pdf_text(data)
    assert len(reader.pages) == 1
    text = pages[0]
    for expected in (
        "NAV-2026-000042",
        "Ada Lovelace",
        "Navio Travel GmbH",
        "8001 Zürich",
        "Hotel Bellevue, 2 nights",
        "Airport transfer",
        "City tour",
        "RF18 5390 0754 7034",
        "Thank you for travelling with Navio.",
        "PAID",
        "3.8%",
        "8.1%",
        format_money(totals(inv).gross_minor, "EUR"),
        format_money(totals(inv).tax_minor, "EUR"),
    ):
        assert expected in text
    assert "Page 1" not in text  # numbered only when there are several pages
    assert reader.metadata is not None
    assert reader.metadata.creation_date == datetime(2026, 3, 1, tzinfo=UTC)


def test_unpaid_pdf_has_no_paid_mark() -> None:
    _, pages = pdf_text(render_pdf(invoice(line("Museum pass", "1", 2_500, "0"))))
    assert "PAID" not in pages[0]
    assert "Total due" in pages[0]


def test_pdf_in_other_currencies_and_locales() -> None:
    jpy = invoice(line("Ryokan night", "2", 24_000, "10"), currency="JPY")
    _, pages = pdf_text(render_pdf(jpy))
    assert format_money(totals(jpy).gross_minor, "JPY") in pages[0]  # ¥52,800
    bhd = invoice(line("Desert safari", "2", 12_345, "10"), currency="BHD")
    _, pages = pdf_text(render_pdf(bhd, locale="de"))
    assert "27,159" in pages[0]  # 27.159 BHD with a decimal comma
    assert "01.03.2026" in pages[0]  # German medium date


def test_multi_page_invoice_numbers_its_pages() -> None:
    inv = invoice(*(line(f"Excursion day {i}", "1", 1_000 + i, "19") for i in range(80)))
    reader, pages = pdf_text(render_pdf(inv))
    count = len(reader.pages)
    assert count >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in text
    everything = "\n".join(pages)
    for i in range(80):
        assert f"Excursion day {i}\n" in everything or f"Excursion day {i} " in everything
    for text in pages:
        if "Excursion day" in text:
            assert "Description" in text  # the table heading is repeated
    assert format_money(totals(inv).gross_minor, "EUR") in pages[-1]


def test_a_description_taller_than_a_page_continues_on_the_next() -> None:
    long_text = " ".join(f"w{i}" for i in range(1500)) + " END"
    _, pages = pdf_text(render_pdf(invoice(line(long_text, "1", 100, "0"))))
    assert len(pages) >= 2
    assert "END" in "\n".join(pages)


@pytest.mark.parametrize("fonts", FONT_MODES)
def test_two_renders_give_identical_bytes(fonts: str) -> None:
    inv = invoice(line("Hotel night", "3", 12_000, "10"), line("Breakfast", "3", 1_500, "10"))
    assert render_pdf(inv, fonts=fonts) == render_pdf(inv, fonts=fonts)  # type: ignore[arg-type]


NON_LATIN = InvoiceParty(
    "東京トラベル株式会社 Ελλάδα Łódź", ("1-1 千代田区", "Zürich"), "T1234", None
)


@pytest.mark.parametrize("fonts", FONT_MODES)
def test_non_latin1_text_never_crashes(fonts: str) -> None:
    inv = invoice(
        line("Ryokan 東京 🏯 — «spa» {nb}", "1", 30_000, "10"),
        line("Taxi \u202fZürich\u2212Flughafen\u200b\x07", "1", 4_500, "8.1"),
        line("שלום مرحبا Привет", "1", 100, "0"),
        currency="INR",
        buyer=NON_LATIN,
        seller=NON_LATIN,
        notes="Line one\r\nLine two: ★☆ ✓\tend",
        reference="参照-42",
    )
    _, pages = pdf_text(render_pdf(inv, fonts=fonts))  # type: ignore[arg-type]
    text = pages[0]
    assert "Zürich" in text
    assert "Ryokan" in text
    assert "{nb}" in text  # not taken for the page-count alias
    assert "Line two" in text
    if fonts == "core" or not HAS_UNICODE_FONT:
        assert "?" in text  # what Helvetica cannot show
        assert "INR" in text  # ₹ is not in Windows-1252: the ISO code stands in
    else:
        assert "Ελλάδα Łódź" in text
        assert "₹" in text


@pytest.mark.skipif(not HAS_UNICODE_FONT, reason="DejaVu Sans not installed")
def test_unicode_font_prints_what_core_fonts_cannot() -> None:
    buyer = InvoiceParty("Αθήνα Tours", (), None, None)
    _, pages = pdf_text(render_pdf(invoice(line("Ферри", "1", 1, "0"), buyer=buyer)))
    assert "Αθήνα Tours" in pages[0]
    assert "Ферри" in pages[0]


def test_unreadable_font_falls_back_to_core(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttf"
    bad.write_bytes(b"not a font")
    inv = invoice(line("Tram pass", "1", 900, "0"), buyer=NON_LATIN)
    _, pages = pdf_text(render_pdf(inv, fonts=FontFiles(bad, bad)))
    assert "Tram pass" in pages[0]
    assert "Zürich" in pages[0]
