"""Payments: intents, confirmation, refunds, invoices, provider webhooks."""
