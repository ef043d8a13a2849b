"""Expenses: expenses, receipts, statement import, group balances and settle-up.

Other contexts import only from here."""

from navio.expenses.directory import Spend, trip_spending

__all__ = ["Spend", "trip_spending"]
