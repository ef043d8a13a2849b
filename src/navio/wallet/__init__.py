"""Wallet: the double-entry ledger (user wallets, holds, operator payables, platform revenue,
provider and payout clearing): top-up, pay, hold / capture / void, refund, payout.

Other contexts import only from here: `ledger(source, clock)` gives the ledger's use cases in
the caller's transaction."""

from navio.kernel.clock import Clock
from navio.kernel.db import SessionSource
from navio.wallet.domain import PLATFORM, AccountKind, TransferKind
from navio.wallet.errors import InsufficientFunds
from navio.wallet.repository import WalletRepository
from navio.wallet.service import WalletService


def ledger(source: SessionSource, clock: Clock) -> WalletService:
    return WalletService(WalletRepository(source), clock)


__all__ = [
    "PLATFORM",
    "AccountKind",
    "InsufficientFunds",
    "TransferKind",
    "WalletService",
    "ledger",
]
