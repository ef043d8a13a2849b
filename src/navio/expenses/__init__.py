"""Expenses: expenses, receipts, statement import, group balances and settle-up.

Other contexts import only from here."""

from navio.expenses.directory import Spend, trip_spending
from navio.expenses.domain import Category

__all__ = ["Category", "Spend", "trip_spending"]
