"""Wallet: the double-entry ledger (user wallets, holds, operator payables, platform revenue,
provider and payout clearing): top-up, pay, hold / capture / void, refund, payout."""
