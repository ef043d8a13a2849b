"""Payment rules. No I/O.

A payment moves requires_confirmation -> (requires_action ->) processing | succeeded | failed.
A failed payment may be confirmed again with another method; a succeeded one never changes
state again (refunds are recorded beside it), so a late or replayed failure event is ignored.
"""

from __future__ import annotations

MAX_AMOUNT = 10**11
CONFIRMABLE = frozenset({"requires_confirmation", "requires_action", "failed"})
FINAL = frozenset({"succeeded"})
INVOICE_PREFIX = "NAV"


def may_fail(status: str) -> bool:
    """A failure report applies unless the payment already succeeded."""
    return status not in FINAL
