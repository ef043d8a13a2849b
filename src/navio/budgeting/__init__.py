"""Budgeting: trip budgets, seasonality, contingency, taxes and fees, per-person split, what-if."""
