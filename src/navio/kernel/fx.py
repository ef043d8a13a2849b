"""Currency conversion at the European Central Bank's daily reference rates, frozen on use.

The rates are the ECB's euro foreign exchange reference rates since 1999, bundled offline by the
CurrencyConverter package (its release date bounds the newest rate). The ECB publishes on TARGET
working days only, so a weekend or holiday uses the latest rate published before it, at most
`max_staleness` days back; a date before the history, or further from the last publication than
that, is refused rather than guessed. Cross rates go through the euro on one publication date.

A conversion returns the amount and the `FrozenRate` it used: callers store both, so a record
never changes when rates are later revised or extended. Amounts are integer minor units with
ISO 4217 exponents (JPY 0, EUR 2, BHD 3); rounding is half-to-even, once, at the end.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

from navio.kernel.errors import InvalidInput
from navio.kernel.money import currency_exponent, is_currency

if TYPE_CHECKING:
    from currency_converter import CurrencyConverter

SOURCE = "ECB euro foreign exchange reference rates"
EURO = "EUR"


class RateNotAvailable(InvalidInput):
    code = "rate_not_available"
    title = "No exchange rate for that currency and date"


@dataclass(frozen=True, slots=True)
class FrozenRate:
    base: str
    quote: str
    rate: Decimal  # units of quote per unit of base
    published_on: date  # the ECB publication date the rate comes from
    requested_on: date
    source: str = SOURCE


class EcbRates:
    def __init__(self, max_staleness: timedelta = timedelta(days=7)) -> None:
        self.max_staleness = max_staleness
        self._converter: CurrencyConverter | None = None
        self._lock = threading.Lock()

    def _rates(self) -> CurrencyConverter:
        # Reading the bundled history takes a third of a second: once, on first use.
        with self._lock:
            if self._converter is None:
                from currency_converter import CurrencyConverter

                self._converter = CurrencyConverter(
                    fallback_on_missing_rate=False, fallback_on_wrong_date=False, decimal=True
                )
            return self._converter

    def currencies(self) -> frozenset[str]:
        return frozenset(self._rates().currencies)

    def _euro_rate(self, currency: str, on: date) -> Decimal | None:
        from currency_converter import RateNotFoundError

        if currency == EURO:
            return Decimal(1)
        try:
            return Decimal(self._rates().convert(1, EURO, currency, date=on))
        except RateNotFoundError:  # not a publication day
            return None

    def rate(self, base: str, quote: str, on: date) -> FrozenRate:
        for code, field in ((base, "currency"), (quote, "to_currency")):
            if not is_currency(code) or (code != EURO and code not in self.currencies()):
                raise RateNotAvailable(f"the ECB publishes no rate for {code!r}", field=field)
        if base == quote:
            return FrozenRate(base, quote, Decimal(1), on, on)
        converter = self._rates()
        first = max(converter.bounds[c].first_date for c in (base, quote) if c != EURO)
        last = min(converter.bounds[c].last_date for c in (base, quote) if c != EURO)
        if on < first:
            raise RateNotAvailable(f"the rate history starts on {first}", field="date")
        day = min(on, last)
        if on - day > self.max_staleness:
            raise RateNotAvailable(f"rates are known up to {last}", field="date")
        while on - day <= self.max_staleness and day >= first:
            base_rate, quote_rate = self._euro_rate(base, day), self._euro_rate(quote, day)
            if base_rate is not None and quote_rate is not None:
                return FrozenRate(base, quote, quote_rate / base_rate, day, on)
            day -= timedelta(days=1)
        raise RateNotAvailable(
            f"no rate published within {self.max_staleness.days} days before {on}", field="date"
        )

    def last_published(self, base: str, quote: str) -> date:
        """The newest date with a rate for both currencies (their histories' common end)."""
        converter = self._rates()
        ends: list[date] = [converter.bounds[c].last_date for c in (base, quote) if c != EURO]
        if not ends:  # euro to euro
            ends = [b.last_date for b in converter.bounds.values()]
        return max(ends) if base == quote else min(ends)

    def planning_rate(self, base: str, quote: str, on: date) -> FrozenRate:
        """For money not yet spent (budgets): the rate on `on` when it is published, else the
        newest published one; `published_on` says which."""
        if base != quote:
            for code, field in ((base, "currency"), (quote, "to_currency")):
                if not is_currency(code) or (code != EURO and code not in self.currencies()):
                    raise RateNotAvailable(f"the ECB publishes no rate for {code!r}", field=field)
            on = min(on, self.last_published(base, quote))
        return self.rate(base, quote, on)

    def convert(self, amount_minor: int, base: str, quote: str, on: date) -> tuple[int, FrozenRate]:
        rate = self.rate(base, quote, on)
        return convert_at(amount_minor, rate), rate


def convert_at(amount_minor: int, rate: FrozenRate) -> int:
    """The amount in the quote currency's minor units at a frozen rate (half-to-even)."""
    major = Decimal(amount_minor).scaleb(-currency_exponent(rate.base))
    quoted = (major * rate.rate).scaleb(currency_exponent(rate.quote))
    return int(quoted.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
