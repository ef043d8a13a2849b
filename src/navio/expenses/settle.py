"""Group settle-up: the fewest transfers that clear every member's net balance exactly.

Balances are in one currency, in integer minor units: positive means the member is owed money,
negative that the member owes; they sum to zero. Members with a zero balance take no part.

Exact method (`settle_exact`). With n non-zero members, any set of transfers splits them into
connected groups, each of which must sum to zero, and a group of size s needs at least s - 1
transfers. So the minimum is n - k, where k is the largest number of disjoint zero-sum groups
that partition the members, and settling each group of such a partition with s - 1 transfers
reaches it. k comes from the classic subset DP over bitmasks, O(2^n * n) time and O(2^n) memory:
``dp[mask] = max over i in mask of dp[mask - i] + (1 if sum[mask] == 0 else 0)``; following the
argmax back from the full mask, the masks with a zero sum along the chain are nested and their
differences are the groups. Each group is settled by matching its largest debtor with its largest
creditor, which clears at least one member per transfer and both on the last, so s - 1 transfers.

Heuristic (`settle_greedy`), used by `settle` beyond `EXACT_LIMIT` members: first pair exact
opposites (a debtor owing exactly what a creditor is owed: one transfer clears both), then
repeatedly match the largest debtor with the largest creditor. Every transfer clears at least
one member and the last clears two, so it never uses more than n - 1 transfers (and each exact
pair saves one more); it is not always optimal.

Output is deterministic: members are ordered by id, ties are broken by id, and the returned list
is sorted (payer, payee, amount). A payer never pays the same payee twice.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "EXACT_LIMIT",
    "Transfer",
    "UnbalancedError",
    "settle",
    "settle_exact",
    "settle_greedy",
]

EXACT_LIMIT = 12
# The exact DP holds 2^n integers per table: ~1M at 20 members, seconds of pure Python. Beyond
# that it is refused rather than allowed to eat the process; `settle` never gets close.
_EXACT_HARD_LIMIT = 20


@dataclass(frozen=True, slots=True, order=True)
class Transfer:
    payer: str
    payee: str
    amount: int


class UnbalancedError(ValueError):
    """The balances do not sum to zero."""


def settle(balances: Mapping[str, int]) -> list[Transfer]:
    """Fewest transfers: exact for up to EXACT_LIMIT non-zero members, heuristic beyond."""
    members = _nonzero(balances)
    if len(members) <= EXACT_LIMIT:
        return _exact(members)
    return _greedy(members)


def settle_exact(balances: Mapping[str, int]) -> list[Transfer]:
    """The minimum number of transfers (n - k); refused above 20 non-zero members."""
    members = _nonzero(balances)
    if len(members) > _EXACT_HARD_LIMIT:
        raise ValueError(
            f"settle_exact handles at most {_EXACT_HARD_LIMIT} non-zero members, "
            f"got {len(members)}; use settle() or settle_greedy()"
        )
    return _exact(members)


def settle_greedy(balances: Mapping[str, int]) -> list[Transfer]:
    """Exact opposite pairs, then largest debtor to largest creditor; at most n - 1 transfers."""
    return _greedy(_nonzero(balances))


# --------------------------------------------------------------------------- internals


def _nonzero(balances: Mapping[str, int]) -> list[tuple[str, int]]:
    """The non-zero balances ordered by member id, after validation."""
    total = 0
    members: list[tuple[str, int]] = []
    for member, amount in balances.items():
        # bool is an int subclass, but True as an amount is a bug, not one cent.
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise TypeError(
                f"balance of {member!r} must be an int in minor units, got {type(amount).__name__}"
            )
        total += amount
        if amount:
            members.append((member, amount))
    if total:
        raise UnbalancedError(f"balances sum to {total}, not 0")
    members.sort()
    return members


def _exact(members: list[tuple[str, int]]) -> list[Transfer]:
    if not members:
        return []
    transfers: list[Transfer] = []
    for group in _zero_sum_partition([amount for _, amount in members]):
        transfers.extend(_match_largest([members[i] for i in group]))
    transfers.sort()
    return transfers


def _zero_sum_partition(amounts: list[int]) -> list[list[int]]:
    """Indices of `amounts` (summing to 0) split into the most zero-sum groups."""
    n = len(amounts)
    full = (1 << n) - 1
    sums = [0] * (full + 1)
    dp = [0] * (full + 1)
    for mask in range(1, full + 1):
        low = mask & -mask
        sums[mask] = sums[mask ^ low] + amounts[low.bit_length() - 1]
        best = 0
        rest = mask
        while rest:
            bit = rest & -rest
            value = dp[mask ^ bit]
            if value > best:
                best = value
            rest ^= bit
        dp[mask] = best + (sums[mask] == 0)

    # Walk back along the argmax chain, removing the lowest index on ties (members are sorted
    # by id, so this is the tie-break by id); cut a group at every zero-sum mask on the chain.
    groups: list[list[int]] = []
    mask = full
    boundary = full
    while mask:
        target = dp[mask] - (sums[mask] == 0)
        rest = mask
        while rest:
            bit = rest & -rest
            if dp[mask ^ bit] == target:
                break
            rest ^= bit
        mask ^= bit
        if sums[mask] == 0:
            cut = boundary ^ mask
            groups.append([i for i in range(n) if cut >> i & 1])
            boundary = mask
    groups.reverse()
    return groups


def _match_largest(members: list[tuple[str, int]]) -> list[Transfer]:
    """Largest debtor pays largest creditor until all clear; ties go to the smaller id."""
    debtors = [(amount, member) for member, amount in members if amount < 0]
    creditors = [(-amount, member) for member, amount in members if amount > 0]
    heapq.heapify(debtors)
    heapq.heapify(creditors)
    transfers: list[Transfer] = []
    while debtors and creditors:
        owes, payer = heapq.heappop(debtors)
        owed, payee = heapq.heappop(creditors)
        amount = min(-owes, -owed)
        transfers.append(Transfer(payer=payer, payee=payee, amount=amount))
        if owes + amount:
            heapq.heappush(debtors, (owes + amount, payer))
        if owed + amount:
            heapq.heappush(creditors, (owed + amount, payee))
    # Both sides sum to the same total, so they run out together.
    assert not debtors and not creditors
    return transfers


def _greedy(members: list[tuple[str, int]]) -> list[Transfer]:
    debtors_by_amount: defaultdict[int, list[str]] = defaultdict(list)
    creditors_by_amount: defaultdict[int, list[str]] = defaultdict(list)
    for member, amount in members:  # sorted by id, so each list is too
        if amount < 0:
            debtors_by_amount[-amount].append(member)
        else:
            creditors_by_amount[amount].append(member)

    transfers: list[Transfer] = []
    rest: list[tuple[str, int]] = []
    for amount, payers in debtors_by_amount.items():
        payees = creditors_by_amount.pop(amount, [])
        paired = min(len(payers), len(payees))
        transfers.extend(
            Transfer(payer=payer, payee=payee, amount=amount)
            for payer, payee in zip(payers[:paired], payees[:paired], strict=True)
        )
        rest.extend((payer, -amount) for payer in payers[paired:])
        rest.extend((payee, amount) for payee in payees[paired:])
    for amount, payees in creditors_by_amount.items():
        rest.extend((payee, amount) for payee in payees)
    rest.sort()
    transfers.extend(_match_largest(rest))
    transfers.sort()
    return transfers
