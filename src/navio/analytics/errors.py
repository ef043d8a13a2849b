from __future__ import annotations

from navio.kernel.errors import InvalidInput


class InvalidPeriod(InvalidInput):
    code = "invalid_period"
    title = "The period cannot be reported"
