"""Expenses: expenses, receipts, statement import, group balances and settle-up."""
